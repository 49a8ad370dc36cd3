package privatelinklab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/internal/orderhistory"
	"github.com/trellisproject/trellis/internal/privatelinklab"
	"github.com/trellisproject/trellis/network"
	"github.com/trellisproject/trellis/snapshot"
)

const ordersName = "orders.provider.example"

// outcome is what a call should meet: reachable, or blocked at a layer
// with a code by a component.
type outcome struct {
	reachable bool
	layer     network.Layer
	code      network.Code
	component string
}

var allowed = outcome{reachable: true}

// call is one caller's call of the example, statically as a flow and live
// as a connection from its loopback address through an ingress.
type call struct {
	name    string
	flow    network.Flow
	source  string // the caller's loopback address
	ingress int    // which of liveIngresses it connects to
	want    map[string]outcome
}

var calls = []call{
	{"orders-client to the orders service",
		network.Flow{SourceENI: "eni-cccc0001", DestName: ordersName, Protocol: network.TCP, DestPort: 80},
		"127.50.1.10", 0, map[string]outcome{
			privatelinklab.StagePending:  {layer: network.LayerRoute, code: network.CodeBadState, component: "vpce-svc-aaaa0001"},
			privatelinklab.StageAccepted: allowed,
		}},
	{"batch-job (another security group) to the orders service",
		network.Flow{SourceENI: "eni-cccc0002", DestName: ordersName, Protocol: network.TCP, DestPort: 80},
		"127.50.2.20", 0, map[string]outcome{
			privatelinklab.StagePending:  {layer: network.LayerSecurityGroup, code: network.CodeSG, component: "sg-cccc0004"},
			privatelinklab.StageAccepted: {layer: network.LayerSecurityGroup, code: network.CodeSG, component: "sg-cccc0004"},
		}},
	{"partner-client (not an allowed principal) to the orders service",
		network.Flow{SourceENI: "eni-dddd0001", DestName: ordersName, Protocol: network.TCP, DestPort: 80},
		"127.60.1.10", 1, map[string]outcome{
			privatelinklab.StagePending:  {layer: network.LayerRoute, code: network.CodeNoRoute, component: "rtb-dddd0001"},
			privatelinklab.StageAccepted: {layer: network.LayerRoute, code: network.CodeNoRoute, component: "rtb-dddd0001"},
		}},
	{"orders-client to the internet",
		network.Flow{SourceENI: "eni-cccc0001", DestAddr: netip.MustParseAddr("203.0.113.10"), Protocol: network.TCP, DestPort: 443},
		"127.50.1.10", 2, map[string]outcome{
			privatelinklab.StagePending:  {layer: network.LayerRoute, code: network.CodeNoRoute, component: "rtb-cccc0001"},
			privatelinklab.StageAccepted: {layer: network.LayerRoute, code: network.CodeNoRoute, component: "rtb-cccc0001"},
		}},
}

// liveIngresses are what the callers dial: the service's name from the
// consumer's VPC and from the partner's, and an internet address from the
// consumer's. Callers at 127.50.x.y are 10.50.x.y, at 127.60.x.y 10.60.x.y.
var liveIngresses = []gateway.EndpointIngress{
	{Listen: "127.0.0.1:0", VPC: "vpc-cccc0001", Destination: ordersName + ":80",
		SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.50.0.0/16"), To: netip.MustParsePrefix("10.50.0.0/16")}}},
	{Listen: "127.0.0.1:0", VPC: "vpc-dddd0001", Destination: ordersName + ":80",
		SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.60.0.0/16"), To: netip.MustParsePrefix("10.60.0.0/16")}}},
	{Listen: "127.0.0.1:0", VPC: "vpc-cccc0001", Destination: "203.0.113.10:443",
		SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.50.0.0/16"), To: netip.MustParsePrefix("10.50.0.0/16")}}},
}

// network builds a stage's network, with the service's target at backend
// when it is not empty.
func buildNetwork(t *testing.T, stage, backend string) *network.Network {
	t.Helper()
	doc, err := privatelinklab.Document(stage)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Identity == nil || len(doc.Identity.Accounts) != 3 {
		t.Fatalf("stage %s: the identity section is missing", stage)
	}
	if backend != "" {
		doc.Network.EndpointServices[0].Targets = []string{backend}
	}
	n, err := network.Build(*doc.Network)
	if err != nil {
		t.Fatalf("stage %s: %v", stage, err)
	}
	return n
}

// TestStagesDiffer: accepted.yaml is config.yaml's network section with
// the connection accepted, and nothing else.
func TestStagesDiffer(t *testing.T) {
	pending, err := privatelinklab.Document(privatelinklab.StagePending)
	if err != nil {
		t.Fatal(err)
	}
	accepted, err := privatelinklab.Document(privatelinklab.StageAccepted)
	if err != nil {
		t.Fatal(err)
	}
	want := []network.Connection{{Endpoint: "vpce-cccc0001", State: "available"}}
	if got := accepted.Network.EndpointServices[0].Connections; !reflect.DeepEqual(got, want) {
		t.Fatalf("accepted connections %+v, want %+v", got, want)
	}
	if pending.Network.EndpointServices[0].Connections != nil {
		t.Fatalf("pending connections %+v, want none", pending.Network.EndpointServices[0].Connections)
	}
	same := *accepted.Network
	same.EndpointServices = []network.EndpointService{accepted.Network.EndpointServices[0]}
	same.EndpointServices[0].Connections = nil
	if !reflect.DeepEqual(same, *pending.Network) {
		t.Error("accepted.yaml differs from config.yaml in more than the connection")
	}
	if _, err := privatelinklab.Document("rejected"); err == nil || !strings.Contains(err.Error(), `not "rejected"`) {
		t.Errorf("an unknown stage: %v", err)
	}
}

// TestStatic evaluates every call of the example at every stage.
func TestStatic(t *testing.T) {
	for _, stage := range privatelinklab.Stages {
		n := buildNetwork(t, stage, "")
		for _, c := range calls {
			v := n.Evaluate(c.flow)
			want := c.want[stage]
			if v.Reachable != want.reachable || v.Layer != want.layer || v.Code != want.code || v.Component != want.component {
				t.Errorf("%s, %s: %s\nwant %+v", stage, c.name, v, want)
			}
		}
	}
	// The partner's call says why the service's name leads nowhere.
	v := buildNetwork(t, privatelinklab.StagePending, "").Evaluate(calls[2].flow)
	if want := "the service is reached only through an interface endpoint, and vpc-dddd0001 has no interface endpoint to it with private DNS"; !strings.Contains(v.Explanation(), want) {
		t.Errorf("explanation %q, want %q", v.Explanation(), want)
	}
	e, ok := buildNetwork(t, privatelinklab.StagePending, "").ResolveName("vpc-cccc0001", ordersName)
	if !ok || e.ID != "vpce-cccc0001" || e.State != network.StatePendingAcceptance {
		t.Errorf("ResolveName in the consumer's VPC: %+v, %v", e, ok)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLive runs the example through the gateway: the orders backend (a
// real HTTP service) behind the endpoint service, each caller connecting
// from its own address; the live outcome of every call matches the
// static one, and every blocked call leaves a REJECT flow log record.
func TestLive(t *testing.T) {
	oh, err := orderhistory.New()
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		oh.ServeHTTP(w, r)
	}))
	defer backend.Close()
	target := backend.Listener.Addr().String()

	var state atomic.Pointer[snapshot.State]
	flowLog := &syncBuffer{}
	g, err := gateway.New(gateway.Config{Region: "us-east-1", State: state.Load, FlowLog: gateway.NewFlowLog(flowLog),
		Logger: slog.New(slog.DiscardHandler), ServiceIdleTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	state.Store(&snapshot.State{Network: buildNetwork(t, privatelinklab.StagePending, target)})
	run, err := g.StartEndpoints(liveIngresses)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(context.Background())

	rejects, wantHits := 0, int64(0)
	for _, stage := range privatelinklab.Stages {
		n := buildNetwork(t, stage, target)
		state.Store(&snapshot.State{Network: n})
		for _, c := range calls {
			static := n.Evaluate(c.flow)
			status, body, err := get(c.source, run.Addrs()[c.ingress].String())
			switch {
			case static.Reachable:
				var res orderhistory.Response
				if err != nil || status != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || len(res.Orders) == 0 {
					t.Errorf("%s, %s: %d %q %v, want the orders", stage, c.name, status, body, err)
				}
				wantHits++
			case err == nil:
				t.Errorf("%s, %s: %d %q, want the connection closed (%s)", stage, c.name, status, body, static)
			default:
				rejects++
			}
		}
	}
	if hits.Load() != wantHits || wantHits != 1 {
		t.Errorf("the backend served %d calls, want %d (orders-client after acceptance)", hits.Load(), wantHits)
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(flowLog.String(), "\n") < rejects+1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	log := flowLog.String()
	if strings.Count(log, " REJECT OK\n") != rejects || strings.Count(log, " ACCEPT OK\n") != 1 || rejects != 7 {
		t.Errorf("%d rejected calls; flow log:\n%s", rejects, log)
	}
	for _, want := range []string{
		"2 444455556666 eni-cccc00e1 10.50.1.10 10.50.10.50 ",  // pending: at the endpoint's interface
		"2 444455556666 eni-cccc00e2 10.50.2.20 10.50.11.50 ",  // batch-job: at the endpoint's interface in its zone
		"2 777788889999 eni-dddd0001 10.60.1.10 - ",            // the partner: at its own interface, no destination
		"2 444455556666 eni-cccc0001 10.50.1.10 203.0.113.10 ", // the internet: at the client's interface
	} {
		if !strings.Contains(log, want) {
			t.Errorf("no record %q in the flow log:\n%s", want, log)
		}
	}
}

// get sends GET /orders for the orders service's name from source to addr,
// on a new connection.
func get(source, addr string) (int, string, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext, DisableKeepAlives: true}, Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/orders", nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = ordersName
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
