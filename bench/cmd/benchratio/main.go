// Command benchratio reads `go test -bench` output of the comparison
// benchmarks (Benchmark<Group>/<engine>) and prints, per group, how many
// times faster trellis is than each other engine, from the medians of the
// same run, and a Markdown table of the figures.
//
// Usage: go test -run '^$' -bench . -benchmem -count 6 | benchratio [-markdown]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// goals are how many times faster than each engine trellis aims to be.
var goals = map[string]float64{"cedar": 2, "opa": 40}

var others = []string{"cedar", "opa"}

type sample struct {
	ns, bytes, allocs []float64
}

var (
	lineRE = regexp.MustCompile(`^Benchmark(\S+)/(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)
	unitRE = regexp.MustCompile(`([0-9.]+) (ns/op|B/op|allocs/op)`)
)

func main() {
	markdown := flag.Bool("markdown", false, "print only the Markdown table")
	flag.Parse()
	groups, header, err := read(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
	if len(groups) == 0 {
		fmt.Fprintln(os.Stderr, "benchratio: no benchmark lines on stdin")
		os.Exit(1)
	}
	if *markdown {
		table(os.Stdout, groups, header)
		return
	}
	ratios(os.Stdout, groups)
	fmt.Println()
	table(os.Stdout, groups, header)
}

type group struct {
	name    string
	engines map[string]*sample
}

func read(r io.Reader) ([]*group, []string, error) {
	var groups []*group
	var header []string
	byName := map[string]*group{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		for _, h := range []string{"goos:", "goarch:", "cpu:"} {
			if strings.HasPrefix(line, h) && !slices.Contains(header, line) {
				header = append(header, line)
			}
		}
		m := lineRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		g := byName[m[1]]
		if g == nil {
			g = &group{name: m[1], engines: map[string]*sample{}}
			byName[m[1]] = g
			groups = append(groups, g)
		}
		s := g.engines[m[2]]
		if s == nil {
			s = &sample{}
			g.engines[m[2]] = s
		}
		for _, u := range unitRE.FindAllStringSubmatch(m[3], -1) {
			v, err := strconv.ParseFloat(u[1], 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%q: %v", line, err)
			}
			switch u[2] {
			case "ns/op":
				s.ns = append(s.ns, v)
			case "B/op":
				s.bytes = append(s.bytes, v)
			case "allocs/op":
				s.allocs = append(s.allocs, v)
			}
		}
	}
	return groups, header, sc.Err()
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ratios prints one line per group and engine: the ratio of the medians and,
// in brackets, the least and most favourable pairing of single runs.
func ratios(w io.Writer, groups []*group) {
	for _, g := range groups {
		tr := g.engines["trellis"]
		if tr == nil || len(tr.ns) == 0 {
			continue
		}
		for _, e := range others {
			o := g.engines[e]
			if o == nil || len(o.ns) == 0 {
				continue
			}
			r := median(o.ns) / median(tr.ns)
			lo := slices.Min(o.ns) / slices.Max(tr.ns)
			hi := slices.Max(o.ns) / slices.Min(tr.ns)
			verdict := "met"
			if r < goals[e] {
				verdict = "MISSED"
			}
			fmt.Fprintf(w, "%-14s trellis vs %-5s %6.1fx faster [%.1f-%.1f over %d runs]  goal %gx: %s\n",
				g.name, e+":", r, lo, hi, min(len(o.ns), len(tr.ns)), goals[e], verdict)
		}
	}
}

func table(w io.Writer, groups []*group, header []string) {
	if len(header) > 0 {
		fmt.Fprintf(w, "`%s`\n\n", strings.Join(header, "`, `"))
	}
	fmt.Fprintln(w, "| benchmark | trellis ns/op | allocs | cedar-go ns/op | allocs | OPA ns/op | allocs | vs cedar-go | vs OPA |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, g := range groups {
		row := []string{g.name}
		for _, e := range []string{"trellis", "cedar", "opa"} {
			s := g.engines[e]
			if s == nil {
				row = append(row, "", "")
				continue
			}
			row = append(row, ns(median(s.ns)), strconv.FormatFloat(median(s.allocs), 'f', -1, 64))
		}
		tr := g.engines["trellis"]
		for _, e := range others {
			o := g.engines[e]
			if tr == nil || o == nil || median(tr.ns) == 0 {
				row = append(row, "")
				continue
			}
			row = append(row, fmt.Sprintf("%.1f×", median(o.ns)/median(tr.ns)))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}

func ns(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
