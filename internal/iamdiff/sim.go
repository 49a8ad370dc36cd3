package iamdiff

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// SimResult is iam-simulate's answer for one document, as the runner reports it: a
// decision, or an error when the case could not be simulated faithfully.
type SimResult struct {
	Decision string          `json:"decision,omitempty"`
	Error    string          `json:"error,omitempty"`
	Detail   json.RawMessage `json:"detail,omitempty"`
}

// The decisions, in trellis's names.
const (
	Allow        = "Allow"
	ImplicitDeny = "ImplicitDeny"
	ExplicitDeny = "ExplicitDeny"
)

// InstallCommand installs the runner's dependencies, from the repository root.
const InstallCommand = "npm ci --prefix test/iamsim --no-audit --no-fund"

// RepoRoot finds the repository root (the directory holding go.mod) from the working
// directory upwards.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// SimulatorReady reports why the simulator cannot run, or "" when it can: node must be on
// PATH and test/iamsim/node_modules installed.
func SimulatorReady(root string) string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not on PATH; install Node.js 20 or later, then run: " + InstallCommand
	}
	if _, err := os.Stat(filepath.Join(root, "test", "iamsim", "node_modules", "@cloud-copilot", "iam-simulate")); err != nil {
		return "test/iamsim/node_modules is missing; run from the repository root: " + InstallCommand
	}
	return ""
}

// RunSimulator evaluates the documents with iam-simulate in one Node process (documents in
// on stdin, results out on stdout, one JSON line each) and returns one result per document,
// in order. With explain, each result carries iam-simulate's analysis.
func RunSimulator(ctx context.Context, root string, docs [][]byte, explain bool) ([]SimResult, error) {
	args := []string{filepath.Join(root, "test", "iamsim", "run.mjs")}
	if explain {
		args = append(args, "--explain")
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = filepath.Join(root, "test", "iamsim")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	writeErr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(stdin, 1<<16)
		var err error
		for _, d := range docs {
			if bytes.ContainsAny(d, "\n\r") {
				err = errors.New("document contains a line break")
				break
			}
			if _, err = w.Write(d); err != nil {
				break
			}
			if err = w.WriteByte('\n'); err != nil {
				break
			}
		}
		if err == nil {
			err = w.Flush()
		}
		stdin.Close()
		writeErr <- err
	}()
	results := make([]SimResult, 0, len(docs))
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		var r SimResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			r = SimResult{Error: "runner output is not JSON: " + err.Error()}
		}
		results = append(results, r)
	}
	scanErr := sc.Err()
	waitErr := cmd.Wait()
	if err := <-writeErr; err != nil && waitErr == nil {
		return nil, fmt.Errorf("writing to the runner: %w", err)
	}
	if scanErr != nil {
		return nil, fmt.Errorf("reading the runner: %w", scanErr)
	}
	if waitErr != nil {
		return nil, fmt.Errorf("runner: %v: %s", waitErr, stderr.String())
	}
	if len(results) != len(docs) {
		return nil, fmt.Errorf("runner returned %d results for %d documents: %s", len(results), len(docs), stderr.String())
	}
	return results, nil
}
