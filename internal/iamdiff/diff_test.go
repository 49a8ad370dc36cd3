package iamdiff

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	flagN        = flag.Int("iamdiff.n", 2000, "number of generated cases for TestDifferential")
	flagSeed     = flag.Uint64("iamdiff.seed", 1, "generator seed for TestDifferential")
	flagOut      = flag.String("iamdiff.out", "", "write the disagreeing cases (and errors) to this file as JSON lines")
	flagShow     = flag.Int("iamdiff.show", 10, "print at most this many disagreeing cases in full (errors are printed once per cause)")
	flagCase     = flag.String("iamdiff.case", "", "run only this case, given as seed/index, and print it in full with both evaluators' explanations")
	flagCoverage = flag.Bool("iamdiff.coverage", false, "print how many cases exercise each feature")
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// requireSimulator skips the test, saying how to fix it, when iam-simulate cannot run.
func requireSimulator(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	if why := SimulatorReady(root); why != "" {
		t.Skip("iam-simulate runner unavailable: " + why)
	}
	return root
}

// TestDifferential compares trellis with iam-simulate on generated cases. It fails on every
// disagreement that is not a documented known difference. Flags: -iamdiff.n, -iamdiff.seed,
// -iamdiff.out, -iamdiff.show, -iamdiff.case, -iamdiff.coverage (see docs/iam-differential.md).
func TestDifferential(t *testing.T) {
	root := requireSimulator(t)
	if TrellisEvaluator == nil {
		t.Skip("trellis's evaluator (internal/evaldoc) is not available in this tree yet")
	}
	cfg := Config{Seed: *flagSeed, N: *flagN, Root: root, Evaluate: TrellisEvaluator}
	if *flagCase != "" {
		seed, idx, err := parseCaseName(*flagCase)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Seed = seed
		cfg.Cases = []Case{GenerateCase(seed, idx)}
		cfg.KeepAll = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	start := time.Now()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var sum bytes.Buffer
	rep.Summary(&sum)
	fmt.Fprintf(&sum, "elapsed: %s\n", time.Since(start).Round(time.Millisecond))
	t.Log("\n" + sum.String())
	if *flagCoverage {
		var cov bytes.Buffer
		rep.Coverage(&cov)
		t.Log("coverage:\n" + cov.String())
	}
	if *flagCase != "" {
		r := rep.Results[0]
		var b bytes.Buffer
		r.Describe(&b)
		sims, err := RunSimulator(ctx, root, [][]byte{r.SimDoc.Marshal()}, true)
		if err == nil && len(sims[0].Detail) > 0 {
			fmt.Fprintf(&b, "iam-simulate analysis:\n%s\n", indent(sims[0].Detail))
		}
		t.Log("\n" + b.String())
	}

	bad := append(rep.Filter(Disagree), rep.Filter(TrellisError)...)
	bad = append(bad, rep.Filter(SimError)...)
	if *flagOut != "" {
		f, err := os.Create(*flagOut)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteJSONL(f, bad); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d disagreeing or failing cases to %s", len(bad), *flagOut)
	}
	// Disagreements in full, up to -iamdiff.show; errors once per cause.
	shown, hidden := 0, 0
	causes := map[string]int{}
	for _, r := range bad {
		var cause string
		switch r.Outcome {
		case SimError:
			cause = "sim: " + ErrorCause(r.Sim.Error)
		case TrellisError:
			cause = "trellis: " + ErrorCause(r.TrellisErr)
		}
		if cause != "" {
			causes[cause]++
			if causes[cause] > 1 {
				continue
			}
		} else if shown >= *flagShow {
			hidden++
			continue
		} else {
			shown++
		}
		var b bytes.Buffer
		r.Describe(&b)
		switch r.Outcome {
		case SimError:
			t.Errorf("iam-simulate could not evaluate a generated case (the generator must only produce cases it accepts); %d cases have this cause:\n%s", rep.Count(SimError), b.String())
		case TrellisError:
			t.Errorf("trellis rejected a case iam-simulate evaluated (first case of this cause; the summary counts them):\n%s", b.String())
		default:
			t.Errorf("disagreement:\n%s", b.String())
		}
	}
	if hidden > 0 {
		t.Errorf("... and %d more disagreements (use -iamdiff.out=FILE to get them all)", hidden)
	}
}

func parseCaseName(s string) (uint64, int, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("-iamdiff.case=%q: want seed/index", s)
	}
	seed, err := strconv.ParseUint(a, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("-iamdiff.case=%q: %v", s, err)
	}
	idx, err := strconv.Atoi(b)
	if err != nil || idx < 0 {
		return 0, 0, fmt.Errorf("-iamdiff.case=%q: bad index", s)
	}
	return seed, idx, nil
}

// TestGeneratedCasesAreAccepted checks the generator against iam-simulate alone: every
// generated case must be one iam-simulate evaluates (no validation error, no dropped
// context key), and the decisions must be varied enough to be a useful comparison.
func TestGeneratedCasesAreAccepted(t *testing.T) {
	root := requireSimulator(t)
	cases := Generate(1, 2000)
	docs := make([][]byte, len(cases))
	for i := range cases {
		v, _ := SimulatorView(cases[i].Doc)
		docs[i] = v.Marshal()
	}
	res, err := RunSimulator(context.Background(), root, docs, false)
	if err != nil {
		t.Fatal(err)
	}
	dec := map[string]int{}
	errs := 0
	for i, r := range res {
		if r.Error != "" {
			errs++
			if errs <= 10 {
				t.Errorf("case %s: iam-simulate: %s\n%s", cases[i].Name(), r.Error, indent(docs[i]))
			}
			continue
		}
		dec[r.Decision]++
	}
	t.Logf("iam-simulate decisions over %d cases: %v", len(cases), dec)
	for _, d := range []string{Allow, ImplicitDeny, ExplicitDeny} {
		if dec[d] < len(cases)/10 {
			t.Errorf("only %d of %d cases are %s: the generator's outcomes are unbalanced", dec[d], len(cases), d)
		}
	}
}
