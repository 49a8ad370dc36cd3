package gateway_test

import (
	"bufio"
	"fmt"
	"github.com/trellisproject/trellis/gateway"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// A first request whose head ends with bare LFs, followed by a request
// whose head ends with CRLF CRLF and has a body: the loop frames the first
// request at the first CRLF CRLF, i.e. at the end of the SECOND head, and
// discards it; the second request's body is then read as a request.
func TestEnginesBareLFRequestFraming(t *testing.T) {
	for _, engine := range bothEngines {
		t.Run(engine, func(t *testing.T) {
			var mu sync.Mutex
			var seen []string
			target := engineTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				seen = append(seen, fmt.Sprintf("%s %s body=%q", r.Method, r.URL.Path, b))
				mu.Unlock()
				fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
			}))
			addr, _ := engineGateway(t, target, engine, gateway.Ingress{}, nil)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			inner := "GET /smuggled HTTP/1.1\r\nHost: billing.example.com\r\n\r\n"
			io.WriteString(c, "GET /a HTTP/1.1\nHost: billing.example.com\n\n"+
				fmt.Sprintf("POST /b HTTP/1.1\r\nHost: billing.example.com\r\nContent-Length: %d\r\n\r\n%s", len(inner), inner))
			c.SetDeadline(time.Now().Add(time.Second))
			br := bufio.NewReader(c)
			var got []string
			for range 3 {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					got = append(got, "ERR "+err.Error())
					break
				}
				b, _ := io.ReadAll(resp.Body)
				got = append(got, fmt.Sprintf("%d %s", resp.StatusCode, b))
			}
			mu.Lock()
			defer mu.Unlock()
			t.Logf("caller got %q", got)
			t.Logf("target saw %q", seen)
			for _, s := range seen {
				if s == `GET /smuggled body=""` {
					t.Errorf("a request body was served as a request")
				}
			}
			if len(seen) != 2 {
				t.Errorf("target saw %d requests, want 2 (GET /a, POST /b)", len(seen))
			}
		})
	}
}
