package iamdiff

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestGenerateIsDeterministic(t *testing.T) {
	a := Generate(7, 50)
	b := Generate(7, 50)
	for i := range a {
		if !bytes.Equal(a[i].Doc.Marshal(), b[i].Doc.Marshal()) {
			t.Fatalf("case %d differs between two generations", i)
		}
	}
	// A case does not depend on how many cases are generated.
	if c := GenerateCase(7, 42); !bytes.Equal(c.Doc.Marshal(), a[42].Doc.Marshal()) {
		t.Fatal("GenerateCase(7, 42) differs from Generate(7, 50)[42]")
	}
	if bytes.Equal(GenerateCase(7, 1).Doc.Marshal(), GenerateCase(8, 1).Doc.Marshal()) {
		t.Fatal("seeds 7 and 8 give the same case")
	}
}

// TestGeneratedDocumentsAreWellFormed checks the rules the generator follows so that both
// evaluators see the same, valid request.
func TestGeneratedDocumentsAreWellFormed(t *testing.T) {
	for _, c := range Generate(3, 3000) {
		d := c.Doc
		raw := d.Marshal()
		if bytes.ContainsAny(raw, "\n\r") {
			t.Fatalf("case %s: document has a line break", c.Name())
		}
		back, err := ParseDocument(raw)
		if err != nil || !bytes.Equal(back.Marshal(), raw) {
			t.Fatalf("case %s: document does not round-trip: %v", c.Name(), err)
		}
		r := d.Request
		if r.Principal == "" || r.Action == "" || r.Resource == "" || r.ResourceAccount == "" {
			t.Fatalf("case %s: incomplete request %+v", c.Name(), r)
		}
		for k, v := range r.Context {
			key, ok := keyByName(k)
			if !ok {
				t.Fatalf("case %s: context key %s is not in the world", c.Name(), k)
			}
			switch v.(type) {
			case string:
				if key.multi {
					t.Fatalf("case %s: multivalued key %s has a single value", c.Name(), k)
				}
			case []string:
				if !key.multi {
					t.Fatalf("case %s: single-valued key %s has a list", c.Name(), k)
				}
			default:
				t.Fatalf("case %s: context key %s has a %T", c.Name(), k, v)
			}
		}
		kind := PrincipalKind(r.Principal)
		if kind == "anonymous" || kind == "service" {
			if len(d.IdentityPolicies)+len(d.PermissionsBoundaries)+len(d.ServiceControlPolicies) > 0 || d.SessionPolicy != nil {
				t.Fatalf("case %s: a %s caller has principal-side policies", c.Name(), kind)
			}
		}
		if d.SessionPolicy != nil && kind != "session" {
			t.Fatalf("case %s: session policy for a %s", c.Name(), kind)
		}
		for _, l := range d.ResourceControlPolicies {
			if !reflect.DeepEqual(l.Policies[0], rcpFullAWSAccess) {
				t.Fatalf("case %s: RCP level %s does not start with RCPFullAWSAccess", c.Name(), l.Target)
			}
		}
		for _, pol := range allPolicies(d) {
			sids := map[string]bool{}
			for _, st := range Statements(pol) {
				if sid, ok := st["Sid"].(string); ok {
					if sids[sid] {
						t.Fatalf("case %s: Sid %s used twice in a policy", c.Name(), sid)
					}
					sids[sid] = true
				}
				cond, _ := st["Condition"].(map[string]any)
				for op, kv := range cond {
					seen := map[string]bool{}
					for key := range kv.(map[string]any) {
						if seen[strings.ToLower(key)] {
							t.Fatalf("case %s: key %s twice under %s", c.Name(), key, op)
						}
						seen[strings.ToLower(key)] = true
					}
				}
				if _, ok := st["NotPrincipal"]; ok && st["Effect"] != "Deny" {
					t.Fatalf("case %s: NotPrincipal with Allow", c.Name())
				}
			}
		}
	}
}

// TestGeneratorCoverage checks that the CI set exercises what docs/iam-differential.md
// says the generator covers.
func TestGeneratorCoverage(t *testing.T) {
	counts := map[string]int{}
	for _, c := range Generate(1, 2000) {
		for _, f := range c.Tags {
			counts[f]++
		}
	}
	want := []string{
		"principal:user", "principal:role", "principal:session", "principal:anonymous", "principal:service", "principal:root",
		"same-account", "cross-account",
		"layer:identity", "layer:resource", "layer:boundary", "layer:session", "layer:scp", "layer:rcp", "layer:endpoint",
		"effect:Allow", "effect:Deny", "not-action", "not-resource", "notprincipal", "notprincipal:partial", "notprincipal:complete",
		"principal-element:wildcard", "principal-element:account", "principal-element:user", "principal-element:role",
		"principal-element:session", "principal-element:service", "endpoint-principal",
		"action:wildcard", "action:star", "action:case-variant", "resource:wildcard", "resource:star",
		"op-set:ForAllValues", "op-set:ForAnyValue", "op-suffix:IfExists", "condition:key-missing", "condition:multi-empty",
		"condition:key-case", "condition:json-bool", "condition:json-number", "condition:value-list",
		"var:aws:username", "var:aws:PrincipalTag/team", "var:aws:PrincipalTag/owner", "var:aws:SourceVpc", "var-default",
		"var-escape:*", "var-escape:?", "var-escape:$", "var-in-resource", "var-in-condition",
		"request:ipv4", "request:ipv6", "policy:statement-object", "policy:no-version",
	}
	for _, op := range []string{
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
		"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
		"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
		"Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
	} {
		want = append(want, "op-base:"+op)
	}
	for _, f := range want {
		if counts[f] == 0 {
			t.Errorf("no case exercises %s", f)
		}
	}
}

func TestSimulatorViewResolvesEndpointPrincipals(t *testing.T) {
	session := "arn:aws:sts::111122223333:assumed-role/Deployer/sess-01"
	for _, tc := range []struct {
		element any
		caller  string
		names   bool
	}{
		{"*", Anonymous, true},
		{map[string]any{"AWS": "*"}, Anonymous, true},
		{map[string]any{"AWS": "111122223333"}, Anonymous, false},
		{map[string]any{"AWS": "111122223333"}, session, true},
		{map[string]any{"AWS": "arn:aws:iam::111122223333:root"}, session, true},
		{map[string]any{"AWS": "arn:aws:iam::444455556666:root"}, session, false},
		{map[string]any{"AWS": "arn:aws:iam::111122223333:role/app/Deployer"}, session, true},
		{map[string]any{"AWS": "arn:aws:iam::111122223333:role/Deployer"}, session, true},
		{map[string]any{"AWS": "arn:aws:iam::111122223333:role/Reader"}, session, false},
		{map[string]any{"AWS": []any{"arn:aws:iam::444455556666:root", session}}, session, true},
		{map[string]any{"Service": "lambda.amazonaws.com"}, "lambda.amazonaws.com", true},
		{map[string]any{"Service": "lambda.amazonaws.com"}, "cloudtrail.amazonaws.com", false},
		{map[string]any{"AWS": "arn:aws:iam::111122223333:user/alice"}, "arn:aws:iam::111122223333:user/alice", true},
		{map[string]any{"AWS": "arn:aws:iam::111122223333:user/alice"}, "arn:aws:iam::111122223333:user/bob", false},
	} {
		if got := PrincipalNames(tc.element, tc.caller); got != tc.names {
			t.Errorf("PrincipalNames(%v, %s) = %v, want %v", tc.element, tc.caller, got, tc.names)
		}
	}

	d := Document{
		EndpointPolicies: []any{map[string]any{"Statement": []any{
			map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "444455556666"}, "Action": "*", "Resource": "*"},
			map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"},
		}}},
		Request: Request{Principal: session, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: "111122223333"},
	}
	v, changed := SimulatorView(d)
	if !changed {
		t.Fatal("SimulatorView did not rewrite an endpoint policy that names principals")
	}
	sts := Statements(v.EndpointPolicies[0])
	if len(sts) != 1 || sts[0]["Principal"] != "*" || sts[0]["Action"] != "s3:*" {
		t.Fatalf("resolved endpoint policy: %v", sts)
	}
	if len(Statements(d.EndpointPolicies[0])) != 2 {
		t.Fatal("SimulatorView changed its input")
	}
}

func TestNotPrincipalCoverage(t *testing.T) {
	session := "arn:aws:sts::111122223333:assumed-role/Reader/s1"
	np := func(arns ...any) any { return map[string]any{"AWS": arns} }
	for _, tc := range []struct {
		element any
		want    npCoverage
	}{
		{np("arn:aws:iam::444455556666:root"), npNone},
		{np("111122223333"), npPartial},
		{np("arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/Reader"), npPartial},
		{np("111122223333", "arn:aws:iam::111122223333:role/Reader", session), npComplete},
		{np("arn:aws:iam::111122223333:role/Reader", session), npPartial},
	} {
		if got := notPrincipalCoverage(tc.element, session); got != tc.want {
			t.Errorf("notPrincipalCoverage(%v) = %v, want %v", tc.element, got, tc.want)
		}
	}
}

// TestKnownDifferenceExamples checks each known difference on its minimal example: the
// classifier recognises it; trellis decides as the AWS documentation says; and, when the
// runner is installed, iam-simulate decides otherwise on the example but like trellis on
// the adjusted example. If iam-simulate stops differing, the entry must go.
func TestKnownDifferenceExamples(t *testing.T) {
	root := repoRoot(t)
	simOK := SimulatorReady(root) == ""
	for _, k := range KnownDifferences {
		t.Run(k.Kind, func(t *testing.T) {
			if k.Example == "" || k.DocURL == "" || k.DocFact == "" || k.Description == "" {
				t.Fatal("a known difference needs a description, an AWS documentation URL and fact, and an example")
			}
			d, err := ParseDocument([]byte(k.Example))
			if err != nil {
				t.Fatal(err)
			}
			got, expl, err := TrellisEvaluator(d.Marshal())
			if err != nil {
				t.Fatalf("trellis: %v", err)
			}
			if got != k.Expected {
				t.Errorf("trellis decides %s, the AWS documentation %s\n%s", got, k.Expected, indent(expl))
			}
			other := Allow
			if got == Allow {
				other = ImplicitDeny
			}
			if !k.Matches(d, got, other) {
				t.Error("the classifier does not recognise its own example")
			}
			a, ok := k.Adjust(d)
			if !ok {
				t.Fatal("Adjust does not rewrite the example")
			}
			if !simOK {
				return
			}
			res, err := RunSimulator(context.Background(), root, [][]byte{d.Marshal(), a.Marshal()}, false)
			if err != nil {
				t.Fatal(err)
			}
			if res[0].Error != "" || res[1].Error != "" {
				t.Fatalf("iam-simulate: %s %s", res[0].Error, res[1].Error)
			}
			if res[0].Decision == got {
				t.Errorf("iam-simulate now agrees with trellis (%s) on the example: remove or revise this known difference", got)
			}
			if res[1].Decision != got {
				t.Errorf("iam-simulate on the adjusted example decides %s, trellis %s", res[1].Decision, got)
			}
		})
	}
}

// TestCompareClassifies runs the comparator with a fake trellis that always allows, to
// check the bookkeeping without depending on the real evaluator.
func TestCompareClassifies(t *testing.T) {
	root := requireSimulator(t)
	fake := func(doc []byte) (string, json.RawMessage, error) { return Allow, json.RawMessage(`{}`), nil }
	rep, err := Run(context.Background(), Config{Seed: 5, N: 200, Root: root, Evaluate: fake, KeepAll: true, Batch: 70})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, o := range []Outcome{Agree, Known, Disagree, SimError, TrellisError} {
		total += rep.Count(o)
	}
	if total != 200 || rep.Cases != 200 || len(rep.Results) != 200 {
		t.Fatalf("outcomes add up to %d of 200 (%d cases, %d results)", total, rep.Cases, len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Outcome == Agree && r.Sim.Decision != Allow {
			t.Fatalf("case %s: agreement on %s", r.Case.Name(), r.Sim.Decision)
		}
	}
	if rep.Count(Agree) == 0 || rep.Count(Disagree) == 0 {
		t.Fatalf("a fake that always allows should agree sometimes and disagree often: %d, %d", rep.Count(Agree), rep.Count(Disagree))
	}
	var b bytes.Buffer
	if err := WriteJSONL(&b, rep.Filter(Disagree)[:1]); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(b.Bytes(), &line); err != nil || line["document"] == nil || line["trellis"] != Allow {
		t.Fatalf("JSONL line: %v %s", err, b.String())
	}
}
