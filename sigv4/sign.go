package sigv4

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultPresignExpires is how long a presigned request is valid when
// SignOptions.Expires is zero.
const DefaultPresignExpires = 15 * time.Minute

// Signer signs HTTP requests with one access key. It is safe for concurrent
// use. Its String method does not reveal the secret.
type Signer struct {
	accessKeyID string
	cred        Credential
	clock       func() time.Time
	v4Keys      *keyCache[string, v4KeyEntry]

	mu     sync.Mutex
	v4aKey *ecdsa.PrivateKey
}

// NewSigner returns a Signer for an access key. cred.Expires is not used;
// cred.SessionToken, when set, is sent as X-Amz-Security-Token. A nil clock
// means time.Now; it gives the signing time when SignOptions.Time is zero.
func NewSigner(accessKeyID string, cred Credential, clock func() time.Time) *Signer {
	return &Signer{
		accessKeyID: accessKeyID,
		cred:        cred,
		clock:       defaultClock(clock),
		v4Keys:      newKeyCache[string, v4KeyEntry](16),
	}
}

// String describes the signer without its secret.
func (s *Signer) String() string {
	return "sigv4.Signer{AccessKeyID: " + s.accessKeyID + ", SecretAccessKey: REDACTED}"
}

// SignOptions say how to sign a request.
type SignOptions struct {
	// Service is the service of the credential scope, e.g.
	// "vpc-lattice-svcs". Required.
	Service string
	// Region is the region of the credential scope (SigV4; required), and
	// the default region set for SigV4A.
	Region string
	// Algorithm is AlgorithmV4 (the default when empty) or AlgorithmV4A.
	Algorithm string
	// RegionSet is the SigV4A region set, e.g. {"us-east-1", "eu-*"} or
	// {"*"}. Nil means {Region}.
	RegionSet []string
	// Time is the signing time. Zero means the signer's clock.
	Time time.Time
	// PayloadHash is the payload hash to sign: UnsignedPayload, or the hex
	// SHA-256 of the body. Empty means the value of the request's
	// X-Amz-Content-Sha256 header when it has one, else the hash of the
	// body, which is then
	// read (through r.GetBody when set, else buffered and replaced), except
	// for presigned requests to services whose options say
	// UnsignedPresignedPayload (S3), which use UNSIGNED-PAYLOAD. Presign
	// with UnsignedPayload and no X-Amz-Content-Sha256 header adds
	// X-Amz-Content-Sha256=UNSIGNED-PAYLOAD to the query, so that the
	// verifier knows the body is not signed.
	PayloadHash string
	// AddContentSHA256Header sends (and signs) the payload hash as the
	// x-amz-content-sha256 header (Sign only). VPC Lattice requires it with
	// UnsignedPayload.
	AddContentSHA256Header bool
	// Expires is how long a presigned request stays valid (Presign only),
	// in whole seconds from 1 second to 7 days. Zero means
	// DefaultPresignExpires.
	Expires time.Duration
	// OmitSessionToken adds the session token to the request after
	// signing, so that the signature does not cover it (as some AWS
	// services such as IoT expect). By default the token is signed.
	OmitSessionToken bool
	// PathEncoding says how to encode the path in the canonical request.
	// Zero takes the service's default (see DefaultServiceOptions);
	// PathEncodeEither signs the doubly encoded form.
	PathEncoding PathEncoding
	// PathNormalization says whether to normalise the path in the
	// canonical request. Zero takes the service's default;
	// PathNormalizeEither signs the normalised form.
	PathNormalization PathNormalization
}

// Signed describes a signature that Sign or Presign added to a request.
// CanonicalRequest and StringToSign contain the session token when it is
// signed: do not log them where the token must not appear.
type Signed struct {
	// Algorithm is AlgorithmV4 or AlgorithmV4A.
	Algorithm string
	// Credential is "<access key id>/<credential scope>".
	Credential string
	// SignedHeaders lists the signed header names, separated by ';'.
	SignedHeaders string
	// Signature is the hex signature.
	Signature string
	// CanonicalRequest is the canonical request that was signed.
	CanonicalRequest string
	// StringToSign is the string that was signed.
	StringToSign string
	// URL is the presigned URL (Presign only).
	URL string
}

// Sign signs r in the Authorization-header form. It sets the X-Amz-Date,
// X-Amz-Security-Token (for a temporary credential), X-Amz-Region-Set
// (SigV4A), optionally X-Amz-Content-Sha256, and Authorization headers. Every
// header present on r is signed except hop-by-hop and proxy-mangled ones
// (Authorization, User-Agent, X-Amzn-Trace-Id, Expect, Transfer-Encoding,
// Connection, Keep-Alive, Proxy-*, TE, Trailer, Upgrade); the host is always
// signed. Headers the Go client adds when sending (User-Agent,
// Accept-Encoding, Content-Length) are not signed unless already set on r.
func (s *Signer) Sign(r *http.Request, o SignOptions) (Signed, error) {
	return s.sign(r, o, false)
}

// Presign signs r in the presigned-query form: it appends X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Security-Token (for a temporary credential), X-Amz-Region-Set (SigV4A)
// and X-Amz-Signature to r.URL.RawQuery, replacing any earlier ones. Headers
// present on r are signed as by Sign and must be sent with the URL.
func (s *Signer) Presign(r *http.Request, o SignOptions) (Signed, error) {
	return s.sign(r, o, true)
}

// unsignedHeaders are never signed by Sign and Presign.
func unsignedHeader(lower string) bool {
	switch lower {
	case "authorization", "user-agent", "x-amzn-trace-id", "expect", "transfer-encoding",
		"connection", "keep-alive", "te", "trailer", "upgrade":
		return true
	}
	return strings.HasPrefix(lower, "proxy-")
}

func (s *Signer) sign(r *http.Request, o SignOptions, presign bool) (Signed, error) {
	var out Signed
	if r.URL == nil {
		return out, errors.New("sigv4: the request has no URL")
	}
	if !validName(o.Service) {
		return out, errors.New("sigv4: SignOptions.Service is required")
	}
	alg := o.Algorithm
	if alg == "" {
		alg = AlgorithmV4
	}
	v4a := alg == AlgorithmV4A
	if !v4a && alg != AlgorithmV4 {
		return out, errors.New("sigv4: unsupported algorithm " + quoteUser(alg))
	}
	regionSet := strings.Join(o.RegionSet, ",")
	if v4a && regionSet == "" {
		regionSet = o.Region
	}
	if !v4a && !validName(o.Region) || v4a && regionSet == "" {
		return out, errors.New("sigv4: SignOptions.Region (or RegionSet for SigV4A) is required")
	}
	t := o.Time
	if t.IsZero() {
		t = s.clock()
	}
	t = t.UTC()
	amzDate := t.Format(amzDateLayout)
	scope := amzDate[:8] + "/" + o.Service + "/" + scopeTerminator
	if !v4a {
		scope = amzDate[:8] + "/" + o.Region + "/" + o.Service + "/" + scopeTerminator
	}
	out.Algorithm = alg
	out.Credential = s.accessKeyID + "/" + scope

	secs := int64(DefaultPresignExpires / time.Second)
	if presign && o.Expires != 0 {
		secs = int64(o.Expires / time.Second)
		if o.Expires%time.Second != 0 || secs < 1 || secs > maxPresignAge {
			return out, errors.New("sigv4: SignOptions.Expires must be whole seconds from 1s to 168h")
		}
	}

	so := DefaultServiceOptions(o.Service)
	if o.PathEncoding != PathEncodingDefault {
		so.PathEncoding = o.PathEncoding
	}
	if o.PathNormalization != PathNormalizationDefault {
		so.PathNormalization = o.PathNormalization
	}
	payload := o.PayloadHash
	payloadValues, payloadHeader := r.Header["X-Amz-Content-Sha256"] // nil map is fine
	if payload == "" {
		if len(payloadValues) == 1 {
			payload = trimSpaceTab(payloadValues[0])
		}
	}
	if payload == "" {
		if presign && so.UnsignedPresignedPayload {
			payload = UnsignedPayload
		} else {
			var err error
			if payload, err = hashBody(r); err != nil {
				return out, err
			}
		}
	}
	// A presigned UNSIGNED-PAYLOAD must be announced to the verifier, which
	// otherwise hashes the body (except for S3).
	announceUnsigned := presign && payload == UnsignedPayload && !payloadHeader && !so.UnsignedPresignedPayload
	token := s.cred.SessionToken
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	h := r.Header
	h.Del("Authorization")
	h.Del("X-Amz-Security-Token")
	if presign {
		h.Del("X-Amz-Date")
		h.Del("X-Amz-Region-Set")
		out.SignedHeaders = signedHeaderList(r)
		q := []byte(stripAuthParams(r.URL.RawQuery))
		if len(q) > 0 {
			q = append(q, '&')
		}
		q = append(q, "X-Amz-Algorithm="...)
		q = append(q, alg...)
		q = append(q, "&X-Amz-Credential="...)
		q = appendQueryEscape(q, out.Credential)
		q = append(q, "&X-Amz-Date="...)
		q = append(q, amzDate...)
		q = append(q, "&X-Amz-Expires="...)
		q = appendInt(q, secs)
		q = append(q, "&X-Amz-SignedHeaders="...)
		q = appendQueryEscape(q, out.SignedHeaders)
		if token != "" && !o.OmitSessionToken {
			q = append(q, "&X-Amz-Security-Token="...)
			q = appendQueryEscape(q, token)
		}
		if v4a {
			q = append(q, "&X-Amz-Region-Set="...)
			q = appendQueryEscape(q, regionSet)
		}
		if announceUnsigned {
			q = append(q, "&X-Amz-Content-Sha256="+UnsignedPayload...)
		}
		r.URL.RawQuery = string(q)
	} else {
		h.Set("X-Amz-Date", amzDate)
		if token != "" && !o.OmitSessionToken {
			h.Set("X-Amz-Security-Token", token)
		}
		if v4a {
			h.Set("X-Amz-Region-Set", regionSet)
		}
		if o.AddContentSHA256Header {
			h.Set("X-Amz-Content-Sha256", payload)
		}
		out.SignedHeaders = signedHeaderList(r)
	}

	var st verifyState
	var msg string
	st.hdr, _, msg = appendCanonicalHeaders(nil, r, out.SignedHeaders)
	if msg != "" {
		return out, errors.New("sigv4: cannot sign the request's headers: " + msg)
	}
	var ok bool
	if st.qry, ok = st.q.appendCanonicalQuery(nil, r.URL.RawQuery, skipSignature); !ok {
		return out, errors.New("sigv4: the request's query string has an invalid percent-encoding")
	}
	once := so.PathEncoding == PathEncodeOnce
	norm := so.PathNormalization == PathNormalizeAlways || so.PathNormalization == PathNormalizeEither
	st.path = appendCanonicalPath(nil, &st.norm, wirePath(r), once, norm)
	st.payload = []byte(payload)
	p := authParams{v4a: v4a, amzDate: amzDate, scope: scope, signedHeaders: out.SignedHeaders}
	st.buildStringToSign(r.Method, st.path, st.qry, &p)
	out.CanonicalRequest, out.StringToSign = string(st.cr), string(st.sts)

	if v4a {
		priv, err := s.v4aPrivateKey()
		if err != nil {
			return out, err
		}
		digest := sha256.Sum256(st.sts)
		der, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
		if err != nil {
			return out, err
		}
		out.Signature = string(appendHex(nil, der))
	} else {
		key := signingKey(s.v4Keys, out.Credential, s.cred.SecretAccessKey, amzDate[:8], o.Region, o.Service)
		var m macer
		mac := m.mac(&key, st.sts)
		out.Signature = string(appendHex(nil, mac[:]))
	}

	if presign {
		q := append([]byte(r.URL.RawQuery), "&X-Amz-Signature="...)
		q = append(q, out.Signature...)
		if token != "" && o.OmitSessionToken {
			q = append(q, "&X-Amz-Security-Token="...)
			q = appendQueryEscape(q, token)
		}
		r.URL.RawQuery = string(q)
		out.URL = r.URL.String()
	} else {
		h.Set("Authorization", alg+" Credential="+out.Credential+", SignedHeaders="+out.SignedHeaders+", Signature="+out.Signature)
		if token != "" && o.OmitSessionToken {
			h.Set("X-Amz-Security-Token", token)
		}
	}
	return out, nil
}

// v4aPrivateKey returns the signer's SigV4A key, deriving it once.
func (s *Signer) v4aPrivateKey() (*ecdsa.PrivateKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.v4aKey == nil {
		k, err := DeriveV4AKey(s.accessKeyID, s.cred.SecretAccessKey)
		if err != nil {
			return nil, err
		}
		s.v4aKey = k
	}
	return s.v4aKey, nil
}

// signedHeaderList returns the sorted, ';'-separated lowercase names of the
// headers of r that Sign signs, always including host.
func signedHeaderList(r *http.Request) string {
	names := []string{"host"}
	for k := range r.Header {
		l := strings.ToLower(k)
		if l != "host" && !unsignedHeader(l) {
			names = append(names, l)
		}
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ";")
}

// stripAuthParams removes presigned-URL authentication parameters from a
// raw query string.
func stripAuthParams(raw string) string {
	if !strings.Contains(raw, "X-Amz-") {
		return raw
	}
	var b strings.Builder
	for rest := raw; rest != ""; {
		part := rest
		if i := strings.IndexByte(rest, '&'); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		key, _, _ := strings.Cut(part, "=")
		switch key {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
			"X-Amz-Signature", "X-Amz-Security-Token", "X-Amz-Region-Set", "X-Amz-Content-Sha256":
			continue
		}
		if part == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(part)
	}
	return b.String()
}

// hashBody returns the hex SHA-256 of the body of r, leaving the body
// readable.
func hashBody(r *http.Request) (string, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return EmptyPayloadHash, nil
	}
	h := sha256.New()
	if r.GetBody != nil {
		rc, err := r.GetBody()
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return "", err
		}
	} else {
		data, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return "", err
		}
		h.Write(data)
		r.Body = io.NopCloser(bytes.NewReader(data))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	}
	return string(appendHex(nil, h.Sum(nil))), nil
}
