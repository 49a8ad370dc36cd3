// Package examples holds the example policies and scenarios shipped with
// trellis, embedded so that "trellis demo" and "trellis demo policies" run
// without any files.
package examples

import "embed"

// Policies holds the policy test suites of examples/policies: each a JSON
// document in the format of "trellis policy test".
//
//go:embed policies/*.json
var Policies embed.FS

// ZeroTrustLab holds the zero-trust lab of issue 6 as native configuration
// documents: zero-trust-lab/stage1.yaml is the whole starting
// configuration, and stage2.yaml to stage5.yaml each hold the sections one
// hardening stage replaces; zero-trust-lab/scenario.yaml is the scan of
// its callers through those stages (package scan).
//
//go:embed zero-trust-lab/*.yaml
var ZeroTrustLab embed.FS

// PrivateLink holds the PrivateLink example: privatelink/config.yaml is the
// whole configuration before the provider accepts the consumer's
// connection, privatelink/accepted.yaml the network section after,
// privatelink/serve.yaml the settings to run it with "trellis serve", and
// privatelink/scenario.yaml the scan of its callers (package scan).
//
//go:embed privatelink/*.yaml
var PrivateLink embed.FS
