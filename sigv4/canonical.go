package sigv4

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"slices"
	"strings"
)

const hexLower = "0123456789abcdef"
const hexUpper = "0123456789ABCDEF"

// isUnreserved reports whether c is an RFC 3986 unreserved character, the
// only characters SigV4 leaves unencoded (besides '/' in paths).
func isUnreserved(c byte) bool {
	// Bit sets of A-Z a-z 0-9 - . _ ~ for bytes 0-63 and 64-127.
	const lo, hi = 0x03ff600000000000, 0x47fffffe87fffffe
	if c < 64 {
		return lo>>c&1 != 0
	}
	return c < 128 && hi>>(c-64)&1 != 0
}

// isPathByte reports whether c may appear unencoded in a URI path
// (RFC 3986 pchar or '/'), besides '%' which starts an escape.
func isPathByte(c byte) bool {
	if isUnreserved(c) {
		return true
	}
	switch c {
	case '/', ':', '@', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}

func unhex(c byte) (byte, bool) {
	if d := c - '0'; d <= 9 {
		return d, true
	}
	if d := (c | 0x20) - 'a'; d <= 5 {
		return d + 10, true
	}
	return 0, false
}

func appendEscaped(dst []byte, c byte) []byte {
	return append(dst, '%', hexUpper[c>>4], hexUpper[c&15])
}

// appendHex appends the lowercase hex encoding of b.
func appendHex(dst []byte, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexLower[c>>4], hexLower[c&15])
	}
	return dst
}

// decodeHex decodes the hex string s (either case) into dst, which must be
// exactly len(s)/2 bytes long.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

// isHexSHA256 reports whether s is a hex-encoded SHA-256 digest.
func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := unhex(s[i]); !ok {
			return false
		}
	}
	return true
}

// appendPathTwice appends the doubly encoded form of the wire path p: every
// byte except unreserved characters and '/' is percent-encoded, so an escape
// "%2F" on the wire becomes "%252F".
func appendPathTwice[T string | []byte](dst []byte, p T) []byte {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if isUnreserved(c) || c == '/' {
			dst = append(dst, c)
		} else {
			dst = appendEscaped(dst, c)
		}
	}
	return dst
}

// appendPathOnce appends the singly encoded form of the wire path p: the path
// as received, with valid escapes kept and bytes that may not appear raw in a
// URI path (space, controls, non-ASCII, a '%' not starting an escape)
// percent-encoded.
func appendPathOnce[T string | []byte](dst []byte, p T) []byte {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case isPathByte(c):
			dst = append(dst, c)
		case c == '%' && i+2 < len(p) && isHexPair(p[i+1], p[i+2]):
			dst = append(dst, c)
		default:
			dst = appendEscaped(dst, c)
		}
	}
	return dst
}

func isHexPair(a, b byte) bool {
	_, ok1 := unhex(a)
	_, ok2 := unhex(b)
	return ok1 && ok2
}

// needsNormalization reports whether the path has a "." or ".." segment or
// an empty segment (repeated slash), so that normalising changes it.
func needsNormalization(p string) bool {
	if p == "" || p[0] != '/' {
		return true
	}
	for i := 0; i < len(p); {
		// p[i] == '/': look at the segment after it.
		j := i + 1
		for j < len(p) && p[j] != '/' {
			j++
		}
		seg := p[i+1 : j]
		if seg == "." || seg == ".." || (seg == "" && j < len(p)) {
			return true
		}
		i = j
	}
	return false
}

// appendNormalized appends the normalised form of the wire path p: empty and
// "." segments are dropped, ".." removes the previous segment, the result
// starts with '/' and ends with '/' only when p does and some segment is left.
// This is what the AWS SDKs other than aws-sdk-go-v2 sign, and what the AWS
// signing test suite calls "normalize".
func appendNormalized(dst []byte, p string) []byte {
	start := len(dst)
	dst = append(dst, '/')
	for i := 0; i < len(p); {
		for i < len(p) && p[i] == '/' {
			i++
		}
		j := i
		for j < len(p) && p[j] != '/' {
			j++
		}
		seg := p[i:j]
		i = j
		switch seg {
		case "", ".":
		case "..":
			if len(dst)-start > 1 {
				// dst ends with "seg/": drop it.
				k := len(dst) - 2
				for k > start && dst[k] != '/' {
					k--
				}
				dst = dst[:k+1]
			}
		default:
			dst = append(dst, seg...)
			dst = append(dst, '/')
		}
	}
	if len(dst)-start > 1 && p[len(p)-1] != '/' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// wirePath returns the escaped path of the request as it travels on the wire:
// the path of r.RequestURI for a request received by a server, or what the
// Go client will send for an outgoing request.
func wirePath(r *http.Request) string {
	u := r.RequestURI
	if u == "" {
		if r.URL == nil {
			return "/"
		}
		if r.URL.Opaque == "" {
			p := r.URL.EscapedPath()
			if p == "" {
				return "/"
			}
			return p
		}
		u = r.URL.RequestURI()
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if u == "" {
		return "/"
	}
	if u[0] != '/' {
		// absolute-form ("http://host/path") or "*".
		if i := strings.Index(u, "://"); i >= 0 {
			rest := u[i+3:]
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				return rest[j:]
			}
			return "/"
		}
		if strings.HasPrefix(u, "//") { // opaque "//host/path" from a client URL
			if j := strings.IndexByte(u[2:], '/'); j >= 0 {
				return u[2+j:]
			}
			return "/"
		}
	}
	return u
}

// qpair is a query parameter, as offsets of its encoded key and value in a
// scratch buffer.
type qpair struct{ k0, k1, v0, v1 int32 }

// appendQueryComponent appends the canonical (decoded, then strictly
// re-encoded) form of one query key or value. '+' means a space, as in
// application/x-www-form-urlencoded and as aws-sdk-go-v2 and curl read it.
func appendQueryComponent(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '%':
			if i+2 >= len(s) {
				return dst, false
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return dst, false
			}
			c = hi<<4 | lo
			i += 2
		case '+':
			c = ' '
		}
		if isUnreserved(c) {
			dst = append(dst, c)
		} else {
			dst = appendEscaped(dst, c)
		}
	}
	return dst, true
}

// appendQueryEscape appends s with every byte except unreserved characters
// percent-encoded: the encoding of a query key or value in a canonical query
// string and in a URL this package writes.
func appendQueryEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; isUnreserved(c) {
			dst = append(dst, c)
		} else {
			dst = appendEscaped(dst, c)
		}
	}
	return dst
}

// queryBuilder builds canonical query strings with reusable storage.
type queryBuilder struct {
	enc   []byte
	pairs []qpair
}

const (
	skipSignature = 1 << iota // leave out X-Amz-Signature (presigned requests)
	skipToken                 // leave out X-Amz-Security-Token
)

// appendCanonicalQuery appends the canonical query string of the raw (wire)
// query to dst: every key and value decoded and re-encoded, the pairs sorted
// by encoded key then encoded value, a key without '=' given an empty value.
// It reports false if the query has an invalid percent-escape.
func (q *queryBuilder) appendCanonicalQuery(dst []byte, raw string, skip int) ([]byte, bool) {
	if raw == "" {
		return dst, true
	}
	if skip == 0 && isCanonicalQuery(raw) {
		return append(dst, raw...), true
	}
	q.enc = q.enc[:0]
	q.pairs = q.pairs[:0]
	for len(raw) > 0 {
		var part string
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			part, raw = raw[:i], raw[i+1:]
		} else {
			part, raw = raw, ""
		}
		if part == "" {
			continue
		}
		key, val := part, ""
		if i := strings.IndexByte(part, '='); i >= 0 {
			key, val = part[:i], part[i+1:]
		}
		var p qpair
		var ok bool
		mark := len(q.enc)
		p.k0 = int32(len(q.enc))
		if q.enc, ok = appendQueryComponent(q.enc, key); !ok {
			return dst, false
		}
		p.k1 = int32(len(q.enc))
		if skip != 0 {
			k := q.enc[p.k0:p.k1]
			if skip&skipSignature != 0 && string(k) == "X-Amz-Signature" ||
				skip&skipToken != 0 && string(k) == "X-Amz-Security-Token" {
				// still validate the value's escapes
				if _, ok = appendQueryComponent(q.enc, val); !ok {
					return dst, false
				}
				q.enc = q.enc[:mark]
				continue
			}
		}
		p.v0 = p.k1
		if q.enc, ok = appendQueryComponent(q.enc, val); !ok {
			return dst, false
		}
		p.v1 = int32(len(q.enc))
		q.pairs = append(q.pairs, p)
	}
	enc := q.enc
	cmp := func(a, b qpair) int {
		if c := bytes.Compare(enc[a.k0:a.k1], enc[b.k0:b.k1]); c != 0 {
			return c
		}
		return bytes.Compare(enc[a.v0:a.v1], enc[b.v0:b.v1])
	}
	if len(q.pairs) <= 12 {
		for i := 1; i < len(q.pairs); i++ {
			for j := i; j > 0 && cmp(q.pairs[j-1], q.pairs[j]) > 0; j-- {
				q.pairs[j-1], q.pairs[j] = q.pairs[j], q.pairs[j-1]
			}
		}
	} else {
		slices.SortFunc(q.pairs, cmp)
	}
	for i, p := range q.pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, enc[p.k0:p.k1]...)
		dst = append(dst, '=')
		dst = append(dst, enc[p.v0:p.v1]...)
	}
	return dst, true
}

// trimSpaceTab removes leading and trailing spaces and tabs.
func trimSpaceTab(v string) string {
	i, j := 0, len(v)
	for i < j && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	for j > i && (v[j-1] == ' ' || v[j-1] == '\t') {
		j--
	}
	return v[i:j]
}

// isCanonicalQuery reports whether a raw query is already in canonical form:
// only unreserved characters, every pair with exactly one '=', pairs sorted
// by key then value (the common "?page=2" case, copied as is).
func isCanonicalQuery(raw string) bool {
	prevKey, prevVal := "", ""
	start, eq := 0, -1
	for i := 0; i <= len(raw); i++ {
		if i < len(raw) {
			c := raw[i]
			if c == '=' {
				if eq >= 0 {
					return false
				}
				eq = i
				continue
			}
			if c != '&' {
				if !isUnreserved(c) {
					return false
				}
				continue
			}
		}
		if eq < 0 || eq == start {
			return false // "k" without '=', or an empty key (kept simple)
		}
		key, val := raw[start:eq], raw[eq+1:i]
		if start > 0 && (key < prevKey || key == prevKey && val < prevVal) {
			return false
		}
		prevKey, prevVal = key, val
		start, eq = i+1, -1
	}
	return true
}

// appendHeaderValue appends a header value in canonical form: leading and
// trailing spaces and tabs removed, each run of spaces inside reduced to one.
func appendHeaderValue(dst []byte, v string) []byte {
	v = trimSpaceTab(v)
	if strings.IndexByte(v, ' ') < 0 { // dates, hashes, tokens: nothing to collapse
		return append(dst, v...)
	}
	for {
		i := strings.Index(v, "  ")
		if i < 0 {
			return append(dst, v...)
		}
		dst = append(dst, v[:i+1]...)
		v = v[i+2:]
		for len(v) > 0 && v[0] == ' ' {
			v = v[1:]
		}
	}
}

// isHeaderNameByte reports whether c may appear in a lowercase SignedHeaders
// entry (an RFC 9110 token without uppercase letters).
func isHeaderNameByte(c byte) bool {
	// Bit sets of a-z 0-9 - ! # $ % & ' * + . ^ _ ` | ~ for bytes 0-63 and
	// 64-127.
	const lo, hi = 0x03ff6cfa00000000, 0x57ffffffc0000000
	if c < 64 {
		return lo>>c&1 != 0
	}
	return c < 128 && hi>>(c-64)&1 != 0
}

// headerValuesFold returns the values of the header whose lowercase name is
// given, for a header map whose key is not in canonical form.
func headerValuesFold(h http.Header, lower string) []string {
	for k, vs := range h {
		if len(k) == len(lower) && strings.EqualFold(k, lower) {
			return vs
		}
	}
	return nil
}

// requestHost returns the host the client sent: r.Host, or the URL's host for
// an outgoing request without one.
func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if r.URL != nil && r.URL.Host != "" {
		return r.URL.Host
	}
	if vs := r.Header["Host"]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Headers whose values the verifier needs besides their canonical form.
const (
	hAmzDate = iota
	hToken
	hRegionSet
	hContentSHA256
	hDate
	numSpecial
)

// headerFlags records which of the headers that matter were signed, and the
// values of those that were (saving a second lookup).
type headerFlags struct {
	host   bool
	signed [numSpecial]bool
	values [numSpecial][]string
}

// appendCanonicalHeaders appends the canonical headers block (each signed
// header as "name:value\n") for the semicolon-separated lowercase list of
// signed header names. It checks the list and reports what is wrong with it.
func appendCanonicalHeaders(dst []byte, r *http.Request, signed string) ([]byte, headerFlags, string) {
	var f headerFlags
	if signed == "" {
		return dst, f, "SignedHeaders is empty"
	}
	var buf [64]byte // canonical MIME form of an unusual name
	prev := ""
	for rest := signed; ; {
		name := rest
		i := strings.IndexByte(rest, ';')
		if i >= 0 {
			name, rest = rest[:i], rest[i+1:]
		}
		key := knownHeaderKey(name)
		if key == "" {
			if name == "" {
				return dst, f, "SignedHeaders has an empty header name"
			}
			upper := true
			for k := 0; k < len(name); k++ {
				c := name[k]
				if !isHeaderNameByte(c) {
					return dst, f, "SignedHeaders must list lowercase header names separated by ';'"
				}
				if k < len(buf) {
					if upper && 'a' <= c && c <= 'z' {
						c -= 'a' - 'A'
					}
					buf[k] = c
					upper = c == '-'
				}
			}
		}
		if prev != "" && name <= prev {
			return dst, f, "SignedHeaders must be sorted and without duplicates"
		}
		prev = name
		dst = append(dst, name...)
		dst = append(dst, ':')
		if name == "host" {
			f.host = true
			dst = appendHeaderValue(dst, requestHost(r))
		} else {
			var vs []string
			var ok bool
			if key != "" {
				vs, ok = r.Header[key]
			} else if len(name) <= len(buf) {
				vs, ok = r.Header[string(buf[:len(name)])]
			}
			if !ok {
				vs = headerValuesFold(r.Header, name)
			}
			if special := specialHeader(name); special >= 0 {
				f.signed[special] = true
				f.values[special] = vs
			}
			if len(vs) == 0 && name == "content-length" && r.ContentLength > 0 {
				dst = appendInt(dst, r.ContentLength)
			}
			for k, v := range vs {
				if k > 0 {
					dst = append(dst, ',')
				}
				dst = appendHeaderValue(dst, v)
			}
		}
		dst = append(dst, '\n')
		if i < 0 {
			return dst, f, ""
		}
	}
}

// knownHeaderKey returns the canonical MIME key of common signed header
// names, sparing the byte-by-byte conversion; "" for others.
func knownHeaderKey(name string) string {
	switch name {
	case "host":
		return "Host"
	case "x-amz-date":
		return "X-Amz-Date"
	case "x-amz-content-sha256":
		return "X-Amz-Content-Sha256"
	case "x-amz-security-token":
		return "X-Amz-Security-Token"
	case "x-amz-region-set":
		return "X-Amz-Region-Set"
	case "x-amz-user-agent":
		return "X-Amz-User-Agent"
	case "x-amz-target":
		return "X-Amz-Target"
	case "amz-sdk-invocation-id":
		return "Amz-Sdk-Invocation-Id"
	case "amz-sdk-request":
		return "Amz-Sdk-Request"
	case "content-type":
		return "Content-Type"
	case "content-length":
		return "Content-Length"
	case "content-md5":
		return "Content-Md5"
	case "content-encoding":
		return "Content-Encoding"
	case "accept":
		return "Accept"
	case "date":
		return "Date"
	}
	return ""
}

// specialHeader returns the index of a header the verifier reads (hAmzDate
// and so on), or -1.
func specialHeader(name string) int {
	if len(name) > 6 && name[:6] == "x-amz-" {
		switch name[6:] {
		case "date":
			return hAmzDate
		case "security-token":
			return hToken
		case "region-set":
			return hRegionSet
		case "content-sha256":
			return hContentSHA256
		}
	} else if name == "date" {
		return hDate
	}
	return -1
}

// hmacSHA256 computes HMAC-SHA256 of msg under key using buf as scratch,
// without allocating once buf has grown. It returns the MAC and buf.
func hmacSHA256[T string | []byte](buf []byte, key []byte, msg T) ([32]byte, []byte) {
	var k [64]byte
	if len(key) > len(k) {
		h := sha256.Sum256(key)
		copy(k[:], h[:])
	} else {
		copy(k[:], key)
	}
	buf = buf[:0]
	for _, c := range k {
		buf = append(buf, c^0x36)
	}
	buf = append(buf, msg...)
	inner := sha256.Sum256(buf)
	var outer [64 + 32]byte
	for i, c := range k {
		outer[i] = c ^ 0x5c
	}
	copy(outer[64:], inner[:])
	return sha256.Sum256(outer[:]), buf
}

// deriveSigningKey derives the SigV4 signing key:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveSigningKey(secret, date, region, service string) [32]byte {
	var kb [128]byte
	key := append(append(kb[:0], "AWS4"...), secret...)
	var scratch [256]byte
	buf := scratch[:0]
	var k [32]byte
	k, buf = hmacSHA256(buf, key, date)
	k, buf = hmacSHA256(buf, k[:], region)
	k, buf = hmacSHA256(buf, k[:], service)
	k, _ = hmacSHA256(buf, k[:], "aws4_request")
	return k
}

// appendAmzDate appends t in the ISO 8601 basic format of X-Amz-Date,
// "20060102T150405Z" (t must be UTC).
func appendAmzDate(dst []byte, y, mo, d, h, mi, s int) []byte {
	dst = append(dst, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	dst = append(dst, byte('0'+mo/10), byte('0'+mo%10), byte('0'+d/10), byte('0'+d%10), 'T')
	dst = append(dst, byte('0'+h/10), byte('0'+h%10), byte('0'+mi/10), byte('0'+mi%10))
	return append(dst, byte('0'+s/10), byte('0'+s%10), 'Z')
}
