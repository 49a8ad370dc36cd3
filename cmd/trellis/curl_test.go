package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trellisproject/trellis/sigv4"
)

const (
	curlKey      = "AKIACURLTESTKEY23456"
	curlSecret   = "curlSECRETcurlSECRETcurlSECRETcurlSECRET"
	curlTempKey  = "ASIACURLTESTKEY23456"
	curlTempSec  = "tempSECRETtempSECRETtempSECRETtempSECRET"
	curlToken    = "curl-session-token-that-must-not-be-printed"
	curlAdminKey = "AKIACURLADMINKEY2345"
	curlAdminSec = "adminSECRETadminSECRETadminSECRETadminSE"
	curlProfKey  = "AKIACURLPROFILEKEY23"
	curlProfSec  = "profSECRETprofSECRETprofSECRETprofSECRET"
	curlRegion   = "eu-west-1"
)

// curlServer verifies every request with sigv4.Verifier and answers with the
// verification's outcome; the last result and body are kept for the test.
type curlServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	res  sigv4.Result
	err  error
	body string
}

func newCurlServer(t *testing.T, service string) *curlServer {
	t.Helper()
	v, err := sigv4.NewVerifier(sigv4.Config{Region: curlRegion, Credentials: sigv4.StaticCredentials{
		curlKey:      {SecretAccessKey: curlSecret},
		curlTempKey:  {SecretAccessKey: curlTempSec, SessionToken: curlToken},
		curlAdminKey: {SecretAccessKey: curlAdminSec},
		curlProfKey:  {SecretAccessKey: curlProfSec},
	}})
	if err != nil {
		t.Fatal(err)
	}
	s := &curlServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		res, err := v.Verify(r, service)
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.res, s.err, s.body = res, err, string(body)
		s.mu.Unlock()
		var e *sigv4.Error
		if errors.As(err, &e) {
			w.Header().Set("X-Amzn-ErrorType", e.Code)
			w.WriteHeader(e.Status)
			io.WriteString(w, `{"__type":"`+e.Code+`","message":"`+e.Message+`"}`)
			return
		}
		w.Header().Set("X-Caller", res.AccessKeyID)
		io.WriteString(w, "hello "+res.AccessKeyID)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *curlServer) last() (sigv4.Result, error, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res, s.err, s.body
}

// isolateAWS clears the AWS environment so that only what a test sets is
// seen: no credentials, no profile, no config file, and no instance
// metadata service.
func isolateAWS(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func setCreds(t *testing.T, key, secret, token string) {
	t.Setenv("AWS_ACCESS_KEY_ID", key)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	if token != "" {
		t.Setenv("AWS_SESSION_TOKEN", token)
	}
	t.Setenv("AWS_REGION", curlRegion)
}

func TestCurl(t *testing.T) {
	lattice := newCurlServer(t, "vpc-lattice-svcs")
	sts := newCurlServer(t, "sts")
	bodyFile := writeFile(t, "body.json", "{\"line\": 1}\n{\"line\": 2}\n")
	profiles := writeFile(t, "credentials", "[dev]\naws_access_key_id = "+curlProfKey+"\naws_secret_access_key = "+curlProfSec+"\n")
	adminDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(adminDir, "admin-credentials"),
		[]byte("[trellis]\naws_access_key_id = "+curlAdminKey+"\naws_secret_access_key = "+curlAdminSec+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()

	tests := []struct {
		name  string
		env   func(t *testing.T) // credentials; nil means curlKey from the environment
		args  []string
		stdin string
		srv   *curlServer // nil: lattice
		code  int
		out   []string // substrings of stdout
		err   []string // substrings of stderr
		check func(t *testing.T, res sigv4.Result, body string)
	}{
		{name: "GET signed with SigV4", args: []string{"/svc/items?b=2&a=1"}, out: []string{"hello " + curlKey},
			check: func(t *testing.T, res sigv4.Result, body string) {
				if res.Algorithm != sigv4.AlgorithmV4 || res.Region != curlRegion || !res.PayloadSigned {
					t.Errorf("result %+v", res)
				}
			}},
		{name: "SigV4A for every region", args: []string{"--sigv4a", "/x"}, out: []string{"hello " + curlKey},
			check: func(t *testing.T, res sigv4.Result, body string) {
				if res.Algorithm != sigv4.AlgorithmV4A || res.RegionSet != "*" {
					t.Errorf("result %+v", res)
				}
			}},
		{name: "SigV4A region set", args: []string{"--sigv4a", "--region-set", "us-east-1, eu-*", "/x"}, out: []string{"hello"},
			check: func(t *testing.T, res sigv4.Result, body string) {
				if res.RegionSet != "us-east-1,eu-*" {
					t.Errorf("region set %q", res.RegionSet)
				}
			}},
		{name: "SigV4A, verbose", args: []string{"-v", "--sigv4a", "--region-set", "eu-*", "/x"}, out: []string{"hello"},
			err: []string{"* signed with AWS4-ECDSA-P256-SHA256 for service vpc-lattice-svcs, region set eu-*", "x-amz-region-set:eu-*",
				"/vpc-lattice-svcs/aws4_request", "credentials: access key " + curlKey + " from EnvConfigCredentials"}},
		{name: "body from a file, signed", args: []string{"-d", "@" + bodyFile, "-H", "Content-Type: application/json", "/x"}, out: []string{"hello"},
			check: func(t *testing.T, res sigv4.Result, body string) {
				if body != "{\"line\": 1}\n{\"line\": 2}\n" || !res.PayloadSigned || !strings.Contains(res.SignedHeaders, "content-type") {
					t.Errorf("body %q, result %+v", body, res)
				}
			}},
		{name: "body from a file, unsigned payload", args: []string{"--unsigned-payload", "-X", "PUT", "-d", "@" + bodyFile, "/x"}, out: []string{"hello"},
			check: func(t *testing.T, res sigv4.Result, body string) {
				if body != "{\"line\": 1}\n{\"line\": 2}\n" || res.PayloadSigned || !strings.Contains(res.SignedHeaders, "x-amz-content-sha256") {
					t.Errorf("body %q, result %+v", body, res)
				}
			}},
		{name: "body from standard input", args: []string{"-d", "@-", "/x"}, stdin: "from stdin", out: []string{"hello"},
			check: func(t *testing.T, res sigv4.Result, body string) {
				if body != "from stdin" {
					t.Errorf("body %q", body)
				}
			}},
		{name: "repeated headers are signed", args: []string{"-H", "X-One: 1", "-H", "X-Two: 2", "/x"}, out: []string{"hello"},
			check: func(t *testing.T, res sigv4.Result, body string) {
				if !strings.Contains(res.SignedHeaders, "x-one") || !strings.Contains(res.SignedHeaders, "x-two") {
					t.Errorf("signed headers %s", res.SignedHeaders)
				}
			}},
		{name: "session credentials, verbose", env: func(t *testing.T) { setCreds(t, curlTempKey, curlTempSec, curlToken) },
			args: []string{"-v", "-H", "X-Trace: abc", "/svc/items?b=2&a=1"}, out: []string{"hello " + curlTempKey},
			err: []string{"* canonical request:\n    GET\n    /svc/items\n    a=1&b=2\n", "x-amz-security-token:REDACTED",
				"* string to sign:\n    AWS4-HMAC-SHA256\n", "/" + curlRegion + "/vpc-lattice-svcs/aws4_request", "> GET /svc/items?b=2&a=1 HTTP/1.1",
				"> X-Amz-Security-Token: REDACTED", "< HTTP/1.1 200 OK", "access key " + curlTempKey},
			check: func(t *testing.T, res sigv4.Result, body string) {
				if !res.HasSessionToken {
					t.Errorf("result %+v", res)
				}
			}},
		{name: "include", args: []string{"-i", "/x"}, out: []string{"HTTP/1.1 200 OK\r\n", "X-Caller: " + curlKey + "\r\n", "\r\n\r\nhello"}},
		{name: "STS", srv: sts, args: []string{"--service", "sts", "-d", "Action=GetCallerIdentity&Version=2011-06-15", "/"}, out: []string{"hello"},
			check: func(t *testing.T, res sigv4.Result, body string) {
				if res.Service != "sts" || body != "Action=GetCallerIdentity&Version=2011-06-15" {
					t.Errorf("result %+v, body %q", res, body)
				}
			}},
		{name: "wrong service is a signature mismatch", srv: sts, args: []string{"/"},
			out: []string{"SignatureDoesNotMatch"}, err: []string{"check --service and --region"}},
		{name: "wrong region", args: []string{"--region", "us-east-2", "/x"}, out: []string{"scoped to a valid region"}},
		{name: "silent", srv: sts, args: []string{"-s", "/"}, out: []string{"SignatureDoesNotMatch"}},
		{name: "unsigned", args: []string{"--unsigned", "/x"}, out: []string{"MissingAuthenticationToken"}},
		{name: "profile", env: func(t *testing.T) { t.Setenv("AWS_SHARED_CREDENTIALS_FILE", profiles) },
			args: []string{"--profile", "dev", "--region", curlRegion, "/x"}, out: []string{"hello " + curlProfKey}},
		{name: "unknown profile", env: func(t *testing.T) { t.Setenv("AWS_SHARED_CREDENTIALS_FILE", profiles) },
			args: []string{"--profile", "nope", "/x"}, code: 1, err: []string{"nope"}},
		{name: "administrator's credentials file", env: func(t *testing.T) {},
			args: []string{"--data-dir", adminDir, "--region", curlRegion, "/x"}, out: []string{"hello " + curlAdminKey},
			err: []string{filepath.Join(adminDir, "admin-credentials") + " (profile trellis)"}},
		{name: "no credentials", env: func(t *testing.T) {}, args: []string{"--data-dir", t.TempDir(), "/x"}, code: 1,
			err: []string{"no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", "trellis serve"}},
		{name: "max time", args: []string{"--max-time", "200ms", "/slow"}, code: 1, err: []string{"within --max-time 200ms"}},
		{name: "connection refused", args: []string{closed}, code: 1, err: []string{"connection refused"}},
		{name: "bad header", args: []string{"-H", "no colon", "/x"}, code: 2, err: []string{`"Name: value"`}},
		{name: "missing file", args: []string{"-d", "@/nonexistent/body", "/x"}, code: 2, err: []string{"no such file"}},
		{name: "bad URL", args: []string{"ftp://example.com/x"}, code: 2, err: []string{"not an http:// or https:// URL"}},
		{name: "no URL", args: []string{}, code: 2, err: []string{"accepts 1 arg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWS(t)
			if tt.env != nil {
				tt.env(t)
			} else {
				setCreds(t, curlKey, curlSecret, "")
			}
			srv := tt.srv
			if srv == nil {
				srv = lattice
			}
			args := append([]string{"curl"}, tt.args...)
			if n := len(args); n > 1 && strings.HasPrefix(args[n-1], "/") {
				args[n-1] = srv.srv.URL + args[n-1]
			}
			code, out, errOut := runCLI(t, tt.stdin, args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			for _, w := range tt.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.err {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, secret := range []string{curlSecret, curlTempSec, curlToken, curlAdminSec, curlProfSec} {
				if strings.Contains(out+errOut, secret) {
					t.Errorf("the output shows a secret or token:\n%s\n%s", out, errOut)
				}
			}
			if tt.check != nil {
				res, err, body := srv.last()
				if err != nil {
					t.Fatalf("the server refused the request: %v", err)
				}
				tt.check(t, res, body)
			}
		})
	}
}

func TestCurlHelp(t *testing.T) {
	code, out, _ := runCLI(t, "", "curl", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, w := range []string{"--sigv4a", "--unsigned-payload", "--region-set", "admin-credentials", "AWS_ACCESS_KEY_ID", "Examples:", "canonical request", "Exit status"} {
		if !strings.Contains(out, w) {
			t.Errorf("--help lacks %q", w)
		}
	}
}
