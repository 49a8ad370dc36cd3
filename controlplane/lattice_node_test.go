package controlplane_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNodeSDK drives the API with the AWS SDK for JavaScript v3
// (@aws-sdk/client-vpc-lattice from npm), running test/latticejs/run.mjs
// against a server on 127.0.0.1.
func TestNodeSDK(t *testing.T) {
	dir, err := filepath.Abs("../test/latticejs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-vpc-lattice")); err != nil {
		t.Skip("the JavaScript SDK is not installed: test/latticejs/node_modules is missing; run from the repository root: npm ci --prefix test/latticejs --no-audit --no-fund")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	e := newEnv(t)
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(c, node, "run.mjs")
	cmd.Dir = dir
	cmd.Env = append(withoutAWSEnv(),
		"TRELLIS_ENDPOINT="+e.srv.URL,
		"AWS_ACCESS_KEY_ID="+adminKey,
		"AWS_SECRET_ACCESS_KEY="+testSecret,
		"AWS_REGION="+testRegion,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"TRELLIS_READER_KEY="+readerKey,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("node run.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("node run.mjs: %v", err)
	}
	if !strings.Contains(string(out), "checks passed") {
		t.Fatal("run.mjs did not finish")
	}
}
