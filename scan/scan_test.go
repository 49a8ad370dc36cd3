package scan_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/trellisproject/trellis/examples"
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

// TestPrivateLink runs the PrivateLink example's scenario, statically and
// live (where the calls to the service go through the gateway's TCP
// proxy): orders-client gets through only after acceptance; the Lambda is
// stopped by the endpoint's security group, the partner, which has no
// endpoint, and the internet by their route tables.
func TestPrivateLink(t *testing.T) {
	sc, err := scan.Load("../examples/privatelink")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sc.StageNames(), " "); got != "pending accepted" {
		t.Fatalf("stages %s", got)
	}
	want := []struct {
		caller, target, route string
		layers                [2]string
		explains              string
	}{
		{"orders-client", "orders", "vpce-cccc0001", [2]string{"route", "allowed"}, "BAD_STATE at vpce-svc-aaaa0001"},
		{"orders-client", "orders-via-endpoint", "vpce-cccc0001", [2]string{"route", "allowed"}, "is pendingAcceptance"},
		{"batch-job", "orders", "vpce-cccc0001", [2]string{"security-group", "security-group"}, "ENI_SG_RULES_MISMATCH at sg-cccc0004"},
		{"partner-client", "orders", "none", [2]string{"route", "route"}, "NO_ROUTE_TO_DESTINATION at rtb-dddd0001"},
		{"orders-client", "internet", "internet", [2]string{"route", "route"}, "NO_ROUTE_TO_DESTINATION at rtb-cccc0001"},
	}
	static, live := runBoth(t, sc)
	for _, rep := range []*scan.Report{static, live} {
		if len(rep.Stages) != 2 || rep.Stages[0].Passed() != 3 || rep.Stages[1].Passed() != 5 {
			t.Fatalf("%s: %+v", rep.Mode, rep.Stages)
		}
		for s, st := range rep.Stages {
			for i, r := range st.Results {
				w := want[i]
				if r.Caller != w.caller || r.Target != w.target || r.Route != w.route || r.Layer != w.layers[s] ||
					(r.Actual == scan.Allow) != (w.layers[s] == "allowed") || r.Modelled != (rep.Mode == "live" && w.target == "internet") ||
					(s == 0 && !strings.Contains(r.Explanation, w.explains)) {
					t.Errorf("%s stage %s: %+v, want %s → %s via %s at %s (%s)", rep.Mode, st.Stage, r, w.caller, w.target, w.route, w.layers[s], w.explains)
				}
			}
		}
	}
	// An endpoint takes connections to the service on its listener port.
	text, err := examples.PrivateLink.ReadFile("privatelink/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(text), "endpointService: vpce-svc-aaaa0001}", "endpointService: vpce-svc-aaaa0001, port: 8443}", 1)
	_, err = scan.Parse([]byte(bad), "pl.yaml", func(name string) ([]byte, error) { return examples.PrivateLink.ReadFile("privatelink/" + name) })
	if want := "target orders-via-endpoint: port 8443 is not the listener port 80 of vpce-svc-aaaa0001: leave port out"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a port other than the listener's: %v, want %q", err, want)
	}
	// A name that is no endpoint service's is not found, live too (the
	// gateway refuses the connection with the verdict).
	unknown := strings.Replace(string(text), "  - {name: internet,", "  - {name: nowhere, dnsName: nowhere.example}\n  - {name: internet,", 1) +
		"    calls: [{caller: orders-client, target: nowhere, desired: block}]\n"
	usc, err := scan.Parse([]byte(unknown), "pl.yaml", func(name string) ([]byte, error) { return examples.PrivateLink.ReadFile("privatelink/" + name) })
	if err != nil {
		t.Fatal(err)
	}
	us, ul := runBoth(t, usc)
	for _, rep := range []*scan.Report{us, ul} {
		rs := rep.Stages[1].Results
		if r := rs[len(rs)-1]; r.Target != "nowhere" || r.Layer != "not-found" || r.Route != "none" || !strings.Contains(r.Explanation, "trellis does not model public DNS") {
			t.Errorf("%s: %+v", rep.Mode, r)
		}
	}
	// At the last stage, which trellis scan runs by default, every call
	// behaves as desired: the scan passes.
	rep, err := scan.Run(context.Background(), sc, scan.Options{Stages: []string{"accepted"}})
	if err != nil || !rep.OK() || len(rep.Stages) != 1 || rep.Stages[0].Stage != "accepted" {
		t.Errorf("the default run: %v, %+v", err, rep)
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
				modelled := r.Target == "internet"
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
