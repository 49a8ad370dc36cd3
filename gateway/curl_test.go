package gateway_test

import (
	"net"
	"os/exec"
	"strings"
	"testing"

	lt "github.com/trellisproject/trellis/internal/latticetest"
)

// TestCurl signs with curl's --aws-sigv4, as a user of the gateway would.
func TestCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	l := startLab(t)
	_, port, _ := net.SplitHostPort(l.main)
	for _, c := range []struct {
		name, user, path string
		status           string
		body             string
	}{
		{"allowed", lt.AliceKey + ":" + lt.AliceSecret, "/a?q=1", "200", `"name":"alpha"`},
		{"no identity permission", lt.BobKey + ":" + lt.BobSecret, "/a", "403", "because no identity-based policy allows"},
		{"wrong secret", lt.AliceKey + ":" + lt.BobSecret, "/a", "403", "InvalidSignatureException"},
		{"explicit deny", lt.AliceKey + ":" + lt.AliceSecret, "/private", "403", "with an explicit deny in a service-based policy"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := exec.Command(curl, "-sS", "--noproxy", "*", "--max-time", "10",
				"--interface", "127.199.3.4",
				"--resolve", "secure.example.com:"+port+":127.0.0.1",
				"--aws-sigv4", "aws:amz:us-east-1:vpc-lattice-svcs", "--user", c.user,
				"-w", "\n%{http_code}", "http://secure.example.com:"+port+c.path).CombinedOutput()
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, out)
			}
			s := strings.TrimSpace(string(out))
			i := strings.LastIndexByte(s, '\n')
			body, status := s[:max(i, 0)], s[i+1:]
			if status != c.status || !strings.Contains(body, c.body) {
				t.Errorf("status %s, body %s; want %s with %q", status, body, c.status, c.body)
			}
		})
	}
}
