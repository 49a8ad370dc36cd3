package gateway

import (
	"io"
	"log/slog"
	"testing"
)

func TestCodeMatches(t *testing.T) {
	for _, tc := range []struct {
		matcher string
		code    int
		want    bool
	}{
		{"200", 200, true},
		{"200", 204, false},
		{"200-299", 204, true},
		{"200-299", 300, false},
		{"200,202", 202, true},
		{"200,202", 201, false},
		{"200-204,301, 404", 404, true},
		{"200-204,301", 301, true},
		{"", 200, false},
		{"abc", 200, false},
	} {
		if got := codeMatches(tc.matcher, tc.code); got != tc.want {
			t.Errorf("codeMatches(%q, %d) = %v, want %v", tc.matcher, tc.code, got, tc.want)
		}
	}
}

// TestHealthTransitions feeds results to a probe with a healthy threshold
// of 3 and an unhealthy threshold of 2: P is a pass, F a failure (timeout)
// and M a response code mismatch.
func TestHealthTransitions(t *testing.T) {
	h := &HealthChecker{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tc := range []struct {
		results string
		status  TargetStatus
		reason  string
	}{
		{"", TargetInitial, ReasonInitialHealthChecking},
		{"P", TargetHealthy, ""},
		{"F", TargetInitial, ReasonInitialHealthChecking},
		{"FP", TargetHealthy, ""},
		{"FF", TargetUnhealthy, ReasonTimeout},
		{"PF", TargetHealthy, ""},
		{"PFPF", TargetHealthy, ""},
		{"PFF", TargetUnhealthy, ReasonTimeout},
		{"PFM", TargetUnhealthy, ReasonResponseCodeMismatch},
		{"PFFPP", TargetUnhealthy, ReasonTimeout},
		{"PFFPPP", TargetHealthy, ""},
		{"PFFPPFPP", TargetUnhealthy, ReasonTimeout},
		{"PFFM", TargetUnhealthy, ReasonResponseCodeMismatch},
	} {
		p := &probe{spec: probeSpec{healthy: 3, unhealthy: 2}, counts: new(checkCounts)}
		p.verdict.Store(initialVerdict)
		for _, r := range tc.results {
			reason := map[rune]string{'P': "", 'F': ReasonTimeout, 'M': ReasonResponseCodeMismatch}[r]
			h.record(p, reason)
		}
		if v := p.verdict.Load(); v.status != tc.status || v.reason != tc.reason {
			t.Errorf("%q: %s %q, want %s %q", tc.results, v.status, v.reason, tc.status, tc.reason)
		}
	}
}
