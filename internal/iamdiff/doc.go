// Package iamdiff is the differential test harness for trellis's IAM policy evaluator.
//
// It generates random evaluation documents (the input of `trellis policy eval`, see
// docs/iam-differential.md) from a seed, evaluates each one with trellis and with an
// independent implementation, the npm package @cloud-copilot/iam-simulate (run by the Node
// script test/iamsim/run.mjs in a single process for a whole batch), and reports every case
// on which the two disagree. A disagreement is either a documented known difference (see
// KnownDifferences: each one cites the AWS documentation that shows AWS behaves as trellis
// does) or a bug in one of the two.
//
// The generator is deterministic: case i of seed s is always the same document, whatever the
// number of cases generated, so any case can be reproduced from its seed and index.
package iamdiff
