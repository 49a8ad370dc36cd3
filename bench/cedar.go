package bench

import (
	"fmt"
	"net/netip"

	"github.com/cedar-policy/cedar-go"
)

// The Cedar entity types the examples use.
const (
	cedarRole      cedar.EntityType = "AWS::IAM::Role"
	cedarAnonymous cedar.EntityType = "AWS::Anonymous"
	cedarService   cedar.EntityType = "AWS::VPCLattice::Service"
	cedarPath      cedar.EntityType = "AWS::VPCLattice::ServicePath"
)

var cedarInvoke = cedar.NewEntityUID("Action", "Invoke")

// Cedar decides with cedar-go.
type Cedar struct {
	ps *cedar.PolicySet
}

// NewCedar parses a Cedar policy set.
func NewCedar(src string) (*Cedar, error) {
	ps, err := cedar.NewPolicySetFromBytes("example.cedar", []byte(src))
	if err != nil {
		return nil, err
	}
	return &Cedar{ps: ps}, nil
}

// Decide builds the request the way a gateway would for each call: the
// principal (the role for a role session, or the anonymous entity), the
// resource (an entity for the request's path, whose parent is the service
// it was routed to, in a one-entity EntityMap), and a context record with the
// same facts trellis gets as condition keys (four with Facts.Lean); then it
// authorises.
func (c *Cedar) Decide(f *Facts) (bool, error) {
	principal := cedar.NewEntityUID(cedarAnonymous, "anonymous")
	if !f.Anonymous() {
		principal = cedar.NewEntityUID(cedarRole, cedar.String(f.PrincipalARN))
	}
	var ctx cedar.RecordMap
	if f.Lean {
		ctx = cedar.RecordMap{
			"principalType": cedar.String(f.PrincipalType),
			"requestMethod": cedar.String(f.Method),
			"sourceVpc":     cedar.String(f.SourceVPC),
		}
		if f.PrincipalOrgID != "" {
			ctx["principalOrgID"] = cedar.String(f.PrincipalOrgID)
		}
		return c.authorize(f, principal, ctx)
	}
	ctx = cedar.RecordMap{
		"principalType":   cedar.String(f.PrincipalType),
		"sourceIp":        cedar.IPAddr(netip.PrefixFrom(f.SourceAddr, f.SourceAddr.BitLen())),
		"secureTransport": cedar.Boolean(f.SecureTransport),
		"requestMethod":   cedar.String(f.Method),
		"port":            cedar.Long(f.Port),
		"sourceVpc":       cedar.String(f.SourceVPC),
		"serviceArn":      cedar.String(f.ServiceARN),
	}
	if !f.Anonymous() {
		if f.PrincipalOrgID != "" {
			ctx["principalOrgID"] = cedar.String(f.PrincipalOrgID)
		}
		ctx["principalArn"] = cedar.String(f.PrincipalARN)
		ctx["principalAccount"] = cedar.String(f.PrincipalAccount)
		if f.TeamTag != "" {
			ctx["principalTags"] = cedar.NewRecord(cedar.RecordMap{"team": cedar.String(f.TeamTag)})
		}
	}
	return c.authorize(f, principal, ctx)
}

func (c *Cedar) authorize(f *Facts, principal cedar.EntityUID, ctx cedar.RecordMap) (bool, error) {
	resource := cedar.NewEntityUID(cedarPath, cedar.String(f.Resource))
	entities := cedar.EntityMap{
		resource: {UID: resource, Parents: cedar.NewEntityUIDSet(cedar.NewEntityUID(cedarService, cedar.String(f.ServiceARN)))},
	}
	req := cedar.Request{
		Principal: principal,
		Action:    cedarInvoke,
		Resource:  resource,
		Context:   cedar.NewRecord(ctx),
	}
	d, diag := cedar.Authorize(c.ps, entities, req)
	if len(diag.Errors) > 0 {
		return false, fmt.Errorf("cedar: %v", diag.Errors)
	}
	return d == cedar.Allow, nil
}
