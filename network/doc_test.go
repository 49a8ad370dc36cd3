package network

import (
	"os"
	"strings"
	"testing"
)

// docExample returns the JSON configuration of docs/network.md.
func docExample(t testing.TB) string {
	t.Helper()
	doc, err := os.ReadFile("../docs/network.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Configuration")
	if !ok {
		t.Fatal("docs/network.md has no Configuration section")
	}
	_, rest, ok = strings.Cut(rest, "```json\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/network.md's Configuration section has no json block")
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
