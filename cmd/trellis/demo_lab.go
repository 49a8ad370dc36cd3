package main

import (
	"context"
	"fmt"
	"io"

	"github.com/trellisproject/trellis/examples"
	"github.com/trellisproject/trellis/scan"
)

// labDemoOptions are the flags of "trellis demo".
type labDemoOptions struct {
	// static decides the calls without the gateway.
	static bool
}

// labScenarioFile is the lab's scenario in examples.ZeroTrustLab.
const labScenarioFile = "zero-trust-lab/scenario.yaml"

// loadLabScenario reads the zero-trust lab's scenario from the copy
// embedded in the binary, so that the demo runs from anywhere.
func loadLabScenario() (*scan.Scenario, error) {
	data, err := examples.ZeroTrustLab.ReadFile(labScenarioFile)
	if err != nil {
		return nil, err
	}
	return scan.Parse(data, "examples/"+labScenarioFile, func(name string) ([]byte, error) {
		return examples.ZeroTrustLab.ReadFile("zero-trust-lab/" + name)
	})
}

// runLabDemo runs every stage of the zero-trust lab, live unless
// o.static, and reports each: what the stage changed, the table and the
// summary. It returns silentFailure when the last stage does not behave as
// desired: the earlier stages' ✘ are the point of the demo.
func runLabDemo(ctx context.Context, o labDemoOptions, out io.Writer) error {
	sc, err := loadLabScenario()
	if err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("the lab's scenario: %w", err)}
	}
	fmt.Fprintf(out, `trellis demo: zero trust, built one layer at a time

ServiceA, on an EC2 instance with role ServiceAInstanceRole at 10.199.0.10,
calls ServiceB's private REST API (ServiceBAPI, stage api, GET /orders)
through the interface endpoint VPCE SrvA (vpce-aaaa0001). Nobody else should
get through, nor should ServiceA reach any other API. The callers:
`)
	for _, c := range sc.Callers {
		fmt.Fprintf(out, "  %-13s %s\n", c.Name, c.Description)
	}
	how := "Each call is a real request through trellis's gateway, sent from the caller's own\n" +
		"loopback address (which the gateway sees as its VPC address), signed with its role\n" +
		"session or unsigned, to ServiceB's order history running behind it."
	if o.static {
		how = "With --static, each call is decided by the gateway's decision code without being sent."
	}
	fmt.Fprintf(out, "\n%s\n✘ marks a call the posture still gets wrong. The stages harden one layer each:\n\n", how)
	rep, err := scan.Run(ctx, sc, scan.Options{Live: !o.static})
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	if err := rep.WriteTable(out); err != nil {
		return err
	}
	fmt.Fprint(out, `
Each stage is a native configuration document in examples/zero-trust-lab
(stage1.yaml to stage5.yaml, each laid over the ones before; "trellis apply"
takes them). Scan them yourself, or your own scenario (docs/scan.md):
  trellis scan examples/zero-trust-lab --all-stages --live
  trellis scan examples/zero-trust-lab --stage start --output json
  trellis scan examples/zero-trust-lab --all-stages --diagram mermaid
More demos: "trellis demo lattice" (a VPC Lattice service network, set up
through the control plane's APIs) and "trellis demo policies".
`)
	last := rep.Stages[len(rep.Stages)-1]
	if last.Passed() != len(last.Results) {
		return silentFailure
	}
	return nil
}
