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
