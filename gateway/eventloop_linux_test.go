package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/snapshot"
)

// loopService serves target as billing.example.com through an ingress
// served by event loops.
func loopService(t *testing.T, target http.Handler, in gateway.Ingress) (string, *gateway.Running) {
	return engineGateway(t, engineTarget(t, target), gateway.EngineEventLoop, in, nil)
}

// readAnswers reads n answers from br and returns their status and body.
func readAnswers(t *testing.T, br *bufio.Reader, n int) []string {
	t.Helper()
	var got []string
	for range n {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", len(got)+1, err)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("answer %d: %v", len(got)+1, err)
		}
		got = append(got, fmt.Sprintf("%d %s", resp.StatusCode, b))
	}
	return got
}

func dialLoop(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

// TestEventLoopConnection checks what a connection to an event loop can
// carry: pipelined requests answered in order, and requests the loop hands
// to net/http's server (a body, Expect, HTTP/1.0, an absolute target, a
// second Host) answered the same way, with the connection going on.
func TestEventLoopConnection(t *testing.T) {
	addr, _ := loopService(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s body=%q", r.Method, r.URL.Path, r.Header.Get("X-Amzn-Lattice-Identity"), b)
	}), gateway.Ingress{})
	get := func(path string) string {
		return "GET " + path + " HTTP/1.1\r\nHost: billing.example.com\r\n\r\n"
	}
	for _, tt := range []struct {
		name string
		send string
		want []string
	}{
		{"pipelined", get("/a") + get("/b") + get("/c"),
			[]string{`200 GET /a Type=Anonymous body=""`, `200 GET /b Type=Anonymous body=""`, `200 GET /c Type=Anonymous body=""`}},
		{"a body, then a request the loop serves",
			"POST /p HTTP/1.1\r\nHost: billing.example.com\r\nContent-Length: 3\r\n\r\nabc" + get("/after"),
			[]string{`200 POST /p Type=Anonymous body="abc"`, `200 GET /after Type=Anonymous body=""`}},
		{"chunked body",
			"PUT /c HTTP/1.1\r\nHost: billing.example.com\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
			[]string{`200 PUT /c Type=Anonymous body="hi"`}},
		{"HTTP/1.0", "GET /old HTTP/1.0\r\nHost: billing.example.com\r\nConnection: keep-alive\r\n\r\n" + get("/new"),
			[]string{`200 GET /old Type=Anonymous body=""`, `200 GET /new Type=Anonymous body=""`}},
		{"absolute target", "GET http://billing.example.com/abs HTTP/1.1\r\nHost: billing.example.com\r\n\r\n",
			[]string{`200 GET /abs Type=Anonymous body=""`}},
		{"spoofed identity stripped", "GET /s HTTP/1.1\r\nHost: billing.example.com\r\nX-Amzn-Lattice-Identity: Principal=arn:aws:iam::111111111111:root\r\n\r\n",
			[]string{`200 GET /s Type=Anonymous body=""`}},
		{"unknown service", "GET / HTTP/1.1\r\nHost: nobody.example.com\r\n\r\n" + get("/then"),
			[]string{`404 NotFoundException: no service named nobody.example.com is reachable from this VPC`, `200 GET /then Type=Anonymous body=""`}},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", []string{"400 400 Bad Request: missing required Host header"}},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: billing.example.com\r\nHost: other.example.com\r\n\r\n", []string{"400 400 Bad Request"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, br := dialLoop(t, addr)
			io.WriteString(c, tt.send)
			got := readAnswers(t, br, len(tt.want))
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Errorf("answer %d = %q, want %q", i+1, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestEventLoopSlowCaller checks that answers a caller does not read at
// once are kept and sent whole, in order, when it reads.
func TestEventLoopSlowCaller(t *testing.T) {
	big := strings.Repeat("x", 200<<10)
	addr, _ := loopService(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Path+" "+big)
	}), gateway.Ingress{})
	c, br := dialLoop(t, addr)
	const n = 20
	var req strings.Builder
	for i := range n {
		fmt.Fprintf(&req, "GET /%d HTTP/1.1\r\nHost: billing.example.com\r\n\r\n", i)
	}
	io.WriteString(c, req.String())
	time.Sleep(300 * time.Millisecond) // the loop fills the socket and waits
	for i, got := range readAnswers(t, br, n) {
		if want := fmt.Sprintf("200 /%d %s", i, big); got != want {
			t.Fatalf("answer %d: %d bytes starting %q, want %d bytes", i, len(got), got[:min(len(got), 20)], len(want))
		}
	}
}

// TestEventLoopCallerGone checks that a caller that goes away while its
// target works has the exchange abandoned: the target's connection is
// closed, so the target sees the request cancelled.
func TestEventLoopCallerGone(t *testing.T) {
	cancelled := make(chan struct{}, 1)
	addr, _ := loopService(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			cancelled <- struct{}{}
		case <-time.After(5 * time.Second):
		}
	}), gateway.Ingress{})
	c, _ := dialLoop(t, addr)
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
	time.Sleep(100 * time.Millisecond)
	c.Close()
	select {
	case <-cancelled:
	case <-time.After(3 * time.Second):
		t.Fatal("the target's request was not cancelled after the caller left")
	}
}

// TestEventLoopTargetAnswers checks answers the loop relays rather than
// holds (streamed, chunked with trailers, a body or a head larger than it
// holds), and a target that closes its connection after an answer.
func TestEventLoopTargetAnswers(t *testing.T) {
	large := strings.Repeat("y", 1<<20)
	var served atomic.Int32
	addr, _ := loopService(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		switch r.URL.Path {
		case "/stream":
			w.Header().Set("Trailer", "X-Sum")
			for i := range 3 {
				fmt.Fprintf(w, "part%d;", i)
				w.(http.Flusher).Flush()
			}
			w.Header().Set("X-Sum", "3")
		case "/large":
			io.WriteString(w, large)
		case "/huge-head":
			w.Header().Set("X-Big", strings.Repeat("h", 70<<10))
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "closing")
		default:
			io.WriteString(w, "ok")
		}
	}), gateway.Ingress{})
	c, br := dialLoop(t, addr)
	send := func(path string) *http.Response {
		t.Helper()
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: billing.example.com\r\n\r\n", path)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return resp
	}
	resp := send("/stream")
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "part0;part1;part2;" || resp.Trailer.Get("X-Sum") != "3" {
		t.Errorf("streamed answer %q, trailer %q", b, resp.Trailer)
	}
	resp = send("/large")
	if b, _ = io.ReadAll(resp.Body); len(b) != len(large) {
		t.Errorf("large answer: %d bytes, want %d", len(b), len(large))
	}
	resp = send("/huge-head")
	if resp.StatusCode != http.StatusOK || len(resp.Header.Get("X-Big")) != 70<<10 {
		t.Errorf("answer head over 64 KiB: %d, X-Big of %d bytes", resp.StatusCode, len(resp.Header.Get("X-Big")))
	}
	// A fresh connection: the one above went to net/http's server with
	// the relayed answers.
	c, br = dialLoop(t, addr)
	for _, path := range []string{"/close", "/after-close", "/again"} {
		resp = send(path)
		b, _ = io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d %q", path, resp.StatusCode, b)
		}
	}
	if n := served.Load(); n != 6 {
		t.Errorf("the target served %d requests, want 6", n)
	}
}

// TestEventLoopShutdown checks that Shutdown lets a request in flight
// finish, closes idle connections and stops accepting.
func TestEventLoopShutdown(t *testing.T) {
	started := make(chan struct{})
	addr, run := loopService(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			time.Sleep(300 * time.Millisecond)
		}
		io.WriteString(w, "done")
	}), gateway.Ingress{})
	idle, idleBr := dialLoop(t, addr)
	io.WriteString(idle, "GET / HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
	readAnswers(t, idleBr, 1)
	busy, busyBr := dialLoop(t, addr)
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- run.Shutdown(context.Background()) }()
	if got := readAnswers(t, busyBr, 1); got[0] != "200 done" {
		t.Errorf("request in flight: %q", got)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if _, err := idleBr.ReadByte(); err != io.EOF {
		t.Errorf("idle connection after Shutdown: %v, want EOF", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("still accepting after Shutdown")
	}
}

// TestEngineConfig checks the engines an ingress can name.
func TestEngineConfig(t *testing.T) {
	g, err := gateway.New(gateway.Config{Region: region, State: func() *snapshot.State { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		in   gateway.Ingress
		want string
	}{
		{gateway.Ingress{Engine: "nginx"}, `unknown engine "nginx"`},
		{gateway.Ingress{Engine: gateway.EngineEventLoop, EventLoops: -1}, "eventLoops -1 is negative"},
		{gateway.Ingress{Engine: gateway.EngineEventLoop, TLS: &gateway.IngressTLS{CertFile: "c", KeyFile: "k"}}, "plain HTTP only"},
		{gateway.Ingress{Engine: gateway.EngineEventLoop, ProxyProtocol: &gateway.ProxyProtocol{TrustedPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}, "PROXY protocol"},
	} {
		tt.in.Listen, tt.in.VPC = "127.0.0.1:0", vpcMain
		_, err := g.Start([]gateway.Ingress{tt.in})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("engine %q: %v, want an error containing %q", tt.in.Engine, err, tt.want)
		}
	}
}
