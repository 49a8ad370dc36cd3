package policy

import (
	"strings"
	"unicode/utf8"
)

// A pattern is a compiled policy string: literal text, the wildcards * and ?
// (where the element allows them) and policy variables (where the element and
// the policy version allow them). Matching never allocates: variables are
// resolved from the request context into a small array on the stack, and a
// resolved value is always matched literally, so a '*' inside a tag value is
// just a character.

type tokenKind uint8

const (
	tokLiteral tokenKind = iota
	tokStar
	tokOne
	tokVar
)

type token struct {
	kind tokenKind
	text string // literal text; for tokVar, the context key as written
	// For tokVar: the default value of ${key, 'default'}.
	def    string
	hasDef bool
	varIdx int
}

type pattern struct {
	raw    string
	tokens []token
	nvars  int
	// literal is set when the pattern has no wildcards and no variables; it is
	// the text to compare (escapes resolved).
	literal    string
	isLiteral  bool
	onlyStar   bool // the whole pattern is "*"
	hasWild    bool
	hasVarsErr string // a malformed variable, for validation
	// prefix and suffix are literal text the pattern starts and ends with
	// (empty when it starts or ends with a wildcard or variable), for a
	// quick rejection before the general match.
	prefix, suffix string
	// prefixStar is set for the common shape "literal*".
	prefixStar bool
}

// maxInlineVars is how many variables a pattern may hold before resolution
// needs the heap; real policies use one or two.
const maxInlineVars = 8

// compilePattern compiles s. wild enables * and ?; vars enables ${...}.
func compilePattern(s string, wild, vars bool) pattern {
	p := pattern{raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.tokens = append(p.tokens, token{kind: tokLiteral, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case wild && c == '*':
			flush()
			// Consecutive stars are one star.
			if n := len(p.tokens); n == 0 || p.tokens[n-1].kind != tokStar {
				p.tokens = append(p.tokens, token{kind: tokStar})
			}
			p.hasWild = true
			i++
		case wild && c == '?':
			flush()
			p.tokens = append(p.tokens, token{kind: tokOne})
			p.hasWild = true
			i++
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				// AWS treats an unterminated "${" as text.
				lit.WriteString(s[i:])
				i = len(s)
				continue
			}
			inner := s[i+2 : i+2+end]
			i += 2 + end + 1
			switch inner {
			case "*", "?", "$":
				lit.WriteString(inner)
				continue
			}
			key, def, hasDef, msg := parseVariable(inner)
			if msg != "" {
				if p.hasVarsErr == "" {
					p.hasVarsErr = msg
				}
				lit.WriteString("${" + inner + "}")
				continue
			}
			flush()
			p.tokens = append(p.tokens, token{kind: tokVar, text: key, def: def, hasDef: hasDef, varIdx: p.nvars})
			p.nvars++
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	if n := len(p.tokens); n > 1 {
		if p.tokens[0].kind == tokLiteral {
			p.prefix = p.tokens[0].text
		}
		if p.tokens[n-1].kind == tokLiteral {
			p.suffix = p.tokens[n-1].text
		}
		p.prefixStar = n == 2 && p.tokens[0].kind == tokLiteral && p.tokens[1].kind == tokStar
	}
	switch {
	case len(p.tokens) == 0:
		p.isLiteral = true
	case len(p.tokens) == 1 && p.tokens[0].kind == tokLiteral:
		p.isLiteral = true
		p.literal = p.tokens[0].text
	case len(p.tokens) == 1 && p.tokens[0].kind == tokStar:
		p.onlyStar = true
	}
	return p
}

// parseVariable splits the inside of ${...} into the context key and an
// optional default: "aws:username, 'nobody'".
func parseVariable(inner string) (key, def string, hasDef bool, msg string) {
	key = inner
	if comma := strings.IndexByte(inner, ','); comma >= 0 {
		key = strings.TrimSpace(inner[:comma])
		d := strings.TrimSpace(inner[comma+1:])
		if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
			return "", "", false, "the default value of policy variable ${" + inner + "} must be in single quotes, as in ${aws:username, 'nobody'}"
		}
		def, hasDef = d[1:len(d)-1], true
	}
	key = strings.TrimSpace(key)
	if key == "" || strings.IndexByte(key, ':') <= 0 {
		return "", "", false, "policy variable ${" + inner + "} does not name a condition key such as aws:username"
	}
	return key, def, hasDef, ""
}

// resolve looks up the pattern's variables in ctx and stores their values in
// dst (len(dst) >= p.nvars). It reports false when a variable has no
// single value and no default: AWS then treats the string as matching nothing.
func (p *pattern) resolve(ctx *Context, dst []string) bool {
	for i := range p.tokens {
		t := &p.tokens[i]
		if t.kind != tokVar {
			continue
		}
		if e := ctx.lookup(t.text); e != nil && !e.multi {
			dst[t.varIdx] = e.one[0]
			continue
		}
		if !t.hasDef {
			return false
		}
		dst[t.varIdx] = t.def
	}
	return true
}

// resolvable reports whether every variable of the pattern has a value.
func (p *pattern) resolvable(ctx *Context) bool {
	for i := range p.tokens {
		t := &p.tokens[i]
		if t.kind != tokVar || t.hasDef {
			continue
		}
		if e := ctx.lookup(t.text); e == nil || e.multi {
			return false
		}
	}
	return true
}

// match reports whether s matches the pattern; fold makes ASCII letters
// compare without case. ok is false when a variable could not be resolved,
// in which case matched is false.
func (p *pattern) match(s string, fold bool, ctx *Context) (matched, ok bool) {
	if p.onlyStar {
		return true, true
	}
	if p.isLiteral {
		if fold {
			return asciiEqualFold(p.literal, s), true
		}
		return p.literal == s, true
	}
	if !hasPrefixFold(s, p.prefix, fold) || !hasSuffixFold(s, p.suffix, fold) {
		return false, p.nvars == 0 || p.resolvable(ctx)
	}
	if p.prefixStar {
		return true, true
	}
	var inline [maxInlineVars]string
	vals := inline[:]
	if p.nvars > maxInlineVars {
		vals = make([]string, p.nvars)
	}
	if p.nvars > 0 && !p.resolve(ctx, vals) {
		return false, false
	}
	return globMatch(p.tokens, vals, s, fold), true
}

// resolved returns the pattern's text with variables replaced, for
// explanations. Unresolvable variables are left as written.
func (p *pattern) resolved(ctx *Context) string {
	if p.nvars == 0 {
		return p.raw
	}
	var b strings.Builder
	for _, t := range p.tokens {
		switch t.kind {
		case tokLiteral:
			b.WriteString(t.text)
		case tokStar:
			b.WriteByte('*')
		case tokOne:
			b.WriteByte('?')
		case tokVar:
			if e := ctx.lookup(t.text); e != nil && !e.multi {
				b.WriteString(e.one[0])
			} else if t.hasDef {
				b.WriteString(t.def)
			} else {
				b.WriteString("${" + t.text + "}")
			}
		}
	}
	return b.String()
}

func tokenText(t *token, vals []string) string {
	if t.kind == tokVar {
		return vals[t.varIdx]
	}
	return t.text
}

// globMatch matches s against tokens, where * matches any run of characters
// (including none) and ? exactly one character. It backtracks only to the most
// recent star, which is enough for glob patterns and keeps matching linear in
// practice.
func globMatch(toks []token, vals []string, s string, fold bool) bool {
	ti, off, si := 0, 0, 0
	starTi, starSi := -1, 0
	for {
		// Step over exhausted literal tokens.
		for ti < len(toks) && (toks[ti].kind == tokLiteral || toks[ti].kind == tokVar) && off == len(tokenText(&toks[ti], vals)) {
			ti++
			off = 0
		}
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokStar:
				ti++
				off = 0
				starTi, starSi = ti, si
				continue
			case tokOne:
				if si < len(s) {
					_, size := utf8.DecodeRuneInString(s[si:])
					si += size
					ti++
					continue
				}
			default:
				// Literal text matches as a whole or not at all.
				text := tokenText(t, vals)[off:]
				if hasPrefixFold(s[si:], text, fold) {
					si += len(text)
					off += len(text)
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		// Mismatch: let the last star swallow one more character.
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[starSi:])
		starSi += size
		si = starSi
		ti = starTi
		off = 0
	}
}

func hasPrefixFold(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if !fold {
		return s[:len(prefix)] == prefix
	}
	return asciiEqualFold(s[:len(prefix)], prefix)
}

func hasSuffixFold(s, suffix string, fold bool) bool {
	return len(s) >= len(suffix) && hasPrefixFold(s[len(s)-len(suffix):], suffix, fold)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// asciiEqualFold compares without case for ASCII letters only, as AWS does
// for action names and ARN prefixes.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if a == b {
		return true
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}
