package controlplane_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAWSCLI drives the API with the AWS CLI (botocore) when it is
// installed: aws vpc-lattice ... --endpoint-url.
func TestAWSCLI(t *testing.T) {
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	e := newEnv(t)
	dir := t.TempDir()
	run := func(args ...string) (map[string]any, string, error) {
		t.Helper()
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(c, aws, append([]string{"vpc-lattice"}, append(args, "--endpoint-url", e.srv.URL, "--output", "json")...)...)
		cmd.Env = append(withoutAWSEnv(), "AWS_ACCESS_KEY_ID="+adminKey, "AWS_SECRET_ACCESS_KEY="+testSecret,
			"AWS_DEFAULT_REGION="+testRegion, "AWS_REGION="+testRegion,
			"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
			"AWS_MAX_ATTEMPTS=1", "AWS_PAGER=")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var out map[string]any
		if s := strings.TrimSpace(stdout.String()); s != "" {
			if jerr := json.Unmarshal([]byte(s), &out); jerr != nil {
				t.Fatalf("aws %s: output is not JSON: %s", strings.Join(args, " "), s)
			}
		}
		return out, stderr.String(), err
	}
	sn, stderr, err := run("create-service-network", "--name", "cli-net", "--auth-type", "AWS_IAM")
	if err != nil {
		if strings.Contains(stderr, "Invalid choice") {
			t.Skip("this AWS CLI has no vpc-lattice commands")
		}
		t.Fatalf("create-service-network: %v\n%s", err, stderr)
	}
	id, _ := sn["id"].(string)
	if !snIDRe.MatchString(id) {
		t.Fatalf("created %v", sn)
	}
	policyFile := filepath.Join(dir, "policy.json")
	os.WriteFile(policyFile, []byte(orgOnlyPolicy), 0o600)
	p, stderr, err := run("put-auth-policy", "--resource-identifier", id, "--policy", "file://"+policyFile)
	if err != nil || p["state"] != "Active" || p["policy"] != orgOnlyPolicy {
		t.Fatalf("put-auth-policy: %v %v\n%s", p, err, stderr)
	}
	got, stderr, err := run("get-service-network", "--service-network-identifier", sn["arn"].(string))
	if err != nil || got["name"] != "cli-net" {
		t.Fatalf("get-service-network: %v %v\n%s", got, err, stderr)
	}
	_, stderr, err = run("delete-auth-policy", "--resource-identifier", id)
	if err == nil || !strings.Contains(stderr, "ConflictException") || !strings.Contains(stderr, "set the auth type to NONE") {
		t.Errorf("delete-auth-policy with AWS_IAM: %v\n%s", err, stderr)
	}
	_, stderr, err = run("create-service", "--name", "Not_Valid")
	if err == nil || !strings.Contains(stderr, "ValidationException") {
		t.Errorf("create-service with a bad name: %v\n%s", err, stderr)
	}
	// The CLI paginates on its own.
	for _, n := range []string{"cli-a", "cli-b", "cli-c"} {
		if _, stderr, err := run("create-service", "--name", n); err != nil {
			t.Fatalf("create-service: %v\n%s", err, stderr)
		}
	}
	list, stderr, err := run("list-services", "--page-size", "2")
	if err != nil || len(list["items"].([]any)) != 3 {
		t.Errorf("list-services: %v %v\n%s", list, err, stderr)
	}
}

// withoutAWSEnv returns the environment without AWS_ variables, so that the
// tools run see only the test's credentials and endpoint.
func withoutAWSEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}
