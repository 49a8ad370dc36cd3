package gateway_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trellisproject/trellis/gateway"
)

// TestFailClosed checks what the gateway does while its configuration may
// be out of date: by default it answers every request 503, whatever the
// service's auth type, and reaches no target; with ServeStale it serves
// from the last good configuration. Both log the change once, export it as
// trellis_config_stale, and return to normal when the configuration is
// current again.
func TestFailClosed(t *testing.T) {
	requests := []struct {
		name       string
		open       bool // through the open VPC's ingress
		host       string
		sign       signing
		okStatus   int
		okTarget   bool
		staleCause string
	}{
		{name: "AWS_IAM service, allowed caller", host: "secure.example.com", sign: v4Alice, okStatus: 200, okTarget: true},
		{name: "AWS_IAM service, denied caller", host: "secure.example.com", sign: v4Bob, okStatus: 403},
		{name: "NONE service in an AWS_IAM network", host: "open.example.com", okStatus: 200, okTarget: true},
		{name: "NONE on both layers", open: true, host: "hidden.example.com", okStatus: 200, okTarget: true},
		{name: "unknown host", host: "nowhere.example.com", okStatus: 404},
	}
	for _, serveStale := range []bool{false, true} {
		name := "refuse"
		if serveStale {
			name = "serve stale"
		}
		t.Run(name, func(t *testing.T) {
			var stale atomic.Pointer[error]
			fresh := func() error {
				if e := stale.Load(); e != nil {
					return *e
				}
				return nil
			}
			logs := &syncBuffer{}
			metrics := gateway.NewMetrics(gateway.MetricsConfig{Fresh: fresh})
			l := startLab(t, func(c *gateway.Config) {
				c.Fresh, c.ServeStale, c.Metrics = fresh, serveStale, metrics
				c.Logger = slog.New(slog.NewTextHandler(logs, nil))
			})
			hits := func() int64 { return l.hits["alpha"].Load() + l.hits["beta"].Load() + l.hits["gamma"].Load() }
			check := func(t *testing.T, phase string, refusing bool) {
				t.Helper()
				for _, rq := range requests {
					ing := l.main
					if rq.open {
						ing = l.open
					}
					before := hits()
					req := l.request(t, ing, "GET", rq.host, "/a", nil, rq.sign)
					resp, err := l.client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					reached := hits() != before
					wantStatus, wantTarget := rq.okStatus, rq.okTarget
					if refusing {
						wantStatus, wantTarget = http.StatusServiceUnavailable, false
					}
					if resp.StatusCode != wantStatus || reached != wantTarget {
						t.Errorf("%s, %s: %d (target reached: %v) %q; want %d (target reached: %v)", phase, rq.name, resp.StatusCode, reached, body, wantStatus, wantTarget)
					}
					if refusing && (resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(body), "cannot confirm that its configuration is current")) {
						t.Errorf("%s, %s: the 503 lacks Retry-After or its message: %v %q", phase, rq.name, resp.Header, body)
					}
				}
			}
			scrape := func() string {
				rec := httptest.NewRecorder()
				metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
				return rec.Body.String()
			}

			check(t, "fresh", false)
			err := errors.New("the store cannot be read: disk I/O error")
			stale.Store(&err)
			check(t, "stale", !serveStale)
			if m := scrape(); !strings.Contains(m, "trellis_config_stale 1\n") {
				t.Errorf("trellis_config_stale is not 1 while stale:\n%s", m)
			}
			if m := scrape(); !serveStale && !strings.Contains(m, `decision="unavailable"`) {
				t.Errorf("the refused requests are not counted as unavailable:\n%s", m)
			}
			wantLog := "refusing every request with 503"
			if serveStale {
				wantLog = "serving requests from the last good configuration"
			}
			if n := strings.Count(logs.String(), wantLog); n != 1 {
				t.Errorf("%q logged %d times, want once:\n%s", wantLog, n, logs)
			}
			if !strings.Contains(logs.String(), "disk I/O error") {
				t.Errorf("the log does not say why:\n%s", logs)
			}

			stale.Store(nil)
			check(t, "current again", false)
			if m := scrape(); !strings.Contains(m, "trellis_config_stale 0\n") {
				t.Errorf("trellis_config_stale is not 0 after recovery:\n%s", m)
			}
			if n := strings.Count(logs.String(), "the configuration is current again; serving requests"); n != 1 {
				t.Errorf("recovery logged %d times, want once:\n%s", n, logs)
			}
		})
	}
}
