package sigv4

import (
	"strings"
	"time"
)

// Algorithm names, as they appear in the Authorization header, in
// X-Amz-Algorithm and at the start of the string to sign.
const (
	// AlgorithmV4 is AWS Signature Version 4 (HMAC-SHA256).
	AlgorithmV4 = "AWS4-HMAC-SHA256"
	// AlgorithmV4A is AWS Signature Version 4A (ECDSA P-256 with SHA-256).
	AlgorithmV4A = "AWS4-ECDSA-P256-SHA256"
)

// Payload hash values.
const (
	// UnsignedPayload is the x-amz-content-sha256 value of a request whose
	// body is not covered by the signature (what VPC Lattice requires).
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// EmptyPayloadHash is the hex SHA-256 of an empty body.
	EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

const (
	amzDateLayout   = "20060102T150405Z"
	maxPresignAge   = 604800 // seconds, 7 days
	scopeTerminator = "aws4_request"
)

// authParams is what a request says about its own signature, from either the
// Authorization header or the presigned query string.
type authParams struct {
	v4a           bool
	credential    string // accessKeyID/scope
	accessKeyID   string
	scope         string // date/region/service/aws4_request (v4) or date/service/aws4_request (v4a)
	date          string // YYYYMMDD of the scope
	region        string // empty for v4a
	service       string
	signedHeaders string
	signature     string

	// presigned form only
	amzDate      string
	expires      string
	hasExpires   bool
	token        string
	hasToken     bool
	regionSet    string
	hasRegionSet bool
	payload      string
	hasPayload   bool
}

// quoteUser quotes a piece of client input for an error message, bounded in
// length and with non-printable bytes replaced, so messages stay short and
// safe to log.
func quoteUser(s string) string {
	const max = 64
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s) && i < max; i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			c = '?'
		}
		b.WriteByte(c)
	}
	if len(s) > max {
		b.WriteString("...")
	}
	b.WriteByte('\'')
	return b.String()
}

// parseAuthorization parses the value of an Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=...
//
// Parameters may be separated by "," with optional spaces, in any order. On
// failure it returns the kind of failure and a message.
func parseAuthorization(h string) (authParams, failure, string) {
	var p authParams
	i := 0
	for i < len(h) && (h[i] == ' ' || h[i] == '\t') {
		i++
	}
	j := i
	for j < len(h) && h[j] != ' ' && h[j] != '\t' {
		j++
	}
	alg, rest := h[i:j], h[j:]
	switch alg {
	case AlgorithmV4:
	case AlgorithmV4A:
		p.v4a = true
	default:
		if strings.HasPrefix(alg, "AWS4-") {
			return p, failIncomplete, "Unsupported AWS 'algorithm': " + quoteUser(alg) +
				"; supported are " + AlgorithmV4 + " and " + AlgorithmV4A + "."
		}
		return p, failMissing, "The Authorization header is not an AWS Signature Version 4 or 4A signature."
	}
	var cred string
	var haveCred, haveSigned, haveSig bool
	for rest != "" {
		var item string
		if i := strings.IndexByte(rest, ','); i >= 0 {
			item, rest = rest[:i], rest[i+1:]
		} else {
			item, rest = rest, ""
		}
		item = trimSpaceTab(item)
		if item == "" {
			continue
		}
		eq := 0
		for eq < len(item) && item[eq] != '=' {
			eq++
		}
		if eq == len(item) {
			return p, failIncomplete, "Invalid key=value pair (missing equal-sign) in Authorization header: " + quoteUser(item) + "."
		}
		key, val := item[:eq], item[eq+1:]
		var dup bool
		switch key {
		case "Credential":
			dup, haveCred, cred = haveCred, true, val
		case "SignedHeaders":
			dup, haveSigned, p.signedHeaders = haveSigned, true, val
		case "Signature":
			dup, haveSig, p.signature = haveSig, true, val
		default:
			return p, failIncomplete, "Unknown parameter " + quoteUser(key) + " in Authorization header."
		}
		if dup {
			return p, failIncomplete, "Authorization header has more than one '" + key + "' parameter."
		}
	}
	if !haveCred || !haveSigned || !haveSig {
		var msg string
		if !haveCred {
			msg += "Authorization header requires 'Credential' parameter. "
		}
		if !haveSigned {
			msg += "Authorization header requires 'SignedHeaders' parameter. "
		}
		if !haveSig {
			msg += "Authorization header requires 'Signature' parameter. "
		}
		return p, failIncomplete, strings.TrimSuffix(msg, " ")
	}
	if msg := parseCredential(&p, cred); msg != "" {
		return p, failIncomplete, msg
	}
	return p, 0, ""
}

// parseCredential parses "AKID/date/region/service/aws4_request" (SigV4) or
// "AKID/date/service/aws4_request" (SigV4A) into p, or returns what is wrong.
func parseCredential(p *authParams, cred string) string {
	want := "<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request"
	if p.v4a {
		want = "<access key id>/<YYYYMMDD>/<service>/aws4_request"
	}
	slash := strings.IndexByte(cred, '/')
	if slash <= 0 {
		return "Credential must have the form " + want + "."
	}
	p.credential, p.accessKeyID, p.scope = cred, cred[:slash], cred[slash+1:]
	var parts [4]string
	n := 0
	for rest := p.scope; ; {
		if n == len(parts) {
			return "Credential must have the form " + want + "."
		}
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			parts[n] = rest
			n++
			break
		}
		parts[n] = rest[:i]
		n++
		rest = rest[i+1:]
	}
	if p.v4a && n != 3 || !p.v4a && n != 4 {
		return "Credential must have the form " + want + "."
	}
	p.date = parts[0]
	if p.v4a {
		p.service = parts[1]
	} else {
		p.region, p.service = parts[1], parts[2]
	}
	if term := parts[n-1]; term != scopeTerminator {
		return "Credential should be scoped with a valid terminator: 'aws4_request', not " + quoteUser(term) + "."
	}
	if !validScopeDate(p.date) {
		return "Credential has an invalid date " + quoteUser(p.date) + "; it must be YYYYMMDD."
	}
	if !p.v4a && p.region == "" {
		return "Credential has an empty region."
	}
	if p.service == "" {
		return "Credential has an empty service."
	}
	return ""
}

// validName reports whether s is a plausible region or service name:
// non-empty, printable ASCII without spaces.
func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

func validScopeDate(s string) bool {
	_, _, _, ok := parseYMD(s)
	return ok && len(s) == 8
}

// digits parses s, which must be all ASCII digits, as a decimal number.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseYMD parses the YYYYMMDD at the start of s and checks that it is a
// real date.
func parseYMD(s string) (y, mo, d int, ok bool) {
	if len(s) < 8 {
		return 0, 0, 0, false
	}
	var ok1, ok2, ok3 bool
	y, ok1 = digits(s[0:4])
	mo, ok2 = digits(s[4:6])
	d, ok3 = digits(s[6:8])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, 0, 0, false
	}
	return y, mo, d, true
}

func daysIn(y, mo int) int {
	switch mo {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseAmzDate parses an X-Amz-Date value, "YYYYMMDDTHHMMSSZ" (UTC).
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != 16 || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	y, mo, d, ok := parseYMD(s)
	h, ok1 := digits(s[9:11])
	mi, ok2 := digits(s[11:13])
	sec, ok3 := digits(s[13:15])
	if !ok || !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	days := daysFromCivil(y, mo, d)
	return time.Unix(days*86400+int64(h*3600+mi*60+sec), 0).UTC(), true
}

// daysFromCivil returns the number of days from 1970-01-01 to the given
// proleptic Gregorian date (Howard Hinnant's algorithm), cheaper than
// time.Date.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 { // January or February of year 0
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097+doe) - 719468
}

// isPresigned reports whether the raw query carries presigned-URL
// authentication parameters.
func isPresigned(rawQuery string) bool {
	for rest := rawQuery; ; {
		i := strings.Index(rest, "X-Amz-")
		if i < 0 {
			return false
		}
		if i == 0 || rest[i-1] == '&' {
			tail := rest[i+len("X-Amz-"):]
			if strings.HasPrefix(tail, "Algorithm=") || strings.HasPrefix(tail, "Credential=") ||
				strings.HasPrefix(tail, "Signature=") {
				return true
			}
		}
		rest = rest[i+len("X-Amz-"):]
	}
}

// unescapeQuery decodes a query component ('+' is a space). It returns s
// itself when there is nothing to decode.
func unescapeQuery(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '%':
			if i+2 >= len(s) {
				return "", false
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			c = hi<<4 | lo
			i += 2
		case '+':
			c = ' '
		}
		b = append(b, c)
	}
	return string(b), true
}

// parsePresigned parses the authentication parameters of a presigned
// request from its raw query string.
func parsePresigned(rawQuery string) (authParams, failure, string) {
	var p authParams
	var alg, cred string
	var seen [10]bool
	const (
		iAlg = iota
		iCred
		iDate
		iExpires
		iSigned
		iSig
		iToken
		iRegionSet
		iPayload
	)
	for rest := rawQuery; rest != ""; {
		var part string
		if i := strings.IndexByte(rest, '&'); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			part, rest = rest, ""
		}
		if !strings.HasPrefix(part, "X-Amz-") {
			continue
		}
		key, val := part, ""
		if i := strings.IndexByte(part, '='); i >= 0 {
			key, val = part[:i], part[i+1:]
		}
		idx := -1
		switch key {
		case "X-Amz-Algorithm":
			idx = iAlg
		case "X-Amz-Credential":
			idx = iCred
		case "X-Amz-Date":
			idx = iDate
		case "X-Amz-Expires":
			idx = iExpires
		case "X-Amz-SignedHeaders":
			idx = iSigned
		case "X-Amz-Signature":
			idx = iSig
		case "X-Amz-Security-Token":
			idx = iToken
		case "X-Amz-Region-Set":
			idx = iRegionSet
		case "X-Amz-Content-Sha256":
			idx = iPayload
		default:
			continue
		}
		if seen[idx] {
			return p, failIncomplete, "The query string has more than one '" + key + "' parameter."
		}
		seen[idx] = true
		v, ok := unescapeQuery(val)
		if !ok {
			return p, failIncomplete, "The query parameter '" + key + "' has an invalid percent-encoding."
		}
		switch idx {
		case iAlg:
			alg = v
		case iCred:
			cred = v
		case iDate:
			p.amzDate = v
		case iExpires:
			p.expires, p.hasExpires = v, true
		case iSigned:
			p.signedHeaders = v
		case iSig:
			p.signature = v
		case iToken:
			p.token, p.hasToken = v, true
		case iRegionSet:
			p.regionSet, p.hasRegionSet = v, true
		case iPayload:
			p.payload, p.hasPayload = v, true
		}
	}
	var missing []string
	for _, m := range [...]struct {
		i    int
		name string
	}{{iAlg, "X-Amz-Algorithm"}, {iCred, "X-Amz-Credential"}, {iSig, "X-Amz-Signature"}, {iDate, "X-Amz-Date"}, {iSigned, "X-Amz-SignedHeaders"}} {
		if !seen[m.i] {
			missing = append(missing, "'"+m.name+"'")
		}
	}
	if len(missing) > 0 {
		return p, failIncomplete, "The presigned query string is missing " + strings.Join(missing, ", ") + "."
	}
	switch alg {
	case AlgorithmV4:
	case AlgorithmV4A:
		p.v4a = true
	default:
		return p, failIncomplete, "Unsupported X-Amz-Algorithm " + quoteUser(alg) +
			"; supported are " + AlgorithmV4 + " and " + AlgorithmV4A + "."
	}
	if msg := parseCredential(&p, cred); msg != "" {
		return p, failIncomplete, strings.Replace(msg, "Credential", "X-Amz-Credential", 1)
	}
	return p, 0, ""
}

// parseExpires parses X-Amz-Expires: whole seconds from 1 to 604800.
func parseExpires(s string) (int64, bool) {
	if s == "" || len(s) > 7 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n >= 1 && n <= maxPresignAge
}
