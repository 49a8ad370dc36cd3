package iamdiff

import (
	"encoding/json"

	"github.com/trellisproject/trellis/internal/evaldoc"
)

// TrellisEvaluator evaluates a document with trellis: internal/evaldoc.Evaluate, the code
// behind `trellis policy eval`. The explanation is trellis's policy.Explanation as JSON.
var TrellisEvaluator Evaluator = func(doc []byte) (string, json.RawMessage, error) {
	out, err := evaldoc.Evaluate(doc)
	if err != nil {
		return "", nil, err
	}
	expl, err := json.Marshal(out.Explanation)
	if err != nil {
		return "", nil, err
	}
	return out.Decision.String(), expl, nil
}
