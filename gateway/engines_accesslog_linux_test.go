package gateway_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
)

// loggedGateway serves billing.example.com on engine, with its access
// log written to logs.
func loggedGateway(t *testing.T, target netip.AddrPort, engine string, logs *syncBuffer) string {
	addr, _ := serveBilling(t, target, billing{accessLog: true, in: gateway.Ingress{Engine: engine}, cfg: func(c *gateway.Config) {
		c.UpstreamTimeout = 300 * time.Millisecond
		c.AccessLogs = gateway.NewAccessLogs(t.TempDir(), logs)
	}})
	return addr
}

func TestEnginesAccessLogParity(t *testing.T) {
	big := strings.Repeat("b", 300<<10)
	target := engineTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("Content-Length", "2")
			io.WriteString(w, "ok")
		case "/chunked":
			io.WriteString(w, "abc")
			w.(http.Flusher).Flush()
			io.WriteString(w, "def")
		case "/big":
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			io.WriteString(w, big)
		case "/slow":
			time.Sleep(500 * time.Millisecond)
		case "/early":
			w.WriteHeader(103)
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "final")
		case "/cut":
			c, bw, _ := http.NewResponseController(w).Hijack()
			bw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf.")
			bw.Flush()
			c.Close()
		case "/nocontent":
			w.WriteHeader(204)
		}
	}))
	results := map[string]map[string]string{}
	for _, engine := range bothEngines {
		logs := &syncBuffer{}
		addr := loggedGateway(t, target, engine, logs)
		for _, req := range []string{"GET /ok", "HEAD /ok", "GET /chunked", "GET /big", "GET /slow", "GET /early", "GET /cut", "GET /nocontent", "GET /ok?again"} {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(3 * time.Second))
			fmt.Fprintf(c, "%s HTTP/1.1\r\nHost: billing.example.com\r\n\r\n", req)
			resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: strings.Fields(req)[0]})
			if err == nil {
				io.Copy(io.Discard, resp.Body)
			}
			c.Close()
		}
		time.Sleep(100 * time.Millisecond)
		got := map[string]string{}
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			json.Unmarshal(sc.Bytes(), &m)
			got[fmt.Sprint(m["requestMethod"], " ", m["requestPath"])] = fmt.Sprintf("code=%v sent=%v failure=%v target=%v", m["responseCode"], m["bytesSent"], m["failureReason"], m["targetIpPort"] != "-")
		}
		results[engine] = got
	}
	for k, want := range results[gateway.EngineGoroutines] {
		got := results[gateway.EngineEventLoop][k]
		if got != want {
			t.Errorf("%s: eventloop %q, goroutines %q", k, got, want)
		} else {
			t.Logf("%s: %s (same)", k, got)
		}
	}
}
