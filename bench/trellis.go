package bench

import (
	"github.com/trellisproject/trellis/policy"
)

// Trellis decides with trellis's policy package: the guide's IAM document,
// parsed once, as a resource (auth) policy.
type Trellis struct {
	set policy.Set
	ctx *policy.Context
	req policy.Request
}

// NewTrellis compiles an IAM policy document.
func NewTrellis(doc string) (*Trellis, error) {
	p, err := policy.Parse([]byte(doc), policy.Options{Kind: policy.KindResource})
	if err != nil {
		return nil, err
	}
	return &Trellis{set: policy.Set{Resource: p}, ctx: policy.NewContext(16)}, nil
}

// Decide resets the reused context, sets the request's condition keys (the
// same eleven keys as trellis's own benchmark request, fewer for an anonymous
// caller; four with Facts.Lean), fills in the request and evaluates it.
func (t *Trellis) Decide(f *Facts) (bool, error) {
	c := t.ctx
	c.Reset()
	if f.Lean {
		if f.PrincipalOrgID != "" {
			c.Set("aws:PrincipalOrgID", f.PrincipalOrgID)
		}
		c.Set("aws:PrincipalType", f.PrincipalType)
		c.Set("vpc-lattice-svcs:RequestMethod", f.Method)
		c.Set("vpc-lattice-svcs:SourceVpc", f.SourceVPC)
		return t.evaluate(f)
	}
	if !f.Anonymous() {
		if f.PrincipalOrgID != "" {
			c.Set("aws:PrincipalOrgID", f.PrincipalOrgID)
		}
		c.Set("aws:PrincipalArn", f.PrincipalARN)
		c.Set("aws:PrincipalAccount", f.PrincipalAccount)
		if f.TeamTag != "" {
			c.Set("aws:PrincipalTag/team", f.TeamTag)
		}
	}
	c.Set("aws:PrincipalType", f.PrincipalType)
	c.Set("aws:SourceIp", f.SourceIP)
	c.Set("aws:SecureTransport", boolText(f.SecureTransport))
	c.Set("vpc-lattice-svcs:RequestMethod", f.Method)
	c.Set("vpc-lattice-svcs:Port", f.PortText)
	c.Set("vpc-lattice-svcs:SourceVpc", f.SourceVPC)
	c.Set("vpc-lattice-svcs:ServiceArn", f.ServiceARN)
	return t.evaluate(f)
}

func (t *Trellis) evaluate(f *Facts) (bool, error) {
	t.req = policy.Request{
		Principal:       f.Principal,
		Action:          "vpc-lattice-svcs:Invoke",
		Resource:        f.Resource,
		ResourceAccount: f.ResourceAccount,
		Context:         t.ctx,
	}
	return t.set.Evaluate(&t.req).Decision == policy.Allow, nil
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
