package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/trellisproject/trellis/gateway"
)

// engineGateway serves billing.example.com (AuthNone), forwarding to
// target, through one ingress with the given engine.
func engineGateway(t *testing.T, target netip.AddrPort, engine string, in gateway.Ingress, cfg func(*gateway.Config)) (string, *gateway.Running) {
	in.Engine = engine
	return serveBilling(t, target, billing{in: in, cfg: cfg})
}

func engineTarget(t *testing.T, h http.Handler) netip.AddrPort {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return netip.MustParseAddrPort(srv.Listener.Addr().String())
}

var bothEngines = []string{gateway.EngineGoroutines, gateway.EngineEventLoop}
