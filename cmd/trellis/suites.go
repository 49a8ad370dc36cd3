package main

import (
	"fmt"
	"io"

	"github.com/trellisproject/trellis/internal/evaldoc"
)

// namedSuite is a test suite with where it came from.
type namedSuite struct {
	name  string
	suite *evaldoc.Suite
}

// runSuites runs test suites and prints one line per case; it returns the
// number of cases and how many behaved as expected.
func runSuites(w io.Writer, suites []namedSuite, verbose bool) (total, passed int) {
	for _, ns := range suites {
		title := ns.suite.Description
		if title == "" {
			title = ns.name
		}
		fmt.Fprintf(w, "%s\n  (%s)\n", title, ns.name)
		for _, c := range ns.suite.Run() {
			total++
			mark := "✘"
			if c.OK() {
				mark = "✔"
				passed++
			}
			switch {
			case c.Err != nil:
				fmt.Fprintf(w, "  %s %-12s %s\n      error: %v\n", mark, "-", c.Description, c.Err)
				continue
			case c.Expected == "":
				fmt.Fprintf(w, "  %s %-12s %s\n      the case has no \"expect\"\n", mark, c.Decision, c.Description)
				continue
			}
			fmt.Fprintf(w, "  %s %-12s %s\n", mark, c.Decision, c.Description)
			if verbose || !c.OK() {
				fmt.Fprintf(w, "      why: %s\n", c.Explanation.Summary)
				if cl := c.Explanation.Closest; cl != nil {
					fmt.Fprintf(w, "      closest: Statement[%d] of %s %s: %s\n", cl.Statement, cl.Type, cl.Name, cl.Reason)
				}
			}
			if !c.OK() {
				fmt.Fprintf(w, "      expected %s\n", c.Expected)
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%d of %d cases behaved as expected\n", passed, total)
	return total, passed
}
