package sigv4

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"math/big"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	smithycreds "github.com/aws/smithy-go/aws-http-auth/credentials"
	"github.com/aws/smithy-go/aws-http-auth/sigv4a"
	smithyv4 "github.com/aws/smithy-go/aws-http-auth/v4"
)

// Differential tests: random requests signed by aws-sdk-go-v2's SigV4 signer
// and by smithy-go's SigV4A signer must verify; every single-byte change to
// what the signature covers must be refused with the right code.

const diffSeed = 20250601

type payloadMode int

const (
	payloadUnsigned  payloadMode = iota // x-amz-content-sha256: UNSIGNED-PAYLOAD
	payloadHexHeader                    // x-amz-content-sha256: <hex>
	payloadNone                         // no header: the body hash is in the canonical request
)

// genCase is one random request and how to sign it.
type genCase struct {
	method   string
	host     string
	path     string // decoded
	rawPath  string // escaped, when it must differ from Go's default escaping
	rawQuery string
	headers  [][2]string
	body     []byte
	mode     payloadMode
	temp     bool
	service  string
	when     time.Time
	presign  bool
}

type gen struct {
	rng *rand.Rand
	// smithy: constraints of smithy-go's canonicalisation, which sorts
	// query keys and repeated values before encoding and only trims header
	// values.
	smithy bool
}

const unreservedChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"

func (g *gen) pick(s string) string {
	rs := []rune(s)
	return string(rs[g.rng.IntN(len(rs))])
}

func (g *gen) alnum(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(unreservedChars[g.rng.IntN(62)])
	}
	return b.String()
}

// text returns a random string of 1..max characters drawn mostly from
// unreserved characters, with spaces, punctuation and non-ASCII letters.
func (g *gen) text(max int, extra string) string {
	var b strings.Builder
	for range 1 + g.rng.IntN(max) {
		if g.rng.IntN(4) == 0 {
			b.WriteString(g.pick(extra))
		} else {
			b.WriteString(g.pick(unreservedChars))
		}
	}
	return b.String()
}

// queryEscape encodes a query component the way a random client might:
// unreserved bytes raw, space as '+' or %20, some punctuation raw, the rest
// as %XX in either case.
func (g *gen) queryEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c):
			b.WriteByte(c)
		case c == ' ' && g.rng.IntN(2) == 0:
			b.WriteByte('+')
		case strings.IndexByte("/:@!$'()*,", c) >= 0 && g.rng.IntN(2) == 0:
			b.WriteByte(c)
		default:
			h := fmt.Sprintf("%%%02X", c)
			if g.rng.IntN(3) == 0 {
				h = strings.ToLower(h)
			}
			b.WriteString(h)
		}
	}
	return b.String()
}

func (g *gen) newCase() *genCase {
	c := &genCase{
		method:  []string{"GET", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}[g.rng.IntN(8)],
		host:    "svc-" + strings.ToLower(g.alnum(6)) + ".7d67968.vpc-lattice-svcs.us-west-2.on.aws",
		mode:    payloadMode(g.rng.IntN(3)),
		temp:    g.rng.IntN(2) == 0,
		service: []string{testService, testService, "execute-api", "sts"}[g.rng.IntN(4)],
		when:    time.Date(2025, 6, 1, 1+g.rng.IntN(22), g.rng.IntN(60), g.rng.IntN(60), 0, time.UTC),
	}
	if g.rng.IntN(4) == 0 {
		c.host += ":8443"
	}
	// Path: always starts with an alphanumeric segment (mutations need
	// one), then random segments with unusual characters.
	segs := []string{"v1" + g.alnum(2)}
	escSegs := []string{segs[0]}
	for range g.rng.IntN(4) {
		switch k := g.rng.IntN(10); {
		case k == 0 && !g.smithy:
			segs, escSegs = append(segs, ".."), append(escSegs, "..")
		case k == 1:
			segs, escSegs = append(segs, ""), append(escSegs, "")
		case k == 2:
			// An encoded slash inside a segment.
			a, b := g.alnum(2), g.alnum(2)
			segs, escSegs = append(segs, a+"/"+b), append(escSegs, a+"%2F"+b)
		default:
			s := g.text(8, " !$&'()*+,;=:@%ሴé")
			segs, escSegs = append(segs, s), append(escSegs, (&url.URL{Path: s}).EscapedPath())
		}
	}
	c.path = "/" + strings.Join(segs, "/")
	c.rawPath = "/" + strings.Join(escSegs, "/")
	if g.rng.IntN(5) == 0 {
		c.path += "/"
		c.rawPath += "/"
	}
	// Query: repeated keys, empty values, keys without '=', unicode.
	var params []string
	keys := []string{}
	for range g.rng.IntN(6) {
		var key string
		if len(keys) > 0 && g.rng.IntN(3) == 0 {
			key = keys[g.rng.IntN(len(keys))]
		} else if g.smithy {
			key = g.alnum(1 + g.rng.IntN(5))
		} else {
			key = g.text(6, " /+=&?ሴé:")
		}
		repeated := false
		for _, k := range keys {
			repeated = repeated || k == key
		}
		keys = append(keys, key)
		switch v := g.rng.IntN(6); {
		case v == 0 && !g.smithy:
			params = append(params, g.queryEscape(key))
		case v == 1:
			params = append(params, g.queryEscape(key)+"=")
		case g.smithy && repeated:
			params = append(params, g.queryEscape(key)+"="+g.alnum(1+g.rng.IntN(4)))
		default:
			params = append(params, g.queryEscape(key)+"="+g.queryEscape(g.text(10, " /+=&?ሴé:,")))
		}
	}
	if g.smithy {
		// smithy-go sorts repeated keys' values before encoding: make sure
		// no key repeats with a value that is not alphanumeric.
		seen := map[string]int{}
		for _, k := range keys {
			seen[k]++
		}
		var kept []string
		for i, p := range params {
			if seen[keys[i]] > 1 {
				_, v, _ := strings.Cut(p, "=")
				if strings.Trim(v, unreservedChars[:62]) != "" || v == "" {
					continue
				}
			}
			kept = append(kept, p)
		}
		params = kept
	}
	c.rawQuery = strings.Join(params, "&")
	// Headers: spaces inside and around, repeats.
	prefix := "X-Test-"
	if g.smithy {
		prefix = "X-Amz-Test-"
	}
	for i := range g.rng.IntN(4) {
		name := prefix + strconv.Itoa(i)
		for range 1 + g.rng.IntN(2) {
			v := g.text(12, " ,;:\"")
			if !g.smithy && g.rng.IntN(2) == 0 {
				v = " " + v + "   x  y "
			}
			if g.smithy {
				for strings.Contains(v, "  ") {
					v = strings.ReplaceAll(v, "  ", " ")
				}
			}
			c.headers = append(c.headers, [2]string{name, v})
		}
	}
	if g.rng.IntN(3) == 0 {
		c.headers = append(c.headers, [2]string{"Content-Type", "application/json; charset=utf-8"})
	}
	if c.method == "POST" || c.method == "PUT" || c.method == "PATCH" {
		c.body = make([]byte, g.rng.IntN(300))
		for i := range c.body {
			c.body[i] = byte(g.rng.IntN(256))
		}
	}
	return c
}

func (c *genCase) request(t testing.TB) *http.Request {
	t.Helper()
	u := &url.URL{Scheme: "https", Host: c.host, Path: c.path, RawPath: c.rawPath, RawQuery: c.rawQuery}
	var body io.Reader
	if len(c.body) > 0 {
		body = bytes.NewReader(c.body)
	}
	r, err := http.NewRequest(c.method, u.String(), body)
	if err != nil {
		t.Fatal(err)
	}
	r.URL = u
	for _, h := range c.headers {
		r.Header.Add(h[0], h[1])
	}
	return r
}

func (c *genCase) payloadHash() string {
	if c.mode == payloadUnsigned {
		return UnsignedPayload
	}
	sum := sha256.Sum256(c.body)
	return hex.EncodeToString(sum[:])
}

func (c *genCase) akid() string {
	if c.temp {
		return testTempAKID
	}
	return testAKID
}

func (c *genCase) sdkCredentials() aws.Credentials {
	cr := aws.Credentials{AccessKeyID: c.akid(), SecretAccessKey: testSecret}
	if c.temp {
		cr.SessionToken = testToken
	}
	return cr
}

// signSDK signs with aws-sdk-go-v2 (header or presigned form) and returns the
// request as a server receives it.
func (c *genCase) signSDK(t testing.TB) *http.Request {
	t.Helper()
	r := c.request(t)
	if c.mode != payloadNone {
		// Sent as a header in both forms (the SDK does not hoist it into
		// the query), as VPC Lattice requires.
		r.Header.Set("X-Amz-Content-Sha256", c.payloadHash())
	}
	s := sdkv4.NewSigner()
	if !c.presign {
		if err := s.SignHTTP(context.Background(), c.sdkCredentials(), r, c.payloadHash(), c.service, testRegion, c.when); err != nil {
			t.Fatal(err)
		}
		return toServer(t, r)
	}
	if r.URL.RawQuery != "" {
		r.URL.RawQuery += "&"
	}
	r.URL.RawQuery += "X-Amz-Expires=300"
	signedURL, hdr, err := s.PresignHTTP(context.Background(), c.sdkCredentials(), r, c.payloadHash(), c.service, testRegion, c.when)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := http.NewRequest(c.method, signedURL, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.body) == 0 {
		pr.Body, pr.ContentLength = http.NoBody, 0
	}
	for k, vs := range hdr {
		if k != "Host" {
			pr.Header[k] = vs
		}
	}
	return toServer(t, pr)
}

// signSmithy signs with smithy-go's SigV4A signer.
func (c *genCase) signSmithy(t testing.TB) *http.Request {
	t.Helper()
	r := c.request(t)
	var hash []byte
	if c.mode == payloadUnsigned {
		hash = smithyv4.UnsignedPayload()
	} else {
		sum := sha256.Sum256(c.body)
		hash = sum[:]
	}
	s := sigv4a.New(func(o *smithyv4.SignerOptions) { o.AddPayloadHashHeader = c.mode != payloadNone })
	in := &sigv4a.SignRequestInput{
		Request:     r,
		PayloadHash: hash,
		Credentials: smithycreds.Credentials{AccessKeyID: c.akid(), SecretAccessKey: testSecret},
		Service:     c.service,
		RegionSet:   []string{"eu-central-1", "us-*"},
		Time:        c.when,
	}
	if c.temp {
		in.Credentials.SessionToken = testToken
	}
	if c.presign {
		in.SignatureType = smithyv4.SignatureTypeQueryString
	}
	if err := s.SignRequest(in); err != nil {
		t.Fatal(err)
	}
	return toServer(t, r)
}

// mutation is a single-byte change to a received request, and the error
// code it must cause ("" when the change is outside the signature).
type mutation struct {
	name  string
	apply func(*http.Request) bool // false when not applicable
	code  string
}

// alnumPositions lists the indexes of letters and digits of s that are not
// part of a %XX escape.
func alnumPositions(s string) []int {
	var out []int
	for i := 0; i < len(s); i++ {
		c := s[i]
		inEscape := i >= 1 && s[i-1] == '%' || i >= 2 && s[i-2] == '%'
		if !inEscape && ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			out = append(out, i)
		}
	}
	return out
}

func changeByte(rng *rand.Rand, s string, positions []int) string {
	i := positions[rng.IntN(len(positions))]
	c := s[i]
	n := c
	for n == c || n|0x20 == c|0x20 { // a different letter, not just its case
		n = unreservedChars[rng.IntN(62)]
	}
	return s[:i] + string(n) + s[i+1:]
}

func setRequestURI(r *http.Request, uri string) bool {
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return false
	}
	r.RequestURI, r.URL = uri, u
	return true
}

func mutations(rng *rand.Rand, c *genCase, mismatch string) []mutation {
	bodyCode := map[payloadMode]string{payloadUnsigned: "", payloadHexHeader: CodeContentSHA256Mismatch, payloadNone: mismatch}[c.mode]
	return []mutation{
		{"method", func(r *http.Request) bool {
			for m := r.Method; m == r.Method; {
				r.Method = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"}[rng.IntN(8)]
			}
			return true
		}, mismatch},
		{"path", func(r *http.Request) bool {
			path, query, _ := strings.Cut(r.RequestURI, "?")
			pos := alnumPositions(path)
			if len(pos) == 0 {
				return false
			}
			uri := changeByte(rng, path, pos)
			if query != "" {
				uri += "?" + query
			}
			return setRequestURI(r, uri)
		}, mismatch},
		{"query", func(r *http.Request) bool {
			path, query, _ := strings.Cut(r.RequestURI, "?")
			// Only the caller's parameters, not the X-Amz-* ones.
			var pos []int
			off := 0
			for _, p := range strings.Split(query, "&") {
				if !strings.HasPrefix(p, "X-Amz-") {
					for _, i := range alnumPositions(p) {
						pos = append(pos, off+i)
					}
				}
				off += len(p) + 1
			}
			if len(pos) == 0 {
				return false
			}
			return setRequestURI(r, path+"?"+changeByte(rng, query, pos))
		}, mismatch},
		{"signed header", func(r *http.Request) bool {
			for _, k := range slices.Sorted(maps.Keys(r.Header)) {
				vs := r.Header[k]
				if strings.HasPrefix(k, "X-Test-") || strings.HasPrefix(k, "X-Amz-Test-") {
					if pos := alnumPositions(vs[0]); len(pos) > 0 {
						r.Header[k] = append([]string{changeByte(rng, vs[0], pos)}, vs[1:]...)
						return true
					}
				}
			}
			return false
		}, mismatch},
		{"host", func(r *http.Request) bool {
			r.Host = changeByte(rng, r.Host, alnumPositions(r.Host[:4]))
			return true
		}, mismatch},
		{"date", func(r *http.Request) bool {
			next := c.when.Add(time.Second).Format(amzDateLayout)
			if d := r.Header.Get("X-Amz-Date"); d != "" {
				r.Header.Set("X-Amz-Date", next)
				return true
			}
			path, query, _ := strings.Cut(r.RequestURI, "?")
			q := strings.Replace(query, "X-Amz-Date="+c.when.Format(amzDateLayout), "X-Amz-Date="+next, 1)
			return q != query && setRequestURI(r, path+"?"+q)
		}, mismatch},
		{"body", func(r *http.Request) bool {
			if len(c.body) == 0 {
				return false
			}
			b := bytes.Clone(c.body)
			b[rng.IntN(len(b))] ^= 1 << rng.IntN(8)
			r.Body = io.NopCloser(bytes.NewReader(b))
			return true
		}, bodyCode},
		{"signature", func(r *http.Request) bool {
			if a := r.Header.Get("Authorization"); a != "" {
				i := strings.Index(a, "Signature=") + len("Signature=")
				pos := []int{}
				for k := i; k < len(a); k++ {
					pos = append(pos, k)
				}
				k := pos[rng.IntN(len(pos))]
				r.Header.Set("Authorization", a[:k]+flipHex(a[k])+a[k+1:])
				if a[k] == flipHex(a[k])[0] {
					return false
				}
				return true
			}
			path, query, _ := strings.Cut(r.RequestURI, "?")
			i := strings.Index(query, "X-Amz-Signature=") + len("X-Amz-Signature=")
			j := i + strings.IndexByte(query[i:]+"&", '&')
			k := i + rng.IntN(j-i)
			return setRequestURI(r, path+"?"+query[:k]+flipHex(query[k])+query[k+1:])
		}, mismatch},
	}
}

// cloneServer copies a received request, with a fresh body.
func cloneServer(r *http.Request, body []byte) *http.Request {
	c := r.Clone(context.Background())
	c.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) == 0 {
		c.Body = http.NoBody
	}
	return c
}

func diffStore() StaticCredentials {
	return StaticCredentials{
		testAKID:     {SecretAccessKey: testSecret},
		testTempAKID: {SecretAccessKey: testSecret, SessionToken: testToken},
	}
}

func runDifferential(t *testing.T, n int, smithy bool, sign func(*genCase, testing.TB) *http.Request) (verified, rejected int) {
	g := &gen{rng: rand.New(rand.NewPCG(diffSeed, uint64(n))), smithy: smithy}
	for i := range n {
		c := g.newCase()
		c.presign = i%3 == 2
		if c.presign {
			c.mode = []payloadMode{payloadUnsigned, payloadNone}[i%2]
			if smithy {
				c.mode = payloadNone
			}
		}
		mismatch := CodeInvalidSignature
		if c.service == "sts" {
			mismatch = CodeSignatureDoesNotMatch
		}
		clock := c.when.Add(time.Duration(g.rng.IntN(480)-240) * time.Second)
		v := newTestVerifier(t, func(cfg *Config) {
			cfg.Clock = func() time.Time { return clock }
			cfg.Credentials = diffStore()
		})
		sr := sign(c, t)
		desc := fmt.Sprintf("case %d: %s %s (mode %d, presign %v, temp %v, service %s)", i, sr.Method, sr.RequestURI, c.mode, c.presign, c.temp, c.service)
		res, err := v.Verify(cloneServer(sr, c.body), c.service)
		if err != nil {
			var e *Error
			if errorsAs(err, &e) {
				t.Fatalf("%s: %v\nexpected canonical request:\n%s", desc, err, e.CanonicalRequest())
			}
			t.Fatalf("%s: %v", desc, err)
		}
		verified++
		if res.HasSessionToken != c.temp || res.Presigned != c.presign || res.PayloadSigned != (c.mode != payloadUnsigned) {
			t.Fatalf("%s: result %+v", desc, res)
		}
		for _, m := range mutations(g.rng, c, mismatch) {
			mr := cloneServer(sr, c.body)
			if !m.apply(mr) {
				continue
			}
			_, err := v.Verify(mr, c.service)
			if m.code == "" {
				if err != nil {
					t.Fatalf("%s: mutation %s outside the signature refused: %v", desc, m.name, err)
				}
				continue
			}
			var e *Error
			if !errorsAs(err, &e) || e.Code != m.code {
				t.Fatalf("%s: mutation %s: got %v, want %s (%s %s)", desc, m.name, err, m.code, mr.Method, mr.RequestURI)
			}
			rejected++
		}
	}
	return verified, rejected
}

func TestDifferentialSDKv4(t *testing.T) {
	v, r := runDifferential(t, 300, false, func(c *genCase, tb testing.TB) *http.Request { return c.signSDK(tb) })
	t.Logf("aws-sdk-go-v2 SigV4: %d signed requests verified, %d single-byte mutations refused", v, r)
}

func TestDifferentialSmithyV4A(t *testing.T) {
	n := 120
	if testing.Short() {
		n = 30
	}
	v, r := runDifferential(t, n, true, func(c *genCase, tb testing.TB) *http.Request { return c.signSmithy(tb) })
	t.Logf("smithy-go SigV4A: %d signed requests verified, %d single-byte mutations refused", v, r)
}

// Our Signer produces byte-for-byte the signatures aws-sdk-go-v2 produces,
// header and presigned forms, and its output verifies.
func TestSignMatchesSDK(t *testing.T) {
	g := &gen{rng: rand.New(rand.NewPCG(diffSeed, 7))}
	for i := range 300 {
		c := g.newCase()
		c.presign = i%2 == 1
		if c.presign {
			c.body, c.headers = nil, nil
		}
		// The SDK strips a default port and signs content-length from
		// ContentLength: give both signers the same request.
		base := c.request(t)
		if len(c.body) > 0 {
			base.Header.Set("Content-Length", strconv.Itoa(len(c.body)))
		}
		if c.mode != payloadNone {
			base.Header.Set("X-Amz-Content-Sha256", c.payloadHash())
		}
		sdkReq := base.Clone(context.Background())
		ourReq := base.Clone(context.Background())
		ourReq.Body, sdkReq.Body = io.NopCloser(bytes.NewReader(c.body)), io.NopCloser(bytes.NewReader(c.body))
		s := NewSigner(c.akid(), Credential{SecretAccessKey: testSecret, SessionToken: c.sdkCredentials().SessionToken}, nil)
		o := SignOptions{Service: c.service, Region: testRegion, Time: c.when, PayloadHash: c.payloadHash(),
			PathNormalization: PathNormalizeNever, Expires: 300 * time.Second}
		var want, got string
		if !c.presign {
			if err := sdkv4.NewSigner().SignHTTP(context.Background(), c.sdkCredentials(), sdkReq, c.payloadHash(), c.service, testRegion, c.when); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Sign(ourReq, o); err != nil {
				t.Fatal(err)
			}
			want, got = sdkReq.Header.Get("Authorization"), ourReq.Header.Get("Authorization")
		} else {
			sdkReq.URL.RawQuery = strings.TrimPrefix(sdkReq.URL.RawQuery+"&X-Amz-Expires=300", "&")
			u, _, err := sdkv4.NewSigner().PresignHTTP(context.Background(), c.sdkCredentials(), sdkReq, c.payloadHash(), c.service, testRegion, c.when)
			if err != nil {
				t.Fatal(err)
			}
			pu, _ := url.Parse(u)
			want = pu.Query().Get("X-Amz-Signature")
			signed, err := s.Presign(ourReq, o)
			if err != nil {
				t.Fatal(err)
			}
			got = signed.Signature
		}
		if got != want {
			t.Fatalf("case %d (%s %s?%s presign=%v): our signature\n%s\nSDK:\n%s", i, c.method, c.rawPath, c.rawQuery, c.presign, got, want)
		}
		v := newTestVerifier(t, func(cfg *Config) {
			cfg.Clock = func() time.Time { return c.when }
			cfg.Credentials = diffStore()
		})
		if _, err := v.Verify(cloneServer(toServer(t, ourReq), c.body), c.service); err != nil {
			t.Fatalf("case %d: our signed request does not verify: %v", i, err)
		}
	}
}

// Our Signer's output verifies (SigV4 and SigV4A, both forms, normalised
// paths), and mutations are refused.
func TestSignVerifyRoundTrip(t *testing.T) {
	n := 150
	v, r := runDifferential(t, n, false, func(c *genCase, tb testing.TB) *http.Request {
		req := c.request(tb)
		o := SignOptions{Service: c.service, Region: testRegion, Time: c.when, PathNormalization: PathNormalizeNever,
			AddContentSHA256Header: c.mode != payloadNone, Expires: 300 * time.Second}
		if c.mode != payloadNone {
			o.PayloadHash = c.payloadHash()
		}
		if c.when.Second()%2 == 0 {
			o.Algorithm, o.RegionSet = AlgorithmV4A, []string{"us-west-2"}
		}
		s := NewSigner(c.akid(), Credential{SecretAccessKey: testSecret, SessionToken: c.sdkCredentials().SessionToken}, nil)
		var err error
		if c.presign {
			_, err = s.Presign(req, o)
		} else {
			_, err = s.Sign(req, o)
		}
		if err != nil {
			tb.Fatal(err)
		}
		return toServer(tb, req)
	})
	t.Logf("our Signer: %d signed requests verified, %d single-byte mutations refused", v, r)
}

// refDeriveV4A is a second, independent implementation of the SigV4A key
// derivation (math/big, crypto/hmac), to check DeriveV4AKey against.
func refDeriveV4A(akid, secret string) (x, y *big.Int) {
	n1 := new(big.Int).Sub(elliptic.P256().Params().N, big.NewInt(2))
	for counter := byte(1); ; counter++ {
		m := hmac.New(sha256.New, []byte("AWS4A"+secret))
		m.Write([]byte{0, 0, 0, 1})
		m.Write([]byte("AWS4-ECDSA-P256-SHA256"))
		m.Write([]byte{0})
		m.Write([]byte(akid))
		m.Write([]byte{counter})
		m.Write([]byte{0, 0, 1, 0})
		c := new(big.Int).SetBytes(m.Sum(nil))
		if c.Cmp(n1) <= 0 {
			d := c.Add(c, big.NewInt(1))
			return elliptic.P256().ScalarBaseMult(d.FillBytes(make([]byte, 32)))
		}
	}
}

func TestDeriveV4AKeyReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(diffSeed, 3))
	g := &gen{rng: rng}
	for range 50 {
		akid, secret := "AKIA"+strings.ToUpper(g.alnum(16)), g.alnum(40)
		priv, err := DeriveV4AKey(akid, secret)
		if err != nil {
			t.Fatal(err)
		}
		x, y := refDeriveV4A(akid, secret)
		raw, _ := priv.PublicKey.Bytes()
		if !bytes.Equal(raw[1:33], x.FillBytes(make([]byte, 32))) || !bytes.Equal(raw[33:], y.FillBytes(make([]byte, 32))) {
			t.Fatalf("DeriveV4AKey(%s) differs from the reference", akid)
		}
		// A signature by our Signer verifies with the reference key.
		r, _ := http.NewRequest("GET", "https://example.com/x", nil)
		signed, err := NewSigner(akid, Credential{SecretAccessKey: secret}, nil).Sign(r,
			SignOptions{Service: "svc", Algorithm: AlgorithmV4A, RegionSet: []string{"*"}, Time: testNow})
		if err != nil {
			t.Fatal(err)
		}
		pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}
		der, _ := hex.DecodeString(signed.Signature)
		if !ecdsa.VerifyASN1(pub, sha256Of(signed.StringToSign), der) {
			t.Fatal("our SigV4A signature does not verify with the reference key")
		}
	}
	// The comparison against n-2 is right at the edges.
	limit := p256NMinus2()
	below, above := limit, limit
	below[31]--
	above[31]++
	if !lessOrEqual(&below, &limit) || !lessOrEqual(&limit, &limit) || lessOrEqual(&above, &limit) {
		t.Fatal("lessOrEqual")
	}
	var zero, max [32]byte
	for i := range max {
		max[i] = 0xff
	}
	if !lessOrEqual(&zero, &limit) || lessOrEqual(&max, &limit) {
		t.Fatal("lessOrEqual at the extremes")
	}
}
