package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/trellisproject/trellis/controlplane"
)

func newApplyCommand() *cobra.Command {
	var (
		f      clientFlags
		file   string
		dryRun bool
		output string
		only   []string
	)
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Apply a native configuration document (YAML or JSON) to a running trellis",
		Long: `Apply sends a configuration document to "trellis serve", which validates the
whole document, works out what it changes, and applies it in one transaction
(or, with --dry-run, only reports what it would change). A section present in
the document replaces what is configured in full: an entity it does not list
is deleted. See docs/configuration.md for the format.

--only SECTION[,SECTION] applies only those sections of the document
(identity, network, apis) and leaves the others as they are: to apply an
example's network without replacing the identities you sign with, say.

Access keys listed without a secret keep the secret they have; a key listed
with neither ID nor secret is created, and its secret is printed this once.
` + credentialsHelp,
		Example: `  trellis apply -f identities.yaml --dry-run
  trellis apply -f identities.yaml
  trellis apply -f examples/privatelink/config.yaml --only network
  trellis apply -f - < identities.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return usageErrorf("apply needs -f FILE (or -f - for standard input)")
			}
			if output != "text" && output != "json" {
				return usageErrorf("--output %q: use text or json", output)
			}
			data, err := readInput(cmd, file)
			if err != nil {
				return usageErrorf("%v", err)
			}
			// Decode here as well, so that a malformed file is reported
			// with its name before anything is sent.
			doc, err := controlplane.DecodeDocument(data)
			if err != nil {
				return usageErrorf("%s: %v", file, err)
			}
			if len(only) > 0 {
				if doc, err = onlySections(doc, only); err != nil {
					return usageErrorf("%s: %v", file, err)
				}
			}
			body, err := json.Marshal(doc)
			if err != nil {
				return &exitError{code: exitFailed, err: err}
			}
			c, err := newControlPlaneClient(cmd.Context(), f)
			if err != nil {
				return err
			}
			path := controlplane.NativeConfigurationPath
			if dryRun {
				path += "?dryRun=true"
			}
			resp, err := c.do(cmd.Context(), "POST", path, body)
			if err != nil {
				return err
			}
			var res controlplane.ApplyResult
			if err := json.Unmarshal(resp, &res); err != nil {
				return &exitError{code: exitFailed, err: fmt.Errorf("unexpected response from %s: %v", f.endpoint, err)}
			}
			if output == "json" {
				return writeJSONTo(cmd.OutOrStdout(), res)
			}
			printApplyResult(cmd.OutOrStdout(), res, dryRun)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&file, "filename", "f", "", "the document to apply (YAML or JSON; - for standard input)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would change without changing anything")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	cmd.Flags().StringSliceVar(&only, "only", nil, "apply only these sections: identity, network, apis")
	return cmd
}

// onlySections returns the document with only the named sections, each of
// which it must have.
func onlySections(doc *controlplane.Document, names []string) (*controlplane.Document, error) {
	var out controlplane.Document
	for _, name := range names {
		var present bool
		switch name {
		case "identity":
			out.Identity, present = doc.Identity, doc.Identity != nil
		case "network":
			out.Network, present = doc.Network, doc.Network != nil
		case "apis":
			out.APIs, present = doc.APIs, doc.APIs != nil
		default:
			return nil, fmt.Errorf("--only %q: the sections are identity, network and apis", name)
		}
		if !present {
			return nil, fmt.Errorf("--only %s: the document has no %s section", name, name)
		}
	}
	return &out, nil
}

func printApplyResult(w io.Writer, res controlplane.ApplyResult, dryRun bool) {
	if len(res.Changes) == 0 {
		fmt.Fprintln(w, "no changes: the configuration already matches the document")
		return
	}
	for _, c := range res.Changes {
		fmt.Fprintln(w, c.String())
	}
	switch {
	case dryRun:
		fmt.Fprintf(w, "%d change(s) would be applied (dry run: nothing changed)\n", len(res.Changes))
	default:
		fmt.Fprintf(w, "%d change(s) applied (configuration version %d)\n", len(res.Changes), res.Seq)
	}
	for _, k := range res.NewAccessKeys {
		fmt.Fprintf(w, "new access key for %s: %s\n  secret access key (shown only now): %s\n", k.User, k.ID, k.Secret)
	}
}

// configSections are the sections "trellis get" prints.
var configSections = []string{"identity", "organizations", "accounts", "policies", "users", "roles", "accessKeys", "network", "apis"}

func newExportCommand() *cobra.Command {
	var (
		f      clientFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Print the running trellis's native configuration as a document apply accepts",
		Long: `Export prints the native configuration of "trellis serve" in the format
"trellis apply" reads, so that it can be kept in version control and applied
again. Secret access keys are never exported: keys appear with their IDs only,
and applying the document keeps their secrets.
` + credentialsHelp,
		Example: `  trellis export > trellis.yaml
  trellis export -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkDocumentFormat(output); err != nil {
				return err
			}
			doc, err := fetchConfiguration(cmd, f)
			if err != nil {
				return err
			}
			return printDocument(cmd.OutOrStdout(), doc, output)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "yaml", "yaml or json")
	return cmd
}

func newGetCommand() *cobra.Command {
	var (
		f      clientFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "get SECTION",
		Short: "Print one section of the running trellis's native configuration",
		Long: `Get prints one section of the native configuration, in the same format as
"trellis export": identity (all of it), or one of its lists: organizations,
accounts, policies, users, roles, accessKeys; or network, or apis.
` + credentialsHelp,
		Example: `  trellis get users
  trellis get roles -o json`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: configSections,
		RunE: func(cmd *cobra.Command, args []string) error {
			section := args[0]
			if !slices.Contains(configSections, section) {
				return usageErrorf("unknown section %q: use one of %v", section, configSections)
			}
			if err := checkDocumentFormat(output); err != nil {
				return err
			}
			doc, err := fetchConfiguration(cmd, f)
			if err != nil {
				return err
			}
			var part any
			switch section {
			case "identity":
				part = &controlplane.Document{Identity: doc.Identity}
			case "network":
				part = &controlplane.Document{Network: doc.Network}
			case "apis":
				part = &controlplane.Document{APIs: doc.APIs}
			default:
				j, err := json.Marshal(doc.Identity)
				if err != nil {
					return &exitError{code: exitFailed, err: err}
				}
				var sections map[string]json.RawMessage
				if err := json.Unmarshal(j, &sections); err != nil {
					return &exitError{code: exitFailed, err: err}
				}
				list := sections[section]
				if list == nil {
					list = json.RawMessage("[]")
				}
				part = map[string]json.RawMessage{section: list}
			}
			return printDocument(cmd.OutOrStdout(), part, output)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "yaml", "yaml or json")
	return cmd
}

func fetchConfiguration(cmd *cobra.Command, f clientFlags) (*controlplane.Document, error) {
	c, err := newControlPlaneClient(cmd.Context(), f)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(cmd.Context(), "GET", controlplane.NativeConfigurationPath, nil)
	if err != nil {
		return nil, err
	}
	doc, err := controlplane.DecodeDocument(resp)
	if err != nil {
		return nil, &exitError{code: exitFailed, err: fmt.Errorf("unexpected response from %s: %v", f.endpoint, err)}
	}
	return doc, nil
}

func checkDocumentFormat(format string) error {
	if format != "yaml" && format != "json" {
		return usageErrorf("--output %q: use yaml or json", format)
	}
	return nil
}

// printDocument writes v as indented JSON or as YAML with the keys in the
// order the JSON form has them.
func printDocument(w io.Writer, v any, format string) error {
	if format == "json" {
		return writeJSONTo(w, v)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	// JSON is YAML: decoding it into a node keeps the key order, and
	// clearing the flow style prints it in block style.
	var node yaml.Node
	if err := yaml.Unmarshal(j, &node); err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	blockStyle(&node)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&node); err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style = 0
	}
	if n.Kind == yaml.ScalarNode && n.Style == yaml.DoubleQuotedStyle && !needsQuotes(n.Value) {
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// needsQuotes reports whether a string scalar would read as another type or
// break YAML without quotes.
func needsQuotes(s string) bool {
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		return true
	}
	str, ok := v.(string)
	return !ok || str != s
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// describeAPIError turns the native API's JSON error into a message.
func describeAPIError(status int, body []byte) error {
	var e struct {
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil || e.Code == "" {
		return fmt.Errorf("HTTP %d: %s", status, bytes.TrimSpace(body))
	}
	msg := fmt.Sprintf("%s (HTTP %d): %s", e.Code, status, e.Message)
	for _, d := range e.Errors {
		msg += "\n  " + d
	}
	return fmt.Errorf("%s", msg)
}
