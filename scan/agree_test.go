package scan_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/internal/zerotrustlab"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/network"
	"github.com/trellisproject/trellis/scan"
)

var (
	randomScenarios = flag.Int("scan.random", 6, "number of random scenarios TestAgreementRandom runs statically and live")
	randomSeed      = flag.Uint64("scan.seed", 1, "seed of TestAgreementRandom's scenarios")
)

// agree checks that a static and a live report of the same scenario have
// the same actual outcome and layer for every call.
func agree(t *testing.T, static, live *scan.Report) {
	t.Helper()
	if len(static.Stages) != len(live.Stages) {
		t.Fatalf("%d static stages, %d live", len(static.Stages), len(live.Stages))
	}
	for s := range static.Stages {
		ss, ls := static.Stages[s], live.Stages[s]
		if len(ss.Results) != len(ls.Results) {
			t.Fatalf("stage %s: %d static results, %d live", ss.Stage, len(ss.Results), len(ls.Results))
		}
		for i, sr := range ss.Results {
			lr := ls.Results[i]
			if sr.Actual != lr.Actual || sr.Layer != lr.Layer {
				t.Errorf("stage %s, %s → %s via %s: static %s at %s (%s), live %s at %s (%s)", ss.Stage, sr.Caller, sr.Target, sr.Route,
					sr.Actual, sr.Layer, sr.Explanation, lr.Actual, lr.Layer, lr.Explanation)
			}
		}
	}
}

// TestAgreementShipped runs every scenario shipped in examples statically
// and live, at every stage, and checks that they agree.
func TestAgreementShipped(t *testing.T) {
	files, err := filepath.Glob("../examples/*/scenario.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped scenarios: %v", err)
	}
	files = append(files, "testdata/mixed/scenario.yaml")
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			sc, err := scan.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			static, live := runBoth(t, sc)
			agree(t, static, live)
		})
	}
}

// TestAgreementRandom runs random scenarios statically and live and checks
// that they agree: each a few stages of the zero-trust lab's posture with
// random method authorization, resource policies, endpoint policies,
// security group and network ACL rules, callers that sign or not with
// their own key or another's, and random APIs, stages, methods and paths.
// -scan.random N runs N scenarios, -scan.seed S starts from another seed.
func TestAgreementRandom(t *testing.T) {
	for i := range *randomScenarios {
		seed := *randomSeed + uint64(i)
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			text := randomScenario(t, rand.New(rand.NewPCG(seed, seed^0x5ca9)))
			sc, err := scan.Parse([]byte(text), fmt.Sprintf("random-%d.yaml", seed), nil)
			if err != nil {
				t.Fatalf("%v\n%s", err, text)
			}
			static, live := runBoth(t, sc)
			agree(t, static, live)
			if t.Failed() {
				t.Logf("scenario:\n%s", text)
			}
		})
	}
}

// Policy variants the random scenarios choose from.
var (
	resourcePolicies = []string{
		"",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"IpAddress":{"aws:VpcSourceIp":"10.199.0.0/24"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333","aws:SourceVpce":"vpce-aaaa0001"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/api/GET/orders/*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-bbbb0001"}}}]}`,
	}
	endpointPolicies = []string{
		"",
		"",
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ServiceAInstanceRole"},"Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:222233334444:svcbapi001/api/GET/orders"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:222233334444:svcbapi001/*/GET/*"}]}`,
	}
)

// randomScenario writes a random scenario over the zero-trust lab, with
// its configuration inline (as JSON, which YAML reads).
func randomScenario(t *testing.T, r *rand.Rand) string {
	doc, err := zerotrustlab.Document(1 + r.IntN(zerotrustlab.Stages))
	if err != nil {
		t.Fatal(err)
	}
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var b strings.Builder
	b.WriteString("name: random\nsessions:\n")
	keys := []string{zerotrustlab.KeyServiceA, zerotrustlab.KeyLambda, zerotrustlab.KeyOther, testerKey}
	for i, role := range []string{"111122223333:role/ServiceAInstanceRole", "111122223333:role/ServiceALambdaRole", "444455556666:role/OtherInstanceRole"} {
		fmt.Fprintf(&b, "  - {accessKeyId: %s, role: \"arn:aws:iam::%s\", sessionName: s-%d}\n", keys[i], role, i)
	}
	b.WriteString("backends: [{url: \"http://127.0.0.1:8081\", serve: order-history}]\ncallers:\n")
	enis := []string{"eni-aaaa0001", "eni-aaaa0002", "eni-aaaa0003", "eni-bbbb0001"}
	routes := map[string]string{"eni-aaaa0001": "vpce-aaaa0001", "eni-aaaa0002": "vpce-aaaa0001", "eni-aaaa0003": "vpce-aaaa0001", "eni-bbbb0001": "vpce-bbbb0001"}
	type caller struct{ name, eni string }
	var callers []caller
	for i := range 2 + r.IntN(4) {
		c := caller{fmt.Sprintf("c%d", i), enis[r.IntN(len(enis))]}
		callers = append(callers, c)
		fmt.Fprintf(&b, "  - {name: %s, interface: %s", c.name, c.eni)
		if r.IntN(4) > 0 {
			fmt.Fprintf(&b, ", credentials: %s, signs: %v", keys[r.IntN(len(keys))], r.IntN(3) > 0)
		}
		b.WriteString("}\n")
	}
	b.WriteString("targets:\n")
	// Mostly what exists, sometimes what does not.
	apis := []string{"svcbapi001", "svcbapi001", "svcbapi001", "svcbapi001", "svcbapi001", "svcbapi001", "svcbapi001", "x9y8z7w6v5"}
	stages := []string{"api", "api", "api", "api", "api", "api", "api", "prod"}
	methods := []string{"GET", "GET", "GET", "GET", "GET", "GET", "POST", "DELETE"}
	paths := []string{"/orders", "/orders", "/orders", "/orders/1002", "/orders/1002", "/orders/9999", "/nothing", "/"}
	ntargets := 2 + r.IntN(3)
	for i := range ntargets {
		fmt.Fprintf(&b, "  - {name: t%d, api: %s, stage: %s, method: %s, path: %s}\n", i,
			apis[r.IntN(len(apis))], stages[r.IntN(len(stages))], methods[r.IntN(len(methods))], paths[r.IntN(len(paths))])
	}
	b.WriteString("calls:\n")
	for range 4 + r.IntN(6) {
		c := callers[r.IntN(len(callers))]
		fmt.Fprintf(&b, "  - {caller: %s, target: t%d, route: %s, desired: %s}\n", c.name, r.IntN(ntargets), routes[c.eni], []string{"allow", "block"}[r.IntN(2)])
	}
	b.WriteString("stages:\n")
	for s := range 1 + r.IntN(3) {
		nc, ac, in := mutateNetwork(t, r, *doc.Network), mutateAPIs(t, r, *doc.APIs), mutateIdentity(r, *doc.Identity)
		fmt.Fprintf(&b, "  - name: s%d\n    config:\n      identity: %s\n      network: %s\n      apis: %s\n", s, js(in), js(nc), js(ac))
		if r.IntN(2) == 0 {
			c := callers[r.IntN(len(callers))]
			fmt.Fprintf(&b, "    callers: [{name: %s, signs: %v, credentials: %s}]\n", c.name, r.IntN(2) == 0, keys[r.IntN(len(keys))])
		}
	}
	return b.String()
}

// mutateNetwork changes the endpoints' policies, the rules of VPCE SrvA's
// security group and its subnets' network ACL.
func mutateNetwork(t *testing.T, r *rand.Rand, nc network.Config) network.Config {
	nc.InterfaceEndpoints = append([]network.InterfaceEndpoint(nil), nc.InterfaceEndpoints...)
	for i := range nc.InterfaceEndpoints {
		nc.InterfaceEndpoints[i].Policy = rawPolicy(endpointPolicies[r.IntN(len(endpointPolicies))])
	}
	port := func(p int) *int { return &p }
	sgRules := [][]network.SGRule{
		{{Protocol: "tcp", FromPort: port(443), CIDR: "10.199.0.0/16"}},
		{{Protocol: "tcp", FromPort: port(443), SecurityGroup: "sg-aaaa0002"}},
		{{Protocol: "tcp", FromPort: port(443), CIDR: "10.199.1.0/24"}, {Protocol: "tcp", FromPort: port(443), SecurityGroup: "sg-aaaa0003"}},
		{{Protocol: "tcp", FromPort: port(80), ToPort: port(8080), CIDR: "10.199.0.0/16"}},
		{{Protocol: "-1", CIDR: "0.0.0.0/0"}},
	}
	nc.SecurityGroups = append([]network.SecurityGroup(nil), nc.SecurityGroups...)
	for i := range nc.SecurityGroups {
		if nc.SecurityGroups[i].ID == "sg-aaaa0004" {
			nc.SecurityGroups[i].Ingress = sgRules[r.IntN(len(sgRules))]
		}
	}
	// A network ACL for the endpoint's subnets that denies HTTPS from a
	// random range: it decides on the destination port only, so the
	// client's ephemeral port cannot make a live run differ.
	if r.IntN(4) == 0 {
		deny := []string{"10.199.0.0/24", "10.199.1.0/24", "10.199.0.20/32"}[r.IntN(3)]
		all := "-1"
		nc.NetworkACLs = append(append([]network.NetworkACL(nil), nc.NetworkACLs...), network.NetworkACL{ID: "acl-aaaa0002", VPC: "vpc-aaaa0001",
			Inbound: []network.ACLRule{
				{Rule: 100, Protocol: "tcp", FromPort: port(443), CIDR: deny, Action: "deny"},
				{Rule: 200, Protocol: all, CIDR: "0.0.0.0/0", Action: "allow"},
			},
			Outbound: []network.ACLRule{{Rule: 100, Protocol: all, CIDR: "0.0.0.0/0", Action: "allow"}}})
		nc.Subnets = append([]network.Subnet(nil), nc.Subnets...)
		for i := range nc.Subnets {
			if nc.Subnets[i].ID == "subnet-aaaa0003" || nc.Subnets[i].ID == "subnet-aaaa0004" {
				nc.Subnets[i].NetworkACL = "acl-aaaa0002"
			}
		}
	}
	return nc
}

// testerKey is the access key of the random scenarios' IAM user, which
// some stages deactivate: calls signed with it then fail as bad
// signatures.
const testerKey = "AKIATESTERTESTERTES2"

// mutateIdentity adds an IAM user who may invoke any API, with an access
// key that is active or not.
func mutateIdentity(r *rand.Rand, in identity.Input) identity.Input {
	in.Users = append(append([]identity.User(nil), in.Users...), identity.User{Account: "111122223333", Name: "tester",
		InlinePolicies: []identity.InlinePolicy{{Name: "invoke", Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`)}}})
	status := []string{identity.StatusActive, identity.StatusInactive}[r.IntN(2)]
	in.AccessKeys = append(append([]identity.AccessKey(nil), in.AccessKeys...), identity.AccessKey{ID: testerKey, User: "arn:aws:iam::111122223333:user/tester", Status: status})
	return in
}

// mutateAPIs changes ServiceBAPI's resource policy and the authorization
// of its methods.
func mutateAPIs(t *testing.T, r *rand.Rand, ac model.APIsConfig) model.APIsConfig {
	ac.RestAPIs = append([]model.RestAPIConfig(nil), ac.RestAPIs...)
	api := &ac.RestAPIs[0]
	api.Policy = rawPolicy(resourcePolicies[r.IntN(len(resourcePolicies))])
	api.Resources = append([]model.ResourceConfig(nil), api.Resources...)
	for i := range api.Resources {
		ms := append([]model.MethodConfig(nil), api.Resources[i].Methods...)
		for j := range ms {
			ms[j].AuthorizationType = []string{"NONE", "AWS_IAM"}[r.IntN(2)]
		}
		api.Resources[i].Methods = ms
	}
	return ac
}

func rawPolicy(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}
