package scan

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Marks of a call that did and did not behave as desired.
const (
	markOK  = "✔"
	markBad = "✘"
)

// WriteTable writes one table per stage: caller, target, route, desired
// and actual outcome, layer, and ✔ or ✘; then "N of M calls behaved as
// desired" and, for each ✘, the decision that let the call through or
// stopped it.
func (r *Report) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	total, passed := 0, 0
	for i := range r.Stages {
		s := &r.Stages[i]
		if i > 0 {
			ew.printf("\n")
		}
		ew.printf("%s, %s: stage %d of %d, %s\n", r.Scenario, r.Mode, s.Number, r.StageCount, s.Stage)
		if s.Description != "" {
			ew.printf("  %s\n", s.Description)
		}
		ew.printf("\n")
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  caller\ttarget\troute\tdesired\tactual\tlayer\tok")
		modelledRows := false
		for _, res := range s.Results {
			mark, actual := markOK, res.Actual
			if !res.OK {
				mark = markBad
			}
			if res.Modelled {
				actual += "*"
				modelledRows = true
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", res.Caller, res.Target, res.Route, res.Desired, actual, res.Layer, mark)
		}
		tw.Flush()
		if modelledRows {
			ew.printf("  * modelled: decided with the network model, not sent\n")
		}
		ew.printf("  %d of %d calls behaved as desired.\n", s.Passed(), len(s.Results))
		for _, res := range s.Results {
			if !res.OK {
				ew.printf("  %s %s → %s: desired %s, %s\n", markBad, res.Caller, res.Target, res.Desired, res.Explanation)
			}
		}
		total += len(s.Results)
		passed += s.Passed()
	}
	if len(r.Stages) > 1 {
		ew.printf("\n%d of %d calls behaved as desired over %d stages.\n", passed, total, len(r.Stages))
	}
	return ew.err
}

// WriteJSON writes the report as one JSON document: the scenario, the
// mode, and per stage its results, each with the fields caller, target,
// route, desired, actual, layer, ok and explanation.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// The JUnit XML format, as CI systems read it.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Cases    []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		ClassName string        `xml:"classname,attr"`
		Failure   *junitFailure `xml:"failure,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// WriteJUnit writes the report as JUnit XML: a testsuite per stage and a
// testcase per call, failed when the call did not behave as desired.
func (r *Report) WriteJUnit(w io.Writer) error {
	out := junitSuites{Name: r.Scenario}
	for _, s := range r.Stages {
		suite := junitSuite{Name: r.Scenario + "/" + s.Stage, Tests: len(s.Results)}
		for _, res := range s.Results {
			c := junitCase{Name: res.Caller + " → " + res.Target + " via " + res.Route, ClassName: r.Scenario + "." + s.Stage,
				SystemOut: res.Explanation}
			if !res.OK {
				suite.Failures++
				c.Failure = &junitFailure{Type: "undesired-outcome", Text: res.Explanation,
					Message: fmt.Sprintf("desired %s, actual %s (%s)", res.Desired, res.Actual, res.Layer)}
			}
			suite.Cases = append(suite.Cases, c)
		}
		out.Tests += suite.Tests
		out.Failures += suite.Failures
		out.Suites = append(out.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteMermaid writes a Mermaid flowchart per stage: callers and targets
// as nodes, an allowed call as a solid arrow labelled with its route, a
// blocked one as a dotted line ending in a cross, labelled with the layer
// that stopped it. Calls that did not behave as desired are drawn red and
// marked ✘. One stage is written as a bare diagram; several as Markdown,
// a heading and a fenced diagram per stage.
func (r *Report) WriteMermaid(w io.Writer) error {
	ew := &errWriter{w: w}
	fenced := len(r.Stages) > 1
	for i := range r.Stages {
		s := &r.Stages[i]
		if fenced {
			if i > 0 {
				ew.printf("\n")
			}
			ew.printf("## %s, stage %d of %d: %s\n\n", r.Scenario, s.Number, r.StageCount, s.Stage)
			if s.Description != "" {
				ew.printf("%s\n\n", s.Description)
			}
			ew.printf("```mermaid\n")
		}
		writeFlowchart(ew, s)
		if fenced {
			ew.printf("```\n")
		}
	}
	return ew.err
}

func writeFlowchart(ew *errWriter, s *StageReport) {
	ew.printf("flowchart LR\n")
	ids := map[string]string{}
	node := func(kind, name string) string {
		key := kind + "\x00" + name
		if id, ok := ids[key]; ok {
			return id
		}
		id := kind + strconv.Itoa(len(ids))
		ids[key] = id
		shape := "[%s]"
		if kind == "t" {
			shape = "[(%s)]"
		}
		ew.printf("  %s"+shape+"\n", id, mermaidText(name))
		return id
	}
	for _, res := range s.Results {
		node("c", res.Caller)
	}
	for _, res := range s.Results {
		node("t", res.Target)
	}
	var red []string
	for i, res := range s.Results {
		from, to := ids["c\x00"+res.Caller], ids["t\x00"+res.Target]
		label := "allowed via " + res.Route
		if res.Actual != Allow {
			label = res.Layer
		}
		if !res.OK {
			label = markBad + " " + label
			red = append(red, strconv.Itoa(i))
		}
		arrow := "-->"
		if res.Actual != Allow {
			arrow = "-.-x"
		}
		ew.printf("  %s %s|%s| %s\n", from, arrow, mermaidText(label), to)
	}
	if len(red) > 0 {
		ew.printf("  linkStyle %s stroke:#d33,stroke-width:3px,color:#d33\n", strings.Join(red, ","))
	}
}

// mermaidText quotes a label for Mermaid.
func mermaidText(s string) string {
	return `"` + strings.NewReplacer(`"`, "#quot;", "\n", " ").Replace(s) + `"`
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
