// Package snapshot turns what the store holds into the immutable
// configuration the rest of trellis works from: the VPC Lattice resources
// (a model.Snapshot) and the identities that can sign requests (an
// identity.Directory), built together from one consistent read of the store.
//
// A Manager keeps the current State and builds the next one whenever the
// store commits a change; readers take the State with one atomic load, and a
// request that started on a State finishes on it.
package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/network"
	"github.com/trellisproject/trellis/store"
)

// A State is the whole configuration at one store sequence number.
type State struct {
	// Seq is the store sequence number the state reflects (at least).
	Seq uint64
	// Lattice holds the VPC Lattice resources.
	Lattice *model.Snapshot
	// Identity holds the principals that can sign requests.
	Identity *identity.Directory
	// Network is the modelled network: VPCs, subnets, security groups,
	// network ACLs, interfaces and interface endpoints.
	Network *network.Network
	// APIs holds the private REST APIs.
	APIs *model.APIs
	// Built is when the state was built.
	Built time.Time
}

// Load builds a State from the store.
func Load(ctx context.Context, st store.Store, now time.Time) (*State, error) {
	seq, err := st.Seq(ctx)
	if err != nil {
		return nil, err
	}
	b := model.NewSnapshotBuilder()
	b.SetSeq(seq)
	var in identity.Input
	var netCfg network.Config
	var apisCfg model.APIsConfig
	err = st.View(ctx, func(tx store.ReadTx) error {
		for _, kind := range model.SnapshotKinds {
			if err := each(tx, store.Kind(kind), func(r store.Record) error { return b.Add(kind, r.Body) }); err != nil {
				return err
			}
		}
		var err error
		if in, err = LoadIdentity(tx); err != nil {
			return err
		}
		if _, err = ReadSection(tx, KindNetwork, &netCfg); err != nil {
			return err
		}
		_, err = ReadSection(tx, KindAPIs, &apisCfg)
		return err
	})
	if err != nil {
		return nil, err
	}
	lattice, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("building the VPC Lattice configuration: %w", err)
	}
	dir, err := identity.New(in)
	if err != nil {
		return nil, fmt.Errorf("building the identities: %w", err)
	}
	nw, apis, err := BuildPrivateAPIs(netCfg, apisCfg)
	if err != nil {
		return nil, err
	}
	return &State{Seq: seq, Lattice: lattice, Identity: dir, Network: nw, APIs: apis, Built: now}, nil
}

// BuildPrivateAPIs builds the network and the private APIs and checks the
// references between them: every endpoint an API lists must be an
// interface endpoint of the network. Problems are reported all at once,
// each with its JSON path in the native document ("network.subnets[0].cidr",
// "apis.restApis[0].vpcEndpointIds[0]").
func BuildPrivateAPIs(nc network.Config, ac model.APIsConfig) (*network.Network, *model.APIs, error) {
	var errs []error
	prefixed := func(section string, err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				errs = append(errs, fmt.Errorf("%s.%w", section, e))
			}
			return
		}
		errs = append(errs, fmt.Errorf("%s: %w", section, err))
	}
	nw, err := network.Build(nc)
	if err != nil {
		prefixed("network", err)
	}
	apis, err := model.BuildAPIs(ac)
	if err != nil {
		prefixed("apis", err)
	}
	declared := map[string]bool{}
	for _, e := range nc.InterfaceEndpoints {
		declared[e.ID] = true
	}
	for i, a := range ac.RestAPIs {
		for j, e := range a.VPCEndpointIDs {
			if !declared[e] {
				errs = append(errs, fmt.Errorf("apis.restApis[%d].vpcEndpointIds[%d]: %s is not an interface endpoint of the network section", i, j, e))
			}
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return nw, apis, nil
}

// each calls fn for every record of a kind, page by page.
func each(tx store.ReadTx, kind store.Kind, fn func(store.Record) error) error {
	after := ""
	for {
		recs, next, err := tx.List(kind, store.ListOptions{Limit: store.MaxListLimit, After: after})
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := fn(r); err != nil {
				return fmt.Errorf("%s %s: %w", kind, r.ID, err)
			}
		}
		if next == "" {
			return nil
		}
		after = next
	}
}

// Record kinds of identities. The declared identities (everything but
// sessions) are one record, replaced whole by `trellis apply`; each STS
// session is a record of its own, written by AssumeRole.
const (
	KindIdentity store.Kind = "trellis.identity"
	KindSession  store.Kind = "sts.session"
	// IdentityID is the ID of the one identity record.
	IdentityID = "config"
)

// Record kinds of the other sections of the native document: each is one
// record with ID SectionID, replaced whole by `trellis apply`.
const (
	KindNetwork store.Kind = "trellis.network"
	KindAPIs    store.Kind = "trellis.apis"
	SectionID              = "config"
)

// ReadSection reads the one record of a section into v and returns its
// version (0, with v untouched, when the section was never applied).
func ReadSection(tx store.ReadTx, kind store.Kind, v any) (int64, error) {
	r, err := tx.Get(kind, SectionID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return 0, fmt.Errorf("the stored %s section is not readable: %w", kind, err)
	}
	return r.Version, nil
}

// WriteSection replaces the record of a section with v. version is the
// version ReadSection returned: a concurrent change makes the write fail
// with store.ErrConflict.
func WriteSection(tx store.Tx, kind store.Kind, v any, version int64) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	rec := store.Record{Kind: kind, ID: SectionID, Body: body, Version: version}
	if version == 0 {
		_, err = tx.Create(rec)
	} else {
		_, err = tx.Put(rec)
	}
	return err
}

// LoadIdentity reads the identities: the declared ones and the sessions.
func LoadIdentity(tx store.ReadTx) (identity.Input, error) {
	in, _, err := ReadDeclared(tx)
	if err != nil {
		return in, err
	}
	err = each(tx, KindSession, func(r store.Record) error {
		var s identity.Session
		if err := json.Unmarshal(r.Body, &s); err != nil {
			return err
		}
		in.Sessions = append(in.Sessions, s)
		return nil
	})
	return in, err
}

// ReadDeclared reads the declared identities (no sessions) and the version
// of their record (0 when none are declared).
func ReadDeclared(tx store.ReadTx) (identity.Input, int64, error) {
	var in identity.Input
	r, err := tx.Get(KindIdentity, IdentityID)
	if errors.Is(err, store.ErrNotFound) {
		return in, 0, nil
	}
	if err != nil {
		return in, 0, err
	}
	if err := json.Unmarshal(r.Body, &in); err != nil {
		return in, 0, fmt.Errorf("the stored identities are not readable: %w", err)
	}
	in.Sessions = nil
	return in, r.Version, nil
}

// WriteDeclared replaces the declared identities. version is the version
// ReadDeclared returned: a concurrent change makes the write fail with
// store.ErrConflict.
func WriteDeclared(tx store.Tx, in identity.Input, version int64) error {
	in.Sessions = nil
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	rec := store.Record{Kind: KindIdentity, ID: IdentityID, Body: body, Version: version}
	if version == 0 {
		_, err = tx.Create(rec)
	} else {
		_, err = tx.Put(rec)
	}
	return err
}

// SaveSession stores a session issued by STS.
func SaveSession(tx store.Tx, s identity.Session) error {
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = tx.Create(store.Record{Kind: KindSession, ID: s.AccessKeyID, Body: body})
	return err
}

// PruneSessions deletes sessions that expired before cutoff and returns how
// many it deleted.
func PruneSessions(ctx context.Context, st store.Store, cutoff time.Time) (int, error) {
	var expired []store.Record
	err := st.View(ctx, func(tx store.ReadTx) error {
		return each(tx, KindSession, func(r store.Record) error {
			var s struct {
				Expires time.Time `json:"expires"`
			}
			if err := json.Unmarshal(r.Body, &s); err != nil {
				return err
			}
			if s.Expires.Before(cutoff) {
				expired = append(expired, r)
			}
			return nil
		})
	})
	if err != nil || len(expired) == 0 {
		return 0, err
	}
	_, err = st.Update(ctx, func(tx store.Tx) error {
		for _, r := range expired {
			if err := tx.Delete(r.Kind, r.ID, r.Version); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	return len(expired), err
}

// A Manager keeps the current State and rebuilds it when the store changes.
//
// It also knows whether that State can be trusted to be current (Health):
// when the store cannot be read, or holds a change that does not build,
// the last good State stays in place (a corrupt configuration never
// replaces a good one) but is marked stale, so that the gateway can refuse
// to authorise from it.
type Manager struct {
	st       store.Store
	log      *slog.Logger
	clock    func() time.Time
	interval time.Duration
	cur      atomic.Pointer[State]
	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever cur changes
	// failures counts rebuilds that failed since the last success;
	// failuresTotal counts every failed rebuild and store check.
	failures, failuresTotal atomic.Int64
	// stale is nil while cur reflects the store. It is read on every
	// request, so it is an atomic pointer; staleMu orders its writers.
	stale   atomic.Pointer[StaleError]
	staleMu sync.Mutex
}

// Options configure a Manager.
type Options struct {
	Logger *slog.Logger
	Clock  func() time.Time
	// CheckInterval is how often Run reads the store's sequence number, to
	// notice that the store cannot be read, or that it holds changes the
	// current State lacks (a rebuild that failed is retried then). Zero
	// means DefaultCheckInterval.
	CheckInterval time.Duration
}

// DefaultCheckInterval is how often a Manager checks the store by default.
const DefaultCheckInterval = time.Second

// A StaleError says why the current State may not reflect the store.
type StaleError struct {
	// Since is when the State was first found out of date.
	Since time.Time
	// Err is the latest failure: the store could not be read, or a change
	// did not build.
	Err error
}

func (e *StaleError) Error() string {
	return "the configuration in effect may be out of date since " + e.Since.UTC().Format(time.RFC3339) + ": " + e.Err.Error()
}

func (e *StaleError) Unwrap() error { return e.Err }

// NewManager loads the first State. It fails when the store cannot be read
// or its contents do not make a valid configuration: trellis does not start
// on a configuration it cannot trust.
func NewManager(ctx context.Context, st store.Store, opts Options) (*Manager, error) {
	m := &Manager{st: st, log: opts.Logger, clock: opts.Clock, interval: opts.CheckInterval, changed: make(chan struct{})}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.clock == nil {
		m.clock = time.Now
	}
	if m.interval <= 0 {
		m.interval = DefaultCheckInterval
	}
	s, err := Load(ctx, st, m.clock())
	if err != nil {
		return nil, err
	}
	m.cur.Store(s)
	return m, nil
}

// Current returns the current State.
func (m *Manager) Current() *State { return m.cur.Load() }

// Changed returns a channel that is closed when the current State is next
// replaced.
func (m *Manager) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

// Failures returns how many rebuilds have failed in a row.
func (m *Manager) Failures() int64 { return m.failures.Load() }

// FailuresTotal returns how many rebuilds and store checks have failed
// since the Manager started.
func (m *Manager) FailuresTotal() int64 { return m.failuresTotal.Load() }

// Health returns nil while the current State reflects the store, and a
// *StaleError while it may not: the store could not be read at the last
// check, or its latest change did not build. It is cheap enough to call on
// every request.
func (m *Manager) Health() error {
	if e := m.stale.Load(); e != nil {
		return e
	}
	return nil
}

// Run rebuilds the State after every committed change, and checks the
// store every CheckInterval, until ctx ends. A change that cannot be built
// leaves the last good State in place, marked stale (see Health), and is
// retried at each check until the store holds one that builds.
func (m *Manager) Run(ctx context.Context) {
	watch := m.st.Watch(ctx)
	tick := time.NewTicker(m.interval)
	defer tick.Stop()
	for {
		var seq uint64
		select {
		case <-ctx.Done():
			return
		case s, ok := <-watch:
			if !ok {
				return
			}
			seq = s
		case <-tick.C:
			s, err := m.st.Seq(ctx)
			if err != nil {
				if ctx.Err() == nil {
					m.failuresTotal.Add(1)
					m.setStale(fmt.Errorf("the store cannot be read: %w", err))
				}
				continue
			}
			seq = s
		}
		if cur := m.Current(); cur.Seq >= seq {
			m.setFresh() // the store answered and has nothing newer
			continue
		}
		// A failure is logged and marked stale by Refresh.
		_ = m.Refresh(ctx)
	}
}

// Refresh rebuilds the State now. On failure the current State stays and
// is marked stale.
func (m *Manager) Refresh(ctx context.Context) error {
	s, err := Load(ctx, m.st, m.clock())
	if err != nil {
		if ctx.Err() == nil {
			m.failures.Add(1)
			m.failuresTotal.Add(1)
			m.setStale(fmt.Errorf("the latest configuration was not applied: %w", err))
		}
		return err
	}
	m.failures.Store(0)
	m.mu.Lock()
	if cur := m.cur.Load(); cur == nil || s.Seq >= cur.Seq {
		m.cur.Store(s)
		close(m.changed)
		m.changed = make(chan struct{})
	}
	m.mu.Unlock()
	m.setFresh()
	return nil
}

// setStale marks the State stale because of err, logging when it becomes
// stale and when the reason changes (not at every failed retry).
func (m *Manager) setStale(err error) {
	m.staleMu.Lock()
	defer m.staleMu.Unlock()
	prev := m.stale.Load()
	e := &StaleError{Since: m.clock(), Err: err}
	if prev != nil {
		e.Since = prev.Since
	}
	m.stale.Store(e)
	if prev == nil || prev.Err.Error() != err.Error() {
		m.log.Error("the configuration in effect may be out of date; the last good one stays loaded, marked stale",
			"seq", m.Current().Seq, "err", err)
	}
}

// setFresh clears the stale mark.
func (m *Manager) setFresh() {
	if m.stale.Load() == nil {
		return
	}
	m.staleMu.Lock()
	defer m.staleMu.Unlock()
	if prev := m.stale.Swap(nil); prev != nil {
		m.log.Info("the configuration is current again", "seq", m.Current().Seq, "staleFor", m.clock().Sub(prev.Since).Round(time.Millisecond).String())
	}
}

// WaitFor waits until the current State reflects sequence number seq, so a
// caller that just committed a change can read its own write.
func (m *Manager) WaitFor(ctx context.Context, seq uint64) error {
	for {
		m.mu.Lock()
		ch := m.changed
		m.mu.Unlock()
		if m.Current().Seq >= seq {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
