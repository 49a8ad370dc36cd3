package gateway_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

// billing describes the one-service world many gateway tests use:
// billing.example.com, forwarding on port 80 to one target.
type billing struct {
	// policy, when set, makes the service AWS_IAM with this auth policy;
	// otherwise it is NONE.
	policy string
	// accessLog subscribes the service network's access log (give
	// cfg an AccessLogs to see it).
	accessLog bool
	// in is the ingress; its Listen, VPC and ListenerPort are set here.
	in gateway.Ingress
	// cfg changes the gateway's configuration, whose UpstreamTimeout is
	// 2s unless cfg sets it.
	cfg func(*gateway.Config)
}

// serveBilling starts a gateway for b in front of target and returns its
// ingress address; it is shut down when the test ends.
func serveBilling(t *testing.T, target netip.AddrPort, b billing) (string, *gateway.Running) {
	t.Helper()
	w := lt.New(t, region)
	sn := w.ServiceNetwork(lt.Account, "main", model.AuthNone)
	w.AssociateVPC(sn, vpcMain)
	auth := model.AuthNone
	if b.policy != "" {
		auth = model.AuthIAM
	}
	svc := w.Service(lt.Account, "billing", auth, "billing.example.com")
	if b.policy != "" {
		w.AuthPolicy(svc.Meta, b.policy)
	}
	w.Associate(sn, svc)
	tg := w.TargetGroup(lt.Account, "web", target)
	w.Listener(svc, 80, lt.Forward([]*model.TargetGroup{tg}))
	if b.accessLog {
		w.AccessLog(sn.Meta, "arn:aws:logs:us-east-1:111122223333:log-group:stdout")
	}
	state := &snapshot.State{Lattice: w.Build(), Identity: lt.Identities(t, time.Now().Add(-time.Hour))}
	cfg := gateway.Config{Region: region, State: func() *snapshot.State { return state }, UpstreamTimeout: 2 * time.Second}
	if b.cfg != nil {
		b.cfg(&cfg)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := b.in
	in.Listen, in.VPC, in.ListenerPort = "127.0.0.1:0", vpcMain, 80
	run, err := g.Start([]gateway.Ingress{in})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		run.Shutdown(ctx)
	})
	return run.Addrs()[0].String(), run
}

// sendRaw opens a connection to addr, writes raw (whole requests, as
// sent on the wire) and returns the first answer, whose body is left to
// read; the connection closes when the test ends.
func sendRaw(t *testing.T, addr, raw string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, raw)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
