package network

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestBuildRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{"malformed CIDR", func(c *Config) {
			c.SecurityGroups[2].Ingress = []SGRule{{Protocol: "tcp", FromPort: port(443), CIDR: "10.0.0.0/33"}}
		},
			[]string{`securityGroups[2].ingress[0].cidr: "10.0.0.0/33" is not a CIDR`}},
		{"host bits set", func(c *Config) { c.VPCs[0].CIDRBlocks = []string{"10.199.0.1/16"} },
			[]string{"vpcs[0].cidrBlocks[0]: 10.199.0.1/16 has bits set after the prefix length: use 10.199.0.0/16"}},
		{"VPC range too large", func(c *Config) { c.VPCs[1].CIDRBlocks = []string{"10.0.0.0/8"} },
			[]string{"vpcs[1].cidrBlocks[0]: 10.0.0.0/8 is not a usable range: VPCs and subnets take IPv4 CIDRs from /16 to /28"}},
		{"malformed IDs", func(c *Config) { c.VPCs[0].ID = "vpc-XYZ"; c.SecurityGroups[0].ID = "sg-123" },
			[]string{`vpcs[0].id: "vpc-XYZ" is not a VPC ID: use "vpc-" followed by 8 or 17 lowercase hexadecimal digits`,
				`securityGroups[0].id: "sg-123" is not a security group ID`}},
		{"duplicate ID", func(c *Config) { c.NetworkInterfaces[1].ID = eniEC2 },
			[]string{"networkInterfaces[1].id: eni-aaaa0001 is declared twice (first at networkInterfaces[0].id)"}},
		{"duplicate ENI ID across an endpoint", func(c *Config) { c.InterfaceEndpoints[0].NetworkInterfaces[0].ID = eniEC2 },
			[]string{"interfaceEndpoints[0].networkInterfaces[0].id: eni-aaaa0001 is declared twice"}},
		{"account and region", func(c *Config) { c.VPCs[0].Account = "1234"; c.VPCs[0].Region = "mars" },
			[]string{`vpcs[0].account: "1234" is not an account ID`, `vpcs[0].region: "mars" is not a region name`}},
		{"missing reference", func(c *Config) { c.Subnets[0].VPC = "vpc-00000000" },
			[]string{`subnets[0].vpc: no VPC "vpc-00000000" in vpcs`}},
		{"subnet outside its VPC", func(c *Config) { c.Subnets[0].CIDR = "10.200.0.0/24" },
			[]string{"subnets[0].cidr: 10.200.0.0/24 is not inside a CIDR block of vpc-aaaa0001"}},
		{"overlapping subnets", func(c *Config) { c.Subnets[1].CIDR = "10.199.0.0/23" },
			[]string{"subnets[1].cidr: 10.199.0.0/23 overlaps subnet-aaaa0001 (10.199.0.0/24) in vpc-aaaa0001"}},
		{"availability zone of another region", func(c *Config) { c.Subnets[0].AvailabilityZone = "eu-west-1a" },
			[]string{`subnets[0].availabilityZone: "eu-west-1a" is not an Availability Zone of us-east-1`}},
		{"address outside the subnet", func(c *Config) { c.NetworkInterfaces[0].PrivateIP = "10.199.5.10" },
			[]string{"networkInterfaces[0].privateIp: 10.199.5.10 is not in subnet-aaaa0001 (10.199.0.0/24)"}},
		{"reserved address", func(c *Config) { c.NetworkInterfaces[0].PrivateIP = "10.199.0.255" },
			[]string{"networkInterfaces[0].privateIp: 10.199.0.255 is reserved in subnet-aaaa0001"}},
		{"duplicate address in a VPC", func(c *Config) { c.NetworkInterfaces[2].PrivateIP = "10.199.0.10" },
			[]string{"networkInterfaces[2].privateIp: 10.199.0.10 is already the address of eni-aaaa0001 in vpc-aaaa0001"}},
		{"security group of another VPC", func(c *Config) { c.NetworkInterfaces[0].SecurityGroups = []string{sgBVPCE} },
			[]string{"networkInterfaces[0].securityGroups[0]: sg-bbbb0002 belongs to vpc-bbbb0001, not to vpc-aaaa0001"}},
		{"no default security group", func(c *Config) { c.SecurityGroups[4].Default = false },
			[]string{"networkInterfaces[3].securityGroups: missing: vpc-bbbb0001 has no default security group"}},
		{"rule numbers and ports", func(c *Config) {
			c.NetworkACLs[0].Inbound = []ACLRule{
				{Rule: 0, Protocol: "tcp", FromPort: port(443), CIDR: "0.0.0.0/0", Action: "allow"},
				{Rule: 32767, Protocol: "tcp", FromPort: port(70000), CIDR: "0.0.0.0/0", Action: "allow"},
				{Rule: 100, Protocol: "tcp", FromPort: port(443), ToPort: port(80), CIDR: "0.0.0.0/0", Action: "permit"},
				{Rule: 100, Protocol: "gre", CIDR: "0.0.0.0/0", Action: "deny"},
				{Rule: 200, Protocol: "udp", CIDR: "0.0.0.0/0", Action: "deny"},
			}
		}, []string{
			"networkAcls[0].inbound[0].rule: 0 is not a rule number: use 1-32766",
			"networkAcls[0].inbound[1].rule: 32767 is not a rule number",
			"networkAcls[0].inbound[1].fromPort: 70000 is not a port: use 0-65535",
			"networkAcls[0].inbound[2]: fromPort 443 is greater than toPort 80",
			`networkAcls[0].inbound[2].action: "permit" is not an action: use allow or deny`,
			"networkAcls[0].inbound[3].rule: rule 100 is already used by networkAcls[0].inbound[2]",
			`networkAcls[0].inbound[3].protocol: "gre" is not a protocol`,
			"networkAcls[0].inbound[4].fromPort: missing: udp rules need a port range",
		}},
		{"security group rule peers", func(c *Config) {
			c.SecurityGroups[3].Ingress = []SGRule{
				{Protocol: "-1"},
				{Protocol: "-1", CIDR: "10.0.0.0/8", SecurityGroup: sgAEC2},
				{Protocol: "-1", SecurityGroup: "sg-00000000"},
				{Protocol: "-1", PrefixList: "pl-00000000"},
			}
		}, []string{
			"securityGroups[3].ingress[0]: give exactly one of cidr, prefixList and securityGroup",
			"securityGroups[3].ingress[1]: give exactly one of",
			`securityGroups[3].ingress[2].securityGroup: no security group "sg-00000000" in securityGroups`,
			`securityGroups[3].ingress[3].prefixList: no prefix list "pl-00000000" in prefixLists`,
		}},
		{"routes", func(c *Config) {
			c.RouteTables[0].Routes = []Route{
				{Destination: "0.0.0.0/0", Target: "tgw-aaaa0001"},
				{Destination: "10.0.0.0/8", Target: "local"},
				{Destination: "10.60.0.0/16", Target: "pcx-00000000"},
				{Target: "igw-aaaa0001"},
				{Destination: "192.0.2.0/24", Target: "igw-aaaa0001"},
				{Destination: "192.0.2.0/24", Target: "nat-aaaa0001"},
			}
		}, []string{
			`routeTables[0].routes[0].target: "tgw-aaaa0001" is not a supported target`,
			"routeTables[0].routes[1].target: only the VPC's own CIDR blocks route to local, not 10.0.0.0/8",
			`routeTables[0].routes[2].target: no peering connection "pcx-00000000"`,
			"routeTables[0].routes[3]: give exactly one of destination (a CIDR) and destinationPrefixList",
			"routeTables[0].routes: two routes for 192.0.2.0/24",
		}},
		{"main table and default ACL", func(c *Config) { c.RouteTables[1].Main = false; c.NetworkACLs[1].Default = false },
			[]string{"subnets[4].routeTable: missing: vpc-bbbb0001 has no main route table",
				"subnets[4].networkAcl: missing: vpc-bbbb0001 has no default network ACL"}},
		{"association in another VPC", func(c *Config) { c.Subnets[0].RouteTable = rtbB; c.Subnets[0].NetworkACL = aclB },
			[]string{"subnets[0].routeTable: rtb-bbbb0001 belongs to vpc-bbbb0001, not to the subnet's VPC vpc-aaaa0001",
				"subnets[0].networkAcl: acl-bbbb0001 belongs to vpc-bbbb0001"}},
		{"two main tables", func(c *Config) {
			c.RouteTables = append(c.RouteTables, RouteTable{ID: "rtb-aaaa0002", VPC: vpcA, Main: true})
		},
			[]string{"routeTables[2].main: vpc-aaaa0001 already has main route table rtb-aaaa0001"}},
		{"workload", func(c *Config) {
			c.NetworkInterfaces[0].Workload = Workload{Kind: "vm", Role: "arn:aws:iam::111122223333:user/bob"}
		}, []string{`networkInterfaces[0].workload.kind: "vm" is not a workload kind`,
			`networkInterfaces[0].workload.role: "arn:aws:iam::111122223333:user/bob" is not an IAM role ARN`}},
		{"endpoint interfaces", func(c *Config) {
			c.InterfaceEndpoints[0].NetworkInterfaces[1].Subnet = subnetA1
			c.InterfaceEndpoints[1].NetworkInterfaces[0].Subnet = subnetA3
		}, []string{
			"interfaceEndpoints[0].networkInterfaces[1].subnet: subnet-aaaa0001 is in us-east-1a like subnet-aaaa0003",
			"interfaceEndpoints[1].networkInterfaces[0].subnet: subnet-aaaa0003 is in vpc-aaaa0001, not in the endpoint's VPC vpc-bbbb0001",
		}},
		{"endpoint policy", func(c *Config) {
			c.InterfaceEndpoints[0].Policy = json.RawMessage(`{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*","Principal":"*"}]}`)
		}, []string{"interfaceEndpoints[0].policy.Statement[0].Effect:"}},
		{"endpoint service", func(c *Config) {
			withService(false, []string{"arn:aws:iam::999999999999:root", "bob"}, Connection{Endpoint: vpceSrvA, State: "open"})(c)
		}, []string{
			`endpointServices[0].allowedPrincipals[1]: "bob" is not an ARN or "*"`,
			`endpointServices[0].connections[0].state: "open" is not a connection state`,
			`endpointServices[0].connections[0].endpoint: vpce-aaaa0001 connects to "com.amazonaws.us-east-1.execute-api", not to com.amazonaws.vpce.us-east-1.vpce-svc-aaaa0001`,
			`interfaceEndpoints[1].serviceName: account 444455556666 is not an allowed principal of vpce-svc-aaaa0001, and AWS does not let it create an endpoint to the service: add "arn:aws:iam::444455556666:root" to the service's allowedPrincipals`,
		}},
		{"endpoint service traffic and DNS", func(c *Config) {
			withService(false, []string{"*"})(c)
			s := &c.EndpointServices[0]
			s.Targets = []string{"127.0.0.1:9001", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:9001", ":80", "localhost:http"}
			s.ListenerPort = 70000
			s.PrivateDNSName = "orders"
		}, []string{
			`endpointServices[0].targets[1]: "127.0.0.1" is not HOST:PORT`,
			`endpointServices[0].targets[2]: "127.0.0.1:0" has no valid port: use 1-65535`,
			`endpointServices[0].targets[3]: 127.0.0.1:9001 is listed twice`,
			`endpointServices[0].targets[4]: ":80" is not HOST:PORT`,
			`endpointServices[0].targets[5]: "localhost:http" has no valid port`,
			`endpointServices[0].listenerPort: 70000 is not a port: use 1-65535 (default 443)`,
			`endpointServices[0].privateDnsName: "orders" is not a DNS name: it needs at least two labels`,
		}},
		{"private DNS names", func(c *Config) {
			withService(false, []string{"*"})(c)
			for _, bad := range []string{"*.provider.example", "-a.provider.example", "a..example", strings.Repeat("a", 64) + ".example"} {
				c.EndpointServices = append(c.EndpointServices, EndpointService{ID: "vpce-svc-aaaa000" + strconv.Itoa(len(c.EndpointServices)+1),
					Account: acctA, Region: "us-east-1", PrivateDNSName: bad})
			}
		}, []string{
			`endpointServices[1].privateDnsName: "*.provider.example" is not a DNS name: label "*" has '*': use letters, digits and hyphens (trellis does not support wildcard names)`,
			`endpointServices[2].privateDnsName: "-a.provider.example" is not a DNS name: label "-a" starts or ends with a hyphen`,
			`endpointServices[3].privateDnsName: "a..example" is not a DNS name: each label between dots has 1 to 63 characters`,
			`endpointServices[4].privateDnsName:`,
		}},
		{"two endpoints answer for one name in a VPC", func(c *Config) {
			withService(false, []string{"*"})(c)
			c.EndpointServices[0].PrivateDNSName = "Orders.Provider.Example."
			second := c.InterfaceEndpoints[1]
			second.ID, second.NetworkInterfaces = "vpce-bbbb0002", []EndpointInterface{{ID: "eni-bbbb00e2", Subnet: subnetB1, PrivateIP: "10.199.0.51"}}
			c.InterfaceEndpoints = append(c.InterfaceEndpoints, second)
		}, []string{
			"interfaceEndpoints[2].privateDns: vpce-bbbb0001 already answers for orders.provider.example in vpc-bbbb0001: only one endpoint of a VPC can have private DNS for a name; turn privateDns off here",
		}},
		{"peering overlapping VPCs", func(c *Config) {
			c.PeeringConnections = []PeeringConnection{{ID: "pcx-aaaabbbb", RequesterVPC: vpcA, AccepterVPC: vpcB}}
		}, []string{"peeringConnections[0]: 10.199.0.0/16 of vpc-aaaa0001 overlaps 10.199.0.0/16 of vpc-bbbb0001: peered VPCs need distinct ranges"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := labConfig()
			tc.mutate(&c)
			n, err := Build(c)
			if err == nil || n != nil {
				t.Fatalf("Build succeeded, want errors %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("errors:\n%v\nwant one containing %q", err, w)
				}
			}
		})
	}
}

// TestBuildReportsEverything checks that one Build reports every problem,
// each as its own error.
func TestBuildReportsEverything(t *testing.T) {
	c := labConfig()
	c.VPCs[0].Account = "x"
	c.Subnets[2].CIDR = "bad"
	c.SecurityGroups[3].Ingress[0].CIDR = "10.0.0.0/33"
	_, err := Build(c)
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("Build error %v is not a joined error", err)
	}
	if got := len(joined.Unwrap()); got < 3 {
		t.Errorf("%d errors, want at least 3:\n%v", got, err)
	}
	if !strings.Contains(err.Error(), "subnets[2].cidr") {
		t.Errorf("errors:\n%v", err)
	}
}

func TestDecodeConfig(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`{"vpcs":[{"id":"vpc-aaaa0001","acount":"1"}]}`, `unknown field "acount"`},
		{`{"vpcs":[{"id":1}]}`, "vpcs.id: expected string, found a JSON number"},
		{`{} {}`, "unexpected data after the document"},
		{`{`, "unexpected EOF"},
	} {
		if _, err := DecodeConfig([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeConfig(%s) = %v, want an error containing %q", tc.doc, err, tc.want)
		}
	}
	// A configuration survives a JSON round trip unchanged.
	data, err := json.Marshal(labConfig())
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecodeConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	mustBuild(t, c)
}

// TestBuildNoCascade checks that a malformed ID is reported once, not
// again at every reference to it.
func TestBuildNoCascade(t *testing.T) {
	data, err := json.Marshal(labConfig())
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecodeConfig([]byte(strings.ReplaceAll(string(data), vpcA, "vpc-A")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(c)
	if err == nil {
		t.Fatal("Build accepted vpc-A")
	}
	if errs := err.(interface{ Unwrap() []error }).Unwrap(); len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), `vpcs[0].id: "vpc-A" is not a VPC ID`) {
		t.Errorf("want one error about vpcs[0].id, got:\n%v", err)
	}
}
