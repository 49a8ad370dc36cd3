package network

import (
	"slices"
	"testing"
)

const ordersName = "orders.provider.example"

// withOrders makes ServiceA an endpoint service named ordersName, with a
// target, that VPC B's endpoint (private DNS on) connects to; VPC A has no
// endpoint to it. The endpoint's security group admits the listener port,
// 8443, from VPC B.
func withOrders(mutate ...func(*Config)) func(*Config) {
	return func(c *Config) {
		withService(true, []string{"arn:aws:iam::444455556666:root"}, Connection{Endpoint: vpceB, State: "available"})(c)
		c.EndpointServices[0].PrivateDNSName = "Orders.Provider.Example"
		c.EndpointServices[0].ListenerPort = 8443
		c.EndpointServices[0].Targets = []string{"127.0.0.1:9001", "backend.internal:9002"}
		c.SecurityGroups[5].Ingress = []SGRule{{Protocol: "tcp", FromPort: port(8443), CIDR: "10.199.0.0/16"}}
		for _, m := range mutate {
			m(c)
		}
	}
}

func TestServiceByID(t *testing.T) {
	c := labConfig()
	withOrders()(&c)
	n := mustBuild(t, c)
	s, ok := n.ServiceByID(svcA)
	if !ok || s.Name != "com.amazonaws.vpce.us-east-1.vpce-svc-aaaa0001" || s.Account != acctA || !s.AcceptanceRequired ||
		s.PrivateDNSName != ordersName || s.ListenerPort != 8443 || !slices.Equal(s.Targets, []string{"127.0.0.1:9001", "backend.internal:9002"}) {
		t.Errorf("ServiceByID = %+v, %v", s, ok)
	}
	if _, ok := n.ServiceByID("vpce-svc-00000000"); ok {
		t.Error("ServiceByID found a missing service")
	}
	c = labConfig()
	withService(false, []string{"*"})(&c)
	if s, _ := mustBuild(t, c).ServiceByID(svcA); s.ListenerPort != DefaultListenerPort || s.PrivateDNSName != "" || s.Targets != nil {
		t.Errorf("a service without port, name or targets: %+v", s)
	}
}

func TestResolveName(t *testing.T) {
	privateDNSOff := func(c *Config) { c.InterfaceEndpoints[1].PrivateDNS = false }
	tests := []struct {
		name   string
		mutate func(*Config)
		vpc    string
		query  string
		want   string
	}{
		{"the endpoint with private DNS", withOrders(), vpcB, ordersName, vpceB},
		{"case and a final dot do not matter", withOrders(), vpcB, "ORDERS.provider.example.", vpceB},
		{"another VPC has no endpoint to the service", withOrders(), vpcA, ordersName, ""},
		{"private DNS off", withOrders(privateDNSOff), vpcB, ordersName, ""},
		{"a service without a private DNS name", withOrders(func(c *Config) { c.EndpointServices[0].PrivateDNSName = "" }), vpcB, ordersName, ""},
		{"another name", withOrders(), vpcB, "example.com", ""},
		{"an unknown VPC", withOrders(), "vpc-00000000", ordersName, ""},
		{"pending acceptance still resolves", withOrders(func(c *Config) { c.EndpointServices[0].Connections = nil }), vpcB, ordersName, vpceB},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := labConfig()
			tc.mutate(&c)
			n := mustBuild(t, c)
			e, ok := n.ResolveName(tc.vpc, tc.query)
			if ok != (tc.want != "") || e.ID != tc.want {
				t.Fatalf("ResolveName(%s, %s) = %q, %v; want %q", tc.vpc, tc.query, e.ID, ok, tc.want)
			}
			if ok && e.PrivateDNSName != ordersName {
				t.Errorf("the endpoint's PrivateDNSName is %q", e.PrivateDNSName)
			}
		})
	}
}

func TestEvaluateDestName(t *testing.T) {
	byName := func(src, name string) Flow {
		return Flow{SourceENI: src, DestName: name, Protocol: TCP, DestPort: 8443, SourcePort: 50000}
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		flow   Flow
		want   want
		dest   Peer
	}{
		{"resolved to the endpoint, connection available", withOrders(), byName(eniB, ordersName),
			want{reachable: true, hops: []string{eniB, sgBDef, rtbB, sgBVPCE, eniVPCEB, vpceB, svcA}},
			Peer{Interface: eniVPCEB, VPC: vpcB, Account: acctB, Addr: addr("10.199.0.50"), Name: ordersName}},
		{"resolved, security group closed", withOrders(func(c *Config) { c.SecurityGroups[5].Ingress[0].CIDR = "10.199.9.0/24" }), byName(eniB, ordersName),
			want{layer: LayerSecurityGroup, code: CodeSG, component: sgBVPCE}, Peer{}},
		{"resolved, pending acceptance", withOrders(func(c *Config) { c.EndpointServices[0].Connections = nil }), byName(eniB, ordersName),
			want{layer: LayerRoute, code: CodeBadState, component: svcA, explain: "is pendingAcceptance"}, Peer{}},
		{"resolved, rejected", withOrders(func(c *Config) { c.EndpointServices[0].Connections[0].State = "rejected" }), byName(eniB, ordersName),
			want{layer: LayerRoute, code: CodeBadState, component: svcA, explain: "is rejected"}, Peer{}},
		{"no endpoint in the caller's VPC", withOrders(), byName(eniEC2, ordersName),
			want{layer: LayerRoute, code: CodeNoRoute, component: rtbA, hops: []string{eniEC2, sgAEC2, rtbA},
				explain: "route table rtb-aaaa0001 of subnet-aaaa0001 has no route to orders.provider.example, the private DNS name of endpoint service vpce-svc-aaaa0001: the service is reached only through an interface endpoint, and vpc-aaaa0001 has no interface endpoint to it with private DNS"},
			Peer{Name: ordersName}},
		{"the endpoint has private DNS off", withOrders(func(c *Config) { c.InterfaceEndpoints[1].PrivateDNS = false }), byName(eniB, ordersName),
			want{layer: LayerRoute, code: CodeNoRoute, component: rtbB,
				explain: "vpc-bbbb0001 has endpoint vpce-bbbb0001 connects to it with private DNS off"}, Peer{Name: ordersName}},
		{"a name trellis cannot resolve", withOrders(), byName(eniB, "example.com"),
			want{layer: LayerNotFound, code: CodeDestinationNotFound, component: vpcB,
				explain: "no interface endpoint of vpc-bbbb0001 answers for example.com, and it is no endpoint service's private DNS name"}, Peer{Name: "example.com"}},
		{"the name picks an interface by address", withOrders(), Flow{SourceENI: eniB, DestName: ordersName, DestAddr: addr("10.199.0.51"), Protocol: TCP, DestPort: 8443},
			want{layer: LayerNotFound, code: CodeDestinationNotFound, component: vpceB, explain: "has no network interface with address 10.199.0.51"}, Peer{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := labConfig()
			tc.mutate(&c)
			v := mustBuild(t, c).Evaluate(tc.flow)
			checkVerdict(t, v, tc.want)
			if tc.dest != (Peer{}) && v.Destination != tc.dest {
				t.Errorf("destination %+v, want %+v", v.Destination, tc.dest)
			}
		})
	}
}

// TestEvaluateByNameDoesNotAllocate: resolving a name costs no allocation.
func TestEvaluateByNameDoesNotAllocate(t *testing.T) {
	c := labConfig()
	withOrders()(&c)
	n := mustBuild(t, c)
	for _, f := range []Flow{
		{SourceENI: eniB, DestName: ordersName, Protocol: TCP, DestPort: 8443},
		{SourceENI: eniEC2, DestName: ordersName, Protocol: TCP, DestPort: 8443},
	} {
		if a := testing.AllocsPerRun(100, func() { n.Evaluate(f) }); a != 0 {
			t.Errorf("%s from %s: %v allocations per Evaluate, want 0", f.DestName, f.SourceENI, a)
		}
	}
}
