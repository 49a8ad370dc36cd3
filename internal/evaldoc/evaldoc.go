// Package evaldoc reads the evaluation document of `trellis policy eval`:
// a JSON object holding the policies that apply to one request and the
// request itself, evaluated with AWS's policy evaluation logic. The format
// is documented in docs/policy-eval.md.
package evaldoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/trellisproject/trellis/policy"
)

// Document is an evaluation document as decoded from JSON.
type Document struct {
	IdentityPolicies        []json.RawMessage `json:"identityPolicies"`
	ResourcePolicy          json.RawMessage   `json:"resourcePolicy"`
	EndpointPolicies        []json.RawMessage `json:"endpointPolicies"`
	SessionPolicy           json.RawMessage   `json:"sessionPolicy"`
	PermissionsBoundaries   []json.RawMessage `json:"permissionsBoundaries"`
	ServiceControlPolicies  []json.RawMessage `json:"serviceControlPolicies"`
	ResourceControlPolicies []json.RawMessage `json:"resourceControlPolicies"`
	Request                 *RequestDoc       `json:"request"`
	// Description says what the case shows; it is not evaluated.
	Description string `json:"description,omitempty"`
	// Expect, when set, is the decision the author expects: "Allow",
	// "ImplicitDeny", "ExplicitDeny", or "Deny" for either denial.
	Expect string `json:"expect,omitempty"`
}

// RequestDoc is the "request" member of a Document.
type RequestDoc struct {
	// Principal is an ARN, an account ID, a service principal name, or
	// "anonymous".
	Principal       string                     `json:"principal"`
	Action          string                     `json:"action"`
	Resource        string                     `json:"resource"`
	ResourceAccount string                     `json:"resourceAccount"`
	Context         map[string]json.RawMessage `json:"context"`
}

// Output is the result of evaluating a Document, as `trellis policy eval
// --output json` prints it.
type Output struct {
	Decision    policy.Decision     `json:"decision"`
	Explanation *policy.Explanation `json:"explanation"`
	// Warnings are the validation warnings of the policies, each prefixed
	// with where the policy is in the document.
	Warnings []string `json:"warnings,omitempty"`
	// Expected echoes the document's expect member; AsExpected says
	// whether the decision met it. Both are absent without one.
	Expected   string `json:"expected,omitempty"`
	AsExpected *bool  `json:"asExpected,omitempty"`
}

// Evaluate decodes one evaluation document and evaluates it.
func Evaluate(doc []byte) (Output, error) {
	set, req, d, warnings, err := decode(doc)
	if err != nil {
		return Output{}, err
	}
	e := set.Explain(req)
	out := Output{Decision: e.Decision, Explanation: e, Warnings: warnings}
	if d.Expect != "" {
		ok := d.Expect == e.Decision.String() || (d.Expect == "Deny" && e.Decision != policy.Allow)
		out.Expected, out.AsExpected = d.Expect, &ok
	}
	return out, nil
}

// Decode decodes an evaluation document into the policy set and request it
// describes, with the policies' validation warnings.
func Decode(doc []byte) (*policy.Set, *policy.Request, []string, error) {
	set, req, _, warnings, err := decode(doc)
	return set, req, warnings, err
}

func decode(doc []byte) (*policy.Set, *policy.Request, *Document, []string, error) {
	var d Document
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("evaluation document: %w", describeJSONError(err))
	}
	if dec.More() {
		return nil, nil, nil, nil, errors.New("evaluation document: unexpected data after the JSON object")
	}
	switch d.Expect {
	case "", "Allow", "ImplicitDeny", "ExplicitDeny", "Deny":
	default:
		return nil, nil, nil, nil, fmt.Errorf("expect %q must be Allow, ImplicitDeny, ExplicitDeny or Deny", d.Expect)
	}
	b := &builder{}
	set := &policy.Set{
		Identity:   b.list(d.IdentityPolicies, "identityPolicies", policy.KindIdentity, 0),
		Boundaries: b.list(d.PermissionsBoundaries, "permissionsBoundaries", policy.KindIdentity, 0),
		Endpoint:   b.list(d.EndpointPolicies, "endpointPolicies", policy.KindResource, policy.EndpointPolicyMaxChars),
	}
	set.Resource = b.one(d.ResourcePolicy, "resourcePolicy", policy.KindResource, 0)
	set.Session = b.one(d.SessionPolicy, "sessionPolicy", policy.KindIdentity, 0)
	set.ServiceControl = b.levels(d.ServiceControlPolicies, "serviceControlPolicies", policy.KindServiceControl)
	set.ResourceControl = b.levels(d.ResourceControlPolicies, "resourceControlPolicies", policy.KindResource)
	if len(b.errs) > 0 {
		return nil, nil, nil, nil, errors.Join(b.errs...)
	}
	req, err := request(d.Request, len(set.Boundaries) > 0)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return set, req, &d, b.warnings, nil
}

func describeJSONError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, err)
	case errors.As(err, &te):
		return fmt.Errorf("%s must be %s, not a JSON %s", te.Field, jsonTypeName(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.EOF):
		return errors.New("the document is empty")
	}
	return err
}

func jsonTypeName(kind string) string {
	switch kind {
	case "slice":
		return "a list"
	case "struct", "map", "ptr":
		return "an object"
	case "string":
		return "a string"
	}
	return kind
}

type builder struct {
	errs     []error
	warnings []string
}

func (b *builder) parse(raw json.RawMessage, where string, kind policy.Kind, maxChars int) *policy.Policy {
	if isNull(raw) {
		return nil
	}
	p, err := policy.Parse(raw, policy.Options{Kind: kind, Name: where, MaxChars: maxChars})
	if err != nil {
		var ve *policy.ValidationError
		if errors.As(err, &ve) {
			for _, d := range ve.Errors() {
				b.errs = append(b.errs, fmt.Errorf("%s: %s", where, d))
			}
			return nil
		}
		b.errs = append(b.errs, fmt.Errorf("%s: %w", where, err))
		return nil
	}
	for _, w := range p.Warnings() {
		b.warnings = append(b.warnings, where+": "+w.String())
	}
	return p
}

func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

func (b *builder) one(raw json.RawMessage, where string, kind policy.Kind, maxChars int) *policy.Policy {
	return b.parse(raw, where, kind, maxChars)
}

func (b *builder) list(raws []json.RawMessage, where string, kind policy.Kind, maxChars int) []*policy.Policy {
	var out []*policy.Policy
	for i, raw := range raws {
		if p := b.parse(raw, fmt.Sprintf("%s[%d]", where, i), kind, maxChars); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// levels reads organization policies: a list of {"target", "policies"}
// levels, root first; plain policy documents in the list together form one
// level (the policies attached to the account).
func (b *builder) levels(raws []json.RawMessage, where string, kind policy.Kind) []policy.Level {
	var out []policy.Level
	var plain []*policy.Policy
	for i, raw := range raws {
		ewhere := fmt.Sprintf("%s[%d]", where, i)
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(raw, &probe); err != nil {
			b.errs = append(b.errs, fmt.Errorf("%s must be a policy document or a {\"target\", \"policies\"} level", ewhere))
			continue
		}
		if _, isLevel := probe["policies"]; !isLevel {
			if p := b.parse(raw, ewhere, kind, 0); p != nil {
				plain = append(plain, p)
			}
			continue
		}
		var lvl struct {
			Target   string            `json:"target"`
			Policies []json.RawMessage `json:"policies"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&lvl); err != nil {
			b.errs = append(b.errs, fmt.Errorf("%s: %w", ewhere, describeJSONError(err)))
			continue
		}
		if len(lvl.Policies) == 0 {
			b.errs = append(b.errs, fmt.Errorf("%s.policies is empty: a level with no policies allows nothing (AWS attaches a FullAWSAccess policy by default; include it)", ewhere))
			continue
		}
		out = append(out, policy.Level{Target: lvl.Target, Policies: b.list(lvl.Policies, ewhere+".policies", kind, 0)})
	}
	if len(plain) > 0 {
		out = append(out, policy.Level{Target: "account", Policies: plain})
	}
	return out
}

func request(rd *RequestDoc, hasBoundary bool) (*policy.Request, error) {
	if rd == nil {
		return nil, errors.New("evaluation document: \"request\" is missing")
	}
	p, err := policy.ParsePrincipal(rd.Principal)
	if err != nil {
		return nil, fmt.Errorf("request.principal: %w", err)
	}
	if rd.Principal == "" {
		return nil, errors.New("request.principal is missing: give an ARN, an account ID, a service principal or \"anonymous\"")
	}
	p.HasPermissionsBoundary = hasBoundary
	if rd.Action == "" {
		return nil, errors.New("request.action is missing, such as \"vpc-lattice-svcs:Invoke\"")
	}
	if svc, name, ok := strings.Cut(rd.Action, ":"); !ok || svc == "" || name == "" {
		return nil, fmt.Errorf("request.action %q must be service:Action, such as \"vpc-lattice-svcs:Invoke\"", rd.Action)
	}
	if rd.Resource == "" {
		return nil, errors.New("request.resource is missing: give the ARN of the resource")
	}
	r := &policy.Request{Principal: p, Action: rd.Action, Resource: rd.Resource, ResourceAccount: rd.ResourceAccount}
	if r.ResourceAccount == "" {
		if a, err := policy.ParseARN(rd.Resource); err == nil {
			r.ResourceAccount = a.Account
		}
	}
	if r.ResourceAccount == "" && p.Account != "" {
		return nil, fmt.Errorf("request.resourceAccount is missing and resource %q names no account; say which account owns the resource", rd.Resource)
	}
	ctx := policy.NewContext(len(rd.Context) + 6)
	for k, raw := range rd.Context {
		if err := setContextValue(ctx, k, raw); err != nil {
			return nil, err
		}
	}
	principalKeys(ctx, p)
	r.Context = ctx
	return r, nil
}

func setContextValue(ctx *policy.Context, key string, raw json.RawMessage) error {
	if !strings.Contains(key, ":") {
		return fmt.Errorf("request.context key %q must be a condition key such as aws:SourceIp", key)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("request.context[%q]: %w", key, err)
	}
	switch x := v.(type) {
	case []any:
		vals := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := scalarText(e)
			if !ok {
				return fmt.Errorf("request.context[%q][%d] must be a string, number or boolean", key, i)
			}
			vals = append(vals, s)
		}
		ctx.SetMulti(key, vals)
	default:
		s, ok := scalarText(x)
		if !ok {
			return fmt.Errorf("request.context[%q] must be a string, a number, a boolean or a list of them", key)
		}
		ctx.Set(key, s)
	}
	return nil
}

func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// principalKeys adds the condition keys AWS derives from the caller, unless
// the document gives them.
func principalKeys(ctx *policy.Context, p policy.Principal) {
	setDefault := func(k, v string) {
		if _, _, ok := ctx.Get(k); !ok && v != "" {
			ctx.Set(k, v)
		}
	}
	switch p.Type {
	case policy.Anonymous:
		setDefault("aws:PrincipalType", "Anonymous")
		return
	case policy.Service:
		setDefault("aws:PrincipalServiceName", p.Name)
		setDefault("aws:PrincipalIsAWSService", "true")
		return
	case policy.CanonicalUser, policy.WebIdentity:
		return
	}
	setDefault("aws:PrincipalArn", p.PrincipalARN())
	setDefault("aws:PrincipalAccount", p.Account)
	setDefault("aws:PrincipalIsAWSService", "false")
	switch p.Type {
	case policy.Account:
		setDefault("aws:PrincipalType", "Account")
	case policy.User:
		setDefault("aws:PrincipalType", "User")
		setDefault("aws:username", p.Name)
	case policy.AssumedRole:
		setDefault("aws:PrincipalType", "AssumedRole")
	case policy.FederatedUser:
		setDefault("aws:PrincipalType", "FederatedUser")
	}
}

// A Suite is a set of policies with test cases against it: the format of
// `trellis policy test`. Each case is an evaluation document whose policy
// members default to the suite's.
type Suite struct {
	Description string `json:"description"`
	// Policies holds the policy members of an evaluation document
	// (identityPolicies, resourcePolicy, ...) shared by every case.
	Policies map[string]json.RawMessage `json:"policies"`
	// Cases are evaluation documents; a policy member given in a case
	// replaces the suite's.
	Cases []map[string]json.RawMessage `json:"cases"`
}

// CaseResult is the outcome of one case of a Suite.
type CaseResult struct {
	Description string `json:"description"`
	Expected    string `json:"expected"`
	Output
	// Err is set when the case could not be evaluated.
	Err error `json:"-"`
}

// OK reports whether the case was evaluated and met its expectation.
func (c CaseResult) OK() bool {
	return c.Err == nil && c.AsExpected != nil && *c.AsExpected
}

// ReadSuite decodes a suite.
func ReadSuite(data []byte) (*Suite, error) {
	var s Suite
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("test suite: %w", describeJSONError(err))
	}
	if len(s.Cases) == 0 {
		return nil, errors.New("test suite has no cases")
	}
	for k := range s.Policies {
		if !policyMembers[k] {
			return nil, fmt.Errorf("test suite: policies.%s is not a policy member; use %s", k, strings.Join(policyMemberNames, ", "))
		}
	}
	return &s, nil
}

var policyMemberNames = []string{"identityPolicies", "resourcePolicy", "endpointPolicies", "sessionPolicy", "permissionsBoundaries", "serviceControlPolicies", "resourceControlPolicies"}

var policyMembers = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range policyMemberNames {
		m[n] = true
	}
	return m
}()

// Run evaluates every case. A case without "expect" is reported as not
// meeting its expectation, since a test must say what it expects.
func (s *Suite) Run() []CaseResult {
	out := make([]CaseResult, 0, len(s.Cases))
	for i, c := range s.Cases {
		doc := map[string]json.RawMessage{}
		for k, v := range s.Policies {
			doc[k] = v
		}
		for k, v := range c {
			doc[k] = v
		}
		var cr CaseResult
		if d, ok := c["description"]; ok {
			_ = json.Unmarshal(d, &cr.Description)
		}
		if cr.Description == "" {
			cr.Description = fmt.Sprintf("case %d", i+1)
		}
		if _, ok := c["expect"]; !ok {
			cr.Err = fmt.Errorf("case %d has no \"expect\"", i+1)
			out = append(out, cr)
			continue
		}
		cr.Output, cr.Err = Evaluate(joinMembers(doc))
		cr.Expected = cr.Output.Expected
		if cr.Err != nil {
			cr.Err = fmt.Errorf("case %d (%s): %w", i+1, cr.Description, cr.Err)
		}
		out = append(out, cr)
	}
	return out
}

// joinMembers writes an object from raw members by hand: json.Marshal
// would compact the policies and lose the line numbers explanations cite.
func joinMembers(doc map[string]json.RawMessage) []byte {
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		b.Write(name)
		b.WriteByte(':')
		b.Write(doc[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}
