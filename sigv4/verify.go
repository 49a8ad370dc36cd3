package sigv4

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults of [Config].
const (
	// DefaultMaxSkew is how far X-Amz-Date may be from the verifier's clock.
	DefaultMaxSkew = 5 * time.Minute
	// DefaultMaxBodyBytes is how much of a body the verifier buffers to
	// check a signed payload.
	DefaultMaxBodyBytes = 10 << 20
	// DefaultKeyCacheSize is how many derived keys the verifier keeps.
	DefaultKeyCacheSize = 1024
)

// Config configures a [Verifier].
type Config struct {
	// Region is the region this verifier serves, e.g. "us-east-1". A
	// SigV4 credential scope must name it; a SigV4A X-Amz-Region-Set must
	// include it. Required.
	Region string

	// Credentials looks up the secret of an access key id. Required.
	Credentials CredentialStore

	// Clock returns the current time. Nil means time.Now.
	Clock func() time.Time

	// MaxSkew is how far the signing time of a request may be from the
	// clock, either way. Zero means DefaultMaxSkew (5 minutes).
	MaxSkew time.Duration

	// MaxBodyBytes bounds how much of a body the verifier buffers to check
	// a signed payload (a hex x-amz-content-sha256, or no such header, in
	// which case the body hash is part of the signature). Bigger bodies are
	// rejected with RequestEntityTooLarge. Zero means DefaultMaxBodyBytes
	// (10 MiB); a negative value rejects every request whose payload is
	// signed and whose body is not empty.
	MaxBodyBytes int64

	// Services overrides the options of some services. Zero fields of an
	// entry take the service's default (see DefaultServiceOptions), except
	// UnsignedPresignedPayload, which is taken as given.
	Services map[string]ServiceOptions

	// KeyCacheSize bounds the number of derived signing keys cached. Zero
	// means DefaultKeyCacheSize.
	KeyCacheSize int
}

// Verifier verifies AWS Signature Version 4 and 4A signatures on HTTP
// requests. It is safe for concurrent use; create one per region and
// credential store and share it.
type Verifier struct {
	region   string
	creds    CredentialStore
	clock    func() time.Time
	maxSkew  time.Duration
	maxBody  int64
	services map[string]ServiceOptions
	v4Keys   *keyCache[string, v4KeyEntry]
	v4aKeys  *keyCache[string, v4aKeyEntry]
	pool     sync.Pool
}

// defaultClock returns c, or time.Now when c is nil. It is the only place
// where this package refers to the system clock.
func defaultClock(c func() time.Time) func() time.Time {
	if c == nil {
		return time.Now
	}
	return c
}

// NewVerifier returns a Verifier for the configuration.
func NewVerifier(c Config) (*Verifier, error) {
	if c.Region == "" {
		return nil, errors.New("sigv4: Config.Region is required")
	}
	if c.Credentials == nil {
		return nil, errors.New("sigv4: Config.Credentials is required")
	}
	if c.MaxSkew < 0 {
		return nil, errors.New("sigv4: Config.MaxSkew must not be negative")
	}
	v := &Verifier{
		region:   c.Region,
		creds:    c.Credentials,
		clock:    defaultClock(c.Clock),
		maxSkew:  c.MaxSkew,
		maxBody:  c.MaxBodyBytes,
		services: make(map[string]ServiceOptions, len(c.Services)),
	}
	if v.maxSkew == 0 {
		v.maxSkew = DefaultMaxSkew
	}
	if v.maxBody == 0 {
		v.maxBody = DefaultMaxBodyBytes
	}
	size := c.KeyCacheSize
	if size <= 0 {
		size = DefaultKeyCacheSize
	}
	for name, o := range c.Services {
		v.services[name] = o.resolve(name)
	}
	v.v4Keys = newKeyCache[string, v4KeyEntry](size)
	v.v4aKeys = newKeyCache[string, v4aKeyEntry](size)
	v.pool.New = func() any { return new(verifyState) }
	return v, nil
}

// ServiceOptions returns the options the verifier applies to a service.
func (v *Verifier) ServiceOptions(service string) ServiceOptions {
	if o, ok := v.services[service]; ok {
		return o
	}
	return DefaultServiceOptions(service)
}

// Result describes a verified request: who signed it and what the signature
// covers. Its strings may share memory with the request's headers and URL.
//
// When Verify fails, the Result it returns holds whatever had been parsed
// before the failure (often AccessKeyID, Algorithm, Service and SigningTime),
// for logging only: none of it is authenticated.
type Result struct {
	// AccessKeyID is the access key that signed the request.
	AccessKeyID string
	// HasSessionToken is true when the access key is temporary and the
	// request carried its session token.
	HasSessionToken bool
	// Algorithm is AlgorithmV4 or AlgorithmV4A.
	Algorithm string
	// Service is the service of the credential scope.
	Service string
	// Region is the region of the credential scope (SigV4), or the
	// verifier's region, which the region set includes (SigV4A).
	Region string
	// RegionSet is the X-Amz-Region-Set the request was signed for, as
	// sent (SigV4A only), e.g. "us-east-1,eu-*".
	RegionSet string
	// SigningTime is the time the request was signed (X-Amz-Date).
	SigningTime time.Time
	// Expires is when a presigned request stops being valid
	// (X-Amz-Date + X-Amz-Expires); zero for a header-signed request or a
	// presigned one without X-Amz-Expires.
	Expires time.Time
	// SignedHeaders lists the signed header names, lowercase, sorted and
	// separated by ';' (e.g. "host;x-amz-date").
	SignedHeaders string
	// Presigned is true when the signature came in the query string.
	Presigned bool
	// PayloadSigned is true when the signature covers the body (false for
	// UNSIGNED-PAYLOAD).
	PayloadSigned bool
	// PathNormalized is true when the signature covers the normalised form
	// of a path that normalisation changes (see PathNormalization), so
	// the caller can route on the form that was signed.
	PathNormalized bool
}

// SignedHeaderNames returns SignedHeaders as a slice.
func (r Result) SignedHeaderNames() []string {
	if r.SignedHeaders == "" {
		return nil
	}
	return strings.Split(r.SignedHeaders, ";")
}

// Regions returns the regions the request was signed for: the scope's
// region for SigV4, the entries of the region set (which may contain
// wildcards such as "*" or "us-*") for SigV4A.
func (r Result) Regions() []string {
	if r.RegionSet == "" {
		if r.Region == "" {
			return nil
		}
		return []string{r.Region}
	}
	var out []string
	for _, e := range strings.Split(r.RegionSet, ",") {
		if e = trimSpaceTab(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// verifyState is the reusable scratch storage of one verification.
type verifyState struct {
	hdr     []byte
	qry     []byte
	path    []byte
	norm    []byte
	payload []byte
	cr      []byte
	sts     []byte
	m       macer
	der     [80]byte
	q       queryBuilder
}

// singleHeader returns the only value of a header (canonical key), trimmed.
func singleHeader(h http.Header, key string) (v string, present, multiple bool) {
	vs := h[key]
	switch len(vs) {
	case 0:
		return "", false, false
	case 1:
		return trimSpaceTab(vs[0]), true, false
	}
	return "", true, true
}

// Verify checks the AWS Signature Version 4 or 4A signature of r for the
// given service (the service component of the credential scope, such as
// "vpc-lattice-svcs" or "execute-api"), in either the Authorization-header or
// the presigned-query form.
//
// On success it returns what the signature says about the caller. On failure
// the error is an *Error whose Code and Status say what is wrong (see the
// Code* constants), except when reading the body fails, which returns that
// I/O error wrapped.
//
// Verify does not modify r, except that when it reads the body to check a
// signed payload it replaces r.Body (and r.GetBody) with the buffered bytes,
// so the caller can still read it.
func (v *Verifier) Verify(r *http.Request, service string) (Result, error) {
	o := v.ServiceOptions(service)
	n := o.Naming
	var res Result
	rawQuery := ""
	if r.URL != nil {
		rawQuery = r.URL.RawQuery
	}
	authz := r.Header["Authorization"]
	presigned := isPresigned(rawQuery)
	switch {
	case len(authz) == 0 && !presigned:
		return res, n.errorf(failMissing, "Request is missing Authentication Token.")
	case len(authz) > 0 && presigned:
		return res, n.errorf(failIncomplete, "Only one authentication mechanism is allowed: the Authorization header or the X-Amz-* query parameters, not both.")
	case len(authz) > 1:
		return res, n.errorf(failIncomplete, "The request has more than one Authorization header.")
	}

	var p authParams
	var kind failure
	var msg string
	if presigned {
		p, kind, msg = parsePresigned(rawQuery)
	} else {
		p, kind, msg = parseAuthorization(authz[0])
	}
	if msg != "" {
		return res, n.errorf(kind, msg)
	}
	res.AccessKeyID, res.Service, res.Region = p.accessKeyID, p.service, p.region
	res.SignedHeaders, res.Presigned = p.signedHeaders, presigned
	res.Algorithm = AlgorithmV4
	if p.v4a {
		res.Algorithm = AlgorithmV4A
	}

	// The signature itself must be well formed.
	var sigDER []byte
	st := v.pool.Get().(*verifyState)
	defer v.putState(st)
	derBuf := &st.der
	if p.v4a {
		if len(p.signature) == 0 || len(p.signature)%2 != 0 || len(p.signature) > 2*len(derBuf) ||
			!decodeHex(derBuf[:len(p.signature)/2], p.signature) {
			return res, n.errorf(failIncomplete, "Signature must be a hex-encoded ASN.1 DER ECDSA signature.")
		}
		sigDER = derBuf[:len(p.signature)/2]
	} else if len(p.signature) != 64 {
		return res, n.errorf(failIncomplete, "Signature must be 64 hexadecimal characters.")
	}

	// The signed headers, and the values of those that matter.
	var flags headerFlags
	st.hdr, flags, msg = appendCanonicalHeaders(st.hdr[:0], r, p.signedHeaders)
	if msg != "" {
		return res, n.errorf(failIncomplete, msg, ": ", quoteUser(p.signedHeaders), ".")
	}
	if !flags.host {
		return res, n.errorf(failIncomplete, "The host header must be signed (SignedHeaders must include 'host').")
	}
	header := func(i int, key string) (v string, present bool, errMsg string) {
		vs := flags.values[i]
		if !flags.signed[i] {
			vs = r.Header[key]
		}
		switch len(vs) {
		case 0:
			return "", false, ""
		case 1:
			return trimSpaceTab(vs[0]), true, ""
		}
		return "", true, "The request has more than one " + key + " header."
	}
	if !presigned {
		d, ok, m := header(hAmzDate, "X-Amz-Date")
		switch {
		case m != "":
			return res, n.errorf(failIncomplete, m)
		case ok:
			if !flags.signed[hAmzDate] {
				return res, n.errorf(failIncomplete, "The X-Amz-Date header must be signed (SignedHeaders must include 'x-amz-date').")
			}
			p.amzDate = d
		default:
			d, ok, m = header(hDate, "Date")
			if !ok || m != "" {
				return res, n.errorf(failIncomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
			}
			if !flags.signed[hDate] {
				return res, n.errorf(failIncomplete, "The Date header must be signed (SignedHeaders must include 'date').")
			}
			t, err := http.ParseTime(d)
			if err != nil {
				return res, n.errorf(failIncomplete, "The Date header is not a valid HTTP date: ", quoteUser(d), ".")
			}
			p.amzDate = t.UTC().Format(amzDateLayout)
		}
		if p.token, p.hasToken, m = header(hToken, "X-Amz-Security-Token"); m != "" {
			return res, n.errorf(failIncomplete, m)
		}
		if p.v4a {
			if p.regionSet, p.hasRegionSet, m = header(hRegionSet, "X-Amz-Region-Set"); m != "" {
				return res, n.errorf(failIncomplete, m)
			}
			if p.hasRegionSet && !flags.signed[hRegionSet] {
				return res, n.errorf(failIncomplete, "The X-Amz-Region-Set header must be signed (SignedHeaders must include 'x-amz-region-set').")
			}
		}
	}
	if pv, ok, m := header(hContentSHA256, "X-Amz-Content-Sha256"); m != "" {
		return res, n.errorf(failIncomplete, m)
	} else if ok {
		p.payload, p.hasPayload = pv, true
	}

	// Time.
	t, ok := parseAmzDate(p.amzDate)
	if !ok {
		return res, n.errorf(failIncomplete, "X-Amz-Date must have the form YYYYMMDD'T'HHMMSS'Z', not ", quoteUser(p.amzDate), ".")
	}
	res.SigningTime = t
	if p.date != p.amzDate[:8] {
		return res, n.errorf(failMismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '",
			p.date, "' != '", p.amzDate[:8], "', from '", p.amzDate, "'.")
	}
	now := v.clock()
	if presigned {
		if p.hasExpires {
			secs, ok := parseExpires(p.expires)
			if !ok {
				return res, n.errorf(failIncomplete, "X-Amz-Expires must be a whole number of seconds from 1 to 604800 (7 days), not ", quoteUser(p.expires), ".")
			}
			res.Expires = t.Add(time.Duration(secs) * time.Second)
		}
		if t.Sub(now) > v.maxSkew {
			return res, n.errorf(failSkew, skewMessage(t, now, v.maxSkew))
		}
		if !res.Expires.IsZero() {
			if now.After(res.Expires) {
				return res, n.errorf(failPresignExpired, "Request has expired: it was valid until ",
					res.Expires.UTC().Format(amzDateLayout), " and it is now ", now.UTC().Format(amzDateLayout), ".")
			}
		} else if now.Sub(t) > v.maxSkew {
			return res, n.errorf(failSkew, skewMessage(t, now, v.maxSkew))
		}
	} else if d := now.Sub(t); d > v.maxSkew || d < -v.maxSkew {
		return res, n.errorf(failSkew, skewMessage(t, now, v.maxSkew))
	}

	// Scope.
	if p.service != service {
		return res, n.errorf(failMismatch, "Credential should be scoped to correct service: '", service, "'.")
	}
	if !p.v4a {
		if p.region != v.region {
			return res, n.errorf(failMismatch, "Credential should be scoped to a valid region, not ", quoteUser(p.region),
				"; this endpoint is in '", v.region, "'.")
		}
	} else {
		if !p.hasRegionSet {
			return res, n.errorf(failIncomplete, AlgorithmV4A+" requires the X-Amz-Region-Set header (or query parameter for a presigned request).")
		}
		res.Region, res.RegionSet = v.region, p.regionSet
		if !regionSetIncludes(p.regionSet, v.region) {
			return res, n.errorf(failMismatch, "X-Amz-Region-Set ", quoteUser(p.regionSet),
				" does not include this endpoint's region '", v.region, "'.")
		}
	}

	skip := 0
	if presigned {
		skip = skipSignature
	}
	if st.qry, ok = st.q.appendCanonicalQuery(st.qry[:0], rawQuery, skip); !ok {
		return res, n.errorf(failIncomplete, "The query string has an invalid percent-encoding.")
	}

	// The credential.
	cred, ok := v.creds.Lookup(p.accessKeyID)
	if !ok || cred.SecretAccessKey == "" { // an empty secret would let anyone sign
		return res, n.errorf(failUnknownKey, "The security token included in the request is invalid.")
	}
	if cred.SessionToken != "" {
		if !p.hasToken || !ctEqual(p.token, cred.SessionToken) {
			return res, n.errorf(failUnknownKey, "The security token included in the request is invalid.")
		}
		res.HasSessionToken = true
	} else if p.hasToken && p.token != "" {
		return res, n.errorf(failUnknownKey, "The security token included in the request is invalid.")
	}
	if !cred.Expires.IsZero() && !now.Before(cred.Expires) {
		return res, n.errorf(failExpiredToken, "The security token included in the request is expired.")
	}

	// The payload.
	checkBody := false
	res.PayloadSigned = true
	st.payload = st.payload[:0]
	switch {
	case p.hasPayload:
		switch pv := p.payload; {
		case pv == UnsignedPayload:
			res.PayloadSigned = false
		case strings.HasPrefix(pv, "STREAMING-"):
			return res, n.errorf(failNotImplemented, "x-amz-content-sha256 ", quoteUser(pv),
				" (aws-chunked payload signing) is not supported; sign with UNSIGNED-PAYLOAD or the SHA-256 of the whole body.")
		case isHexSHA256(pv):
			checkBody = true
		default:
			return res, n.errorf(failIncomplete, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or the hex SHA-256 of the body, not ", quoteUser(pv), ".")
		}
		st.payload = append(st.payload, p.payload...)
	case presigned && o.UnsignedPresignedPayload:
		res.PayloadSigned = false
		st.payload = append(st.payload, UnsignedPayload...)
	default:
		body, err := v.readBody(r, n)
		if err != nil {
			return res, err
		}
		if len(body) == 0 {
			st.payload = append(st.payload, EmptyPayloadHash...)
		} else {
			sum := sha256.Sum256(body)
			st.payload = appendHex(st.payload, sum[:])
		}
	}

	// The signature.
	var key v4KeyEntry
	var pub *ecdsa.PublicKey
	if p.v4a {
		var err error
		if pub, err = v4aPublicKey(v.v4aKeys, p.accessKeyID, cred.SecretAccessKey); err != nil {
			return res, err
		}
	} else {
		key = signingKey(v.v4Keys, p.credential, cred.SecretAccessKey, p.date, p.region, p.service)
	}
	check := func(path, query []byte) bool {
		st.buildStringToSign(r.Method, path, query, &p)
		if p.v4a {
			digest := sha256.Sum256(st.sts)
			return ecdsa.VerifyASN1(pub, digest[:], sigDER)
		}
		mac := st.m.mac(&key, st.sts)
		return hexEqual(p.signature, &mac)
	}
	wp := wirePath(r)
	once := o.PathEncoding == PathEncodeOnce
	norm := o.PathNormalization == PathNormalizeAlways
	st.path = appendCanonicalPath(st.path[:0], &st.norm, wp, once, norm)
	if !check(st.path, st.qry) {
		matched, normalized, err := v.retry(st, &p, o, wp, rawQuery, skip, check)
		if err != nil {
			return res, err
		}
		if !matched {
			if !p.v4a && !isHex(p.signature) {
				return res, n.errorf(failIncomplete, "Signature must be 64 hexadecimal characters.")
			}
			// Recompute the primary candidate for the debug output.
			st.path = appendCanonicalPath(st.path[:0], &st.norm, wp, once, norm)
			st.qry, _ = st.q.appendCanonicalQuery(st.qry[:0], rawQuery, skip)
			st.buildStringToSign(r.Method, st.path, st.qry, &p)
			e := n.errorf(failMismatch, "The request signature we calculated does not match the signature you provided. "+
				"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
			e.canonicalRequest = redactToken(string(st.cr), &p)
			e.stringToSign = string(st.sts)
			return res, e
		}
		res.PathNormalized = normalized
	} else {
		res.PathNormalized = norm && needsNormalization(wp)
	}

	if checkBody {
		body, err := v.readBody(r, n)
		if err != nil {
			return res, err
		}
		var want [32]byte
		decodeHex(want[:], p.payload)
		if sum := sha256.Sum256(body); subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			return res, n.errorf(failContentMismatch, "The x-amz-content-sha256 header does not match the SHA-256 of the request body.")
		}
	}
	return res, nil
}

// putState returns scratch storage to the pool, unless an unusually large
// request made it grow (it would otherwise stay allocated).
func (v *Verifier) putState(st *verifyState) {
	const max = 64 << 10
	if cap(st.cr) > max || cap(st.hdr) > max || cap(st.q.enc) > max || cap(st.qry) > max {
		return
	}
	v.pool.Put(st)
}

// retry tries the other canonical forms the service options allow (the other
// path encoding and normalisation, and a presigned query without its session
// token, which some clients add after signing). It reports whether one
// matched and whether that one used the normalised path.
func (v *Verifier) retry(st *verifyState, p *authParams, o ServiceOptions, wp, rawQuery string, skip int, check func(path, query []byte) bool) (matched, normalized bool, err error) {
	primOnce := o.PathEncoding == PathEncodeOnce
	primNorm := o.PathNormalization == PathNormalizeAlways
	type form struct{ once, norm bool }
	forms := []form{{primOnce, primNorm}}
	if o.PathNormalization == PathNormalizeEither && needsNormalization(wp) {
		forms = append(forms, form{primOnce, true})
	}
	if o.PathEncoding == PathEncodeEither && !strings.Contains(wp, "%25") {
		for _, f := range forms {
			forms = append(forms, form{true, f.norm})
		}
	}
	var paths [][]byte
	var normBuf []byte
	for _, f := range forms {
		path := appendCanonicalPath(nil, &normBuf, wp, f.once, f.norm)
		dup := false
		for _, q := range paths {
			if bytes.Equal(q, path) {
				dup = true
			}
		}
		if dup {
			path = nil
		}
		paths = append(paths, path)
	}
	queries := [][]byte{append([]byte(nil), st.qry...)}
	if skip&skipSignature != 0 && p.hasToken {
		q, _ := st.q.appendCanonicalQuery(nil, rawQuery, skip|skipToken)
		queries = append(queries, q)
	}
	for qi, q := range queries {
		for fi, path := range paths {
			if path == nil || qi == 0 && fi == 0 {
				continue
			}
			if check(path, q) {
				return true, forms[fi].norm && needsNormalization(wp), nil
			}
		}
	}
	return false, false, nil
}

// appendCanonicalPath appends the canonical URI of the wire path wp.
func appendCanonicalPath(dst []byte, normBuf *[]byte, wp string, once, normalize bool) []byte {
	if normalize && needsNormalization(wp) {
		*normBuf = appendNormalized((*normBuf)[:0], wp)
		if once {
			return appendPathOnce(dst, *normBuf)
		}
		return appendPathTwice(dst, *normBuf)
	}
	if once {
		return appendPathOnce(dst, wp)
	}
	return appendPathTwice(dst, wp)
}

// buildStringToSign assembles the canonical request in st.cr and the string
// to sign in st.sts.
func (st *verifyState) buildStringToSign(method string, path, query []byte, p *authParams) {
	cr := st.cr[:0]
	cr = append(cr, method...)
	cr = append(cr, '\n')
	cr = append(cr, path...)
	cr = append(cr, '\n')
	cr = append(cr, query...)
	cr = append(cr, '\n')
	cr = append(cr, st.hdr...)
	cr = append(cr, '\n')
	cr = append(cr, p.signedHeaders...)
	cr = append(cr, '\n')
	cr = append(cr, st.payload...)
	st.cr = cr
	h := sha256.Sum256(cr)
	s := st.sts[:0]
	if p.v4a {
		s = append(s, AlgorithmV4A...)
	} else {
		s = append(s, AlgorithmV4...)
	}
	s = append(s, '\n')
	s = append(s, p.amzDate...)
	s = append(s, '\n')
	s = append(s, p.scope...)
	s = append(s, '\n')
	st.sts = appendHex(s, h[:])
}

// readBody reads the whole body, at most v.maxBody bytes, and replaces
// r.Body with the buffered bytes.
func (v *Verifier) readBody(r *http.Request, n ErrorNaming) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	tooLarge := func() error {
		if v.maxBody < 0 {
			return n.errorf(failTooLarge, "This endpoint does not buffer request bodies to verify a signed payload; "+
				"sign the request with x-amz-content-sha256: UNSIGNED-PAYLOAD.")
		}
		return n.errorf(failTooLarge, "The request body is larger than the ", itoa(v.maxBody),
			" bytes this endpoint buffers to verify a signed payload; sign the request with x-amz-content-sha256: UNSIGNED-PAYLOAD.")
	}
	limit := max(v.maxBody, 0)
	if r.ContentLength > limit {
		return nil, tooLarge()
	}
	size := int64(512)
	if r.ContentLength >= 0 {
		size = r.ContentLength + 1 // room to see EOF without growing
	}
	buf := make([]byte, 0, min(size, limit+1))
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		k, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if int64(len(buf)) > limit {
			return nil, tooLarge()
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.Join(errors.New("sigv4: reading the request body"), err)
		}
	}
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(buf))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	return buf, nil
}

// regionSetIncludes reports whether a comma-separated region set (entries may
// use '*' as a wildcard) includes region.
func regionSetIncludes(set, region string) bool {
	for rest := set; ; {
		e := rest
		i := strings.IndexByte(rest, ',')
		if i >= 0 {
			e, rest = rest[:i], rest[i+1:]
		}
		if e = trimSpaceTab(e); e != "" && globMatch(e, region) {
			return true
		}
		if i < 0 {
			return false
		}
	}
}

// globMatch matches s against a pattern in which '*' matches any run of
// characters (including none).
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case px < len(pattern) && pattern[px] == s[sx]:
			px++
			sx++
		case starP >= 0:
			px = starP + 1
			starS++
			sx = starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// hexEqual reports, in constant time, whether the 64-character signature sig
// is the lowercase hex encoding of mac. AWS's signing process defines the
// signature as lowercase hex (IAM user guide, "Create a signed AWS API
// request": Hex()), so an upper-case signature does not match, as on AWS.
func hexEqual(sig string, mac *[32]byte) bool {
	if len(sig) != 64 {
		return false
	}
	var x byte
	for i, c := range mac {
		x |= sig[2*i] ^ hexLower[c>>4]
		x |= sig[2*i+1] ^ hexLower[c&15]
	}
	return subtle.ConstantTimeByteEq(x, 0) == 1
}

// isHex reports whether s is all hex digits.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if _, ok := unhex(s[i]); !ok {
			return false
		}
	}
	return true
}

// ctEqual compares two strings in time that depends only on their lengths.
func ctEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var x uint64
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x |= load64(a[i:]) ^ load64(b[i:])
	}
	for ; i < len(a); i++ {
		x |= uint64(a[i] ^ b[i])
	}
	f := uint32(x>>32) | uint32(x)
	return subtle.ConstantTimeEq(int32(f), 0) == 1
}

// load64 reads 8 bytes of s, little-endian (the compiler turns this into one
// load).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// skewMessage explains a signing time too far from the clock, in AWS's words.
func skewMessage(t, now time.Time, skew time.Duration) string {
	ts := t.UTC().Format(amzDateLayout)
	if t.Before(now) {
		return "Signature expired: " + ts + " is now earlier than " + now.Add(-skew).UTC().Format(amzDateLayout) +
			" (" + now.UTC().Format(amzDateLayout) + " - " + skew.String() + ")."
	}
	return "Signature not yet current: " + ts + " is still later than " + now.Add(skew).UTC().Format(amzDateLayout) +
		" (" + now.UTC().Format(amzDateLayout) + " + " + skew.String() + ")."
}

// redactToken replaces the session token in a canonical request.
func redactToken(cr string, p *authParams) string {
	if !p.hasToken || p.token == "" {
		return cr
	}
	v := string(appendHeaderValue(nil, p.token))
	cr = strings.ReplaceAll(cr, "\nx-amz-security-token:"+v+"\n", "\nx-amz-security-token:REDACTED\n")
	enc := appendQueryEscape(nil, p.token)
	return strings.ReplaceAll(cr, "X-Amz-Security-Token="+string(enc), "X-Amz-Security-Token=REDACTED")
}
