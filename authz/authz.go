// Package authz is trellis's decision point for VPC Lattice: given the
// configuration, the service a request is for, the service network it
// reached the service through, the authenticated caller (or nobody) and the
// request itself, it builds the request context with the condition keys the
// VPC Lattice guide documents and decides the call over every policy layer
// that applies, as VPC Lattice does:
//
//  1. the caller's identity-based policies (signed callers only; with its
//     permissions boundary, session policy and service control policies);
//  2. the service network's auth policy, when the network's auth type is
//     AWS_IAM;
//  3. the service's auth policy, when the service's auth type is AWS_IAM.
//
// An explicit Deny in any layer wins; otherwise every layer that applies
// must allow. An auth type of AWS_IAM without an auth policy denies every
// call. When neither the service network nor the service uses AWS_IAM no
// policy is evaluated and every call is allowed.
//
// DecidePrivate is the same decision point for API Gateway's private REST
// APIs called through interface endpoints: the network path, the
// signature, the endpoint policy, authentication, and the resource and
// identity policies, in the order of DESIGN.md's layers (see
// docs/private-apis.md).
//
// The package is pure logic: no I/O, and the clock is injected.
package authz

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/policy"
)

// Action is the action every call to a VPC Lattice service is authorised
// as.
const Action = "vpc-lattice-svcs:Invoke"

// A Layer names where a call was stopped (or "allowed"), with the names of
// DESIGN.md.
type Layer string

// The layers, in the order trellis evaluates them. The gateway stops calls
// at LayerNotFound and LayerSignature before authz is consulted;
// LayerAuthentication is for services that require a signature outright
// (API Gateway's AWS_IAM methods), which VPC Lattice does not: unsigned
// calls reach its auth policies as the anonymous principal.
const (
	LayerNotFound             Layer = "not-found"
	LayerSignature            Layer = "signature"
	LayerAuthentication       Layer = "authentication"
	LayerIdentityPolicy       Layer = "identity-policy"
	LayerServiceNetworkPolicy Layer = "service-network-policy"
	LayerServicePolicy        Layer = "service-policy"
	LayerAllowed              Layer = "allowed"
)

// A Request is one call to a VPC Lattice service as the data plane saw it.
// Every field comes from the connection or the configuration, never from
// headers a client could forge, except Method, Path, Header and Query,
// which are the request's own.
type Request struct {
	// Service is the service the Host header resolved to.
	Service *model.Service
	// ServiceNetwork is the service network through which the caller's VPC
	// reaches Service.
	ServiceNetwork *model.ServiceNetwork
	// Caller is the principal that signed the request; nil for an unsigned
	// (anonymous) request.
	Caller *identity.Caller
	// Method is the HTTP method.
	Method string
	// Path is the request path, starting with "/". For gRPC it is
	// "/package.Service/Method", which makes the resource
	// SERVICE_ARN/package.Service/Method as VPC Lattice documents.
	Path string
	// Port is the port of the service's listener the request reached.
	Port int
	// Header holds the request headers; each becomes
	// vpc-lattice-svcs:RequestHeader/NAME with NAME in lower case.
	Header http.Header
	// Query holds the query parameters; each becomes
	// vpc-lattice-svcs:RequestQueryString/KEY.
	Query url.Values
	// SourceIP is the caller's address in its VPC.
	SourceIP netip.Addr
	// SourceVPC is the ID of the caller's VPC and SourceVPCOwner the account
	// that owns it.
	SourceVPC, SourceVPCOwner string
	// TLS reports whether the request arrived over TLS.
	TLS bool
}

// A Decision is the outcome of authorising one call.
type Decision struct {
	// Allowed reports whether the call may proceed.
	Allowed bool
	// Layer is LayerAllowed, or the layer that denied the call.
	Layer Layer
	// Explicit is true when a Deny statement denied the call.
	Explicit bool
	// Decider is the layer whose evaluation Result is: the same as Layer
	// for a denied call, the innermost layer evaluated for an allowed one,
	// and "" when no layer uses AWS_IAM.
	Decider Layer
	// Result is what the deciding layer's evaluation returned: the policy
	// and statement that denied the call, or for an allowed call the
	// statement of the innermost layer that allowed it. Its Policy is nil
	// when the layer has no policy (AWS_IAM without an auth policy) or when
	// no policy was evaluated (auth type NONE on both layers).
	Result policy.Result
	// Closest is, for a call no statement allowed, the Allow statement of
	// the deciding layer that came nearest to allowing it and what stopped
	// it; nil otherwise.
	Closest *policy.Closest
	// Principal is the caller's ARN, or "anonymous".
	Principal string
	// Resource is the resource the call was authorised on:
	// SERVICE_ARN/PATH.
	Resource string
}

// Anonymous is how messages name an unsigned caller.
const Anonymous = "anonymous"

// Statement returns the label of the deciding statement, such as
// `Statement[0] (Sid "AllowGet")`, or "" when no statement decided.
func (d Decision) Statement() string {
	if si, ok := d.Result.StatementInfo(); ok {
		return si.Label()
	}
	return ""
}

// kindOf names a layer's policies in VPC Lattice's messages.
func (l Layer) kindOf() string {
	switch l {
	case LayerServiceNetworkPolicy:
		return "network-based"
	case LayerServicePolicy:
		return "service-based"
	}
	return "identity-based"
}

// AuthDeniedReason returns the authDeniedReason of VPC Lattice's access
// log: "Network", "Service" or "Identity"; "" for an allowed call.
func (d Decision) AuthDeniedReason() string {
	switch {
	case d.Allowed:
		return ""
	case d.Layer == LayerServiceNetworkPolicy:
		return "Network"
	case d.Layer == LayerServicePolicy:
		return "Service"
	}
	return "Identity"
}

// Message returns the AccessDeniedException message of a denied call, in
// VPC Lattice's words, and "" for an allowed call:
//
//	User: PRINCIPAL is not authorized to perform: vpc-lattice-svcs:Invoke on resource: ARN because no service-based policy allows the vpc-lattice-svcs:Invoke action
//	User: PRINCIPAL is not authorized to perform: vpc-lattice-svcs:Invoke on resource: ARN with an explicit deny in a service-based policy
func (d Decision) Message() string {
	if d.Allowed {
		return ""
	}
	var b strings.Builder
	b.WriteString("User: ")
	b.WriteString(d.Principal)
	b.WriteString(" is not authorized to perform: " + Action + " on resource: ")
	b.WriteString(d.Resource)
	if d.Explicit {
		kind := d.Layer.kindOf()
		if strings.HasPrefix(kind, "identity") {
			b.WriteString(" with an explicit deny in an ")
		} else {
			b.WriteString(" with an explicit deny in a ")
		}
		b.WriteString(kind)
		b.WriteString(" policy")
	} else {
		b.WriteString(" because no ")
		b.WriteString(d.Layer.kindOf())
		b.WriteString(" policy allows the " + Action + " action")
	}
	return b.String()
}

// String describes the decision in one line, for logs and the access
// log's trellisDecision: the layer, then what decided there, such as
//
//	allowed: Statement[0] (Sid "All") of auth policy of svc-0123456789abcdefg allows
//	service-policy: Statement[1] (Sid "NoPrivate") of auth policy of svc-0123456789abcdefg denies explicitly
//	service-network-policy: no statement of auth policy of sn-0123456789abcdefg allows; closest: Statement[0] (Sid "Org"): Condition ...
//	identity-policy: the caller has no identity-based policy
//	service-network-policy: AWS_IAM with no auth policy
//	allowed: no layer uses AWS_IAM
func (d Decision) String() string {
	r := d.Result
	what := "the auth policy"
	switch {
	case d.Decider == LayerIdentityPolicy:
		what = r.Type.String()
		if r.Policy != nil && r.Policy.Name() != "" {
			what += " " + r.Policy.Name()
		}
	case r.Policy != nil && r.Policy.Name() != "":
		what = r.Policy.Name()
	}
	s := string(d.Layer) + ": "
	switch {
	case d.Decider == "":
		return s + "no layer uses AWS_IAM"
	case r.Reason == policy.ReasonRootUser:
		return s + r.Reason.String()
	case r.Decision == policy.ImplicitDeny && r.Reason == policy.ReasonNoPolicy && d.Decider == LayerIdentityPolicy:
		return s + "the caller has no identity-based policy"
	case r.Decision == policy.ImplicitDeny && r.Reason == policy.ReasonNoPolicy:
		return s + "AWS_IAM with no auth policy"
	}
	if si, ok := r.StatementInfo(); ok {
		s += si.Label() + " of " + what
		if d.Explicit {
			return s + " denies explicitly"
		}
		return s + " allows"
	}
	s += "no statement of " + what + " allows"
	if c := d.Closest; c != nil {
		s += "; closest: " + policy.StatementInfo{Index: c.Statement, Sid: c.Sid}.Label()
		if c.Reason != "" {
			s += ": " + c.Reason
		}
	}
	return s
}

// An Authorizer decides calls. It is safe for concurrent use; its zero
// value uses no clock, so create one with New.
type Authorizer struct {
	clock func() time.Time
	pool  sync.Pool
}

// New returns an Authorizer that reads the time (for aws:CurrentTime and
// aws:EpochTime) from clock.
func New(clock func() time.Time) *Authorizer {
	a := &Authorizer{clock: clock}
	a.pool.New = func() any { return newScratch() }
	return a
}

// layerResult is one layer's verdict.
type layerResult struct {
	layer Layer
	res   policy.Result
}

// Decide authorises r against the auth policies of snap. It allocates
// little: the request context and its key names are built in reused
// storage, and one string holds every name it had to compose.
func (a *Authorizer) Decide(snap *model.Snapshot, r *Request) Decision {
	d := Decision{Principal: Anonymous}
	if r.Caller != nil {
		d.Principal = r.Caller.ARN()
	}
	snType, snPolicy := snap.Auth(r.ServiceNetwork.ID)
	svcType, svcPolicy := snap.Auth(r.Service.ID)
	if snType != model.AuthIAM && svcType != model.AuthIAM {
		d.Allowed, d.Layer = true, LayerAllowed
		d.Resource = r.Service.ARN + r.Path
		return d
	}

	sc := a.pool.Get().(*scratch)
	defer a.pool.Put(sc)
	d.Resource = sc.build(r, a.clock())
	req := policy.Request{Action: Action, Resource: d.Resource, ResourceAccount: r.Service.Account, Context: sc.ctx}

	var layers [3]layerResult
	n := 0
	if r.Caller != nil {
		req.Principal = r.Caller.Principal()
		set := r.Caller.PolicySet()
		// Identity-based policies are evaluated on their own: the auth
		// policies below are not resource policies that could stand in
		// for them.
		ir := req
		ir.ResourceAccount = r.Caller.Account()
		layers[n] = layerResult{LayerIdentityPolicy, set.Evaluate(&ir)}
		n++
	}
	if snType == model.AuthIAM {
		layers[n] = layerResult{LayerServiceNetworkPolicy, evalAuth(snPolicy, &req)}
		n++
	}
	if svcType == model.AuthIAM {
		layers[n] = layerResult{LayerServicePolicy, evalAuth(svcPolicy, &req)}
		n++
	}
	for _, l := range layers[:n] {
		if l.res.Decision == policy.ExplicitDeny {
			d.Layer, d.Decider, d.Explicit, d.Result = l.layer, l.layer, true, l.res
			return d
		}
	}
	for _, l := range layers[:n] {
		if l.res.Decision != policy.Allow {
			d.Layer, d.Decider, d.Result = l.layer, l.layer, l.res
			d.Closest = closest(r, l, &req, snPolicy, svcPolicy)
			return d
		}
	}
	d.Allowed, d.Layer, d.Decider, d.Result = true, LayerAllowed, layers[n-1].layer, layers[n-1].res
	return d
}

// closest explains an implicit denial by layer l: the nearest Allow
// statement of its policies. Only denials pay for it.
func closest(r *Request, l layerResult, req *policy.Request, snPolicy, svcPolicy *policy.Policy) *policy.Closest {
	var set policy.Set
	switch l.layer {
	case LayerIdentityPolicy:
		set = r.Caller.PolicySet()
		ir := *req
		ir.ResourceAccount = r.Caller.Account()
		return set.Explain(&ir).Closest
	case LayerServiceNetworkPolicy:
		set.Resource = snPolicy
	default:
		set.Resource = svcPolicy
	}
	if set.Resource == nil {
		return nil
	}
	return set.Explain(req).Closest
}

// evalAuth evaluates one auth policy; a missing one (or one that no longer
// compiles) allows nothing.
func evalAuth(p *policy.Policy, r *policy.Request) policy.Result {
	if p == nil {
		return policy.Result{Decision: policy.ImplicitDeny, Type: policy.ResourcePolicy, Statement: -1, Reason: policy.ReasonNoPolicy}
	}
	res := p.Evaluate(r)
	res.Type = policy.ResourcePolicy
	return res
}
