package network

import (
	"encoding/json"
	"testing"
)

// The zero-trust lab of issue 6, as a fixture. ServiceA's VPC (account
// 111122223333) has private subnet 1 (10.199.0.0/24) with the EC2 instance
// that runs as ServiceAInstanceRole, a Lambda subnet (10.199.1.0/24), and
// the interface endpoint "VPCE SrvA" for API Gateway with an interface in
// two more subnets; its security group allows HTTPS from 10.199.0.0/16 and
// it has the default policy. Another VPC (account 444455556666) uses the
// same 10.199.0.0/24 and has its own endpoint, with a policy naming one
// role.
const (
	acctA = "111122223333"
	acctB = "444455556666"

	vpcA       = "vpc-aaaa0001"
	subnetA1   = "subnet-aaaa0001" // private subnet 1, us-east-1a
	subnetA2   = "subnet-aaaa0002" // Lambda, us-east-1b
	subnetA3   = "subnet-aaaa0003" // endpoint, us-east-1a
	subnetA4   = "subnet-aaaa0004" // endpoint, us-east-1b
	rtbA       = "rtb-aaaa0001"
	aclA       = "acl-aaaa0001"
	sgADef     = "sg-aaaa0001"
	sgAEC2     = "sg-aaaa0002"
	sgALambda  = "sg-aaaa0003"
	sgAVPCE    = "sg-aaaa0004"
	eniEC2     = "eni-aaaa0001" // 10.199.0.10
	eniLambda  = "eni-aaaa0002" // 10.199.1.7
	eniLambda2 = "eni-aaaa0003" // 10.199.0.20: a Lambda in private subnet 1
	vpceSrvA   = "vpce-aaaa0001"
	eniVPCE1   = "eni-aaaa00e1" // 10.199.2.10, us-east-1a
	eniVPCE2   = "eni-aaaa00e2" // 10.199.3.10, us-east-1b

	vpcB     = "vpc-bbbb0001"
	subnetB1 = "subnet-bbbb0001"
	rtbB     = "rtb-bbbb0001"
	aclB     = "acl-bbbb0001"
	sgBDef   = "sg-bbbb0001"
	sgBVPCE  = "sg-bbbb0002"
	eniB     = "eni-bbbb0001" // 10.199.0.10 too
	vpceB    = "vpce-bbbb0001"
	eniVPCEB = "eni-bbbb00e1" // 10.199.0.50

	roleEC2 = "arn:aws:iam::111122223333:role/ServiceAInstanceRole"
)

func port(p int) *int { return &p }

func https(peer SGRule) SGRule {
	peer.Protocol, peer.FromPort, peer.ToPort = "tcp", port(443), port(443)
	return peer
}

func labConfig() Config {
	return Config{
		VPCs: []VPC{
			{ID: vpcA, Account: acctA, Region: "us-east-1", CIDRBlocks: []string{"10.199.0.0/16"}},
			{ID: vpcB, Account: acctB, Region: "us-east-1", CIDRBlocks: []string{"10.199.0.0/16"}},
		},
		Subnets: []Subnet{
			{ID: subnetA1, VPC: vpcA, CIDR: "10.199.0.0/24", AvailabilityZone: "us-east-1a"},
			{ID: subnetA2, VPC: vpcA, CIDR: "10.199.1.0/24", AvailabilityZone: "us-east-1b"},
			{ID: subnetA3, VPC: vpcA, CIDR: "10.199.2.0/24", AvailabilityZone: "us-east-1a"},
			{ID: subnetA4, VPC: vpcA, CIDR: "10.199.3.0/24", AvailabilityZone: "us-east-1b"},
			{ID: subnetB1, VPC: vpcB, CIDR: "10.199.0.0/24", AvailabilityZone: "us-east-1a"},
		},
		RouteTables: []RouteTable{
			{ID: rtbA, VPC: vpcA, Main: true, Routes: []Route{{Destination: "0.0.0.0/0", Target: "nat-aaaa0001"}}},
			{ID: rtbB, VPC: vpcB, Main: true},
		},
		NetworkACLs: []NetworkACL{
			{ID: aclA, VPC: vpcA, Default: true},
			{ID: aclB, VPC: vpcB, Default: true},
		},
		SecurityGroups: []SecurityGroup{
			{ID: sgADef, VPC: vpcA, Name: "default", Default: true},
			{ID: sgAEC2, VPC: vpcA, Name: "service-a-instance"},
			{ID: sgALambda, VPC: vpcA, Name: "service-a-lambda"},
			{ID: sgAVPCE, VPC: vpcA, Name: "vpce-srva", Ingress: []SGRule{https(SGRule{CIDR: "10.199.0.0/16"})}},
			{ID: sgBDef, VPC: vpcB, Name: "default", Default: true},
			{ID: sgBVPCE, VPC: vpcB, Name: "vpce-b", Ingress: []SGRule{https(SGRule{CIDR: "10.199.0.0/16"})}},
		},
		NetworkInterfaces: []NetworkInterface{
			{ID: eniEC2, Subnet: subnetA1, PrivateIP: "10.199.0.10", SecurityGroups: []string{sgAEC2},
				Workload: Workload{Kind: WorkloadEC2, Name: "service-a-instance", Role: roleEC2}},
			{ID: eniLambda, Subnet: subnetA2, PrivateIP: "10.199.1.7", SecurityGroups: []string{sgALambda},
				Workload: Workload{Kind: WorkloadLambda, Name: "service-a-fn", Role: "arn:aws:iam::111122223333:role/ServiceALambdaRole"}},
			{ID: eniLambda2, Subnet: subnetA1, PrivateIP: "10.199.0.20", SecurityGroups: []string{sgALambda},
				Workload: Workload{Kind: WorkloadLambda, Name: "service-a-fn2", Role: "arn:aws:iam::111122223333:role/ServiceALambdaRole"}},
			{ID: eniB, Subnet: subnetB1, PrivateIP: "10.199.0.10",
				Workload: Workload{Kind: WorkloadContainer, Name: "service-b", Role: "arn:aws:iam::444455556666:role/ServiceBRole"}},
		},
		InterfaceEndpoints: []InterfaceEndpoint{
			{ID: vpceSrvA, VPC: vpcA, ServiceName: "com.amazonaws.us-east-1.execute-api", PrivateDNS: true,
				SecurityGroups: []string{sgAVPCE},
				NetworkInterfaces: []EndpointInterface{
					{ID: eniVPCE1, Subnet: subnetA3, PrivateIP: "10.199.2.10"},
					{ID: eniVPCE2, Subnet: subnetA4, PrivateIP: "10.199.3.10"},
				}},
			{ID: vpceB, VPC: vpcB, ServiceName: "com.amazonaws.us-east-1.execute-api", PrivateDNS: true,
				SecurityGroups:    []string{sgBVPCE},
				NetworkInterfaces: []EndpointInterface{{ID: eniVPCEB, Subnet: subnetB1, PrivateIP: "10.199.0.50"}},
				Policy:            json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/ServiceBRole"},"Action":"execute-api:Invoke","Resource":"*"}]}`)},
		},
	}
}

// stage5 narrows the endpoint's security group to the instance's group.
func stage5(c *Config) {
	c.SecurityGroups[3].Ingress = []SGRule{https(SGRule{SecurityGroup: sgAEC2})}
}

func mustBuild(t testing.TB, c Config) *Network {
	t.Helper()
	n, err := Build(c)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return n
}
