package controlplane

import (
	"fmt"
	"testing"
	"time"
)

// TestRateLimiter runs sequences of calls through a limiter and checks
// which are let through, the wait a refused call is told, and how many
// buckets are left.
func TestRateLimiter(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	type call struct {
		key  string
		at   time.Duration // after t0
		ok   bool
		wait time.Duration // for refused calls
	}
	tests := []struct {
		name        string
		rate        float64
		burst       int
		maxKeys     int
		calls       []call
		wantBuckets int
	}{
		{"burst then refused", 1, 2, 10, []call{
			{"a", 0, true, 0}, {"a", 0, true, 0}, {"a", 0, false, time.Second},
		}, 1},
		{"refills at the rate", 2, 1, 10, []call{
			{"a", 0, true, 0}, {"a", 100 * time.Millisecond, false, 400 * time.Millisecond},
			{"a", 500 * time.Millisecond, true, 0}, {"a", 500 * time.Millisecond, false, 500 * time.Millisecond},
		}, 1},
		{"never more than the burst", 100, 3, 10, []call{
			{"a", 0, true, 0}, {"a", time.Hour, true, 0}, {"a", time.Hour, true, 0}, {"a", time.Hour, true, 0},
			{"a", time.Hour, false, 10 * time.Millisecond},
		}, 1},
		{"keys have their own buckets", 1, 1, 10, []call{
			{"a", 0, true, 0}, {"b", 0, true, 0}, {"a", 0, false, time.Second}, {"b", 0, false, time.Second},
		}, 2},
		{"zero burst means one", 1, 0, 10, []call{
			{"a", 0, true, 0}, {"a", 0, false, time.Second},
		}, 1},
		{"full buckets are forgotten", 1, 1, 10, []call{
			{"a", 0, true, 0}, {"b", 0, true, 0}, {"c", 5 * time.Second, true, 0},
		}, 1},
		{"a slow rate sweeps rarely", 0.01, 1, 10, []call{
			{"a", 0, true, 0}, {"b", 50 * time.Second, true, 0}, {"a", 60 * time.Second, false, 40 * time.Second},
		}, 2},
		{"at the key bound newcomers wait", 1, 1, 2, []call{
			{"a", 0, true, 0}, {"b", 0, true, 0}, {"c", 0, false, time.Second}, {"a", 0, false, time.Second},
		}, 2},
		{"at the key bound full buckets make room", 1, 1, 2, []call{
			{"a", 0, true, 0}, {"b", 500 * time.Millisecond, true, 0}, {"c", 1200 * time.Millisecond, true, 0},
		}, 2},
		{"a clock going back refunds nothing", 1, 1, 10, []call{
			{"a", time.Second, true, 0}, {"a", 0, false, time.Second},
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newRateLimiter(tt.rate, tt.burst, tt.maxKeys)
			for i, c := range tt.calls {
				ok, wait := l.take(c.key, t0.Add(c.at))
				if ok != c.ok || (!ok && (wait-c.wait).Abs() > time.Millisecond) {
					t.Errorf("call %d (%s at %v): %v, wait %v; want %v, wait %v", i, c.key, c.at, ok, wait, c.ok, c.wait)
				}
			}
			if got := l.size(); got != tt.wantBuckets {
				t.Errorf("%d buckets, want %d", got, tt.wantBuckets)
			}
		})
	}
}

// TestRateLimiterMemory checks that a stream of distinct keys, each calling
// once, holds no more buckets than are active within a refill time.
func TestRateLimiterMemory(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	l := newRateLimiter(10, 10, maxRateLimitKeys) // a bucket refills in 1s
	most := 0
	for i := range 100_000 {
		// 1,000 new keys a second.
		if ok, _ := l.take(fmt.Sprint(i), t0.Add(time.Duration(i)*time.Millisecond)); !ok {
			t.Fatalf("key %d was refused", i)
		}
		most = max(most, l.size())
	}
	// Sweeps run every second (the refill time) and keep the buckets of the
	// last 0.1s (a bucket missing one token of ten at 10/s): about 1,100.
	if most > 1200 {
		t.Errorf("the limiter held up to %d buckets; at 1,000 new keys a second it should hold about 1,100", most)
	}
}

// TestRetryAfterSeconds checks the rounding of the Retry-After header.
func TestRetryAfterSeconds(t *testing.T) {
	for _, tt := range []struct {
		wait time.Duration
		want int
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {90 * time.Second, 90}} {
		if got := retryAfterSeconds(tt.wait); got != tt.want {
			t.Errorf("retryAfterSeconds(%v) = %d, want %d", tt.wait, got, tt.want)
		}
	}
}
