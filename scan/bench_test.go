package scan_test

import (
	"context"
	"testing"

	"github.com/trellisproject/trellis/scan"
)

// BenchmarkRunLab measures a run of the zero-trust lab's five stages (30
// calls): static decides them, live starts a gateway per stage and sends
// each call from its caller's address.
func BenchmarkRunLab(b *testing.B) {
	sc, err := scan.Load("../examples/zero-trust-lab")
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name string
		live bool
	}{{"static", false}, {"live", true}} {
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := scan.Run(context.Background(), sc, scan.Options{Live: mode.live}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoadLab measures loading the lab's scenario: decoding it and
// building and checking the configuration of its five stages.
func BenchmarkLoadLab(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scan.Load("../examples/zero-trust-lab"); err != nil {
			b.Fatal(err)
		}
	}
}
