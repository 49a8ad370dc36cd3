package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// countingListener counts the connections a test server accepts.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func newCountingServer(t *testing.T, h http.Handler) (*httptest.Server, *countingListener) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	cl := &countingListener{Listener: srv.Listener}
	srv.Listener = cl
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, cl
}

func do(t *testing.T, c *h1Client, method, url string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return resp, string(b)
}

func TestH1ClientExchanges(t *testing.T) {
	srv, conns := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte("part one, "))
			w.(http.Flusher).Flush()
			w.Write([]byte("part two"))
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		case "/trailer":
			w.Header().Set("Trailer", "Grpc-Status")
			io.WriteString(w, "body")
			w.Header().Set("Grpc-Status", "0")
		case "/continue":
			w.WriteHeader(http.StatusEarlyHints)
			io.WriteString(w, "after hints")
		default:
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s %s te=%q", r.Method, r.URL.RequestURI(), b, r.Header.Get("Te"))
		}
	}))
	c := newH1Client()
	defer c.CloseIdleConnections()

	tests := []struct {
		method, path, body, want string
		status                   int
	}{
		{"GET", "/a?x=1", "", `GET /a?x=1  te=""`, 200},
		{"POST", "/b", "payload", `POST /b payload te=""`, 200},
		{"HEAD", "/c", "", "", 200},
		{"GET", "/chunked", "", "part one, part two", 200},
		{"GET", "/trailer", "", "body", 200},
		{"GET", "/continue", "", "after hints", 200},
	}
	for _, tt := range tests {
		var body io.Reader
		if tt.body != "" {
			body = strings.NewReader(tt.body)
		}
		resp, got := do(t, c, tt.method, srv.URL+tt.path, body)
		if resp.StatusCode != tt.status || got != tt.want {
			t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, resp.StatusCode, got, tt.status, tt.want)
		}
		if tt.path == "/trailer" && resp.Trailer.Get("Grpc-Status") != "0" {
			t.Errorf("trailer lost: %v", resp.Trailer)
		}
	}
	if n := conns.n.Load(); n != 1 {
		t.Errorf("%d connections for %d sequential requests, want 1 (reuse)", n, len(tests))
	}

	// A target that closes the connection gets a new one next time.
	do(t, c, "GET", srv.URL+"/close", nil)
	do(t, c, "GET", srv.URL+"/after-close", nil)
	if n := conns.n.Load(); n != 2 {
		t.Errorf("%d connections after Connection: close, want 2", n)
	}
}

// TestH1ClientStaleConnection checks that a request on a pooled connection
// the target has closed meanwhile is sent again on a new one.
func TestH1ClientStaleConnection(t *testing.T) {
	srv, conns := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	c := newH1Client()
	defer c.CloseIdleConnections()
	do(t, c, "GET", srv.URL+"/", nil)
	srv.CloseClientConnections() // the target drops the idle connection
	time.Sleep(20 * time.Millisecond)
	if _, got := do(t, c, "GET", srv.URL+"/", nil); got != "ok" {
		t.Errorf("after the target closed the idle connection: %q", got)
	}
	if n := conns.n.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// TestH1ClientEarlyClose checks that a body closed before its end does not
// put a connection with unread bytes back in the pool.
func TestH1ClientEarlyClose(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	srv, conns := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) }))
	c := newH1Client()
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	io.ReadFull(resp.Body, buf)
	resp.Body.Close()
	if _, got := do(t, c, "GET", srv.URL+"/", nil); len(got) != len(big) {
		t.Errorf("second answer has %d bytes, want %d", len(got), len(big))
	}
	if n := conns.n.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the first one was not reusable)", n)
	}
}

func TestH1ClientCancel(t *testing.T) {
	release := make(chan struct{})
	srv, _ := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer close(release)
	c := newH1Client()
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/", nil)
	start := time.Now()
	_, err := c.RoundTrip(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("RoundTrip returned after %v", d)
	}
}

func TestH1ClientUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := newH1Client()
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	if _, err := c.RoundTrip(req); err == nil {
		t.Error("a request to a closed port succeeded")
	}
}

// TestH1ClientGarbage checks that an answer that is not HTTP is an error,
// not a hang or a panic.
func TestH1ClientGarbage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		bufio.NewReader(conn).ReadString('\n')
		conn.Write([]byte("SSH-2.0-OpenSSH\r\n\r\n"))
		conn.Close()
	}()
	c := newH1Client()
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/", nil)
	if _, err := c.RoundTrip(req); err == nil {
		t.Error("garbage was taken for an answer")
	}
}

// TestForwardHead checks the request head the gateway writes for a caller's
// request without a body, byte for byte, and that checkForwardHead refuses
// a name or value that could split the request.
func TestForwardHead(t *testing.T) {
	fw := &forward{headers: [len(forwardHeaders)]string{"Type=Anonymous", "SourceVpcArn=arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1", "ServiceArn=s", "vpc-1", "10.0.0.1", "80", "http"}}
	in := func(method, target string, h http.Header) *http.Request {
		r := httptest.NewRequest(method, target, nil)
		r.Host = "svc.example.com"
		r.Header = h
		return r
	}
	tests := []struct {
		name string
		r    *http.Request
		want string // the head up to the headers trellis adds
		tail string // what follows them
		err  string
	}{
		{"GET with a query", in("GET", "/a%2Fb?x=1&y", http.Header{"Accept": {"*/*"}}),
			"GET /a%2Fb?x=1&y HTTP/1.1\r\nHost: svc.example.com\r\nAccept: */*\r\n", "", ""},
		{"hop-by-hop and Connection-listed headers dropped, TE: trailers kept",
			in("GET", "/", http.Header{"Connection": {"X-Secret"}, "X-Secret": {"s"}, "Keep-Alive": {"1"}, "Te": {"trailers"}, "Upgrade": {"h2c"}}),
			"GET / HTTP/1.1\r\nHost: svc.example.com\r\nTe: trailers\r\n", "", ""},
		{"headers only trellis sets dropped", in("GET", "/", http.Header{"X-Amzn-Lattice-Identity": {"Principal=forged"}, "X-Forwarded-For": {"1.2.3.4"}, "X-Amzn-Source-Vpc": {"vpc-forged"}}),
			"GET / HTTP/1.1\r\nHost: svc.example.com\r\n", "", ""},
		{"POST without a body says so", in("POST", "/", http.Header{"Content-Length": {"0"}}),
			"POST / HTTP/1.1\r\nHost: svc.example.com\r\n", "Content-Length: 0\r\n", ""},
		{"repeated values kept in order", in("GET", "/", http.Header{"X-Multi": {"a", "b"}}),
			"GET / HTTP/1.1\r\nHost: svc.example.com\r\nX-Multi: a\r\nX-Multi: b\r\n", "", ""},
		{"value with a line break", in("GET", "/", http.Header{"X-Evil": {"a\r\nX-Injected: 1"}}), "", "", `invalid value for header field "X-Evil"`},
		{"name with a space", in("GET", "/", http.Header{"X Evil": {"a"}}), "", "", `invalid header field name "X Evil"`},
		{"space in the query (HTTP/2 can carry one)", func() *http.Request {
			r := in("GET", "/", http.Header{})
			r.URL.RawQuery = "x HTTP/1.0"
			return r
		}(), "", "", "space or a control character"},
		{"method that is not a token", func() *http.Request { r := in("GET", "/", http.Header{}); r.Method = "GET /x"; return r }(), "", "", "invalid method"},
		{"bad Host", func() *http.Request { r := in("GET", "/", http.Header{}); r.Host = "a b\r\n"; return r }(), "", "", "invalid Host header"},
	}
	forwarded := ""
	for i, name := range forwardHeaders {
		forwarded += name + ": " + fw.headers[i] + "\r\n"
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkForwardHead(tt.r, fw)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			bw := bufio.NewWriter(&b)
			if err := writeForwardHead(bw, tt.r, fw); err != nil {
				t.Fatal(err)
			}
			bw.Flush()
			want := tt.want + forwarded + tt.tail + "\r\n"
			if got := b.String(); got != want {
				t.Errorf("head:\n%q\nwant:\n%q", got, want)
			}
			if _, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String()))); err != nil {
				t.Errorf("the head does not parse: %v", err)
			}
		})
	}
}

// TestH1ClientForwardDeadline checks that forward gives up on a target
// that does not answer when the timeout passes, and at once when the
// caller goes away, and that neither connection is pooled.
func TestH1ClientForwardDeadline(t *testing.T) {
	srv, _ := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	c := newH1Client()
	defer c.CloseIdleConnections()
	fw := &forward{}
	fw.target.Scheme, fw.target.Host = "http", strings.TrimPrefix(srv.URL, "http://")

	start := time.Now()
	r := httptest.NewRequest("GET", "/", nil)
	_, err := c.forward(r, fw, 100*time.Millisecond)
	if !errors.Is(err, errUpstreamTimeout) || !strings.Contains(err.Error(), "100ms") {
		t.Errorf("err = %v, want the upstream timeout of 100ms", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 5*time.Second {
		t.Errorf("gave up after %v, want 100ms or a little more", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start = time.Now()
	_, err = c.forward(r.WithContext(ctx), fw, time.Minute)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want the caller's cancellation", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up %v after the caller went away", d)
	}
	c.mu.Lock()
	idle := len(c.idle[fw.target.Host])
	c.mu.Unlock()
	if idle != 0 {
		t.Errorf("%d connections pooled after failed exchanges, want 0", idle)
	}
}

// TestH1ClientForwardDialTimeout checks that a target whose connections
// never complete (its accept queue is full, so loopback drops the SYN)
// is a timeout, as when it accepts and never answers.
func TestH1ClientForwardDialTimeout(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the accept queue; nothing accepts.
	for range 4 {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			defer c.Close()
		}
	}
	c := newH1Client()
	defer c.CloseIdleConnections()
	fw := &forward{}
	fw.target.Scheme, fw.target.Host = "http", addr
	start := time.Now()
	_, err = c.forward(httptest.NewRequest("GET", "/", nil), fw, 200*time.Millisecond)
	if !errors.Is(err, errUpstreamTimeout) {
		t.Errorf("err = %v, want the upstream timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v", d)
	}
}
