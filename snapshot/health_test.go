package snapshot_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
	"github.com/trellisproject/trellis/store"
)

// faultyStore is a store whose reads fail on demand: Seq and View return
// an error while failing is set. Writes and Watch keep working, as when a
// database's pages cannot be read but its writer still runs.
type faultyStore struct {
	store.Store
	failing atomic.Bool
}

var errUnreadable = errors.New("disk I/O error")

func (f *faultyStore) Seq(ctx context.Context) (uint64, error) {
	if f.failing.Load() {
		return 0, errUnreadable
	}
	return f.Store.Seq(ctx)
}

func (f *faultyStore) View(ctx context.Context, fn func(store.ReadTx) error) error {
	if f.failing.Load() {
		return errUnreadable
	}
	return f.Store.View(ctx, fn)
}

// eventually waits up to 5s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 5s: %s", what)
		}
	}
}

// TestManagerHealth breaks the store or the configuration in the ways a
// running trellis can meet, and checks that the Manager keeps the last
// good State, reports it stale with the reason, counts the failure, and
// recovers once the fault is gone.
func TestManagerHealth(t *testing.T) {
	tests := []struct {
		name string
		// breakIt causes the fault; mend removes it and returns the
		// sequence number the recovered State must reflect at least.
		breakIt func(t *testing.T, st *faultyStore)
		mend    func(t *testing.T, st *faultyStore) uint64
		reason  string
	}{
		{"store unreadable",
			func(t *testing.T, st *faultyStore) { st.failing.Store(true) },
			func(t *testing.T, st *faultyStore) uint64 { st.failing.Store(false); return 0 },
			"the store cannot be read: disk I/O error"},
		{"store unreadable while a change is committed",
			func(t *testing.T, st *faultyStore) {
				st.failing.Store(true)
				writeDeclared(t, st.Store, declared("alice", "bob"))
			},
			func(t *testing.T, st *faultyStore) uint64 {
				st.failing.Store(false)
				seq, _ := st.Store.Seq(ctx)
				return seq
			},
			"disk I/O error"},
		{"a change that does not build",
			func(t *testing.T, st *faultyStore) {
				broken := declared("alice")
				broken.Users = append(broken.Users, identity.User{Name: "nobody"})
				writeDeclared(t, st, broken)
			},
			func(t *testing.T, st *faultyStore) uint64 { return writeDeclared(t, st, declared("carol")) },
			"the latest configuration was not applied: building the identities"},
		{"a corrupt record",
			func(t *testing.T, st *faultyStore) {
				if _, err := st.Update(ctx, func(tx store.Tx) error {
					_, err := tx.Create(store.Record{Kind: model.KindService, ID: "svc-00000000000000bad", Body: []byte(`{"id": 7}`)})
					return err
				}); err != nil {
					t.Fatal(err)
				}
			},
			func(t *testing.T, st *faultyStore) uint64 {
				seq, err := st.Update(ctx, func(tx store.Tx) error { return tx.Delete(model.KindService, "svc-00000000000000bad", 0) })
				if err != nil {
					t.Fatal(err)
				}
				return seq
			},
			"svc-00000000000000bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &faultyStore{Store: openStore(t)}
			writeDeclared(t, st, declared("alice"))
			opts := quiet
			opts.CheckInterval = 5 * time.Millisecond
			m, err := snapshot.NewManager(ctx, st, opts)
			if err != nil {
				t.Fatal(err)
			}
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			go m.Run(runCtx)
			eventually(t, "the first state is not fresh", func() bool { return m.Health() == nil })
			good := m.Current()

			tt.breakIt(t, st)
			eventually(t, "the manager did not notice the fault", func() bool { return m.Health() != nil })
			var se *snapshot.StaleError
			if err := m.Health(); !errors.As(err, &se) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Health() = %v, want a StaleError saying %q", err, tt.reason)
			}
			if m.Current() != good {
				t.Error("the last good state was replaced while the configuration was broken")
			}
			if m.FailuresTotal() == 0 {
				t.Error("FailuresTotal() = 0 while broken")
			}
			// Still stale a few checks later: a failed retry does not clear it.
			time.Sleep(30 * time.Millisecond)
			if m.Health() == nil || m.Current() != good {
				t.Errorf("after retries: Health() = %v, state replaced = %v", m.Health(), m.Current() != good)
			}

			want := tt.mend(t, st)
			eventually(t, "the manager did not recover", func() bool { return m.Health() == nil && m.Current().Seq >= want })
			if m.Failures() != 0 {
				t.Errorf("Failures() = %d after recovery", m.Failures())
			}
		})
	}
}
