package sigv4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	testAKID     = "AKIDEXAMPLE"
	testSecret   = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testTempAKID = "ASIAEXAMPLETEMP"
	testToken    = "FwoGZXIvYXdzEXAMPLE//////////token+with/slashes=="
	testRegion   = "us-west-2"
	testService  = "vpc-lattice-svcs"
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func testStore() StaticCredentials {
	return StaticCredentials{
		testAKID:       {SecretAccessKey: testSecret},
		testTempAKID:   {SecretAccessKey: testSecret, SessionToken: testToken, Expires: testNow.Add(time.Hour)},
		"ASIAEXPIRED":  {SecretAccessKey: testSecret, SessionToken: testToken, Expires: testNow.Add(-time.Second)},
		"AKIDNOSECRET": {},
	}
}

func newTestVerifier(t testing.TB, mod func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{Region: testRegion, Credentials: testStore(), Clock: func() time.Time { return testNow }}
	if mod != nil {
		mod(&cfg)
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// signedGET returns a server-side view of a GET signed by our Signer, after
// mod (if any) changed the request or options before signing.
func signedGET(t testing.TB, akid string, presign bool, mod func(*http.Request, *SignOptions)) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, "https://svc-0123.7d67968.vpc-lattice-svcs.us-west-2.on.aws/orders/42?x=1&y=two", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
	o := SignOptions{Service: testService, Region: testRegion, Time: testNow.Add(-time.Minute)}
	if mod != nil {
		mod(r, &o)
	}
	cred := testStore()[akid]
	if cred.SecretAccessKey == "" {
		cred.SecretAccessKey = testSecret
	}
	s := NewSigner(akid, cred, nil)
	if presign {
		r.Header.Del("X-Amz-Content-Sha256")
		_, err = s.Presign(r, o)
	} else {
		_, err = s.Sign(r, o)
	}
	if err != nil {
		t.Fatal(err)
	}
	return toServer(t, r)
}

func wantCode(t *testing.T, err error, code string, status int, msgPart string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *Error %s", err, err, code)
	}
	if e.Code != code || e.Status != status {
		t.Fatalf("error %s/%d %q, want %s/%d", e.Code, e.Status, e.Message, code, status)
	}
	if msgPart != "" && !strings.Contains(e.Message, msgPart) {
		t.Fatalf("message %q does not mention %q", e.Message, msgPart)
	}
	for _, secret := range []string{testSecret, testToken} {
		if strings.Contains(e.Error(), secret) || strings.Contains(e.CanonicalRequest(), secret) || strings.Contains(fmt.Sprintf("%+v %#v", e, e), secret) {
			t.Fatalf("a secret appears in the error %v", e)
		}
	}
	return e
}

func setAuth(r *http.Request, f func(string) string) {
	r.Header.Set("Authorization", f(r.Header.Get("Authorization")))
}

func TestVerifyAccepts(t *testing.T) {
	v := newTestVerifier(t, nil)
	for _, tc := range []struct {
		name    string
		akid    string
		presign bool
		mod     func(*http.Request, *SignOptions)
		check   func(*testing.T, Result)
	}{
		{name: "header long-term", akid: testAKID, check: func(t *testing.T, r Result) {
			if r.AccessKeyID != testAKID || r.HasSessionToken || r.PayloadSigned || r.Presigned || r.Algorithm != AlgorithmV4 ||
				r.Region != testRegion || r.Service != testService || !r.SigningTime.Equal(testNow.Add(-time.Minute)) {
				t.Errorf("result %+v", r)
			}
			if got := strings.Join(r.SignedHeaderNames(), ","); got != "host,x-amz-content-sha256,x-amz-date" {
				t.Errorf("signed headers %s", got)
			}
			if got := r.Regions(); len(got) != 1 || got[0] != testRegion {
				t.Errorf("regions %v", got)
			}
		}},
		{name: "header temporary", akid: testTempAKID, check: func(t *testing.T, r Result) {
			if !r.HasSessionToken || !strings.Contains(r.SignedHeaders, "x-amz-security-token") {
				t.Errorf("result %+v", r)
			}
		}},
		{name: "presigned temporary", akid: testTempAKID, presign: true, check: func(t *testing.T, r Result) {
			if !r.Presigned || !r.HasSessionToken || !r.PayloadSigned || !r.Expires.Equal(testNow.Add(14*time.Minute)) {
				t.Errorf("result %+v", r)
			}
		}},
		{name: "presigned 7 days, used after 6", akid: testAKID, presign: true, mod: func(_ *http.Request, o *SignOptions) {
			o.Expires, o.Time = 7*24*time.Hour, testNow.Add(-6*24*time.Hour)
		}},
		{name: "sigv4a region set wildcard", akid: testTempAKID, mod: func(_ *http.Request, o *SignOptions) {
			o.Algorithm, o.RegionSet = AlgorithmV4A, []string{"eu-west-1", "us-*"}
		}, check: func(t *testing.T, r Result) {
			if r.Algorithm != AlgorithmV4A || r.Region != testRegion || r.RegionSet != "eu-west-1,us-*" || len(r.Regions()) != 2 {
				t.Errorf("result %+v", r)
			}
		}},
		{name: "sigv4a star presigned", akid: testAKID, presign: true, mod: func(_ *http.Request, o *SignOptions) {
			o.Algorithm, o.RegionSet = AlgorithmV4A, []string{"*"}
		}},
		{name: "signing time at the skew limit", akid: testAKID, mod: func(_ *http.Request, o *SignOptions) { o.Time = testNow.Add(5 * time.Minute) }},
		{name: "path with escapes and dot segments", akid: testAKID, mod: func(r *http.Request, o *SignOptions) {
			r.URL.Path, r.URL.RawPath = "/a b/./c%2Fd/../é", "/a%20b/./c%252Fd/../%C3%A9"
		}, check: func(t *testing.T, r Result) {
			if !r.PathNormalized {
				t.Error("our signer signs the normalised path; PathNormalized should say so")
			}
		}},
		{name: "path as is (aws-sdk-go-v2 style)", akid: testAKID, mod: func(r *http.Request, o *SignOptions) {
			r.URL.Path = "/a//b/../c"
			o.PathNormalization = PathNormalizeNever
		}, check: func(t *testing.T, r Result) {
			if r.PathNormalized {
				t.Error("PathNormalized for an as-is signature")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := signedGET(t, tc.akid, tc.presign, tc.mod)
			res, err := v.Verify(r, testService)
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

// A request dated by a signed Date header instead of X-Amz-Date verifies
// (the string to sign carries the ISO 8601 form of that date).
func TestVerifyDateHeader(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "https://example.com/", nil)
	r.Header.Set("Date", testNow.Format(http.TimeFormat))
	r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
	p := authParams{
		amzDate:       testNow.Format(amzDateLayout),
		scope:         testNow.Format("20060102") + "/" + testRegion + "/svc/aws4_request",
		signedHeaders: "date;host;x-amz-content-sha256",
	}
	var st verifyState
	st.hdr, _, _ = appendCanonicalHeaders(nil, r, p.signedHeaders)
	st.payload = []byte(UnsignedPayload)
	st.buildStringToSign("GET", []byte("/"), nil, &p)
	key := newV4KeyEntry(testSecret, p.scope[:8], testRegion, "svc")
	var m macer
	mac := m.mac(&key, st.sts)
	r.Header.Set("Authorization", AlgorithmV4+" Credential="+testAKID+"/"+p.scope+", SignedHeaders="+p.signedHeaders+
		", Signature="+string(appendHex(nil, mac[:])))
	v := newTestVerifier(t, nil)
	res, err := v.Verify(toServer(t, r), "svc")
	if err != nil {
		t.Fatal(err)
	}
	if !res.SigningTime.Equal(testNow) {
		t.Errorf("signing time %v", res.SigningTime)
	}
	// Unsigned, it is refused.
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "date;", "", 1))
	_, err = v.Verify(toServer(t, r), "svc")
	wantCode(t, err, CodeIncompleteSignature, 403, "'date'")
}

func TestVerifyRejects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		akid    string
		presign bool
		service string // default testService
		mod     func(*http.Request, *SignOptions)
		after   func(*http.Request)
		cfg     func(*Config)
		code    string
		status  int
		msg     string
	}{
		{name: "no signature", after: func(r *http.Request) { r.Header.Del("Authorization") },
			code: CodeMissingAuthenticationToken, status: 403, msg: "missing Authentication Token"},
		{name: "bearer token", after: func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") },
			code: CodeMissingAuthenticationToken, status: 403, msg: "not an AWS Signature"},
		{name: "unsupported algorithm", after: func(r *http.Request) {
			setAuth(r, func(a string) string { return strings.Replace(a, AlgorithmV4, "AWS4-HMAC-SHA512", 1) })
		}, code: CodeIncompleteSignature, status: 403, msg: "Unsupported"},
		{name: "missing Credential and Signature", after: func(r *http.Request) {
			r.Header.Set("Authorization", AlgorithmV4+" SignedHeaders=host;x-amz-date")
		}, code: CodeIncompleteSignature, status: 403, msg: "requires 'Credential' parameter. Authorization header requires 'Signature'"},
		{name: "missing SignedHeaders", after: func(r *http.Request) {
			setAuth(r, func(a string) string {
				i := strings.Index(a, "SignedHeaders=")
				j := strings.Index(a, "Signature=")
				return a[:i] + a[j:]
			})
		}, code: CodeIncompleteSignature, status: 403, msg: "'SignedHeaders'"},
		{name: "bad terminator", after: func(r *http.Request) {
			setAuth(r, func(a string) string { return strings.Replace(a, "/aws4_request", "/aws5_request", 1) })
		}, code: CodeIncompleteSignature, status: 403, msg: "terminator"},
		{name: "short scope", after: func(r *http.Request) {
			setAuth(r, func(a string) string { return strings.Replace(a, "/"+testRegion+"/", "/", 1) })
		}, code: CodeIncompleteSignature, status: 403, msg: "<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request"},
		{name: "bad scope date", after: func(r *http.Request) {
			setAuth(r, func(a string) string { return strings.Replace(a, "/20250601/", "/20251301/", 1) })
		}, code: CodeIncompleteSignature, status: 403, msg: "YYYYMMDD"},
		{name: "host not signed", after: func(r *http.Request) {
			setAuth(r, func(a string) string { return strings.Replace(a, "SignedHeaders=host;", "SignedHeaders=", 1) })
		}, code: CodeIncompleteSignature, status: 403, msg: "host"},
		{name: "x-amz-date not signed", after: func(r *http.Request) {
			setAuth(r, func(a string) string { return strings.Replace(a, ";x-amz-date", "", 1) })
		}, code: CodeIncompleteSignature, status: 403, msg: "'x-amz-date'"},
		{name: "unsorted signed headers", after: func(r *http.Request) {
			setAuth(r, func(a string) string {
				return strings.Replace(a, "host;x-amz-content-sha256;x-amz-date", "host;x-amz-date;x-amz-content-sha256", 1)
			})
		}, code: CodeIncompleteSignature, status: 403, msg: "sorted"},
		{name: "uppercase signed header", after: func(r *http.Request) {
			setAuth(r, func(a string) string { return strings.Replace(a, "SignedHeaders=host", "SignedHeaders=Host", 1) })
		}, code: CodeIncompleteSignature, status: 403, msg: "lowercase"},
		{name: "no date", after: func(r *http.Request) { r.Header.Del("X-Amz-Date") },
			code: CodeIncompleteSignature, status: 403, msg: "'X-Amz-Date' or a 'Date'"},
		{name: "malformed date", after: func(r *http.Request) { r.Header.Set("X-Amz-Date", "2025-06-01T11:59:00Z") },
			code: CodeIncompleteSignature, status: 403, msg: "YYYYMMDD'T'HHMMSS'Z'"},
		{name: "short signature", after: func(r *http.Request) {
			setAuth(r, func(a string) string { return a[:len(a)-2] })
		}, code: CodeIncompleteSignature, status: 403, msg: "64 hexadecimal"},
		{name: "non-hex signature", after: func(r *http.Request) {
			setAuth(r, func(a string) string { return a[:len(a)-1] + "g" })
		}, code: CodeIncompleteSignature, status: 403, msg: "64 hexadecimal"},
		{name: "upper-case signature", after: func(r *http.Request) {
			setAuth(r, func(a string) string {
				i := strings.LastIndex(a, "=") + 1
				return a[:i] + strings.ToUpper(a[i:])
			})
		}, code: CodeInvalidSignature, status: 403, msg: "does not match"},
		{name: "two mechanisms", after: func(r *http.Request) { r.URL.RawQuery += "&X-Amz-Signature=00" },
			code: CodeIncompleteSignature, status: 403, msg: "Only one"},
		{name: "two Authorization headers", after: func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) },
			code: CodeIncompleteSignature, status: 403, msg: "more than one Authorization"},
		{name: "wrong region", mod: func(_ *http.Request, o *SignOptions) { o.Region = "eu-west-1" },
			code: CodeInvalidSignature, status: 403, msg: "scoped to a valid region, not 'eu-west-1'"},
		{name: "wrong service", mod: func(_ *http.Request, o *SignOptions) { o.Service = "execute-api" },
			code: CodeInvalidSignature, status: 403, msg: "scoped to correct service: 'vpc-lattice-svcs'"},
		{name: "scope date differs from X-Amz-Date", after: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20250602T115900Z") },
			code: CodeInvalidSignature, status: 403, msg: "Date in Credential scope does not match"},
		{name: "scope date differs within skew", mod: func(_ *http.Request, o *SignOptions) {
			o.Time = time.Date(2025, 6, 1, 23, 59, 59, 0, time.UTC)
		}, cfg: func(c *Config) {
			c.Clock = func() time.Time { return time.Date(2025, 6, 2, 0, 0, 10, 0, time.UTC) }
		}, after: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20250602T000001Z") },
			code: CodeInvalidSignature, status: 403, msg: "'20250601' != '20250602'"},
		{name: "store entry without a secret", akid: "AKIDNOSECRET", code: CodeInvalidClientTokenID, status: 403},
		{name: "unknown key", akid: "AKIDUNKNOWN", code: CodeInvalidClientTokenID, status: 403, msg: "security token included in the request is invalid"},
		{name: "temporary key without token", akid: testTempAKID, mod: func(_ *http.Request, o *SignOptions) { o.OmitSessionToken = true },
			after: func(r *http.Request) { r.Header.Del("X-Amz-Security-Token") },
			code:  CodeInvalidClientTokenID, status: 403, msg: "invalid"},
		{name: "temporary key wrong token", akid: testTempAKID, mod: func(_ *http.Request, o *SignOptions) { o.OmitSessionToken = true },
			after: func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", testToken+"x") },
			code:  CodeInvalidClientTokenID, status: 403, msg: "invalid"},
		{name: "long-term key with a token", akid: testAKID, after: func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "abc") },
			code: CodeInvalidClientTokenID, status: 403},
		{name: "expired credential", akid: "ASIAEXPIRED", code: CodeExpiredToken, status: 403, msg: "expired"},
		{name: "too old", mod: func(_ *http.Request, o *SignOptions) { o.Time = testNow.Add(-5*time.Minute - time.Second) },
			code: CodeRequestExpired, status: 403, msg: "Signature expired: 20250601T115459Z is now earlier than 20250601T115500Z"},
		{name: "too new", mod: func(_ *http.Request, o *SignOptions) { o.Time = testNow.Add(5*time.Minute + time.Second) },
			code: CodeRequestExpired, status: 403, msg: "not yet current"},
		{name: "custom skew", mod: func(_ *http.Request, o *SignOptions) { o.Time = testNow.Add(-2 * time.Minute) },
			cfg: func(c *Config) { c.MaxSkew = time.Minute }, code: CodeRequestExpired, status: 403},
		{name: "sts naming", service: "sts", mod: func(_ *http.Request, o *SignOptions) { o.Service = "sts" },
			after: func(r *http.Request) {
				setAuth(r, func(a string) string { return a[:len(a)-1] + flipHex(a[len(a)-1]) })
			},
			code: CodeSignatureDoesNotMatch, status: 403},
		{name: "sts skew naming", service: "sts", mod: func(_ *http.Request, o *SignOptions) { o.Service, o.Time = "sts", testNow.Add(-time.Hour) },
			code: CodeRequestExpired, status: 400},
		{name: "s3 skew naming", service: "s3", mod: func(_ *http.Request, o *SignOptions) { o.Service, o.Time = "s3", testNow.Add(-time.Hour) },
			code: CodeRequestTimeTooSkewed, status: 403},
		{name: "json naming for an override", service: "sts", mod: func(_ *http.Request, o *SignOptions) { o.Service = "sts" },
			cfg: func(c *Config) { c.Services = map[string]ServiceOptions{"sts": {Naming: NamingJSON}} },
			after: func(r *http.Request) {
				setAuth(r, func(a string) string { return a[:len(a)-1] + flipHex(a[len(a)-1]) })
			},
			code: CodeInvalidSignature, status: 403},
		{name: "streaming payload", mod: func(r *http.Request, _ *SignOptions) {
			r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		}, code: CodeNotImplemented, status: 501, msg: "not supported"},
		{name: "bad payload hash", mod: func(r *http.Request, _ *SignOptions) { r.Header.Set("X-Amz-Content-Sha256", "abc") },
			code: CodeIncompleteSignature, status: 403, msg: "x-amz-content-sha256"},
		{name: "presigned expired", presign: true, mod: func(_ *http.Request, o *SignOptions) {
			o.Time, o.Expires = testNow.Add(-time.Hour), 30*time.Minute
		}, code: CodeRequestExpired, status: 403, msg: "Request has expired"},
		{name: "presigned from the future", presign: true, mod: func(_ *http.Request, o *SignOptions) { o.Time = testNow.Add(time.Hour) },
			code: CodeRequestExpired, status: 403, msg: "not yet current"},
		{name: "presigned expires too long", presign: true,
			after: func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=900", "X-Amz-Expires=604801", 1)
			},
			code: CodeIncompleteSignature, status: 403, msg: "604800"},
		{name: "presigned expires zero", presign: true,
			after: func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=900", "X-Amz-Expires=0", 1)
			},
			code: CodeIncompleteSignature, status: 403, msg: "604800"},
		{name: "presigned missing signature", presign: true,
			after: func(r *http.Request) { r.URL.RawQuery = stripParam(r.URL.RawQuery, "X-Amz-Signature") },
			code:  CodeIncompleteSignature, status: 403, msg: "missing 'X-Amz-Signature'"},
		{name: "presigned duplicate parameter", presign: true,
			after: func(r *http.Request) { r.URL.RawQuery += "&X-Amz-Date=20250601T115900Z" },
			code:  CodeIncompleteSignature, status: 403, msg: "more than one 'X-Amz-Date'"},
		{name: "presigned bad algorithm", presign: true,
			after: func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, AlgorithmV4, "AWS4-HMAC-SHA1", 1)
			},
			code: CodeIncompleteSignature, status: 403, msg: "X-Amz-Algorithm"},
		{name: "presigned changed query", presign: true,
			after: func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "y=two", "y=tw0", 1) },
			code:  CodeInvalidSignature, status: 403, msg: "does not match"},
		{name: "invalid query escape", after: func(r *http.Request) { r.URL.RawQuery += "&z=%zz" },
			code: CodeIncompleteSignature, status: 403, msg: "percent-encoding"},
		{name: "sigv4a region not in set", mod: func(_ *http.Request, o *SignOptions) {
			o.Algorithm, o.RegionSet = AlgorithmV4A, []string{"eu-*", "ap-southeast-2"}
		}, code: CodeInvalidSignature, status: 403, msg: "does not include this endpoint's region 'us-west-2'"},
		{name: "sigv4a without region set", mod: func(_ *http.Request, o *SignOptions) { o.Algorithm = AlgorithmV4A },
			after: func(r *http.Request) {
				r.Header.Del("X-Amz-Region-Set")
				setAuth(r, func(a string) string { return strings.Replace(a, ";x-amz-region-set", "", 1) })
			}, code: CodeIncompleteSignature, status: 403, msg: "X-Amz-Region-Set"},
		{name: "sigv4a region set not signed", mod: func(_ *http.Request, o *SignOptions) { o.Algorithm = AlgorithmV4A },
			after: func(r *http.Request) {
				setAuth(r, func(a string) string { return strings.Replace(a, ";x-amz-region-set", "", 1) })
			}, code: CodeIncompleteSignature, status: 403, msg: "'x-amz-region-set'"},
		{name: "sigv4a changed region set", mod: func(_ *http.Request, o *SignOptions) { o.Algorithm = AlgorithmV4A },
			after: func(r *http.Request) { r.Header.Set("X-Amz-Region-Set", "us-west-2,us-east-1") },
			code:  CodeInvalidSignature, status: 403},
		{name: "sigv4a bad signature encoding", mod: func(_ *http.Request, o *SignOptions) { o.Algorithm = AlgorithmV4A },
			after: func(r *http.Request) { setAuth(r, func(a string) string { return a + "0" }) },
			code:  CodeIncompleteSignature, status: 403, msg: "DER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			akid := tc.akid
			if akid == "" {
				akid = testAKID
			}
			r := signedGET(t, akid, tc.presign, tc.mod)
			if tc.after != nil {
				tc.after(r)
			}
			service := tc.service
			if service == "" {
				service = testService
			}
			_, err := newTestVerifier(t, tc.cfg).Verify(r, service)
			wantCode(t, err, tc.code, tc.status, tc.msg)
		})
	}
}

func flipHex(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func stripParam(q, name string) string {
	var out []string
	for _, p := range strings.Split(q, "&") {
		if !strings.HasPrefix(p, name+"=") {
			out = append(out, p)
		}
	}
	return strings.Join(out, "&")
}

// A signature mismatch exposes the expected canonical request and string to
// sign through methods, never in Error(), with the session token redacted.
func TestVerifyMismatchDebug(t *testing.T) {
	for _, presign := range []bool{false, true} {
		r := signedGET(t, testTempAKID, presign, nil)
		if presign {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "x=1", "x=2", 1)
		} else {
			r.Header.Set("X-Amz-Content-Sha256", EmptyPayloadHash)
		}
		_, err := newTestVerifier(t, nil).Verify(r, testService)
		e := wantCode(t, err, CodeInvalidSignature, 403, "")
		cr, sts := e.CanonicalRequest(), e.StringToSign()
		if cr == "" || sts == "" {
			t.Fatal("no debug output")
		}
		if strings.Contains(e.Error(), "GET\n") || strings.Contains(e.Error(), sts) {
			t.Errorf("Error() contains debug output: %q", e.Error())
		}
		if !strings.Contains(cr, "REDACTED") || strings.Contains(cr, testToken) {
			t.Errorf("token not redacted in %q", cr)
		}
		if !strings.HasPrefix(sts, AlgorithmV4+"\n20250601T115900Z\n20250601/us-west-2/vpc-lattice-svcs/aws4_request\n") {
			t.Errorf("string to sign %q", sts)
		}
	}
}

func TestVerifyBody(t *testing.T) {
	body := []byte(`{"order":42,"items":["a","b"]}`)
	sign := func(t *testing.T, mod func(*http.Request, *SignOptions)) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "https://example.com/orders", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		o := SignOptions{Service: testService, Region: testRegion, Time: testNow}
		if mod != nil {
			mod(r, &o)
		}
		if _, err := NewSigner(testAKID, Credential{SecretAccessKey: testSecret}, nil).Sign(r, o); err != nil {
			t.Fatal(err)
		}
		return toServer(t, r)
	}
	readBack := func(t *testing.T, r *http.Request) {
		t.Helper()
		got, err := io.ReadAll(r.Body)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("body after Verify: %q, %v", got, err)
		}
	}
	v := newTestVerifier(t, nil)
	t.Run("hex payload header", func(t *testing.T) {
		r := sign(t, func(_ *http.Request, o *SignOptions) { o.AddContentSHA256Header = true })
		res, err := v.Verify(r, testService)
		if err != nil || !res.PayloadSigned {
			t.Fatal(res, err)
		}
		readBack(t, r)
	})
	t.Run("no payload header: hash of the body", func(t *testing.T) {
		r := sign(t, nil)
		if _, err := v.Verify(r, testService); err != nil {
			t.Fatal(err)
		}
		readBack(t, r)
	})
	t.Run("unsigned payload is not read", func(t *testing.T) {
		r := sign(t, func(_ *http.Request, o *SignOptions) { o.PayloadHash, o.AddContentSHA256Header = UnsignedPayload, true })
		r.Body = io.NopCloser(strings.NewReader("tampered"))
		res, err := v.Verify(r, testService)
		if err != nil || res.PayloadSigned {
			t.Fatal(res, err)
		}
	})
	t.Run("body differs from its hash", func(t *testing.T) {
		r := sign(t, func(_ *http.Request, o *SignOptions) { o.AddContentSHA256Header = true })
		r.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), "42", "43", 1)))
		_, err := v.Verify(r, testService)
		wantCode(t, err, CodeContentSHA256Mismatch, 400, "SHA-256 of the request body")
	})
	t.Run("body differs, no payload header", func(t *testing.T) {
		r := sign(t, nil)
		r.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), "42", "43", 1)))
		_, err := v.Verify(r, testService)
		wantCode(t, err, CodeInvalidSignature, 403, "")
	})
	for _, cl := range []int64{int64(len(body)), -1} {
		t.Run(fmt.Sprintf("too large, content length %d", cl), func(t *testing.T) {
			r := sign(t, func(_ *http.Request, o *SignOptions) { o.AddContentSHA256Header = true })
			r.ContentLength = cl
			small := newTestVerifier(t, func(c *Config) { c.MaxBodyBytes = 10 })
			_, err := small.Verify(r, testService)
			wantCode(t, err, CodeRequestEntityTooLarge, 413, "larger than the 10 bytes")
		})
	}
	t.Run("exactly at the bound", func(t *testing.T) {
		r := sign(t, func(_ *http.Request, o *SignOptions) { o.AddContentSHA256Header = true })
		r.ContentLength = -1
		exact := newTestVerifier(t, func(c *Config) { c.MaxBodyBytes = int64(len(body)) })
		if _, err := exact.Verify(r, testService); err != nil {
			t.Fatal(err)
		}
		readBack(t, r)
	})
	t.Run("buffering disabled", func(t *testing.T) {
		r := sign(t, func(_ *http.Request, o *SignOptions) { o.AddContentSHA256Header = true })
		off := newTestVerifier(t, func(c *Config) { c.MaxBodyBytes = -1 })
		_, err := off.Verify(r, testService)
		wantCode(t, err, CodeRequestEntityTooLarge, 413, "UNSIGNED-PAYLOAD")
	})
	t.Run("read error", func(t *testing.T) {
		r := sign(t, func(_ *http.Request, o *SignOptions) { o.AddContentSHA256Header = true })
		r.Body = io.NopCloser(io.MultiReader(strings.NewReader("{"), errReader{}))
		_, err := v.Verify(r, testService)
		var e *Error
		if err == nil || errors.As(err, &e) {
			t.Fatalf("want an I/O error, got %v", err)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// The presigned form with the session token added after signing (as AWS IoT
// does) is accepted: the token still has to match the credential.
func TestVerifyUnsignedTokenInQuery(t *testing.T) {
	v := newTestVerifier(t, nil)
	r := signedGET(t, testTempAKID, true, func(_ *http.Request, o *SignOptions) { o.OmitSessionToken = true })
	if _, err := v.Verify(r, testService); err != nil {
		t.Fatal(err)
	}
	r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Security-Token=", "X-Amz-Security-Token=x", 1)
	_, err := v.Verify(r, testService)
	wantCode(t, err, CodeInvalidClientTokenID, 403, "")
}

func TestPathOptions(t *testing.T) {
	type sig struct {
		enc  PathEncoding
		norm PathNormalization
	}
	path, raw := "/a b/./c%d/../x+y", "/a%20b/./c%25d/../x+y"
	for _, tc := range []struct {
		name   string
		signed sig
		verify ServiceOptions
		ok     bool
	}{
		{"twice as-is, default verifier", sig{PathEncodeTwice, PathNormalizeNever}, ServiceOptions{}, true},
		{"twice normalised, default verifier", sig{PathEncodeTwice, PathNormalizeAlways}, ServiceOptions{}, true},
		{"once, default verifier", sig{PathEncodeOnce, PathNormalizeNever}, ServiceOptions{}, false},
		{"once, either-encoding verifier refuses %25", sig{PathEncodeOnce, PathNormalizeNever}, ServiceOptions{PathEncoding: PathEncodeEither}, false},
		{"as-is, normalise-always verifier", sig{PathEncodeTwice, PathNormalizeNever}, ServiceOptions{PathNormalization: PathNormalizeAlways}, false},
		{"normalised, never verifier", sig{PathEncodeTwice, PathNormalizeAlways}, ServiceOptions{PathNormalization: PathNormalizeNever}, false},
		{"once, once verifier", sig{PathEncodeOnce, PathNormalizeNever}, ServiceOptions{PathEncoding: PathEncodeOnce, PathNormalization: PathNormalizeNever}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := signedGET(t, testAKID, false, func(r *http.Request, o *SignOptions) {
				r.URL.Path, r.URL.RawPath = path, raw
				o.PathEncoding, o.PathNormalization = tc.signed.enc, tc.signed.norm
			})
			v := newTestVerifier(t, func(c *Config) { c.Services = map[string]ServiceOptions{testService: tc.verify} })
			_, err := v.Verify(r, testService)
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok {
				wantCode(t, err, CodeInvalidSignature, 403, "")
			}
		})
	}
	// Either-encoding accepts a single-encoded signature when the path has
	// no "%25".
	r := signedGET(t, testAKID, false, func(r *http.Request, o *SignOptions) {
		r.URL.Path = "/a b/c"
		o.PathEncoding, o.PathNormalization = PathEncodeOnce, PathNormalizeNever
	})
	v := newTestVerifier(t, func(c *Config) { c.Services = map[string]ServiceOptions{testService: {PathEncoding: PathEncodeEither}} })
	if _, err := v.Verify(r, testService); err != nil {
		t.Fatal(err)
	}
}

func TestCanonicalPieces(t *testing.T) {
	for _, tc := range []struct{ in, twice, once, norm string }{
		{"/", "/", "/", "/"},
		{"/a%2Fb", "/a%252Fb", "/a%2Fb", "/a%2Fb"},
		{"/a b/ሴ", "/a%20b/%E1%88%B4", "/a%20b/%E1%88%B4", "/a b/ሴ"},
		{"/x:y@z+w=1;2", "/x%3Ay%40z%2Bw%3D1%3B2", "/x:y@z+w=1;2", "/x:y@z+w=1;2"},
		{"/%zz", "/%25zz", "/%25zz", "/%zz"},
		{"//a//b//", "//a//b//", "//a//b//", "/a/b/"},
		{"/a/./b/../c", "/a/./b/../c", "/a/./b/../c", "/a/c"},
		{"/a/b/..", "/a/b/..", "/a/b/..", "/a"},
		{"/..", "/..", "/..", "/"},
		{"/a/.", "/a/.", "/a/.", "/a"},
	} {
		if got := string(appendPathTwice(nil, tc.in)); got != tc.twice {
			t.Errorf("twice(%q) = %q, want %q", tc.in, got, tc.twice)
		}
		if got := string(appendPathOnce(nil, tc.in)); got != tc.once {
			t.Errorf("once(%q) = %q, want %q", tc.in, got, tc.once)
		}
		if got := string(appendNormalized(nil, tc.in)); got != tc.norm {
			t.Errorf("normalize(%q) = %q, want %q", tc.in, got, tc.norm)
		}
		if needsNormalization(tc.in) != (tc.norm != tc.in) {
			t.Errorf("needsNormalization(%q) = %v", tc.in, !(tc.norm != tc.in))
		}
	}
	var q queryBuilder
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"b=2&a=1", "a=1&b=2"},
		{"a=2&a=1&a", "a=&a=1&a=2"},
		{"a+b=c+d&%41=%7e", "A=~&a%20b=c%20d"},
		{"k=%2B&k=%2b&&", "k=%2B&k=%2B"},
		{"a/b=1&a-b=2", "a%2Fb=1&a-b=2"},
		{"ሴ=é", "%E1%88%B4=%C3%A9"},
		{"x==y", "x=%3Dy"},
	} {
		got, ok := q.appendCanonicalQuery(nil, tc.in, 0)
		if !ok || string(got) != tc.want {
			t.Errorf("query(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	if _, ok := q.appendCanonicalQuery(nil, "a=%4", 0); ok {
		t.Error("truncated escape accepted")
	}
	for _, tc := range []struct{ in, want string }{
		{"  a   b  ", "a b"}, {"\ta\t b", "a\t b"}, {"", ""}, {"x", "x"}, {"a  b  c", "a b c"},
	} {
		if got := string(appendHeaderValue(nil, tc.in)); got != tc.want {
			t.Errorf("header value %q = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		set  string
		want bool
	}{
		{"*", true}, {"us-west-2", true}, {"us-*", true}, {"*-2", true}, {"us-*-2", true}, {"eu-*", false},
		{"us-west-1, us-west-2", true}, {" us-west-2 ", true}, {"us-west", false}, {"", false}, {",,", false},
		{"u*t*2", true}, {"us-west-2*", true}, {"us-west-2?", false},
	} {
		if got := regionSetIncludes(tc.set, "us-west-2"); got != tc.want {
			t.Errorf("regionSetIncludes(%q) = %v", tc.set, got)
		}
	}
}

// The key cache stays bounded whatever the number of access keys, caches
// only keys that the store knows, and notices a changed secret.
func TestKeyCache(t *testing.T) {
	store := StaticCredentials{}
	for i := range 300 {
		store[fmt.Sprintf("AKID%04d", i)] = Credential{SecretAccessKey: testSecret}
	}
	v := newTestVerifier(t, func(c *Config) { c.Credentials, c.KeyCacheSize = store, 64 })
	for i := range 300 {
		r := signedGET(t, fmt.Sprintf("AKID%04d", i), false, nil)
		if _, err := v.Verify(r, testService); err != nil {
			t.Fatal(err)
		}
		if n := v.v4Keys.len(); n > 64 {
			t.Fatalf("cache holds %d keys", n)
		}
	}
	before := v.v4Keys.len()
	for i := range 50 {
		r := signedGET(t, fmt.Sprintf("NOPE%04d", i), false, nil)
		if _, err := v.Verify(r, testService); err == nil {
			t.Fatal("unknown key accepted")
		}
	}
	if v.v4Keys.len() > before {
		t.Error("unknown keys were cached")
	}
	// Rotate AKID0001's secret: the old signature must fail, a new one pass.
	r := signedGET(t, "AKID0299", false, nil)
	if _, err := v.Verify(r, testService); err != nil {
		t.Fatal(err)
	}
	store["AKID0299"] = Credential{SecretAccessKey: "another secret"}
	_, err := v.Verify(r, testService)
	wantCode(t, err, CodeInvalidSignature, 403, "")
}

func TestRedaction(t *testing.T) {
	c := Credential{SecretAccessKey: testSecret, SessionToken: testToken, Expires: testNow}
	s := NewSigner(testAKID, c, nil)
	for _, out := range []string{c.String(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), s.String(), fmt.Sprintf("%v %+v", s, s)} {
		if strings.Contains(out, testSecret) || strings.Contains(out, testToken) {
			t.Errorf("secret leaked: %s", out)
		}
	}
}

func TestNewVerifierErrors(t *testing.T) {
	for _, c := range []Config{
		{Credentials: testStore()},
		{Region: testRegion},
		{Region: testRegion, Credentials: testStore(), MaxSkew: -1},
	} {
		if _, err := NewVerifier(c); err == nil {
			t.Errorf("NewVerifier(%+v) succeeded", c)
		}
	}
}

func TestSignErrors(t *testing.T) {
	s := NewSigner(testAKID, Credential{SecretAccessKey: testSecret}, func() time.Time { return testNow })
	r, _ := http.NewRequest(http.MethodGet, "https://example.com/", nil)
	for _, o := range []SignOptions{
		{Region: testRegion},
		{Service: testService},
		{Service: testService, Region: testRegion, Algorithm: "AWS4-HMAC-SHA1"},
	} {
		if _, err := s.Sign(r, o); err == nil {
			t.Errorf("Sign(%+v) succeeded", o)
		}
	}
	for _, d := range []time.Duration{-time.Second, 1500 * time.Millisecond, 8 * 24 * time.Hour} {
		if _, err := s.Presign(r, SignOptions{Service: testService, Region: testRegion, Expires: d}); err == nil {
			t.Errorf("Presign(Expires: %v) succeeded", d)
		}
	}
	// The clock gives the time when none is set.
	signed, err := s.Sign(r, SignOptions{Service: testService, Region: testRegion})
	if err != nil || !strings.Contains(signed.Credential, "/20250601/") || r.Header.Get("X-Amz-Date") != "20250601T120000Z" {
		t.Fatal(signed, err)
	}
}

func TestErrorNamingTable(t *testing.T) {
	// Every failure kind has a code and status under every naming.
	for _, n := range []ErrorNaming{NamingJSON, NamingQuery, NamingS3} {
		for k := failMissing; k <= failNotImplemented; k++ {
			e := n.errorf(k, "x")
			if e.Code == "" || e.Status < 400 || e.Status > 599 || e.Error() != e.Code+": x" {
				t.Errorf("%v kind %d: %+v", n, k, e)
			}
		}
		if n.String() == "" || strings.Contains(n.String(), "(") {
			t.Errorf("String of %d", n)
		}
	}
	for _, s := range []string{PathEncodeEither.String(), PathNormalizeEither.String(), ErrorNaming(9).String(), PathEncoding(9).String(), PathNormalization(9).String()} {
		if s == "" {
			t.Error("empty String")
		}
	}
}
