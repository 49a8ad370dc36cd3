package policy

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

type opFamily uint8

const (
	famString opFamily = iota
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

func (f opFamily) String() string {
	return [...]string{"string", "number", "date", "boolean", "base64 binary", "IP address or CIDR", "ARN", "true or false"}[f]
}

type cmpKind uint8

const (
	cmpEq cmpKind = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

// opInfo describes one base condition operator.
type opInfo struct {
	name    string
	family  opFamily
	negated bool
	cmp     cmpKind
	like    bool // string wildcards (StringLike, ArnLike, ArnEquals)
	fold    bool // StringEqualsIgnoreCase
}

var operators = []opInfo{
	{name: "StringEquals", family: famString},
	{name: "StringNotEquals", family: famString, negated: true},
	{name: "StringEqualsIgnoreCase", family: famString, fold: true},
	{name: "StringNotEqualsIgnoreCase", family: famString, fold: true, negated: true},
	{name: "StringLike", family: famString, like: true},
	{name: "StringNotLike", family: famString, like: true, negated: true},
	{name: "NumericEquals", family: famNumeric},
	{name: "NumericNotEquals", family: famNumeric, negated: true},
	{name: "NumericLessThan", family: famNumeric, cmp: cmpLt},
	{name: "NumericLessThanEquals", family: famNumeric, cmp: cmpLe},
	{name: "NumericGreaterThan", family: famNumeric, cmp: cmpGt},
	{name: "NumericGreaterThanEquals", family: famNumeric, cmp: cmpGe},
	{name: "DateEquals", family: famDate},
	{name: "DateNotEquals", family: famDate, negated: true},
	{name: "DateLessThan", family: famDate, cmp: cmpLt},
	{name: "DateLessThanEquals", family: famDate, cmp: cmpLe},
	{name: "DateGreaterThan", family: famDate, cmp: cmpGt},
	{name: "DateGreaterThanEquals", family: famDate, cmp: cmpGe},
	{name: "Bool", family: famBool},
	{name: "BinaryEquals", family: famBinary},
	{name: "IpAddress", family: famIP},
	{name: "NotIpAddress", family: famIP, negated: true},
	// ArnEquals and ArnLike behave the same: AWS allows wildcards in both.
	{name: "ArnEquals", family: famARN, like: true},
	{name: "ArnLike", family: famARN, like: true},
	{name: "ArnNotEquals", family: famARN, like: true, negated: true},
	{name: "ArnNotLike", family: famARN, like: true, negated: true},
	{name: "Null", family: famNull},
}

func operatorNames() []string {
	names := make([]string, len(operators))
	for i := range operators {
		names[i] = operators[i].name
	}
	return names
}

type setQualifier uint8

const (
	setNone setQualifier = iota
	setForAllValues
	setForAnyValue
)

// condition is one (operator, key) pair of a Condition block with its values.
type condition struct {
	opName   string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	key      string
	op       *opInfo
	set      setQualifier
	ifExists bool
	values   []condValue
	path     string
	line     int
}

// condValue is one policy value, parsed for its operator's family.
type condValue struct {
	raw    string
	pat    pattern // string, bool and binary values
	arn    [6]pattern
	num    float64
	t      time.Time
	prefix netip.Prefix
	null   bool // Null: true means "the key must be absent"
}

// parseOperator splits "ForAllValues:StringLikeIfExists" into its parts.
// The names compare without case, as AWS does; misspellings get a
// suggestion.
func parseOperator(name string) (op *opInfo, set setQualifier, ifExists bool, msg string) {
	base := name
	if q, rest, ok := strings.Cut(name, ":"); ok {
		switch {
		case strings.EqualFold(q, "ForAllValues"):
			set = setForAllValues
		case strings.EqualFold(q, "ForAnyValue"):
			set = setForAnyValue
		default:
			return nil, 0, false, fmt.Sprintf("unknown set operator %q in %q; use ForAllValues: or ForAnyValue:", q, name)
		}
		base = rest
	}
	if len(base) > len("IfExists") && strings.EqualFold(base[len(base)-len("IfExists"):], "IfExists") {
		base = base[:len(base)-len("IfExists")]
		ifExists = true
	}
	for i := range operators {
		if strings.EqualFold(operators[i].name, base) {
			op = &operators[i]
			break
		}
	}
	if op == nil {
		if s := suggest(base, operatorNames()); s != "" {
			return nil, 0, false, fmt.Sprintf("unknown condition operator %q; did you mean %q?", name, s)
		}
		return nil, 0, false, fmt.Sprintf("unknown condition operator %q", name)
	}
	if op.family == famNull && (ifExists || set != setNone) {
		return nil, 0, false, fmt.Sprintf("%q: Null takes no IfExists suffix and no set operator; it already tests whether the key is present", name)
	}
	return op, set, ifExists, ""
}

func (c *compiler) conditions(v *jsonValue, path string, effect Effect) []condition {
	if v.kind != jsonObject {
		c.errorf(v.pos, path, "bad-type", "Condition must be an object of operators, such as {\"StringEquals\": {\"aws:PrincipalOrgID\": \"o-abc123\"}}")
		return nil
	}
	var out []condition
	seenOps := map[string]bool{}
	for _, om := range v.members {
		opath := path + "." + om.key
		if seenOps[om.key] {
			c.errorf(om.keyPos, opath, "duplicate-key", "operator %q appears more than once in this Condition; JSON keeps only one of them, so merge their keys", om.key)
			continue
		}
		seenOps[om.key] = true
		op, set, ifExists, msg := parseOperator(om.key)
		if msg != "" {
			c.errorf(om.keyPos, opath, "unknown-operator", "%s", msg)
			continue
		}
		if op.name != strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(om.key, "ForAllValues:"), "ForAnyValue:"), "IfExists") {
			c.warnf(om.keyPos, opath, "operator-case", "operator %q is written %q in AWS's documentation", om.key, op.name)
		}
		if om.value.kind != jsonObject {
			c.errorf(om.value.pos, opath, "bad-type", "the value of %s must be an object of condition keys and values", om.key)
			continue
		}
		if len(om.value.members) == 0 {
			c.errorf(om.value.pos, opath, "empty", "%s names no condition keys", om.key)
		}
		if set == setForAllValues && effect == EffectAllow {
			c.warnf(om.keyPos, opath, "forallvalues-allow", "ForAllValues with Allow also matches requests that do not have the key at all; add a Null condition (\"Null\": {KEY: \"false\"}) if the key must be present")
		}
		seenKeys := map[string]bool{}
		for _, km := range om.value.members {
			kpath := opath + "." + km.key
			lk := strings.ToLower(km.key)
			if seenKeys[lk] {
				c.errorf(km.keyPos, kpath, "duplicate-key", "condition key %q appears more than once under %s", km.key, om.key)
				continue
			}
			seenKeys[lk] = true
			c.checkKey(km.key, km.keyPos, kpath, set, op)
			cond := condition{opName: om.key, key: km.key, op: op, set: set, ifExists: ifExists, path: kpath}
			cond.line, _ = lineCol(c.src, km.keyPos)
			cond.values = c.conditionValues(km.value, kpath, op)
			if len(cond.values) > 0 {
				out = append(out, cond)
			}
		}
	}
	return out
}

func (c *compiler) checkKey(key string, pos int, path string, set setQualifier, op *opInfo) {
	prefix, name, ok := strings.Cut(key, ":")
	if !ok || prefix == "" || name == "" {
		c.errorf(pos, path, "bad-key", "condition key %q has no service prefix; write it as prefix:name, such as aws:SourceVpc", key)
		return
	}
	lk := strings.ToLower(key)
	if strings.EqualFold(prefix, "aws") {
		info, known := lookupGlobalKey(lk)
		if !known {
			c.warnf(pos, path, "unknown-key", "%q is not a global condition key AWS documents; a key no request carries makes conditions on it behave as if it were missing", key)
			return
		}
		if op.family != famNull {
			if set != setNone && !info.multi {
				c.warnf(pos, path, "set-operator-single-valued", "%s is single-valued; ForAllValues and ForAnyValue are for multivalued keys, so write the operator without them", key)
			}
			if set == setNone && info.multi {
				c.warnf(pos, path, "multivalued-without-set", "%s is multivalued; without ForAnyValue: or ForAllValues: the condition never matches a request that carries it", key)
			}
		}
		return
	}
	if prefix == "vpc-lattice-svcs" || strings.EqualFold(prefix, "vpc-lattice-svcs") {
		for _, k := range latticeKeys {
			if key == k || (strings.HasSuffix(k, "/") && strings.HasPrefix(key, k) && len(key) > len(k)) {
				return
			}
		}
		for _, k := range latticeKeys {
			kk := strings.TrimSuffix(k, "/")
			if strings.EqualFold(strings.SplitN(key, "/", 2)[0], kk) {
				c.warnf(pos, path, "key-case", "VPC Lattice condition keys are case-sensitive: %q matches no request; write %q", key, kk+key[len(kk):])
				return
			}
		}
		c.warnf(pos, path, "unknown-key", "%q is not a condition key VPC Lattice documents", key)
	}
}

func (c *compiler) conditionValues(v *jsonValue, path string, op *opInfo) []condValue {
	var raws []*jsonValue
	switch v.kind {
	case jsonArray:
		if len(v.elems) == 0 {
			c.errorf(v.pos, path, "empty", "the condition has no values")
		}
		raws = v.elems
	default:
		raws = []*jsonValue{v}
	}
	out := make([]condValue, 0, len(raws))
	for i, r := range raws {
		epath := path
		if v.kind == jsonArray {
			epath = fmt.Sprintf("%s[%d]", path, i)
		}
		switch r.kind {
		case jsonString, jsonNumber, jsonBool:
		default:
			c.errorf(r.pos, epath, "bad-type", "a condition value must be a string, number or boolean, not %s", r.kind)
			continue
		}
		cv, msg := c.conditionValue(r.text, op)
		if msg != "" {
			c.errorf(r.pos, epath, "bad-value", "%s", msg)
			continue
		}
		out = append(out, cv)
	}
	return out
}

func (c *compiler) conditionValue(s string, op *opInfo) (condValue, string) {
	cv := condValue{raw: s}
	switch op.family {
	case famString, famBinary, famBool:
		c.noteVariables(s)
		cv.pat = compilePattern(s, op.like, c.vars)
		if cv.pat.hasVarsErr != "" {
			return cv, cv.pat.hasVarsErr
		}
		if cv.pat.nvars == 0 {
			switch op.family {
			case famBool:
				if !strings.EqualFold(s, "true") && !strings.EqualFold(s, "false") {
					return cv, fmt.Sprintf("Bool takes \"true\" or \"false\", not %q", s)
				}
			case famBinary:
				if _, err := base64.StdEncoding.DecodeString(s); err != nil {
					return cv, fmt.Sprintf("BinaryEquals takes a base64-encoded value; %q is not base64", s)
				}
			}
		}
	case famNumeric:
		n, ok := parseNumber(s)
		if !ok {
			return cv, fmt.Sprintf("%s takes a number such as 10 or 2.5, not %q", op.name, s)
		}
		cv.num = n
	case famDate:
		t, ok := parseDate(s)
		if !ok {
			return cv, fmt.Sprintf("%s takes a date such as \"2026-01-31T00:00:00Z\" or epoch seconds, not %q", op.name, s)
		}
		cv.t = t
	case famIP:
		p, ok := parseIPPrefix(s)
		if !ok {
			return cv, fmt.Sprintf("%s takes an IPv4 or IPv6 address or CIDR block such as \"10.0.0.0/16\", not %q", op.name, s)
		}
		cv.prefix = p
	case famARN:
		c.noteVariables(s)
		parts, ok := splitARNPattern(s)
		if !ok {
			return cv, fmt.Sprintf("%s takes an ARN or ARN pattern with six parts (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE), not %q", op.name, s)
		}
		for i := range parts {
			cv.arn[i] = compilePattern(parts[i], true, c.vars)
			if cv.arn[i].hasVarsErr != "" {
				return cv, cv.arn[i].hasVarsErr
			}
		}
	case famNull:
		switch {
		case strings.EqualFold(s, "true"):
			cv.null = true
		case strings.EqualFold(s, "false"):
		default:
			return cv, fmt.Sprintf("Null takes \"true\" (the key must be absent) or \"false\" (it must be present), not %q", s)
		}
	}
	return cv, ""
}

// parseNumber accepts the decimal numbers AWS's numeric operators take:
// an optional sign, digits, and an optional fraction.
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 || i != len(s) {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15Z07:00",
	"2006-01-02",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
}

// parseDate accepts the W3C profile of ISO 8601 that AWS documents for date
// conditions, and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if n, ok := parseInteger(s); ok {
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseInteger(s string) (int64, bool) {
	start := 0
	if s[0] == '-' {
		start = 1
	}
	if start == len(s) || len(s)-start > 15 {
		return 0, false
	}
	for i := start; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func parseIPPrefix(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// eval evaluates the condition against the request context, following
// AWS's rules for missing keys, multivalued keys and negated operators.
func (cd *condition) eval(ctx *Context) bool {
	e := ctx.lookup(cd.key)
	if cd.op.family == famNull {
		absent := e == nil
		for i := range cd.values {
			if cd.values[i].null == absent {
				return true
			}
		}
		return false
	}
	switch cd.set {
	case setForAllValues:
		// Vacuously true when the key is missing or has no values.
		if e == nil {
			return true
		}
		for _, v := range e.values() {
			if !cd.matchValue(v, ctx) {
				return false
			}
		}
		return true
	case setForAnyValue:
		if e == nil {
			return cd.ifExists
		}
		for _, v := range e.values() {
			if cd.matchValue(v, ctx) {
				return true
			}
		}
		return false
	}
	if e == nil {
		// A missing key fails a positive operator and satisfies a negated
		// one; IfExists makes it satisfy either.
		return cd.ifExists || cd.op.negated
	}
	if e.multi {
		// A multivalued key needs a set operator to match.
		return false
	}
	return cd.matchValue(e.one[0], ctx)
}

// matchValue applies the operator to one request value. Policy values are
// ORed; for a negated operator the request value must match none of them.
// A request value of the wrong type, or a policy value whose variable has no
// value, fails the condition whether or not the operator is negated.
func (cd *condition) matchValue(v string, ctx *Context) bool {
	var rv requestValue
	if f := cd.op.family; f != famString && f != famBinary {
		var ok bool
		if rv, ok = parseRequestValue(f, v); !ok {
			return false
		}
	}
	for i := range cd.values {
		m, ok := cd.values[i].matchBase(cd.op, v, &rv, ctx)
		if !ok {
			return false
		}
		if m {
			return !cd.op.negated
		}
	}
	return cd.op.negated
}

// requestValue is a request value parsed once for its operator family.
type requestValue struct {
	num  float64
	t    time.Time
	addr netip.Addr
	arn  [6]string
}

func parseRequestValue(f opFamily, v string) (requestValue, bool) {
	var rv requestValue
	var ok bool
	switch f {
	case famNumeric:
		rv.num, ok = parseNumber(v)
	case famDate:
		rv.t, ok = parseDate(v)
	case famIP:
		a, err := netip.ParseAddr(v)
		rv.addr, ok = a, err == nil
	case famARN:
		rv.arn, ok = splitARN(v)
	case famBool:
		ok = strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	default:
		ok = true
	}
	return rv, ok
}

// matchBase applies the positive form of the operator to one policy value.
// ok is false when the policy value cannot be resolved.
func (cv *condValue) matchBase(op *opInfo, v string, rv *requestValue, ctx *Context) (matched, ok bool) {
	switch op.family {
	case famString, famBinary:
		if op.fold && cv.pat.isLiteral {
			return strings.EqualFold(cv.pat.literal, v), true
		}
		return cv.pat.match(v, op.fold, ctx)
	case famBool:
		return cv.pat.match(v, true, ctx)
	case famNumeric:
		return compare(op.cmp, cmpFloat(rv.num, cv.num)), true
	case famDate:
		return compare(op.cmp, rv.t.Compare(cv.t)), true
	case famIP:
		return cv.prefix.Contains(rv.addr), true
	case famARN:
		for i := range 6 {
			m, ok := cv.arn[i].match(rv.arn[i], false, ctx)
			if !ok {
				return false, false
			}
			if !m {
				return false, true
			}
		}
		return true, true
	}
	return false, true
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare reports whether "request OP policy" holds given their ordering.
func compare(k cmpKind, order int) bool {
	switch k {
	case cmpLt:
		return order < 0
	case cmpLe:
		return order <= 0
	case cmpGt:
		return order > 0
	case cmpGe:
		return order >= 0
	}
	return order == 0
}
