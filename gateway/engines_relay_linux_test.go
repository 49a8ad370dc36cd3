package gateway_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
)

// An answer of 2 MiB with a Content-Length (larger than loopMaxAnswer, so
// the event loop relays it) must reach the caller whole on both engines.
// TestEnginesLargeAnswer checks that an answer far larger than the head
// bound (1 MiB) arrives whole on both engines (the event loop relays it).
func TestEnginesLargeAnswer(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 2<<20)
	target := engineTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	for _, engine := range bothEngines {
		t.Run(engine, func(t *testing.T) {
			addr, _ := engineGateway(t, target, engine, gateway.Ingress{}, nil)
			resp := sendRaw(t, addr, "GET / HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
			b, err := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || len(b) != len(body) {
				t.Errorf("got %d, %d of %d bytes (err %v)", resp.StatusCode, len(b), len(body), err)
			}
		})
	}
}

// TestEnginesNoReplayOfPOST checks that a POST the target read and then
// dropped the connection on is not sent again on a new connection.
func TestEnginesNoReplayOfPOST(t *testing.T) {
	for _, engine := range bothEngines {
		t.Run(engine, func(t *testing.T) {
			var posts atomic.Int32
			target := netip.MustParseAddrPort(scriptedTarget(t, func(r *http.Request) string {
				if r.Method == http.MethodPost && posts.Add(1) == 1 {
					return "" // read it, then close: the side effect happened
				}
				return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
			}))
			addr, _ := engineGateway(t, target, engine, gateway.Ingress{}, nil)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			br := bufio.NewReader(c)
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			io.WriteString(c, "POST /pay HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
			resp, err = http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			c.Close()
			if n := posts.Load(); n != 1 {
				t.Errorf("the target got the POST %d times (answer %d), want once", n, resp.StatusCode)
			}
		})
	}
}

// TestEnginesBadStatusInRelayedAnswer checks that a 101 nobody asked for
// or a status below 100, with a head too large for a loop to hold (so
// relayed), is 502 on both engines, not skipped as an interim answer.
func TestEnginesBadStatusInRelayedAnswer(t *testing.T) {
	big := strings.Repeat("a", 70<<10)
	for _, status := range []string{"101 Switching Protocols", "099 Nine"} {
		target := scriptedAnswers(t, func(int) string {
			return "HTTP/1.1 " + status + "\r\nX-Big: " + big + "\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
		})
		for _, engine := range bothEngines {
			t.Run(status+"/"+engine, func(t *testing.T) {
				addr, _ := engineGateway(t, target, engine, gateway.Ingress{}, nil)
				resp := sendRaw(t, addr, "GET / HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusBadGateway {
					t.Errorf("got %d %q, want 502", resp.StatusCode, b)
				}
			})
		}
	}
}
