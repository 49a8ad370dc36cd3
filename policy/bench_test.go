package policy

import (
	"fmt"
	"strings"
	"testing"
)

// The benchmark inputs: the VPC Lattice guide's three example auth
// policies, an endpoint policy, and a 30-statement policy with wildcards,
// variables and conditions. Each comes with a request it allows, so the
// benchmark walks every element of the deciding statement.

const (
	benchService = "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0"
	benchSession = "arn:aws:sts::123456789012:assumed-role/rolename/worker-1"
)

const latticeOrgOnly = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": "*",
    "Action": "vpc-lattice-svcs:Invoke",
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-123456example"]}}
  }]
}`

const latticeRoleGetOnly = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": ["arn:aws:iam::123456789012:role/rolename"]},
    "Action": "vpc-lattice-svcs:Invoke",
    "Resource": ["arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/*"],
    "Condition": {"StringEquals": {"vpc-lattice-svcs:RequestMethod": "GET"}}
  }]
}`

const latticeVPCAuthenticated = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": "*",
    "Action": "vpc-lattice-svcs:Invoke",
    "Resource": "*",
    "Condition": {
      "StringNotEqualsIgnoreCase": {"aws:PrincipalType": "anonymous"},
      "StringEquals": {"vpc-lattice-svcs:SourceVpc": "vpc-1a2b3c4d"}
    }
  }]
}`

const endpointPolicy = `{
  "Statement": [{
    "Principal": {"AWS": "arn:aws:iam::123456789012:role/rolename"},
    "Action": "execute-api:Invoke",
    "Effect": "Allow",
    "Resource": "arn:aws:execute-api:us-west-2:123456789012:svcbapi001/api/GET/orders"
  }]
}`

// largePolicy builds a 30-statement resource policy: 29 statements that do
// not apply to the benchmark request (each for the reason a real policy
// would skip it: another action, principal, path, method, VPC or tag), and
// a last one that allows it.
func largePolicy() string {
	var stmts []string
	for i := range 29 {
		var s string
		switch i % 6 {
		case 0:
			s = fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Principal":"*","Action":["vpc-lattice-svcs:Connect","execute-api:Invoke"],"Resource":"*"}`, i)
		case 1:
			s = fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:role/team-%d","444455556666"]},"Action":"vpc-lattice-svcs:*","Resource":"*"}`, i, i)
		case 2:
			s = fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"%s/admin/%d/*"}`, i, benchService, i)
		case 3:
			s = fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"%s/*","Condition":{"StringEquals":{"vpc-lattice-svcs:RequestMethod":["PUT","PATCH"]},"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/writer-*"}}}`, i, benchService)
		case 4:
			s = fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"%s/*","Condition":{"StringEquals":{"vpc-lattice-svcs:SourceVpc":"vpc-%08d"}}}`, i, benchService, i)
		case 5:
			s = fmt.Sprintf(`{"Sid":"S%d","Effect":"Deny","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"%s/users/${aws:PrincipalTag/team}-%d/*","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}}`, i, benchService, i)
		}
		stmts = append(stmts, s)
	}
	stmts = append(stmts, `{"Sid":"TeamRead","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke",`+
		`"Resource":"`+benchService+`/teams/${aws:PrincipalTag/team}/*",`+
		`"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-123456example","vpc-lattice-svcs:RequestMethod":["GET","HEAD"]},`+
		`"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/*"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},`+
		`"Bool":{"aws:SecureTransport":"true"},"NumericLessThan":{"vpc-lattice-svcs:Port":"1024"}}}`)
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// benchRequest is a typical signed GET to a VPC Lattice service, with the
// context keys the gateway sets.
func benchRequest(tb testing.TB, path string) *Request {
	ctx := NewContext(16)
	fillBenchContext(ctx)
	return &Request{
		Principal:       mustPrincipal(tb, benchSession),
		Action:          "vpc-lattice-svcs:Invoke",
		Resource:        benchService + path,
		ResourceAccount: "123456789012",
		Context:         ctx,
	}
}

// fillBenchContext sets the context a gateway builds for every request.
func fillBenchContext(ctx *Context) {
	ctx.Set("aws:PrincipalOrgID", "o-123456example")
	ctx.Set("aws:PrincipalArn", "arn:aws:iam::123456789012:role/rolename")
	ctx.Set("aws:PrincipalAccount", "123456789012")
	ctx.Set("aws:PrincipalType", "AssumedRole")
	ctx.Set("aws:PrincipalTag/team", "blue")
	ctx.Set("aws:SourceIp", "10.199.0.10")
	ctx.Set("aws:SecureTransport", "true")
	ctx.Set("vpc-lattice-svcs:RequestMethod", "GET")
	ctx.Set("vpc-lattice-svcs:Port", "443")
	ctx.Set("vpc-lattice-svcs:SourceVpc", "vpc-1a2b3c4d")
	ctx.Set("vpc-lattice-svcs:ServiceArn", benchService)
}

var benchCases = []struct {
	name   string
	doc    string
	action string
	path   string
}{
	{"LatticeOrgOnly", latticeOrgOnly, "", "/orders"},
	{"LatticeRoleGetOnly", latticeRoleGetOnly, "", "/orders"},
	{"LatticeVPCAuthenticated", latticeVPCAuthenticated, "", "/orders"},
	{"EndpointPolicy", endpointPolicy, "execute-api:Invoke", ""},
	{"Large30Statements", largePolicy(), "", "/teams/blue/roster"},
}

func benchSetup(tb testing.TB, doc, action, path string) (*Policy, *Request) {
	p, err := Parse([]byte(doc), Options{Kind: KindResource})
	if err != nil {
		tb.Fatal(err)
	}
	r := benchRequest(tb, path)
	if action != "" {
		r.Action = action
		r.Resource = "arn:aws:execute-api:us-west-2:123456789012:svcbapi001/api/GET/orders"
	}
	return p, r
}

// TestBenchCasesAllow makes sure every benchmark measures a full walk to an
// Allow, and that evaluating allocates nothing.
func TestBenchCasesAllow(t *testing.T) {
	for _, bc := range benchCases {
		p, r := benchSetup(t, bc.doc, bc.action, bc.path)
		set := &Set{Resource: p}
		if got := set.Evaluate(r); got.Decision != Allow {
			t.Errorf("%s: %v\n%+v", bc.name, got, set.Explain(r))
		}
		if n := testing.AllocsPerRun(100, func() { set.Evaluate(r) }); n != 0 {
			t.Errorf("%s: %v allocations per decision, want 0", bc.name, n)
		}
	}
}

// BenchmarkDecision measures one full decision (Set.Evaluate) per policy.
// Reproduce with: go test -run '^$' -bench Decision -benchmem ./policy
func BenchmarkDecision(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			p, r := benchSetup(b, bc.doc, bc.action, bc.path)
			set := &Set{Resource: p}
			b.ReportAllocs()
			for b.Loop() {
				if set.Evaluate(r).Decision != Allow {
					b.Fatal("not allowed")
				}
			}
		})
	}
}

// BenchmarkContext measures building the gateway's 11-key context per
// request, with Set (which replaces earlier values) and Add.
func BenchmarkContext(b *testing.B) {
	ctx := NewContext(16)
	b.Run("Set", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ctx.Reset()
			fillBenchContext(ctx)
		}
	})
	b.Run("Add", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ctx.Reset()
			ctx.Add("aws:PrincipalOrgID", "o-123456example")
			ctx.Add("aws:PrincipalArn", "arn:aws:iam::123456789012:role/rolename")
			ctx.Add("aws:PrincipalAccount", "123456789012")
			ctx.Add("aws:PrincipalType", "AssumedRole")
			ctx.Add("aws:PrincipalTag/team", "blue")
			ctx.Add("aws:SourceIp", "10.199.0.10")
			ctx.Add("aws:SecureTransport", "true")
			ctx.Add("vpc-lattice-svcs:RequestMethod", "GET")
			ctx.Add("vpc-lattice-svcs:Port", "443")
			ctx.Add("vpc-lattice-svcs:SourceVpc", "vpc-1a2b3c4d")
			ctx.Add("vpc-lattice-svcs:ServiceArn", benchService)
		}
	})
}

// BenchmarkParse measures parsing and compiling, which happens once per
// configuration change.
func BenchmarkParse(b *testing.B) {
	doc := []byte(largePolicy())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc, Options{Kind: KindResource}); err != nil {
			b.Fatal(err)
		}
	}
}
