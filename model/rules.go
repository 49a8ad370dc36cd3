package model

import (
	"net/http"
	"strings"
)

// Limits of listener rules from the VPC Lattice API Reference.
const (
	// MinRulePriority and MaxRulePriority bound the priority of a rule
	// (RulePriority: "Minimum value of 1. Maximum value of 2000." in the
	// current API Reference; earlier revisions of the API model said 100).
	MinRulePriority = 1
	MaxRulePriority = 2000
	// MaxTargetGroupsPerAction is the most target groups a forward action
	// may name (WeightedTargetGroupList).
	MaxTargetGroupsPerAction = 10
	// MaxWeight is the largest target group weight (TargetGroupWeight).
	MaxWeight = 999
	// DefaultSingleWeight is the weight of the only target group of a
	// forward action that gives none.
	DefaultSingleWeight = 100
	// MaxHeaderMatches is the most header matches a rule may have
	// (HeaderMatchList).
	MaxHeaderMatches = 5
	// MaxPathMatchLength bounds exact and prefix path matches.
	MaxPathMatchLength = 200
	// MaxHeaderNameLength and MaxHeaderValueLength bound header matches.
	MaxHeaderNameLength  = 100
	MaxHeaderValueLength = 200
	// MaxMethodLength bounds the HTTP method of a match (HttpMethod).
	MaxMethodLength = 16
	// MinStatusCode and MaxStatusCode bound a fixed response
	// (HttpStatusCode).
	MinStatusCode = 100
	MaxStatusCode = 599
	// MaxRuleUpdatesPerBatch is the most rules one BatchUpdateRule call may
	// update (RuleUpdateList).
	MaxRuleUpdatesPerBatch = 5
)

// A RuleAction is what a rule does with the requests it matches: forward
// them to target groups, or answer with a fixed status code. Exactly one
// member is set.
type RuleAction struct {
	Forward       *ForwardAction       `json:"forward,omitempty"`
	FixedResponse *FixedResponseAction `json:"fixedResponse,omitempty"`
}

// A ForwardAction spreads requests over target groups by weight.
type ForwardAction struct {
	TargetGroups []WeightedTargetGroup `json:"targetGroups"`
}

// A WeightedTargetGroup is one target group of a forward action.
type WeightedTargetGroup struct {
	// TargetGroupIdentifier is the ID or ARN of the target group. Stored
	// actions hold the ID.
	TargetGroupIdentifier string `json:"targetGroupIdentifier"`
	// Weight is 0 to 999. It may be omitted only when the action names a
	// single target group, which then gets DefaultSingleWeight.
	Weight *int `json:"weight,omitempty"`
}

// A FixedResponseAction answers requests with a status code.
type FixedResponseAction struct {
	StatusCode *int `json:"statusCode,omitempty"`
}

// Validate checks the action's shape against the API Reference and fills
// in defaults (the weight of a single target group). field is the JSON path
// of the action, used in the field list.
func (a *RuleAction) Validate(field string) error {
	var v Validator
	a.validate(&v, field)
	return v.Err()
}

func (a *RuleAction) validate(v *Validator, field string) {
	switch {
	case a.Forward != nil && a.FixedResponse != nil:
		v.Addf(field, "must have exactly one of forward and fixedResponse, not both")
	case a.Forward != nil:
		f := field + ".forward.targetGroups"
		tgs := a.Forward.TargetGroups
		if len(tgs) < 1 || len(tgs) > MaxTargetGroupsPerAction {
			v.Addf(f, "must list between 1 and %d target groups, got %d", MaxTargetGroupsPerAction, len(tgs))
			return
		}
		seen := make(map[string]bool, len(tgs))
		for i := range tgs {
			w := &tgs[i]
			fi := f + "[" + itoa(i) + "]"
			id, _, ok := ParseIdentifier(TypeTargetGroup, w.TargetGroupIdentifier)
			switch {
			case w.TargetGroupIdentifier == "":
				v.Addf(fi+".targetGroupIdentifier", "is required")
			case !ok:
				v.Addf(fi+".targetGroupIdentifier", "must be the ID or ARN of a target group, got %q", w.TargetGroupIdentifier)
			case seen[id]:
				v.Addf(fi+".targetGroupIdentifier", "target group %s is listed twice", id)
			}
			seen[id] = true
			switch {
			case w.Weight != nil:
				v.IntRange(fi+".weight", *w.Weight, 0, MaxWeight)
			case len(tgs) > 1:
				v.Addf(fi+".weight", "is required when a forward action names more than one target group")
			default:
				d := DefaultSingleWeight
				w.Weight = &d
			}
		}
	case a.FixedResponse != nil:
		if v.Required(field+".fixedResponse.statusCode", a.FixedResponse.StatusCode != nil) {
			v.IntRange(field+".fixedResponse.statusCode", *a.FixedResponse.StatusCode, MinStatusCode, MaxStatusCode)
		}
	default:
		v.Addf(field, "must have exactly one of forward and fixedResponse")
	}
}

// TargetGroupIDs returns the target groups a forward action names, in order;
// nil for a fixed response.
func (a *RuleAction) TargetGroupIDs() []string {
	if a.Forward == nil {
		return nil
	}
	ids := make([]string, 0, len(a.Forward.TargetGroups))
	for _, w := range a.Forward.TargetGroups {
		id, _, _ := ParseIdentifier(TypeTargetGroup, w.TargetGroupIdentifier)
		ids = append(ids, id)
	}
	return ids
}

// A RuleMatch is what a request must satisfy for a rule to apply. Its only
// member is an HTTP match.
type RuleMatch struct {
	HTTPMatch *HTTPMatch `json:"httpMatch,omitempty"`
}

// An HTTPMatch matches a request's method, path and headers; every criterion
// given must match.
type HTTPMatch struct {
	Method        string        `json:"method,omitempty"`
	PathMatch     *PathMatch    `json:"pathMatch,omitempty"`
	HeaderMatches []HeaderMatch `json:"headerMatches,omitempty"`
}

// A PathMatch matches the request path exactly or by prefix.
type PathMatch struct {
	Match PathMatchType `json:"match"`
	// CaseSensitive defaults to true.
	CaseSensitive *bool `json:"caseSensitive,omitempty"`
}

// PathMatchType is an exact or prefix path; exactly one is set.
type PathMatchType struct {
	Exact  *string `json:"exact,omitempty"`
	Prefix *string `json:"prefix,omitempty"`
}

// A HeaderMatch matches one request header.
type HeaderMatch struct {
	Name  string          `json:"name"`
	Match HeaderMatchType `json:"match"`
	// CaseSensitive defaults to false.
	CaseSensitive *bool `json:"caseSensitive,omitempty"`
}

// HeaderMatchType matches a header value exactly, by prefix, or by
// substring; exactly one is set.
type HeaderMatchType struct {
	Exact    *string `json:"exact,omitempty"`
	Prefix   *string `json:"prefix,omitempty"`
	Contains *string `json:"contains,omitempty"`
}

// Validate checks the match's shape against the API Reference. field is the
// JSON path of the match.
func (m *RuleMatch) Validate(field string) error {
	var v Validator
	m.validate(&v, field)
	return v.Err()
}

func (m *RuleMatch) validate(v *Validator, field string) {
	h := m.HTTPMatch
	if h == nil {
		v.Addf(field, "must have an httpMatch")
		return
	}
	field += ".httpMatch"
	if h.Method != "" {
		if len(h.Method) > MaxMethodLength || !isToken(h.Method) {
			v.Addf(field+".method", "must be an HTTP method such as GET, of at most %d characters", MaxMethodLength)
		}
	}
	if p := h.PathMatch; p != nil {
		f := field + ".pathMatch.match"
		switch {
		case p.Match.Exact != nil && p.Match.Prefix != nil:
			v.Addf(f, "must have exactly one of exact and prefix, not both")
		case p.Match.Exact != nil:
			checkPath(v, f+".exact", *p.Match.Exact)
		case p.Match.Prefix != nil:
			checkPath(v, f+".prefix", *p.Match.Prefix)
		default:
			v.Addf(f, "must have exactly one of exact and prefix")
		}
	}
	if h.HeaderMatches != nil {
		f := field + ".headerMatches"
		if len(h.HeaderMatches) < 1 || len(h.HeaderMatches) > MaxHeaderMatches {
			v.Addf(f, "must list between 1 and %d header matches, got %d", MaxHeaderMatches, len(h.HeaderMatches))
		}
		for i, hm := range h.HeaderMatches {
			fi := f + "[" + itoa(i) + "]"
			if hm.Name == "" {
				v.Addf(fi+".name", "is required")
			} else if len(hm.Name) > MaxHeaderNameLength || !isToken(hm.Name) {
				v.Addf(fi+".name", "must be a header name of at most %d characters", MaxHeaderNameLength)
			}
			n := 0
			for _, s := range []*string{hm.Match.Exact, hm.Match.Prefix, hm.Match.Contains} {
				if s != nil {
					n++
					v.Length(fi+".match", *s, 1, MaxHeaderValueLength)
				}
			}
			if n != 1 {
				v.Addf(fi+".match", "must have exactly one of exact, prefix and contains")
			}
		}
	}
}

func checkPath(v *Validator, field, p string) {
	if !v.Length(field, p, 1, MaxPathMatchLength) {
		return
	}
	if p[0] != '/' {
		v.Addf(field, "must start with /")
		return
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("@:%_+.~#?&/=-", c) >= 0 {
			continue
		}
		v.Addf(field, "may contain only letters, digits and @ : %% _ + . ~ # ? & / = -")
		return
	}
}

// isToken reports whether s is an RFC 9110 token (a method or header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// Matches reports whether a request with this method, path and header
// satisfies the match: the method exactly, the path exactly or by prefix
// (case-sensitive unless caseSensitive is false), and every header match
// against some value of its header (case-insensitive unless caseSensitive
// is true; header names never are).
func (m *RuleMatch) Matches(method, path string, header http.Header) bool {
	if m == nil || m.HTTPMatch == nil {
		return true
	}
	h := m.HTTPMatch
	if h.Method != "" && h.Method != method {
		return false
	}
	if p := h.PathMatch; p != nil {
		cs := p.CaseSensitive == nil || *p.CaseSensitive
		switch {
		case p.Match.Exact != nil:
			if !strEq(path, *p.Match.Exact, cs) {
				return false
			}
		case p.Match.Prefix != nil:
			if !hasPrefix(path, *p.Match.Prefix, cs) {
				return false
			}
		}
	}
	for _, hm := range h.HeaderMatches {
		cs := hm.CaseSensitive != nil && *hm.CaseSensitive
		found := false
		for _, val := range header.Values(hm.Name) {
			switch {
			case hm.Match.Exact != nil:
				found = strEq(val, *hm.Match.Exact, cs)
			case hm.Match.Prefix != nil:
				found = hasPrefix(val, *hm.Match.Prefix, cs)
			case hm.Match.Contains != nil:
				if cs {
					found = strings.Contains(val, *hm.Match.Contains)
				} else {
					found = strings.Contains(strings.ToLower(val), strings.ToLower(*hm.Match.Contains))
				}
			}
			if found {
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func strEq(a, b string, cs bool) bool {
	if cs {
		return a == b
	}
	return strings.EqualFold(a, b)
}

func hasPrefix(s, p string, cs bool) bool {
	if len(s) < len(p) {
		return false
	}
	return strEq(s[:len(p)], p, cs)
}
