package gateway_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostileGateway serves billing.example.com, forwarded to target; with
// policy set the service is AWS_IAM with that policy.
func hostileGateway(t *testing.T, target string, policy string) string {
	addr, _ := serveBilling(t, netip.MustParseAddrPort(target), billing{policy: policy})
	return addr
}

// scriptedTarget is a target that answers every request on every
// connection with answer(r), or closes the connection when answer(r) is
// empty; it is closed when the test ends.
func scriptedTarget(t *testing.T, answer func(r *http.Request) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
				br := bufio.NewReader(c)
				for {
					r, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, r.Body)
					a := answer(r)
					if a == "" {
						return // close without answering
					}
					if _, err := io.WriteString(c, a); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func hostileCall(t *testing.T, client *http.Client, addr, method, path string, h http.Header) (int, string, error) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+addr+path, nil)
	req.Host = "billing.example.com"
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestNoAnswerCrossesCallers: caller A's HEAD is answered
// with a body (a buggy target); caller B, another client on another
// connection, then receives what the target sent for A.
func TestNoAnswerCrossesCallers(t *testing.T) {
	forA := "HTTP/1.1 200 OK\r\nContent-Length: 25\r\n\r\nprivate data for caller A"
	target := scriptedTarget(t, func(r *http.Request) string {
		if r.Method == "HEAD" {
			return "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(forA)) + "\r\n\r\n" + forA
		}
		return "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nanswer for B"
	})
	addr := hostileGateway(t, target, "")
	a := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}
	b := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}
	defer a.CloseIdleConnections()
	defer b.CloseIdleConnections()
	if status, _, err := hostileCall(t, a, addr, "HEAD", "/a", nil); err != nil || status != 200 {
		t.Fatalf("A: %d %v", status, err)
	}
	time.Sleep(20 * time.Millisecond)
	status, body, err := hostileCall(t, b, addr, "GET", "/b", nil)
	if body != "answer for B" {
		t.Errorf("caller B got %d %q %v, want %q", status, body, err, "answer for B")
	}
}

// TestAnswerStatusBelow100: a target answering with a status code the
// parser accepts (three digits) but below 100 makes the handler panic in
// WriteHeader; the caller's connection is cut instead of getting 502.
func TestAnswerStatusBelow100(t *testing.T) {
	target := scriptedTarget(t, func(r *http.Request) string {
		return "HTTP/1.1 042 Odd\r\nContent-Length: 0\r\n\r\n"
	})
	addr := hostileGateway(t, target, "")
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	for _, method := range []string{"GET", "POST"} { // lean path and the other one
		var status int
		var err error
		if method == "GET" {
			status, _, err = hostileCall(t, client, addr, method, "/", nil)
		} else {
			req, _ := http.NewRequest("POST", "http://"+addr+"/", strings.NewReader("x"))
			req.Host = "billing.example.com"
			resp, e := client.Do(req)
			err = e
			if e == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
		}
		if err != nil || status != http.StatusBadGateway {
			t.Errorf("%s: status %d err %v, want 502", method, status, err)
		}
	}
}

// TestUnderscoreIdentityHeaders: a caller's X_Amzn_Lattice_Identity
// (underscores) is passed on next to the gateway's X-Amzn-Lattice-Identity;
// CGI/WSGI/Rack/PHP targets map both names to HTTP_X_AMZN_LATTICE_IDENTITY.
func TestUnderscoreIdentityHeaders(t *testing.T) {
	var mu sync.Mutex
	var seen http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
	}))
	defer srv.Close()
	addr := hostileGateway(t, srv.Listener.Addr().String(), "")
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	hostileCall(t, client, addr, "GET", "/", http.Header{
		"X_amzn_lattice_identity": {"Principal=arn:aws:iam::111122223333:role/admin; Type=AWS_IAM"},
		"X_forwarded_for":         {"10.9.9.9"},
		"X_amzn_source_vpc":       {"vpc-forged"},
	})
	mu.Lock()
	defer mu.Unlock()
	for name, v := range seen {
		if strings.ContainsRune(name, '_') {
			t.Errorf("target received %s: %q", name, v)
		}
	}
}

// TestHTTP2HeaderWhitespace: over h2c a header value may start or end
// with a space; the policy sees the value with the space, the target (both
// forwarding paths trim values) without it, so a Deny on the exact value
// is bypassed.
func TestHTTP2HeaderWhitespace(t *testing.T) {
	const policy = `{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"},
  {"Effect":"Deny","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
   "Condition":{"StringEquals":{"vpc-lattice-svcs:RequestHeader/x-tenant":"blocked"}}}]}`
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("X-Tenant"))
		mu.Unlock()
	}))
	defer srv.Close()
	addr := hostileGateway(t, srv.Listener.Addr().String(), policy)
	tr := &http.Transport{Proxy: nil, Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	defer tr.CloseIdleConnections()
	for _, v := range []string{"blocked", " blocked", "blocked ", "\tblocked"} {
		status, body, err := hostileCall(t, client, addr, "GET", "/", http.Header{"X-Tenant": {v}})
		if status != http.StatusForbidden {
			t.Errorf("X-Tenant %q over h2c: %d %q %v, want 403", v, status, body, err)
		}
	}
	mu.Lock()
	t.Logf("the target saw X-Tenant values %q", got)
	mu.Unlock()
}

// TestEarlyAnswerToLargeBody: a target that refuses an upload at once
// (413, without reading the body) must have its answer passed on; the
// gateway's client writes the whole body before it reads anything.
func TestEarlyAnswerToLargeBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	}))
	defer srv.Close()
	addr := hostileGateway(t, srv.Listener.Addr().String(), "")
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest("POST", "http://"+addr+"/upload", strings.NewReader(strings.Repeat("x", 16<<20)))
	req.Host = "billing.example.com"
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("after %v: %v", time.Since(start), err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("after %v: %d %q, want the target's 413", time.Since(start), resp.StatusCode, b)
	}
}

// TestDotSegments checks that a path with a . or .. segment, literal or
// percent-encoded, with a ";parameter" or a backslash (which servlet
// containers and Windows servers resolve), is refused before the policies: a policy that allows
// only /public/* must not let /public/../admin through to a target that
// resolves it to /admin. Names that merely contain dots pass.
func TestDotSegments(t *testing.T) {
	const policy = `{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"arn:aws:vpc-lattice:us-east-1:111122223333:service/*/public/*"}]}`
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer target.Close()
	addr := hostileGateway(t, target.Listener.Addr().String(), policy)
	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/public/x", 200},
		{"/public/..x/y.json", 200},
		{"/admin", 403},
		{"/public/../admin", 400},
		{"/public/%2e%2e/admin", 400},
		{"/public/..%2fadmin", 400},
		{"/public/./x", 400},
		{"/public/..;/admin", 400},
		{"/public/%2e%2e;/admin", 400},
		{"/public/..%3b/admin", 400},
		{"/public/.;/x", 400},
		{`/public/..\admin`, 400},
		{"/public/..%5cadmin", 400},
		{"/public/a;b/x", 200},
	} {
		resp := sendRaw(t, addr, "GET "+tt.path+" HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
	}
}
