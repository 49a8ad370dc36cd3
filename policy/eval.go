package policy

import "fmt"

// Decision is the outcome of evaluating policies. The zero value is
// ImplicitDeny: nothing is allowed unless a policy says so.
type Decision uint8

const (
	// ImplicitDeny means no policy allowed the request (or a policy that must
	// allow it did not).
	ImplicitDeny Decision = iota
	// Allow means the request is allowed.
	Allow
	// ExplicitDeny means a Deny statement applied; nothing can override it.
	ExplicitDeny
)

// String returns "Allow", "ImplicitDeny" or "ExplicitDeny".
func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// MarshalText encodes the decision as its name.
func (d Decision) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// A Request is what policies are evaluated against.
type Request struct {
	// Principal is the caller; the zero value is the anonymous principal.
	Principal Principal
	// Action is the action requested, such as "vpc-lattice-svcs:Invoke".
	Action string
	// Resource is the ARN of the resource acted on.
	Resource string
	// ResourceAccount is the account that owns the resource. A request is
	// same-account when it equals the principal's account.
	ResourceAccount string
	// Context holds the request's condition keys; it may be nil.
	Context *Context
}

// PolicyType names the kinds of policy AWS combines to decide a request.
type PolicyType uint8

const (
	// NoPolicyType is the zero value, used when no policy decided.
	NoPolicyType PolicyType = iota
	IdentityPolicy
	ResourcePolicy
	PermissionsBoundary
	SessionPolicy
	EndpointPolicy
	ServiceControlPolicy
	ResourceControlPolicy
)

var policyTypeNames = [...]string{
	NoPolicyType:          "none",
	IdentityPolicy:        "identity-policy",
	ResourcePolicy:        "resource-policy",
	PermissionsBoundary:   "permissions-boundary",
	SessionPolicy:         "session-policy",
	EndpointPolicy:        "endpoint-policy",
	ServiceControlPolicy:  "service-control-policy",
	ResourceControlPolicy: "resource-control-policy",
}

// String returns the type's name, such as "identity-policy".
func (t PolicyType) String() string {
	if int(t) < len(policyTypeNames) {
		return policyTypeNames[t]
	}
	return fmt.Sprintf("PolicyType(%d)", t)
}

// MarshalText encodes the type as its name.
func (t PolicyType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// A Result is a decision with what made it: the type of policy, the policy
// and the statement. Results are plain values: producing one allocates
// nothing. Explain gives the full account of every statement.
type Result struct {
	Decision Decision
	// Type is the kind of policy that decided: for Allow, the one that
	// granted the request; for a denial, where it was stopped.
	Type PolicyType
	// Policy is the deciding policy; nil when the decision came from a policy
	// that is missing (no identity policy at all, say) or from a default.
	Policy *Policy
	// Statement is the index of the deciding statement in Policy, or -1.
	Statement int
	// Reason says why, when Policy and Statement do not say it all.
	Reason Reason
}

// Reason qualifies a Result.
type Reason uint8

const (
	// ReasonStatement: the statement named in the Result decided.
	ReasonStatement Reason = iota
	// ReasonNoAllow: no statement of the policy type allowed the request.
	ReasonNoAllow
	// ReasonNoPolicy: a policy of the type was required but none exists.
	ReasonNoPolicy
	// ReasonCrossAccount: a cross-account request needs both the identity
	// policy and the resource policy to allow it; one did not.
	ReasonCrossAccount
	// ReasonRootUser: the account's root user is allowed by default.
	ReasonRootUser
	// ReasonNeitherAllows: within one account, neither the identity-based
	// policies nor the resource-based policy allows the request.
	ReasonNeitherAllows
)

// String describes the reason in a few words.
func (r Reason) String() string {
	switch r {
	case ReasonNoAllow:
		return "no statement allows the request"
	case ReasonNoPolicy:
		return "there is no policy of this type"
	case ReasonCrossAccount:
		return "a cross-account request needs an allow from both the identity-based and the resource-based policy"
	case ReasonRootUser:
		return "the root user has full access to its own account"
	case ReasonNeitherAllows:
		return "neither an identity-based policy nor the resource-based policy allows the request"
	}
	return "statement"
}

// StatementInfo returns the deciding statement, if there is one.
func (r Result) StatementInfo() (StatementInfo, bool) {
	if r.Policy == nil || r.Statement < 0 {
		return StatementInfo{}, false
	}
	return r.Policy.Statement(r.Statement), true
}

// String describes the result in one line, for logs and messages.
func (r Result) String() string {
	what := describePolicy(r.Type, r.Policy)
	if si, ok := r.StatementInfo(); ok {
		verb := "allowed"
		if r.Decision == ExplicitDeny {
			verb = "explicitly denied"
		}
		return fmt.Sprintf("%s: %s by %s of %s", r.Decision, verb, si.Label(), what)
	}
	if r.Decision == Allow {
		return fmt.Sprintf("%s: %s (%s)", r.Decision, r.Reason, what)
	}
	return fmt.Sprintf("%s: %s: %s", r.Decision, what, r.Reason)
}

func describePolicy(t PolicyType, p *Policy) string {
	what := "the policy"
	if t != NoPolicyType {
		what = t.String()
	}
	if p != nil && p.Name() != "" {
		what += " " + p.Name()
	}
	return what
}

// outcome is one policy's evaluation, with what the combination rules need.
type outcome struct {
	decision Decision
	stmt     int
	// kinds has bit k set when an applicable Allow statement matched the
	// principal as principalMatch k.
	kinds uint8
}

// Bits for outcome.kinds.
const (
	byAccount  = 1 << matchAccount
	byRole     = 1 << matchRole
	byWildcard = 1 << matchWildcard
	byExact    = 1 << matchExact
)

// allowedBy reports whether an applicable Allow statement matched the
// principal in one of the ways in mask.
func (o outcome) allowedBy(mask uint8) bool { return o.kinds&mask != 0 }

func (p *Policy) eval(r *Request) outcome {
	out := outcome{stmt: -1}
	res := newSplitResource(r.Resource)
	for i := range p.statements {
		s := &p.statements[i]
		pm := s.applies(r, &res)
		if pm == matchNone {
			continue
		}
		if s.effect == EffectDeny {
			return outcome{decision: ExplicitDeny, stmt: i}
		}
		if out.decision != Allow {
			out.decision = Allow
			out.stmt = i
		}
		out.kinds |= 1 << pm
	}
	return out
}

// Evaluate evaluates this one policy: ExplicitDeny if a Deny statement
// applies, else Allow if an Allow statement applies, else ImplicitDeny.
func (p *Policy) Evaluate(r *Request) Result {
	o := p.eval(r)
	res := Result{Decision: o.decision, Policy: p, Statement: o.stmt}
	if o.decision == ImplicitDeny {
		res.Reason = ReasonNoAllow
	}
	return res
}

// A Level is one node of an AWS Organizations hierarchy (the root, an
// organizational unit, or the account) with the control policies attached
// to it. A request passes a level when any of its policies allows it.
type Level struct {
	// Target names the node: "r-ab12", "ou-ab12-cdefgh34" or an account ID.
	Target   string
	Policies []*Policy
}

// A Set is every policy that applies to one request, by type. It combines
// them as AWS's policy evaluation logic documents:
//
//   - an explicit Deny in any policy decides;
//   - every resource control policy level and service control policy level
//     must allow (SCPs apply to IAM principals in the organization, not to
//     service principals or anonymous callers);
//   - every endpoint policy must allow;
//   - within one account, the identity-based or the resource-based policy
//     must allow; across accounts, both must (a resource policy naming the
//     caller's account counts only together with an identity allow);
//   - permissions boundaries must allow, except where a same-account
//     resource policy names the user or session itself;
//   - the session policy must allow, except where a same-account resource
//     policy names the session's own ARN.
//
// Anonymous callers and service principals have no identity-based
// policies: only the resource policy can allow them. The root user of the
// resource's account needs no identity policy.
//
// A Set is read-only during evaluation and may be shared.
type Set struct {
	Identity        []*Policy
	Resource        *Policy
	Boundaries      []*Policy
	Session         *Policy
	Endpoint        []*Policy
	ServiceControl  []Level
	ResourceControl []Level
}

// combined folds a list of policies of one type: any deny denies; allow
// needs (all) or (any) policies to allow.
type combined struct {
	decision Decision
	policy   *Policy
	stmt     int
	present  bool
}

// anyAllows evaluates policies of which one allow is enough (identity
// policies, the policies of one organization level).
func anyAllows(ps []*Policy, r *Request) combined {
	c := combined{stmt: -1, present: len(ps) > 0}
	var firstImplicit *Policy
	for _, p := range ps {
		o := p.eval(r)
		switch o.decision {
		case ExplicitDeny:
			return combined{decision: ExplicitDeny, policy: p, stmt: o.stmt, present: true}
		case Allow:
			if c.decision != Allow {
				c.decision, c.policy, c.stmt = Allow, p, o.stmt
			}
		default:
			if firstImplicit == nil {
				firstImplicit = p
			}
		}
	}
	if c.decision != Allow {
		c.policy = firstImplicit
	}
	return c
}

// allAllow evaluates policies that must each allow (endpoint policies,
// permissions boundaries).
func allAllow(ps []*Policy, r *Request) combined {
	c := combined{decision: Allow, stmt: -1, present: len(ps) > 0}
	for _, p := range ps {
		o := p.eval(r)
		switch o.decision {
		case ExplicitDeny:
			return combined{decision: ExplicitDeny, policy: p, stmt: o.stmt, present: true}
		case ImplicitDeny:
			if c.decision == Allow {
				c.decision, c.policy, c.stmt = ImplicitDeny, p, -1
			}
		}
	}
	return c
}

// levels evaluates an organization hierarchy: every level must allow.
func levels(ls []Level, r *Request) combined {
	c := combined{decision: Allow, stmt: -1, present: len(ls) > 0}
	for i := range ls {
		lc := anyAllows(ls[i].Policies, r)
		switch lc.decision {
		case ExplicitDeny:
			return lc
		case ImplicitDeny:
			if c.decision == Allow {
				c.decision, c.policy, c.stmt = ImplicitDeny, lc.policy, -1
			}
		}
	}
	return c
}

func deny(t PolicyType, c combined) Result {
	return Result{Decision: ExplicitDeny, Type: t, Policy: c.policy, Statement: c.stmt}
}

func implicit(t PolicyType, p *Policy, reason Reason) Result {
	return Result{Decision: ImplicitDeny, Type: t, Policy: p, Statement: -1, Reason: reason}
}

// Evaluate decides the request. It does not allocate.
func (s *Set) Evaluate(r *Request) Result {
	pt := r.Principal.Type
	iamPrincipal := pt != Anonymous && pt != Service && pt != CanonicalUser && pt != WebIdentity
	root := pt == Account
	same := iamPrincipal && r.ResourceAccount != "" && r.ResourceAccount == r.Principal.Account

	// Evaluate every applicable policy once.
	rcp := levels(s.ResourceControl, r)
	var scp, ident, bound combined
	var sess outcome
	hasSession := false
	if iamPrincipal {
		scp = levels(s.ServiceControl, r)
		if !root {
			ident = anyAllows(s.Identity, r)
			bound = allAllow(s.Boundaries, r)
			if s.Session != nil {
				hasSession = true
				sess = s.Session.eval(r)
			}
		}
	}
	endp := allAllow(s.Endpoint, r)
	res := outcome{stmt: -1}
	if s.Resource != nil {
		res = s.Resource.eval(r)
	}

	// 1. An explicit deny anywhere decides.
	switch {
	case rcp.decision == ExplicitDeny:
		return deny(ResourceControlPolicy, rcp)
	case scp.decision == ExplicitDeny:
		return deny(ServiceControlPolicy, scp)
	case endp.decision == ExplicitDeny:
		return deny(EndpointPolicy, endp)
	case res.decision == ExplicitDeny:
		return Result{Decision: ExplicitDeny, Type: ResourcePolicy, Policy: s.Resource, Statement: res.stmt}
	case ident.decision == ExplicitDeny:
		return deny(IdentityPolicy, ident)
	case bound.decision == ExplicitDeny:
		return deny(PermissionsBoundary, bound)
	case hasSession && sess.decision == ExplicitDeny:
		return Result{Decision: ExplicitDeny, Type: SessionPolicy, Policy: s.Session, Statement: sess.stmt}
	}

	// 2. Organization guardrails and endpoint policies must allow.
	if rcp.present && rcp.decision != Allow {
		return implicit(ResourceControlPolicy, rcp.policy, ReasonNoAllow)
	}
	if scp.present && scp.decision != Allow {
		return implicit(ServiceControlPolicy, scp.policy, ReasonNoAllow)
	}
	if endp.present && endp.decision != Allow {
		return implicit(EndpointPolicy, endp.policy, ReasonNoAllow)
	}

	resourceResult := Result{Decision: Allow, Type: ResourcePolicy, Policy: s.Resource, Statement: res.stmt}

	// 3. Callers with no identity-based policies: only the resource policy
	// can allow them.
	if !iamPrincipal {
		if res.decision == Allow {
			return resourceResult
		}
		return implicit(ResourcePolicy, s.Resource, reasonFor(s.Resource))
	}
	if root {
		if same || res.decision == Allow {
			return Result{Decision: Allow, Type: IdentityPolicy, Statement: -1, Reason: ReasonRootUser}
		}
		return implicit(ResourcePolicy, s.Resource, ReasonCrossAccount)
	}

	identityResult := Result{Decision: Allow, Type: IdentityPolicy, Policy: ident.policy, Statement: ident.stmt}
	var granted Result
	if same {
		// A resource policy that names the caller's account delegates to
		// the account's identity policies; alone it does not allow.
		resDirect := res.allowedBy(byExact | byWildcard | byRole)
		switch {
		case ident.decision == Allow:
			granted = identityResult
		case resDirect:
			granted = resourceResult
		case len(s.Identity) == 0 && s.Resource == nil:
			return implicit(IdentityPolicy, nil, ReasonNoPolicy)
		case s.Resource != nil:
			return implicit(IdentityPolicy, ident.policy, ReasonNeitherAllows)
		default:
			return implicit(IdentityPolicy, ident.policy, ReasonNoAllow)
		}
	} else {
		switch {
		case res.decision != Allow:
			return implicit(ResourcePolicy, s.Resource, ReasonCrossAccount)
		case ident.decision != Allow:
			return implicit(IdentityPolicy, ident.policy, ReasonCrossAccount)
		}
		granted = identityResult
	}

	// 4. Permissions boundaries cap identity-based permissions. Within an
	// account, a resource policy that names the user or session itself is
	// not limited by them; one that names the role is.
	if bound.present && bound.decision != Allow {
		if !same || !boundaryBypass(pt, res) {
			return implicit(PermissionsBoundary, bound.policy, ReasonNoAllow)
		}
		granted = resourceResult
	}

	// 5. A session policy caps the session's permissions, except those a
	// same-account resource policy grants to the session's own ARN.
	if hasSession && sess.decision != Allow {
		if !same || !res.allowedBy(byExact) || (pt != AssumedRole && pt != FederatedUser) {
			return implicit(SessionPolicy, s.Session, ReasonNoAllow)
		}
		granted = resourceResult
	}
	return granted
}

func reasonFor(p *Policy) Reason {
	if p == nil {
		return ReasonNoPolicy
	}
	return ReasonNoAllow
}

// boundaryBypass reports whether a same-account resource policy allow
// reaches past an implicit deny in the permissions boundary.
func boundaryBypass(pt PrincipalType, res outcome) bool {
	switch pt {
	case User, AssumedRole, FederatedUser:
		return res.allowedBy(byExact | byWildcard)
	case Role:
		return res.allowedBy(byWildcard)
	}
	return false
}
