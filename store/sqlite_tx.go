package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The statements. Times are Unix nanoseconds (UTC). GetByName repeats the
// condition of the partial index on names (name is not empty), so that
// SQLite may use the index with a bound name.
const (
	sqlReadSeq = `SELECT value FROM meta WHERE key = 'seq'`
	sqlBumpSeq = `UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value`

	sqlColumns   = `id, parent, name, body, version, created, updated`
	sqlGet       = `SELECT ` + sqlColumns + ` FROM records WHERE kind = ? AND id = ?`
	sqlGetByName = `SELECT ` + sqlColumns + ` FROM records WHERE kind = ? AND parent = ? AND name = ? AND name <> ''`
	sqlList      = `SELECT ` + sqlColumns + ` FROM records WHERE kind = ? AND id > ? ORDER BY id LIMIT ?`
	sqlListChild = `SELECT ` + sqlColumns + ` FROM records WHERE kind = ? AND parent = ? AND id > ? ORDER BY id LIMIT ?`
	sqlCount     = `SELECT count(*) FROM records WHERE kind = ?`
	sqlCountKids = `SELECT count(*) FROM records WHERE kind = ? AND parent = ?`
	sqlVersion   = `SELECT version FROM records WHERE kind = ? AND id = ?`

	sqlCreate = `INSERT INTO records (kind, id, parent, name, body, version, created, updated)
		VALUES (?, ?, ?, ?, ?, 1, ?, ?)`
	sqlPut = `UPDATE records SET parent = ?, name = ?, body = ?, version = version + 1, updated = ?
		WHERE kind = ? AND id = ? AND version = ? RETURNING version, created`
	sqlDelete        = `DELETE FROM records WHERE kind = ? AND id = ?`
	sqlDeleteVersion = `DELETE FROM records WHERE kind = ? AND id = ? AND version = ?`
)

// stmtID names a statement. The store prepares its statements once, on
// its connection pools; a transaction takes the ones it uses from there.
type stmtID int

const (
	stReadSeq stmtID = iota
	stGet
	stGetByName
	stList
	stListChild
	stCount
	stCountKids
	// Only the writer prepares the statements from here on.
	stVersion
	stBumpSeq
	stCreate
	stPut
	stDelete
	stDeleteVersion
	numStmts
	numReadStmts = stVersion
)

var stmtSQL = [numStmts]string{
	stReadSeq:       sqlReadSeq,
	stGet:           sqlGet,
	stGetByName:     sqlGetByName,
	stList:          sqlList,
	stListChild:     sqlListChild,
	stCount:         sqlCount,
	stCountKids:     sqlCountKids,
	stVersion:       sqlVersion,
	stBumpSeq:       sqlBumpSeq,
	stCreate:        sqlCreate,
	stPut:           sqlPut,
	stDelete:        sqlDelete,
	stDeleteVersion: sqlDeleteVersion,
}

// stmts holds prepared statements, indexed by stmtID.
type stmts [numStmts]*sql.Stmt

// prepare prepares the first n statements on db.
func (ss *stmts) prepare(ctx context.Context, db *sql.DB, n stmtID) error {
	for id := range n {
		st, err := db.PrepareContext(ctx, stmtSQL[id])
		if err != nil {
			ss.close()
			return fmt.Errorf("store: prepare %q: %w", stmtSQL[id], err)
		}
		ss[id] = st
	}
	return nil
}

// close closes the statements. It leaves them in place (closed), so that a
// transaction racing with Close gets an error, not a data race.
func (ss *stmts) close() {
	for _, st := range ss {
		if st != nil {
			st.Close()
		}
	}
}

func readSeq(ctx context.Context, st *sql.Stmt) (uint64, error) {
	var seq int64
	if err := st.QueryRowContext(ctx).Scan(&seq); err != nil {
		return 0, fmt.Errorf("store: read sequence: %w", err)
	}
	return uint64(seq), nil
}

// sqliteReadTx is the ReadTx of View, and the reading half of Update's Tx.
type sqliteReadTx struct {
	ctx      context.Context
	tx       *sql.Tx
	prepared *stmts // the store's, on the pool the transaction came from
	own      stmts  // the transaction's versions of them, made when first used
}

// stmt returns the statement id for use in the transaction.
func (t *sqliteReadTx) stmt(id stmtID) *sql.Stmt {
	st := t.own[id]
	if st == nil {
		st = t.tx.StmtContext(t.ctx, t.prepared[id])
		t.own[id] = st
	}
	return st
}

// sqliteTx is the Tx of Update.
type sqliteTx struct {
	sqliteReadTx
	clock func() time.Time
	wrote bool
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanRecord(sc scanner, kind Kind) (Record, error) {
	r := Record{Kind: kind}
	var body []byte
	var created, updated int64
	if err := sc.Scan(&r.ID, &r.Parent, &r.Name, &body, &r.Version, &created, &updated); err != nil {
		return Record{}, err
	}
	r.Body = body
	r.Created = fromNanos(created)
	r.Updated = fromNanos(updated)
	return r, nil
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// Get implements ReadTx.
func (t *sqliteReadTx) Get(kind Kind, id string) (Record, error) {
	if err := checkKey(kind, id); err != nil {
		return Record{}, err
	}
	r, err := scanRecord(t.stmt(stGet).QueryRowContext(t.ctx, string(kind), id), kind)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, errNotFound(kind, id)
	}
	if err != nil {
		return Record{}, fmt.Errorf("store: get %s %q: %w", kind, id, err)
	}
	return r, nil
}

// GetByName implements ReadTx.
func (t *sqliteReadTx) GetByName(kind Kind, parent, name string) (Record, error) {
	if kind == "" {
		return Record{}, fmt.Errorf("store: empty kind: %w", ErrInvalid)
	}
	if name == "" {
		return Record{}, fmt.Errorf("store: %s: empty name: %w", kind, ErrInvalid)
	}
	r, err := scanRecord(t.stmt(stGetByName).QueryRowContext(t.ctx, string(kind), parent, name), kind)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, errNameNotFound(kind, parent, name)
	}
	if err != nil {
		return Record{}, fmt.Errorf("store: get %s named %q: %w", kind, name, err)
	}
	return r, nil
}

// List implements ReadTx.
func (t *sqliteReadTx) List(kind Kind, opts ListOptions) ([]Record, string, error) {
	if kind == "" {
		return nil, "", fmt.Errorf("store: empty kind: %w", ErrInvalid)
	}
	after, err := decodeToken(kind, opts.Parent, opts.After)
	if err != nil {
		return nil, "", err
	}
	limit := listLimit(opts.Limit)
	var rows *sql.Rows
	if opts.Parent == "" {
		rows, err = t.stmt(stList).QueryContext(t.ctx, string(kind), after, limit+1)
	} else {
		rows, err = t.stmt(stListChild).QueryContext(t.ctx, string(kind), opts.Parent, after, limit+1)
	}
	if err != nil {
		return nil, "", fmt.Errorf("store: list %s: %w", kind, err)
	}
	defer rows.Close()
	recs := make([]Record, 0, min(limit, 16))
	more := false
	for rows.Next() {
		if len(recs) == limit {
			more = true
			break
		}
		r, err := scanRecord(rows, kind)
		if err != nil {
			return nil, "", fmt.Errorf("store: list %s: %w", kind, err)
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: list %s: %w", kind, err)
	}
	next := ""
	if more {
		next = encodeToken(kind, opts.Parent, recs[len(recs)-1].ID)
	}
	return recs, next, nil
}

// Count implements ReadTx.
func (t *sqliteReadTx) Count(kind Kind, parent string) (int, error) {
	if kind == "" {
		return 0, fmt.Errorf("store: empty kind: %w", ErrInvalid)
	}
	var row *sql.Row
	if parent == "" {
		row = t.stmt(stCount).QueryRowContext(t.ctx, string(kind))
	} else {
		row = t.stmt(stCountKids).QueryRowContext(t.ctx, string(kind), parent)
	}
	var n int
	if err := row.Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count %s: %w", kind, err)
	}
	return n, nil
}

// storedVersion returns the stored version of a record, 0 if there is none.
func (t *sqliteTx) storedVersion(kind Kind, id string) (int64, error) {
	var v int64
	err := t.stmt(stVersion).QueryRowContext(t.ctx, string(kind), id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: %s %q: %w", kind, id, err)
	}
	return v, nil
}

// isConstraint reports whether err is a uniqueness violation.
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

// now reads the clock, at the precision the store keeps.
func (t *sqliteTx) now() (time.Time, int64) {
	n := t.clock().UnixNano()
	return fromNanos(n), n
}

// Create implements Tx.
func (t *sqliteTx) Create(r Record) (Record, error) {
	if err := checkRecord(&r); err != nil {
		return Record{}, err
	}
	now, nanos := t.now()
	_, err := t.stmt(stCreate).ExecContext(t.ctx,
		string(r.Kind), r.ID, r.Parent, r.Name, []byte(r.Body), nanos, nanos)
	if isConstraint(err) {
		// Either the ID or the name is taken; look which.
		v, verr := t.storedVersion(r.Kind, r.ID)
		switch {
		case verr != nil:
			return Record{}, verr
		case v != 0:
			return Record{}, errExists(r.Kind, r.ID)
		default:
			return Record{}, errNameTaken(r.Kind, r.Parent, r.Name)
		}
	}
	if err != nil {
		return Record{}, fmt.Errorf("store: create %s %q: %w", r.Kind, r.ID, err)
	}
	t.wrote = true
	r.Version, r.Created, r.Updated = 1, now, now
	return r, nil
}

// Put implements Tx.
func (t *sqliteTx) Put(r Record) (Record, error) {
	if err := checkRecord(&r); err != nil {
		return Record{}, err
	}
	now, nanos := t.now()
	var created int64
	err := t.stmt(stPut).QueryRowContext(t.ctx,
		r.Parent, r.Name, []byte(r.Body), nanos, string(r.Kind), r.ID, r.Version).Scan(&r.Version, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		v, verr := t.storedVersion(r.Kind, r.ID)
		switch {
		case verr != nil:
			return Record{}, verr
		case v == 0:
			return Record{}, errNotFound(r.Kind, r.ID)
		default:
			return Record{}, errConflict(r.Kind, r.ID, r.Version, v)
		}
	case isConstraint(err):
		return Record{}, errNameTaken(r.Kind, r.Parent, r.Name)
	case err != nil:
		return Record{}, fmt.Errorf("store: put %s %q: %w", r.Kind, r.ID, err)
	}
	t.wrote = true
	r.Created, r.Updated = fromNanos(created), now
	return r, nil
}

// Delete implements Tx.
func (t *sqliteTx) Delete(kind Kind, id string, version int64) error {
	if err := checkKey(kind, id); err != nil {
		return err
	}
	if version < 0 {
		return fmt.Errorf("store: delete %s %q: negative version %d: %w", kind, id, version, ErrInvalid)
	}
	var res sql.Result
	var err error
	if version == 0 {
		res, err = t.stmt(stDelete).ExecContext(t.ctx, string(kind), id)
	} else {
		res, err = t.stmt(stDeleteVersion).ExecContext(t.ctx, string(kind), id, version)
	}
	if err != nil {
		return fmt.Errorf("store: delete %s %q: %w", kind, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: delete %s %q: %w", kind, id, err)
	}
	if n == 1 {
		t.wrote = true
		return nil
	}
	v, err := t.storedVersion(kind, id)
	switch {
	case err != nil:
		return err
	case v == 0:
		return errNotFound(kind, id)
	default:
		return errConflict(kind, id, version, v)
	}
}
