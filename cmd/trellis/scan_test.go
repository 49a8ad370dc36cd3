package main

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
)

const labScenario = "../../examples/zero-trust-lab"

// TestScanCommand runs "trellis scan" on the lab and checks the output of
// each format and the exit statuses.
func TestScanCommand(t *testing.T) {
	bad := writeFile(t, "bad.yaml", "callers:\n  - {name: a, interface: eni-1, sign: true}\n")
	tests := []struct {
		name    string
		args    []string
		code    int
		out     []string
		notOut  []string
		errText string
	}{
		{"last stage by default", []string{"scan", labScenario}, 0,
			[]string{"zero-trust-lab, static: stage 5 of 5, security-group\n", "6 of 6 calls behaved as desired.\n"}, []string{"stage 1 of 5", "✘"}, ""},
		{"all stages", []string{"scan", labScenario, "--all-stages"}, 1,
			[]string{"stage 1 of 5, start", "stage 2 of 5, iam-auth", "stage 3 of 5, resource-policy", "stage 4 of 5, endpoint-policy",
				"stage 5 of 5, security-group", "2 of 6 calls behaved as desired.", "4 of 6 calls behaved as desired.", "23 of 30 calls behaved as desired over 5 stages."}, nil, ""},
		{"one stage by number, live", []string{"scan", labScenario + "/scenario.yaml", "--stage", "2", "--live"}, 1,
			[]string{"zero-trust-lab, live: stage 2 of 5, iam-auth", "unexpected-3", "identity-policy", "✘ unexpected-4 → ServiceB"}, []string{"stage 1 of 5"}, ""},
		{"two stages by name", []string{"scan", labScenario, "--stage", "resource-policy", "--stage", "start"}, 1,
			[]string{"stage 3 of 5, resource-policy", "stage 1 of 5, start", "7 of 12 calls behaved as desired over 2 stages."}, nil, ""},
		{"mermaid", []string{"scan", labScenario, "--stage", "start", "--diagram", "mermaid"}, 1,
			[]string{"flowchart LR\n", `-.-x|"resource-policy"|`}, []string{"calls behaved"}, ""},
		{"unknown stage", []string{"scan", labScenario, "--stage", "final"}, 2, nil, nil, `--stage: scenario zero-trust-lab has no stage "final"`},
		{"static and live", []string{"scan", labScenario, "--static", "--live"}, 2, nil, nil, "--static and --live exclude each other"},
		{"stage and all stages", []string{"scan", labScenario, "--stage", "1", "--all-stages"}, 2, nil, nil, "--stage and --all-stages exclude each other"},
		{"bad output", []string{"scan", labScenario, "-o", "yaml"}, 2, nil, nil, `--output "yaml": use table, json or junit`},
		{"diagram with json", []string{"scan", labScenario, "-o", "json", "--diagram", "mermaid"}, 2, nil, nil, "--diagram replaces the report"},
		{"no scenario", []string{"scan"}, 2, nil, nil, "accepts 1 arg(s)"},
		{"missing scenario", []string{"scan", "/nonexistent/scenario.yaml"}, 3, nil, nil, "cannot read the scenario /nonexistent/scenario.yaml"},
		{"bad scenario", []string{"scan", bad}, 3, nil, nil, "the scenario is not valid (1 problem):\n  " + bad + `:2: callers[0].sign: unknown key "sign"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notOut {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut, tt.errText) {
				t.Errorf("stderr lacks %q:\n%s", tt.errText, errOut)
			}
		})
	}
}

// TestScanCommandFormats checks that --output json and junit write
// documents that decode, with a result per call.
func TestScanCommandFormats(t *testing.T) {
	code, out, _ := runCLI(t, "", "scan", labScenario, "--all-stages", "-o", "json")
	var rep struct {
		Stages []struct {
			Results []struct {
				Caller, Target, Route, Desired, Actual, Layer string
				OK                                            bool
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || len(rep.Stages) != 5 || len(rep.Stages[4].Results) != 6 {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if r := rep.Stages[0].Results[3]; r.Caller != "unexpected-2" || r.Actual != "allow" || r.OK {
		t.Errorf("stage 1, call 4: %+v", r)
	}
	code, out, _ = runCLI(t, "", "scan", labScenario, "--stage", "security-group", "-o", "junit")
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal([]byte(out), &suites); err != nil || code != 0 || suites.Tests != 6 || suites.Failures != 0 {
		t.Fatalf("exit %d, %v, %+v:\n%s", code, err, suites, out)
	}
}

// TestScanHelp checks that the help says what the command does, shows
// examples and lists the exit statuses.
func TestScanHelp(t *testing.T) {
	code, out, _ := runCLI(t, "", "scan", "--help")
	for _, w := range []string{"trellis scan examples/zero-trust-lab --all-stages", "--live", "--diagram", "Exit status: 0 when every call behaved as desired",
		"3 when the scenario cannot be read", "docs/scan.md"} {
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("exit %d; help lacks %q:\n%s", code, w, out)
		}
	}
}
