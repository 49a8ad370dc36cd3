// Command trellis is zero-trust service-to-service access control that you
// can run yourself: AWS-compatible identity (SigV4), IAM-language policies at
// every layer, and an answer to "why was I denied?".
//
// Run "trellis --help" for the commands.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit statuses shared by every command.
const (
	exitOK     = 0
	exitFailed = 1 // the command ran and the answer is "no": invalid, denied, unexpected
	exitUsage  = 2 // the command could not run: bad flags, unreadable input
)

// exitError carries an exit status out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// silentFailure ends a command with status 1 after it has printed its own
// report.
var silentFailure = &exitError{code: exitFailed, err: errors.New("")}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err.Error() != "" {
			fmt.Fprintln(stderr, "trellis:", ee.err)
		}
		return ee.code
	}
	// Errors cobra raises itself are flag and argument errors.
	fmt.Fprintln(stderr, "trellis:", err)
	return exitUsage
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "trellis",
		Short: "Zero-trust service-to-service access control, AWS-compatible",
		Long: `trellis authenticates every call between services by the caller's AWS
identity (SigV4), authorises it with IAM-language policies at every layer,
and explains every decision.

Start with "trellis demo", then see "trellis policy --help".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newPolicyCommand(), newDemoCommand(), newServeCommand(),
		newApplyCommand(), newExportCommand(), newGetCommand(), newCurlCommand(), newScanCommand())
	return root
}
