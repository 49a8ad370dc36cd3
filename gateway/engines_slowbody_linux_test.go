package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
)

// The target sends its answer's head at once and its (small, fixed
// length) body slowly. The upstream timeout (here 500ms) bounds the wait
// for the head only, as h1Client documents ("The body is not bounded").
func TestEnginesSlowBodyAfterHead(t *testing.T) {
	for _, engine := range bothEngines {
		t.Run(engine, func(t *testing.T) {
			target := engineTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "10")
				io.WriteString(w, "hello")
				w.(http.Flusher).Flush()
				time.Sleep(900 * time.Millisecond)
				io.WriteString(w, "world")
			}))
			addr, _ := engineGateway(t, target, engine, gateway.Ingress{}, func(c *gateway.Config) { c.UpstreamTimeout = 500 * time.Millisecond })
			resp := sendRaw(t, addr, "GET /slow HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
			b, _ := io.ReadAll(resp.Body)
			got := fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
			if got != "200 helloworld" {
				t.Errorf("got %q, want \"200 helloworld\"", got)
			}
		})
	}
}
