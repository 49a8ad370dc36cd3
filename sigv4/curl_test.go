package sigv4

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestCurl sends requests signed by the curl on this machine
// (curl --aws-sigv4) to a loopback server and verifies them with the real
// clock. It is skipped when curl is not installed; cases that need a newer
// curl are skipped on older ones.
func TestCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	out, err := exec.Command(curl, "--version").Output()
	if err != nil {
		t.Skipf("curl --version: %v", err)
	}
	m := regexp.MustCompile(`^curl (\d+)\.(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Skipf("cannot read the curl version from %q", out)
	}
	major, _ := strconv.Atoi(string(m[1]))
	minor, _ := strconv.Atoi(string(m[2]))
	version := major*100 + minor
	if version < 775 {
		t.Skipf("curl %d.%d predates --aws-sigv4", major, minor)
	}
	t.Logf("curl %d.%d", major, minor)

	v := newTestVerifier(t, func(c *Config) {
		c.Clock = nil // curl signs with the real time
		c.Credentials = diffStore()
		// "either-encoding" accepts the path as curl before 8.x signs it
		// (as sent) and as newer curl does (encoded once more).
		c.Services = map[string]ServiceOptions{"either-encoding": {PathEncoding: PathEncodeEither}}
	})
	results := make(chan error, 1)
	var service atomic.Value
	service.Store(testService)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := v.Verify(r, service.Load().(string))
		var e *Error
		if errors.As(err, &e) {
			err = errors.New(e.Error() + "\ncanonical request:\n" + e.CanonicalRequest())
		}
		results <- err
		if err != nil {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer srv.Close()

	unsigned := []string{"-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"}
	for _, tc := range []struct {
		name       string
		minVersion int
		akid       string
		service    string
		args       []string
		path       string
	}{
		{"GET unsigned payload", 775, testAKID, testService, unsigned, "/orders/42?a=1&b=two"},
		{"GET session token", 775, testTempAKID, testService, append(unsigned, "-H", "x-amz-security-token: "+testToken), "/orders"},
		{"POST body hash", 775, testAKID, testService, []string{"-H", "Content-Type: application/json", "--data", `{"order":42}`}, "/orders"},
		{"escaped path", 775, testAKID, "either-encoding", unsigned, "/orders/a%20b/c%2Fd"},
		// curl canonicalises the query since 8.3 (curl/curl#11806).
		{"unsorted, escaped query", 803, testAKID, testService, unsigned, "/orders?z=%2F1&a=x%20y&a=b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if version < tc.minVersion {
				t.Skipf("needs curl %d.%d", tc.minVersion/100, tc.minVersion%100)
			}
			service.Store(tc.service)
			user := tc.akid + ":" + testSecret
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			args := append([]string{"-s", "-o", "/dev/null", "--aws-sigv4", "aws:amz:" + testRegion + ":" + tc.service, "--user", user}, tc.args...)
			args = append(args, srv.URL+tc.path)
			if out, err := exec.CommandContext(ctx, curl, args...).CombinedOutput(); err != nil {
				t.Fatalf("curl: %v: %s", err, out)
			}
			select {
			case err := <-results:
				if err != nil {
					t.Fatal(err)
				}
			case <-ctx.Done():
				t.Fatal("no request arrived")
			}
		})
	}
}
