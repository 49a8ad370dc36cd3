package controlplane_test

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/examples"
	"github.com/trellisproject/trellis/snapshot"
	"github.com/trellisproject/trellis/store"
)

func openApplier(t *testing.T) (*controlplane.Applier, store.Store) {
	t.Helper()
	st, err := store.OpenSQLite(ctx, t.TempDir(), store.Options{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &controlplane.Applier{Store: st, Random: rand.Reader, Clock: time.Now}, st
}

// TestPrivateAPIsDocExample applies the example of docs/private-apis.md and
// checks that the state has its network and API.
func TestPrivateAPIsDocExample(t *testing.T) {
	doc, err := controlplane.DecodeDocument([]byte(docYAML(t, "private-apis.md", "This document, applied by `TestPrivateAPIsDocExample`")))
	if err != nil {
		t.Fatalf("the example does not decode: %v", err)
	}
	a, st := openApplier(t)
	res, err := a.Apply(ctx, doc, controlplane.ApplyOptions{})
	if err != nil || !res.Applied {
		t.Fatalf("Apply: %+v, %v", res, err)
	}
	state, err := snapshot.Load(ctx, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	api, ok := state.APIs.API("pets000001")
	if !ok || !api.AllowsEndpoint("vpce-cccc0001") || api.Policy == nil {
		t.Fatalf("API %+v", api)
	}
	if _, ok := state.Network.EndpointByID("vpce-cccc0001"); !ok {
		t.Fatal("the endpoint is not in the state")
	}
}

// TestApplyZeroTrustLab applies the lab's stages in order: each applies in
// one transaction, reports the components it changes, and export gives back
// what was applied.
func TestApplyZeroTrustLab(t *testing.T) {
	a, st := openApplier(t)
	want := [][]string{
		nil, // stage 1 creates everything
		{"~ restApi svcbapi001"},
		{"~ restApi svcbapi001"},
		{"~ interfaceEndpoint vpce-aaaa0001"},
		{"~ securityGroup sg-aaaa0004"},
	}
	var merged *controlplane.Document
	for i := 1; i <= 5; i++ {
		data, err := examples.ZeroTrustLab.ReadFile(fmt.Sprintf("zero-trust-lab/stage%d.yaml", i))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := controlplane.DecodeDocument(data)
		if err != nil {
			t.Fatalf("stage %d: %v", i, err)
		}
		res, err := a.Apply(ctx, doc, controlplane.ApplyOptions{})
		if err != nil || !res.Applied {
			t.Fatalf("stage %d: %+v, %v", i, res, err)
		}
		if merged == nil {
			merged = doc
			if len(res.Changes) < 20 {
				t.Errorf("stage 1: only %d changes", len(res.Changes))
			}
		} else {
			merged = merged.Overlay(doc)
			var got []string
			for _, c := range res.Changes {
				got = append(got, c.String())
			}
			if strings.Join(got, ",") != strings.Join(want[i-1], ",") {
				t.Errorf("stage %d: changes %v, want %v", i, got, want[i-1])
			}
		}
		// Applying it again changes nothing.
		if res, err := a.Apply(ctx, doc, controlplane.ApplyOptions{}); err != nil || res.Applied || len(res.Changes) != 0 {
			t.Errorf("stage %d again: %+v, %v", i, res, err)
		}
	}
	exp, err := controlplane.Export(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if !sameAsJSON(t, exp.Network, merged.Network) || !sameAsJSON(t, exp.APIs, merged.APIs) {
		t.Error("export differs from the applied network and apis sections")
	}
	state, err := snapshot.Load(ctx, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := state.APIs.API("svcbapi001"); !ok || len(state.APIs.All()) != 2 || state.Network == nil {
		t.Fatal("the state lacks the lab")
	}
}

// TestApplyRefusesInconsistentSections: a document whose sections do not
// build is refused as a whole, every problem named with its path, and the
// configuration in effect is unchanged.
func TestApplyRefusesInconsistentSections(t *testing.T) {
	a, st := openApplier(t)
	data, _ := examples.ZeroTrustLab.ReadFile("zero-trust-lab/stage1.yaml")
	good, err := controlplane.DecodeDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, good, controlplane.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	seq, _ := st.Seq(ctx)
	bad := strings.Replace(string(data), "vpcEndpointIds: [vpce-aaaa0001, vpce-bbbb0001]", "vpcEndpointIds: [vpce-aaaa0001, vpce-0000ffff]", 1)
	bad = strings.Replace(bad, "path: /orders/{id}", "path: /orders/{id", 1)
	bad = strings.Replace(bad, "cidr: 10.199.3.0/24", "cidr: 10.199.3.0/33", 1)
	bad = strings.Replace(bad, "name: ServiceALambdaRole", "name: ServiceAInstanceRole", 1)
	doc, err := controlplane.DecodeDocument([]byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Apply(ctx, doc, controlplane.ApplyOptions{})
	var de *controlplane.DocumentError
	if !errors.As(err, &de) {
		t.Fatalf("Apply: %v, want a DocumentError", err)
	}
	// The identity section is checked first: fix it and see the others.
	bad = strings.Replace(bad, "name: ServiceAInstanceRole\n      description: the Lambda", "name: ServiceALambdaRole\n      description: the Lambda", 1)
	doc, _ = controlplane.DecodeDocument([]byte(bad))
	_, err = a.Apply(ctx, doc, controlplane.ApplyOptions{})
	for _, w := range []string{
		"network.subnets[3].cidr:",
		`apis.restApis[0].resources[1].path: segment "{id" of "/orders/{id" has an unclosed "{"`,
		"apis.restApis[0].vpcEndpointIds[1]: vpce-0000ffff is not an interface endpoint of the network section",
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v\nlacks %q", err, w)
		}
	}
	if now, _ := st.Seq(ctx); now != seq {
		t.Errorf("the store changed: seq %d, was %d", now, seq)
	}
}

func sameAsJSON(t *testing.T, a, b any) bool {
	t.Helper()
	x, err1 := jsonOf(a)
	y, err2 := jsonOf(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return x == y
}

// jsonOf encodes v as normalised JSON (keys sorted, no spacing).
func jsonOf(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return "", err
	}
	b, err = json.Marshal(generic)
	return string(b), err
}
