package controlplane_test

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/trellisproject/trellis/controlplane"
)

// FuzzDecodeDocument checks that no input makes DecodeDocument panic, and
// that a document it accepts survives a JSON round trip unchanged (what
// `trellis export` then `trellis apply` relies on).
func FuzzDecodeDocument(f *testing.F) {
	if example, err := os.ReadFile("../examples/config/identities.yaml"); err == nil {
		f.Add(example)
	}
	f.Add([]byte(`{"identity": {"accounts": [{"id": "111122223333"}]}}`))
	f.Add([]byte("identity:\n  users:\n    - {account: \"111122223333\", name: a}\n"))
	f.Add([]byte("identity: {sessions: [{}]}"))
	f.Add([]byte("- 1\n- 2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := controlplane.DecodeDocument(data)
		if err != nil {
			return
		}
		j, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("an accepted document does not marshal: %v", err)
		}
		again, err := controlplane.DecodeDocument(j)
		if err != nil {
			t.Fatalf("the JSON form of an accepted document is refused: %v\n%s", err, j)
		}
		j2, _ := json.Marshal(again)
		if !reflect.DeepEqual(j, j2) {
			t.Fatalf("round trip changed the document:\n%s\n%s", j, j2)
		}
	})
}
