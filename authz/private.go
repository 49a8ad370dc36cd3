package authz

import (
	"net/netip"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/network"
	"github.com/trellisproject/trellis/policy"
)

// InvokeAction is the action every call to an API Gateway API is
// authorised as.
const InvokeAction = "execute-api:Invoke"

// More layers of DESIGN.md, for calls through interface endpoints.
const (
	LayerRoute          Layer = "route"
	LayerNACL           Layer = "nacl"
	LayerSecurityGroup  Layer = "security-group"
	LayerEndpointPolicy Layer = "endpoint-policy"
	LayerResourcePolicy Layer = "resource-policy"
)

// The condition keys API Gateway sets for a call through an interface
// endpoint.
const (
	KeySourceVpce   = "aws:SourceVpce"
	KeyVpcSourceIP  = "aws:VpcSourceIp"
	KeyAWSSourceVpc = "aws:SourceVpc"
)

// HTTPSPort is the port calls to an interface endpoint are made on.
const HTTPSPort = 443

// PrivateConfig is what a decision on a private API reads: the network and
// the APIs of one configuration snapshot.
type PrivateConfig struct {
	Network *network.Network
	APIs    *model.APIs
}

// A PrivateCall is one call to a private REST API through an interface
// endpoint, as the data plane (or a scanner) saw it. The source and the
// caller come from the connection and the verified signature, never from
// headers a client could forge.
type PrivateCall struct {
	// Caller is the principal whose signature was verified; nil for an
	// unsigned call.
	Caller *identity.Caller
	// BadSignature is true when the call carried a signature that is
	// malformed, wrong or expired.
	BadSignature bool
	// SourceENI is the caller's network interface; when empty, SourceVPC
	// and SourceAddr locate the caller.
	SourceENI  string
	SourceVPC  string
	SourceAddr netip.Addr
	// SourcePort is the client's port, 0 when unknown.
	SourcePort uint16
	// Endpoint is the interface endpoint the call came through.
	Endpoint string
	// APIID, Stage, Method and Path name what is called: Path is the path
	// after the stage, starting with "/".
	APIID, Stage, Method, Path string
}

// Flow returns the network flow of the call: from the caller to the
// endpoint, tcp/443.
func (c *PrivateCall) Flow() network.Flow {
	return network.Flow{
		SourceENI: c.SourceENI, SourceVPC: c.SourceVPC, SourceAddr: c.SourceAddr, SourcePort: c.SourcePort,
		DestEndpoint: c.Endpoint, Protocol: network.TCP, DestPort: HTTPSPort,
	}
}

// NotFound says what a call that was not found was missing.
type NotFound string

// What a call can fail to find.
const (
	NotFoundEndpoint NotFound = "endpoint"
	NotFoundAPI      NotFound = "api"
	NotFoundStage    NotFound = "stage"
	NotFoundMethod   NotFound = "method"
)

// A PrivateDecision is the outcome of a call to a private API, with its
// diagnostic: the layer, and there the network verdict (component and
// explanation code) or the deciding policy statement, or the missing
// allow.
type PrivateDecision struct {
	// Allowed reports whether the call reaches the integration.
	Allowed bool
	// Layer is LayerAllowed, or the layer that stopped the call.
	Layer Layer
	// Network is the verdict of the network path; for a call stopped at
	// a network layer its Code and Component say where and why.
	Network network.Verdict
	// Missing says what was not found, for Layer LayerNotFound.
	Missing NotFound
	// Explicit is true when a Deny statement decided.
	Explicit bool
	// Result is the deciding policy evaluation, for the policy layers and
	// for an allowed call that evaluated policies.
	Result policy.Result
	// Closest is, for a call no statement allowed, the Allow statement that
	// came nearest and what stopped it.
	Closest *policy.Closest
	// Principal is the caller's ARN, or "anonymous" for an unsigned call
	// and for any call to a method with authorization NONE once the
	// endpoint policy has let it through.
	Principal string
	// Resource is the execute-api ARN of the call, once the API is known.
	Resource string
	// API and Method are what the call reached, once found.
	API    *model.RestAPI
	Method *model.Method
	// Params are the path parameters of the matched resource.
	Params []model.PathParam
}

// Statement returns the label of the deciding statement, or "".
func (d *PrivateDecision) Statement() string {
	if si, ok := d.Result.StatementInfo(); ok {
		return si.Label()
	}
	return ""
}

// Message returns the message of API Gateway's error body
// {"message": "..."} for a call stopped after the network, and "" for an
// allowed call or one stopped by the network:
//
//	Forbidden                                  (unknown API or stage, or an API the endpoint may not reach)
//	Missing Authentication Token               (no such resource or method; an unsigned call to an AWS_IAM method)
//	User: anonymous is not authorized to perform: execute-api:Invoke on resource: ARN
//	User: ARN is not authorized to perform: execute-api:Invoke on resource: ARN with an explicit deny
func (d *PrivateDecision) Message() string {
	switch d.Layer {
	case LayerAllowed, LayerRoute, LayerNACL, LayerSecurityGroup:
		return ""
	case LayerNotFound:
		if d.Missing == NotFoundMethod {
			return "Missing Authentication Token"
		}
		return "Forbidden"
	case LayerAuthentication:
		return "Missing Authentication Token"
	case LayerSignature:
		return "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	}
	m := "User: " + d.Principal + " is not authorized to perform: " + InvokeAction + " on resource: " + d.Resource
	if d.Explicit {
		m += " with an explicit deny"
	}
	return m
}

// String describes the decision in one line, for logs and scan results:
//
//	allowed: Statement[0] of resource policy of a1b2c3d4e5 allows
//	security-group: ENI_SG_RULES_MISMATCH at sg-aaaa0004: security group sg-aaaa0004 of eni-aaaa00e1 allows no inbound tcp/443 from 10.199.1.7
//	endpoint-policy: no statement of endpoint policy of vpce-aaaa0001 allows; closest: Statement[0]: ...
//	not-found: method: no GET /nothing in API a1b2c3d4e5
func (d *PrivateDecision) String() string {
	s := string(d.Layer) + ": "
	switch d.Layer {
	case LayerRoute, LayerNACL, LayerSecurityGroup:
		return s + string(d.Network.Code) + " at " + d.Network.Component + ": " + d.Network.Explanation()
	case LayerNotFound:
		if d.Network.Layer == network.LayerNotFound {
			return s + string(d.Network.Code) + ": " + d.Network.Explanation()
		}
		return s + string(d.Missing)
	case LayerSignature:
		return s + "the signature is not valid"
	case LayerAuthentication:
		return s + "the method requires AWS_IAM authorization and the call is not signed"
	}
	r := d.Result
	if r.Policy == nil && d.Result.Type == policy.NoPolicyType {
		return s + "no policy evaluated"
	}
	if r.Reason == policy.ReasonNoPolicy && r.Policy == nil {
		if r.Type == policy.ResourcePolicy {
			return s + "the private API has no resource policy, which denies every call"
		}
		return s + "the caller has no identity-based policy"
	}
	what := r.Type.String()
	if r.Policy == nil && r.Type == policy.IdentityPolicy {
		what = "the caller's identity-based policies (it has none)"
	}
	if r.Policy != nil && r.Policy.Name() != "" {
		what = r.Policy.Name()
	}
	if si, ok := r.StatementInfo(); ok {
		if d.Explicit {
			return s + si.Label() + " of " + what + " denies explicitly"
		}
		return s + si.Label() + " of " + what + " allows"
	}
	s += "no statement of " + what + " allows"
	if r.Reason != policy.ReasonStatement && r.Reason != policy.ReasonNoAllow {
		s += " (" + r.Reason.String() + ")"
	}
	if c := d.Closest; c != nil {
		s += "; closest: " + policy.StatementInfo{Index: c.Statement, Sid: c.Sid}.Label()
		if c.Reason != "" {
			s += ": " + c.Reason
		}
	}
	return s
}

// DecidePrivate decides a call to a private REST API through an interface
// endpoint, evaluating the layers in DESIGN.md's order and stopping at the
// first that blocks:
//
//  1. the network path from the caller to the endpoint, tcp/443 (route,
//     nacl, security-group; not-found for an unknown source or endpoint);
//  2. signature: a signature that is present but bad;
//  3. not-found: an API the endpoint is not associated with, or an unknown
//     stage (API Gateway's 403 Forbidden);
//  4. endpoint-policy: the endpoint's policy, for the caller's principal
//     (anonymous when unsigned), action execute-api:Invoke, on the call's
//     execute-api ARN;
//  5. not-found: no resource and method match (Missing Authentication
//     Token);
//  6. authentication: an unsigned call to an AWS_IAM method;
//  7. resource-policy and identity-policy, combined as API Gateway
//     documents it: for an AWS_IAM method, within one account an allow
//     from the identity-based or the resource policy is enough, across
//     accounts both must allow; an explicit deny wins; a private API
//     without a resource policy denies every call. A method with
//     authorization NONE is not authenticated, so its resource policy is
//     evaluated for the anonymous principal.
//
// It is pure: no I/O, no clock. Create the Authorizer with New.
func (a *Authorizer) DecidePrivate(cfg PrivateConfig, c *PrivateCall) PrivateDecision {
	d := PrivateDecision{Principal: Anonymous}
	if c.Caller != nil {
		d.Principal = c.Caller.ARN()
	}
	if cfg.Network == nil {
		d.Layer, d.Missing = LayerNotFound, NotFoundEndpoint
		return d
	}
	d.Network = cfg.Network.Evaluate(c.Flow())
	if !d.Network.Reachable {
		d.Layer = Layer(d.Network.Layer)
		if d.Network.Code == network.CodeDestinationNotFound {
			d.Missing = NotFoundEndpoint
		}
		return d
	}
	if c.BadSignature {
		d.Layer = LayerSignature
		return d
	}
	ep, _ := cfg.Network.EndpointByID(c.Endpoint)
	api, ok := cfg.APIs.API(c.APIID)
	switch {
	case !ok || !api.AllowsEndpoint(c.Endpoint):
		d.Layer, d.Missing = LayerNotFound, NotFoundAPI
		return d
	case !api.HasStage(c.Stage):
		d.Layer, d.Missing, d.API = LayerNotFound, NotFoundStage, api
		return d
	}
	d.API = api
	d.Resource = api.InvokeARN(c.Stage, c.Method, c.Path)

	sc := a.pool.Get().(*scratch)
	defer a.pool.Put(sc)
	ctx := sc.ctx
	ctx.Reset()
	if c.Caller != nil {
		c.Caller.AddContext(ctx)
	} else {
		identity.AddAnonymousContext(ctx)
	}
	addSourceKeys(ctx, ep, d.Network.Source.Addr)
	req := policy.Request{Action: InvokeAction, Resource: d.Resource, ResourceAccount: api.Account, Context: ctx}
	if c.Caller != nil {
		req.Principal = c.Caller.Principal()
	}

	// The endpoint policy, on its own.
	er := ep.Policy.Evaluate(&req)
	er.Type = policy.EndpointPolicy
	if er.Decision != policy.Allow {
		d.Layer, d.Result, d.Explicit = LayerEndpointPolicy, er, er.Decision == policy.ExplicitDeny
		if !d.Explicit {
			set := policy.Set{Resource: ep.Policy}
			d.Closest = set.Explain(&req).Closest
		}
		return d
	}

	m, params := api.Match(c.Method, c.Path)
	if m == nil {
		d.Layer, d.Missing = LayerNotFound, NotFoundMethod
		return d
	}
	d.Method, d.Params = m, params
	if m.RequiresIAM() && c.Caller == nil {
		d.Layer = LayerAuthentication
		return d
	}

	var set policy.Set
	if m.RequiresIAM() {
		set = c.Caller.PolicySet()
	} else {
		// NONE: API Gateway does not authenticate the call, so the
		// resource policy, and the denial's message, see nobody.
		req.Principal = policy.Principal{}
		d.Principal = Anonymous
		ctx.Reset()
		identity.AddAnonymousContext(ctx)
		addSourceKeys(ctx, ep, d.Network.Source.Addr)
	}
	set.Resource = api.Policy
	var res policy.Result
	if api.Policy == nil {
		res = policy.Result{Decision: policy.ImplicitDeny, Type: policy.ResourcePolicy, Statement: -1, Reason: policy.ReasonNoPolicy}
	} else {
		res = set.Evaluate(&req)
	}
	d.Result = res
	if res.Decision == policy.Allow {
		d.Allowed, d.Layer = true, LayerAllowed
		return d
	}
	d.Explicit = res.Decision == policy.ExplicitDeny
	switch res.Type {
	case policy.ResourcePolicy, policy.ResourceControlPolicy:
		d.Layer = LayerResourcePolicy
	default:
		d.Layer = LayerIdentityPolicy
	}
	if !d.Explicit && api.Policy != nil {
		d.Closest = set.Explain(&req).Closest
	}
	return d
}

// addSourceKeys adds the keys that say where a call came from.
func addSourceKeys(ctx *policy.Context, ep network.Endpoint, src netip.Addr) {
	ctx.Add(KeySourceVpce, ep.ID)
	ctx.Add(KeyAWSSourceVpc, ep.VPC)
	if src.IsValid() {
		ctx.Add(KeyVpcSourceIP, src.Unmap().String())
	}
}
