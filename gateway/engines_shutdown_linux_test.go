package gateway_test

import (
	"bufio"
	"context"
	"github.com/trellisproject/trellis/gateway"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Shutdown(ctx) with a streamed answer in flight: net/http's Shutdown
// gives up when ctx ends; the loop engine waits for every relay,
// whatever ctx says.
func TestEnginesShutdownDeadlineWithStream(t *testing.T) {
	for _, engine := range bothEngines {
		t.Run(engine, func(t *testing.T) {
			target := engineTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for range 30 { // a 3s stream
					io.WriteString(w, "tick\n")
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
						return
					case <-time.After(100 * time.Millisecond):
					}
				}
			}))
			addr, run := engineGateway(t, target, engine, gateway.Ingress{}, nil)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, "GET /events HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			go io.Copy(io.Discard, resp.Body)
			time.Sleep(200 * time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = run.Shutdown(ctx)
			took := time.Since(start)
			t.Logf("Shutdown with a 300ms deadline took %v: %v", took.Round(10*time.Millisecond), err)
			if took > time.Second {
				t.Errorf("Shutdown ignored its context: %v", took)
			}
		})
	}
}
