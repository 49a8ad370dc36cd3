package bench

import (
	"context"

	"github.com/open-policy-agent/opa/v1/rego"
)

// OPA decides with OPA's rego package: the module is compiled once into a
// prepared query for data.lattice.allow, and each decision is one Eval.
type OPA struct {
	pq rego.PreparedEvalQuery
}

// NewOPA prepares a Rego module whose decision is data.lattice.allow.
func NewOPA(module string) (*OPA, error) {
	pq, err := rego.New(
		rego.Query("data.lattice.allow"),
		rego.Module("example.rego", module),
	).PrepareForEval(context.Background())
	if err != nil {
		return nil, err
	}
	return &OPA{pq: pq}, nil
}

// Decide builds the input document (a map, as an HTTP gateway would build
// it) with the principal, action, resource and a context object with the same
// facts trellis gets as condition keys (four with Facts.Lean), and evaluates
// the prepared query.
func (o *OPA) Decide(f *Facts) (bool, error) {
	principal := "anonymous"
	if !f.Anonymous() {
		principal = f.PrincipalARN
	}
	var ctx map[string]any
	if f.Lean {
		ctx = map[string]any{
			"principalType": f.PrincipalType,
			"requestMethod": f.Method,
			"sourceVpc":     f.SourceVPC,
		}
		if f.PrincipalOrgID != "" {
			ctx["principalOrgID"] = f.PrincipalOrgID
		}
		return o.eval(f, principal, ctx)
	}
	ctx = map[string]any{
		"principalType":   f.PrincipalType,
		"sourceIp":        f.SourceIP,
		"secureTransport": f.SecureTransport,
		"requestMethod":   f.Method,
		"port":            f.Port,
		"sourceVpc":       f.SourceVPC,
		"serviceArn":      f.ServiceARN,
	}
	if !f.Anonymous() {
		if f.PrincipalOrgID != "" {
			ctx["principalOrgID"] = f.PrincipalOrgID
		}
		ctx["principalArn"] = f.PrincipalARN
		ctx["principalAccount"] = f.PrincipalAccount
		if f.TeamTag != "" {
			ctx["principalTags"] = map[string]any{"team": f.TeamTag}
		}
	}
	return o.eval(f, principal, ctx)
}

func (o *OPA) eval(f *Facts, principal string, ctx map[string]any) (bool, error) {
	input := map[string]any{
		"principal": principal,
		"action":    "vpc-lattice-svcs:Invoke",
		"resource":  f.Resource,
		"context":   ctx,
	}
	rs, err := o.pq.Eval(context.Background(), rego.EvalInput(input))
	if err != nil {
		return false, err
	}
	return rs.Allowed(), nil
}
