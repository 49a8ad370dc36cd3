package gateway_test

import (
	"fmt"
	"github.com/trellisproject/trellis/gateway"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// scriptedAnswers is a target that answers each request with answer(n),
// where n counts requests on all connections.
func scriptedAnswers(t *testing.T, answer func(n int) string) netip.AddrPort {
	var n atomic.Int32
	return netip.MustParseAddrPort(scriptedTarget(t, func(*http.Request) string { return answer(int(n.Add(1))) }))
}

// A target answer whose head ends in bare LFs and whose body holds CRLF
// CRLF: Go's client (the goroutines engine) reads it; the loop frames the
// head at the CRLF CRLF inside the body.
func TestEnginesBareLFAnswer(t *testing.T) {
	body := "ab\r\n\r\ncdefgh"
	target := scriptedAnswers(t, func(int) string {
		return fmt.Sprintf("HTTP/1.1 200 OK\nContent-Length: %d\n\n%s", len(body), body)
	})
	for _, engine := range bothEngines {
		t.Run(engine, func(t *testing.T) {
			addr, _ := engineGateway(t, target, engine, gateway.Ingress{}, nil)
			resp := sendRaw(t, addr, "GET / HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || string(b) != body {
				t.Errorf("got %d %q, want 200 %q", resp.StatusCode, b, body)
			}
		})
	}
}

// An answer head just under loopMaxAnswerHead with a body of
// loopMaxAnswer bytes: the whole answer is 4 bytes more than the loop
// reads from a target (loopMaxAnswer+loopMaxAnswerHead), so it never
// completes; the loop spins on the readable target until the upstream
// timeout.
func TestEnginesAnswerAtReadLimit(t *testing.T) {
	const maxBody, maxHead = 256 << 10, 64 << 10
	body := strings.Repeat("z", maxBody)
	prefix := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Pad: ", maxBody)
	pad := strings.Repeat("p", maxHead-len(prefix)-2) // end (index of CRLF CRLF) == maxHead-2
	target := scriptedAnswers(t, func(int) string { return prefix + pad + "\r\n\r\n" + body })
	for _, engine := range bothEngines {
		t.Run(engine, func(t *testing.T) {
			addr, _ := engineGateway(t, target, engine, gateway.Ingress{}, nil)
			before := cpuTime(t)
			start := time.Now()
			resp := sendRaw(t, addr, "GET / HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
			b, _ := io.ReadAll(resp.Body)
			t.Logf("%d, %d bytes after %v, CPU %v", resp.StatusCode, len(b), time.Since(start).Round(time.Millisecond), cpuTime(t)-before)
			if resp.StatusCode != 200 || len(b) != maxBody {
				t.Errorf("got %d with %d bytes, want 200 with %d", resp.StatusCode, len(b), maxBody)
			}
		})
	}
}
