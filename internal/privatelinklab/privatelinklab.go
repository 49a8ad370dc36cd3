// Package privatelinklab loads the PrivateLink example of
// examples/privatelink for tests and the scanner: the configuration before
// and after the provider accepts the consumer's connection.
package privatelinklab

import (
	"fmt"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/examples"
)

// The example's stages, in order.
const (
	// StagePending is config.yaml: the consumer's endpoint waits for the
	// provider's acceptance.
	StagePending = "pending"
	// StageAccepted is config.yaml with accepted.yaml applied: the
	// connection is available.
	StageAccepted = "accepted"
)

// Stages lists the stages in order.
var Stages = []string{StagePending, StageAccepted}

// Document returns the configuration at a stage: config.yaml, with the
// sections of accepted.yaml laid over it for StageAccepted.
func Document(stage string) (*controlplane.Document, error) {
	var files []string
	switch stage {
	case StagePending:
		files = []string{"config.yaml"}
	case StageAccepted:
		files = []string{"config.yaml", "accepted.yaml"}
	default:
		return nil, fmt.Errorf("the PrivateLink example has stages %q and %q, not %q", StagePending, StageAccepted, stage)
	}
	var doc *controlplane.Document
	for _, f := range files {
		data, err := examples.PrivateLink.ReadFile("privatelink/" + f)
		if err != nil {
			return nil, err
		}
		d, err := controlplane.DecodeDocument(data)
		if err != nil {
			return nil, fmt.Errorf("examples/privatelink/%s: %w", f, err)
		}
		if doc == nil {
			doc = d
		} else {
			doc = doc.Overlay(d)
		}
	}
	return doc, nil
}
