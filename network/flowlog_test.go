package network

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestFlowLogRecord(t *testing.T) {
	n := mustBuild(t, labConfig())
	start := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	c := Counters{Packets: 12, Bytes: 3400, Start: start, End: start.Add(time.Minute)}
	blocked := labConfig()
	stage5(&blocked)
	for _, tc := range []struct {
		name string
		n    *Network
		flow Flow
		at   Side
		want string
	}{
		{"accepted, at the source", n, toSrvA(eniEC2), AtSource,
			"2 111122223333 eni-aaaa0001 10.199.0.10 10.199.2.10 50000 443 6 12 3400 1795348800 1795348860 ACCEPT OK"},
		{"rejected, at the endpoint's interface", mustBuild(t, blocked), toSrvA(eniLambda), AtDestination,
			"2 111122223333 eni-aaaa00e2 10.199.1.7 10.199.3.10 50000 443 6 12 3400 1795348800 1795348860 REJECT OK"},
		{"to the internet, at the destination: no interface", n,
			Flow{SourceENI: eniEC2, DestAddr: addr("203.0.113.5"), Protocol: UDP, DestPort: 53, SourcePort: 5353}, AtDestination,
			"2 - - 10.199.0.10 203.0.113.5 5353 53 17 12 3400 1795348800 1795348860 ACCEPT OK"},
		{"ICMP has no ports", n, Flow{SourceENI: eniEC2, DestAddr: addr("203.0.113.5"), Protocol: ICMP, SourcePort: 9, DestPort: 9}, AtSource,
			"2 111122223333 eni-aaaa0001 10.199.0.10 203.0.113.5 0 0 1 12 3400 1795348800 1795348860 ACCEPT OK"},
		{"not found: unknown fields are dashes", n, Flow{SourceENI: "eni-00000000", DestEndpoint: vpceSrvA, Protocol: TCP, DestPort: 443}, AtSource,
			"2 - - - - 0 443 6 12 3400 1795348800 1795348860 REJECT OK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FlowLogRecord(tc.flow, tc.n.Evaluate(tc.flow), tc.at, c); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestVerdictJSONAndString(t *testing.T) {
	c := labConfig()
	stage5(&c)
	v := mustBuild(t, c).Evaluate(toSrvA(eniLambda))
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Reachable              bool
		Layer, Code, Component string
		Explanation            string
		Hops                   []string
		Source, Destination    Peer
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Reachable || got.Layer != "security-group" || got.Code != "ENI_SG_RULES_MISMATCH" || got.Component != sgAVPCE ||
		!strings.HasPrefix(got.Explanation, "security group sg-aaaa0004") || len(got.Hops) != 8 ||
		got.Source.Interface != eniLambda || got.Destination.Interface != eniVPCE2 || got.Destination.Addr != addr("10.199.3.10") {
		t.Errorf("JSON %s", data)
	}
	want := "blocked at security-group (ENI_SG_RULES_MISMATCH) by sg-aaaa0004: security group sg-aaaa0004 of eni-aaaa00e2 allows no inbound tcp/443 from 10.199.1.7"
	if v.String() != want {
		t.Errorf("String() = %q\nwant %q", v.String(), want)
	}
}
