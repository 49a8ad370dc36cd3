package network

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/trellisproject/trellis/policy"
)

const svcA = "vpce-svc-aaaa0001"

// withService makes ServiceA an endpoint service that VPC B's endpoint
// connects to.
func withService(acceptance bool, principals []string, conns ...Connection) func(*Config) {
	return func(c *Config) {
		c.EndpointServices = []EndpointService{{ID: svcA, Account: acctA, Region: "us-east-1",
			AcceptanceRequired: acceptance, AllowedPrincipals: principals, Connections: conns}}
		c.InterfaceEndpoints[1].ServiceName = ServiceName("us-east-1", svcA)
	}
}

func TestEndpointServiceConnections(t *testing.T) {
	fromB := Flow{SourceENI: eniB, DestEndpoint: vpceB, Protocol: TCP, DestPort: 443, SourcePort: 50000}
	allowB := []string{"arn:aws:iam::444455556666:root"}
	tests := []struct {
		name   string
		mutate func(*Config)
		state  ConnectionState
		want   want
	}{
		{"acceptance not required: available", withService(false, allowB), StateAvailable,
			want{reachable: true, hops: []string{eniB, sgBDef, rtbB, sgBVPCE, eniVPCEB, vpceB, svcA}}},
		{"acceptance required, not yet accepted", withService(true, []string{"*"}), StatePendingAcceptance,
			want{layer: LayerRoute, code: CodeBadState, component: svcA,
				explain: "the connection of endpoint vpce-bbbb0001 to endpoint service vpce-svc-aaaa0001 is pendingAcceptance",
				hops:    []string{eniB, sgBDef, rtbB, sgBVPCE, eniVPCEB, vpceB, svcA}}},
		{"accepted", withService(true, allowB, Connection{Endpoint: vpceB, State: "available"}), StateAvailable,
			want{reachable: true}},
		{"rejected", withService(true, allowB, Connection{Endpoint: vpceB, State: "rejected"}), StateRejected,
			want{layer: LayerRoute, code: CodeBadState, component: svcA, explain: "is rejected"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := labConfig()
			tc.mutate(&c)
			n := mustBuild(t, c)
			e, ok := n.EndpointByID(vpceB)
			if !ok || e.Service != svcA || e.State != tc.state {
				t.Fatalf("EndpointByID = %+v, %v; want service %s in state %s", e, ok, svcA, tc.state)
			}
			checkVerdict(t, n.Evaluate(fromB), tc.want)
		})
	}
}

func TestPeering(t *testing.T) {
	peer := func(returnRoute bool) func(*Config) {
		return func(c *Config) {
			c.VPCs = append(c.VPCs, VPC{ID: "vpc-cccc0001", Account: acctA, Region: "us-east-1", CIDRBlocks: []string{"10.50.0.0/16"}})
			c.Subnets = append(c.Subnets, Subnet{ID: "subnet-cccc0001", VPC: "vpc-cccc0001", CIDR: "10.50.0.0/24", AvailabilityZone: "us-east-1a"})
			c.NetworkACLs = append(c.NetworkACLs, NetworkACL{ID: "acl-cccc0001", VPC: "vpc-cccc0001", Default: true})
			c.SecurityGroups = append(c.SecurityGroups, SecurityGroup{ID: "sg-cccc0001", VPC: "vpc-cccc0001", Default: true,
				Ingress: []SGRule{https(SGRule{SecurityGroup: sgAEC2})}})
			c.NetworkInterfaces = append(c.NetworkInterfaces, NetworkInterface{ID: "eni-cccc0001", Subnet: "subnet-cccc0001",
				PrivateIP: "10.50.0.10", Workload: Workload{Kind: WorkloadContainer}})
			c.PeeringConnections = []PeeringConnection{{ID: "pcx-aaaacccc", RequesterVPC: vpcA, AccepterVPC: "vpc-cccc0001"}}
			c.RouteTables[0].Routes = append(c.RouteTables[0].Routes, Route{Destination: "10.50.0.0/16", Target: "pcx-aaaacccc"})
			rt := RouteTable{ID: "rtb-cccc0001", VPC: "vpc-cccc0001", Main: true}
			if returnRoute {
				rt.Routes = []Route{{Destination: "10.199.0.0/16", Target: "pcx-aaaacccc"}}
			}
			c.RouteTables = append(c.RouteTables, rt)
		}
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		flow   Flow
		want   want
	}{
		{"by interface, with routes both ways", peer(true),
			Flow{SourceENI: eniEC2, DestENI: "eni-cccc0001", Protocol: TCP, DestPort: 443},
			want{reachable: true, hops: []string{eniEC2, sgAEC2, rtbA, "pcx-aaaacccc", aclA, "acl-cccc0001", "sg-cccc0001", "eni-cccc0001",
				"rtb-cccc0001", "acl-cccc0001", aclA}}},
		{"by address: the route leads to the peer VPC, and the referenced group across the peering matches", peer(true),
			Flow{SourceENI: eniEC2, DestAddr: addr("10.50.0.10"), Protocol: TCP, DestPort: 443},
			want{reachable: true}},
		{"another source's group is not referenced", peer(true),
			Flow{SourceENI: eniLambda, DestAddr: addr("10.50.0.10"), Protocol: TCP, DestPort: 443},
			want{layer: LayerSecurityGroup, code: CodeSG, component: "sg-cccc0001"}},
		{"no route back", peer(false),
			Flow{SourceENI: eniEC2, DestENI: "eni-cccc0001", Protocol: TCP, DestPort: 443},
			want{layer: LayerRoute, code: CodeNoRoute, component: "rtb-cccc0001",
				explain: "route table rtb-cccc0001 of subnet-cccc0001 has no route back to 10.199.0.10 through pcx-aaaacccc"}},
		{"no peering: the other VPC cannot be reached", nil,
			Flow{SourceENI: eniB, DestENI: eniEC2, Protocol: TCP, DestPort: 443},
			want{layer: LayerRoute, code: CodeNoRoute, component: rtbB}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := labConfig()
			if tc.mutate != nil {
				tc.mutate(&c)
			}
			checkVerdict(t, mustBuild(t, c).Evaluate(tc.flow), tc.want)
		})
	}
}

func TestLookups(t *testing.T) {
	n := mustBuild(t, labConfig())
	for _, tc := range []struct {
		vpc, addr, want string
	}{
		{vpcA, "10.199.0.10", eniEC2},
		{vpcB, "10.199.0.10", eniB},
		{vpcA, "10.199.2.10", eniVPCE1},
		{vpcB, "10.199.2.10", ""},
		{"vpc-00000000", "10.199.0.10", ""},
	} {
		i, ok := n.InterfaceAt(tc.vpc, addr(tc.addr))
		if ok != (tc.want != "") || i.ID != tc.want {
			t.Errorf("InterfaceAt(%s, %s) = %q, %v; want %q", tc.vpc, tc.addr, i.ID, ok, tc.want)
		}
	}
	i, _ := n.InterfaceByID(eniEC2)
	if i.Workload.Role != roleEC2 || i.Workload.Kind != WorkloadEC2 || i.Account != acctA || i.Subnet != subnetA1 || !slices.Equal(i.SecurityGroups, []string{sgAEC2}) {
		t.Errorf("InterfaceByID(%s) = %+v", eniEC2, i)
	}
	if i, _ := n.InterfaceByID(eniB); !slices.Equal(i.SecurityGroups, []string{sgBDef}) {
		t.Errorf("an interface without groups has %v, want the default group", i.SecurityGroups)
	}
	if i, _ := n.InterfaceByID(eniVPCE2); i.Endpoint != vpceSrvA {
		t.Errorf("endpoint interface %s belongs to %q", eniVPCE2, i.Endpoint)
	}
	if _, ok := n.InterfaceByID("eni-00000000"); ok {
		t.Error("InterfaceByID found a missing interface")
	}
	eps := n.EndpointsInVPC(vpcA)
	if len(eps) != 1 || eps[0].ID != vpceSrvA || !slices.Equal(eps[0].Interfaces, []string{eniVPCE1, eniVPCE2}) ||
		!slices.Equal(eps[0].Subnets, []string{subnetA3, subnetA4}) || !eps[0].PrivateDNS || eps[0].State != StateAvailable {
		t.Errorf("EndpointsInVPC(%s) = %+v", vpcA, eps)
	}
	if eps := n.EndpointsInVPC("vpc-00000000"); eps != nil {
		t.Errorf("EndpointsInVPC of a missing VPC = %v", eps)
	}
}

// TestEndpointPolicies checks that endpoint policies are compiled when the
// network is built and decide requests: the default policy allows
// everyone, VPC B's allows one role.
func TestEndpointPolicies(t *testing.T) {
	n := mustBuild(t, labConfig())
	req := func(caller string) *policy.Request {
		p, err := policy.ParsePrincipal(caller)
		if err != nil {
			t.Fatal(err)
		}
		return &policy.Request{Principal: p, Action: "execute-api:Invoke",
			Resource: "arn:aws:execute-api:us-east-1:111122223333:a1b2c3d4e5/prod/GET/orders", ResourceAccount: acctA}
	}
	for _, tc := range []struct {
		endpoint, caller string
		want             policy.Decision
	}{
		{vpceSrvA, "arn:aws:sts::111122223333:assumed-role/ServiceAInstanceRole/i-0abc", policy.Allow},
		{vpceSrvA, "anonymous", policy.Allow},
		{vpceB, "arn:aws:sts::444455556666:assumed-role/ServiceBRole/task", policy.Allow},
		{vpceB, "arn:aws:sts::444455556666:assumed-role/OtherRole/task", policy.ImplicitDeny},
		{vpceB, "anonymous", policy.ImplicitDeny},
	} {
		e, ok := n.EndpointByID(tc.endpoint)
		if !ok || e.Policy == nil {
			t.Fatalf("EndpointByID(%s): %+v, %v", tc.endpoint, e, ok)
		}
		if got := e.Policy.Evaluate(req(tc.caller)).Decision; got != tc.want {
			t.Errorf("%s's policy for %s: %v, want %v", tc.endpoint, tc.caller, got, tc.want)
		}
	}
	if e, _ := n.EndpointByID(vpceSrvA); !e.DefaultPolicy {
		t.Error("an endpoint without a policy should report DefaultPolicy")
	}
	// A policy may also be given as a JSON string, as the EC2 API takes it.
	c := labConfig()
	doc, _ := json.Marshal(`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`)
	c.InterfaceEndpoints[0].Policy = doc
	e, _ := mustBuild(t, c).EndpointByID(vpceSrvA)
	if got := e.Policy.Evaluate(req("anonymous")).Decision; got != policy.ExplicitDeny || e.DefaultPolicy {
		t.Errorf("policy given as a string: %v (default %v), want an explicit deny", got, e.DefaultPolicy)
	}
}
