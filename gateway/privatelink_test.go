package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/network"
	"github.com/trellisproject/trellis/snapshot"
)

// The PrivateLink fixture: a consumer VPC (10.50.0.0/16, account
// 444455556666) with a workload at 10.50.0.10 and an interface endpoint
// (10.50.0.50, private DNS on) to the provider's endpoint service, whose
// security group admits tcp/443 from 10.50.0.0/24; a second VPC of another
// account (10.60.0.0/16) has no endpoint. Callers connect from 127.50.x.y
// and 127.60.x.y, which the source maps place in the two VPCs.
const (
	plService  = "vpce-svc-aaaa0001"
	plEndpoint = "vpce-cccc0001"
	plName     = "orders.provider.example"
)

var (
	consumerMap = []gateway.AddressMap{{From: netip.MustParsePrefix("127.50.0.0/16"), To: netip.MustParsePrefix("10.50.0.0/16")}}
	otherMap    = []gateway.AddressMap{{From: netip.MustParsePrefix("127.60.0.0/16"), To: netip.MustParsePrefix("10.60.0.0/16")}}
)

func port(p int) *int { return &p }

// plConfig is the fixture with the connection in the given state ("" for
// none listed: pendingAcceptance) and the service's targets.
func plConfig(state string, targets ...string) network.Config {
	c := network.Config{
		VPCs: []network.VPC{
			{ID: "vpc-cccc0001", Account: "444455556666", Region: "us-east-1", CIDRBlocks: []string{"10.50.0.0/16"}},
			{ID: "vpc-dddd0001", Account: "777788889999", Region: "us-east-1", CIDRBlocks: []string{"10.60.0.0/16"}},
		},
		Subnets: []network.Subnet{
			{ID: "subnet-cccc0001", VPC: "vpc-cccc0001", CIDR: "10.50.0.0/24", AvailabilityZone: "us-east-1a"},
			{ID: "subnet-dddd0001", VPC: "vpc-dddd0001", CIDR: "10.60.0.0/24", AvailabilityZone: "us-east-1a"},
		},
		RouteTables: []network.RouteTable{{ID: "rtb-cccc0001", VPC: "vpc-cccc0001", Main: true}, {ID: "rtb-dddd0001", VPC: "vpc-dddd0001", Main: true}},
		NetworkACLs: []network.NetworkACL{{ID: "acl-cccc0001", VPC: "vpc-cccc0001", Default: true}, {ID: "acl-dddd0001", VPC: "vpc-dddd0001", Default: true}},
		SecurityGroups: []network.SecurityGroup{
			{ID: "sg-cccc0001", VPC: "vpc-cccc0001", Default: true},
			{ID: "sg-cccc0002", VPC: "vpc-cccc0001", Ingress: []network.SGRule{{Protocol: "tcp", FromPort: port(443), CIDR: "10.50.0.0/24"}}},
			{ID: "sg-dddd0001", VPC: "vpc-dddd0001", Default: true},
		},
		NetworkInterfaces: []network.NetworkInterface{
			{ID: "eni-cccc0001", Subnet: "subnet-cccc0001", PrivateIP: "10.50.0.10", Workload: network.Workload{Kind: network.WorkloadEC2}},
			{ID: "eni-dddd0001", Subnet: "subnet-dddd0001", PrivateIP: "10.60.0.10", Workload: network.Workload{Kind: network.WorkloadEC2}},
		},
		InterfaceEndpoints: []network.InterfaceEndpoint{{ID: plEndpoint, VPC: "vpc-cccc0001", ServiceName: network.ServiceName("us-east-1", plService),
			PrivateDNS: true, SecurityGroups: []string{"sg-cccc0002"},
			NetworkInterfaces: []network.EndpointInterface{{ID: "eni-cccc00e1", Subnet: "subnet-cccc0001", PrivateIP: "10.50.0.50"}}}},
		EndpointServices: []network.EndpointService{{ID: plService, Account: "111122223333", Region: "us-east-1",
			AcceptanceRequired: true, AllowedPrincipals: []string{"arn:aws:iam::444455556666:root"},
			PrivateDNSName: plName, Targets: targets}},
	}
	if state != "" {
		c.EndpointServices[0].Connections = []network.Connection{{Endpoint: plEndpoint, State: state}}
	}
	return c
}

func plState(t testing.TB, c network.Config) *snapshot.State {
	t.Helper()
	n, err := network.Build(c)
	if err != nil {
		t.Fatal(err)
	}
	return &snapshot.State{Network: n}
}

// upperServer is a TCP backend: it reads until the caller half-closes,
// answers with what it read in upper case and its own name, and closes.
type upperServer struct {
	addr  string
	conns atomic.Int64
}

func newUpperServer(t testing.TB, name string) *upperServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &upperServer{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				b, _ := io.ReadAll(c)
				c.Write(append(bytes.ToUpper(b), " from "+name...))
			}()
		}
	}()
	return s
}

// plGateway runs endpoint ingresses over a swappable state.
type plGateway struct {
	state   atomic.Pointer[snapshot.State]
	flowLog *syncBuffer
	run     *gateway.Running
}

func startPL(t *testing.T, st *snapshot.State, cfg gateway.Config, ins ...gateway.EndpointIngress) *plGateway {
	t.Helper()
	p := &plGateway{flowLog: &syncBuffer{}}
	p.state.Store(st)
	cfg.Region, cfg.State, cfg.FlowLog = "us-east-1", p.state.Load, gateway.NewFlowLog(p.flowLog)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ServiceIdleTimeout == 0 {
		cfg.ServiceIdleTimeout = 10 * time.Second // a hung proxy fails the test soon
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p.run, err = g.StartEndpoints(ins); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.run.Shutdown(context.Background()) })
	return p
}

func (p *plGateway) addr(i int) string { return p.run.Addrs()[i].String() }

// exchange connects from source, sends msg, half-closes and reads the
// answer to its end. A refused connection answers "" or an error.
func exchange(t *testing.T, source, addr, msg string) (string, error) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", err
	}
	c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	return string(b), err
}

// waitLog waits until the flow log has n lines.
func (p *plGateway) waitLog(t *testing.T, n int) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(p.flowLog.String(), "\n") < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return p.flowLog.String()
}

// TestPrivateLinkProxy connects through the endpoint's ingress in each
// state of the connection: only an available connection, with the path's
// security group open, reaches the target.
func TestPrivateLinkProxy(t *testing.T) {
	closedSG := func(c *network.Config) { c.SecurityGroups[1].Ingress[0].CIDR = "10.50.9.0/24" }
	tests := []struct {
		name   string
		state  string
		mutate func(*network.Config)
		want   string // "" for refused
		record string
	}{
		{"available", "available", nil, "HELLO from a",
			"2 444455556666 eni-cccc00e1 10.50.0.10 10.50.0.50 "},
		{"pending acceptance", "", nil, "", "2 444455556666 eni-cccc00e1 10.50.0.10 10.50.0.50 "},
		{"rejected", "rejected", nil, "", "2 444455556666 eni-cccc00e1 10.50.0.10 10.50.0.50 "},
		{"security group closed", "available", closedSG, "", "2 444455556666 eni-cccc00e1 10.50.0.10 10.50.0.50 "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			backend := newUpperServer(t, "a")
			c := plConfig(tc.state, backend.addr)
			if tc.mutate != nil {
				tc.mutate(&c)
			}
			p := startPL(t, plState(t, c), gateway.Config{}, gateway.EndpointIngress{Listen: "127.0.0.1:0", Endpoint: plEndpoint, SourceMap: consumerMap})
			got, err := exchange(t, "127.50.0.10", p.addr(0), "hello")
			if tc.want != "" && (err != nil || got != tc.want) {
				t.Fatalf("answer %q, %v; want %q", got, err, tc.want)
			}
			if tc.want == "" && got != "" {
				t.Fatalf("a refused connection answered %q", got)
			}
			log := p.waitLog(t, 1)
			action, conns := " REJECT OK\n", int64(0)
			if tc.want != "" {
				action, conns = " ACCEPT OK\n", 1
			}
			if !strings.HasPrefix(log, tc.record) || !strings.HasSuffix(log, action) || !strings.Contains(log, " 443 6 ") || strings.Count(log, "\n") != 1 {
				t.Errorf("flow log %q, want one record %q...%q", log, tc.record, action)
			}
			if n := backend.conns.Load(); n != conns {
				t.Errorf("the target saw %d connections, want %d", n, conns)
			}
		})
	}
}

// TestPrivateLinkAcceptance accepts the connection by a configuration
// change: the next connection is admitted, without a restart.
func TestPrivateLinkAcceptance(t *testing.T) {
	backend := newUpperServer(t, "a")
	p := startPL(t, plState(t, plConfig("", backend.addr)), gateway.Config{},
		gateway.EndpointIngress{Listen: "127.0.0.1:0", Endpoint: plEndpoint, SourceMap: consumerMap})
	if got, _ := exchange(t, "127.50.0.10", p.addr(0), "before"); got != "" {
		t.Fatalf("pending acceptance, the caller got %q", got)
	}
	p.state.Store(plState(t, plConfig("available", backend.addr)))
	if got, err := exchange(t, "127.50.0.10", p.addr(0), "after"); err != nil || got != "AFTER from a" {
		t.Fatalf("after acceptance: %q, %v", got, err)
	}
	log := p.waitLog(t, 2)
	if lines := strings.Split(strings.TrimSpace(log), "\n"); len(lines) != 2 || !strings.HasSuffix(lines[0], "REJECT OK") ||
		!strings.HasSuffix(lines[1], "ACCEPT OK") || !strings.Contains(lines[1], " 443 6 1 5 ") {
		t.Errorf("flow log:\n%s", log)
	}
}

// TestPrivateLinkFailClosed: while the configuration may be out of date,
// connections to an endpoint service are closed unless ServeStale is set.
func TestPrivateLinkFailClosed(t *testing.T) {
	stale := func() error { return errors.New("the store cannot be read") }
	for _, tc := range []struct {
		name       string
		serveStale bool
		want       string
	}{{"refuse", false, ""}, {"serve stale", true, "HELLO from a"}} {
		t.Run(tc.name, func(t *testing.T) {
			backend := newUpperServer(t, "a")
			p := startPL(t, plState(t, plConfig("available", backend.addr)), gateway.Config{Fresh: stale, ServeStale: tc.serveStale},
				gateway.EndpointIngress{Listen: "127.0.0.1:0", Endpoint: plEndpoint, SourceMap: consumerMap})
			got, _ := exchange(t, "127.50.0.10", p.addr(0), "hello")
			if got != tc.want {
				t.Errorf("answer %q, want %q", got, tc.want)
			}
			wantConns := int64(0)
			if tc.want != "" {
				wantConns = 1
			}
			if n := backend.conns.Load(); n != wantConns {
				t.Errorf("the target saw %d connections, want %d", n, wantConns)
			}
		})
	}
}

// TestPrivateLinkByName: an ingress for what callers of a VPC dial. The
// consumer's name resolves to its endpoint; the other VPC has no endpoint
// and finds no route, logged at its own interface.
func TestPrivateLinkByName(t *testing.T) {
	backend := newUpperServer(t, "a")
	p := startPL(t, plState(t, plConfig("available", backend.addr)), gateway.Config{},
		gateway.EndpointIngress{Listen: "127.0.0.1:0", VPC: "vpc-cccc0001", Destination: plName + ":443", SourceMap: consumerMap},
		gateway.EndpointIngress{Listen: "127.0.0.1:0", VPC: "vpc-dddd0001", Destination: plName + ":443", SourceMap: otherMap},
		gateway.EndpointIngress{Listen: "127.0.0.1:0", VPC: "vpc-cccc0001", Destination: "203.0.113.10:443", SourceMap: consumerMap},
	)
	if got, err := exchange(t, "127.50.0.10", p.addr(0), "by name"); err != nil || got != "BY NAME from a" {
		t.Fatalf("consumer by name: %q, %v", got, err)
	}
	log := p.waitLog(t, 1)
	if got, _ := exchange(t, "127.60.0.10", p.addr(1), "other"); got != "" {
		t.Fatalf("the other VPC got %q", got)
	}
	if got, _ := exchange(t, "127.50.0.10", p.addr(2), "internet"); got != "" {
		t.Fatalf("the internet answered %q", got)
	}
	log = p.waitLog(t, 3)
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "2 444455556666 eni-cccc00e1 10.50.0.10 10.50.0.50 ") || !strings.HasSuffix(lines[0], " ACCEPT OK") {
		t.Fatalf("flow log:\n%s", log)
	}
	for i, want := range []string{"2 777788889999 eni-dddd0001 10.60.0.10 - ", "2 444455556666 eni-cccc0001 10.50.0.10 203.0.113.10 "} {
		if l := lines[i+1]; !strings.HasPrefix(l, want) || !strings.HasSuffix(l, " 443 6 1 60 "+strings.Fields(l)[10]+" "+strings.Fields(l)[11]+" REJECT OK") {
			t.Errorf("record %q, want %q... REJECT OK", l, want)
		}
	}
	if n := backend.conns.Load(); n != 1 {
		t.Errorf("the target saw %d connections, want 1", n)
	}
}

// TestPrivateLinkTargets: connections take the targets in turn, skip a
// target that refuses, and are closed when none answers.
func TestPrivateLinkTargets(t *testing.T) {
	a, b := newUpperServer(t, "a"), newUpperServer(t, "b")
	dead := deadAddr(t)
	logs := &syncBuffer{}
	p := startPL(t, plState(t, plConfig("available", a.addr, dead, b.addr)), gateway.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))},
		gateway.EndpointIngress{Listen: "127.0.0.1:0", Endpoint: plEndpoint, SourceMap: consumerMap})
	var got []string
	for range 3 {
		ans, err := exchange(t, "127.50.0.10", p.addr(0), "x")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ans)
	}
	// a; then the dead target, skipped for b; then b.
	if want := []string{"X from a", "X from b", "X from b"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("answers %q, want %q", got, want)
	}

	p.state.Store(plState(t, plConfig("available", dead)))
	if ans, _ := exchange(t, "127.50.0.10", p.addr(0), "x"); ans != "" {
		t.Errorf("with no target answering, the caller got %q", ans)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "endpoint service unreachable") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if l := logs.String(); !strings.Contains(l, "endpoint service unreachable: connection closed") || !strings.Contains(l, "service="+plService) {
		t.Errorf("log:\n%s", l)
	}
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestPrivateLinkStreams: a long exchange in both directions, bytes intact,
// and the caller's half-close reaches the target only when it is sent.
func TestPrivateLinkStreams(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// The target echoes what it reads, then adds "bye" when the caller
	// half-closes.
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
		c.Write([]byte("bye"))
	}()
	p := startPL(t, plState(t, plConfig("available", ln.Addr().String())), gateway.Config{},
		gateway.EndpointIngress{Listen: "127.0.0.1:0", Endpoint: plEndpoint, SourceMap: consumerMap})
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.50.0.10")}}
	c, err := d.Dial("tcp", p.addr(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	payload := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB, more than one buffer
	go func() {
		c.Write(payload)
		c.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, append(payload, "bye"...)) {
		t.Fatalf("read %d bytes (%v), want the payload echoed and bye", len(got), err)
	}
	log := p.waitLog(t, 1)
	if f := strings.Fields(log); len(f) != 14 || f[9] != "1048576" || f[12] != "ACCEPT" {
		t.Errorf("flow log %q: want an ACCEPT record of 1048576 bytes", log)
	}
}

// TestPrivateLinkIdle: a flow with no data either way for the idle
// timeout is closed.
func TestPrivateLinkIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, c)
		}
	}()
	p := startPL(t, plState(t, plConfig("available", ln.Addr().String())), gateway.Config{ServiceIdleTimeout: 100 * time.Millisecond},
		gateway.EndpointIngress{Listen: "127.0.0.1:0", Endpoint: plEndpoint, SourceMap: consumerMap})
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.50.0.10")}}
	c, err := d.Dial("tcp", p.addr(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("an idle connection read %v after %s, want it closed by the gateway", err, time.Since(start))
	}
}

// TestPrivateLinkNoLeaks runs connections of every kind, leaves one open,
// and shuts down: every goroutine the gateway started ends, and the open
// connection is closed when the shutdown's context ends.
func TestPrivateLinkNoLeaks(t *testing.T) {
	backend := newUpperServer(t, "a")
	hold, err := net.Listen("tcp", "127.0.0.1:0") // a target that never answers
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	var held sync.WaitGroup
	held.Add(1)
	go func() {
		defer held.Done()
		c, err := hold.Accept()
		if err == nil {
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	baseline := runtime.NumGoroutine()

	var state atomic.Pointer[snapshot.State]
	state.Store(plState(t, plConfig("available", backend.addr)))
	g, err := gateway.New(gateway.Config{Region: "us-east-1", State: state.Load, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.StartEndpoints([]gateway.EndpointIngress{
		{Listen: "127.0.0.1:0", Endpoint: plEndpoint, SourceMap: consumerMap},
		{Listen: "127.0.0.1:0", VPC: "vpc-dddd0001", Destination: plName + ":443", SourceMap: otherMap},
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if got, err := exchange(t, "127.50.0.10", run.Addrs()[0].String(), "x"); err != nil || got != "X from a" {
			t.Fatalf("%q, %v", got, err)
		}
		exchange(t, "127.60.0.10", run.Addrs()[1].String(), "x")
	}
	// A connection left open to a target that never answers.
	state.Store(plState(t, plConfig("available", hold.Addr().String())))
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.50.0.10")}}
	open, err := d.Dial("tcp", run.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	open.Write([]byte("waiting"))

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := run.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a connection open: %v, want the context's deadline", err)
	}
	open.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := open.Read(make([]byte, 1)); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the open connection read %v after Shutdown, want it closed", err)
	}
	held.Wait() // the target saw its connection end
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Shutdown, %d before the gateway started:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

// TestEndpointIngressForms checks the two ways to name what an ingress
// stands for.
func TestEndpointIngressForms(t *testing.T) {
	g, err := gateway.New(gateway.Config{Region: "us-east-1", State: func() *snapshot.State { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   gateway.EndpointIngress
		want string
	}{
		{gateway.EndpointIngress{Listen: "127.0.0.1:0", Endpoint: plEndpoint, VPC: "vpc-cccc0001"}, "endpoint 127.0.0.1:0: give either endpoint, or vpc and destination, not both"},
		{gateway.EndpointIngress{Listen: "127.0.0.1:0"}, "name the interface endpoint (endpoint: vpce-...), or the callers' VPC and what they dial"},
		{gateway.EndpointIngress{Listen: "127.0.0.1:0", VPC: "vpc-1", Destination: plName + ":443"}, `vpc "vpc-1" is not a VPC ID`},
		{gateway.EndpointIngress{Listen: "127.0.0.1:0", VPC: "vpc-cccc0001"}, `destination "" is not HOST:PORT`},
		{gateway.EndpointIngress{Listen: "127.0.0.1:0", VPC: "vpc-cccc0001", Destination: plName}, `destination "orders.provider.example" is not HOST:PORT: give what callers dial`},
		{gateway.EndpointIngress{Listen: "127.0.0.1:0", VPC: "vpc-cccc0001", Destination: plName + ":0"}, "has no valid port: use 1-65535"},
		{gateway.EndpointIngress{Listen: "127.0.0.1:0", VPC: "vpc-cccc0001", Destination: "[fd00::1]:443"}, "IPv4 addresses only"},
		{gateway.EndpointIngress{Listen: "127.0.0.1:0", VPC: "vpc-cccc0001", Destination: "203.0.113.10:443",
			SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.50.0.0/16")}}}, "endpoint ingress 127.0.0.1:0: sourceMap[0] needs both"},
	} {
		run, err := g.StartEndpoints([]gateway.EndpointIngress{tc.in})
		if err == nil {
			run.Shutdown(context.Background())
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.in, err, tc.want)
		}
	}
}
