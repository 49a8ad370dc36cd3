package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trellisproject/trellis/scan"
)

// labReport runs the zero-trust lab's stages statically.
func labReport(t *testing.T, stages ...string) *scan.Report {
	t.Helper()
	sc, err := scan.Load("../examples/zero-trust-lab")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scan.Run(context.Background(), sc, scan.Options{Stages: stages})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestWriteTable checks the table of a stage: a header, one row per call
// with its mark, the count, and the decision of every ✘ row.
func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := labReport(t, "start", "security-group").WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	row := regexp.MustCompile(`(?m)^  unexpected-2 +ServiceB +vpce-aaaa0001 +block +allow +allowed +✘$`)
	for _, want := range []string{
		"zero-trust-lab, static: stage 1 of 5, start\n",
		"zero-trust-lab, static: stage 5 of 5, security-group\n",
		"  2 of 6 calls behaved as desired.\n",
		"  6 of 6 calls behaved as desired.\n",
		"  ✘ unexpected-4 → ServiceB: desired block, allowed: Statement[0] (Sid \"FromPrivateSubnet1\") of resource policy of svcbapi001 allows\n",
		"8 of 12 calls behaved as desired over 2 stages.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
	if !row.MatchString(out) {
		t.Errorf("no ✘ row for unexpected-2 at stage 1:\n%s", out)
	}
	if n := strings.Count(out, "✔"); n != 8 {
		t.Errorf("%d ✔, want 8:\n%s", n, out)
	}
}

// TestWriteJSON checks the JSON report's shape: per stage, results with
// exactly the fields caller, target, route, desired, actual, layer, ok
// and explanation.
func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := labReport(t).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Scenario string `json:"scenario"`
		Mode     string `json:"mode"`
		Stages   []struct {
			Stage   string           `json:"stage"`
			Results []map[string]any `json:"results"`
		} `json:"stages"`
	}
	dec := json.NewDecoder(&b)
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Scenario != "zero-trust-lab" || doc.Mode != "static" || len(doc.Stages) != 5 {
		t.Fatalf("report %+v", doc)
	}
	fields := []string{"actual", "caller", "desired", "explanation", "layer", "ok", "route", "target"}
	for _, s := range doc.Stages {
		for _, r := range s.Results {
			var keys []string
			for k := range r {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, fields) {
				t.Fatalf("result fields %v, want %v", keys, fields)
			}
			if !slices.Contains([]any{"allow", "block"}, r["desired"]) || !slices.Contains([]any{"allow", "block"}, r["actual"]) {
				t.Errorf("result %v", r)
			}
			if _, ok := r["ok"].(bool); !ok {
				t.Errorf("ok is not a boolean: %v", r)
			}
		}
	}
	if first := doc.Stages[0].Results[3]; first["caller"] != "unexpected-2" || first["ok"] != false || first["layer"] != "allowed" {
		t.Errorf("stage 1, call 4: %v", first)
	}
}

// TestWriteJUnit checks that the JUnit XML decodes back (encoding/xml)
// into a suite per stage and a case per call, failed for each ✘.
func TestWriteJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := labReport(t).WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), xml.Header) {
		t.Errorf("no XML header:\n%s", b.String())
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	if doc.Tests != 30 || doc.Failures != 7 || len(doc.Suites) != 5 {
		t.Fatalf("%d tests, %d failures, %d suites", doc.Tests, doc.Failures, len(doc.Suites))
	}
	wantFailures := []int{4, 2, 1, 0, 0}
	for i, s := range doc.Suites {
		failed := 0
		for _, c := range s.Cases {
			if c.Failure != nil {
				failed++
				if c.Failure.Message != "desired block, actual allow (allowed)" || !strings.HasPrefix(c.Failure.Text, "allowed: ") {
					t.Errorf("%s: failure %+v", c.Name, c.Failure)
				}
			}
		}
		if s.Tests != 6 || s.Failures != wantFailures[i] || failed != wantFailures[i] {
			t.Errorf("suite %s: %d tests, %d failures (%d failed cases), want 6 and %d", s.Name, s.Tests, s.Failures, failed, wantFailures[i])
		}
	}
	if doc.Suites[0].Name != "zero-trust-lab/start" || doc.Suites[0].Cases[0].Name != "expected → ServiceB via vpce-aaaa0001" {
		t.Errorf("names %q, %q", doc.Suites[0].Name, doc.Suites[0].Cases[0].Name)
	}
}

// TestWriteMermaid checks the diagrams: one bare flowchart for one stage,
// Markdown with a fenced flowchart per stage for several; solid arrows for
// allowed calls, crossed dotted ones labelled with the layer for blocked
// ones, and red for ✘.
func TestWriteMermaid(t *testing.T) {
	var one bytes.Buffer
	if err := labReport(t, "start").WriteMermaid(&one); err != nil {
		t.Fatal(err)
	}
	out := one.String()
	for _, want := range []string{
		"flowchart LR\n",
		`  c0["expected"]` + "\n",
		`  t5[("ServiceB")]` + "\n",
		`  c0 -->|"allowed via vpce-aaaa0001"| t5` + "\n",
		`  c0 -->|"✘ allowed via vpce-aaaa0001"| t6` + "\n",
		`  c1 -.-x|"resource-policy"| t5` + "\n",
		`  c2 -->|"✘ allowed via vpce-aaaa0001"| t5` + "\n",
		"  linkStyle 1,3,4,5 stroke:#d33",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the diagram lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "```") {
		t.Errorf("one stage is fenced:\n%s", out)
	}
	var all bytes.Buffer
	if err := labReport(t).WriteMermaid(&all); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(all.String(), "```mermaid\nflowchart LR\n"); n != 5 {
		t.Errorf("%d fenced diagrams, want 5:\n%s", n, all.String())
	}
	if !strings.Contains(all.String(), "## zero-trust-lab, stage 5 of 5: security-group\n") || !strings.Contains(all.String(), "linkStyle") {
		t.Errorf("headings:\n%s", all.String())
	}
}
