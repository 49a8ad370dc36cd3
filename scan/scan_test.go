package scan_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/trellisproject/trellis/scan"
)

// runBoth runs every stage of a scenario statically and live.
func runBoth(t *testing.T, sc *scan.Scenario) (static, live *scan.Report) {
	t.Helper()
	var err error
	if static, err = scan.Run(context.Background(), sc, scan.Options{}); err != nil {
		t.Fatalf("static: %v", err)
	}
	if live, err = scan.Run(context.Background(), sc, scan.Options{Live: true}); err != nil {
		t.Fatalf("live: %v", err)
	}
	return static, live
}

// TestZeroTrustLab runs the lab's scenario and checks every call's layer
// at every stage, statically and live, against the layers of
// authz/lab_test.go, and the ✔ count of each stage.
func TestZeroTrustLab(t *testing.T) {
	sc, err := scan.Load("../examples/zero-trust-lab")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sc.StageNames(), " "); got != "start iam-auth resource-policy endpoint-policy security-group" {
		t.Fatalf("stages %s", got)
	}
	const (
		allowed = "allowed"
		sg      = "security-group"
		ep      = "endpoint-policy"
		authn   = "authentication"
		rp      = "resource-policy"
		ip      = "identity-policy"
		nf      = "not-found"
	)
	want := []struct {
		caller, target, route string
		layers                [5]string
	}{
		{"expected", "ServiceB", "vpce-aaaa0001", [5]string{allowed, allowed, allowed, allowed, allowed}},
		{"expected", "unknown-API", "vpce-aaaa0001", [5]string{allowed, allowed, allowed, ep, ep}},
		{"unexpected-1", "ServiceB", "vpce-aaaa0001", [5]string{rp, authn, authn, ep, sg}},
		{"unexpected-2", "ServiceB", "vpce-aaaa0001", [5]string{allowed, authn, authn, ep, sg}},
		{"unexpected-3", "ServiceB", "vpce-aaaa0001", [5]string{allowed, ip, ip, ep, sg}},
		{"unexpected-4", "ServiceB", "vpce-bbbb0001", [5]string{allowed, allowed, rp, rp, rp}},
	}
	passed := [5]int{2, 4, 5, 6, 6}
	static, live := runBoth(t, sc)
	for _, rep := range []*scan.Report{static, live} {
		if len(rep.Stages) != 5 || rep.OK() {
			t.Fatalf("%s: %d stages, OK %v", rep.Mode, len(rep.Stages), rep.OK())
		}
		for s, st := range rep.Stages {
			if st.Number != s+1 || st.Passed() != passed[s] || len(st.Results) != len(want) {
				t.Errorf("%s stage %d (%s): %d of %d passed, want %d of %d", rep.Mode, st.Number, st.Stage, st.Passed(), len(st.Results), passed[s], len(want))
			}
			for i, r := range st.Results {
				w := want[i]
				if r.Caller != w.caller || r.Target != w.target || r.Route != w.route || r.Layer != w.layers[s] ||
					(r.Actual == scan.Allow) != (w.layers[s] == allowed) || r.OK != (r.Actual == r.Desired) || r.Explanation == "" {
					t.Errorf("%s stage %d: %+v, want %s → %s via %s at %s", rep.Mode, s+1, r, w.caller, w.target, w.route, w.layers[s])
				}
			}
		}
	}
}

// TestMixedTargets runs a scenario with VPC Lattice services, an endpoint
// service and internet addresses, with a key deactivated at stage 2 and a
// call added there.
func TestMixedTargets(t *testing.T) {
	sc, err := scan.Load("testdata/mixed/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"allowed", "identity-policy", "service-network-policy", "service-network-policy", "not-found", "route", "allowed", "route"},
		{"allowed", "signature", "service-network-policy", "service-network-policy", "not-found", "allowed", "allowed", "route", "allowed"},
	}
	static, live := runBoth(t, sc)
	for _, rep := range []*scan.Report{static, live} {
		for s, st := range rep.Stages {
			var got []string
			for _, r := range st.Results {
				got = append(got, r.Layer)
				modelled := r.Target == "provider" || r.Target == "internet"
				if r.Modelled != (rep.Mode == "live" && modelled) || strings.HasPrefix(r.Explanation, "modelled") != r.Modelled {
					t.Errorf("%s %s: %s → %s modelled %v: %s", rep.Mode, st.Stage, r.Caller, r.Target, r.Modelled, r.Explanation)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want[s]) {
				t.Errorf("%s %s: layers %v, want %v", rep.Mode, st.Stage, got, want[s])
			}
		}
	}
	r := static.Stages[0].Results[5]
	if !strings.Contains(r.Explanation, "BAD_STATE at vpce-svc-dddd0001") {
		t.Errorf("pending connection: %s", r.Explanation)
	}
	if r := static.Stages[0].Results[7]; !strings.Contains(r.Explanation, "NO_ROUTE_TO_DESTINATION") {
		t.Errorf("no internet route: %s", r.Explanation)
	}
}

// TestRunStages checks stage selection by name and number, in the order
// given, and the error for a stage the scenario does not have.
func TestRunStages(t *testing.T) {
	sc, err := scan.Load("../examples/zero-trust-lab/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		stages []string
		want   string
		err    string
	}{
		{nil, "1 2 3 4 5", ""},
		{[]string{"security-group"}, "5", ""},
		{[]string{"3", "start"}, "3 1", ""},
		{[]string{"6"}, "", `no stage "6": its stages are start, iam-auth, resource-policy, endpoint-policy, security-group (or their numbers, 1 to 5)`},
		{[]string{"hardened"}, "", `no stage "hardened"`},
	}
	for _, tt := range tests {
		rep, err := scan.Run(context.Background(), sc, scan.Options{Stages: tt.stages})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: error %v, want %q", tt.stages, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range rep.Stages {
			got = append(got, fmt.Sprint(s.Number))
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%v: stages %v, want %s", tt.stages, got, tt.want)
		}
	}
}

// TestUnknownEndpoint checks a call through an endpoint the configuration
// does not have: not found, statically and live (where the gateway
// refuses the connection).
func TestUnknownEndpoint(t *testing.T) {
	text := strings.Replace(validScenario, "route: vpce-aaaa0001", "route: vpce-ffff0001", 1)
	sc, err := scan.Parse([]byte(text), "s.yaml", labFiles)
	if err != nil {
		t.Fatal(err)
	}
	static, live := runBoth(t, sc)
	for _, rep := range []*scan.Report{static, live} {
		r := rep.Stages[0].Results[0]
		if r.Actual != scan.Block || r.Layer != "not-found" || !strings.Contains(r.Explanation, "vpce-ffff0001") {
			t.Errorf("%s: %+v", rep.Mode, r)
		}
	}
}
