package bench

import (
	"fmt"
	"net/netip"

	"github.com/trellisproject/trellis/policy"
)

// Facts are what the gateway knows about one request when it authorises it,
// in an engine-neutral form. Some come from the connection or the listener
// (source address, VPC, port, TLS) and are held in both the forms the engines
// want, since a gateway computes them once per connection, not per request.
// The rest come from authentication (the principal and its attributes) and
// routing (the service and the resource ARN, which the gateway also needs for
// the access log).
type Facts struct {
	// Principal is the authenticated caller, as authentication hands it to
	// trellis. The zero value is the anonymous caller.
	Principal policy.Principal
	// PrincipalARN is aws:PrincipalArn: the role ARN for a role session.
	// Empty for an anonymous caller.
	PrincipalARN     string
	PrincipalAccount string
	PrincipalOrgID   string
	PrincipalType    string // aws:PrincipalType: "AssumedRole", "Anonymous", ...
	TeamTag          string // aws:PrincipalTag/team

	SourceIP        string     // aws:SourceIp as text
	SourceAddr      netip.Addr // the same address, parsed
	SecureTransport bool
	Port            int
	PortText        string
	SourceVPC       string

	Method          string
	ServiceARN      string // the service the request was routed to
	Resource        string // ServiceARN + path
	ResourceAccount string

	// Lean asks every engine to put only the four facts the examples read
	// (organization, principal type, method, source VPC) in its context,
	// instead of the eleven condition keys a gateway sets for any policy.
	// It measures how much of each engine's time is building the context.
	Lean bool
}

// Anonymous reports whether the request is unsigned.
func (f *Facts) Anonymous() bool { return f.Principal.IsAnonymous() }

// AllowedRequest is a signed GET from a session of the role in the
// organization, from the VPC, to /orders of the service: every example
// allows it. It carries the same context keys as trellis's own benchmark
// request (policy/bench_test.go).
func AllowedRequest() Facts {
	pr, err := policy.ParsePrincipal(SessionARN)
	if err != nil {
		panic(err)
	}
	return Facts{
		Principal:        pr,
		PrincipalARN:     pr.PrincipalARN(),
		PrincipalAccount: Account,
		PrincipalOrgID:   OrgID,
		PrincipalType:    pr.Type.String(),
		TeamTag:          "blue",
		SourceIP:         "10.199.0.10",
		SourceAddr:       netip.MustParseAddr("10.199.0.10"),
		SecureTransport:  true,
		Port:             443,
		PortText:         "443",
		SourceVPC:        VPC,
		Method:           "GET",
		ServiceARN:       ServiceARN,
		Resource:         ServiceARN + "/orders",
		ResourceAccount:  Account,
	}
}

// A Variant is the allowed request with one thing changed, and the decision
// IAM gives for it under each example (in the order of Examples).
type Variant struct {
	Name   string
	Change func(*Facts)
	Allow  [3]bool
}

// Variants are the requests the equivalence test puts to every engine. All
// callers are in the service's account: a caller from another account needs
// an identity-based policy in its own account as well, which trellis
// enforces (policy.Set) and the guide's auth policies, translated alone to
// Cedar and Rego, do not express; TestCrossAccount covers that case.
var Variants = []Variant{
	{"allowed", func(*Facts) {}, [3]bool{true, true, true}},
	{"path-with-dot", func(f *Facts) { f.Resource = f.ServiceARN + "/orders/v1.2/report.json" }, [3]bool{true, true, true}},
	{"wrong-method", func(f *Facts) { f.Method = "POST" }, [3]bool{true, false, true}},
	{"wrong-org", func(f *Facts) { f.PrincipalOrgID = "o-999999other" }, [3]bool{false, true, true}},
	{"no-org", func(f *Facts) { f.PrincipalOrgID = "" }, [3]bool{false, true, true}},
	{"anonymous", anonymous, [3]bool{false, false, false}},
	{"other-vpc", func(f *Facts) { f.SourceVPC = "vpc-0f0f0f0f" }, [3]bool{true, true, false}},
	{"other-role", func(f *Facts) {
		setPrincipal(f, "arn:aws:sts::123456789012:assumed-role/otherrole/worker-1")
	}, [3]bool{true, false, true}},
	{"other-service", func(f *Facts) {
		f.ServiceARN = "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef1"
		f.Resource = f.ServiceARN + "/orders"
	}, [3]bool{true, false, true}},
	{"service-arn-prefix", func(f *Facts) {
		f.ServiceARN = ServiceARN + "9"
		f.Resource = f.ServiceARN + "/orders"
	}, [3]bool{true, false, true}},
}

func anonymous(f *Facts) {
	f.Principal = policy.Principal{Type: policy.Anonymous}
	f.PrincipalARN = ""
	f.PrincipalAccount = ""
	f.PrincipalOrgID = ""
	f.PrincipalType = policy.Anonymous.String()
	f.TeamTag = ""
}

func setPrincipal(f *Facts, arn string) {
	pr, err := policy.ParsePrincipal(arn)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", arn, err))
	}
	f.Principal = pr
	f.PrincipalARN = pr.PrincipalARN()
}

// A Decider is one engine with one example's policy compiled, deciding one
// request at a time. Decide builds the engine's per-request input from the
// facts and evaluates it. A Decider is not safe for concurrent use (the
// trellis one reuses its context, as a gateway would per worker).
type Decider interface {
	Decide(*Facts) (bool, error)
}

// Engines are the names of the engines, in the order of the benchmarks.
var Engines = []string{"trellis", "cedar", "opa"}

// New compiles ex's policy for the named engine.
func New(engine string, ex Example) (Decider, error) {
	switch engine {
	case "trellis":
		return NewTrellis(ex.IAM)
	case "cedar":
		return NewCedar(ex.Cedar)
	case "opa":
		return NewOPA(ex.Rego)
	}
	return nil, fmt.Errorf("unknown engine %q", engine)
}
