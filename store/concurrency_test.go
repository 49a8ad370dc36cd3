package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

type count struct {
	N int `json:"n"`
}

func readCount(t testing.TB, r Record) int {
	var c count
	if err := json.Unmarshal(r.Body, &c); err != nil {
		t.Errorf("counter body %s: %v", r.Body, err)
	}
	return c.N
}

func withCount(r Record, n int) Record {
	r.Body, _ = json.Marshal(count{n})
	return r
}

// TestNoLostUpdates has many goroutines, on two stores sharing one database
// as two processes would, increment one counter record. Half read the
// counter in a View and write it back in an Update, retrying on
// ErrConflict; half read and write in one Update. Not one increment may be
// lost. Run it with -race.
func TestNoLostUpdates(t *testing.T) {
	const goroutines, increments = 8, 15
	dir := t.TempDir()
	stores := []*SQLite{openDir(t, dir, Options{}), openDir(t, dir, Options{})}
	mustCreate(t, stores[0], withCount(Record{Kind: "counter", ID: "c"}, 0))

	ctx := context.Background()
	var conflicts atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		s := stores[g%2]
		optimistic := g%4 < 2
		wg.Go(func() {
			last := -1 // what this goroutine last read: must never go down
			for range increments {
				for {
					var r Record
					var err error
					if optimistic {
						err = s.View(ctx, func(tx ReadTx) error {
							r, err = tx.Get("counter", "c")
							return err
						})
						if err == nil {
							_, err = s.Update(ctx, func(tx Tx) error {
								_, err := tx.Put(withCount(r, readCount(t, r)+1))
								return err
							})
						}
					} else {
						_, err = s.Update(ctx, func(tx Tx) error {
							r, err = tx.Get("counter", "c")
							if err != nil {
								return err
							}
							_, err := tx.Put(withCount(r, readCount(t, r)+1))
							return err
						})
					}
					if n := readCount(t, r); n < last {
						t.Errorf("counter went down from %d to %d", last, n)
					} else {
						last = n
					}
					if errors.Is(err, ErrConflict) {
						conflicts.Add(1)
						continue
					}
					if err != nil {
						t.Errorf("increment: %v", err)
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	for i, s := range stores {
		r := mustGet(t, s, "counter", "c")
		if n := readCount(t, r); n != goroutines*increments || r.Version != goroutines*increments+1 {
			t.Errorf("store %d: counter %d version %d, want %d and %d", i, n, r.Version, goroutines*increments, goroutines*increments+1)
		}
	}
	seq, _ := stores[0].Seq(ctx)
	if seq != goroutines*increments+1 {
		t.Errorf("seq %d, want %d", seq, goroutines*increments+1)
	}
	t.Logf("%d conflicts retried", conflicts.Load())
}

// TestConcurrentCreates has goroutines race to create records with the same
// names: each name goes to exactly one of them.
func TestConcurrentCreates(t *testing.T) {
	const goroutines, names = 6, 20
	dir := t.TempDir()
	stores := []*SQLite{openDir(t, dir, Options{}), openDir(t, dir, Options{})}
	var won [names]atomic.Int32
	var wg sync.WaitGroup
	for g := range goroutines {
		s := stores[g%2]
		wg.Go(func() {
			for i := range names {
				_, err := s.Update(context.Background(), func(tx Tx) error {
					_, err := tx.Create(rec("service", fmt.Sprintf("svc-%d-%d", g, i), "", fmt.Sprint("name-", i), `{}`))
					return err
				})
				switch {
				case err == nil:
					won[i].Add(1)
				case !errors.Is(err, ErrNameTaken):
					t.Errorf("Create: %v", err)
				}
			}
		})
	}
	wg.Wait()
	for i := range won {
		if n := won[i].Load(); n != 1 {
			t.Errorf("name-%d created %d times", i, n)
		}
	}
}
