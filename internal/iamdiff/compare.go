package iamdiff

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Evaluator evaluates one evaluation document and returns the decision ("Allow",
// "ImplicitDeny" or "ExplicitDeny") and an explanation as JSON.
type Evaluator func(doc []byte) (decision string, explanation json.RawMessage, err error)

// Outcome classifies one compared case.
type Outcome string

const (
	Agree        Outcome = "agree"         // same decision
	Known        Outcome = "known"         // a documented known difference
	Disagree     Outcome = "disagree"      // different decisions, not explained
	SimError     Outcome = "sim-error"     // iam-simulate could not evaluate the case
	TrellisError Outcome = "trellis-error" // trellis rejected a case iam-simulate evaluated
)

// Result is the comparison of one case.
type Result struct {
	Case        *Case
	SimDoc      Document // what iam-simulate evaluated (see SimulatorView)
	Resolved    bool     // SimDoc differs from the case's document
	Trellis     string
	Explanation json.RawMessage
	TrellisErr  string
	Sim         SimResult
	Outcome     Outcome
	Known       string     // kind of known difference, if Outcome is Known
	Adjusted    *SimResult // iam-simulate on the known difference's adjusted document
	AdjustedDoc *Document
}

// Report is the result of a run: counts over every case, and the results that are not
// agreements (every result with Config.KeepAll).
type Report struct {
	Seed          uint64
	Cases         int
	Outcomes      map[Outcome]int
	KnownKinds    map[string]int // known differences by kind (kinds joined with "+")
	Decisions     map[string]int // trellis's decisions
	Resolved      int            // cases whose endpoint principals were resolved for iam-simulate
	ResolvedAgree int
	Features      map[string]int // cases exercising each feature
	Results       []Result
}

// Config says what to run.
type Config struct {
	Seed     uint64
	N        int
	Root     string    // repository root
	Evaluate Evaluator // trellis
	Cases    []Case    // if set, used instead of generating Seed/N
	KeepAll  bool      // keep every result, not only those that are not agreements
	Batch    int       // cases per iam-simulate process (default 5000)
}

// Run generates the cases, evaluates them with trellis and with iam-simulate (one Node
// process per batch of cases) and compares the decisions.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	rep := &Report{
		Seed: cfg.Seed, Outcomes: map[Outcome]int{}, KnownKinds: map[string]int{},
		Decisions: map[string]int{}, Features: map[string]int{},
	}
	n := cfg.N
	if cfg.Cases != nil {
		n = len(cfg.Cases)
	}
	batch := cfg.Batch
	if batch <= 0 {
		batch = 5000
	}
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		var cases []Case
		if cfg.Cases != nil {
			cases = cfg.Cases[start:end]
		} else {
			cases = make([]Case, 0, end-start)
			for i := start; i < end; i++ {
				cases = append(cases, GenerateCase(cfg.Seed, i))
			}
		}
		results, err := compareBatch(ctx, cfg, cases)
		if err != nil {
			return nil, err
		}
		for _, r := range results {
			rep.add(r, cfg.KeepAll)
		}
	}
	return rep, nil
}

func (rep *Report) add(r Result, keep bool) {
	rep.Cases++
	rep.Outcomes[r.Outcome]++
	if r.Outcome == Known {
		rep.KnownKinds[r.Known]++
	}
	if r.Outcome != SimError && r.Outcome != TrellisError {
		rep.Decisions[r.Trellis]++
	}
	if r.Resolved {
		rep.Resolved++
		if r.Outcome == Agree {
			rep.ResolvedAgree++
		}
	}
	for _, t := range r.Case.Tags {
		rep.Features[t]++
	}
	if keep || r.Outcome != Agree {
		rep.Results = append(rep.Results, r)
	}
}

func compareBatch(ctx context.Context, cfg Config, cases []Case) ([]Result, error) {
	results := make([]Result, len(cases))
	simDocs := make([][]byte, len(cases))
	for i := range cases {
		r := &results[i]
		r.Case = &cases[i]
		r.SimDoc, r.Resolved = SimulatorView(cases[i].Doc)
		simDocs[i] = r.SimDoc.Marshal()
	}
	sims, err := RunSimulator(ctx, cfg.Root, simDocs, false)
	if err != nil {
		return nil, err
	}
	var adjust []int
	var adjustDocs [][]byte
	for i := range results {
		r := &results[i]
		r.Sim = sims[i]
		dec, expl, err := cfg.Evaluate(r.Case.Doc.Marshal())
		r.Trellis, r.Explanation = dec, expl
		if err != nil {
			r.TrellisErr = err.Error()
		}
		switch {
		case r.Sim.Error != "":
			r.Outcome = SimError
		case r.TrellisErr != "":
			r.Outcome = TrellisError
		case r.Trellis == r.Sim.Decision:
			r.Outcome = Agree
			r.Explanation = nil // not needed, and large
		default:
			r.Outcome = Disagree
			// Every known difference whose shape the case has is applied: the case is a
			// known difference if iam-simulate, on the document adjusted for all of them,
			// agrees with trellis.
			var kinds []string
			doc, adjusted, unconfirmed := r.SimDoc, false, false
			for _, k := range KnownDifferences {
				if !k.Matches(doc, r.Trellis, r.Sim.Decision) {
					continue
				}
				kinds = append(kinds, k.Kind)
				if k.Adjust == nil {
					unconfirmed = true
					continue
				}
				if a, ok := k.Adjust(doc); ok {
					doc, adjusted = a, true
				}
			}
			r.Known = strings.Join(kinds, "+")
			switch {
			case adjusted:
				r.AdjustedDoc = &doc
				adjust = append(adjust, i)
				adjustDocs = append(adjustDocs, doc.Marshal())
			case unconfirmed:
				r.Outcome = Known
			}
		}
	}
	if len(adjust) > 0 {
		adj, err := RunSimulator(ctx, cfg.Root, adjustDocs, false)
		if err != nil {
			return nil, err
		}
		for j, i := range adjust {
			r := &results[i]
			r.Adjusted = &adj[j]
			if adj[j].Error == "" && adj[j].Decision == r.Trellis {
				r.Outcome = Known
			}
		}
	}
	return results, nil
}

// Count returns how many cases have the outcome.
func (rep *Report) Count(o Outcome) int { return rep.Outcomes[o] }

// Filter returns the results with the outcome.
func (rep *Report) Filter(o Outcome) []Result {
	var out []Result
	for _, r := range rep.Results {
		if r.Outcome == o {
			out = append(out, r)
		}
	}
	return out
}

// Summary prints the counts of a run.
func (rep *Report) Summary(w io.Writer) {
	fmt.Fprintf(w, "cases: %d (seed %d)\n", rep.Cases, rep.Seed)
	fmt.Fprintf(w, "agreements: %d\n", rep.Count(Agree))
	fmt.Fprintf(w, "known differences: %d\n", rep.Count(Known))
	kinds := make([]string, 0, len(rep.KnownKinds))
	for k := range rep.KnownKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %s: %d\n", k, rep.KnownKinds[k])
	}
	fmt.Fprintf(w, "disagreements: %d\n", rep.Count(Disagree))
	fmt.Fprintf(w, "iam-simulate errors: %d\n", rep.Count(SimError))
	errorCauses(w, rep.Filter(SimError), func(r Result) string { return r.Sim.Error })
	fmt.Fprintf(w, "trellis errors: %d\n", rep.Count(TrellisError))
	errorCauses(w, rep.Filter(TrellisError), func(r Result) string { return r.TrellisErr })
	fmt.Fprintf(w, "trellis decisions: Allow %d, ImplicitDeny %d, ExplicitDeny %d\n", rep.Decisions[Allow], rep.Decisions[ImplicitDeny], rep.Decisions[ExplicitDeny])
	fmt.Fprintf(w, "endpoint policies naming principals (compared after resolving principals): %d cases, %d agreements\n", rep.Resolved, rep.ResolvedAgree)
}

// Coverage prints how many cases exercise each feature (see Features).
func (rep *Report) Coverage(w io.Writer) {
	counts := rep.Features
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	line := ""
	for _, k := range keys {
		item := fmt.Sprintf("%s=%d", k, counts[k])
		if len(line)+len(item) > 110 {
			fmt.Fprintln(w, strings.TrimSpace(line))
			line = ""
		}
		line += item + " "
	}
	if line != "" {
		fmt.Fprintln(w, strings.TrimSpace(line))
	}
}

// Describe prints one result for a human: the case, both decisions, trellis's explanation.
func (r *Result) Describe(w io.Writer) {
	fmt.Fprintf(w, "case %s: trellis %s, iam-simulate %s", r.Case.Name(), orText(r.Trellis, "error: "+r.TrellisErr), orText(r.Sim.Decision, "error: "+r.Sim.Error))
	if r.Known != "" {
		fmt.Fprintf(w, " (shape of known difference %s", r.Known)
		if r.Adjusted != nil {
			fmt.Fprintf(w, "; iam-simulate on the adjusted document: %s", orText(r.Adjusted.Decision, "error: "+r.Adjusted.Error))
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "features: %s\n", strings.Join(r.Case.Tags, " "))
	fmt.Fprintf(w, "document:\n%s\n", indent(r.Case.Doc.Marshal()))
	if r.Resolved {
		fmt.Fprintf(w, "document given to iam-simulate (endpoint principals resolved):\n%s\n", indent(r.SimDoc.Marshal()))
	}
	if len(r.Explanation) > 0 {
		fmt.Fprintf(w, "trellis explanation:\n%s\n", indent(r.Explanation))
	}
}

func orText(s, alt string) string {
	if s != "" {
		return s
	}
	return alt
}

func indent(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}

// WriteJSONL writes the results as JSON lines, one object per case: its name, features,
// both decisions, the document and trellis's explanation.
func WriteJSONL(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range results {
		line := map[string]any{
			"case":        r.Case.Name(),
			"outcome":     r.Outcome,
			"features":    r.Case.Tags,
			"trellis":     orText(r.Trellis, "error: "+r.TrellisErr),
			"iamSimulate": orText(r.Sim.Decision, "error: "+r.Sim.Error),
			"document":    r.Case.Doc,
		}
		if r.Resolved {
			line["iamSimulateDocument"] = r.SimDoc
		}
		if r.Known != "" {
			line["knownDifferenceShape"] = r.Known
		}
		if r.Adjusted != nil {
			line["iamSimulateAdjusted"] = orText(r.Adjusted.Decision, "error: "+r.Adjusted.Error)
		}
		if len(r.Explanation) > 0 {
			line["explanation"] = r.Explanation
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}

var (
	errIndex    = regexp.MustCompile(`\[\d+\]`)
	errPosition = regexp.MustCompile(`\d+:\d+: `)
	errQuoted   = regexp.MustCompile(`"[^"]*"`)
)

// ErrorCause reduces an error message to its cause: the message without where in the
// document it arose, with indexes, positions and quoted values blanked.
func ErrorCause(m string) string {
	if i := strings.LastIndex(m, "error: "); i >= 0 {
		m = m[i+len("error: "):]
	}
	if strings.HasPrefix(m, "Statement") {
		if _, rest, ok := strings.Cut(m, ": "); ok {
			m = rest
		}
	}
	return errQuoted.ReplaceAllString(errPosition.ReplaceAllString(errIndex.ReplaceAllString(m, "[i]"), ""), `"…"`)
}

// errorCauses prints the most frequent error messages, with indexes, positions and quoted
// values blanked so that one cause counts once.
func errorCauses(w io.Writer, rs []Result, msg func(Result) string) {
	counts := map[string]int{}
	example := map[string]string{}
	for _, r := range rs {
		k := ErrorCause(msg(r))
		counts[k]++
		if _, ok := example[k]; !ok {
			example[k] = r.Case.Name()
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return counts[keys[i]] > counts[keys[j]] || counts[keys[i]] == counts[keys[j]] && keys[i] < keys[j]
	})
	for i, k := range keys {
		if i == 5 {
			fmt.Fprintf(w, "  ... and %d more causes\n", len(keys)-5)
			break
		}
		fmt.Fprintf(w, "  %d× (e.g. case %s) %s\n", counts[k], example[k], k)
	}
}
