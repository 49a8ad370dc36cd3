package controlplane_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/controlplane"
	idn "github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/sigv4"
	"github.com/trellisproject/trellis/snapshot"
	"github.com/trellisproject/trellis/store"
)

const (
	serverAccount  = "111122223333"
	serverAdminKey = "AKIAIOSFODNN7ADMINAA"
	serverNobody   = "AKIAIOSFODNN7NOBODYA"
)

// newTestServer runs a Server over a fresh store whose identities are an
// administrator and a user with no permissions; configure, when given,
// changes the server's configuration.
func newTestServer(t *testing.T, configure ...func(*controlplane.ServerConfig)) string {
	t.Helper()
	st, err := store.OpenSQLite(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	in := idn.Input{
		Accounts: []idn.Account{{ID: serverAccount}},
		Users: []idn.User{
			{Account: serverAccount, Name: "admin", InlinePolicies: []idn.InlinePolicy{{Name: "all",
				Document: json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)}}},
			{Account: serverAccount, Name: "nobody"},
		},
		AccessKeys: []idn.AccessKey{
			{ID: serverAdminKey, Secret: testSecret, User: "arn:aws:iam::" + serverAccount + ":user/admin"},
			{ID: serverNobody, Secret: testSecret, User: "arn:aws:iam::" + serverAccount + ":user/nobody"},
		},
	}
	if _, err := st.Update(ctx, func(tx store.Tx) error { return snapshot.WriteDeclared(tx, in, 0) }); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	snaps, err := snapshot.NewManager(ctx, st, snapshot.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go snaps.Run(runCtx)
	cfg := controlplane.ServerConfig{Store: st, Snapshots: snaps, Region: testRegion, Logger: quiet, MaxBodyBytes: 4096}
	for _, c := range configure {
		c(&cfg)
	}
	srv, err := controlplane.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs.URL
}

// TestNativeAPIErrors checks the native API's answers to requests it must
// refuse: each gets its status and JSON error code, and nothing changes.
func TestNativeAPIErrors(t *testing.T) {
	url := newTestServer(t)
	big := `{"identity": {"accounts": [{"id": "` + strings.Repeat("1", 5000) + `"}]}}`
	tests := []struct {
		name, key, method, path, body string
		service                       string
		status                        int
		code                          string
	}{
		{"unsigned", "", "GET", controlplane.NativeConfigurationPath, "", "", 403, "MissingAuthenticationToken"},
		{"unknown key", "AKIAIOSFODNN7UNKNOWN", "GET", controlplane.NativeConfigurationPath, "", "", 403, "InvalidClientTokenId"},
		{"wrong service in the scope", serverAdminKey, "GET", controlplane.NativeConfigurationPath, "", "vpc-lattice", 403, ""},
		{"no permission to read", serverNobody, "GET", controlplane.NativeConfigurationPath, "", "", 403, "AccessDeniedException"},
		{"no permission to apply", serverNobody, "POST", controlplane.NativeConfigurationPath, `{"identity": {}}`, "", 403, "AccessDeniedException"},
		{"unknown path", serverAdminKey, "GET", "/trellis/v2/configuration", "", "", 404, "NotFound"},
		{"method", serverAdminKey, "DELETE", controlplane.NativeConfigurationPath, "", "", 405, "MethodNotAllowed"},
		{"not JSON", serverAdminKey, "POST", controlplane.NativeConfigurationPath, `{"identity": `, "", 400, "ValidationException"},
		{"unknown field", serverAdminKey, "POST", controlplane.NativeConfigurationPath, `{"identty": {}}`, "", 400, "ValidationException"},
		{"invalid configuration", serverAdminKey, "POST", controlplane.NativeConfigurationPath, `{"identity": {"users": [{"name": "x"}]}}`, "", 400, "ValidationException"},
		{"too large", serverAdminKey, "POST", controlplane.NativeConfigurationPath, big, "", 413, "RequestTooLarge"},
		{"locks out the caller", serverAdminKey, "POST", controlplane.NativeConfigurationPath, `{"identity": {"accounts": [{"id": "111122223333"}]}}`, "", 400, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, url+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.key != "" {
				service := tt.service
				if service == "" {
					service = controlplane.NativeSigningService
				}
				s := sigv4.NewSigner(tt.key, sigv4.Credential{SecretAccessKey: testSecret}, nil)
				if _, err := s.Sign(req, sigv4.SignOptions{Service: service, Region: testRegion}); err != nil {
					t.Fatal(err)
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var e struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("the error is not JSON: %s", body)
			}
			if resp.StatusCode != tt.status || (tt.code != "" && e.Code != tt.code) || e.Message == "" {
				t.Errorf("%d %s; want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
			if strings.Contains(string(body), testSecret) {
				t.Error("the error shows the secret")
			}
		})
	}

	// None of them changed the configuration.
	req, _ := http.NewRequest("GET", url+controlplane.NativeConfigurationPath, nil)
	s := sigv4.NewSigner(serverAdminKey, sigv4.Credential{SecretAccessKey: testSecret}, nil)
	if _, err := s.Sign(req, sigv4.SignOptions{Service: controlplane.NativeSigningService, Region: testRegion}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d controlplane.Document
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || d.Identity == nil || len(d.Identity.Users) != 2 || len(d.Identity.AccessKeys) != 2 {
		t.Errorf("the configuration changed: %+v, %v", d.Identity, err)
	}
}

// TestServerRateLimit checks the per-account rate limit of each API: with a
// burst of 2 and a stopped clock, the third call of an account is refused
// in the API's own throttling shape with a Retry-After header, and the
// other APIs keep their own buckets.
func TestServerRateLimit(t *testing.T) {
	now := time.Now()
	url := newTestServer(t, func(c *controlplane.ServerConfig) {
		c.RateLimit, c.RateBurst = 0.5, 2
		c.Clock = func() time.Time { return now }
	})
	tests := []struct {
		name, method, path, body, service string
		// status, code and errorType are those of the throttled call;
		// contentType is its Content-Type.
		status              int
		code, errorType     string
		contentType, inBody string
	}{
		{"VPC Lattice", "GET", "/services", "", "vpc-lattice",
			429, "ThrottlingException", "ThrottlingException", "application/json", `"message":"Rate exceeded: account 111122223333`},
		{"native", "GET", controlplane.NativeConfigurationPath, "", controlplane.NativeSigningService,
			429, "ThrottlingException", "ThrottlingException", "application/json", `"code": "ThrottlingException"`},
		{"STS", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "sts",
			400, "Throttling", "", "text/xml", "<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded: account 111122223333"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			do := func(key string) (*http.Response, string) {
				req, err := http.NewRequest(tt.method, url+tt.path, strings.NewReader(tt.body))
				if err != nil {
					t.Fatal(err)
				}
				if tt.body != "" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				s := sigv4.NewSigner(key, sigv4.Credential{SecretAccessKey: testSecret}, func() time.Time { return now })
				if _, err := s.Sign(req, sigv4.SignOptions{Service: tt.service, Region: testRegion}); err != nil {
					t.Fatal(err)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp, string(b)
			}
			for i := range 2 {
				if resp, body := do(serverAdminKey); resp.StatusCode != http.StatusOK {
					t.Fatalf("call %d within the burst: %d %s", i+1, resp.StatusCode, body)
				}
			}
			resp, body := do(serverAdminKey)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.inBody) {
				t.Errorf("throttled call: %d %s; want %d with %s", resp.StatusCode, body, tt.status, tt.inBody)
			}
			if got := resp.Header.Get("Retry-After"); got != "2" {
				t.Errorf("Retry-After %q, want 2 (one token at 0.5/s)", got)
			}
			if got := resp.Header.Get("X-Amzn-ErrorType"); got != tt.errorType {
				t.Errorf("X-Amzn-ErrorType %q, want %q", got, tt.errorType)
			}
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, tt.contentType) {
				t.Errorf("Content-Type %q, want %s", got, tt.contentType)
			}
			// The same account's other user shares the account's bucket.
			if resp, body := do(serverNobody); resp.StatusCode != tt.status {
				t.Errorf("another user of the throttled account: %d %s", resp.StatusCode, body)
			}
		})
	}
}
