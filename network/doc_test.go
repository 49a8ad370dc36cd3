package network

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/trellisproject/trellis/policy"
	"go.yaml.in/yaml/v3"
)

// docExample returns the JSON configuration of docs/network.md.
func docExample(t testing.TB) string { return docBlock(t, "json") }

// docBlock returns the first code block in a language in the
// Configuration section of docs/network.md.
func docBlock(t testing.TB, lang string) string {
	t.Helper()
	doc, err := os.ReadFile("../docs/network.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Configuration")
	if !ok {
		t.Fatal("docs/network.md has no Configuration section")
	}
	_, rest, ok = strings.Cut(rest, "```"+lang+"\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatalf("docs/network.md's Configuration section has no %s block", lang)
	}
	return block
}

// TestDocExample builds the example of docs/network.md and checks the
// verdicts the document quotes.
func TestDocExample(t *testing.T) {
	c, err := DecodeConfig([]byte(docExample(t)))
	if err != nil {
		t.Fatal(err)
	}
	n := mustBuild(t, c)
	for _, tc := range []struct {
		flow Flow
		want want
	}{
		{Flow{SourceENI: "eni-aaaa0001", DestEndpoint: "vpce-aaaa0001", Protocol: TCP, DestPort: 443},
			want{reachable: true, hops: strings.Fields("eni-aaaa0001 sg-aaaa0002 rtb-aaaa0001 sg-aaaa0004 eni-aaaa00e1 vpce-aaaa0001")}},
		{Flow{SourceENI: "eni-aaaa0002", DestEndpoint: "vpce-aaaa0001", Protocol: TCP, DestPort: 443},
			want{layer: LayerSecurityGroup, code: CodeSG, component: "sg-aaaa0004",
				explain: "security group sg-aaaa0004 of eni-aaaa00e1 allows no inbound tcp/443 from 10.199.1.7"}},
		{Flow{SourceENI: "eni-aaaa0002", DestAddr: addr("203.0.113.9"), Protocol: TCP, DestPort: 80},
			want{layer: LayerNACL, code: CodeACL, component: "acl-aaaa0002",
				explain: "network ACL acl-aaaa0002 of subnet-aaaa0002 denies outbound tcp/80 to 203.0.113.9: rule 200 denies it"}},
	} {
		checkVerdict(t, n.Evaluate(tc.flow), tc.want)
	}
}

// TestDocExampleYAML builds the YAML example of docs/network.md, converted
// to JSON as the native document's decoder does.
func TestDocExampleYAML(t *testing.T) {
	var generic any
	if err := yaml.Unmarshal([]byte(docBlock(t, "yaml")), &generic); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(generic)
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecodeConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	n := mustBuild(t, c)
	checkVerdict(t, n.Evaluate(Flow{SourceENI: "eni-bbbb0001", DestEndpoint: "vpce-bbbb0001", Protocol: TCP, DestPort: 443}),
		want{reachable: true, hops: strings.Fields("eni-bbbb0001 sg-bbbb0001 rtb-bbbb0001 sg-bbbb0002 eni-bbbb00e1 vpce-bbbb0001")})
	e, _ := n.EndpointByID("vpce-bbbb0001")
	p, _ := policy.ParsePrincipal("arn:aws:sts::444455556666:assumed-role/ServiceBRole/task")
	r := &policy.Request{Principal: p, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:eu-west-1:444455556666:a1b2c3d4e5/prod/GET/"}
	if e.DefaultPolicy || e.Policy.Evaluate(r).Decision != policy.Allow {
		t.Errorf("the YAML endpoint policy does not allow ServiceBRole: %+v", e)
	}
}
