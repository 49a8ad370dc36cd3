package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemoOnce runs "trellis demo --once" as a user would: every call must
// behave as expected and the output must say how to send one's own.
func TestDemoOnce(t *testing.T) {
	isolateAWSEnvironment(t)
	code, out, errOut := runCLI(t, "", "demo", "lattice", "--once")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	n := len(latticeExample.Calls)
	for _, want := range []string{
		fmt.Sprintf("%d of %d calls behaved as expected.", n, n),
		"why: service-policy: Statement[1] (Sid \"NoDeletes\") of auth policy of svc-",
		"why: identity-policy: Statement[0] (Sid \"ReadOnly\")",
		"why: service-network-policy: no statement of auth policy of sn-",
		"orders saw GET /orders/42 from Principal=arn:aws:iam::111122223333:user/frontend; PrincipalOrgID=o-trellisdemo; Type=AWS_IAM",
		"trellis curl --profile frontend --region us-east-1 -H 'Host: orders.demo.internal' http://127.0.0.1:",
		"trellis curl --unsigned -H 'Host: orders.demo.internal' http://127.0.0.1:",
		"curl --aws-sigv4 aws:amz:us-east-1:vpc-lattice-svcs --user AKIA",
		"With --once the demo stops now",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	if got := strings.Count(out, "✔"); got != n || strings.Contains(out, "✘") {
		t.Errorf("%d ✔ for %d calls", got, n)
	}
	if t.Failed() {
		t.Log(out)
	}
	if _, err := os.Stat(demoDataFromOutput(t, out)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary data directory is still there: %v", err)
	}
}

// demoDataFromOutput returns the data directory the demo printed.
func demoDataFromOutput(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "data "); ok {
			dir, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
			return dir
		}
	}
	t.Fatal("the output names no data directory")
	return ""
}

// TestDemoCurlCommands keeps the demo running and runs the trellis curl
// commands it printed, exactly as printed, then stops it as Ctrl-C would.
func TestDemoCurlCommands(t *testing.T) {
	isolateAWSEnvironment(t)
	data := filepath.Join(t.TempDir(), "demo")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runDemo(ctx, demoOptions{data: data, listen: "127.0.0.1:0", ingress: "127.0.0.1:0"}, latticeExample, out, io.Discard)
	}()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C stops it") {
		select {
		case err := <-done:
			t.Fatalf("the demo stopped: %v\n%s", err, out)
		case <-deadline:
			t.Fatalf("the demo did not get ready\n%s", out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	var commands [][]string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "  ") && strings.Contains(line, "trellis curl ") {
			commands = append(commands, shellWords(t, strings.TrimSpace(line)))
		}
	}
	if len(commands) != len(latticeExample.Callers) {
		t.Fatalf("%d trellis curl commands, want one per caller:\n%s", len(commands), out)
	}
	tests := []struct {
		caller string
		want   string
	}{
		{"frontend", `"x-amzn-lattice-identity":"Principal=arn:aws:iam::111122223333:user/frontend; PrincipalOrgID=o-trellisdemo; Type=AWS_IAM"`},
		{"reporting", `"x-amzn-lattice-identity":"Principal=arn:aws:iam::111122223333:user/reporting;`},
		{"partner", "AccessDeniedException: User: arn:aws:iam::444455556666:user/partner is not authorized"},
		{"anonymous", "AccessDeniedException: User: anonymous is not authorized"},
	}
	for i, tt := range tests {
		args := commands[i]
		for len(args) > 0 && strings.Contains(args[0], "=") {
			k, v, _ := strings.Cut(args[0], "=")
			t.Setenv(k, v)
			args = args[1:]
		}
		if len(args) < 2 || args[0] != "trellis" || args[1] != "curl" {
			t.Fatalf("%s: not a trellis curl command: %q", tt.caller, commands[i])
		}
		code, stdout, stderr := runCLI(t, "", args[1:]...)
		if code != 0 || !strings.Contains(stdout, tt.want) {
			t.Errorf("%s: %q: exit %d\n%s\n%s\nwant %s", tt.caller, commands[i], code, stdout, stderr, tt.want)
		}
	}
	log, err := os.ReadFile(filepath.Join(data, "access-logs", "cloudwatch", demoLogGroup+".log"))
	if err != nil || strings.Count(string(log), "\n") != len(latticeExample.Calls)+len(tests) {
		t.Errorf("access log: %v\n%s", err, log)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("demo: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the demo did not stop")
	}
	if _, err := os.Stat(filepath.Join(data, demoCredentialsFile)); err != nil {
		t.Errorf("--data was not kept: %v", err)
	}
	if _, secret := adminKey(t, data); strings.Contains(out.String(), secret) {
		t.Error("the output shows the administrator's secret access key")
	}
}

// shellWords splits a command line the demo printed as a POSIX shell would:
// words separated by spaces, single quotes quoting.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var (
		words  []string
		cur    strings.Builder
		inWord bool
		quoted bool
	)
	for _, r := range line {
		switch {
		case quoted && r == '\'':
			quoted = false
		case quoted:
			cur.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestDemoUnexpected checks that a call that does not behave as expected is
// marked and ends the demo with status 1.
func TestDemoUnexpected(t *testing.T) {
	isolateAWSEnvironment(t)
	sc := latticeExample
	sc.Calls = append([]demoCall(nil), sc.Calls[:2]...)
	sc.Calls[1].Allowed = false
	var out strings.Builder
	err := runDemo(context.Background(), demoOptions{listen: "127.0.0.1:0", ingress: "127.0.0.1:0", once: true}, sc, &out, io.Discard)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitFailed {
		t.Errorf("runDemo returned %v, want exit status 1", err)
	}
	for _, want := range []string{"✘ frontend POST", "allowed (200), EXPECTED denied", "1 of 2 calls behaved as expected."} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), want) {
			t.Errorf("the output lacks %q\n%s", want, out.String())
		}
	}
}

func TestDemoDataNotEmpty(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "", "demo", "lattice", "--once", "--data", dir)
	if code != exitUsage || !strings.Contains(errOut, "is not empty") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func TestDemoScenarioCheck(t *testing.T) {
	if err := latticeExample.check(); err != nil {
		t.Fatalf("latticeExample: %v", err)
	}
	tests := []struct {
		name   string
		change func(*demoScenario)
		want   string
	}{
		{"unknown caller", func(sc *demoScenario) { sc.Calls[0].Caller = "mallory" }, `call 1: no caller "mallory"`},
		{"unknown service", func(sc *demoScenario) { sc.Calls[1].Service = "shipping" }, `call 2: no service "shipping"`},
		{"no access key", func(sc *demoScenario) { sc.Identities.AccessKeys = sc.Identities.AccessKeys[1:] },
			"caller frontend: no access key without an ID for arn:aws:iam::111122223333:user/frontend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := latticeExample
			sc.Calls = append([]demoCall(nil), sc.Calls...)
			tt.change(&sc)
			if err := sc.check(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("check() = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestDemoLab runs "trellis demo", the zero-trust lab, live and static: it
// introduces the callers, prints a table per stage with what the stage
// changed, and succeeds because the last stage lets through only ServiceA.
func TestDemoLab(t *testing.T) {
	for _, args := range [][]string{{"demo"}, {"demo", "--static"}} {
		code, out, errOut := runCLI(t, "", args...)
		if code != 0 {
			t.Errorf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		mode := "live"
		if len(args) > 1 {
			mode = "static"
		}
		for _, want := range []string{
			"trellis demo: zero trust, built one layer at a time",
			"  unexpected-4  an EC2 instance of account 444455556666",
			"zero-trust-lab, " + mode + ": stage 1 of 5, start\n",
			"  GET /orders requires AWS_IAM authorization, and ServiceA signs its calls\n",
			"zero-trust-lab, " + mode + ": stage 5 of 5, security-group\n",
			"2 of 6 calls behaved as desired.",
			"23 of 30 calls behaved as desired over 5 stages.",
			"trellis demo lattice",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: the output lacks %q:\n%s", args, want, out)
			}
		}
	}
}
