package scan_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trellisproject/trellis/scan"
)

// FuzzScenario feeds the scenario decoder arbitrary input: it must never
// panic, every problem it reports must be a *scan.Error, and a scenario
// it accepts must run statically, with a result for every call.
func FuzzScenario(f *testing.F) {
	f.Add([]byte(validScenario))
	f.Add([]byte("callers: [{name: a, interface: eni-1, signs: yes}]\ncalls: [{caller: a}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := scan.Parse(data, "fuzz.yaml", labFiles)
		if err != nil {
			var se *scan.Error
			if !errors.As(err, &se) {
				t.Fatalf("not a *scan.Error: %v", err)
			}
			return
		}
		rep, err := scan.Run(context.Background(), sc, scan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Stages) != len(sc.StageNames()) {
			t.Fatalf("%d stage reports for %d stages", len(rep.Stages), len(sc.StageNames()))
		}
	})
}
