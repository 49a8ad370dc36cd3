package main

import (
	"fmt"
	"io/fs"
	"sort"

	"github.com/spf13/cobra"

	"github.com/trellisproject/trellis/examples"
	"github.com/trellisproject/trellis/internal/evaldoc"
)

func newDemoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Show trellis deciding and explaining calls, on built-in examples",
		Long: `Run the policy engine on the examples shipped with trellis: the VPC Lattice
guide's auth policies, API Gateway resource policies, a VPC endpoint policy,
and AWS's cross-account and guardrail rules. For each call it prints the
decision and why. Nothing needs to be set up.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			suites, err := embeddedSuites()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, "trellis demo: the policy engine deciding calls, and saying why")
			fmt.Fprintln(out)
			total, passed := runSuites(out, suites, true)
			fmt.Fprintf(out, `
Try your own:
  trellis policy validate --type lattice-auth my-auth-policy.json
  trellis policy eval --input my-request.json        (format: docs/policy-eval.md)
  trellis policy test examples/policies/*.json
`)
			if passed != total {
				return silentFailure
			}
			return nil
		},
	}
}

func embeddedSuites() ([]namedSuite, error) {
	names, err := fs.Glob(examples.Policies, "policies/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []namedSuite
	for _, n := range names {
		data, err := examples.Policies.ReadFile(n)
		if err != nil {
			return nil, err
		}
		s, err := evaldoc.ReadSuite(data)
		if err != nil {
			return nil, fmt.Errorf("examples/%s: %w", n, err)
		}
		out = append(out, namedSuite{name: "examples/" + n, suite: s})
	}
	return out, nil
}
