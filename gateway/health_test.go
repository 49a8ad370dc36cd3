package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

// healthTarget is a target whose health endpoint, /health, answers 200
// or 503 as told, and which counts the other requests it serves and the
// HTTP versions of the health checks it receives.
type healthTarget struct {
	addr    netip.AddrPort
	healthy atomic.Bool
	served  atomic.Int64
	checks  atomic.Int64
	proto   atomic.Int64 // major HTTP version of the last health check
}

func newHealthTarget(t testing.TB, healthy bool) *healthTarget {
	ht := &healthTarget{}
	ht.healthy.Store(healthy)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			ht.checks.Add(1)
			ht.proto.Store(int64(r.ProtoMajor))
			if r.UserAgent() != gateway.HealthUserAgent {
				t.Errorf("health check User-Agent %q", r.UserAgent())
			}
			if !ht.healthy.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			return
		}
		ht.served.Add(1)
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	ht.addr = netip.MustParseAddrPort(srv.Listener.Addr().String())
	return ht
}

// healthCheck returns a health check configuration on /health with
// thresholds of 2 and the matcher 200-299.
func healthCheck(enabled bool, version string) *model.HealthCheckConfig {
	two, path, codes := 2, "/health", "200-299"
	return &model.HealthCheckConfig{Enabled: &enabled, HealthyThresholdCount: &two, UnhealthyThresholdCount: &two,
		Path: &path, Matcher: &model.Matcher{HTTPCode: &codes}, ProtocolVersion: version}
}

// healthWorld is one service, open to all, forwarding to one target group
// of targets, with its access log on stdout.
func healthWorld(t testing.TB, hc *model.HealthCheckConfig, targets ...*healthTarget) (*snapshot.State, *model.TargetGroup) {
	w := lt.New(t, region)
	sn := w.ServiceNetwork(lt.Account, "main", model.AuthNone)
	w.AssociateVPC(sn, vpcMain)
	w.AccessLog(sn.Meta, "arn:aws:logs:us-east-1:111122223333:log-group:stdout")
	var addrs []netip.AddrPort
	for _, ht := range targets {
		addrs = append(addrs, ht.addr)
	}
	tg := w.TargetGroupHealth(lt.Account, "web", model.ProtocolVersionHTTP1, hc, addrs...)
	svc := w.Service(lt.Account, "web", model.AuthNone, "web.example.com")
	w.Associate(sn, svc)
	w.Listener(svc, 80, lt.Forward([]*model.TargetGroup{tg}))
	return &snapshot.State{Lattice: w.Build(), Identity: lt.Identities(t, time.Now())}, tg
}

// quiet discards logs.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fastChecks makes a health check interval 20ms and its timeout 200ms.
func fastChecks(int, int) (time.Duration, time.Duration) {
	return 20 * time.Millisecond, 200 * time.Millisecond
}

// runChecker starts a HealthChecker over state and stops it when the test
// ends.
func runChecker(t *testing.T, state *atomic.Pointer[snapshot.State]) *gateway.HealthChecker {
	h, err := gateway.NewHealthChecker(gateway.HealthConfig{State: state.Load, Follow: 10 * time.Millisecond, Durations: fastChecks, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return h
}

// waitStatus waits until a target has a status.
func waitStatus(t *testing.T, h *gateway.HealthChecker, tg *model.TargetGroup, ht *healthTarget, want gateway.TargetStatus, wantReason string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, reason, ok := h.TargetHealth(tg.ID, ht.addr.Addr().String(), int(ht.addr.Port()))
		if ok && status == string(want) && reason == wantReason {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("target %s: status %q %q (checked: %v), want %q %q", ht.addr, status, reason, ok, want, wantReason)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHealthRouting flips targets between healthy and unhealthy and checks
// that only healthy targets receive requests, that a target group without
// one answers 503, and that targets recover.
func TestHealthRouting(t *testing.T) {
	a, b := newHealthTarget(t, true), newHealthTarget(t, true)
	st, tg := healthWorld(t, healthCheck(true, ""), a, b)
	var state atomic.Pointer[snapshot.State]
	state.Store(st)
	h := runChecker(t, &state)
	logs := &syncBuffer{}
	var n atomic.Int64
	g, err := gateway.New(gateway.Config{Region: region, State: state.Load, Health: h, AccessLogs: gateway.NewAccessLogs(t.TempDir(), logs),
		Rand: func(k int) int {
			if k == model.DefaultSingleWeight {
				return 0 // the only target group
			}
			return int(n.Add(1)) % k
		}})
	if err != nil {
		t.Fatal(err)
	}
	handler, err := g.Handler(gateway.Ingress{Listen: "127.0.0.1:80", VPC: vpcMain})
	if err != nil {
		t.Fatal(err)
	}
	call := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "http://web.example.com/work", nil)
		r.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		return rec
	}
	for _, step := range []struct {
		name             string
		aHealthy         bool
		bHealthy         bool
		aStatus, bStatus gateway.TargetStatus
		aReason, bReason string
		code             int
	}{
		{"both healthy", true, true, gateway.TargetHealthy, gateway.TargetHealthy, "", "", http.StatusOK},
		{"b unhealthy", true, false, gateway.TargetHealthy, gateway.TargetUnhealthy, "", gateway.ReasonResponseCodeMismatch, http.StatusOK},
		{"all unhealthy", false, false, gateway.TargetUnhealthy, gateway.TargetUnhealthy, gateway.ReasonResponseCodeMismatch, gateway.ReasonResponseCodeMismatch, http.StatusServiceUnavailable},
		{"a recovers", true, false, gateway.TargetHealthy, gateway.TargetUnhealthy, "", gateway.ReasonResponseCodeMismatch, http.StatusOK},
		{"both recover", true, true, gateway.TargetHealthy, gateway.TargetHealthy, "", "", http.StatusOK},
	} {
		a.healthy.Store(step.aHealthy)
		b.healthy.Store(step.bHealthy)
		waitStatus(t, h, tg, a, step.aStatus, step.aReason)
		waitStatus(t, h, tg, b, step.bStatus, step.bReason)
		a.served.Store(0)
		b.served.Store(0)
		for range 10 {
			if rec := call(); rec.Code != step.code {
				t.Fatalf("%s: status %d, want %d: %s", step.name, rec.Code, step.code, rec.Body)
			}
		}
		for _, c := range []struct {
			ht      *healthTarget
			healthy bool
		}{{a, step.aHealthy}, {b, step.bHealthy}} {
			if got := c.ht.served.Load(); c.healthy != (got > 0) {
				t.Errorf("%s: target %s (healthy %v) served %d requests", step.name, c.ht.addr, c.healthy, got)
			}
		}
	}
	// The 503s are in the access log, with the reason.
	var unavailable int
	for line := range strings.Lines(logs.String()) {
		var e gateway.Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.ResponseCode == http.StatusServiceUnavailable {
			unavailable++
			if e.FailureReason != "NoHealthyTargets" || e.TargetGroupArn != tg.ARN {
				t.Errorf("access log of a 503: %+v", e)
			}
		}
	}
	if unavailable != 10 {
		t.Errorf("%d access-log lines of 503s, want 10", unavailable)
	}
}

// TestHealthStates checks the statuses and reasons a target goes through,
// and that requests reach only HEALTHY targets of checked target groups.
func TestHealthStates(t *testing.T) {
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer hanging.Close()
	slow := &healthTarget{addr: netip.MustParseAddrPort(hanging.Listener.Addr().String())}
	closed := httptest.NewServer(http.NotFoundHandler())
	gone := &healthTarget{addr: netip.MustParseAddrPort(closed.Listener.Addr().String())}
	closed.Close()

	for _, tc := range []struct {
		name   string
		hc     *model.HealthCheckConfig
		target *healthTarget
		status gateway.TargetStatus
		reason string
		// checked is false when the checker does not check the target
		// group, whose targets then all take requests.
		checked bool
		code    int
	}{
		{"timeout", healthCheck(true, ""), slow, gateway.TargetUnhealthy, gateway.ReasonTimeout, true, http.StatusServiceUnavailable},
		{"refused", healthCheck(true, ""), gone, gateway.TargetUnhealthy, gateway.ReasonFailedHealthChecks, true, http.StatusServiceUnavailable},
		{"wrong code", healthCheck(true, ""), newHealthTarget(t, false), gateway.TargetUnhealthy, gateway.ReasonResponseCodeMismatch, true, http.StatusServiceUnavailable},
		{"healthy", healthCheck(true, ""), newHealthTarget(t, true), gateway.TargetHealthy, "", true, http.StatusOK},
		{"disabled", healthCheck(false, ""), newHealthTarget(t, false), "", "", false, http.StatusOK},
		{"no health check", nil, newHealthTarget(t, false), "", "", false, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, tg := healthWorld(t, tc.hc, tc.target)
			var state atomic.Pointer[snapshot.State]
			state.Store(st)
			h := runChecker(t, &state)
			g, err := gateway.New(gateway.Config{Region: region, State: state.Load, Health: h})
			if err != nil {
				t.Fatal(err)
			}
			handler, _ := g.Handler(gateway.Ingress{Listen: "127.0.0.1:80", VPC: vpcMain})
			if tc.checked {
				waitStatus(t, h, tg, tc.target, tc.status, tc.reason)
			} else {
				time.Sleep(50 * time.Millisecond) // time for checks that must not happen
				if s, r, ok := h.TargetHealth(tg.ID, tc.target.addr.Addr().String(), int(tc.target.addr.Port())); ok || tc.target.checks.Load() != 0 {
					t.Errorf("target of an unchecked target group: %q %q, %d checks", s, r, tc.target.checks.Load())
				}
			}
			r := httptest.NewRequest("GET", "http://web.example.com/work", nil)
			r.RemoteAddr = "127.0.0.1:40000"
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, r)
			if rec.Code != tc.code {
				t.Errorf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
		})
	}
}

// TestHealthInitial checks that a target gets no requests before its first
// check, and that the first passing check makes it healthy.
func TestHealthInitial(t *testing.T) {
	ht := newHealthTarget(t, true)
	st, tg := healthWorld(t, healthCheck(true, ""), ht)
	var state atomic.Pointer[snapshot.State]
	state.Store(st)
	h, err := gateway.NewHealthChecker(gateway.HealthConfig{State: state.Load, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(gateway.Config{Region: region, State: state.Load, Health: h})
	if err != nil {
		t.Fatal(err)
	}
	handler, _ := g.Handler(gateway.Ingress{Listen: "127.0.0.1:80", VPC: vpcMain})
	call := func() int {
		r := httptest.NewRequest("GET", "http://web.example.com/work", nil)
		r.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		return rec.Code
	}
	// Not running yet: the checker has not seen the target, which is
	// INITIAL.
	if code := call(); code != http.StatusServiceUnavailable {
		t.Errorf("before the first check: status %d, want 503", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	// One pass is enough, although the healthy threshold is 2.
	waitStatus(t, h, tg, ht, gateway.TargetHealthy, "")
	if code := call(); code != http.StatusOK {
		t.Errorf("after the first check: status %d, want 200", code)
	}
}

// TestHealthProtocolVersion checks that health checks use the protocol
// version of their configuration.
func TestHealthProtocolVersion(t *testing.T) {
	for _, tc := range []struct {
		version string
		major   int64
	}{{"", 1}, {model.ProtocolVersionHTTP1, 1}, {model.ProtocolVersionHTTP2, 2}} {
		t.Run("version "+tc.version, func(t *testing.T) {
			ht := newHealthTarget(t, true)
			st, tg := healthWorld(t, healthCheck(true, tc.version), ht)
			var state atomic.Pointer[snapshot.State]
			state.Store(st)
			h := runChecker(t, &state)
			waitStatus(t, h, tg, ht, gateway.TargetHealthy, "")
			if got := ht.proto.Load(); got != tc.major {
				t.Errorf("health check over HTTP/%d, want HTTP/%d", got, tc.major)
			}
		})
	}
}

// TestHealthFollowsConfig changes the configuration under a running
// checker: probes start and stop with targets, target groups and settings,
// and none is left running when the checker stops.
func TestHealthFollowsConfig(t *testing.T) {
	for _, version := range []string{model.ProtocolVersionHTTP1, model.ProtocolVersionHTTP2} {
		t.Run(version, func(t *testing.T) { testHealthFollowsConfig(t, version) })
	}
}

func testHealthFollowsConfig(t *testing.T, version string) {
	a, b, c := newHealthTarget(t, true), newHealthTarget(t, true), newHealthTarget(t, true)
	both, tg := healthWorld(t, healthCheck(true, version), a, b)
	onlyC, tgC := healthWorld(t, healthCheck(true, version), c)
	disabled, tgOff := healthWorld(t, healthCheck(false, version), a)
	baseline := runtime.NumGoroutine()

	var state atomic.Pointer[snapshot.State]
	state.Store(both)
	h, err := gateway.NewHealthChecker(gateway.HealthConfig{State: state.Load, Follow: 10 * time.Millisecond, Durations: fastChecks, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(ctx)
	}()
	checked := func(tg *model.TargetGroup, ht *healthTarget) bool {
		_, _, ok := h.TargetHealth(tg.ID, ht.addr.Addr().String(), int(ht.addr.Port()))
		return ok
	}
	waitStatus(t, h, tg, a, gateway.TargetHealthy, "")
	waitStatus(t, h, tg, b, gateway.TargetHealthy, "")

	state.Store(onlyC)
	waitStatus(t, h, tgC, c, gateway.TargetHealthy, "")
	if checked(tg, a) || checked(tg, b) {
		t.Error("targets of a target group no longer in use are still checked")
	}
	// Probes of removed targets stop: their checks stop.
	time.Sleep(50 * time.Millisecond)
	before := a.checks.Load()
	time.Sleep(100 * time.Millisecond)
	if after := a.checks.Load(); after != before {
		t.Errorf("a removed target was checked %d more times", after-before)
	}

	state.Store(disabled)
	deadline := time.Now().Add(5 * time.Second)
	for checked(tgC, c) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if checked(tgC, c) || checked(tgOff, a) {
		t.Error("targets are checked after health checks were disabled")
	}

	cancel()
	<-done
	deadline = time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after the checker stopped, %d before it started:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

// TestHealthUnusedTargetGroup checks that the targets of a target group no
// listener or rule forwards to are not checked.
func TestHealthUnusedTargetGroup(t *testing.T) {
	ht := newHealthTarget(t, true)
	w := lt.New(t, region)
	sn := w.ServiceNetwork(lt.Account, "main", model.AuthNone)
	w.AssociateVPC(sn, vpcMain)
	tg := w.TargetGroupHealth(lt.Account, "idle", model.ProtocolVersionHTTP1, healthCheck(true, ""), ht.addr)
	svc := w.Service(lt.Account, "web", model.AuthNone, "web.example.com")
	w.Associate(sn, svc)
	w.Listener(svc, 80, lt.Fixed(http.StatusNoContent))
	var state atomic.Pointer[snapshot.State]
	state.Store(&snapshot.State{Lattice: w.Build(), Identity: lt.Identities(t, time.Now())})
	h := runChecker(t, &state)
	time.Sleep(50 * time.Millisecond)
	if _, _, ok := h.TargetHealth(tg.ID, ht.addr.Addr().String(), int(ht.addr.Port())); ok || ht.checks.Load() != 0 {
		t.Errorf("a target of an unused target group is checked (%d checks)", ht.checks.Load())
	}
}

// TestHealthSettingsChange changes the matcher of a checked target group:
// the new setting applies to the next checks.
func TestHealthSettingsChange(t *testing.T) {
	ht := newHealthTarget(t, true)
	before, tg := healthWorld(t, healthCheck(true, ""), ht)
	hc := healthCheck(true, "")
	only503 := "503"
	hc.Matcher.HTTPCode = &only503
	after, tgAfter := healthWorld(t, hc, ht)
	if tg.ID != tgAfter.ID {
		t.Fatalf("the two configurations name the target group %s and %s", tg.ID, tgAfter.ID)
	}
	var state atomic.Pointer[snapshot.State]
	state.Store(before)
	h := runChecker(t, &state)
	waitStatus(t, h, tg, ht, gateway.TargetHealthy, "")
	state.Store(after)
	waitStatus(t, h, tg, ht, gateway.TargetUnhealthy, gateway.ReasonResponseCodeMismatch)
}
