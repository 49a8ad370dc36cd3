package policy

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The policy grammar needs what encoding/json does not give: the position of
// every key and value (for diagnostics), members in document order, and
// duplicate keys (which encoding/json silently collapses). Policies are small
// and parsed once, so a simple tree is enough.

type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	switch k {
	case jsonNull:
		return "null"
	case jsonBool:
		return "a boolean"
	case jsonNumber:
		return "a number"
	case jsonString:
		return "a string"
	case jsonArray:
		return "a list"
	default:
		return "an object"
	}
}

type jsonValue struct {
	kind    jsonKind
	pos     int    // byte offset of the value's first character
	text    string // decoded string, number literal, or "true"/"false"
	members []jsonMember
	elems   []*jsonValue
}

type jsonMember struct {
	key    string
	keyPos int
	value  *jsonValue
}

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack; a
// policy document needs five levels.
const maxJSONDepth = 32

type jsonSyntaxError struct {
	pos int
	msg string
}

func (e *jsonSyntaxError) Error() string { return e.msg }

type jsonParser struct {
	src   []byte
	i     int
	depth int
}

func parseJSON(src []byte) (*jsonValue, *jsonSyntaxError) {
	if !utf8.Valid(src) {
		for i := 0; i < len(src); {
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size <= 1 {
				return nil, &jsonSyntaxError{i, "invalid UTF-8 byte in the document"}
			}
			i += size
		}
	}
	p := &jsonParser{src: src}
	p.skipSpace()
	if p.i == len(src) {
		return nil, &jsonSyntaxError{p.i, "the document is empty; a policy is a JSON object"}
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i != len(src) {
		return nil, p.errf("unexpected %s after the end of the document", p.describe())
	}
	return v, nil
}

func (p *jsonParser) errf(format string, args ...any) *jsonSyntaxError {
	return &jsonSyntaxError{p.i, fmt.Sprintf(format, args...)}
}

func (p *jsonParser) describe() string {
	if p.i >= len(p.src) {
		return "end of document"
	}
	r, _ := utf8.DecodeRune(p.src[p.i:])
	return strconv.QuoteRune(r)
}

func (p *jsonParser) skipSpace() {
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value() (*jsonValue, *jsonSyntaxError) {
	if p.i >= len(p.src) {
		return nil, p.errf("unexpected end of document; a value is missing")
	}
	switch c := p.src[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		pos := p.i
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jsonValue{kind: jsonString, pos: pos, text: s}, nil
	case c == 't':
		return p.literal("true", jsonBool)
	case c == 'f':
		return p.literal("false", jsonBool)
	case c == 'n':
		return p.literal("null", jsonNull)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return nil, p.errf("unexpected %s; expected a value (a string, list or object)", p.describe())
	}
}

func (p *jsonParser) literal(word string, kind jsonKind) (*jsonValue, *jsonSyntaxError) {
	if len(p.src)-p.i < len(word) || string(p.src[p.i:p.i+len(word)]) != word {
		return nil, p.errf("unexpected %s; expected a value (strings need double quotes)", p.describe())
	}
	v := &jsonValue{kind: kind, pos: p.i, text: word}
	p.i += len(word)
	return v, nil
}

func (p *jsonParser) number() (*jsonValue, *jsonSyntaxError) {
	start := p.i
	if p.src[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.src) && p.src[p.i] >= '0' && p.src[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	intStart := p.i
	if digits() == 0 {
		return nil, p.errf("malformed number")
	}
	if p.src[intStart] == '0' && p.i-intStart > 1 {
		return nil, &jsonSyntaxError{intStart, "malformed number: leading zeros are not allowed"}
	}
	if p.i < len(p.src) && p.src[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.errf("malformed number: digits expected after the decimal point")
		}
	}
	if p.i < len(p.src) && (p.src[p.i] == 'e' || p.src[p.i] == 'E') {
		p.i++
		if p.i < len(p.src) && (p.src[p.i] == '+' || p.src[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.errf("malformed number: digits expected in the exponent")
		}
	}
	return &jsonValue{kind: jsonNumber, pos: start, text: string(p.src[start:p.i])}, nil
}

func (p *jsonParser) str() (string, *jsonSyntaxError) {
	start := p.i
	p.i++ // opening quote
	// Fast path: no escapes.
	for j := p.i; j < len(p.src); j++ {
		c := p.src[j]
		if c == '"' {
			s := string(p.src[p.i:j])
			p.i = j + 1
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	var buf []byte
	for {
		if p.i >= len(p.src) {
			return "", &jsonSyntaxError{start, "unterminated string"}
		}
		c := p.src[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.errf("control character %U in a string; escape it", rune(c))
		case c == '\\':
			p.i++
			if p.i >= len(p.src) {
				return "", &jsonSyntaxError{start, "unterminated string"}
			}
			e := p.src[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.errf("malformed \\u escape in a string")
				}
				if utf16.IsSurrogate(r) {
					r2 := utf8.RuneError
					if p.i+1 < len(p.src) && p.src[p.i] == '\\' && p.src[p.i+1] == 'u' {
						p.i += 2
						lo, ok := p.hex4()
						if !ok {
							return "", p.errf("malformed \\u escape in a string")
						}
						r2 = lo
					}
					r = utf16.DecodeRune(r, r2)
				}
				buf = utf8.AppendRune(buf, r)
			default:
				p.i--
				return "", p.errf("invalid escape \\%c in a string", e)
			}
		default:
			buf = append(buf, c)
			p.i++
		}
	}
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.src)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.src[p.i : p.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

func (p *jsonParser) enter() *jsonSyntaxError {
	p.depth++
	if p.depth > maxJSONDepth {
		return p.errf("the document is nested more than %d levels deep", maxJSONDepth)
	}
	return nil
}

func (p *jsonParser) object() (*jsonValue, *jsonSyntaxError) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	v := &jsonValue{kind: jsonObject, pos: p.i}
	p.i++
	p.skipSpace()
	if p.i < len(p.src) && p.src[p.i] == '}' {
		p.i++
		return v, nil
	}
	for {
		p.skipSpace()
		if p.i >= len(p.src) || p.src[p.i] != '"' {
			return nil, p.errf("unexpected %s; expected a quoted key", p.describe())
		}
		keyPos := p.i
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.i >= len(p.src) || p.src[p.i] != ':' {
			return nil, p.errf("unexpected %s; expected ':' after the key %q", p.describe(), key)
		}
		p.i++
		p.skipSpace()
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		v.members = append(v.members, jsonMember{key: key, keyPos: keyPos, value: val})
		p.skipSpace()
		if p.i >= len(p.src) {
			return nil, p.errf("unexpected end of document; an object is not closed with '}'")
		}
		switch p.src[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return v, nil
		default:
			return nil, p.errf("unexpected %s; expected ',' or '}'", p.describe())
		}
	}
}

func (p *jsonParser) array() (*jsonValue, *jsonSyntaxError) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	v := &jsonValue{kind: jsonArray, pos: p.i}
	p.i++
	p.skipSpace()
	if p.i < len(p.src) && p.src[p.i] == ']' {
		p.i++
		return v, nil
	}
	for {
		p.skipSpace()
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		v.elems = append(v.elems, val)
		p.skipSpace()
		if p.i >= len(p.src) {
			return nil, p.errf("unexpected end of document; a list is not closed with ']'")
		}
		switch p.src[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return v, nil
		default:
			return nil, p.errf("unexpected %s; expected ',' or ']'", p.describe())
		}
	}
}

// lineCol converts a byte offset into a 1-based line and column (in
// characters) within src.
func lineCol(src []byte, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	line, col = 1, 1
	for i := 0; i < off; {
		r, size := utf8.DecodeRune(src[i:])
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		i += size
	}
	return line, col
}
