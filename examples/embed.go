// Package examples holds the example policies and scenarios shipped with
// trellis, embedded so that "trellis demo policies" runs without any files.
package examples

import "embed"

// Policies holds the policy test suites of examples/policies: each a JSON
// document in the format of "trellis policy test".
//
//go:embed policies/*.json
var Policies embed.FS
