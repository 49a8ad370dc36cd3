package gateway_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
)

func fdCount() int {
	es, _ := os.ReadDir("/proc/self/fd")
	return len(es)
}

// Every way a connection can end must give its MaxConnections slot back
// exactly once and leave no descriptor or goroutine behind. With
// MaxConnections 1, a leaked slot makes the next connection wait forever.
func TestEnginesConnectionSlotsAndLeaks(t *testing.T) {
	target := engineTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			io.WriteString(w, "abc")
			w.(http.Flusher).Flush()
			io.WriteString(w, "def")
		case "/slow":
			select {
			case <-time.After(400 * time.Millisecond):
			case <-r.Context().Done():
			}
		case "/cut":
			c, bw, _ := http.NewResponseController(w).Hijack()
			bw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf.")
			bw.Flush()
			c.Close()
		case "/bighead":
			w.Header().Set("X-Big", strings.Repeat("h", 70<<10))
		default:
			w.Header().Set("Content-Length", "2")
			io.WriteString(w, "ok")
		}
	}))
	addr, _ := engineGateway(t, target, gateway.EngineEventLoop, gateway.Ingress{MaxConnections: 1, ReadHeaderTimeout: gateway.Duration(200 * time.Millisecond)},
		func(c *gateway.Config) { c.UpstreamTimeout = 200 * time.Millisecond })
	get := func(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: billing.example.com\r\n\r\n" }
	cases := []struct {
		name string
		send string
		read int // answers to read before closing
		wait time.Duration
	}{
		{"served", get("/ok"), 1, 0},
		{"served, Connection: close", "GET /ok HTTP/1.1\r\nHost: billing.example.com\r\nConnection: close\r\n\r\n", 1, 0},
		{"caller gone mid-exchange", get("/slow"), 0, 100 * time.Millisecond},
		{"handed over", "POST /p HTTP/1.1\r\nHost: billing.example.com\r\nContent-Length: 1\r\n\r\nx", 1, 0},
		{"relayed", get("/chunked"), 1, 0},
		{"relayed big head", get("/bighead"), 1, 0},
		{"relayed then close", "GET /chunked HTTP/1.1\r\nHost: billing.example.com\r\nConnection: close\r\n\r\n", 1, 0},
		{"upstream timeout", get("/slow"), 1, 0},
		{"cut", get("/cut"), 1, 0},
		{"header timeout", "GET / HTTP/1.1\r\nHo", 0, 400 * time.Millisecond},
		{"head too large", "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 70<<10), 1, 0},
		{"garbage", "\x00\x01\x02\r\n\r\n", 1, 0},
		{"half-closed before answer", get("/ok"), -1, 100 * time.Millisecond},
	}
	// warm up
	for range 2 {
		c, _ := net.Dial("tcp", addr)
		io.WriteString(c, get("/ok"))
		http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
	}
	time.Sleep(200 * time.Millisecond)
	fds, gs := fdCount(), runtime.NumGoroutine()
	for round := range 2 {
		for _, tc := range cases {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(2 * time.Second))
			io.WriteString(c, tc.send)
			br := bufio.NewReader(c)
			if tc.read < 0 {
				c.(*net.TCPConn).CloseWrite()
			}
			for range tc.read {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Errorf("round %d %s: %v", round, tc.name, err)
					break
				}
				io.Copy(io.Discard, resp.Body)
			}
			time.Sleep(tc.wait)
			c.Close()
			// The slot must come back: the next connection is served.
			p, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			p.SetDeadline(time.Now().Add(2 * time.Second))
			io.WriteString(p, "GET /probe HTTP/1.1\r\nHost: billing.example.com\r\nConnection: close\r\n\r\n")
			if _, err := http.ReadResponse(bufio.NewReader(p), nil); err != nil {
				t.Fatalf("round %d, after %q: the next connection is not served: %v", round, tc.name, err)
			}
			p.Close()
		}
	}
	time.Sleep(500 * time.Millisecond)
	t.Logf("fds %d -> %d, goroutines %d -> %d", fds, fdCount(), gs, runtime.NumGoroutine())
	if d := fdCount() - fds; d > 2 {
		t.Errorf("%d descriptors more", d)
	}
	if d := runtime.NumGoroutine() - gs; d > 2 {
		t.Errorf("%d goroutines more", d)
	}
}
