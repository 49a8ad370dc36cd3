package network

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Fuzz targets run their seeds in every `go test`; run one for longer with
// go test -run '^$' -fuzz FuzzBuild -fuzztime 5m ./network

// FuzzBuild decodes and builds arbitrary configurations. Build must never
// panic, every error must name a path, and a network that builds must
// evaluate every flow between its interfaces to a consistent verdict.
func FuzzBuild(f *testing.F) {
	lab, err := json.Marshal(labConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(lab)
	stage := labConfig()
	stage5(&stage)
	withACL(ACLRules{In: []ACLRule{{Rule: 90, Protocol: "tcp", FromPort: port(443), CIDR: "10.199.1.0/24", Action: "deny"}}})(&stage)
	withService(true, []string{"*"})(&stage)
	if data, err := json.Marshal(stage); err == nil {
		f.Add(data)
	}
	f.Add([]byte(docExample(f)))
	for _, s := range []string{
		`{}`, `{"vpcs":[{"id":"vpc-00000001","account":"111122223333","region":"us-east-1","cidrBlocks":["10.0.0.0/16"]}]}`,
		`{"vpcs":[{"id":"vpc-0","cidrBlocks":["::/0"]}],"subnets":[{"id":"subnet-00000001","vpc":"vpc-0","cidr":"10.0.0.0/28"}]}`,
		`{"networkAcls":[{"id":"acl-00000001","inbound":[{"rule":-1,"protocol":"999","fromPort":-5,"cidr":"x"}]}]}`,
		`{"interfaceEndpoints":[{"id":"vpce-00000001","policy":"{\"Statement\":[]}"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeConfig(data)
		if err != nil {
			return
		}
		n, err := Build(c)
		if err != nil {
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				if !strings.Contains(e.Error(), ": ") {
					t.Fatalf("error without a path: %v", e)
				}
			}
			return
		}
		count := 0
		for _, src := range n.ifaces {
			for _, dst := range n.ifaces {
				if count++; count > 200 {
					return
				}
				for _, fl := range []Flow{
					{SourceENI: src.view.ID, DestENI: dst.view.ID, Protocol: TCP, DestPort: 443},
					{SourceVPC: src.view.VPC, SourceAddr: src.addr, DestAddr: dst.addr, Protocol: UDP, DestPort: 53, SourcePort: 5353},
					{SourceENI: src.view.ID, DestEndpoint: dst.view.Endpoint, Protocol: ICMP},
				} {
					checkConsistent(t, fl, n.Evaluate(fl))
				}
			}
		}
	})
}

func checkConsistent(t *testing.T, f Flow, v Verdict) {
	t.Helper()
	if v.Reachable != (v.Layer == "" && v.Code == "" && v.Component == "") {
		t.Fatalf("%+v: inconsistent verdict %+v", f, v)
	}
	if v.Explanation() == "" || v.Explanation() == "not evaluated" {
		t.Fatalf("%+v: no explanation for %+v", f, v)
	}
	if v.Reachable && len(v.Hops()) == 0 {
		t.Fatalf("%+v: reachable without hops", f)
	}
	rec := FlowLogRecord(f, v, AtSource, Counters{Packets: 1, Bytes: 40, Start: time.Unix(0, 0), End: time.Unix(60, 0)})
	if n := len(strings.Fields(rec)); n != 14 {
		t.Fatalf("flow log record %q has %d fields, want 14", rec, n)
	}
}
