package gateway

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scriptedTarget is a target that answers each request with bytes a script
// chooses: answer(conn number, request number on that conn, request)
// returns what to write and whether to keep the connection open.
type scriptedTarget struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
	seen  atomic.Int64 // requests read
	nconn atomic.Int64
}

func newScriptedTarget(t *testing.T, answer func(connN, reqN int, r *http.Request) (string, bool)) *scriptedTarget {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rt := &scriptedTarget{ln: ln}
	rt.wg.Add(1)
	go func() {
		defer rt.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connN := int(rt.nconn.Add(1))
			rt.mu.Lock()
			rt.conns = append(rt.conns, c)
			rt.mu.Unlock()
			rt.wg.Add(1)
			go func() {
				defer rt.wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for reqN := 1; ; reqN++ {
					r, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, r.Body)
					rt.seen.Add(1)
					out, keep := answer(connN, reqN, r)
					if _, err := io.WriteString(c, out); err != nil || !keep {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		rt.mu.Lock()
		for _, c := range rt.conns {
			c.Close()
		}
		rt.mu.Unlock()
		rt.wg.Wait()
	})
	return rt
}

func (rt *scriptedTarget) addr() string { return rt.ln.Addr().String() }

func ok(body string) string {
	return "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

func forwardVia(t *testing.T, c *h1Client, addr, method, path string) (int, string, error) {
	t.Helper()
	fw := &forward{}
	fw.target.Scheme, fw.target.Host = "http", addr
	r := httptest.NewRequest(method, path, nil)
	r.Host = "svc.example.com"
	resp, err := c.forward(r, fw, 2*time.Second)
	if err != nil {
		return 0, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), err
}

// TestH1ClientBytesAfterAnswer: an answer that by its status or the
// request's method has no body (HEAD, 204, 304, 101), but after which the
// target wrote more bytes, leaves those bytes on the pooled connection; the
// next caller's request on that connection reads them as its answer.
// net/http's Transport closes such a connection ("Unsolicited response
// received on idle HTTP channel") and the next caller gets its own answer.
func TestH1ClientBytesAfterAnswer(t *testing.T) {
	leaked := "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\nsecret for A!!"
	for _, tc := range []struct {
		name, method, first string
	}{
		{"HEAD answered with a body", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(leaked)) + "\r\n\r\n" + leaked},
		{"204 with a body", "GET", "HTTP/1.1 204 No Content\r\nContent-Length: " + strconv.Itoa(len(leaked)) + "\r\n\r\n" + leaked},
		{"304 with a body", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: " + strconv.Itoa(len(leaked)) + "\r\n\r\n" + leaked},
		{"101 to a request that asked for no upgrade", "GET", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n" + leaked},
		{"HEAD answered with a body that is not HTTP", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n<html>A</html>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := newScriptedTarget(t, func(connN, reqN int, r *http.Request) (string, bool) {
				if r.URL.Path == "/a" {
					return tc.first, true
				}
				return ok("answer for B"), true
			})
			c := newH1Client()
			defer c.CloseIdleConnections()
			// A 101 that was not asked for is refused (502 for the
			// caller); the others reach caller A.
			if _, _, err := forwardVia(t, c, rt.addr(), tc.method, "/a"); (err != nil) != strings.Contains(tc.first, " 101 ") {
				t.Fatalf("A: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
			status, body, err := forwardVia(t, c, rt.addr(), "GET", "/b")
			if err != nil || body != "answer for B" {
				t.Errorf("caller B got %d %q err=%v, want its own answer %q", status, body, err, "answer for B")
			}

		})
	}
}

// TestH1ClientAnswerOnIdleConnection: a target that, while the connection is
// idle, sends "408 Request Timeout" and closes it (Node.js does this). The
// next caller is given the stale 408 instead of a retry on a new
// connection, which net/http's Transport does.
func TestH1ClientAnswerOnIdleConnection(t *testing.T) {
	var first sync.Once
	rt := newScriptedTarget(t, func(connN, reqN int, r *http.Request) (string, bool) {
		out := ok("fine")
		if connN == 1 {
			first.Do(func() {
				out += "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
			})
			return out, false // close after the 408
		}
		return out, true
	})
	c := newH1Client()
	defer c.CloseIdleConnections()
	if _, _, err := forwardVia(t, c, rt.addr(), "GET", "/1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	status, body, err := forwardVia(t, c, rt.addr(), "GET", "/2")
	if status != 200 {
		t.Errorf("second caller: %d %q %v, want 200 from a new connection", status, body, err)
	}
}

// TestH1ClientNoReplayOfPOST: a bodyless POST on a pooled connection
// that the target reads, acts on, then closes without answering is sent
// again on a new connection: the target acts on it twice. net/http's
// Transport does not replay a POST whose request was written.
func TestH1ClientNoReplayOfPOST(t *testing.T) {
	var posts atomic.Int64
	rt := newScriptedTarget(t, func(connN, reqN int, r *http.Request) (string, bool) {
		if r.Method == "POST" {
			if posts.Add(1) == 1 {
				return "", false // acted on it, then crashed / closed
			}
		}
		return ok("done"), true
	})
	c := newH1Client()
	defer c.CloseIdleConnections()
	forwardVia(t, c, rt.addr(), "GET", "/warm") // pools a connection
	status, body, err := forwardVia(t, c, rt.addr(), "POST", "/transfer-money")
	t.Logf("POST answered %d %q %v", status, body, err)
	if n := posts.Load(); n != 1 {
		t.Errorf("the target received the POST %d times, want 1", n)
	}
}

// TestH1ClientAnswerHeadLimit: the client reads the target's status line
// and headers with no size limit (net/http's Transport stops at 10 MB by
// default, MaxResponseHeaderBytes).
func TestH1ClientAnswerHeadLimit(t *testing.T) {
	huge := strings.Repeat("a", 32<<20)
	rt := newScriptedTarget(t, func(connN, reqN int, r *http.Request) (string, bool) {
		return "HTTP/1.1 200 OK\r\nX-Big: " + huge + "\r\nContent-Length: 0\r\n\r\n", false
	})
	c := newH1Client()
	defer c.CloseIdleConnections()
	status, _, err := forwardVia(t, c, rt.addr(), "GET", "/")
	if err == nil {
		t.Errorf("a 32 MiB response header was accepted (status %d); net/http's Transport refuses more than 10 MB", status)
	}
}

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	return len(ents)
}

// TestH1ClientReapsIdleConnections: idle connections are only checked for
// age when they are taken from the pool, so connections to a target that
// is gone (deregistered, scaled in) stay open forever, one fd each.
func TestH1ClientReapsIdleConnections(t *testing.T) {
	before := countFDs(t)
	c := newH1Client()
	c.idleTimeout = 50 * time.Millisecond
	defer c.CloseIdleConnections()
	for range 5 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") }))
		addr := strings.TrimPrefix(srv.URL, "http://")
		if _, _, err := forwardVia(t, c, addr, "GET", "/"); err != nil {
			t.Fatal(err)
		}
		srv.Close() // the target goes away for good
	}
	time.Sleep(300 * time.Millisecond) // six times the idle timeout
	c.mu.Lock()
	n := 0
	for _, l := range c.idle {
		n += len(l)
	}
	c.mu.Unlock()
	if after := countFDs(t); n > 0 || after > before {
		t.Errorf("%d idle connections still pooled and %d more fds open, long after the idle timeout and their targets closed", n, after-before)
	}
}

// TestH1ClientFailuresLeakNothing: many failing exchanges (garbage, cut bodies,
// timeouts, cancellations) leave no goroutines or fds behind.
func TestH1ClientFailuresLeakNothing(t *testing.T) {
	rt := newScriptedTarget(t, func(connN, reqN int, r *http.Request) (string, bool) {
		switch r.URL.Path {
		case "/garbage":
			return "SSH-2.0\r\n\r\n", false
		case "/cut":
			return "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart", false
		case "/slow":
			time.Sleep(80 * time.Millisecond)
			return ok("late"), true
		}
		return ok("fine"), true
	})
	c := newH1Client()
	defer c.CloseIdleConnections()
	run := func() {
		for _, p := range []string{"/garbage", "/cut", "/slow", "/ok"} {
			fw := &forward{}
			fw.target.Scheme, fw.target.Host = "http", rt.addr()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			r := httptest.NewRequest("GET", p, nil).WithContext(ctx)
			timeout := 2 * time.Second
			if p == "/slow" {
				timeout = 20 * time.Millisecond
			}
			if p != "/slow" && p != "/garbage" {
				r = r.WithContext(context.Background())
			}
			resp, err := c.forward(r, fw, timeout)
			if err == nil {
				io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			cancel()
		}
	}
	run()
	time.Sleep(200 * time.Millisecond)
	g0, f0 := runtimeNumGoroutine(), countFDs(t)
	for range 25 {
		run()
	}
	time.Sleep(300 * time.Millisecond)
	g1, f1 := runtimeNumGoroutine(), countFDs(t)
	t.Logf("goroutines %d -> %d, fds %d -> %d, target conns %d", g0, g1, f0, f1, rt.nconn.Load())
	if g1 > g0+2 || f1 > f0+2 {
		t.Errorf("leak: goroutines %d -> %d, fds %d -> %d", g0, g1, f0, f1)
	}
}

func runtimeNumGoroutine() int { return runtime.NumGoroutine() }

// TestH1ClientLateBytesOnIdleConnection checks that a target speaking on a
// connection while it is idle in the pool (after its answer was read and
// the connection pooled) does not have that read as the next caller's
// answer: the connection is peeked at before reuse.
func TestH1ClientLateBytesOnIdleConnection(t *testing.T) {
	rt := newScriptedTarget(t, func(connN, reqN int, r *http.Request) (string, bool) {
		return ok("answer for " + r.URL.Path), true
	})
	c := newH1Client()
	defer c.CloseIdleConnections()
	if _, _, err := forwardVia(t, c, rt.addr(), "GET", "/a"); err != nil {
		t.Fatal(err)
	}
	rt.mu.Lock()
	rt.conns[0].Write([]byte(ok("stale, for nobody")))
	rt.mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	status, body, err := forwardVia(t, c, rt.addr(), "GET", "/b")
	if err != nil || body != "answer for /b" {
		t.Errorf("caller B got %d %q err=%v, want %q", status, body, err, "answer for /b")
	}
}
