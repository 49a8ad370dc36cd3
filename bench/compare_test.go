package bench

import (
	"testing"

	"github.com/trellisproject/trellis/policy"
)

// TestEquivalence puts every request variant to every engine under every
// example, with the full and the lean context, and checks that each engine
// gives the decision IAM gives.
func TestEquivalence(t *testing.T) {
	for i, ex := range Examples {
		for _, engine := range Engines {
			d, err := New(engine, ex)
			if err != nil {
				t.Fatalf("%s/%s: %v", ex.Name, engine, err)
			}
			for _, lean := range []bool{false, true} {
				for _, v := range Variants {
					f := AllowedRequest()
					f.Lean = lean
					v.Change(&f)
					got, err := d.Decide(&f)
					if err != nil {
						t.Errorf("%s/%s/%s (lean %v): %v", ex.Name, engine, v.Name, lean, err)
						continue
					}
					if got != v.Allow[i] {
						t.Errorf("%s/%s/%s (lean %v): allowed %v, want %v", ex.Name, engine, v.Name, lean, got, v.Allow[i])
					}
				}
			}
		}
	}
}

func benchmarkExample(b *testing.B, ex Example, lean bool) {
	for _, engine := range Engines {
		b.Run(engine, func(b *testing.B) {
			d, err := New(engine, ex)
			if err != nil {
				b.Fatal(err)
			}
			f := AllowedRequest()
			f.Lean = lean
			b.ReportAllocs()
			for b.Loop() {
				ok, err := d.Decide(&f)
				if !ok || err != nil {
					b.Fatalf("not allowed: %v", err)
				}
			}
		})
	}
}

// BenchmarkGuideExample1 measures one allowed decision of the guide's
// example 1 (organization only) per iteration, per engine. Each iteration
// builds the engine's per-request input from the request's facts, with the
// eleven condition keys a gateway sets, and evaluates it (Decider.Decide).
func BenchmarkGuideExample1(b *testing.B) { benchmarkExample(b, Examples[0], false) }

// BenchmarkGuideExample2 is example 2: one role, GET only, one service.
func BenchmarkGuideExample2(b *testing.B) { benchmarkExample(b, Examples[1], false) }

// BenchmarkGuideExample3 is example 3: authenticated callers from one VPC.
func BenchmarkGuideExample3(b *testing.B) { benchmarkExample(b, Examples[2], false) }

// BenchmarkLeanExample1 to 3 are the same decisions with a context of only
// the four facts the examples read (Facts.Lean).
func BenchmarkLeanExample1(b *testing.B) { benchmarkExample(b, Examples[0], true) }

// BenchmarkLeanExample2: see BenchmarkLeanExample1.
func BenchmarkLeanExample2(b *testing.B) { benchmarkExample(b, Examples[1], true) }

// BenchmarkLeanExample3: see BenchmarkLeanExample1.
func BenchmarkLeanExample3(b *testing.B) { benchmarkExample(b, Examples[2], true) }

// TestCrossAccount shows the one place where trellis's decision is more than
// the guide policy: a caller from another account (same role name, same
// organization) is allowed only when an identity-based policy in its own
// account allows the call too, as IAM documents for cross-account access.
// The Cedar and Rego translations of an auth policy alone do not model the
// caller's identity policies, so this case is not in Variants.
func TestCrossAccount(t *testing.T) {
	f := AllowedRequest()
	setPrincipal(&f, "arn:aws:sts::444455556666:assumed-role/rolename/worker-1")
	f.PrincipalAccount = "444455556666"

	tr, err := NewTrellis(Examples[0].IAM)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := tr.Decide(&f); ok {
		t.Error("cross-account caller allowed by the auth policy alone")
	}
	id, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}`),
		policy.Options{Kind: policy.KindIdentity})
	if err != nil {
		t.Fatal(err)
	}
	tr.set.Identity = []*policy.Policy{id}
	if ok, _ := tr.Decide(&f); !ok {
		t.Error("cross-account caller denied with an identity policy that allows")
	}
}
