package gateway_test

import (
	"bufio"
	"github.com/trellisproject/trellis/gateway"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// A caller leaves while a streamed (relayed) answer is idle: net/http's
// server notices at once and the target's request is cancelled; the relay
// goroutine notices only when the target next writes, holding the target's
// connection, the caller's descriptor and its MaxConnections slot.
func TestEnginesCallerGoneDuringStream(t *testing.T) {
	for _, engine := range bothEngines {
		t.Run(engine, func(t *testing.T) {
			cancelled := make(chan struct{}, 1)
			target := engineTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "first\n")
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					cancelled <- struct{}{}
				case <-time.After(3 * time.Second):
				}
			}))
			addr, _ := engineGateway(t, target, engine, gateway.Ingress{}, nil)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "GET /events HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
			br := bufio.NewReader(c)
			if _, err := http.ReadResponse(br, nil); err != nil {
				t.Fatal(err)
			}
			c.Close()
			select {
			case <-cancelled:
			case <-time.After(2 * time.Second):
				t.Error("the target's request was not cancelled within 2s of the caller leaving")
			}
		})
	}
}
