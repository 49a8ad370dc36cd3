package store

import (
	"context"
	"sync"
	"time"
)

// notifier fans the latest committed sequence number out to watchers. It is
// independent of the database: the implementation publishes after its own
// commits and gives it a function that reads the stored sequence number,
// which it polls while anyone is watching, to notice commits by other
// processes.
type notifier struct {
	read     func(context.Context) (uint64, error)
	interval time.Duration

	mu         sync.Mutex
	latest     uint64
	subs       map[chan uint64]struct{}
	closed     bool
	done       chan struct{}      // closed by close
	stopPoller context.CancelFunc // nil when no poller runs
	wg         sync.WaitGroup     // pollers and per-watcher goroutines
}

func newNotifier(latest uint64, interval time.Duration, read func(context.Context) (uint64, error)) *notifier {
	return &notifier{
		read:     read,
		interval: interval,
		latest:   latest,
		subs:     make(map[chan uint64]struct{}),
		done:     make(chan struct{}),
	}
}

// publish records seq as committed and offers it to every watcher, unless a
// later one was already published. It never blocks on a watcher.
func (n *notifier) publish(seq uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if seq <= n.latest || n.closed {
		return
	}
	n.latest = seq
	for ch := range n.subs {
		offer(ch, seq)
	}
}

// offer puts seq in ch, a channel of capacity one, replacing a value the
// watcher has not taken yet. Callers hold n.mu, so they are the only sender.
func offer(ch chan uint64, seq uint64) {
	select {
	case ch <- seq:
		return
	default:
	}
	select {
	case <-ch:
	default:
	}
	ch <- seq // cannot block: the only sender just made room
}

// watch subscribes until ctx ends or the notifier closes.
func (n *notifier) watch(ctx context.Context) <-chan uint64 {
	ch := make(chan uint64, 1)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || ctx.Err() != nil {
		close(ch)
		return ch
	}
	n.subs[ch] = struct{}{}
	ch <- n.latest
	if n.stopPoller == nil && n.interval > 0 {
		pctx, cancel := context.WithCancel(context.Background())
		n.stopPoller = cancel
		n.wg.Add(1)
		go n.poll(pctx)
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		select {
		case <-ctx.Done():
		case <-n.done:
		}
		n.unsubscribe(ch)
	}()
	return ch
}

func (n *notifier) unsubscribe(ch chan uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.subs[ch]; !ok {
		return
	}
	delete(n.subs, ch)
	close(ch)
	if len(n.subs) == 0 && n.stopPoller != nil {
		n.stopPoller()
		n.stopPoller = nil
	}
}

// poll reads the stored sequence number every interval and publishes it.
// One poll runs at a time, so slow reads never pile up. Errors are ignored:
// the next tick tries again.
func (n *notifier) poll(ctx context.Context) {
	defer n.wg.Done()
	t := time.NewTicker(n.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if seq, err := n.read(ctx); err == nil {
			n.publish(seq)
		}
	}
}

// close ends every watch and the poller, and waits for their goroutines.
func (n *notifier) close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	close(n.done)
	for ch := range n.subs {
		delete(n.subs, ch)
		close(ch)
	}
	if n.stopPoller != nil {
		n.stopPoller()
		n.stopPoller = nil
	}
	n.mu.Unlock()
	n.wg.Wait()
}
