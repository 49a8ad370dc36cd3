package scan_test

import (
	"context"
	"fmt"
	"log"

	"github.com/trellisproject/trellis/scan"
)

// Scan the zero-trust lab's last stage without sending anything, and list
// each call with the layer that let it through or stopped it.
func Example() {
	sc, err := scan.Load("../examples/zero-trust-lab")
	if err != nil {
		log.Fatal(err)
	}
	rep, err := scan.Run(context.Background(), sc, scan.Options{Stages: []string{"security-group"}})
	if err != nil {
		log.Fatal(err)
	}
	for _, st := range rep.Stages {
		for _, r := range st.Results {
			fmt.Printf("%s → %s: %s at %s\n", r.Caller, r.Target, r.Actual, r.Layer)
		}
		fmt.Printf("%d of %d as desired\n", st.Passed(), len(st.Results))
	}
	// Output:
	// expected → ServiceB: allow at allowed
	// expected → unknown-API: block at endpoint-policy
	// unexpected-1 → ServiceB: block at security-group
	// unexpected-2 → ServiceB: block at security-group
	// unexpected-3 → ServiceB: block at security-group
	// unexpected-4 → ServiceB: block at resource-policy
	// 6 of 6 as desired
}
