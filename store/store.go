// Package store is where trellis keeps its state: every VPC Lattice
// resource, identity, access key, session and idempotency record lives here
// and nowhere else.
//
// The store is schema-agnostic. It keeps generic records (a Kind, an ID, an
// optional Parent and Name, and a JSON Body) and knows nothing of what is in
// the body; packages model, identity and controlplane own the typed structs
// and their validation, so a new kind of resource needs no migration.
//
// All access goes through transactions:
//
//   - Store.Update runs a function in one read-write transaction. When it
//     returns nil the transaction is durable: it survives the process being
//     killed and the machine losing power. Writes are serialised, and Put and
//     Delete check the Version the caller read, so concurrent writers never
//     lose an update (ErrConflict tells the caller to re-read).
//   - Store.View runs a function in a consistent read-only snapshot.
//   - Every committed Update that wrote something advances a change
//     sequence number (Store.Seq); Store.Watch delivers it after each commit,
//     including commits made by other processes sharing the database.
//
// OpenSQLite opens the embedded default, an SQLite database in the data
// directory. Record bodies may hold secrets (secret access keys), so the
// database files are readable by their owner only, and the store never logs
// or returns a body in an error.
//
// docs/store.md describes the guarantees and how they are tested.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Kind names a kind of record, such as "service", "listener", "user" or
// "accesskey". The store gives kinds no meaning; IDs and names are unique
// within a kind.
type Kind string

// Record is one stored resource.
type Record struct {
	// Kind is the kind of resource. Required.
	Kind Kind
	// ID identifies the record within its Kind, for example
	// "svc-0123456789abcdef0" or an ARN. Required.
	ID string
	// Parent is the ID of the owning resource (a listener's service), or
	// empty. ListOptions.Parent and ReadTx.Count select the children of one
	// parent.
	Parent string
	// Name is the record's name, or empty. A non-empty Name is unique per
	// (Kind, Parent): a second record with the same name gets ErrNameTaken.
	Name string
	// Body is the resource as a JSON value. Required; it must be valid JSON.
	Body json.RawMessage
	// Version is set by the store: 1 on create, one more on every Put. Put
	// and Delete compare it with the stored version.
	Version int64
	// Created is set by the store, from its clock, when the record is
	// created (UTC).
	Created time.Time
	// Updated is set by the store, from its clock, on create and on every Put
	// (UTC).
	Updated time.Time
}

// ListOptions selects a page of records for ReadTx.List.
type ListOptions struct {
	// Parent, when not empty, selects the records whose Parent is this ID.
	// Empty lists every record of the kind.
	Parent string
	// Limit is the page size. Zero or less means DefaultListLimit; more than
	// MaxListLimit means MaxListLimit.
	Limit int
	// After is the token a previous List of the same kind and parent
	// returned, to continue from where that page ended; empty starts at the
	// beginning. A token from a different query gives ErrBadToken.
	After string
}

// Page sizes for ReadTx.List.
const (
	// DefaultListLimit is the page size when ListOptions.Limit is zero.
	DefaultListLimit = 100
	// MaxListLimit is the largest page List returns.
	MaxListLimit = 1000
)

// Store is the persistence interface of trellis. Implementations are safe for
// concurrent use.
type Store interface {
	// Update runs fn in one read-write transaction and commits it if fn
	// returns nil. When Update returns nil the commit is durable: it survives
	// the process being killed and the machine losing power. When fn returns
	// an error nothing is written and Update returns that error unchanged.
	//
	// Writes are serialised: one Update runs at a time. Put and Delete check
	// the Version the caller read (optimistic concurrency): a stale version
	// gives ErrConflict, which is returned to the caller, not retried; the
	// caller re-reads and tries again.
	//
	// If the database is busy (another process holds the write lock) Update
	// retries a bounded number of times, running fn again, so fn must have no
	// effects outside the transaction. fn must not use the Tx after it
	// returns, nor from other goroutines, and must not call Update: it would
	// wait for itself.
	//
	// Update returns the change sequence number after the commit; if fn wrote
	// nothing it returns the current sequence number and does not advance it.
	Update(ctx context.Context, fn func(Tx) error) (seq uint64, err error)

	// View runs fn in a consistent read-only snapshot of the store: every
	// read in fn sees the same committed state. View returns fn's error
	// unchanged.
	View(ctx context.Context, fn func(ReadTx) error) error

	// Seq returns the sequence number of the last committed change, 0 for an
	// empty store. It increases by at least one with every committed Update
	// that wrote something, whichever process made it.
	Seq(ctx context.Context) (uint64, error)

	// Watch returns a channel that receives the latest committed sequence
	// number: first the current one, then a value after each commit. Values
	// are coalesced: a slow reader sees only the latest, and writers never
	// wait for readers. Values never decrease. Commits through this Store are
	// delivered at once; commits by other processes sharing the database are
	// noticed by polling the sequence number (one small row, not the data)
	// every poll interval. The channel is closed when ctx ends or the store
	// is closed.
	Watch(ctx context.Context) <-chan uint64

	// Close stops every watcher and closes the store. Calls after the first
	// return nil; other methods then return ErrClosed.
	Close() error
}

// ReadTx reads inside a transaction. It is valid only during the View or
// Update call that provided it.
type ReadTx interface {
	// Get returns the record of the given kind and ID, or ErrNotFound.
	Get(kind Kind, id string) (Record, error)

	// GetByName returns the record of the given kind named name under
	// parent (empty for records without a parent), or ErrNotFound.
	GetByName(kind Kind, parent, name string) (Record, error)

	// List returns one page of the records of kind, ordered by ID (byte-wise),
	// selected by opts. next is the token for the following page, empty on
	// the last page. A token from a different kind or parent, or one that
	// is not a token, gives ErrBadToken. Records created or deleted between
	// pages do not make List repeat or skip any others.
	List(kind Kind, opts ListOptions) (recs []Record, next string, err error)

	// Count returns how many records of kind have the given parent, or how
	// many records of kind there are when parent is empty.
	Count(kind Kind, parent string) (int, error)
}

// Tx reads and writes inside Store.Update.
type Tx interface {
	ReadTx

	// Create stores a new record and returns it with Version 1 and
	// Created and Updated set. The Version, Created and Updated of r are
	// ignored. It fails with ErrExists if the ID is taken within the kind,
	// ErrNameTaken if the name is taken within the kind and parent, and
	// ErrInvalid if r is not a valid record.
	Create(r Record) (Record, error)

	// Put replaces the stored record of r's kind and ID with r and returns
	// it with the next Version and Updated set (Created is kept). r.Version
	// must equal the stored version, or Put fails with ErrConflict. It fails
	// with ErrNotFound if there is no such record, ErrNameTaken if the new
	// name is taken, and ErrInvalid if r is not a valid record.
	Put(r Record) (Record, error)

	// Delete removes the record of the given kind and ID. version must
	// equal the stored version, or Delete fails with ErrConflict; version 0
	// deletes whatever version is stored. It fails with ErrNotFound if there
	// is no such record. The store does not delete children: callers decide
	// (ReadTx.Count) whether a record with children may go.
	Delete(kind Kind, id string, version int64) error
}

// Errors returned by the store. They are wrapped with the kind and ID (or
// name) concerned; test for them with errors.Is.
var (
	// ErrNotFound means there is no record of that kind with that ID or
	// name.
	ErrNotFound = errors.New("not found")
	// ErrExists means a record of that kind with that ID already exists.
	ErrExists = errors.New("already exists")
	// ErrNameTaken means another record of that kind and parent has that
	// name.
	ErrNameTaken = errors.New("name already taken")
	// ErrConflict means the record's stored version is not the one the
	// caller gave: it was changed since the caller read it.
	ErrConflict = errors.New("version conflict")
	// ErrBadToken means a List page token is malformed or belongs to a
	// different query.
	ErrBadToken = errors.New("invalid page token")
	// ErrInvalid means a record or argument is not valid: an empty kind or
	// ID, or a body that is not JSON.
	ErrInvalid = errors.New("invalid record")
	// ErrBusy means another process held the database's write lock through
	// every attempt of an Update.
	ErrBusy = errors.New("database busy")
	// ErrSchemaNewer means the database was written by a newer version of
	// trellis, with a schema this one does not know.
	ErrSchemaNewer = errors.New("database schema is newer than this trellis")
	// ErrClosed means the store has been closed.
	ErrClosed = errors.New("store closed")
)
