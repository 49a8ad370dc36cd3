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
	var o labDemoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Watch zero trust being built, layer by layer, on the zero-trust lab",
		Long: `Run the zero-trust lab of examples/zero-trust-lab through trellis's gateway,
one hardening stage at a time. ServiceA calls ServiceB's private API
through an interface endpoint; two Lambda functions of its account and an
instance of another account (at the same address, in its own VPC) should
not get through. At each stage the demo says what the hardening step
changed, sends every caller's call as a real request, signed with its role
session or unsigned, from its own loopback address (which the gateway sees
as the caller's VPC address), and shows which calls got through and the
layer that stopped the others: ✘ marks a call the posture still gets wrong.

Nothing needs to be set up, and nothing leaves the machine: the gateway and
ServiceB's order history run in this process, on loopback. Each caller
connects from an address of 127.199.0.0/16, which Linux routes to the
loopback; elsewhere, use --static, which decides the same calls without
sending them.

Exit status: 0 when the last stage lets through exactly the calls it should,
1 otherwise.

"trellis demo lattice" runs a VPC Lattice service network set up through the
control plane's APIs; "trellis demo policies" runs the policy engine alone.`,
		Example: `  trellis demo
  trellis demo --static
  trellis scan examples/zero-trust-lab --all-stages --live   # the same, from the files
  trellis demo lattice --once
  trellis demo policies`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runLabDemo(ctx, o, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&o.static, "static", false, "decide the calls without starting the gateway or sending anything")
	cmd.AddCommand(newDemoLatticeCommand(), newDemoPoliciesCommand())
	return cmd
}

func newDemoLatticeCommand() *cobra.Command {
	o := demoOptions{listen: "127.0.0.1:0", ingress: "127.0.0.1:0"}
	cmd := &cobra.Command{
		Use:   "lattice",
		Short: "Run trellis with an example VPC Lattice service network and show calls allowed and denied, and why",
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

Exit status: 0 when every call behaved as expected, 1 otherwise.`,
		Example: `  trellis demo lattice
  trellis demo lattice --once
  trellis demo lattice --data ./demo --listen 127.0.0.1:7400 --ingress 127.0.0.1:8080`,
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
