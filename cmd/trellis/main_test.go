package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the trellis command line in-process.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const validPolicy = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}}`

func TestPolicyValidate(t *testing.T) {
	good := writeFile(t, "good.json", validPolicy)
	bad := writeFile(t, "bad.json", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Permit\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\n}")
	noVersion := writeFile(t, "warn.json", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`)

	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{"valid", []string{"policy", "validate", good}, "", 0, []string{good + ": valid"}, ""},
		{"invalid", []string{"policy", "validate", good, bad}, "", 1, []string{bad + ":3:27: error: Statement.Effect: Effect \"Permit\" is not valid"}, ""},
		{"warnings are valid", []string{"policy", "validate", noVersion}, "", 0, []string{"warning: the document has no Version", "wildcard-principal", noVersion + ": valid"}, ""},
		{"stdin", []string{"policy", "validate", "--type", "lattice-auth", "-"}, validPolicy, 0, []string{"-: valid"}, ""},
		{"identity rules", []string{"policy", "validate", "--type", "identity", good}, "", 1, []string{"an identity-based policy cannot name a Principal"}, ""},
		{"size limit", []string{"policy", "validate", "--max-bytes", "20", good}, "", 1, []string{"the limit is 20 bytes"}, ""},
		{"json", []string{"policy", "validate", "-o", "json", bad}, "", 1, []string{`"valid": false`, `"code": "bad-effect"`, `"line": 3`}, ""},
		{"no files", []string{"policy", "validate"}, "", 2, nil, "requires at least 1 arg"},
		{"missing file", []string{"policy", "validate", "/nonexistent.json"}, "", 2, nil, "no such file"},
		{"bad type", []string{"policy", "validate", "--type", "s3", good}, "", 2, nil, "--type \"s3\""},
		{"bad flag", []string{"policy", "validate", "--nope", good}, "", 2, nil, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if w == "wildcard-principal" {
					w = "Principal \"*\" with no Condition"
				}
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if tt.wantErr != "" && !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr lacks %q: %s", tt.wantErr, errOut)
			}
		})
	}
}

const evalDoc = `{
  "resourcePolicy": {"Version": "2012-10-17", "Statement": [{"Sid": "GetOnly", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/rolename"},
    "Action": "vpc-lattice-svcs:Invoke", "Resource": "*", "Condition": {"StringEquals": {"vpc-lattice-svcs:RequestMethod": "GET"}}}]},
  "request": {"principal": "arn:aws:sts::123456789012:assumed-role/rolename/w", "action": "vpc-lattice-svcs:Invoke",
    "resource": "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/orders", "context": {"vpc-lattice-svcs:RequestMethod": "METHOD"}}
}`

func evalDocWith(method, expect string) string {
	d := strings.Replace(evalDoc, "METHOD", method, 1)
	if expect != "" {
		d = strings.Replace(d, "{\n  \"resourcePolicy\"", `{"expect": "`+expect+`", "resourcePolicy"`, 1)
	}
	return d
}

func TestPolicyEval(t *testing.T) {
	allowed := writeFile(t, "allowed.json", evalDocWith("GET", "Allow"))
	denied := writeFile(t, "denied.json", evalDocWith("POST", ""))
	wrongExpect := writeFile(t, "wrong.json", evalDocWith("POST", "Allow"))
	broken := writeFile(t, "broken.json", `{"request": {}}`)

	code, out, _ := runCLI(t, "", "policy", "eval", "--input", allowed)
	if code != 0 || !strings.Contains(out, "Decision: Allow") || !strings.Contains(out, "✔ as expected") || !strings.Contains(out, `Statement[0] "GetOnly", line 1: applies (principal matched: role)`) {
		t.Errorf("allowed: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "policy", "eval", "-i", denied)
	if code != 0 || !strings.Contains(out, "Decision: ImplicitDeny") || !strings.Contains(out, `the request has "POST"; the condition requires "GET"`) {
		t.Errorf("denied: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "policy", "eval", "-i", denied, "--output", "json")
	var res struct {
		Decision    string `json:"decision"`
		Explanation struct {
			Summary string `json:"summary"`
			Closest struct {
				Sid string `json:"sid"`
			} `json:"closest"`
		} `json:"explanation"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
		t.Fatalf("json: exit %d, %v\n%s", code, err, out)
	}
	if res.Decision != "ImplicitDeny" || res.Explanation.Closest.Sid != "GetOnly" || res.Explanation.Summary == "" {
		t.Errorf("json output %+v", res)
	}
	if code, out, _ = runCLI(t, "", "policy", "eval", "-i", wrongExpect); code != 1 || !strings.Contains(out, "NOT as expected") {
		t.Errorf("wrong expectation: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "", "policy", "eval", "-i", broken); code != 1 || !strings.Contains(errOut, "request.principal is missing") {
		t.Errorf("broken document: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "policy", "eval"); code != 2 || !strings.Contains(errOut, "--input FILE is required") {
		t.Errorf("no input: exit %d, %s", code, errOut)
	}
	if code, out, _ := runCLI(t, evalDocWith("GET", ""), "policy", "eval", "-i", "-", "-o", "json"); code != 0 || !strings.Contains(out, `"decision": "Allow"`) {
		t.Errorf("stdin: exit %d\n%s", code, out)
	}
}

func TestPolicyEvalBatch(t *testing.T) {
	var in strings.Builder
	const n = 200
	for i := range n {
		method := "GET"
		if i%2 == 1 {
			method = "PUT"
		}
		in.WriteString(strings.ReplaceAll(evalDocWith(method, ""), "\n", " "))
		in.WriteString("\n")
	}
	in.WriteString("{not json}\n\n")
	code, out, _ := runCLI(t, in.String(), "policy", "eval", "--batch")
	if code != 1 {
		t.Errorf("exit %d, want 1 (one line is invalid)", code)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	var lines, allows, errs int
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d is not JSON: %v", lines+1, err)
		}
		lines++
		switch {
		case r["decision"] == "Allow":
			allows++
		case r["error"] != nil:
			errs++
			if !strings.Contains(r["error"].(string), "line 201") {
				t.Errorf("error does not name the line: %v", r["error"])
			}
		}
	}
	if lines != n+1 || allows != n/2 || errs != 1 {
		t.Errorf("%d lines, %d allows, %d errors", lines, allows, errs)
	}
}

func TestPolicyTestAndDemo(t *testing.T) {
	code, out, _ := runCLI(t, "", "demo", "policies")
	if code != 0 || !strings.Contains(out, "29 of 29 cases behaved as expected") {
		t.Errorf("demo policies: exit %d\n%s", code, out)
	}
	suites, _ := filepath.Glob("../../examples/policies/*.json")
	code, out, _ = runCLI(t, "", append([]string{"policy", "test"}, suites...)...)
	if code != 0 || !strings.Contains(out, "cases behaved as expected") {
		t.Errorf("policy test: exit %d\n%s", code, out)
	}
	failing := writeFile(t, "failing.json", `{"description": "d", "policies": {}, "cases": [{"description": "nothing allows", "request": {"principal": "anonymous", "action": "s3:GetObject", "resource": "*"}, "expect": "Allow"}]}`)
	code, out, _ = runCLI(t, "", "policy", "test", failing)
	if code != 1 || !strings.Contains(out, "✘ ImplicitDeny") || !strings.Contains(out, "0 of 1 cases") {
		t.Errorf("failing suite: exit %d\n%s", code, out)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"policy", "--help"}, {"policy", "validate", "--help"}, {"policy", "eval", "--help"}, {"policy", "test", "--help"}, {"demo", "--help"}, {"demo", "policies", "--help"}} {
		code, out, _ := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
	if code, _, errOut := runCLI(t, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: exit %d %s", code, errOut)
	}
}
