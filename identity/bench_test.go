package identity

import (
	"fmt"
	"testing"

	"github.com/trellisproject/trellis/policy"
)

// benchDirectory has n users with two tags each, in the fixture's
// organization, plus one role session.
func benchDirectory(b *testing.B, n int) (*Directory, []string) {
	in := fixtureInput(b)
	keys := []string{aliceKey, "ASIAAAAAAAAAAAAAAAAA"}
	for i := range n {
		name := fmt.Sprintf("user%d", i)
		arn := "arn:aws:iam::222222222222:user/" + name
		in.Users = append(in.Users, User{Account: "222222222222", Name: name, Tags: []Tag{{"team", "t"}, {"env", "prod"}},
			ManagedPolicies: []string{"arn:aws:iam::222222222222:policy/ReadOnly"}})
		k := AccessKey{ID: derivedID("AKIA", name), Secret: "benchSecretbenchSecretbenchSecretbenchSe", User: arn}
		in.AccessKeys = append(in.AccessKeys, k)
	}
	in.Sessions = []Session{testSession()}
	d, err := New(in)
	if err != nil {
		b.Fatal(err)
	}
	return d, keys
}

// BenchmarkBaselineMapLookup is the floor under Lookup: one plain map
// lookup by access key ID among 10,000 keys, measured in the same run so
// that docs/BENCHMARKS.md can give the others as ratios.
func BenchmarkBaselineMapLookup(b *testing.B) {
	m := make(map[string]*keyEntry, 10000)
	var key string
	for i := range 10000 {
		key = derivedID("AKIA", fmt.Sprintf("user%d", i))
		m[key] = &keyEntry{active: true}
	}
	b.ReportAllocs()
	for b.Loop() {
		if e, ok := m[key]; !ok || !e.active {
			b.Fatal("not found")
		}
	}
}

// BenchmarkLookup is the verifier's question, once per request.
func BenchmarkLookup(b *testing.B) {
	d, keys := benchDirectory(b, 10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := d.Lookup(keys[0]); !ok {
			b.Fatal("not found")
		}
	}
}

// BenchmarkAddContext is the principal's share of building a request
// context: Caller plus AddContext into a reused context.
func BenchmarkAddContext(b *testing.B) {
	d, keys := benchDirectory(b, 10000)
	for _, tc := range []struct{ name, key string }{{"user", keys[0]}, {"session", keys[1]}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := policy.NewContext(32)
			b.ReportAllocs()
			for b.Loop() {
				ctx.Reset()
				c, _ := d.Caller(tc.key)
				c.AddContext(ctx)
			}
		})
	}
}

// BenchmarkAuthenticatePrincipal is Lookup, Caller, AddContext and
// PolicySet together: everything identity does per request.
func BenchmarkAuthenticatePrincipal(b *testing.B) {
	d, keys := benchDirectory(b, 10000)
	ctx := policy.NewContext(32)
	b.ReportAllocs()
	for b.Loop() {
		ctx.Reset()
		if _, ok := d.Lookup(keys[1]); !ok {
			b.Fatal("not found")
		}
		c, _ := d.Caller(keys[1])
		c.AddContext(ctx)
		set := c.PolicySet()
		_ = set
	}
}

// BenchmarkNew builds a directory of 1,000 users with their keys.
func BenchmarkNew(b *testing.B) {
	in := fixtureInput(b)
	for i := range 1000 {
		name := fmt.Sprintf("user%d", i)
		in.Users = append(in.Users, User{Account: "222222222222", Name: name, ManagedPolicies: []string{"arn:aws:iam::222222222222:policy/ReadOnly"}})
		in.AccessKeys = append(in.AccessKeys, AccessKey{ID: derivedID("AKIA", name), Secret: "benchSecretbenchSecretbenchSecretbenchSe", User: "arn:aws:iam::222222222222:user/" + name})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssumeRole decides an AssumeRole request with tags and issues the
// session.
func BenchmarkAssumeRole(b *testing.B) {
	d := fixture(b)
	c, _ := d.Caller(aliceKey)
	in := AssumeRoleInput{RoleARN: appRole, RoleSessionName: "bench", Tags: []Tag{{"project", "x"}}, TransitiveTagKeys: []string{"project"}}
	r := rng(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.AssumeRole(c, nil, in, t0, r); err != nil {
			b.Fatal(err)
		}
	}
}
