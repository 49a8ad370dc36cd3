package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawDB opens the database file in dir directly, bypassing the store, to
// build or inspect databases by hand.
func rawDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func execAll(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, stmt := range stmts {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// schemaV1 is schema version 1 as it was released, written out here rather
// than taken from migrations, so that the test keeps building the database
// an old trellis wrote.
var schemaV1 = []string{
	`CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
	`INSERT INTO meta (key, value) VALUES ('schema_version', 1), ('seq', 3)`,
	`CREATE TABLE records (
		kind TEXT NOT NULL, id TEXT NOT NULL, parent TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '',
		body BLOB NOT NULL, version INTEGER NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL,
		PRIMARY KEY (kind, id))`,
	`CREATE UNIQUE INDEX records_name ON records (kind, parent, name) WHERE name <> ''`,
	`INSERT INTO records VALUES
		('service', 'svc-1', '', 'orders', '{"v":1}', 1, 1000, 1000),
		('listener', 'l-1', 'svc-1', 'http', '{"v":2}', 2, 2000, 3000),
		('listener', 'l-2', 'svc-2', 'http', '{"v":3}', 1, 4000, 4000)`,
	`PRAGMA journal_mode = WAL`,
}

func schemaVersion(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow(`SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func hasIndex(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestMigrations(t *testing.T) {
	if len(migrations) != SchemaVersion {
		t.Fatalf("%d migrations, SchemaVersion %d", len(migrations), SchemaVersion)
	}
	for i, m := range migrations {
		if m.what == "" || len(m.stmts) == 0 {
			t.Errorf("migration to version %d is empty", i+1)
		}
	}
}

func TestMigrateFromV1(t *testing.T) {
	dir := t.TempDir()
	db := rawDB(t, dir)
	execAll(t, db, schemaV1...)
	db.Close()

	s := openDir(t, dir, Options{})
	if v := schemaVersion(t, s.r); v != SchemaVersion {
		t.Errorf("schema version %d after opening, want %d", v, SchemaVersion)
	}
	if !hasIndex(t, s.r, "records_parent") {
		t.Error("migration 2 did not add records_parent")
	}
	if seq, _ := s.Seq(context.Background()); seq != 3 {
		t.Errorf("seq %d, want 3 from the old database", seq)
	}
	l := mustGet(t, s, "listener", "l-1")
	if string(l.Body) != `{"v":2}` || l.Version != 2 || l.Parent != "svc-1" || l.Name != "http" ||
		l.Created.UnixNano() != 2000 || l.Updated.UnixNano() != 3000 {
		t.Errorf("migrated record %+v", l)
	}
	s.View(context.Background(), func(tx ReadTx) error {
		if ids := listAll(t, tx, "listener", "svc-1", 0); fmt.Sprint(ids) != "[l-1]" {
			t.Errorf("children of svc-1: %v", ids)
		}
		return nil
	})
	mustCreate(t, s, rec("listener", "l-3", "svc-1", "https", `{}`))
	if seq, _ := s.Seq(context.Background()); seq != 4 {
		t.Errorf("seq %d after a write, want 4", seq)
	}
}

func TestMigrationIsAtomic(t *testing.T) {
	dir := t.TempDir()
	db := rawDB(t, dir)
	// Something in the way of migration 2: it must fail, and leave the
	// database at version 1.
	execAll(t, db, schemaV1...)
	execAll(t, db, `CREATE TABLE records_parent (x)`)
	db.Close()

	_, err := OpenSQLite(context.Background(), dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "version 1 to 2") {
		t.Fatalf("Open: %v", err)
	}
	db = rawDB(t, dir)
	if v := schemaVersion(t, db); v != 1 {
		t.Errorf("schema version %d after a failed migration", v)
	}
}

func TestSchemaNewer(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir, Options{})
	mustCreate(t, s, rec("service", "svc-1", "", "", `{}`))
	s.Close()
	db := rawDB(t, dir)
	execAll(t, db, fmt.Sprintf(`UPDATE meta SET value = %d WHERE key = 'schema_version'`, SchemaVersion+1))
	db.Close()

	_, err := OpenSQLite(context.Background(), dir, Options{})
	checkErr(t, err, ErrSchemaNewer, fmt.Sprintf("version %d", SchemaVersion+1), fmt.Sprintf("1 to %d", SchemaVersion), "upgrade")
}

// writeStore makes a closed store with n records in dir.
func writeStore(t *testing.T, dir string, n int) {
	t.Helper()
	s, err := OpenSQLite(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"pad":%q}`, strings.Repeat("x", 200))
	mustUpdate(t, s, func(tx Tx) error {
		for i := range n {
			if _, err := tx.Create(rec("service", fmt.Sprintf("svc-%05d", i), "", fmt.Sprint(i), body)); err != nil {
				return err
			}
		}
		return nil
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+"-wal")); err == nil {
		t.Fatal("WAL left after Close")
	}
}

func TestOpenBadFile(t *testing.T) {
	tests := []struct {
		name string
		make func(t *testing.T, path string)
		want string // in the error; empty: Open succeeds
	}{
		{"empty file", func(t *testing.T, path string) {
			os.WriteFile(path, nil, 0o600)
		}, ""},
		{"text", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("not a database\n"), 0o600)
		}, "is not an SQLite database"},
		{"random bytes", func(t *testing.T, path string) {
			b := make([]byte, 16384)
			for i := range b {
				b[i] = byte(rand.N(256))
			}
			os.WriteFile(path, b, 0o600)
		}, "is not an SQLite database"},
		{"header then garbage", func(t *testing.T, path string) {
			os.WriteFile(path, append([]byte("SQLite format 3\x00"), make([]byte, 5000)...), 0o600)
		}, "is not an SQLite database"},
		{"damaged pages", func(t *testing.T, path string) {
			writeStore(t, filepath.Dir(path), 500)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			garbage := make([]byte, 4096*4)
			for i := range garbage {
				garbage[i] = byte(i * 7)
			}
			f.WriteAt(garbage, 4096*3)
		}, "corrupt"},
		{"truncated", func(t *testing.T, path string) {
			writeStore(t, filepath.Dir(path), 500)
			st, _ := os.Stat(path)
			os.Truncate(path, st.Size()/2)
		}, "corrupt"},
		{"another application's database", func(t *testing.T, path string) {
			db := rawDB(t, filepath.Dir(path))
			execAll(t, db, `CREATE TABLE users (name TEXT)`)
			db.Close()
		}, "not a trellis one"},
		{"meta without a version", func(t *testing.T, path string) {
			db := rawDB(t, filepath.Dir(path))
			execAll(t, db, `CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER)`)
			db.Close()
		}, "not a trellis database"},
		{"directory in the way", func(t *testing.T, path string) {
			os.Mkdir(path, 0o700)
		}, FileName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			tt.make(t, path)
			s, err := OpenSQLite(context.Background(), dir, Options{})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				s.Close()
				return
			}
			if err == nil {
				s.Close()
				t.Fatalf("Open succeeded, want an error with %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not say %q about the file", err, tt.want)
			}
		})
	}
}

func TestOpenDirIsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	for _, dir := range []string{file, filepath.Join(file, "data")} {
		if _, err := OpenSQLite(context.Background(), dir, Options{}); err == nil {
			t.Errorf("Open(%s) succeeded", dir)
		} else if !strings.Contains(err.Error(), "directory") {
			t.Errorf("Open(%s): %v", dir, err)
		}
	}
	if _, err := OpenSQLite(context.Background(), "", Options{}); err == nil {
		t.Error("Open with no directory succeeded")
	}
}

// explain returns SQLite's query plan for a statement.
func explain(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

// TestQueryPlans checks that every lookup uses an index and none sorts.
func TestQueryPlans(t *testing.T) {
	s := openTest(t, Options{})
	tests := []struct {
		query string
		args  []any
		index string // one of these, separated by |
	}{
		{sqlGet, []any{"s", "i"}, "sqlite_autoindex_records_1"},
		{sqlVersion, []any{"s", "i"}, "sqlite_autoindex_records_1"},
		{sqlGetByName, []any{"s", "p", "n"}, "records_name"},
		{sqlList, []any{"s", "", 10}, "sqlite_autoindex_records_1"},
		{sqlListChild, []any{"s", "p", "", 10}, "records_parent"},
		{sqlCount, []any{"s"}, "sqlite_autoindex_records_1|records_parent"},
		{sqlCountKids, []any{"s", "p"}, "records_parent"},
		{sqlDelete, []any{"s", "i"}, "sqlite_autoindex_records_1"},
		{sqlReadSeq, nil, "sqlite_autoindex_meta_1"},
	}
	for _, tt := range tests {
		plan := explain(t, s.r, tt.query, tt.args...)
		indexed := false
		for _, index := range strings.Split(tt.index, "|") {
			indexed = indexed || strings.Contains(plan, "INDEX "+index+" ")
		}
		if !indexed || strings.Contains(plan, "SCAN") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s\nplan: %s\nwant index %s and no sorting", tt.query, plan, tt.index)
		}
	}
}

func TestSharedDatabase(t *testing.T) {
	dir := t.TempDir()
	a := openDir(t, dir, Options{})
	b := openDir(t, dir, Options{})
	mustCreate(t, a, rec("service", "svc-1", "", "orders", `{}`))
	got := mustGet(t, b, "service", "svc-1")
	_, err := b.Update(context.Background(), func(tx Tx) error {
		_, err := tx.Create(rec("service", "svc-2", "", "orders", `{}`))
		return err
	})
	checkErr(t, err, ErrNameTaken)
	mustUpdate(t, b, func(tx Tx) error { _, err := tx.Put(got); return err })
	_, err = a.Update(context.Background(), func(tx Tx) error { _, err := tx.Put(got); return err })
	checkErr(t, err, ErrConflict)
	sa, _ := a.Seq(context.Background())
	sb, _ := b.Seq(context.Background())
	if sa != 2 || sb != 2 {
		t.Errorf("seq %d and %d, want 2", sa, sb)
	}
}

// TestBusyRetry holds the write lock in one store while another, as if in
// another process, tries to write.
func TestBusyRetry(t *testing.T) {
	tests := []struct {
		name    string
		hold    time.Duration // 0: until the other Update gives up
		wantErr bool
	}{
		{"lock released", 60 * time.Millisecond, false},
		{"lock held too long", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := openDir(t, dir, Options{})
			b := openDir(t, dir, Options{BusyTimeout: 20 * time.Millisecond})
			locked := make(chan struct{})
			release := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				mustUpdate(t, a, func(tx Tx) error {
					close(locked)
					<-release
					_, err := tx.Create(rec("a", "1", "", "", `{}`))
					return err
				})
			})
			<-locked
			if tt.hold > 0 {
				time.AfterFunc(tt.hold, func() { close(release) })
			}

			// Readers are not blocked by a writer.
			err := b.View(context.Background(), func(tx ReadTx) error {
				_, err := tx.Get("a", "1")
				return err
			})
			checkErr(t, err, ErrNotFound)

			_, err = b.Update(context.Background(), func(tx Tx) error {
				_, err := tx.Create(rec("b", "1", "", "", `{}`))
				return err
			})
			if tt.hold == 0 {
				close(release)
			}
			wg.Wait()
			if tt.wantErr {
				checkErr(t, err, ErrBusy, "attempts")
				if n := b.busyRetries.Load(); n != updateAttempts-1 {
					t.Errorf("%d retries, want %d", n, updateAttempts-1)
				}
				return
			}
			if err != nil {
				t.Fatalf("Update after the lock was released: %v", err)
			}
			if b.busyRetries.Load() == 0 {
				t.Error("Update did not retry")
			}
			mustGet(t, a, "b", "1")
		})
	}
}

// TestPragmas checks the settings the durability and safety guarantees rest
// on, on the writer and on a reader connection.
func TestPragmas(t *testing.T) {
	s := openTest(t, Options{BusyTimeout: 1234 * time.Millisecond})
	tests := []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "synchronous", "2"}, // FULL
		{s.w, "busy_timeout", "1234"},
		{s.w, "trusted_schema", "0"},
		{s.w, "journal_size_limit", "67108864"},
		{s.r, "journal_mode", "wal"},
		{s.r, "synchronous", "2"},
		{s.r, "busy_timeout", "1234"},
		{s.r, "trusted_schema", "0"},
	}
	for _, tt := range tests {
		var got string
		if err := tt.db.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
		}
	}
	if _, err := s.r.Exec(`DELETE FROM meta`); err == nil {
		t.Error("a reader connection can write")
	}
}

// TestOpenOddPath opens stores in directories whose names mean something in
// a URI.
func TestOpenOddPath(t *testing.T) {
	for _, name := range []string{"with space", "q?mode=ro", "hash#frag", "pct%41", "amp&_pragma=x", "ünï"} {
		dir := filepath.Join(t.TempDir(), name)
		s := openDir(t, dir, Options{})
		mustCreate(t, s, rec("a", "1", "", "", `{}`))
		mustGet(t, s, "a", "1")
		if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
			t.Errorf("%q: %v", name, err)
		}
		if s.Path() != filepath.Join(dir, FileName) {
			t.Errorf("Path() = %q", s.Path())
		}
	}
}
