package policy

import (
	"fmt"
	"strings"
)

// Severity says whether a Diagnostic makes a policy unusable.
type Severity uint8

const (
	// Error marks a problem that makes AWS reject the policy; Parse fails.
	Error Severity = iota + 1
	// Warning marks a policy that is valid but probably not what its author
	// meant, or broader than it should be.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "unknown"
}

// MarshalText encodes the severity as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// A Diagnostic is one finding of validation: what is wrong and where.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	// Line and Column locate the finding in the document, both 1-based and
	// counted in characters. They are 0 for findings about the whole document.
	Line   int `json:"line"`
	Column int `json:"column"`
	// Path is the JSON path of the element, such as
	// "Statement[2].Condition.StringEquals"; empty for the whole document.
	Path string `json:"path"`
	// Code is a stable, machine-readable name for the kind of finding, such
	// as "unknown-element" or "wildcard-principal".
	Code string `json:"code"`
	// Message says what is wrong and what to do about it.
	Message string `json:"message"`
}

// String formats the diagnostic as "line:column: severity: path: message".
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", d.Line, d.Column)
	}
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// A ValidationError reports a policy document that cannot be used. It holds
// every diagnostic found, errors and warnings alike.
type ValidationError struct {
	// Name is the name the policy was given in Options, if any.
	Name        string
	Diagnostics []Diagnostic
}

// Error summarises the first error and how many there are in all.
func (e *ValidationError) Error() string {
	var first *Diagnostic
	n := 0
	for i := range e.Diagnostics {
		if e.Diagnostics[i].Severity == Error {
			if first == nil {
				first = &e.Diagnostics[i]
			}
			n++
		}
	}
	prefix := "invalid policy"
	if e.Name != "" {
		prefix = "invalid policy " + e.Name
	}
	if first == nil {
		return prefix
	}
	if n == 1 {
		return prefix + ": " + first.String()
	}
	return fmt.Sprintf("%s: %s (and %d more errors)", prefix, first.String(), n-1)
}

// Errors returns only the diagnostics of severity Error.
func (e *ValidationError) Errors() []Diagnostic {
	var out []Diagnostic
	for _, d := range e.Diagnostics {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}
