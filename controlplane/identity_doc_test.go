package controlplane_test

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/controlplane"
	iddir "github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/snapshot"
	"github.com/trellisproject/trellis/store"
)

// docYAML returns the first YAML block after heading in a document of docs/.
func docYAML(t *testing.T, file, heading string) string {
	t.Helper()
	b, err := os.ReadFile("../docs/" + file)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), heading)
	if !ok {
		t.Fatalf("docs/%s has no %q", file, heading)
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatalf("docs/%s has no YAML block after %q", file, heading)
	}
	return block
}

// TestIdentityDocExample applies the example of docs/identity.md to a store
// holding the administrator it keeps, and checks that it does what the page
// says.
func TestIdentityDocExample(t *testing.T) {
	doc, err := controlplane.DecodeDocument([]byte(docYAML(t, "identity.md", "## Configuring identities")))
	if err != nil {
		t.Fatalf("the example does not decode: %v", err)
	}
	st, err := store.OpenSQLite(ctx, t.TempDir(), store.Options{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// What the first start of trellis serve created, with the example's key ID.
	admin := iddir.Input{
		Accounts: []iddir.Account{{ID: "000000000000", Name: "trellis"}},
		Users: []iddir.User{{Account: "000000000000", Name: "admin", InlinePolicies: []iddir.InlinePolicy{
			{Name: "AdministratorAccess", Document: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}}}},
		AccessKeys: []iddir.AccessKey{{ID: "AKIAEXAMPLEADMINKEY2", Secret: testSecret, User: "arn:aws:iam::000000000000:user/admin"}},
	}
	if _, err := st.Update(ctx, func(tx store.Tx) error { return snapshot.WriteDeclared(tx, admin, 0) }); err != nil {
		t.Fatal(err)
	}
	a := &controlplane.Applier{Store: st, Random: rand.Reader, Clock: time.Now}
	res, err := a.Apply(ctx, doc, controlplane.ApplyOptions{SigningKey: "AKIAEXAMPLEADMINKEY2"})
	if err != nil {
		t.Fatalf("the example does not apply: %v", err)
	}
	if !res.Applied || len(res.NewAccessKeys) != 1 || res.NewAccessKeys[0].User != "arn:aws:iam::444455556666:user/ci/checkout-ci" {
		t.Fatalf("result %+v", res)
	}
	state, err := snapshot.Load(ctx, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	d := state.Identity
	if c, ok := d.Caller("AKIAEXAMPLEADMINKEY2"); !ok || c.ARN() != "arn:aws:iam::000000000000:user/admin" {
		t.Fatalf("the administrator's key did not survive")
	}
	if cred, _ := d.Lookup("AKIAEXAMPLEADMINKEY2"); cred.SecretAccessKey != testSecret {
		t.Errorf("the administrator's key lost its secret")
	}
	ci, ok := d.Caller(res.NewAccessKeys[0].ID)
	if !ok {
		t.Fatal("the new key is unknown")
	}
	if ci.OrgID() != "o-exampleorg1" {
		t.Errorf("checkout-ci's organization %q", ci.OrgID())
	}
	role := "arn:aws:iam::111122223333:role/payments-invoker"
	in := iddir.AssumeRoleInput{RoleARN: role, RoleSessionName: "ci", ExternalID: "checkout-2026",
		Tags: []iddir.Tag{{Key: "build", Value: "42"}}}
	if _, err := d.AssumeRole(ci, nil, in, time.Now(), rand.Reader); err != nil {
		t.Errorf("AssumeRole with the external ID: %v", err)
	}
	in.ExternalID = ""
	var e *iddir.Error
	if _, err := d.AssumeRole(ci, nil, in, time.Now(), rand.Reader); !errors.As(err, &e) || e.Code != "AccessDenied" {
		t.Errorf("AssumeRole without the external ID: %v", err)
	}
}
