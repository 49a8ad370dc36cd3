package network

import (
	"net/netip"
	"testing"
	"time"
)

// benchFlows are the lab's flows: the instance reaching VPCE SrvA (every
// check passes, return traffic included) and, after stage 5, the Lambda
// stopped by the endpoint's security group.
func benchFlows(tb testing.TB) (reach, blocked *Network, instance, lambda Flow) {
	reach = mustBuild(tb, labConfig())
	c := labConfig()
	stage5(&c)
	blocked = mustBuild(tb, c)
	return reach, blocked, toSrvA(eniEC2), toSrvA(eniLambda)
}

// TestEvaluateDoesNotAllocate keeps the benchmark's promise in every test
// run, with AllocsPerRun rather than a timer.
func TestEvaluateDoesNotAllocate(t *testing.T) {
	reach, blocked, instance, lambda := benchFlows(t)
	for name, run := range map[string]func(){
		"reachable": func() { reach.Evaluate(instance) },
		"blocked":   func() { blocked.Evaluate(lambda) },
		"flow log": func() {
			var buf [160]byte
			AppendFlowLog(buf[:0], instance, reach.Evaluate(instance), AtSource, Counters{Packets: 1, Bytes: 60, Start: time.Unix(1, 0), End: time.Unix(2, 0)})
		},
	} {
		if n := testing.AllocsPerRun(100, run); n != 0 {
			t.Errorf("%s: %v allocations per Evaluate, want 0", name, n)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	reach, blocked, instance, lambda := benchFlows(b)
	b.Run("lab-reachable", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !reach.Evaluate(instance).Reachable {
				b.Fatal("not reachable")
			}
		}
	})
	b.Run("lab-stage5-blocked", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if blocked.Evaluate(lambda).Reachable {
				b.Fatal("reachable")
			}
		}
	})
	b.Run("lab-by-address", func(b *testing.B) {
		f := Flow{SourceVPC: vpcA, SourceAddr: netip.MustParseAddr("10.199.0.10"), DestEndpoint: vpceSrvA, Protocol: TCP, DestPort: 443}
		b.ReportAllocs()
		for b.Loop() {
			if !reach.Evaluate(f).Reachable {
				b.Fatal("not reachable")
			}
		}
	})
}

// BenchmarkBaseline measures the two primitives Evaluate is built from,
// in the same run, as the yardstick docs/BENCHMARKS.md divides by: one map
// lookup of an interface by ID, and netip.Prefix.Contains over the lab's
// 8 rule and route prefixes.
func BenchmarkBaseline(b *testing.B) {
	n := mustBuild(b, labConfig())
	b.Run("map-lookup", func(b *testing.B) {
		for b.Loop() {
			if _, ok := n.ifaces[eniEC2]; !ok {
				b.Fatal("missing")
			}
		}
	})
	b.Run("prefix-contains-8", func(b *testing.B) {
		var ps [8]netip.Prefix
		for i := range ps {
			ps[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 199, byte(i), 0}), 24)
		}
		a := netip.MustParseAddr("10.199.7.10")
		for b.Loop() {
			hits := 0
			for _, p := range ps {
				if p.Contains(a) {
					hits++
				}
			}
			if hits != 1 {
				b.Fatal(hits)
			}
		}
	})
}
