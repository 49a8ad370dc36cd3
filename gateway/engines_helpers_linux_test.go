package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

// engineGateway serves billing.example.com (AuthNone) forwarding to target,
// through one ingress with the given engine.
func engineGateway(t *testing.T, target netip.AddrPort, engine string, in gateway.Ingress, cfg func(*gateway.Config)) (string, *gateway.Running) {
	t.Helper()
	w := lt.New(t, region)
	sn := w.ServiceNetwork(lt.Account, "main", model.AuthNone)
	w.AssociateVPC(sn, vpcMain)
	svc := w.Service(lt.Account, "billing", model.AuthNone, "billing.example.com")
	w.Associate(sn, svc)
	tg := w.TargetGroup(lt.Account, "web", target)
	w.Listener(svc, 80, lt.Forward([]*model.TargetGroup{tg}))
	state := &snapshot.State{Lattice: w.Build(), Identity: lt.Identities(t, time.Now().Add(-time.Hour))}
	c := gateway.Config{Region: region, State: func() *snapshot.State { return state }, UpstreamTimeout: 2 * time.Second}
	if cfg != nil {
		cfg(&c)
	}
	g, err := gateway.New(c)
	if err != nil {
		t.Fatal(err)
	}
	in.Listen, in.VPC, in.ListenerPort, in.Engine = "127.0.0.1:0", vpcMain, 80, engine
	run, err := g.Start([]gateway.Ingress{in})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		run.Shutdown(ctx)
	})
	return run.Addrs()[0].String(), run
}

func engineTarget(t *testing.T, h http.Handler) netip.AddrPort {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return netip.MustParseAddrPort(srv.Listener.Addr().String())
}

var bothEngines = []string{gateway.EngineGoroutines, gateway.EngineEventLoop}
