package sigv4

import (
	"net/http"
	"net/url"
	"path"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for the parsers. Under plain `go test` they run their seeds
// only; run one with e.g. `go test -run '^$' -fuzz FuzzParseAuthorization ./sigv4`.

var authSeeds = []string{
	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
	"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request,SignedHeaders=host,Signature=00",
	"AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045022100",
	"AWS4-HMAC-SHA256  Credential=a/b/c/d/e ,, Signature=x",
	"AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
	"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Credential=B",
	"AWS4-HMAC-SHA256 Foo=bar",
	"AWS4-HMAC-SHA256 novalue",
	"AWS4-HMAC-SHA512 Credential=x",
	"Bearer eyJhbGciOi",
	"AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
	"",
	"\tAWS4-HMAC-SHA256\tCredential=AKID/20150830/us-east-1/service/aws4_request",
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range authSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		p, kind, msg := parseAuthorization(h)
		if msg != "" {
			if kind != failIncomplete && kind != failMissing {
				t.Fatalf("failure kind %d", kind)
			}
			return
		}
		if p.accessKeyID == "" || p.date == "" || p.service == "" || (!p.v4a && p.region == "") {
			t.Fatalf("accepted with empty fields: %+v", p)
		}
		if p.credential != p.accessKeyID+"/"+p.scope {
			t.Fatalf("credential %q != %q/%q", p.credential, p.accessKeyID, p.scope)
		}
		// Re-serialising the parsed header parses to the same thing.
		alg := AlgorithmV4
		if p.v4a {
			alg = AlgorithmV4A
		}
		again := alg + " Credential=" + p.credential + ", SignedHeaders=" + p.signedHeaders + ", Signature=" + p.signature
		q, _, msg2 := parseAuthorization(again)
		if msg2 != "" || q.credential != p.credential || q.signedHeaders != p.signedHeaders || q.signature != p.signature {
			t.Fatalf("round trip of %q: %q %+v", h, msg2, q)
		}
	})
}

func FuzzParseCredentialScope(f *testing.F) {
	for _, s := range []string{
		"AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
		"AKIDEXAMPLE/20150830/service/aws4_request",
		"AKID/20240229/r/s/aws4_request",
		"AKID/20230229/r/s/aws4_request",
		"/20150830/us-east-1/service/aws4_request",
		"AKID//us-east-1/service/aws4_request",
		"AKID/20150830/us-east-1/service/aws4_request/extra",
		"AKID/2015083/us-east-1/service/aws4_request",
		"A/B/C",
		"////",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, cred string, v4a bool) {
		p := authParams{v4a: v4a}
		if msg := parseCredential(&p, cred); msg != "" {
			return
		}
		parts := []string{p.accessKeyID, p.date}
		if !v4a {
			parts = append(parts, p.region)
		}
		parts = append(parts, p.service, "aws4_request")
		if strings.Join(parts, "/") != cred {
			t.Fatalf("parts %q do not rebuild %q", parts, cred)
		}
		if _, _, _, ok := parseYMD(p.date); !ok || len(p.date) != 8 {
			t.Fatalf("bad date accepted: %q", p.date)
		}
		if strings.Contains(p.accessKeyID, "/") || strings.Contains(p.service, "/") || strings.Contains(p.region, "/") {
			t.Fatalf("slash in a component: %+v", p)
		}
	})
}

var presignSeeds = []string{
	"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d",
	"X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Security-Token=AQoD%2F%2B%3D%3D&X-Amz-Region-Set=us-east-1%2Cus-%2A&X-Amz-Signature=30",
	"a=1&X-Amz-Signature=00&b",
	"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Algorithm=AWS4-HMAC-SHA256",
	"X-Amz-Credential=%zz",
	"X-Amz-Expires=&X-Amz-Credential=a%2Fb",
	"&&&=&X-Amz-",
}

func FuzzParsePresigned(f *testing.F) {
	for _, s := range presignSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		p, _, msg := parsePresigned(q)
		if msg == "" {
			if p.accessKeyID == "" || p.signedHeaders == "" || p.credential != p.accessKeyID+"/"+p.scope {
				t.Fatalf("accepted with bad fields: %+v", p)
			}
			if !isPresigned(q) {
				t.Fatalf("parsed as presigned but isPresigned is false: %q", q)
			}
		}
		if _, ok := parseExpires(p.expires); ok {
			if n, _ := parseExpires(p.expires); n < 1 || n > 604800 {
				t.Fatalf("expires %d accepted", n)
			}
		}
	})
}

func FuzzCanonicalQuery(f *testing.F) {
	for _, s := range append(presignSeeds, "b=2&a=1", "a+b=%20&%E1%88%B4=x", "k=%2B&k=+", "=", "a=%4") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		var b queryBuilder
		if isCanonicalQuery(q) && !strings.Contains(q, "X-Amz-Signature=") {
			// The fast path (copy as is) agrees with the general one.
			if general, ok := b.appendCanonicalQuery(nil, q, skipSignature); !ok || string(general) != q {
				t.Fatalf("fast path for %q, general path gives %q", q, general)
			}
		}
		out, ok := b.appendCanonicalQuery(nil, q, skipSignature)
		if !ok {
			return
		}
		// The canonical form is canonical: canonicalising it again changes
		// nothing, and it is sorted.
		again, ok := b.appendCanonicalQuery(nil, string(out), 0)
		if !ok || string(again) != string(out) {
			t.Fatalf("not idempotent: %q -> %q -> %q", q, out, again)
		}
		if len(out) == 0 {
			return
		}
		pairs := strings.Split(string(out), "&")
		for i, p := range pairs {
			if !strings.Contains(p, "=") {
				t.Fatalf("pair without '=': %q", p)
			}
			for k := 0; k < len(p); k++ {
				if c := p[k]; !isUnreserved(c) && c != '%' && c != '=' {
					t.Fatalf("unencoded byte %q in %q", c, out)
				}
			}
			if i > 0 {
				pk, pv, _ := strings.Cut(pairs[i-1], "=")
				k, v, _ := strings.Cut(p, "=")
				if pk > k || pk == k && pv > v {
					t.Fatalf("not sorted: %q", out)
				}
			}
			if strings.HasPrefix(p, "X-Amz-Signature=") {
				t.Fatalf("X-Amz-Signature kept: %q", out)
			}
		}
	})
}

func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"/", "//", "/./", "/a/../b", "/a/b/..", "/%2E%2E/x", "//a//b//", "/..", "/a/.", "/ሴ/ x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if p == "" || p[0] != '/' {
			p = "/" + p
		}
		n := string(appendNormalized(nil, p))
		if needsNormalization(n) {
			t.Fatalf("normalize(%q) = %q still needs normalising", p, n)
		}
		if again := string(appendNormalized(nil, n)); again != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", p, n, again)
		}
		if !needsNormalization(p) && n != p {
			t.Fatalf("clean path %q changed to %q", p, n)
		}
		twice := string(appendPathTwice(nil, p))
		once := string(appendPathOnce(nil, p))
		for _, enc := range []string{twice, once} {
			for k := 0; k < len(enc); k++ {
				if c := enc[k]; c < 0x21 || c >= 0x7f {
					t.Fatalf("raw byte %q in encoded path %q", c, enc)
				}
			}
		}
	})
}

// FuzzVerify feeds arbitrary Authorization headers, dates and query strings
// to Verify: it must never panic, and never accept.
func FuzzVerify(f *testing.F) {
	for _, s := range authSeeds {
		f.Add(s, "20150830T123600Z", "a=1", "/")
	}
	for _, s := range presignSeeds {
		f.Add("", "", s, "/a%2Fb/../c")
	}
	v, err := NewVerifier(Config{
		Region:      "us-east-1",
		Credentials: StaticCredentials{"AKIDEXAMPLE": {SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}},
		Clock:       func() time.Time { return time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC) },
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, authz, date, query, path string) {
		u, err := url.ParseRequestURI("/" + strings.TrimPrefix(path, "/"))
		if err != nil {
			return
		}
		u.RawQuery = query
		r := &http.Request{Method: "GET", URL: u, Host: "example.amazonaws.com", Header: http.Header{}, Body: http.NoBody}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
		}
		if _, err := v.Verify(r, "service"); err == nil && !seedRequest(authz, query, u) {
			t.Fatalf("accepted a fuzzed request: %q %q %q %q", authz, date, query, path)
		}
	})
}

// seedRequest reports whether a request is one that the first header seed
// or the first presigned seed validly signs, GET / with no other query
// parameters: the fuzzer may rebuild it (as "/." with the parameters
// reordered, say), and the verifier must accept it then.
func seedRequest(authz, query string, u *url.URL) bool {
	// Dot segments are removed from the path as sent, so "/a%2Fb/.." is
	// "/" too.
	if path.Clean(u.Path) != "/" && path.Clean(u.EscapedPath()) != "/" {
		return false
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return false
	}
	if authz != "" {
		_, sig, _ := strings.Cut(authSeeds[0], "Signature=")
		return strings.Contains(authz, sig) && len(q) == 0
	}
	seed, _ := url.ParseQuery(presignSeeds[0])
	return reflect.DeepEqual(q, seed)
}
