package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trellisproject/trellis/internal/evaldoc"
	"github.com/trellisproject/trellis/policy"
)

func newPolicyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Validate and evaluate IAM policy documents",
		Long: `Work with IAM-language policy documents offline: validate them with
positions and JSON paths, and evaluate requests against the policy types AWS
combines (identity, resource, endpoint, session, boundaries, SCPs).`,
	}
	cmd.AddCommand(newPolicyValidateCommand(), newPolicyEvalCommand(), newPolicyTestCommand())
	return cmd
}

// policyTypes are the presets of "policy validate --type".
var policyTypes = map[string]policy.Options{
	"any":          {Kind: policy.KindAny},
	"identity":     {Kind: policy.KindIdentity},
	"resource":     {Kind: policy.KindResource},
	"scp":          {Kind: policy.KindServiceControl},
	"lattice-auth": {Kind: policy.KindResource, MaxBytes: policy.LatticeAuthPolicyMaxBytes},
	"endpoint":     {Kind: policy.KindResource, MaxChars: policy.EndpointPolicyMaxChars},
}

func newPolicyValidateCommand() *cobra.Command {
	var typ, output string
	var maxBytes, maxChars int
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check policy documents and report errors and warnings with positions",
		Long: `Validate policy documents. Each finding is printed as
FILE:LINE:COLUMN: SEVERITY: JSON.PATH: message.

--type chooses the rules:
  any           grammar only (default)
  identity      identity-based policy, permissions boundary or session policy
  resource      resource-based policy (must name a Principal)
  scp           service control policy (no Principal)
  lattice-auth  VPC Lattice auth policy (resource-based, at most 10,240 bytes)
  endpoint      VPC endpoint policy (resource-based, at most 20,480 characters)

Use "-" to read a document from standard input.
Exit status: 0 when every document is valid (warnings allowed), 1 when any
has an error, 2 on usage errors or unreadable files.`,
		Example: `  trellis policy validate examples/policies/lattice-org-only.json
  trellis policy validate --type lattice-auth --output json auth.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, ok := policyTypes[typ]
			if !ok {
				return usageErrorf("--type %q is not one of any, identity, resource, scp, lattice-auth, endpoint", typ)
			}
			if maxBytes > 0 {
				opts.MaxBytes = maxBytes
			}
			if maxChars > 0 {
				opts.MaxChars = maxChars
			}
			if output != "text" && output != "json" {
				return usageErrorf("--output %q is not text or json", output)
			}
			type fileReport struct {
				File        string              `json:"file"`
				Valid       bool                `json:"valid"`
				Diagnostics []policy.Diagnostic `json:"diagnostics"`
			}
			var reports []fileReport
			allValid := true
			for _, name := range args {
				doc, err := readInput(cmd, name)
				if err != nil {
					return &exitError{code: exitUsage, err: err}
				}
				diags := policy.Validate(doc, opts)
				valid := true
				for _, d := range diags {
					if d.Severity == policy.Error {
						valid = false
					}
				}
				allValid = allValid && valid
				if diags == nil {
					diags = []policy.Diagnostic{}
				}
				reports = append(reports, fileReport{File: name, Valid: valid, Diagnostics: diags})
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(reports); err != nil {
					return err
				}
			} else {
				for _, r := range reports {
					for _, d := range r.Diagnostics {
						fmt.Fprintf(out, "%s:%s\n", r.File, d)
					}
					if r.Valid {
						fmt.Fprintf(out, "%s: valid\n", r.File)
					}
				}
			}
			if !allValid {
				return silentFailure
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&typ, "type", "any", "policy type whose rules apply: any, identity, resource, scp, lattice-auth, endpoint")
	cmd.Flags().IntVar(&maxBytes, "max-bytes", 0, "reject documents larger than this many bytes")
	cmd.Flags().IntVar(&maxChars, "max-chars", 0, "reject documents longer than this many characters")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

func readInput(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	return os.ReadFile(name)
}

func newPolicyEvalCommand() *cobra.Command {
	var input, output string
	var batch bool
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate a request against a set of policies and explain the decision",
		Long: `Evaluate one request against the policies that apply to it, combined as
AWS's policy evaluation logic documents, and explain the decision: which
statements allowed or denied, and for each statement that did not apply, which
element or condition failed and why.

The input is a JSON evaluation document (see docs/policy-eval.md):
  {"identityPolicies": [...], "resourcePolicy": {...}, "endpointPolicies": [...],
   "sessionPolicy": {...}, "permissionsBoundaries": [...],
   "serviceControlPolicies": [...], "resourceControlPolicies": [...],
   "request": {"principal": "arn:aws:iam::111122223333:role/R" | "anonymous",
               "action": "vpc-lattice-svcs:Invoke", "resource": "arn:...",
               "resourceAccount": "111122223333", "context": {"aws:SourceIp": "10.0.0.1"}},
   "expect": "Allow"}

--output json prints {"decision": "Allow"|"ImplicitDeny"|"ExplicitDeny", "explanation": {...}}.
--batch reads one document per line and writes one JSON result per line
({"decision": ...} or {"error": "..."}).

Exit status: 0 when every document was evaluated (and met its "expect", if
any); 1 when a document is invalid or a decision differs from "expect";
2 on usage errors.`,
		Example: `  trellis policy eval --input examples/policies/lattice-role-get-only.eval.json
  trellis policy eval --input case.json --output json
  trellis policy eval --batch < cases.jsonl > results.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "table" && output != "json" {
				return usageErrorf("--output %q is not table or json", output)
			}
			if batch {
				return evalBatch(cmd, input)
			}
			if input == "" {
				return usageErrorf("--input FILE is required (use - for standard input), or --batch")
			}
			doc, err := readInput(cmd, input)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			res, err := evaldoc.Evaluate(doc)
			if err != nil {
				return &exitError{code: exitFailed, err: fmt.Errorf("%s: %w", input, err)}
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				printExplanation(out, res)
			}
			if res.AsExpected != nil && !*res.AsExpected {
				return silentFailure
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "evaluation document to read (- for standard input)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	cmd.Flags().BoolVar(&batch, "batch", false, "read one document per line from --input or standard input; write one JSON result per line")
	return cmd
}

func evalBatch(cmd *cobra.Command, input string) error {
	in := cmd.InOrStdin()
	if input != "" && input != "-" {
		f, err := os.Open(input)
		if err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		defer f.Close()
		in = f
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	w := bufio.NewWriterSize(cmd.OutOrStdout(), 64*1024)
	enc := json.NewEncoder(w)
	failed := false
	line := 0
	for sc.Scan() {
		line++
		text := sc.Bytes()
		if len(strings.TrimSpace(string(text))) == 0 {
			continue
		}
		res, err := evaldoc.Evaluate(text)
		if err != nil {
			failed = true
			if err := enc.Encode(map[string]string{"error": fmt.Sprintf("line %d: %v", line, err)}); err != nil {
				return err
			}
			continue
		}
		if res.AsExpected != nil && !*res.AsExpected {
			failed = true
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &exitError{code: exitUsage, err: fmt.Errorf("line %d is longer than 16 MiB", line+1)}
		}
		return &exitError{code: exitUsage, err: err}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if failed {
		return silentFailure
	}
	return nil
}

// printExplanation prints an evaluation for people.
func printExplanation(w io.Writer, res evaldoc.Output) {
	e := res.Explanation
	fmt.Fprintf(w, "Decision: %s\n", e.Decision)
	fmt.Fprintf(w, "Why:      %s\n", e.Summary)
	if cl := e.Closest; cl != nil {
		fmt.Fprintf(w, "Closest:  Statement[%d] of %s %s: %s\n", cl.Statement, cl.Type, cl.Name, cl.Reason)
	}
	if res.Expected != "" {
		mark := "✔ as expected"
		if !*res.AsExpected {
			mark = "✘ NOT as expected"
		}
		fmt.Fprintf(w, "Expected: %s %s\n", res.Expected, mark)
	}
	for _, p := range e.Policies {
		name := p.Type.String()
		if p.Name != "" {
			name += " " + p.Name
		}
		if p.Target != "" {
			name += " (on " + p.Target + ")"
		}
		fmt.Fprintf(w, "\n%s: %s\n", name, p.Decision)
		for _, s := range p.Statements {
			label := fmt.Sprintf("Statement[%d]", s.Index)
			if s.Sid != "" {
				label += fmt.Sprintf(" %q", s.Sid)
			}
			if s.Applies {
				match := ""
				if s.PrincipalMatch != "" {
					match = " (principal matched: " + s.PrincipalMatch + ")"
				}
				fmt.Fprintf(w, "  %-5s %s, line %d: applies%s\n", s.Effect, label, s.Line, match)
			} else {
				fmt.Fprintf(w, "  %-5s %s, line %d: does not apply: %s\n", s.Effect, label, s.Line, s.Reason)
			}
		}
	}
	for _, warn := range res.Warnings {
		fmt.Fprintf(w, "\nwarning: %s", warn)
	}
	if len(res.Warnings) > 0 {
		fmt.Fprintln(w)
	}
}

func newPolicyTestCommand() *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test FILE...",
		Short: "Run policy test suites: policies with requests and the decisions expected",
		Long: `Run test suites of policies. A suite is a JSON document:
  {"description": "...",
   "policies": {"resourcePolicy": {...}, "identityPolicies": [...], ...},
   "cases": [{"description": "...", "request": {...}, "expect": "Allow"}, ...]}
Each case is an evaluation document (see "trellis policy eval --help"); policy
members given in a case replace the suite's. "expect" is Allow, ImplicitDeny,
ExplicitDeny, or Deny for either denial.

Exit status: 0 when every case behaved as expected, 1 otherwise, 2 on usage
errors or unreadable files.`,
		Example: `  trellis policy test examples/policies/*.json
  trellis policy test -v my-suite.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var suites []namedSuite
			for _, name := range args {
				data, err := readInput(cmd, name)
				if err != nil {
					return &exitError{code: exitUsage, err: err}
				}
				s, err := evaldoc.ReadSuite(data)
				if err != nil {
					return &exitError{code: exitFailed, err: fmt.Errorf("%s: %w", name, err)}
				}
				suites = append(suites, namedSuite{name: name, suite: s})
			}
			total, passed := runSuites(cmd.OutOrStdout(), suites, verbose)
			if passed != total {
				return silentFailure
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "say why for every case, not only failures")
	return cmd
}
