package policy

import (
	"fmt"
	"slices"
	"strings"
)

// An Explanation is the full account of a decision: the decision, a
// sentence that says why, and for every policy evaluated, every statement
// with whether it applied and, if not, which element or condition failed.
// Building one allocates; use Set.Evaluate on hot paths and Explain when a
// person asks "why?".
type Explanation struct {
	Decision Decision `json:"decision"`
	// DecidedBy is the policy type that decided.
	DecidedBy PolicyType `json:"decidedBy"`
	// Summary says in one sentence why the decision was made.
	Summary string `json:"summary"`
	// Closest is set for an implicit deny when an Allow statement of the
	// deciding policy type nearly applied.
	Closest  *Closest            `json:"closest,omitempty"`
	Policies []PolicyExplanation `json:"policies"`
}

// A PolicyExplanation is one policy's part in a decision.
type PolicyExplanation struct {
	Type PolicyType `json:"type"`
	Name string     `json:"name,omitempty"`
	// Target is the organization node of a control policy.
	Target string `json:"target,omitempty"`
	// Decision is this policy's own verdict: Allow if an Allow statement
	// applied, ExplicitDeny if a Deny statement did, else ImplicitDeny.
	Decision   Decision               `json:"decision"`
	Statements []StatementExplanation `json:"statements"`
}

// A StatementExplanation says whether one statement applied, and why not.
type StatementExplanation struct {
	Index   int    `json:"index"`
	Sid     string `json:"sid,omitempty"`
	Effect  string `json:"effect"`
	Line    int    `json:"line"`
	Applies bool   `json:"applies"`
	// PrincipalMatch says how a Principal element matched the caller:
	// "exact", "wildcard", "role", "account"; empty without a Principal.
	PrincipalMatch string `json:"principalMatch,omitempty"`
	// Reason says which element or condition did not match, and why.
	Reason string `json:"reason,omitempty"`
	// progress counts the elements that matched before one failed, to find
	// the statement that came closest to applying.
	progress int
}

// A Closest names the Allow statement that came nearest to allowing a
// denied request, and what stopped it: usually the answer to "why was I
// denied?".
type Closest struct {
	Type      PolicyType `json:"type"`
	Name      string     `json:"name,omitempty"`
	Statement int        `json:"statement"`
	Sid       string     `json:"sid,omitempty"`
	Reason    string     `json:"reason"`
}

// Explain evaluates the request like Evaluate and explains the decision.
func (s *Set) Explain(r *Request) *Explanation {
	res := s.Evaluate(r)
	e := &Explanation{Decision: res.Decision, DecidedBy: res.Type}
	e.Summary = summary(res, r)
	add := func(t PolicyType, target string, p *Policy) {
		if p == nil {
			return
		}
		pe := p.Explain(r)
		pe.Type = t
		pe.Target = target
		e.Policies = append(e.Policies, pe)
	}
	for _, l := range s.ResourceControl {
		for _, p := range l.Policies {
			add(ResourceControlPolicy, l.Target, p)
		}
	}
	for _, l := range s.ServiceControl {
		for _, p := range l.Policies {
			add(ServiceControlPolicy, l.Target, p)
		}
	}
	for _, p := range s.Endpoint {
		add(EndpointPolicy, "", p)
	}
	add(ResourcePolicy, "", s.Resource)
	for _, p := range s.Identity {
		add(IdentityPolicy, "", p)
	}
	for _, p := range s.Boundaries {
		add(PermissionsBoundary, "", p)
	}
	add(SessionPolicy, "", s.Session)
	if res.Decision == ImplicitDeny {
		types := []PolicyType{res.Type}
		if res.Reason == ReasonNeitherAllows || res.Reason == ReasonCrossAccount {
			types = []PolicyType{ResourcePolicy, IdentityPolicy}
		}
		e.Closest = closest(e.Policies, types)
	}
	return e
}

// closest finds the Allow statement of the given types that matched the
// most elements before failing.
func closest(ps []PolicyExplanation, types []PolicyType) *Closest {
	var best *Closest
	bestProgress := 0
	for _, p := range ps {
		if !slices.Contains(types, p.Type) {
			continue
		}
		for _, s := range p.Statements {
			if s.Effect != EffectAllow.String() || s.Applies || s.progress <= bestProgress {
				continue
			}
			best = &Closest{Type: p.Type, Name: p.Name, Statement: s.Index, Sid: s.Sid, Reason: s.Reason}
			bestProgress = s.progress
		}
	}
	return best
}

func summary(res Result, r *Request) string {
	who := r.Principal.String()
	switch res.Decision {
	case ExplicitDeny:
		return fmt.Sprintf("%s is explicitly denied %s by %s", who, r.Action, describe(res))
	case Allow:
		if res.Reason == ReasonRootUser {
			return fmt.Sprintf("%s is allowed %s: %s", who, r.Action, res.Reason)
		}
		return fmt.Sprintf("%s is allowed %s by %s", who, r.Action, describe(res))
	}
	switch res.Reason {
	case ReasonNoPolicy:
		return fmt.Sprintf("%s is implicitly denied %s: there is no %s that could allow it", who, r.Action, res.Type)
	case ReasonNeitherAllows:
		return fmt.Sprintf("%s is implicitly denied %s: %s", who, r.Action, res.Reason)
	case ReasonCrossAccount:
		return fmt.Sprintf("%s is implicitly denied %s: the request crosses accounts (%s to %s) and the %s does not allow it; %s", who, r.Action, r.Principal.Account, r.ResourceAccount, res.Type, res.Reason)
	}
	if res.Policy != nil && res.Policy.Name() != "" {
		return fmt.Sprintf("%s is implicitly denied %s: no statement of %s %s allows it", who, r.Action, res.Type, res.Policy.Name())
	}
	return fmt.Sprintf("%s is implicitly denied %s: no statement of the %s allows it", who, r.Action, res.Type)
}

func describe(res Result) string {
	what := describePolicy(res.Type, res.Policy)
	if si, ok := res.StatementInfo(); ok {
		return si.Label() + " of " + what
	}
	return what
}

// Explain evaluates this one policy and explains every statement.
func (p *Policy) Explain(r *Request) PolicyExplanation {
	pe := PolicyExplanation{Name: p.Name(), Decision: p.eval(r).decision}
	for i := range p.statements {
		pe.Statements = append(pe.Statements, p.statements[i].explain(r))
	}
	return pe
}

func (s *statement) explain(r *Request) StatementExplanation {
	se := StatementExplanation{Index: s.index, Sid: s.sid, Effect: s.effect.String(), Line: s.line}
	if !s.matchAction(r.Action) {
		if s.notAction {
			se.Reason = fmt.Sprintf("NotAction excludes %s (%s)", r.Action, listActions(s.actions))
		} else {
			se.Reason = fmt.Sprintf("Action does not match %s (the statement has %s)", r.Action, listActions(s.actions))
		}
		return se
	}
	se.progress++
	pm := s.matchPrincipal(&r.Principal)
	if s.principal != nil && !s.notPrincipal {
		se.PrincipalMatch = pm.String()
	}
	if pm == matchNone {
		if s.notPrincipal {
			se.Reason = fmt.Sprintf("NotPrincipal exempts %s", r.Principal)
		} else {
			se.Reason = fmt.Sprintf("Principal does not match %s", r.Principal)
		}
		return se
	}
	se.progress++
	res := newSplitResource(r.Resource)
	if !s.matchResource(&res, r.Context) {
		se.Reason = s.explainResource(r)
		return se
	}
	for i := range s.conditions {
		se.progress++
		cd := &s.conditions[i]
		if !cd.eval(r.Context) {
			se.Reason = cd.explain(r.Context)
			return se
		}
	}
	se.Applies = true
	return se
}

func listActions(as []actionPattern) string {
	names := make([]string, len(as))
	for i := range as {
		names[i] = as[i].raw
	}
	return strings.Join(names, ", ")
}

func (s *statement) explainResource(r *Request) string {
	res := newSplitResource(r.Resource)
	var names []string
	for i := range s.resources {
		rp := &s.resources[i]
		if _, ok := rp.match(&res, r.Context); !ok {
			return fmt.Sprintf("resource %s uses a policy variable the request has no value for, so it matches nothing", rp.raw)
		}
		names = append(names, rp.resolved(r.Context))
	}
	if s.notResource {
		return fmt.Sprintf("NotResource excludes %s (%s)", r.Resource, strings.Join(names, ", "))
	}
	return fmt.Sprintf("Resource does not match %s (the statement has %s)", r.Resource, strings.Join(names, ", "))
}

func (rp *resourcePattern) resolved(ctx *Context) string {
	if rp.any {
		return "*"
	}
	var b strings.Builder
	b.WriteString("arn")
	for i := range rp.parts {
		b.WriteByte(':')
		b.WriteString(rp.parts[i].resolved(ctx))
	}
	b.WriteByte(':')
	b.WriteString(rp.rest.resolved(ctx))
	return b.String()
}

// explain says why the condition failed.
func (cd *condition) explain(ctx *Context) string {
	head := fmt.Sprintf("Condition %s %s (line %d of the policy)", cd.opName, cd.key, cd.line)
	e := ctx.lookup(cd.key)
	want := cd.wantList(ctx)
	if cd.op.family == famNull {
		if e == nil {
			return head + ": the request has no " + cd.key + " and the condition requires it"
		}
		return head + ": the request has " + cd.key + " and the condition requires it to be absent"
	}
	if e == nil {
		if cd.set == setForAnyValue {
			return head + ": the request has no " + cd.key + "; ForAnyValue needs at least one value"
		}
		return head + ": the request has no " + cd.key + "; a missing key fails a condition unless the operator is negated or ends in IfExists"
	}
	vals := e.values()
	if cd.set == setNone && e.multi {
		return fmt.Sprintf("%s: %s is multivalued in the request (%s); a condition on it needs ForAnyValue: or ForAllValues:", head, cd.key, quoteList(vals))
	}
	for _, v := range vals {
		if _, ok := parseRequestValue(cd.op.family, v); !ok {
			return fmt.Sprintf("%s: the request's %s %q is not a valid %s", head, cd.key, v, cd.op.family)
		}
	}
	for i := range cd.values {
		if cd.values[i].unresolvable(ctx) {
			return fmt.Sprintf("%s: policy value %q uses a variable the request has no value for", head, cd.values[i].raw)
		}
	}
	switch {
	case cd.set == setForAllValues:
		return fmt.Sprintf("%s: not every request value (%s) satisfies %s %s", head, quoteList(vals), cd.op.name, want)
	case cd.set == setForAnyValue:
		return fmt.Sprintf("%s: no request value (%s) satisfies %s %s", head, quoteList(vals), cd.op.name, want)
	case cd.op.negated:
		return fmt.Sprintf("%s: the request has %q, which is one of the excluded values %s", head, vals[0], want)
	}
	return fmt.Sprintf("%s: the request has %q; the condition requires %s", head, vals[0], want)
}

func (cd *condition) wantList(ctx *Context) string {
	out := make([]string, len(cd.values))
	for i := range cd.values {
		v := &cd.values[i]
		switch cd.op.family {
		case famString, famBinary, famBool:
			out[i] = fmt.Sprintf("%q", v.pat.resolved(ctx))
		default:
			out[i] = fmt.Sprintf("%q", v.raw)
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	return "one of [" + strings.Join(out, ", ") + "]"
}

func (cv *condValue) unresolvable(ctx *Context) bool {
	check := func(p *pattern) bool {
		return p.nvars > 0 && !p.resolve(ctx, make([]string, p.nvars))
	}
	if check(&cv.pat) {
		return true
	}
	for i := range cv.arn {
		if check(&cv.arn[i]) {
			return true
		}
	}
	return false
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
