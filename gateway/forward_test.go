package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/snapshot"
)

// openService serves target as an AuthNone service, billing.example.com,
// through a real gateway ingress, and returns the ingress address.
func openService(t *testing.T, target http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(target)
	t.Cleanup(srv.Close)
	addr, _ := serveBilling(t, netip.MustParseAddrPort(srv.Listener.Addr().String()), billing{})
	return addr
}

// TestForwarding checks what the gateway's own proxy path passes on and
// what it does not: hop-by-hop headers, trailers, streamed answers, bodies
// and a target that goes away.
func TestForwarding(t *testing.T) {
	addr := openService(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/echo"):
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Connection", "X-Private")
			w.Header().Set("X-Private", "hop")
			w.Header().Set("Keep-Alive", "timeout=5")
			fmt.Fprintf(w, "%s %s body=%s te=%q conn=%q hopper=%q ua=%q len=%d forged=%q vpc=%q", r.Method, r.URL.RequestURI(), b,
				r.Header.Get("Te"), r.Header.Get("Connection"), r.Header.Get("X-Hopper"), r.Header.Get("User-Agent"), r.ContentLength,
				r.Header.Get("X-Forwarded-Host"), r.Header.Get(gateway.HeaderSourceVPC))
		case p == "/trailers":
			w.Header().Set("Trailer", "X-Checksum")
			io.WriteString(w, "data")
			w.Header().Set("X-Checksum", "abc")
		case p == "/stream":
			for i := range 3 {
				fmt.Fprintf(w, "event %d\n", i)
				w.(http.Flusher).Flush()
				time.Sleep(10 * time.Millisecond)
			}
		case p == "/cut":
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "only part")
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
	}))
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	get := func(method, path string, body io.Reader, header http.Header) (*http.Response, string, error) {
		req, _ := http.NewRequest(method, "http://"+addr+path, body)
		req.Host = "billing.example.com"
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), err
	}

	// With a body the request goes through the transport; without one,
	// its head is written straight from the caller's header. Both pass on
	// the same things.
	for _, c := range []struct {
		method, path string
		body         io.Reader
		want         string
	}{
		{"POST", "/echo?q=1", strings.NewReader("hello"), `POST /echo?q=1 body=hello te="trailers" conn="" hopper="" ua="caller/1" len=5 forged="" vpc="` + vpcMain + `"`},
		{"GET", "/echo?q=%2F&r", nil, `GET /echo?q=%2F&r body= te="trailers" conn="" hopper="" ua="caller/1" len=0 forged="" vpc="` + vpcMain + `"`},
		{"POST", "/echo/a%2Fb", nil, `POST /echo/a%2Fb body= te="trailers" conn="" hopper="" ua="caller/1" len=0 forged="" vpc="` + vpcMain + `"`},
	} {
		resp, body, err := get(c.method, c.path, c.body, http.Header{
			"Te": {"trailers"}, "Connection": {"X-Hopper"}, "X-Hopper": {"secret"}, "User-Agent": {"caller/1"},
			"X-Forwarded-Host": {"forged"}, gateway.HeaderSourceVPC: {"vpc-forged"}})
		if err != nil {
			t.Fatal(err)
		}
		if body != c.want {
			t.Errorf("%s %s: target saw %q, want %q", c.method, c.path, body, c.want)
		}
		if resp.Header.Get("X-Private") != "" || resp.Header.Get("Keep-Alive") != "" {
			t.Errorf("%s %s: hop-by-hop answer headers passed on: %v", c.method, c.path, resp.Header)
		}
	}

	resp, body, err := get("GET", "/trailers", nil, nil)
	if err != nil || body != "data" || resp.Trailer.Get("X-Checksum") != "abc" {
		t.Errorf("trailers: %q %v %v", body, resp.Trailer, err)
	}

	_, body, err = get("GET", "/stream", nil, nil)
	if err != nil || body != "event 0\nevent 1\nevent 2\n" {
		t.Errorf("stream: %q %v", body, err)
	}

	// A target that stops mid-answer: the caller must not take the part
	// for the whole.
	_, body, err = get("GET", "/cut", nil, nil)
	if err == nil {
		t.Errorf("a cut answer arrived whole: %q", body)
	}
}

// TestUpgrade checks that a request switching protocols (WebSocket style)
// reaches the target and the connection is handed over both ways.
func TestUpgrade(t *testing.T) {
	addr := openService(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "want Upgrade: echo", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		brw.Flush()
		line, _ := brw.ReadString('\n')
		brw.WriteString("echo: " + line)
		brw.Flush()
	}))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: billing.example.com\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	fmt.Fprintf(conn, "ping\n")
	if line, err := br.ReadString('\n'); err != nil || line != "echo: ping\n" {
		t.Errorf("after the upgrade: %q %v", line, err)
	}
}

// TestSpaceInQueryOverHTTP2 checks that a query with a space, which
// HTTP/2 can carry in :path but an HTTP/1.1 request line cannot, is
// refused with 400 and never reaches the target, with and without a body.
func TestSpaceInQueryOverHTTP2(t *testing.T) {
	var reached atomic.Int64
	addr := openService(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	tr := &http.Transport{Proxy: nil, Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	for _, method := range []string{"GET", "POST"} {
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("x")
		}
		req, err := http.NewRequest(method, "http://"+addr+"/a", body)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawQuery = "x HTTP/1.0"
		req.Host = "billing.example.com"
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "space") {
			t.Errorf("%s with a space in the query: %d %q, want 400 saying why", method, resp.StatusCode, b)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the target got %d such requests", n)
	}
}

// TestUnforwardableHeader checks that a request whose head cannot be
// written on to the target (here a header name with a space, which
// net/http's own server refuses but a caller of the Handler can send) is
// the caller's error, 400 naming the header, found before the gateway
// touches a connection to the target; with and without a body.
func TestUnforwardableHeader(t *testing.T) {
	hits := map[string]*atomic.Int64{"alpha": {}, "beta": {}, "gamma": {}}
	state := labState(t, hits)
	g, err := gateway.New(gateway.Config{Region: region, State: func() *snapshot.State { return state }})
	if err != nil {
		t.Fatal(err)
	}
	h, err := g.Handler(gateway.Ingress{Listen: "127.0.0.1:80", VPC: vpcMain})
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"GET", "POST"} {
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("x")
		}
		r := httptest.NewRequest(method, "http://open.example.com/x", body)
		r.RemoteAddr = "127.199.3.4:40000"
		r.Header["X-Foo "] = []string{"bar"}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `invalid header field name "X-Foo "`) {
			t.Errorf("%s: %d %q, want 400 naming the header", method, rec.Code, rec.Body)
		}
	}
	if n := hits["alpha"].Load(); n != 0 {
		t.Errorf("the target got %d such requests", n)
	}
}

// TestRequestTargetForms checks which request targets the gateway
// authorises and forwards: origin-form and absolute-form paths, but not an
// opaque target such as "http:admin/x", which has no path for the policies
// to see while a lenient target might read it as /admin/x.
func TestRequestTargetForms(t *testing.T) {
	var got atomic.Value
	addr := openService(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Store(r.RequestURI) }))
	for _, c := range []struct {
		target, want string
		status       int
	}{
		{"/a?x=1", "/a?x=1", 200},
		{"http://billing.example.com/abs%2Fx?q", "/abs%2Fx?q", 200},
		{"http:admin/secret", "", 400},
		{"http:admin/secret?x=1", "", 400},
	} {
		got.Store("")
		c1, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c1.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c1, "GET "+c.target+" HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c1), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.target, err)
		}
		b, _ := io.ReadAll(resp.Body)
		c1.Close()
		if resp.StatusCode != c.status || got.Load() != c.want {
			t.Errorf("GET %s: %d %q, target saw %q; want %d and %q", c.target, resp.StatusCode, b, got.Load(), c.status, c.want)
		}
		if c.status == 400 && !strings.Contains(string(b), "must be a path") {
			t.Errorf("GET %s: %q does not say why", c.target, b)
		}
	}
}
