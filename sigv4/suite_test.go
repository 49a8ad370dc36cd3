package sigv4

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The AWS signing test suite (from awslabs/aws-c-auth) lives beside the
// repository, not in it: ../shared/testdata from the repository root.
const suiteDir = "../../shared/testdata/aws-signing-test-suite"

type suiteContext struct {
	Credentials struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		Token           string `json:"token"`
	} `json:"credentials"`
	ExpirationInSeconds int64  `json:"expiration_in_seconds"`
	Normalize           bool   `json:"normalize"`
	Region              string `json:"region"`
	Service             string `json:"service"`
	SignBody            bool   `json:"sign_body"`
	Timestamp           string `json:"timestamp"`
	OmitSessionToken    bool   `json:"omit_session_token"`
}

type suiteCase struct {
	name string
	v4a  bool
	dir  string
	ctx  suiteContext
	time time.Time
}

func (c *suiteCase) file(t *testing.T, name string) (string, bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

func loadSuite(t *testing.T, kind string) []*suiteCase {
	t.Helper()
	dir := filepath.Join(suiteDir, kind)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("the AWS signing test suite is not at %s (it lives beside the repository in shared/testdata); skipping", dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	var cases []*suiteCase
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c := &suiteCase{name: e.Name(), v4a: kind == "v4a", dir: filepath.Join(dir, e.Name())}
		b, err := os.ReadFile(filepath.Join(c.dir, "context.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &c.ctx); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.time, err = time.Parse(time.RFC3339, c.ctx.Timestamp); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		cases = append(cases, c)
	}
	return cases
}

// parseRawRequest parses a request as the suite writes it, the way a Go
// server would see it: RequestURI as sent (even with a raw space, which
// net/http's parser refuses), header keys canonicalised, the Host header in
// r.Host, folded continuation lines joined with a space, values trimmed.
func parseRawRequest(t *testing.T, raw string) *http.Request {
	t.Helper()
	head, body, _ := strings.Cut(strings.ReplaceAll(raw, "\r\n", "\n"), "\n\n")
	lines := strings.Split(head, "\n")
	first := lines[0]
	sp1 := strings.IndexByte(first, ' ')
	sp2 := strings.LastIndexByte(first, ' ')
	if sp1 < 0 || sp2 <= sp1 {
		t.Fatalf("bad request line %q", first)
	}
	r := &http.Request{
		Method:     first[:sp1],
		RequestURI: first[sp1+1 : sp2],
		Proto:      first[sp2+1:],
		Header:     http.Header{},
		Body:       http.NoBody,
	}
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil {
		t.Fatalf("request URI %q: %v", r.RequestURI, err)
	}
	r.URL = u
	var lastKey string
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && lastKey != "" {
			vs := r.Header[lastKey]
			vs[len(vs)-1] += " " + strings.Trim(l, " \t")
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("bad header line %q", l)
		}
		lastKey = textproto.CanonicalMIMEHeaderKey(k)
		r.Header[lastKey] = append(r.Header[lastKey], strings.Trim(v, " \t"))
	}
	if h := r.Header["Host"]; len(h) > 0 {
		r.Host = h[0]
		delete(r.Header, "Host")
	}
	if body != "" {
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	return r
}

func (c *suiteCase) signOptions() SignOptions {
	o := SignOptions{
		Service:                c.ctx.Service,
		Region:                 c.ctx.Region,
		Time:                   c.time,
		Expires:                time.Duration(c.ctx.ExpirationInSeconds) * time.Second,
		AddContentSHA256Header: c.ctx.SignBody,
		OmitSessionToken:       c.ctx.OmitSessionToken,
		PathEncoding:           PathEncodeTwice,
		PathNormalization:      PathNormalizeNever,
	}
	if c.ctx.Normalize {
		o.PathNormalization = PathNormalizeAlways
	}
	if c.v4a {
		o.Algorithm = AlgorithmV4A
	}
	return o
}

func (c *suiteCase) credential() Credential {
	return Credential{SecretAccessKey: c.ctx.Credentials.SecretAccessKey, SessionToken: c.ctx.Credentials.Token}
}

// verifier returns a verifier set up as the case's context says (path
// normalisation on or off); strict=false uses the service defaults instead.
func (c *suiteCase) verifier(t *testing.T, strict bool) *Verifier {
	t.Helper()
	cfg := Config{
		Region:      c.ctx.Region,
		Credentials: StaticCredentials{c.ctx.Credentials.AccessKeyID: c.credential()},
		Clock:       func() time.Time { return c.time },
	}
	if strict {
		norm := PathNormalizeNever
		if c.ctx.Normalize {
			norm = PathNormalizeAlways
		}
		cfg.Services = map[string]ServiceOptions{c.ctx.Service: {PathEncoding: PathEncodeTwice, PathNormalization: norm}}
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (c *suiteCase) publicKey(t *testing.T) *ecdsa.PublicKey {
	t.Helper()
	s, ok := c.file(t, "public-key.json")
	if !ok {
		t.Fatal("public-key.json missing")
	}
	var pk struct{ X, Y string }
	if err := json.Unmarshal([]byte(s), &pk); err != nil {
		t.Fatal(err)
	}
	raw := append([]byte{4}, mustHex(t, pad64(pk.X))...)
	raw = append(raw, mustHex(t, pad64(pk.Y))...)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func pad64(s string) string { return strings.Repeat("0", 64-len(s)) + s }

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSigningSuite runs every case of the AWS signing test suite, in both
// the header and the presigned-query form: our Sign must produce the expected
// canonical request and string to sign byte for byte (and, for SigV4, the
// expected signature); the expected SigV4A signature must verify with the
// published public key, which must equal the one we derive; and our Verify
// must accept the signed requests of the suite with the clock set to the
// case's timestamp.
func TestSigningSuite(t *testing.T) {
	counts := map[string]int{}
	for _, kind := range []string{"v4", "v4a"} {
		cases := loadSuite(t, kind)
		want := map[string]int{"v4": 38, "v4a": 40}[kind]
		if len(cases) != want {
			t.Errorf("%s: found %d cases, want %d", kind, len(cases), want)
		}
		for _, c := range cases {
			t.Run(kind+"/"+c.name, func(t *testing.T) {
				if _, ok := c.file(t, "public-key.json"); c.v4a && ok {
					priv, err := DeriveV4AKey(c.ctx.Credentials.AccessKeyID, c.ctx.Credentials.SecretAccessKey)
					if err != nil {
						t.Fatal(err)
					}
					if !priv.PublicKey.Equal(c.publicKey(t)) {
						t.Fatal("derived SigV4A public key differs from public-key.json")
					}
				}
				for _, form := range []string{"header", "query"} {
					if runSuiteForm(t, c, form) {
						counts[kind+"/"+form]++
					}
				}
			})
		}
	}
	t.Logf("suite cases passed: %v", counts)
}

func runSuiteForm(t *testing.T, c *suiteCase, form string) bool {
	t.Helper()
	ok := true
	fail := func(format string, args ...any) {
		t.Helper()
		ok = false
		t.Errorf(form+": "+format, args...)
	}
	raw, _ := c.file(t, "request.txt")
	signer := NewSigner(c.ctx.Credentials.AccessKeyID, c.credential(), nil)
	r := parseRawRequest(t, raw)
	var signed Signed
	var err error
	if form == "header" {
		signed, err = signer.Sign(r, c.signOptions())
	} else {
		signed, err = signer.Presign(r, c.signOptions())
	}
	if err != nil {
		fail("sign: %v", err)
		return false
	}
	wantCR, haveExpected := c.file(t, form+"-canonical-request.txt")
	if haveExpected {
		if signed.CanonicalRequest != wantCR {
			fail("canonical request:\n%s\nwant:\n%s", signed.CanonicalRequest, wantCR)
		}
		wantSTS, _ := c.file(t, form+"-string-to-sign.txt")
		if signed.StringToSign != wantSTS {
			fail("string to sign:\n%s\nwant:\n%s", signed.StringToSign, wantSTS)
		}
		wantSig, _ := c.file(t, form+"-signature.txt")
		wantSig = strings.TrimSpace(wantSig)
		if !c.v4a && signed.Signature != wantSig {
			fail("signature %s, want %s", signed.Signature, wantSig)
		}
		if c.v4a {
			digest := sha256.Sum256([]byte(wantSTS))
			if !ecdsa.VerifyASN1(c.publicKey(t), digest[:], mustHex(t, wantSig)) {
				fail("the suite's signature does not verify with public-key.json")
			}
			if !ecdsa.VerifyASN1(c.publicKey(t), sha256Of(signed.StringToSign), mustHex(t, signed.Signature)) {
				fail("our signature does not verify with public-key.json")
			}
		}
	} else {
		// Cases the suite publishes without expected output (two SigV4A
		// query-order cases): check the canonical query order by hand.
		want := map[string]string{
			"get-vanilla-query-order-key":   "Param1=Value1&Param1=value2",
			"get-vanilla-query-order-value": "Param1=value1&Param1=value2",
		}[c.name]
		if want == "" {
			fail("no expected output for this case")
		} else if got := strings.Split(signed.CanonicalRequest, "\n")[2]; !strings.HasPrefix(got, want) {
			fail("canonical query %q, want it to start with %q", got, want)
		}
	}

	// Our own signed request verifies (after a trip through the wire).
	if err := verifyWire(t, c.verifier(t, true), r, c.ctx.Service); err != nil {
		fail("Verify of our signed request: %v", err)
	}
	// The suite's signed request verifies, with the context's options and
	// with the service defaults.
	if signedRaw, ok := c.file(t, form+"-signed-request.txt"); ok {
		for _, strict := range []bool{true, false} {
			sr := parseRawRequest(t, signedRaw)
			res, err := c.verifier(t, strict).Verify(sr, c.ctx.Service)
			if err != nil {
				var e *Error
				if errors.As(err, &e) {
					fail("Verify(%s-signed-request.txt, strict=%v): %v\ncanonical request:\n%s", form, strict, err, e.CanonicalRequest())
				} else {
					fail("Verify(%s-signed-request.txt): %v", form, err)
				}
				continue
			}
			if res.AccessKeyID != c.ctx.Credentials.AccessKeyID || res.Service != c.ctx.Service ||
				res.Region != c.ctx.Region || !res.SigningTime.Equal(c.time) || res.Presigned != (form == "query") ||
				res.HasSessionToken != (c.ctx.Credentials.Token != "") {
				fail("unexpected result %+v", res)
			}
			if c.v4a != (res.Algorithm == AlgorithmV4A) {
				fail("algorithm %s", res.Algorithm)
			}
		}
	} else if haveExpected {
		fail("%s-signed-request.txt missing", form)
	}
	return ok
}

func sha256Of(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// verifyWire sends a client-side request through the HTTP/1.1 wire format
// and verifies what a server reads.
func verifyWire(t testing.TB, v *Verifier, r *http.Request, service string) error {
	t.Helper()
	sr := toServer(t, r)
	_, err := v.Verify(sr, service)
	return err
}

// toServer writes r as HTTP/1.1 and reads it back as a server would, unless
// its path cannot travel raw (the suite's raw spaces), in which case the
// client-side request is adapted by hand.
func toServer(t testing.TB, r *http.Request) *http.Request {
	t.Helper()
	if r.RequestURI != "" {
		// Already a server-side request (from parseRawRequest): just rebuild
		// the URI from the updated query.
		c := r.Clone(r.Context())
		path, _, _ := strings.Cut(r.RequestURI, "?")
		c.RequestURI = path
		if r.URL.RawQuery != "" {
			c.RequestURI += "?" + r.URL.RawQuery
		}
		return c
	}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufioReader(&buf))
	if err != nil {
		t.Fatalf("reading back %q: %v", buf.String(), err)
	}
	return sr
}
