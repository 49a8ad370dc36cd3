package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// receive waits up to d for a value on ch.
func receive(t *testing.T, ch <-chan uint64, d time.Duration) (uint64, bool) {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("Watch channel closed")
		}
		return v, true
	case <-time.After(d):
		return 0, false
	}
}

func TestWatchOwnCommits(t *testing.T) {
	// Polling once an hour: what the watcher sees comes from the commits
	// themselves.
	s := openTest(t, Options{PollInterval: time.Hour})
	mustCreate(t, s, rec("a", "0", "", "", `{}`))
	w := s.Watch(context.Background())
	if v, ok := receive(t, w, time.Second); !ok || v != 1 {
		t.Fatalf("first value %d (%v), want the current sequence number 1", v, ok)
	}
	for i := 1; i <= 5; i++ {
		seq := mustUpdate(t, s, func(tx Tx) error {
			_, err := tx.Create(rec("a", fmt.Sprint(i), "", "", `{}`))
			return err
		})
		// The value is in the channel when Update returns.
		select {
		case v := <-w:
			if v != seq {
				t.Fatalf("after commit %d: got %d", seq, v)
			}
		default:
			t.Fatalf("commit %d not delivered when Update returned", seq)
		}
	}
	// An Update that writes nothing notifies nobody.
	mustUpdate(t, s, func(tx Tx) error { _, err := tx.Get("a", "1"); return err })
	if v, ok := receive(t, w, 50*time.Millisecond); ok {
		t.Errorf("notified of %d without a change", v)
	}
}

// TestWatchOtherProcess checks that a store notices the commits of another
// store on the same database, as it would another process's, within 100 ms
// plus its poll interval.
func TestWatchOtherProcess(t *testing.T) {
	const poll = 20 * time.Millisecond
	dir := t.TempDir()
	writer := openDir(t, dir, Options{PollInterval: -1})
	watcher := openDir(t, dir, Options{PollInterval: poll})
	w := watcher.Watch(context.Background())
	if v, _ := receive(t, w, time.Second); v != 0 {
		t.Fatalf("first value %d, want 0", v)
	}
	for i := range 3 {
		seq := mustUpdate(t, writer, func(tx Tx) error {
			_, err := tx.Create(rec("a", fmt.Sprint(i), "", "", `{}`))
			return err
		})
		start := time.Now()
		v, ok := receive(t, w, 100*time.Millisecond+poll)
		if !ok || v != seq {
			t.Fatalf("commit %d: got %d (%v) after %v, want %d", i, v, ok, time.Since(start), seq)
		}
		t.Logf("commit %d seen after %v", seq, time.Since(start))
	}
}

// TestWatchCoalesces checks that a watcher that does not read holds up no
// writer, and then sees only the latest value.
func TestWatchCoalesces(t *testing.T) {
	s := openTest(t, Options{PollInterval: time.Hour})
	w := s.Watch(context.Background())
	var seq uint64
	for i := range 50 {
		seq = mustUpdate(t, s, func(tx Tx) error {
			_, err := tx.Create(rec("a", fmt.Sprint(i), "", "", `{}`))
			return err
		})
	}
	if v, ok := receive(t, w, time.Second); !ok || v != seq {
		t.Fatalf("got %d (%v), want the latest %d", v, ok, seq)
	}
	if v, ok := receive(t, w, 20*time.Millisecond); ok {
		t.Errorf("a second value %d", v)
	}
}

func TestWatchEnds(t *testing.T) {
	s := openTest(t, Options{PollInterval: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	w := s.Watch(ctx)
	<-w
	cancel()
	select {
	case _, ok := <-w:
		if ok {
			t.Error("value after cancel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after the context ended")
	}
	// With no watcher left, nothing polls.
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.notify.mu.Lock()
		polling := s.notify.stopPoller != nil
		s.notify.mu.Unlock()
		if !polling {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still polling without watchers")
		}
		time.Sleep(time.Millisecond)
	}
	if _, ok := <-s.Watch(ctx); ok {
		t.Error("Watch with an ended context delivered a value")
	}
}

// TestWatchMany has several watchers, some slow, while two stores write:
// each sees values that never go down and ends on the last commit.
func TestWatchMany(t *testing.T) {
	dir := t.TempDir()
	a := openDir(t, dir, Options{PollInterval: 5 * time.Millisecond})
	b := openDir(t, dir, Options{PollInterval: -1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	const writes = 20
	final := make(chan uint64)
	var wg sync.WaitGroup
	for i := range 6 {
		w := a.Watch(ctx)
		wg.Go(func() {
			var last uint64
			for {
				select {
				case v := <-w:
					if v < last {
						t.Errorf("watcher %d: %d after %d", i, v, last)
					}
					last = v
					if i%2 == 1 {
						time.Sleep(3 * time.Millisecond) // a slow reader
					}
				case f := <-final:
					for last < f {
						v, ok := receive(t, w, 5*time.Second)
						if !ok {
							t.Errorf("watcher %d stuck at %d, final %d", i, last, f)
							return
						}
						last = v
					}
					return
				}
			}
		})
	}
	var wwg sync.WaitGroup
	for _, s := range []*SQLite{a, b} {
		wwg.Go(func() {
			for i := range writes {
				mustCreate(t, s, rec("a", fmt.Sprintf("%p-%d", s, i), "", "", `{}`))
			}
		})
	}
	wwg.Wait()
	f, _ := a.Seq(ctx)
	if f != 2*writes {
		t.Errorf("seq %d, want %d", f, 2*writes)
	}
	for range 6 {
		final <- f
	}
	wg.Wait()
}
