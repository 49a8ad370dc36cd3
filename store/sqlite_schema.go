package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migration is one step of the SQLite schema. migrations[i] takes a
// database from schema version i to version i+1. Steps are only ever
// appended: a released step never changes.
type migration struct {
	what  string
	stmts []string
}

var migrations = [SchemaVersion]migration{
	{ // → 1
		what: "meta and records tables",
		stmts: []string{
			// meta holds the schema version and the change sequence number,
			// which Watch polls: one small row.
			`CREATE TABLE meta (
				key   TEXT PRIMARY KEY,
				value INTEGER NOT NULL
			)`,
			`INSERT INTO meta (key, value) VALUES ('schema_version', 0), ('seq', 0)`,
			`CREATE TABLE records (
				kind    TEXT    NOT NULL,
				id      TEXT    NOT NULL,
				parent  TEXT    NOT NULL DEFAULT '',
				name    TEXT    NOT NULL DEFAULT '',
				body    BLOB    NOT NULL,
				version INTEGER NOT NULL,
				created INTEGER NOT NULL,
				updated INTEGER NOT NULL,
				PRIMARY KEY (kind, id)
			)`,
			`CREATE UNIQUE INDEX records_name ON records (kind, parent, name) WHERE name <> ''`,
		},
	},
	{ // → 2
		what: "index to list and count the children of a parent",
		stmts: []string{
			`CREATE INDEX records_parent ON records (kind, parent, id)`,
		},
	},
}

// SchemaVersion is the version of the SQLite schema this build writes: the
// number of migrations. A database with a higher version fails to open with
// ErrSchemaNewer.
const SchemaVersion = 2

// migrate brings the database on conn to SchemaVersion, in one transaction.
// A new database (no tables at all) starts at version 0.
func migrate(ctx context.Context, conn *sql.Conn, path string) error {
	tx, err := conn.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one process migrates at a time
	if err != nil {
		return fmt.Errorf("store: %s: begin migration: %w", path, err)
	}
	defer tx.Rollback()

	var tables, hasMeta int
	err = tx.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE name = 'meta')
		FROM sqlite_schema WHERE type = 'table'`).Scan(&tables, &hasMeta)
	if err != nil {
		return fmt.Errorf("store: %s: read schema: %w", path, err)
	}
	version := 0
	switch {
	case hasMeta == 1:
		err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: %s is not a trellis database: its meta table has no schema_version", path)
		}
		if err != nil {
			return fmt.Errorf("store: %s: read schema version: %w", path, err)
		}
	case tables > 0:
		return fmt.Errorf("store: %s is an SQLite database but not a trellis one (it has no meta table)", path)
	}
	switch {
	case version > SchemaVersion:
		return fmt.Errorf("store: %s has schema version %d, but this trellis knows versions 1 to %d: upgrade trellis: %w",
			path, version, SchemaVersion, ErrSchemaNewer)
	case version < 0:
		return fmt.Errorf("store: %s has invalid schema version %d", path, version)
	case version == SchemaVersion:
		return nil
	}
	for v := version; v < SchemaVersion; v++ {
		for _, stmt := range migrations[v].stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("store: %s: migrate schema from version %d to %d (%s): %w",
					path, v, v+1, migrations[v].what, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'schema_version'`, SchemaVersion); err != nil {
		return fmt.Errorf("store: %s: record schema version: %w", path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: commit migration: %w", path, err)
	}
	return nil
}
