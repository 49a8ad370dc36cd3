package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/trellisproject/trellis/scan"
)

// Exit statuses of "trellis scan" beyond the shared ones.
const (
	// exitBadScenario: the scenario cannot be read or is not valid.
	exitBadScenario = 3
	// exitRunFailed: a live run could not be made (a listener did not
	// start, the gateway did not report a call).
	exitRunFailed = 4
)

// scanOptions are the flags of "trellis scan".
type scanOptions struct {
	static, live bool
	stages       []string
	allStages    bool
	output       string
	diagram      string
	verbose      bool
}

func newScanCommand() *cobra.Command {
	var o scanOptions
	cmd := &cobra.Command{
		Use:   "scan SCENARIO",
		Short: "Run a scenario's calls and show which get through, and where the others are stopped",
		Long: `Run the calls of a scenario: callers (workloads, with their credentials or
none), targets (private APIs through interface endpoints, VPC Lattice
services, endpoint services through interface endpoints or by the DNS names
callers dial, internet addresses) and the outcome each call
should have (allow or block). For every call it shows the caller, target,
route, desired and actual outcome, the layer that stopped it (route, nacl,
security-group, signature, endpoint-policy, authentication,
service-network-policy, service-policy, resource-policy, identity-policy,
not-found) or "allowed", and ✔ when it behaved as desired, ✘ when not; then
"N of M calls behaved as desired".

SCENARIO is a scenario file, or a directory holding scenario.yaml. Its
format is in docs/scan.md.

--static (the default) decides every call with the gateway's decision code
and sends nothing. --live starts the gateway in this process with each
stage's configuration and the scenario's backends, and sends real requests,
signed with SigV4 or unsigned, each caller from its own address of
127.199.0.0/16 (Linux routes all of 127.0.0.0/8 to the loopback). Internet
addresses are never called: those rows are decided with the network model
and marked modelled.

A scenario's stages are changes to its configuration, applied in order.
Without --stage or --all-stages the last stage runs: the configuration as it
ends up. --stage takes a stage's name or number and may be repeated.

Exit status: 0 when every call behaved as desired, 1 when some did not,
2 for bad flags, 3 when the scenario cannot be read or is not valid, 4 when a
live run could not be made.`,
		Example: `  trellis scan examples/zero-trust-lab
  trellis scan examples/zero-trust-lab --all-stages
  trellis scan examples/zero-trust-lab --stage start --stage 3 --live
  trellis scan examples/zero-trust-lab/scenario.yaml --all-stages --output json
  trellis scan examples/zero-trust-lab --all-stages --output junit > scan.xml
  trellis scan examples/zero-trust-lab --all-stages --diagram mermaid > lab.md
  trellis scan examples/privatelink --all-stages --live`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd, args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.static, "static", false, "decide the calls without sending anything (the default)")
	f.BoolVar(&o.live, "live", false, "send real requests through a gateway started in this process")
	f.StringArrayVar(&o.stages, "stage", nil, "run this stage (a name or a number from 1); may be repeated")
	f.BoolVar(&o.allStages, "all-stages", false, "run every stage in turn")
	f.StringVarP(&o.output, "output", "o", "table", "report format: table, json or junit")
	f.StringVar(&o.diagram, "diagram", "", "write a diagram instead of the report: mermaid")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log the live gateway's warnings to standard error")
	return cmd
}

func runScan(cmd *cobra.Command, path string, o scanOptions) error {
	switch {
	case o.static && o.live:
		return usageErrorf("--static and --live exclude each other")
	case o.allStages && len(o.stages) > 0:
		return usageErrorf("--stage and --all-stages exclude each other")
	case !slices.Contains([]string{"table", "json", "junit"}, o.output):
		return usageErrorf("--output %q: use table, json or junit", o.output)
	case o.diagram != "" && o.diagram != "mermaid":
		return usageErrorf("--diagram %q: the one diagram is mermaid", o.diagram)
	case o.diagram != "" && o.output != "table":
		return usageErrorf("--diagram replaces the report, so it does not combine with --output %s", o.output)
	}
	sc, err := scan.Load(path)
	if err != nil {
		return &exitError{code: exitBadScenario, err: scenarioError(path, err)}
	}
	stages := o.stages
	if len(stages) == 0 && !o.allStages {
		names := sc.StageNames()
		stages = names[len(names)-1:]
	}
	for _, s := range stages {
		if _, err := sc.Stage(s); err != nil {
			return usageErrorf("--stage: %v", err)
		}
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.DiscardHandler)
	if o.verbose {
		log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	rep, err := scan.Run(ctx, sc, scan.Options{Live: o.live, Stages: stages, Logger: log})
	if err != nil {
		return &exitError{code: exitRunFailed, err: err}
	}
	if err := writeReport(cmd.OutOrStdout(), rep, o); err != nil {
		return err
	}
	if !rep.OK() {
		return silentFailure
	}
	return nil
}

// writeReport writes the report, or the diagram, in the chosen format.
func writeReport(w io.Writer, rep *scan.Report, o scanOptions) error {
	switch {
	case o.diagram == "mermaid":
		return rep.WriteMermaid(w)
	case o.output == "json":
		return rep.WriteJSON(w)
	case o.output == "junit":
		return rep.WriteJUnit(w)
	}
	return rep.WriteTable(w)
}

// scenarioError says what is wrong with a scenario, one problem a line.
func scenarioError(path string, err error) error {
	var se *scan.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("cannot read the scenario %s: %w", path, err)
	}
	lines := strings.Split(err.Error(), "\n")
	what := "1 problem"
	if len(lines) > 1 {
		what = fmt.Sprintf("%d problems", len(lines))
	}
	return fmt.Errorf("the scenario is not valid (%s):\n  %s", what, strings.Join(lines, "\n  "))
}
