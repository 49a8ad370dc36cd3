package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// FileName is the name of the SQLite database file in the data directory.
// SQLite keeps two more files beside it while the database is open,
// FileName+"-wal" and FileName+"-shm".
const FileName = "trellis.db"

// Defaults for Options.
const (
	// DefaultPollInterval is how often Watch reads the sequence number to
	// notice commits by other processes.
	DefaultPollInterval = 50 * time.Millisecond
	// DefaultBusyTimeout is how long one attempt of an Update waits for
	// another process to release the write lock.
	DefaultBusyTimeout = 5 * time.Second
	// DefaultReaders is the number of reader connections.
	DefaultReaders = 4
)

// updateAttempts bounds how many times Update tries a transaction that
// finds the database busy.
const updateAttempts = 5

// Options configures OpenSQLite. The zero value is ready to use.
type Options struct {
	// Clock gives the Created and Updated times of records. Default
	// time.Now.
	Clock func() time.Time
	// PollInterval is how often Watch polls the sequence number for
	// commits made by other processes. Default DefaultPollInterval; a
	// negative value disables polling, so only this Store's own commits are
	// delivered.
	PollInterval time.Duration
	// BusyTimeout is how long one attempt of an Update, or one read, waits
	// for a lock another process holds before the attempt fails as busy.
	// Default DefaultBusyTimeout.
	BusyTimeout time.Duration
	// Readers is the number of connections that serve View, Seq and the
	// Watch poll. Default DefaultReaders.
	Readers int
}

// SQLite is the Store kept in one SQLite database file, in WAL mode, with
// every commit synced to disk. It is safe for concurrent use, and several
// processes may open the same database.
type SQLite struct {
	path   string
	w      *sql.DB // the writer: one connection, so writes are serialised
	r      *sql.DB // the readers
	wStmts stmts   // every statement, prepared on w
	rStmts stmts   // the reading statements, prepared on r
	clock  func() time.Time
	notify *notifier
	closed atomic.Bool

	busyRetries atomic.Int64 // attempts Update repeated because the database was busy; for tests
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens the store in dir/trellis.db, creating the directory
// (mode 0700) and the database (mode 0600) if needed, and bringing its
// schema up to date. It fails with a clear error if the file is not an SQLite
// database or is corrupt, if the directory cannot be written, or if the
// database was written by a newer trellis (ErrSchemaNewer). The files stay
// mode 0600 whatever the process umask.
func OpenSQLite(ctx context.Context, dir string, opts Options) (*SQLite, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}
	if opts.Readers <= 0 {
		opts.Readers = DefaultReaders
	}

	path, err := prepareFiles(dir)
	if err != nil {
		return nil, err
	}
	s := &SQLite{path: path, clock: opts.Clock}

	busy := strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)
	s.w, err = sql.Open("sqlite", dsn(path, url.Values{
		"mode":    {"rw"}, // the file exists: prepareFiles made it with mode 0600
		"_txlock": {"immediate"},
		"_pragma": {
			"busy_timeout(" + busy + ")",
			"journal_mode(WAL)",
			"synchronous(FULL)",
			"journal_size_limit(67108864)",
			"trusted_schema(0)",
		},
	}))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)

	s.r, err = sql.Open("sqlite", dsn(path, url.Values{
		"mode": {"ro"},
		"_pragma": {
			"busy_timeout(" + busy + ")",
			"synchronous(FULL)",
			"trusted_schema(0)",
		},
	}))
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.r.SetMaxOpenConns(opts.Readers)
	s.r.SetMaxIdleConns(opts.Readers)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)

	if err := s.setUp(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	seq, err := s.readSeq(ctx)
	if err != nil {
		s.closeDBs()
		return nil, err
	}
	s.notify = newNotifier(seq, opts.PollInterval, s.readSeq)
	return s, nil
}

// closeDBs closes the statements and the connection pools. Readers go
// first: the last connection to close checkpoints the WAL into the database
// file and removes it, which only the writer can do.
func (s *SQLite) closeDBs() error {
	s.rStmts.close()
	s.wStmts.close()
	err := s.r.Close()
	if werr := s.w.Close(); err == nil {
		err = werr
	}
	return err
}

// dsn builds the driver's data source name: a file: URI, so that any
// character in the path is escaped, with the driver's and SQLite's
// parameters.
func dsn(path string, q url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	if u.Path[0] != '/' { // a Windows path: C:/...
		u.Path = "/" + u.Path
	}
	return u.String()
}

// setUp checks the database file, applies the migrations, makes sure the
// WAL and shared-memory files are private and prepares the statements.
func (s *SQLite) setUp(ctx context.Context) error {
	if err := s.checkAndMigrate(ctx); err != nil {
		return err
	}
	if err := privateSideFiles(s.path); err != nil {
		return err
	}
	// Preparing the statements opens a reader, so that a problem shows here
	// and not in the first View.
	if err := s.wStmts.prepare(ctx, s.w, numStmts); err != nil {
		return s.openError(err)
	}
	if err := s.rStmts.prepare(ctx, s.r, numReadStmts); err != nil {
		return s.openError(err)
	}
	return nil
}

// checkAndMigrate checks the database file and applies the migrations, on
// the writer connection.
func (s *SQLite) checkAndMigrate(ctx context.Context) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return s.openError(err)
	}
	defer conn.Close()

	// The pragmas in the DSN ran when the connection opened; journal_mode
	// read the file header. A whole-file check catches damage further in.
	rows, err := conn.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return s.openError(err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return s.openError(err)
		}
		if line != "ok" && len(problems) < 3 {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return s.openError(err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("store: %s is corrupt: integrity check failed: %q", s.path, problems)
	}

	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return s.openError(err)
	}
	if mode != "wal" {
		return fmt.Errorf("store: %s: could not switch to WAL mode (journal mode is %q)", s.path, mode)
	}
	return migrate(ctx, conn, s.path)
}

// openError explains an error met while opening the database.
func (s *SQLite) openError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("store: %s is not an SQLite database: %w", s.path, err)
		case sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("store: %s is corrupt: %w", s.path, err)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
			return fmt.Errorf("store: cannot open %s for writing (the data directory and the database files must be writable): %w", s.path, err)
		}
	}
	return fmt.Errorf("store: open %s: %w", s.path, err)
}

// Path returns the path of the database file.
func (s *SQLite) Path() string { return s.path }

// Update implements Store.
func (s *SQLite) Update(ctx context.Context, fn func(Tx) error) (uint64, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	for attempt := 1; ; attempt++ {
		seq, wrote, err := s.update(ctx, fn)
		if err == nil {
			if wrote {
				s.notify.publish(seq)
			}
			return seq, nil
		}
		if !isBusy(err) || ctx.Err() != nil {
			return 0, err
		}
		if attempt == updateAttempts {
			return 0, fmt.Errorf("store: %s: %d attempts: %w: %w", s.path, attempt, ErrBusy, err)
		}
		s.busyRetries.Add(1)
		// Back off a little, with jitter, so that processes that collided
		// do not collide again.
		d := time.Duration(attempt) * 10 * time.Millisecond
		d += rand.N(d)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		}
	}
}

// update makes one attempt of an Update. It reports whether fn wrote.
func (s *SQLite) update(ctx context.Context, fn func(Tx) error) (seq uint64, wrote bool, err error) {
	stx, err := s.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock now
	if err != nil {
		if s.closed.Load() {
			return 0, false, ErrClosed
		}
		return 0, false, fmt.Errorf("store: begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			stx.Rollback()
		}
	}()

	tx := &sqliteTx{sqliteReadTx: sqliteReadTx{ctx: ctx, tx: stx, prepared: &s.wStmts}, clock: s.clock}
	if err := fn(tx); err != nil {
		return 0, false, err
	}
	if !tx.wrote {
		seq, err := readSeq(ctx, tx.stmt(stReadSeq))
		return seq, false, err
	}
	// The change counter moves in the same transaction as the writes.
	if err := tx.stmt(stBumpSeq).QueryRowContext(ctx).Scan(&seq); err != nil {
		return 0, false, fmt.Errorf("store: advance sequence: %w", err)
	}
	done = true
	if err := stx.Commit(); err != nil {
		return 0, false, fmt.Errorf("store: commit: %w", err)
	}
	return seq, true, nil
}

// isBusy reports whether err means another connection held a lock.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// View implements Store.
func (s *SQLite) View(ctx context.Context, fn func(ReadTx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	stx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		if s.closed.Load() {
			return ErrClosed
		}
		return fmt.Errorf("store: begin: %w", err)
	}
	defer stx.Rollback()
	return fn(&sqliteReadTx{ctx: ctx, tx: stx, prepared: &s.rStmts})
}

// Seq implements Store.
func (s *SQLite) Seq(ctx context.Context) (uint64, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	return s.readSeq(ctx)
}

func (s *SQLite) readSeq(ctx context.Context) (uint64, error) {
	return readSeq(ctx, s.rStmts[stReadSeq])
}

// Watch implements Store.
func (s *SQLite) Watch(ctx context.Context) <-chan uint64 {
	return s.notify.watch(ctx)
}

// Close implements Store. It waits for transactions in progress.
func (s *SQLite) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.notify.close()
	if err := s.closeDBs(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}
