package iamdiff

// TrellisEvaluator evaluates a document with trellis (package internal/evaldoc). It is nil
// until that package is available; the differential test skips while it is.
var TrellisEvaluator Evaluator
