package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind says what a policy is attached to, which decides the elements it must
// or must not have.
type Kind uint8

const (
	// KindAny checks the grammar only: any element may appear.
	KindAny Kind = iota
	// KindIdentity is an identity-based policy, a permissions boundary or a
	// session policy: it has no Principal and needs Resource.
	KindIdentity
	// KindResource is a resource-based policy: a VPC Lattice auth policy, an
	// API Gateway resource policy, a VPC endpoint policy, a resource control
	// policy. It names a Principal and needs Resource.
	KindResource
	// KindServiceControl is an AWS Organizations service control policy: it
	// has no Principal or NotPrincipal.
	KindServiceControl
)

// String returns a short name for the kind.
func (k Kind) String() string {
	switch k {
	case KindIdentity:
		return "identity"
	case KindResource:
		return "resource"
	case KindServiceControl:
		return "service-control"
	}
	return "any"
}

// Size limits AWS documents for policy documents. Pass them in Options.
const (
	// LatticeAuthPolicyMaxBytes is the size limit of a VPC Lattice auth policy.
	LatticeAuthPolicyMaxBytes = 10240
	// EndpointPolicyMaxChars is the size limit of a VPC endpoint policy.
	EndpointPolicyMaxChars = 20480
)

// Options control parsing and validation.
type Options struct {
	// Kind is what the policy is attached to; see Kind.
	Kind Kind
	// Name labels the policy in diagnostics and explanations, for example
	// "auth policy of svc-0123456789abcdef0".
	Name string
	// MaxBytes, when positive, is the largest document accepted, in bytes.
	MaxBytes int
	// MaxChars, when positive, is the largest document accepted, in
	// characters.
	MaxChars int
	// APIARN is the ARN of the API Gateway API a resource policy belongs
	// to, such as "arn:aws:execute-api:us-east-1:111122223333:a1b2c3d4e5".
	// API Gateway lets resource policies write a resource as
	// "execute-api:/STAGE/METHOD/PATH" and expands it with the API's ARN;
	// without APIARN the shorthand matches that path of any API.
	APIARN string
}

// Effect is the Effect element of a statement.
type Effect uint8

const (
	// EffectAllow grants what the statement describes.
	EffectAllow Effect = iota + 1
	// EffectDeny refuses what the statement describes, whatever else allows it.
	EffectDeny
)

// String returns "Allow" or "Deny".
func (e Effect) String() string {
	switch e {
	case EffectAllow:
		return "Allow"
	case EffectDeny:
		return "Deny"
	}
	return "Effect(" + strconv.Itoa(int(e)) + ")"
}

// A Policy is a parsed, validated and compiled policy document. It is
// immutable and safe for concurrent use; evaluating it does not allocate.
type Policy struct {
	name       string
	id         string
	version    string
	kind       Kind
	statements []statement
	warnings   []Diagnostic
}

// Name returns the name given in Options, or the policy's Id element.
func (p *Policy) Name() string {
	if p.name != "" {
		return p.name
	}
	return p.id
}

// ID returns the policy's Id element.
func (p *Policy) ID() string { return p.id }

// Version returns the policy language version: "2012-10-17" or "2008-10-17".
func (p *Policy) Version() string { return p.version }

// Kind returns the kind the policy was validated as.
func (p *Policy) Kind() Kind { return p.kind }

// Warnings returns the validation warnings of the document.
func (p *Policy) Warnings() []Diagnostic { return p.warnings }

// NumStatements returns the number of statements.
func (p *Policy) NumStatements() int { return len(p.statements) }

// StatementInfo describes one statement of a policy for explanations.
type StatementInfo struct {
	// Index is the statement's 0-based position in the Statement list.
	Index  int    `json:"index"`
	Sid    string `json:"sid,omitempty"`
	Effect Effect `json:"-"`
	// Line is where the statement starts in the document.
	Line int `json:"line"`
}

// Statement describes statement i.
func (p *Policy) Statement(i int) StatementInfo {
	s := &p.statements[i]
	return StatementInfo{Index: s.index, Sid: s.sid, Effect: s.effect, Line: s.line}
}

// Label returns "statement 2 (Sid \"AllowGet\")", for messages.
func (s StatementInfo) Label() string {
	if s.Sid != "" {
		return fmt.Sprintf("Statement[%d] (Sid %q)", s.Index, s.Sid)
	}
	return fmt.Sprintf("Statement[%d]", s.Index)
}

// Parse parses, validates and compiles a policy document. When the document
// has errors, it returns a *ValidationError listing every diagnostic.
// Warnings do not make Parse fail; they are available from Policy.Warnings.
func Parse(doc []byte, opts Options) (*Policy, error) {
	p, diags := compile(doc, opts)
	for _, d := range diags {
		if d.Severity == Error {
			return nil, &ValidationError{Name: opts.Name, Diagnostics: diags}
		}
	}
	p.warnings = diags
	return p, nil
}

// MustParse is like Parse but panics on an invalid document. It is meant for
// policies written into programs and tests.
func MustParse(doc string, opts Options) *Policy {
	p, err := Parse([]byte(doc), opts)
	if err != nil {
		panic(err)
	}
	return p
}

// Validate returns every error and warning in a policy document, in document
// order. A document is valid when no diagnostic has severity Error.
func Validate(doc []byte, opts Options) []Diagnostic {
	_, diags := compile(doc, opts)
	return diags
}

// compiler turns the JSON tree into a Policy, collecting diagnostics.
type compiler struct {
	src   []byte
	opts  Options
	diags []Diagnostic
	vars  bool // the version supports policy variables
	// varsSeen records a variable in a 2008-10-17 policy, to warn once.
	varsSeen bool
}

func (c *compiler) add(sev Severity, pos int, path, code, format string, args ...any) {
	d := Diagnostic{Severity: sev, Path: path, Code: code, Message: fmt.Sprintf(format, args...)}
	if pos >= 0 {
		d.Line, d.Column = lineCol(c.src, pos)
	}
	c.diags = append(c.diags, d)
}

func (c *compiler) errorf(pos int, path, code, format string, args ...any) {
	c.add(Error, pos, path, code, format, args...)
}

func (c *compiler) warnf(pos int, path, code, format string, args ...any) {
	c.add(Warning, pos, path, code, format, args...)
}

func compile(doc []byte, opts Options) (*Policy, []Diagnostic) {
	p, diags := compileUnsorted(doc, opts)
	slices.SortStableFunc(diags, func(a, b Diagnostic) int {
		if a.Line != b.Line {
			return cmp.Compare(a.Line, b.Line)
		}
		return cmp.Compare(a.Column, b.Column)
	})
	return p, diags
}

func compileUnsorted(doc []byte, opts Options) (*Policy, []Diagnostic) {
	c := &compiler{src: doc, opts: opts}
	p := &Policy{name: opts.Name, kind: opts.Kind}
	if opts.MaxBytes > 0 && len(doc) > opts.MaxBytes {
		c.errorf(-1, "", "too-large", "the document is %d bytes; the limit is %d bytes", len(doc), opts.MaxBytes)
	}
	if opts.MaxChars > 0 {
		if n := utf8.RuneCount(doc); n > opts.MaxChars {
			c.errorf(-1, "", "too-large", "the document is %d characters; the limit is %d characters", n, opts.MaxChars)
		}
	}
	root, serr := parseJSON(doc)
	if serr != nil {
		c.errorf(serr.pos, "", "syntax", "%s", serr.msg)
		return p, c.diags
	}
	if root.kind != jsonObject {
		c.errorf(root.pos, "", "not-object", "a policy document is a JSON object, not %s", root.kind)
		return p, c.diags
	}
	members := c.members(root, "", []string{"Version", "Id", "Statement"})
	if v, ok := members["Version"]; ok {
		if v.kind != jsonString {
			c.errorf(v.pos, "Version", "bad-version", "Version must be a string, \"2012-10-17\"")
		} else {
			switch v.text {
			case "2012-10-17", "2008-10-17":
				p.version = v.text
			default:
				c.errorf(v.pos, "Version", "bad-version", "Version %q is not a policy language version; use \"2012-10-17\"", v.text)
			}
		}
	} else {
		p.version = "2008-10-17"
		c.warnf(root.pos, "", "missing-version", "the document has no Version, so AWS reads it as \"2008-10-17\", where policy variables are not supported; add \"Version\": \"2012-10-17\"")
	}
	c.vars = p.version == "2012-10-17"
	if v, ok := members["Id"]; ok {
		if v.kind != jsonString {
			c.errorf(v.pos, "Id", "bad-type", "Id must be a string")
		} else {
			p.id = v.text
		}
	}
	st, ok := members["Statement"]
	if !ok {
		c.errorf(root.pos, "", "missing-element", "the document has no Statement")
		return p, c.diags
	}
	var stmts []*jsonValue
	switch st.kind {
	case jsonObject:
		stmts = []*jsonValue{st}
	case jsonArray:
		stmts = st.elems
		if len(stmts) == 0 {
			c.errorf(st.pos, "Statement", "empty", "Statement is an empty list; a policy needs at least one statement")
		}
	default:
		c.errorf(st.pos, "Statement", "bad-type", "Statement must be an object or a list of objects, not %s", st.kind)
	}
	sids := map[string]int{}
	for i, sv := range stmts {
		path := "Statement"
		if st.kind == jsonArray {
			path = fmt.Sprintf("Statement[%d]", i)
		}
		if sv.kind != jsonObject {
			c.errorf(sv.pos, path, "bad-type", "a statement must be an object, not %s", sv.kind)
			continue
		}
		s := c.statement(sv, path, i)
		if s.sid != "" {
			if first, dup := sids[s.sid]; dup {
				c.errorf(memberPos(sv, "Sid"), path+".Sid", "duplicate-sid", "Sid %q is already used by Statement[%d]; statement IDs must be unique within a policy", s.sid, first)
			} else {
				sids[s.sid] = i
			}
		}
		p.statements = append(p.statements, s)
	}
	if c.varsSeen {
		c.warnf(root.pos, "", "variables-need-version", "the policy uses ${...} policy variables, which AWS only substitutes in Version \"2012-10-17\"; here they are literal text")
	}
	return p, c.diags
}

// members checks an object's keys against the allowed names, reports unknown,
// misspelt and duplicate ones, and returns the known ones by name.
func (c *compiler) members(obj *jsonValue, path string, allowed []string) map[string]*jsonValue {
	out := make(map[string]*jsonValue, len(obj.members))
	for _, m := range obj.members {
		mpath := joinPath(path, m.key)
		known := false
		for _, a := range allowed {
			if m.key == a {
				known = true
				break
			}
		}
		if !known {
			if s := suggest(m.key, allowed); s != "" {
				c.errorf(m.keyPos, mpath, "unknown-element", "unknown element %q; did you mean %q? (element names are case-sensitive)", m.key, s)
			} else {
				c.errorf(m.keyPos, mpath, "unknown-element", "unknown element %q; expected one of %s", m.key, strings.Join(allowed, ", "))
			}
			continue
		}
		if _, dup := out[m.key]; dup {
			c.errorf(m.keyPos, mpath, "duplicate-key", "%q appears more than once", m.key)
			continue
		}
		out[m.key] = m.value
	}
	return out
}

// memberPos returns the position of the value of obj's member key.
func memberPos(obj *jsonValue, key string) int {
	for _, m := range obj.members {
		if m.key == key {
			return m.value.pos
		}
	}
	return obj.pos
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest returns the allowed name closest to s, if it is close enough to be
// a likely misspelling.
func suggest(s string, allowed []string) string {
	best, bestDist := "", 3
	for _, a := range allowed {
		if strings.EqualFold(a, s) {
			return a
		}
		if d := editDistance(strings.ToLower(s), strings.ToLower(a)); d < bestDist {
			best, bestDist = a, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// stringList reads an element that AWS allows as a string or a list of
// strings. It returns each string with its position.
func (c *compiler) stringList(v *jsonValue, path, what string) (vals []string, poss []int) {
	switch v.kind {
	case jsonString:
		return []string{v.text}, []int{v.pos}
	case jsonArray:
		if len(v.elems) == 0 {
			c.errorf(v.pos, path, "empty", "%s is an empty list", what)
		}
		for i, e := range v.elems {
			if e.kind != jsonString {
				c.errorf(e.pos, fmt.Sprintf("%s[%d]", path, i), "bad-type", "each %s must be a string, not %s", what, e.kind)
				continue
			}
			vals = append(vals, e.text)
			poss = append(poss, e.pos)
		}
		return vals, poss
	}
	c.errorf(v.pos, path, "bad-type", "%s must be a string or a list of strings, not %s", what, v.kind)
	return nil, nil
}

var statementElements = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

func (c *compiler) statement(v *jsonValue, path string, index int) statement {
	s := statement{index: index}
	s.line, _ = lineCol(c.src, v.pos)
	m := c.members(v, path, statementElements)

	if sid, ok := m["Sid"]; ok {
		if sid.kind != jsonString {
			c.errorf(sid.pos, path+".Sid", "bad-type", "Sid must be a string")
		} else {
			s.sid = sid.text
			if !isAlnum(sid.text) {
				if c.opts.Kind == KindIdentity {
					c.errorf(sid.pos, path+".Sid", "bad-sid", "Sid %q may contain only letters and digits in identity-based policies", sid.text)
				} else {
					c.warnf(sid.pos, path+".Sid", "bad-sid", "Sid %q has characters other than letters and digits, which some services reject", sid.text)
				}
			}
		}
	}

	if e, ok := m["Effect"]; !ok {
		c.errorf(v.pos, path, "missing-element", "the statement has no Effect; add \"Effect\": \"Allow\" or \"Deny\"")
	} else if e.kind != jsonString {
		c.errorf(e.pos, path+".Effect", "bad-effect", "Effect must be \"Allow\" or \"Deny\"")
	} else {
		switch e.text {
		case "Allow":
			s.effect = EffectAllow
		case "Deny":
			s.effect = EffectDeny
		default:
			if s := suggest(e.text, []string{"Allow", "Deny"}); s != "" {
				c.errorf(e.pos, path+".Effect", "bad-effect", "Effect %q is not valid; did you mean %q? (Effect is case-sensitive)", e.text, s)
			} else {
				c.errorf(e.pos, path+".Effect", "bad-effect", "Effect %q is not valid; use \"Allow\" or \"Deny\"", e.text)
			}
		}
	}

	// Principal / NotPrincipal.
	pr, prPath, notP, hasPrincipal := c.either(m, path, "Principal")
	if pr != nil {
		s.principal = c.principals(pr, prPath)
		s.notPrincipal = notP
		if notP && s.effect == EffectAllow {
			c.errorf(pr.pos, prPath, "notprincipal-allow", "NotPrincipal is supported only with \"Effect\": \"Deny\"; to allow everyone but some principals, use a condition on aws:PrincipalArn")
		}
	}
	if hasPrincipal {
		switch c.opts.Kind {
		case KindIdentity:
			c.errorf(v.pos, path, "principal-not-allowed", "an identity-based policy cannot name a Principal; the principal is whoever the policy is attached to")
		case KindServiceControl:
			c.errorf(v.pos, path, "principal-not-allowed", "a service control policy cannot name a Principal or NotPrincipal")
		}
	} else if c.opts.Kind == KindResource {
		c.errorf(v.pos, path, "missing-element", "a resource-based policy statement needs a Principal (use \"*\" with conditions to mean everyone)")
	}

	act, actPath, notA, hasAction := c.either(m, path, "Action")
	if act != nil {
		s.actions = c.actions(act, actPath)
		s.notAction = notA
	}
	if !hasAction {
		c.errorf(v.pos, path, "missing-element", "the statement has no Action or NotAction")
	}

	res, resPath, notR, hasResource := c.either(m, path, "Resource")
	if res != nil {
		s.resources = c.resources(res, resPath)
		s.notResource = notR
		s.hasResource = true
	}
	if !hasResource && (c.opts.Kind == KindIdentity || c.opts.Kind == KindResource) {
		c.errorf(v.pos, path, "missing-element", "the statement has no Resource or NotResource; use \"Resource\": \"*\" for all resources")
	}

	if cond, ok := m["Condition"]; ok {
		s.conditions = c.conditions(cond, path+".Condition", s.effect)
	}

	// Warnings about broad grants.
	if s.effect == EffectAllow {
		if s.principal != nil && s.principal.wildcard && !s.notPrincipal && len(s.conditions) == 0 {
			c.warnf(pr.pos, prPath, "wildcard-principal", "Principal \"*\" with no Condition allows everyone, including anonymous callers; narrow it with conditions such as aws:PrincipalOrgID or aws:SourceVpc")
		}
		if act != nil && !notA && len(s.actions) == 1 && s.actions[0].any {
			c.warnf(act.pos, actPath, "wildcard-action", "Action \"*\" allows every action of every service; list the actions needed")
		}
		if act != nil && notA {
			c.warnf(act.pos, actPath, "allow-notaction", "Allow with NotAction allows every action not listed, including actions added to AWS later")
		}
	}
	return s
}

// either reads a pair of elements such as Action and NotAction. It returns
// the one present with its path and whether it is the negated one; present
// is true when either is there. Both together are an error, and then v is
// nil.
func (c *compiler) either(m map[string]*jsonValue, path, name string) (v *jsonValue, vpath string, negated, present bool) {
	pos, hasPos := m[name]
	neg, hasNeg := m["Not"+name]
	switch {
	case hasPos && hasNeg:
		c.errorf(neg.pos, path+".Not"+name, "conflicting-elements", "a statement has %s or Not%s, not both", name, name)
		return nil, "", false, true
	case hasPos:
		return pos, path + "." + name, false, true
	case hasNeg:
		return neg, path + ".Not" + name, true, true
	}
	return nil, "", false, false
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (c *compiler) actions(v *jsonValue, path string) []actionPattern {
	vals, poss := c.stringList(v, path, "action")
	out := make([]actionPattern, 0, len(vals))
	for i, a := range vals {
		epath := path
		if v.kind == jsonArray {
			epath = fmt.Sprintf("%s[%d]", path, i)
		}
		if a == "*" {
			out = append(out, actionPattern{raw: a, any: true})
			continue
		}
		svc, name, ok := strings.Cut(a, ":")
		switch {
		case !ok || svc == "":
			c.errorf(poss[i], epath, "bad-action", "action %q has no service prefix; write it as service:Action, such as \"vpc-lattice-svcs:Invoke\"", a)
			continue
		case !isServicePrefix(svc):
			c.errorf(poss[i], epath, "bad-action", "action %q: the service prefix %q may contain only letters, digits and hyphens", a, svc)
			continue
		case name == "":
			c.errorf(poss[i], epath, "bad-action", "action %q has no action name after the colon; use %q for every action of the service", a, svc+":*")
			continue
		case strings.ContainsAny(name, ": \t\n"):
			c.errorf(poss[i], epath, "bad-action", "action %q: an action name contains no colons or spaces", a)
			continue
		}
		out = append(out, actionPattern{raw: a, pat: compilePattern(a, true, false)})
	}
	return out
}

// isServicePrefix accepts a service prefix in any case: the IAM User Guide
// says the prefix and the action name are case-insensitive.
func isServicePrefix(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func (c *compiler) noteVariables(s string) {
	if !c.vars && strings.Contains(s, "${") {
		c.varsSeen = true
	}
}

func (c *compiler) resources(v *jsonValue, path string) []resourcePattern {
	vals, poss := c.stringList(v, path, "resource")
	out := make([]resourcePattern, 0, len(vals))
	for i, r := range vals {
		epath := path
		if v.kind == jsonArray {
			epath = fmt.Sprintf("%s[%d]", path, i)
		}
		if r == "*" {
			out = append(out, resourcePattern{raw: r, any: true})
			continue
		}
		c.noteVariables(r)
		if rest, ok := strings.CutPrefix(r, "execute-api:/"); ok {
			api := c.opts.APIARN
			if api == "" {
				api = "arn:*:execute-api:*:*:*"
			}
			r = api + "/" + rest
		}
		rp, msg := compileResource(r, c.vars)
		if msg != "" {
			c.errorf(poss[i], epath, "bad-resource", "%s", msg)
			continue
		}
		if rp.varErr != "" {
			c.errorf(poss[i], epath, "bad-variable", "%s", rp.varErr)
			continue
		}
		out = append(out, rp)
	}
	return out
}

func (c *compiler) principals(v *jsonValue, path string) *principalSet {
	ps := &principalSet{}
	if v.kind == jsonString {
		if v.text != "*" {
			c.errorf(v.pos, path, "bad-principal", "a Principal given as a string must be \"*\"; name principals as {\"AWS\": \"arn:aws:iam::123456789012:role/NAME\"}")
			return ps
		}
		ps.wildcard = true
		return ps
	}
	if v.kind != jsonObject {
		c.errorf(v.pos, path, "bad-principal", "Principal must be \"*\" or an object such as {\"AWS\": [...]}, not %s", v.kind)
		return ps
	}
	m := c.members(v, path, []string{"AWS", "Service", "Federated", "CanonicalUser"})
	if len(v.members) == 0 {
		c.errorf(v.pos, path, "empty", "the Principal object names no principals")
	}
	for _, kind := range []string{"AWS", "Service", "Federated", "CanonicalUser"} {
		e, ok := m[kind]
		if !ok {
			continue
		}
		kpath := path + "." + kind
		vals, poss := c.stringList(e, kpath, kind+" principal")
		for i, s := range vals {
			epath := kpath
			if e.kind == jsonArray {
				epath = fmt.Sprintf("%s[%d]", kpath, i)
			}
			if msg := ps.add(kind, s); msg != "" {
				c.errorf(poss[i], epath, "bad-principal", "%s", msg)
			} else if kind == "AWS" && looksLikeUniqueID(s) {
				c.warnf(poss[i], epath, "unique-id-principal", "%q is an IAM unique ID, which AWS shows in place of a principal that was deleted; it matches no caller", s)
			}
		}
	}
	return ps
}

func looksLikeUniqueID(s string) bool {
	if len(s) < 16 || len(s) > 32 {
		return false
	}
	switch s[:4] {
	case "AIDA", "AROA", "AIPA", "ANPA", "AGPA", "ASIA", "AKIA":
	default:
		return false
	}
	for i := 4; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
