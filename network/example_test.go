package network_test

import (
	"fmt"
	"time"

	"github.com/trellisproject/trellis/network"
)

// A Lambda function tries to reach an interface endpoint whose security
// group admits HTTPS from the instances' group only.
func Example() {
	cfg, err := network.DecodeConfig([]byte(`{
	  "vpcs": [{"id": "vpc-aaaa0001", "account": "111122223333", "region": "us-east-1", "cidrBlocks": ["10.199.0.0/16"]}],
	  "subnets": [
	    {"id": "subnet-aaaa0001", "vpc": "vpc-aaaa0001", "cidr": "10.199.0.0/24", "availabilityZone": "us-east-1a"},
	    {"id": "subnet-aaaa0002", "vpc": "vpc-aaaa0001", "cidr": "10.199.1.0/24", "availabilityZone": "us-east-1b"}
	  ],
	  "routeTables": [{"id": "rtb-aaaa0001", "vpc": "vpc-aaaa0001", "main": true}],
	  "networkAcls": [{"id": "acl-aaaa0001", "vpc": "vpc-aaaa0001", "default": true}],
	  "securityGroups": [
	    {"id": "sg-aaaa0001", "vpc": "vpc-aaaa0001", "default": true},
	    {"id": "sg-aaaa0002", "vpc": "vpc-aaaa0001", "name": "instances"},
	    {"id": "sg-aaaa0004", "vpc": "vpc-aaaa0001", "name": "endpoint",
	     "ingress": [{"protocol": "tcp", "fromPort": 443, "securityGroup": "sg-aaaa0002"}]}
	  ],
	  "networkInterfaces": [
	    {"id": "eni-aaaa0002", "subnet": "subnet-aaaa0002", "privateIp": "10.199.1.7",
	     "workload": {"kind": "lambda", "role": "arn:aws:iam::111122223333:role/ServiceALambdaRole"}}
	  ],
	  "interfaceEndpoints": [
	    {"id": "vpce-aaaa0001", "vpc": "vpc-aaaa0001", "serviceName": "com.amazonaws.us-east-1.execute-api",
	     "securityGroups": ["sg-aaaa0004"],
	     "networkInterfaces": [{"id": "eni-aaaa00e1", "subnet": "subnet-aaaa0001", "privateIp": "10.199.0.50"}]}
	  ]
	}`))
	if err != nil {
		panic(err)
	}
	n, err := network.Build(cfg)
	if err != nil {
		panic(err)
	}
	flow := network.Flow{SourceENI: "eni-aaaa0002", DestEndpoint: "vpce-aaaa0001", Protocol: network.TCP, DestPort: 443, SourcePort: 49152}
	v := n.Evaluate(flow)
	fmt.Println(v.Reachable, v.Layer, v.Code, v.Component)
	fmt.Println(v.Explanation())
	fmt.Println(v.Hops())
	start := time.Unix(1763800000, 0)
	fmt.Println(network.FlowLogRecord(flow, v, network.AtDestination,
		network.Counters{Packets: 3, Bytes: 180, Start: start, End: start.Add(time.Minute)}))
	// Output:
	// false security-group ENI_SG_RULES_MISMATCH sg-aaaa0004
	// security group sg-aaaa0004 of eni-aaaa00e1 allows no inbound tcp/443 from 10.199.1.7
	// [eni-aaaa0002 sg-aaaa0001 rtb-aaaa0001 acl-aaaa0001 acl-aaaa0001 sg-aaaa0004 eni-aaaa00e1 vpce-aaaa0001]
	// 2 111122223333 eni-aaaa00e1 10.199.1.7 10.199.0.50 49152 443 6 3 180 1763800000 1763800060 REJECT OK
}
