package network

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

type want struct {
	reachable bool
	layer     Layer
	code      Code
	component string
	// explain is a substring of the explanation.
	explain string
	// hops, when set, is the exact list of hops.
	hops []string
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func toSrvA(eni string) Flow {
	return Flow{SourceENI: eni, DestEndpoint: vpceSrvA, Protocol: TCP, DestPort: 443, SourcePort: 50000}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		flow   Flow
		want   want
	}{
		{
			name: "lab: instance reaches VPCE SrvA over HTTPS",
			flow: toSrvA(eniEC2),
			want: want{reachable: true, explain: "reachable: tcp/443 from 10.199.0.10 to 10.199.2.10",
				hops: []string{eniEC2, sgAEC2, rtbA, aclA, aclA, sgAVPCE, eniVPCE1, vpceSrvA, aclA, aclA}},
		},
		{
			name: "lab: Lambda reaches VPCE SrvA through the interface in its zone",
			flow: toSrvA(eniLambda),
			want: want{reachable: true,
				hops: []string{eniLambda, sgALambda, rtbA, aclA, aclA, sgAVPCE, eniVPCE2, vpceSrvA, aclA, aclA}},
		},
		{
			name:   "lab stage 5: instance still reaches VPCE SrvA",
			mutate: stage5,
			flow:   toSrvA(eniEC2),
			want:   want{reachable: true},
		},
		{
			name:   "lab stage 5: Lambda in 10.199.1.0/24 is stopped by the endpoint's security group",
			mutate: stage5,
			flow:   toSrvA(eniLambda),
			want: want{layer: LayerSecurityGroup, code: CodeSG, component: sgAVPCE,
				explain: "security group sg-aaaa0004 of eni-aaaa00e2 allows no inbound tcp/443 from 10.199.1.7",
				hops:    []string{eniLambda, sgALambda, rtbA, aclA, aclA, sgAVPCE, eniVPCE2, vpceSrvA}},
		},
		{
			name:   "lab stage 5: Lambda in 10.199.0.0/24, the instance's own subnet, is stopped too",
			mutate: stage5,
			flow:   toSrvA(eniLambda2),
			want: want{layer: LayerSecurityGroup, code: CodeSG, component: sgAVPCE,
				explain: "allows no inbound tcp/443 from 10.199.0.20"},
		},
		{
			name: "security group ingress: wrong port",
			flow: Flow{SourceENI: eniEC2, DestEndpoint: vpceSrvA, Protocol: TCP, DestPort: 80},
			want: want{layer: LayerSecurityGroup, code: CodeSG, component: sgAVPCE, explain: "no inbound tcp/80 from 10.199.0.10"},
		},
		{
			name: "security group ingress: wrong protocol",
			flow: Flow{SourceENI: eniEC2, DestEndpoint: vpceSrvA, Protocol: UDP, DestPort: 443},
			want: want{layer: LayerSecurityGroup, code: CodeSG, explain: "no inbound udp/443"},
		},
		{
			name:   "security group egress: an empty egress list allows nothing out",
			mutate: func(c *Config) { c.SecurityGroups[1].Egress = []SGRule{} },
			flow:   toSrvA(eniEC2),
			want: want{layer: LayerSecurityGroup, code: CodeSG, component: sgAEC2,
				explain: "security group sg-aaaa0002 of eni-aaaa0001 allows no outbound tcp/443 to 10.199.2.10",
				hops:    []string{eniEC2, sgAEC2}},
		},
		{
			name:   "security group egress: a rule referencing the endpoint's group",
			mutate: func(c *Config) { c.SecurityGroups[1].Egress = []SGRule{https(SGRule{SecurityGroup: sgAVPCE})} },
			flow:   toSrvA(eniEC2),
			want:   want{reachable: true},
		},
		{
			name:   "security group egress: a rule referencing another group does not match",
			mutate: func(c *Config) { c.SecurityGroups[1].Egress = []SGRule{https(SGRule{SecurityGroup: sgALambda})} },
			flow:   toSrvA(eniEC2),
			want:   want{layer: LayerSecurityGroup, code: CodeSG, component: sgAEC2},
		},
		{
			name: "security group: a prefix list rule",
			mutate: func(c *Config) {
				c.PrefixLists = []PrefixList{{ID: "pl-aaaa0001", CIDRs: []string{"10.199.0.0/24", "192.0.2.0/24"}}}
				c.SecurityGroups[3].Ingress = []SGRule{https(SGRule{PrefixList: "pl-aaaa0001"})}
			},
			flow: toSrvA(eniEC2),
			want: want{reachable: true},
		},
		{
			name: "security group: a prefix list rule without the Lambda's range",
			mutate: func(c *Config) {
				c.PrefixLists = []PrefixList{{ID: "pl-aaaa0001", CIDRs: []string{"10.199.0.0/24"}}}
				c.SecurityGroups[3].Ingress = []SGRule{https(SGRule{PrefixList: "pl-aaaa0001"})}
			},
			flow: toSrvA(eniLambda),
			want: want{layer: LayerSecurityGroup, code: CodeSG, component: sgAVPCE},
		},
		{
			name: "security group: several groups are reported together, by interface",
			mutate: func(c *Config) {
				c.NetworkInterfaces[0].SecurityGroups = []string{sgAEC2, sgALambda}
				c.SecurityGroups[1].Egress, c.SecurityGroups[2].Egress = []SGRule{}, []SGRule{}
			},
			flow: toSrvA(eniEC2),
			want: want{layer: LayerSecurityGroup, code: CodeSG, component: eniEC2,
				explain: "security groups sg-aaaa0002, sg-aaaa0003 of eni-aaaa0001 allow no outbound"},
		},
		{
			name:   "security groups are stateful: no egress rule is needed for the response",
			mutate: func(c *Config) { c.SecurityGroups[3].Egress = []SGRule{} },
			flow:   toSrvA(eniEC2),
			want:   want{reachable: true},
		},
		{
			name: "the default security group admits its own members",
			mutate: func(c *Config) {
				c.InterfaceEndpoints[0].SecurityGroups, c.NetworkInterfaces[0].SecurityGroups = nil, nil
			},
			flow: toSrvA(eniEC2),
			want: want{reachable: true, hops: []string{eniEC2, sgADef, rtbA, aclA, aclA, sgADef, eniVPCE1, vpceSrvA, aclA, aclA}},
		},
		{
			name:   "the default security group admits nobody else",
			mutate: func(c *Config) { c.InterfaceEndpoints[0].SecurityGroups = nil },
			flow:   toSrvA(eniEC2),
			want:   want{layer: LayerSecurityGroup, code: CodeSG, component: sgADef},
		},
		{
			name: "route: the main table's default route to a NAT gateway",
			flow: Flow{SourceENI: eniEC2, DestAddr: addr("203.0.113.5"), Protocol: TCP, DestPort: 443, SourcePort: 40000},
			want: want{reachable: true, hops: []string{eniEC2, sgAEC2, rtbA, "nat-aaaa0001", aclA, aclA}},
		},
		{
			name: "route: longest prefix match prefers the /24",
			mutate: func(c *Config) {
				c.RouteTables[0].Routes = append(c.RouteTables[0].Routes, Route{Destination: "203.0.113.0/24", Target: "igw-aaaa0001"})
			},
			flow: Flow{SourceENI: eniEC2, DestAddr: addr("203.0.113.5"), Protocol: TCP, DestPort: 443},
			want: want{reachable: true, hops: []string{eniEC2, sgAEC2, rtbA, "igw-aaaa0001", aclA, aclA}},
		},
		{
			name: "route: a prefix list route, less specific than the /24",
			mutate: func(c *Config) {
				c.PrefixLists = []PrefixList{{ID: "pl-aaaa0002", CIDRs: []string{"203.0.0.0/16"}}}
				c.RouteTables[0].Routes = append(c.RouteTables[0].Routes,
					Route{DestinationPrefixList: "pl-aaaa0002", Target: "vpce-aaaa0099"},
					Route{Destination: "203.0.113.0/24", Target: "igw-aaaa0001"})
			},
			flow: Flow{SourceENI: eniEC2, DestAddr: addr("203.0.7.1"), Protocol: TCP, DestPort: 443},
			want: want{reachable: true, hops: []string{eniEC2, sgAEC2, rtbA, "vpce-aaaa0099", aclA, aclA}},
		},
		{
			name:   "route: no route to the internet",
			mutate: func(c *Config) { c.RouteTables[0].Routes = nil },
			flow:   Flow{SourceENI: eniEC2, DestAddr: addr("203.0.113.5"), Protocol: TCP, DestPort: 443},
			want: want{layer: LayerRoute, code: CodeNoRoute, component: rtbA,
				explain: "route table rtb-aaaa0001 of subnet-aaaa0001 has no route for 203.0.113.5",
				hops:    []string{eniEC2, sgAEC2, rtbA}},
		},
		{
			name: "route: a subnet without an association uses the main table",
			mutate: func(c *Config) {
				c.RouteTables = append(c.RouteTables, RouteTable{ID: "rtb-aaaa0002", VPC: vpcA})
				c.Subnets[1].RouteTable = "rtb-aaaa0002"
			},
			flow: Flow{SourceENI: eniEC2, DestAddr: addr("203.0.113.5"), Protocol: TCP, DestPort: 443},
			want: want{reachable: true},
		},
		{
			name: "route: the explicitly associated table has no default route",
			mutate: func(c *Config) {
				c.RouteTables = append(c.RouteTables, RouteTable{ID: "rtb-aaaa0002", VPC: vpcA})
				c.Subnets[1].RouteTable = "rtb-aaaa0002"
			},
			flow: Flow{SourceENI: eniLambda, DestAddr: addr("203.0.113.5"), Protocol: TCP, DestPort: 443},
			want: want{layer: LayerRoute, code: CodeNoRoute, component: "rtb-aaaa0002"},
		},
		{
			name: "route: a more specific route overrides local for part of the VPC",
			mutate: func(c *Config) {
				c.RouteTables[0].Routes = append(c.RouteTables[0].Routes, Route{Destination: "10.199.2.0/24", Target: "nat-aaaa0001"})
			},
			flow: toSrvA(eniEC2),
			want: want{layer: LayerRoute, code: CodeNoRoute, component: rtbA,
				explain: "matches 10.199.2.10 with 10.199.2.0/24 and sends it to nat-aaaa0001, but the destination eni-aaaa00e1 is in vpc-aaaa0001"},
		},
		{
			name: "overlapping CIDRs: the other VPC's endpoint is not reachable, its address is local here",
			flow: Flow{SourceENI: eniEC2, DestEndpoint: vpceB, Protocol: TCP, DestPort: 443},
			want: want{layer: LayerRoute, code: CodeNoRoute, component: rtbA,
				explain: "routes it locally within vpc-aaaa0001, but the destination eni-bbbb00e1 is in vpc-bbbb0001"},
		},
		{
			name: "overlapping CIDRs: 10.199.0.10 in the other VPC is its own instance",
			flow: Flow{SourceVPC: vpcB, SourceAddr: addr("10.199.0.10"), DestEndpoint: vpceB, Protocol: TCP, DestPort: 443},
			want: want{reachable: true, hops: []string{eniB, sgBDef, rtbB, sgBVPCE, eniVPCEB, vpceB}},
		},
		{
			name: "overlapping CIDRs: 10.199.0.10 in ServiceA's VPC is the instance",
			flow: Flow{SourceVPC: vpcA, SourceAddr: addr("10.199.0.10"), DestAddr: addr("10.199.1.7"), Protocol: TCP, DestPort: 443},
			want: want{layer: LayerSecurityGroup, code: CodeSG, component: sgALambda,
				hops: []string{eniEC2, sgAEC2, rtbA, aclA, aclA, sgALambda, eniLambda}},
		},
		{
			name: "a source known only by address: the subnet, with no security group",
			flow: Flow{SourceVPC: vpcA, SourceAddr: addr("10.199.0.99"), DestEndpoint: vpceSrvA, Protocol: TCP, DestPort: 443},
			want: want{reachable: true, hops: []string{subnetA1, rtbA, aclA, aclA, sgAVPCE, eniVPCE1, vpceSrvA, aclA, aclA}},
		},
		{
			name: "the endpoint interface chosen by address",
			flow: Flow{SourceENI: eniEC2, DestEndpoint: vpceSrvA, DestAddr: addr("10.199.3.10"), Protocol: TCP, DestPort: 443},
			want: want{reachable: true, hops: []string{eniEC2, sgAEC2, rtbA, aclA, aclA, sgAVPCE, eniVPCE2, vpceSrvA, aclA, aclA}},
		},
		{
			name: "NACL: a lower-numbered deny wins over a higher allow",
			mutate: withACL(ACLRules{
				In: []ACLRule{
					{Rule: 90, Protocol: "tcp", FromPort: port(443), CIDR: "10.199.1.0/24", Action: "deny"},
					{Rule: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
				},
				Out: []ACLRule{{Rule: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}},
			}),
			flow: toSrvA(eniLambda),
			want: want{layer: LayerNACL, code: CodeACL, component: "acl-aaaa0002",
				explain: "network ACL acl-aaaa0002 of subnet-aaaa0004 denies inbound tcp/443 from 10.199.1.7: rule 90 denies it",
				hops:    []string{eniLambda, sgALambda, rtbA, aclA, "acl-aaaa0002"}},
		},
		{
			name: "NACL: the deny does not match the instance's range",
			mutate: withACL(ACLRules{
				In: []ACLRule{
					{Rule: 90, Protocol: "tcp", FromPort: port(443), CIDR: "10.199.1.0/24", Action: "deny"},
					{Rule: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
				},
				Out: []ACLRule{{Rule: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}},
			}),
			flow: toSrvA(eniEC2),
			want: want{reachable: true},
		},
		{
			name: "NACL: a lower-numbered allow wins over a higher deny, whatever the order written",
			mutate: withACL(ACLRules{
				In: []ACLRule{
					{Rule: 200, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "deny"},
					{Rule: 110, Protocol: "tcp", FromPort: port(443), ToPort: port(443), CIDR: "10.199.0.0/16", Action: "allow"},
				},
				Out: []ACLRule{{Rule: 100, Protocol: "tcp", FromPort: port(1024), ToPort: port(65535), CIDR: "10.199.0.0/16", Action: "allow"}},
			}),
			flow: toSrvA(eniLambda),
			want: want{reachable: true},
		},
		{
			name: "NACL: nothing matches, so the final * rule denies",
			mutate: withACL(ACLRules{
				In:  []ACLRule{{Rule: 100, Protocol: "tcp", FromPort: port(22), CIDR: "10.199.0.0/16", Action: "allow"}},
				Out: []ACLRule{{Rule: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}},
			}),
			flow: toSrvA(eniLambda),
			want: want{layer: LayerNACL, code: CodeACL, component: "acl-aaaa0002",
				explain: "no rule matches it, so the final * rule denies it"},
		},
		{
			name: "NACL: a custom ACL without rules denies everything",
			mutate: func(c *Config) {
				c.NetworkACLs = append(c.NetworkACLs, NetworkACL{ID: "acl-aaaa0002", VPC: vpcA})
				c.Subnets[0].NetworkACL = "acl-aaaa0002"
			},
			flow: toSrvA(eniEC2),
			want: want{layer: LayerNACL, code: CodeACL, component: "acl-aaaa0002",
				explain: "denies outbound tcp/443 to 10.199.2.10", hops: []string{eniEC2, sgAEC2, rtbA, "acl-aaaa0002"}},
		},
		{
			name: "NACL is stateless: return traffic to the client's port is blocked",
			mutate: withACL(ACLRules{
				In:  []ACLRule{{Rule: 100, Protocol: "tcp", FromPort: port(443), CIDR: "10.199.0.0/16", Action: "allow"}},
				Out: []ACLRule{{Rule: 100, Protocol: "tcp", FromPort: port(443), CIDR: "10.199.0.0/16", Action: "allow"}},
			}),
			flow: toSrvA(eniLambda),
			want: want{layer: LayerNACL, code: CodeACL, component: "acl-aaaa0002",
				explain: "denies the return traffic (outbound tcp/50000 to 10.199.1.7): no rule matches it",
				hops:    []string{eniLambda, sgALambda, rtbA, aclA, "acl-aaaa0002", sgAVPCE, eniVPCE2, vpceSrvA, "acl-aaaa0002"}},
		},
		{
			name: "NACL: return traffic allowed to the Linux ephemeral range with a known port",
			mutate: withACL(ACLRules{
				In:  []ACLRule{{Rule: 100, Protocol: "tcp", FromPort: port(443), CIDR: "10.199.0.0/16", Action: "allow"}},
				Out: []ACLRule{{Rule: 100, Protocol: "tcp", FromPort: port(32768), ToPort: port(65535), CIDR: "10.199.0.0/16", Action: "allow"}},
			}),
			flow: toSrvA(eniLambda),
			want: want{reachable: true},
		},
		{
			name: "NACL: an unknown client port needs all of 1024-65535 for return traffic",
			mutate: withACL(ACLRules{
				In:  []ACLRule{{Rule: 100, Protocol: "tcp", FromPort: port(443), CIDR: "10.199.0.0/16", Action: "allow"}},
				Out: []ACLRule{{Rule: 100, Protocol: "tcp", FromPort: port(32768), ToPort: port(65535), CIDR: "10.199.0.0/16", Action: "allow"}},
			}),
			flow: Flow{SourceENI: eniLambda, DestEndpoint: vpceSrvA, Protocol: TCP, DestPort: 443},
			want: want{layer: LayerNACL, code: CodeACL, component: "acl-aaaa0002",
				explain: "(outbound tcp/1024-65535 to 10.199.1.7): for port 1024 no rule matches it"},
		},
		{
			name: "NACL: a deny inside the ephemeral range is found",
			mutate: withACL(ACLRules{
				In: []ACLRule{{Rule: 100, Protocol: "tcp", FromPort: port(443), CIDR: "10.199.0.0/16", Action: "allow"}},
				Out: []ACLRule{
					{Rule: 50, Protocol: "tcp", FromPort: port(8000), ToPort: port(8100), CIDR: "10.199.0.0/16", Action: "deny"},
					{Rule: 100, Protocol: "tcp", FromPort: port(1024), ToPort: port(65535), CIDR: "0.0.0.0/0", Action: "allow"},
				},
			}),
			flow: Flow{SourceENI: eniLambda, DestEndpoint: vpceSrvA, Protocol: TCP, DestPort: 443},
			want: want{layer: LayerNACL, code: CodeACL, explain: "for port 8000 rule 50 denies it"},
		},
		{
			name: "NACL: the source subnet's inbound rules must allow the return traffic",
			mutate: func(c *Config) {
				c.NetworkACLs = append(c.NetworkACLs, NetworkACL{ID: "acl-aaaa0003", VPC: vpcA,
					Inbound:  []ACLRule{{Rule: 100, Protocol: "tcp", FromPort: port(443), CIDR: "0.0.0.0/0", Action: "allow"}},
					Outbound: []ACLRule{{Rule: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}}})
				c.Subnets[1].NetworkACL = "acl-aaaa0003"
			},
			flow: toSrvA(eniLambda),
			want: want{layer: LayerNACL, code: CodeACL, component: "acl-aaaa0003",
				explain: "network ACL acl-aaaa0003 of subnet-aaaa0002 denies the return traffic (inbound tcp/50000 from 10.199.3.10)"},
		},
		{
			name: "NACL: traffic within one subnet does not cross its ACL",
			mutate: func(c *Config) {
				c.NetworkACLs = append(c.NetworkACLs, NetworkACL{ID: "acl-aaaa0002", VPC: vpcA})
				c.Subnets[0].NetworkACL = "acl-aaaa0002"
				c.SecurityGroups[2].Ingress = []SGRule{https(SGRule{SecurityGroup: sgAEC2})}
			},
			flow: Flow{SourceENI: eniEC2, DestENI: eniLambda2, Protocol: TCP, DestPort: 443},
			want: want{reachable: true, hops: []string{eniEC2, sgAEC2, rtbA, sgALambda, eniLambda2}},
		},
		{
			name: "ICMP is matched by protocol, not port",
			mutate: func(c *Config) {
				c.SecurityGroups[3].Ingress = []SGRule{{Protocol: "icmp", FromPort: port(-1), ToPort: port(-1), CIDR: "10.199.0.0/16"}}
			},
			flow: Flow{SourceENI: eniEC2, DestEndpoint: vpceSrvA, Protocol: ICMP},
			want: want{reachable: true},
		},
		{
			name: "not found: source interface",
			flow: Flow{SourceENI: "eni-00000000", DestEndpoint: vpceSrvA, Protocol: TCP, DestPort: 443},
			want: want{layer: LayerNotFound, code: CodeSourceNotFound, component: "eni-00000000", explain: "no network interface eni-00000000"},
		},
		{
			name: "not found: source address outside every subnet",
			flow: Flow{SourceVPC: vpcA, SourceAddr: addr("10.199.200.1"), DestEndpoint: vpceSrvA, Protocol: TCP, DestPort: 443},
			want: want{layer: LayerNotFound, code: CodeSourceNotFound, explain: "no subnet of vpc-aaaa0001 holds 10.199.200.1"},
		},
		{
			name: "not found: endpoint",
			flow: Flow{SourceENI: eniEC2, DestEndpoint: "vpce-00000000", Protocol: TCP, DestPort: 443},
			want: want{layer: LayerNotFound, code: CodeDestinationNotFound, explain: "no interface endpoint vpce-00000000"},
		},
		{
			name: "not found: a VPC address without an interface",
			flow: Flow{SourceENI: eniEC2, DestAddr: addr("10.199.1.99"), Protocol: TCP, DestPort: 443},
			want: want{layer: LayerNotFound, code: CodeDestinationNotFound, explain: "no network interface has address 10.199.1.99 in vpc-aaaa0001"},
		},
		{
			name: "not found: no destination",
			flow: Flow{SourceENI: eniEC2, Protocol: TCP, DestPort: 443},
			want: want{layer: LayerNotFound, code: CodeDestinationNotFound, explain: "the flow has no destination"},
		},
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

func checkVerdict(t *testing.T, v Verdict, w want) {
	t.Helper()
	if v.Reachable != w.reachable || v.Layer != w.layer || v.Code != w.code || (w.component != "" && v.Component != w.component) {
		t.Errorf("got reachable=%v layer=%q code=%q component=%q, want %v %q %q %q\n%s",
			v.Reachable, v.Layer, v.Code, v.Component, w.reachable, w.layer, w.code, w.component, v)
	}
	if !strings.Contains(v.Explanation(), w.explain) {
		t.Errorf("explanation %q\nwant it to contain %q", v.Explanation(), w.explain)
	}
	if w.hops != nil && !slices.Equal(v.Hops(), w.hops) {
		t.Errorf("hops %v\nwant %v", v.Hops(), w.hops)
	}
}

// ACLRules are the rules of the network ACL withACL gives the endpoint's
// us-east-1b subnet.
type ACLRules struct{ In, Out []ACLRule }

func withACL(r ACLRules) func(*Config) {
	return func(c *Config) {
		c.NetworkACLs = append(c.NetworkACLs, NetworkACL{ID: "acl-aaaa0002", VPC: vpcA, Inbound: r.In, Outbound: r.Out})
		c.Subnets[3].NetworkACL = "acl-aaaa0002"
	}
}

// TestEvaluateConcurrent evaluates from several goroutines at once: a
// Network is read-only (run with -race).
func TestEvaluateConcurrent(t *testing.T) {
	n := mustBuild(t, labConfig())
	done := make(chan bool)
	for range 4 {
		go func() {
			ok := true
			for range 200 {
				ok = ok && n.Evaluate(toSrvA(eniEC2)).Reachable && n.Evaluate(toSrvA(eniLambda)).Reachable
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("a concurrent evaluation disagreed")
		}
	}
}
