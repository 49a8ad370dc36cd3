package gateway_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/internal/zerotrustlab"
	"github.com/trellisproject/trellis/snapshot"
)

// TestPrivateAPIFaults checks the answers of a private API call whose
// integration fails, and of one made while the configuration is stale, in
// API Gateway's JSON shape.
func TestPrivateAPIFaults(t *testing.T) {
	const timeout = 200 * time.Millisecond
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hanging.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	tests := []struct {
		name    string
		backend string
		stale   bool
		status  int
		body    string
		atLeast time.Duration
	}{
		{"integration hangs", hanging.URL, false, 504, `{"message":"Endpoint request timed out"}`, timeout},
		{"integration refuses connections", refused, false, 502, `{"message":"Internal server error"}`, 0},
		{"configuration stale", hanging.URL, true, 503, `{"message":"ServiceUnavailable: the gateway cannot confirm`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := labStates(t, tt.backend)[3] // stage 4: ServiceA may GET /orders
			fresh := func() error { return nil }
			if tt.stale {
				fresh = func() error { return errors.New("the store cannot be read") }
			}
			g, err := gateway.New(gateway.Config{Region: "us-east-1", State: func() *snapshot.State { return st }, Logger: quiet,
				UpstreamTimeout: timeout, Fresh: fresh})
			if err != nil {
				t.Fatal(err)
			}
			run, err := g.StartEndpoints([]gateway.EndpointIngress{{Listen: "127.0.0.1:0", Endpoint: "vpce-aaaa0001",
				SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}}})
			if err != nil {
				t.Fatal(err)
			}
			defer run.Shutdown(context.Background())
			start := time.Now()
			status, body, err := labCall(callerClient2("127.199.0.10"), run.Addrs()[0].String(), labHost("svcbapi001", "vpce-aaaa0001"), "/api/orders", zerotrustlab.KeyServiceA, nil)
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); status != tt.status || !strings.HasPrefix(body, tt.body) || took < tt.atLeast {
				t.Errorf("%d %s after %v; want %d %s after at least %v", status, body, took, tt.status, tt.body, tt.atLeast)
			}
		})
	}
}
