package controlplane_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/store"
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

// FuzzApplyDocument checks the validation a document meets when it is
// applied (identities, network, private APIs, built together): any
// document is either accepted or refused with a DocumentError naming what
// is wrong, never a panic or an internal error.
func FuzzApplyDocument(f *testing.F) {
	for _, name := range []string{"../examples/config/identities.yaml", "../examples/zero-trust-lab/stage1.yaml", "../examples/zero-trust-lab/stage5.yaml"} {
		if example, err := os.ReadFile(name); err == nil {
			f.Add(example)
		}
	}
	f.Add([]byte(`{"identity": {"accounts": [{"id": "111122223333"}], "users": [{"account": "111122223333", "name": "a", "inlinePolicies": [{"name": "p", "document": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}}]}]}}`))
	f.Add([]byte(`{"network": {"vpcs": [{"id": "vpc-aaaa0001", "account": "111122223333", "region": "us-east-1", "cidrBlocks": ["10.0.0.0/16"]}]}, "apis": {"restApis": []}}`))
	st, err := store.OpenSQLite(context.Background(), f.TempDir(), store.Options{PollInterval: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	a := &controlplane.Applier{Store: st, Random: rand.NewChaCha8([32]byte{7})}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := controlplane.DecodeDocument(data)
		if err != nil {
			return
		}
		_, err = a.Apply(context.Background(), d, controlplane.ApplyOptions{DryRun: true})
		var de *controlplane.DocumentError
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("not a DocumentError: %v", err)
		}
	})
}
