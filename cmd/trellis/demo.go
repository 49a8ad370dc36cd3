package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/trellisproject/trellis/examples"
	"github.com/trellisproject/trellis/internal/evaldoc"
)

func newDemoCommand() *cobra.Command {
	o := demoOptions{listen: "127.0.0.1:0", ingress: "127.0.0.1:0"}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run trellis with an example service network and show calls allowed and denied, and why",
		Long: `Start trellis on this machine with its defaults, set up a small example
through its APIs, send calls through its gateway and show, for each, whether
it was allowed and why. Nothing needs to be set up.

The example: a service network "shop" whose auth policy lets in only the
principals of one organization, two services behind it ("orders" and
"billing", small HTTP servers the demo starts) with auth policies of their
own, and callers inside and outside the organization, one of them read-only,
and an anonymous one. The demo configures it as you would: the services
through the VPC Lattice API, the identities through trellis's native API.

Then it prints how to send your own calls with "trellis curl" and keeps
running until Ctrl-C (--once stops after the calls). The state is kept in a
temporary directory, deleted on exit, unless --data names one (new or empty).
The demo identities' access keys are throwaway: they are written to
DATA/demo-credentials and may be shown.

Exit status: 0 when every call behaved as expected, 1 otherwise.

"trellis demo policies" runs the policy engine alone on the example policies.`,
		Example: `  trellis demo
  trellis demo --once
  trellis demo --data ./demo --listen 127.0.0.1:7400 --ingress 127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runDemo(ctx, o, latticeExample, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&o.data, "data", "", "data directory to create and keep (default: a temporary one, deleted on exit)")
	cmd.Flags().StringVar(&o.listen, "listen", o.listen, "control plane address (HOST:PORT; port 0 picks a free one)")
	cmd.Flags().StringVar(&o.ingress, "ingress", o.ingress, "gateway ingress address (HOST:PORT; port 0 picks a free one)")
	cmd.Flags().BoolVar(&o.once, "once", false, "stop after the calls instead of running until Ctrl-C")
	cmd.AddCommand(newDemoPoliciesCommand())
	return cmd
}

func newDemoPoliciesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "policies",
		Short: "Show the policy engine deciding and explaining calls, on built-in examples",
		Long: `Run the policy engine on the examples shipped with trellis: the VPC Lattice
guide's auth policies, API Gateway resource policies, a VPC endpoint policy,
and AWS's cross-account and guardrail rules. For each call it prints the
decision and why. Nothing needs to be set up, and nothing is started.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			suites, err := embeddedSuites()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, "trellis demo policies: the policy engine deciding calls, and saying why")
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
