package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

// rawTarget is a target on a loopback port that reads each request and
// then does what serve says with the raw connection. Its connections are
// closed when the test ends.
func rawTarget(t testing.TB, serve func(c net.Conn, stop <-chan struct{})) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				serve(c, stop)
			}()
		}
	}()
	t.Cleanup(func() {
		close(stop)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return netip.MustParseAddrPort(ln.Addr().String())
}

// faultWorld is one service, open to all, forwarding to one target, with
// its access log on stdout.
func faultWorld(t testing.TB, target netip.AddrPort) *snapshot.State {
	w := lt.New(t, region)
	sn := w.ServiceNetwork(lt.Account, "main", model.AuthNone)
	w.AssociateVPC(sn, vpcMain)
	w.AccessLog(sn.Meta, "arn:aws:logs:us-east-1:111122223333:log-group:stdout")
	tg := w.TargetGroup(lt.Account, "web", target)
	svc := w.Service(lt.Account, "web", model.AuthNone, "web.example.com")
	w.Associate(sn, svc)
	w.Listener(svc, 80, lt.Forward([]*model.TargetGroup{tg}))
	return &snapshot.State{Lattice: w.Build(), Identity: lt.Identities(t, time.Now())}
}

// TestUpstreamFaults sends a request through the gateway to targets that
// misbehave in every way a real one can, and checks what the caller gets,
// how long it takes, what the access log says and what the gateway logs.
// The gateway must never crash or hang.
func TestUpstreamFaults(t *testing.T) {
	const timeout = 300 * time.Millisecond
	write := func(s string) func(net.Conn, <-chan struct{}) {
		return func(c net.Conn, _ <-chan struct{}) { io.WriteString(c, s) }
	}
	tests := []struct {
		name   string
		serve  func(c net.Conn, stop <-chan struct{})
		refuse bool // no target listens on the port
		status int
		// body is the whole body the caller must receive; truncated means
		// the caller must see the body cut off instead.
		body      string
		truncated bool
		failure   string        // the access log's failureReason
		log       string        // in the gateway's log
		atLeast   time.Duration // the answer takes at least this long
	}{
		{name: "answers", serve: write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), status: 200, body: "ok", failure: "-"},
		{name: "answers slowly, within the timeout", serve: func(c net.Conn, _ <-chan struct{}) {
			time.Sleep(timeout / 3)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")
		}, status: 200, body: "slow", failure: "-"},
		{name: "streams for longer than the timeout once started", serve: func(c net.Conn, _ <-chan struct{}) {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
			for i := range 4 {
				time.Sleep(timeout / 2)
				io.WriteString(c, "1\r\n"+string(rune('a'+i))+"\r\n")
			}
			io.WriteString(c, "0\r\n\r\n")
		}, status: 200, body: "abcd", failure: "-", atLeast: 2 * timeout},
		{name: "hangs", serve: func(c net.Conn, stop <-chan struct{}) { <-stop },
			status: 504, body: "GatewayTimeout: the target did not answer in time", failure: "TargetTimeout", log: "target timed out", atLeast: timeout},
		{name: "sends headers too slowly", serve: func(c net.Conn, stop <-chan struct{}) {
			io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			<-stop
		}, status: 504, body: "GatewayTimeout: the target did not answer in time", failure: "TargetTimeout", log: "target timed out", atLeast: timeout},
		{name: "resets the connection", serve: func(c net.Conn, _ <-chan struct{}) {
			c.(*net.TCPConn).SetLinger(0) // close sends RST
		}, status: 502, body: "BadGateway: the target did not answer", failure: "TargetConnectionError", log: "target unreachable"},
		{name: "closes without answering", serve: func(net.Conn, <-chan struct{}) {},
			status: 502, body: "BadGateway: the target did not answer", failure: "TargetConnectionError", log: "target unreachable"},
		{name: "answers garbage", serve: write("SSH-2.0-OpenSSH_9.6\r\n\r\n"),
			status: 502, body: "BadGateway: the target did not answer", failure: "TargetConnectionError", log: "target unreachable"},
		{name: "answers a malformed status line", serve: write("HTTP/1.1 2OO OK\r\n\r\n"),
			status: 502, body: "BadGateway: the target did not answer", failure: "TargetConnectionError", log: "target unreachable"},
		{name: "answers a header without a colon", serve: write("HTTP/1.1 200 OK\r\nbroken header\r\n\r\n"),
			status: 502, body: "BadGateway: the target did not answer", failure: "TargetConnectionError", log: "target unreachable"},
		{name: "closes in the middle of a body with a length", serve: write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"),
			status: 200, truncated: true, failure: "TargetResponseIncomplete", log: "answer from target cut short"},
		{name: "closes in the middle of a chunked body", serve: write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
			status: 200, truncated: true, failure: "TargetResponseIncomplete", log: "answer from target cut short"},
		{name: "refuses connections", refuse: true,
			status: 502, body: "BadGateway: the target did not answer", failure: "TargetConnectionError", log: "target unreachable"},
	}
	// A request without a body goes to the gateway's own client directly;
	// one with a body through the transport and its timeout wrapper.
	for _, tt := range tests {
		for _, method := range []string{"GET", "POST"} {
			t.Run(method+" "+tt.name, func(t *testing.T) {
				var target netip.AddrPort
				if tt.refuse {
					ln, err := net.Listen("tcp", "127.0.0.1:0")
					if err != nil {
						t.Fatal(err)
					}
					target = netip.MustParseAddrPort(ln.Addr().String())
					ln.Close() // nothing listens there now
				} else {
					target = rawTarget(t, tt.serve)
				}
				state := faultWorld(t, target)
				accessLog, logs := &syncBuffer{}, &syncBuffer{}
				g, err := gateway.New(gateway.Config{Region: region, State: func() *snapshot.State { return state },
					AccessLogs: gateway.NewAccessLogs(t.TempDir(), accessLog), UpstreamTimeout: timeout,
					Logger: slog.New(slog.NewTextHandler(logs, nil))})
				if err != nil {
					t.Fatal(err)
				}
				run, err := g.Start([]gateway.Ingress{{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 80}})
				if err != nil {
					t.Fatal(err)
				}
				defer func() {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					if err := run.Shutdown(ctx); err != nil {
						t.Errorf("shutdown: %v", err)
					}
				}()

				client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}, Timeout: 10 * time.Second}
				var reqBody io.Reader
				if method == "POST" {
					reqBody = strings.NewReader("x")
				}
				req, err := http.NewRequest(method, "http://"+run.Addrs()[0].String()+"/work", reqBody)
				if err != nil {
					t.Fatal(err)
				}
				req.Host = "web.example.com"
				start := time.Now()
				resp, err := client.Do(req)
				var body []byte
				var readErr error
				if err == nil {
					body, readErr = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				took := time.Since(start)
				switch {
				case tt.truncated:
					// The status line may or may not have left the gateway
					// before it closed the connection; either way the caller
					// must not take the answer for a whole one.
					if err == nil && readErr == nil {
						t.Errorf("the caller read a whole answer, %d %q; it must see it cut off", resp.StatusCode, body)
					}
				case err != nil:
					t.Fatalf("no answer: %v", err)
				case resp.StatusCode != tt.status || readErr != nil || string(body) != tt.body:
					t.Errorf("%d %q (read error %v), want %d %q", resp.StatusCode, body, readErr, tt.status, tt.body)
				}
				if took < tt.atLeast || took > tt.atLeast+5*time.Second {
					t.Errorf("answered after %v, want at least %v and not much more", took, tt.atLeast)
				}
				if tt.log != "" && !strings.Contains(logs.String(), tt.log) {
					t.Errorf("the gateway did not log %q:\n%s", tt.log, logs)
				}
				if strings.Contains(logs.String(), "panic") {
					t.Errorf("the gateway logged a panic:\n%s", logs)
				}
				// The access log line is written when the handler returns,
				// which may be just after the caller saw the end.
				var e gateway.Entry
				for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
					if line := strings.TrimSpace(accessLog.String()); line != "" {
						if err := json.Unmarshal([]byte(line), &e); err != nil {
							t.Fatalf("access log %q: %v", line, err)
						}
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("no access log line")
					}
				}
				if e.FailureReason != tt.failure || e.ResponseCode != tt.status || e.TargetIPPort != target.String() {
					t.Errorf("access log: failureReason %q, responseCode %d, targetIpPort %q; want %q, %d, %q", e.FailureReason, e.ResponseCode, e.TargetIPPort, tt.failure, tt.status, target)
				}
			})
		}
	}
}

// flappingTarget is an HTTP target on a fixed loopback port that can be
// stopped (connections are then refused) and started again.
type flappingTarget struct {
	addr   netip.AddrPort
	name   string
	srv    *http.Server
	served map[string]int
	mu     *sync.Mutex
}

func (f *flappingTarget) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", f.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	f.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			f.mu.Lock()
			f.served[f.name]++
			f.mu.Unlock()
		}
		io.WriteString(w, f.name)
	})}
	go f.srv.Serve(ln)
}

func (f *flappingTarget) stop() { f.srv.Close() }

// TestTargetDownAndBack stops a target process and starts it again: health
// checks mark it down, requests go to the other target meanwhile (and get
// 503 when none is left), and it takes requests again once it is back.
func TestTargetDownAndBack(t *testing.T) {
	served, mu := map[string]int{}, &sync.Mutex{}
	var targets []*flappingTarget
	for _, name := range []string{"a", "b"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		f := &flappingTarget{addr: netip.MustParseAddrPort(ln.Addr().String()), name: name, served: served, mu: mu}
		ln.Close()
		f.start(t)
		t.Cleanup(f.stop)
		targets = append(targets, f)
	}
	a, b := targets[0], targets[1]
	w := lt.New(t, region)
	sn := w.ServiceNetwork(lt.Account, "main", model.AuthNone)
	w.AssociateVPC(sn, vpcMain)
	tg := w.TargetGroupHealth(lt.Account, "web", model.ProtocolVersionHTTP1, healthCheck(true, ""), a.addr, b.addr)
	svc := w.Service(lt.Account, "web", model.AuthNone, "web.example.com")
	w.Associate(sn, svc)
	w.Listener(svc, 80, lt.Forward([]*model.TargetGroup{tg}))
	var state atomic.Pointer[snapshot.State]
	state.Store(&snapshot.State{Lattice: w.Build(), Identity: lt.Identities(t, time.Now())})
	h := runChecker(t, &state)
	var n atomic.Int64
	g, err := gateway.New(gateway.Config{Region: region, State: state.Load, Health: h, Logger: quiet,
		Rand: func(k int) int {
			if k == model.DefaultSingleWeight {
				return 0 // the only target group
			}
			return int(n.Add(1)) % k
		}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.Start([]gateway.Ingress{{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 80}})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(context.Background())
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	waitFor := func(f *flappingTarget, want gateway.TargetStatus) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if status, _, _ := h.TargetHealth(tg.ID, f.addr.Addr().String(), int(f.addr.Port())); status == string(want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("target %s is not %s after 10s", f.name, want)
			}
		}
	}
	for _, step := range []struct {
		name         string
		act          func()
		wait         map[*flappingTarget]gateway.TargetStatus
		status       int
		aGets, bGets bool
	}{
		{"both up", func() {}, map[*flappingTarget]gateway.TargetStatus{a: gateway.TargetHealthy, b: gateway.TargetHealthy}, 200, true, true},
		{"b stops", b.stop, map[*flappingTarget]gateway.TargetStatus{b: gateway.TargetUnhealthy}, 200, true, false},
		{"a stops too", a.stop, map[*flappingTarget]gateway.TargetStatus{a: gateway.TargetUnhealthy}, 503, false, false},
		{"b is back", func() { b.start(t) }, map[*flappingTarget]gateway.TargetStatus{b: gateway.TargetHealthy}, 200, false, true},
		{"a is back", func() { a.start(t) }, map[*flappingTarget]gateway.TargetStatus{a: gateway.TargetHealthy}, 200, true, true},
	} {
		step.act()
		for f, s := range step.wait {
			waitFor(f, s)
		}
		mu.Lock()
		clear(served)
		mu.Unlock()
		for i := range 10 {
			req, _ := http.NewRequest("GET", "http://"+run.Addrs()[0].String()+"/work", nil)
			req.Host = "web.example.com"
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s, call %d: %v", step.name, i, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != step.status {
				t.Errorf("%s, call %d: status %d, want %d", step.name, i, resp.StatusCode, step.status)
			}
		}
		mu.Lock()
		if (served["a"] > 0) != step.aGets || (served["b"] > 0) != step.bGets {
			t.Errorf("%s: a served %d, b served %d; want a serving %v, b serving %v", step.name, served["a"], served["b"], step.aGets, step.bGets)
		}
		mu.Unlock()
	}
}
