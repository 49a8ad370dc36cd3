package controlplane

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// maxRateLimitKeys bounds the buckets a rateLimiter holds. Only
// authenticated callers reach it and accounts are created by an
// administrator, so a real deployment stays far below it; it is there so
// that no mistake elsewhere can turn the limiter into unbounded memory.
const maxRateLimitKeys = 100_000

// A rateLimiter is a token bucket per key (an account ID): each bucket
// holds up to burst tokens, refills at rate tokens a second, and a call
// takes one.
//
// Buckets are evicted once they are full again: a full bucket behaves
// exactly as a new one, so forgetting it changes nothing, and memory is
// bounded by the keys active within the time a bucket takes to refill.
type rateLimiter struct {
	mu        sync.Mutex
	rate      float64
	burst     float64
	maxKeys   int
	buckets   map[string]*tokenBucket
	lastSweep time.Time
	// refill is how long an empty bucket takes to fill: how often buckets
	// are swept.
	refill time.Duration
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

// newRateLimiter returns a limiter of rate calls a second with bursts of
// burst (at least 1) for each of at most maxKeys keys.
func newRateLimiter(rate float64, burst, maxKeys int) *rateLimiter {
	burst = max(burst, 1)
	refill := time.Duration(math.MaxInt64)
	if ns := float64(burst) / rate * float64(time.Second); ns < math.MaxInt64 {
		refill = time.Duration(ns)
	}
	return &rateLimiter{rate: rate, burst: float64(burst), maxKeys: maxKeys,
		buckets: map[string]*tokenBucket{}, refill: max(refill, time.Second)}
}

// take takes a token from key's bucket at now. When the bucket is empty it
// returns false and how long until a token is there again.
func (l *rateLimiter) take(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= l.refill {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.maxKeys {
			l.sweep(now)
		}
		if len(l.buckets) >= l.maxKeys {
			// Every slot is a caller that called within the refill time:
			// refusing a newcomer keeps memory bounded and fails closed.
			return false, time.Second
		}
		b = &tokenBucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	l.refillBucket(b, now)
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
		return false, max(wait, time.Millisecond)
	}
	b.tokens--
	return true, 0
}

func (l *rateLimiter) refillBucket(b *tokenBucket, now time.Time) {
	if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens = min(l.burst, b.tokens+d*l.rate)
		b.last = now
	}
}

// sweep forgets the buckets that are full again.
func (l *rateLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		l.refillBucket(b, now)
		if b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
	l.lastSweep = now
}

// size returns how many buckets the limiter holds.
func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// message is the error message of a throttled call of account.
func (l *rateLimiter) message(account string) string {
	return fmt.Sprintf("Rate exceeded: account %s may make %g calls a second, in bursts of up to %g", account, l.rate, l.burst)
}

// retryAfterSeconds is the Retry-After header's value for a wait: whole
// seconds, rounded up, at least 1.
func retryAfterSeconds(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}
