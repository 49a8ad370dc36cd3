package policy

import (
	"fmt"
	"slices"
	"strings"
)

// statement is one compiled statement.
type statement struct {
	index        int
	sid          string
	effect       Effect
	line         int
	principal    *principalSet // nil when the statement has neither element
	notPrincipal bool
	actions      []actionPattern
	notAction    bool
	resources    []resourcePattern
	notResource  bool
	hasResource  bool
	conditions   []condition
}

type actionPattern struct {
	raw string
	any bool
	pat pattern
}

// matchAction reports whether the statement's Action (or NotAction) element
// applies to action. Action names compare without case.
func (s *statement) matchAction(action string) bool {
	hit := false
	for i := range s.actions {
		a := &s.actions[i]
		if a.any {
			hit = true
			break
		}
		if m, _ := a.pat.match(action, true, nil); m {
			hit = true
			break
		}
	}
	return hit != s.notAction
}

// resourcePattern is a Resource entry: "*", or an ARN pattern matched part by
// part. The first four parts (partition, service, region, account) compare
// without case and a wildcard in them never crosses a colon; the resource
// part compares with case.
type resourcePattern struct {
	raw    string
	any    bool
	parts  [4]pattern
	rest   pattern
	varErr string
}

func compileResource(r string, vars bool) (resourcePattern, string) {
	rp := resourcePattern{raw: r}
	parts, ok := splitARNPattern(r)
	if !ok {
		return rp, fmt.Sprintf("resource %q is not an ARN; write arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, or \"*\" for all resources", r)
	}
	if parts[1] == "" || parts[2] == "" {
		return rp, fmt.Sprintf("resource %q: the partition and service of an ARN cannot be empty", r)
	}
	if parts[5] == "" {
		return rp, fmt.Sprintf("resource %q: the resource part of the ARN is empty; end it with \"*\" to mean every resource", r)
	}
	for i := range 4 {
		rp.parts[i] = compilePattern(parts[i+1], true, vars)
		if rp.parts[i].hasVarsErr != "" && rp.varErr == "" {
			rp.varErr = rp.parts[i].hasVarsErr
		}
	}
	rp.rest = compilePattern(parts[5], true, vars)
	if rp.rest.hasVarsErr != "" && rp.varErr == "" {
		rp.varErr = rp.rest.hasVarsErr
	}
	return rp, ""
}

// match reports whether resource matches. ok is false when a policy variable
// in the pattern has no value; AWS then treats the entry as matching nothing
// (and, in NotResource, as not applying).
func (rp *resourcePattern) match(res *splitResource, ctx *Context) (matched, ok bool) {
	if rp.any {
		return true, true
	}
	if !res.isARN {
		return false, true
	}
	parts := &res.parts
	for i := range 4 {
		m, ok := rp.parts[i].match(parts[i+1], true, ctx)
		if !ok {
			return false, false
		}
		if !m {
			return false, true
		}
	}
	return rp.rest.match(parts[5], false, ctx)
}

// splitResource is a request's resource split into ARN parts once per
// evaluation.
type splitResource struct {
	parts [6]string
	isARN bool
}

func newSplitResource(resource string) splitResource {
	parts, ok := splitARN(resource)
	return splitResource{parts: parts, isARN: ok}
}

// matchResource reports whether the Resource (or NotResource) element applies.
func (s *statement) matchResource(res *splitResource, ctx *Context) bool {
	if !s.hasResource {
		return true
	}
	hit := false
	for i := range s.resources {
		m, ok := s.resources[i].match(res, ctx)
		if !ok {
			// An entry with an unresolvable variable makes the element
			// not apply, whether it is Resource or NotResource.
			if s.notResource {
				return false
			}
			continue
		}
		if m {
			hit = true
			break
		}
	}
	return hit != s.notResource
}

// principalMatch says how a statement's Principal element matched a caller;
// the policy-combination rules depend on it.
type principalMatch uint8

const (
	matchNone principalMatch = iota
	// matchAccount: the element names the caller's account (ID or :root).
	matchAccount
	// matchRole: the element names the role behind the caller's session, or
	// the IAM user behind a federated-user session.
	matchRole
	// matchWildcard: the element is "*".
	matchWildcard
	// matchExact: the element names the caller's own ARN (or service).
	matchExact
)

func (m principalMatch) String() string {
	switch m {
	case matchAccount:
		return "account"
	case matchRole:
		return "role"
	case matchWildcard:
		return "wildcard"
	case matchExact:
		return "exact"
	}
	return "none"
}

// principalSet is a compiled Principal or NotPrincipal element.
type principalSet struct {
	wildcard  bool
	accounts  []string // 12-digit IDs, from IDs or :root ARNs
	arns      []string // user, role, session and federated-user ARNs, as written
	roles     []accountName
	users     []accountName
	services  []string
	federated []string
	canonical []string
}

type accountName struct{ account, name string }

// add adds one principal of the given kind ("AWS", "Service", ...) and
// returns a message when it is malformed.
func (ps *principalSet) add(kind, s string) string {
	if s == "*" {
		if kind != "AWS" {
			return fmt.Sprintf("a %s principal cannot be \"*\"; use \"Principal\": \"*\" to mean everyone", kind)
		}
		ps.wildcard = true
		return ""
	}
	if strings.ContainsAny(s, "*?") {
		return fmt.Sprintf("principal %q: wildcards are not allowed in principals (only \"*\" alone); match ARNs with a condition such as ArnLike on aws:PrincipalArn", s)
	}
	switch kind {
	case "Service":
		if !isServiceName(s) {
			return fmt.Sprintf("service principal %q is not a service name such as \"lambda.amazonaws.com\"", s)
		}
		ps.services = append(ps.services, s)
	case "Federated":
		ps.federated = append(ps.federated, s)
	case "CanonicalUser":
		if !isCanonicalUserID(s) {
			return fmt.Sprintf("canonical user %q is not a 64-character hexadecimal ID", s)
		}
		ps.canonical = append(ps.canonical, s)
	case "AWS":
		if IsAccountID(s) {
			ps.accounts = append(ps.accounts, s)
			return ""
		}
		if looksLikeUniqueID(s) {
			return ""
		}
		if !strings.HasPrefix(s, "arn:") {
			return fmt.Sprintf("AWS principal %q is not a 12-digit account ID or an ARN", s)
		}
		p, err := parsePrincipalARN(s)
		if err != nil {
			return err.Error()
		}
		switch p.Type {
		case Account:
			ps.accounts = append(ps.accounts, p.Account)
		case Role:
			ps.arns = append(ps.arns, s)
			ps.roles = append(ps.roles, accountName{p.Account, p.Name})
		case User:
			ps.arns = append(ps.arns, s)
			ps.users = append(ps.users, accountName{p.Account, p.Name})
		default:
			ps.arns = append(ps.arns, s)
		}
	}
	return ""
}

// match returns how the element matches the caller.
func (ps *principalSet) match(p *Principal) principalMatch {
	best := matchNone
	if ps.wildcard {
		best = matchWildcard
	}
	switch p.Type {
	case Anonymous:
		return best
	case Service:
		if slices.Contains(ps.services, p.Name) {
			return matchExact
		}
		return best
	case CanonicalUser:
		if slices.Contains(ps.canonical, p.Name) {
			return matchExact
		}
		return best
	case WebIdentity:
		if slices.Contains(ps.federated, p.Name) {
			return matchExact
		}
		return best
	}
	if p.ARN != "" && slices.Contains(ps.arns, p.ARN) {
		return matchExact
	}
	if best >= matchRole {
		return best
	}
	switch p.Type {
	case AssumedRole:
		if slices.Contains(ps.roles, accountName{p.Account, p.Name}) {
			return matchRole
		}
	case FederatedUser:
		if slices.Contains(ps.users, accountName{p.Account, p.Name}) {
			return matchRole
		}
	}
	if slices.Contains(ps.accounts, p.Account) {
		return matchAccount
	}
	return best
}

// excludes reports whether a NotPrincipal element exempts the caller. As the
// IAM User Guide documents, AWS checks each identity of the caller in turn
// (the account, then the role or user, then the session), so the caller is
// exempt only when every one of them is listed.
func (ps *principalSet) excludes(p *Principal) bool {
	if ps.wildcard {
		return true
	}
	switch p.Type {
	case Anonymous:
		return false
	case Service:
		return slices.Contains(ps.services, p.Name)
	case CanonicalUser:
		return slices.Contains(ps.canonical, p.Name)
	case WebIdentity:
		return slices.Contains(ps.federated, p.Name)
	}
	if !slices.Contains(ps.accounts, p.Account) {
		return false
	}
	switch p.Type {
	case Account:
		return true
	case AssumedRole:
		return slices.Contains(ps.roles, accountName{p.Account, p.Name}) && slices.Contains(ps.arns, p.ARN)
	default:
		return slices.Contains(ps.arns, p.ARN)
	}
}

// matchPrincipal reports how the statement's principal element applies to
// the caller. A statement with no principal element (identity-based
// policies) applies to its owner: matchExact.
func (s *statement) matchPrincipal(p *Principal) principalMatch {
	if s.principal == nil {
		return matchExact
	}
	if !s.notPrincipal {
		return s.principal.match(p)
	}
	// AWS documents that Deny with NotPrincipal always applies to a
	// principal with a permissions boundary.
	if s.effect == EffectDeny && p.HasPermissionsBoundary {
		return matchExact
	}
	if s.principal.excludes(p) {
		return matchNone
	}
	return matchExact
}

// matchConditions reports whether every condition holds.
func (s *statement) matchConditions(ctx *Context) bool {
	for i := range s.conditions {
		if !s.conditions[i].eval(ctx) {
			return false
		}
	}
	return true
}

// applies evaluates the statement against a request and returns how its
// principal element matched (matchNone when the statement does not apply).
// Cheap checks come first.
func (s *statement) applies(r *Request, res *splitResource) principalMatch {
	if !s.matchAction(r.Action) {
		return matchNone
	}
	pm := s.matchPrincipal(&r.Principal)
	if pm == matchNone {
		return matchNone
	}
	if !s.matchResource(res, r.Context) {
		return matchNone
	}
	if !s.matchConditions(r.Context) {
		return matchNone
	}
	return pm
}
