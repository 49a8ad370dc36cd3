package authz_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/authz"
	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/internal/zerotrustlab"
	"github.com/trellisproject/trellis/network"
	"github.com/trellisproject/trellis/snapshot"
)

// labStage is the zero-trust lab after one hardening stage, built from the
// shipped documents.
type labStage struct {
	cfg authz.PrivateConfig
	dir *identity.Directory
}

// Session keys of the lab's workloads.
const (
	keyServiceA = zerotrustlab.KeyServiceA
	keyLambda   = zerotrustlab.KeyLambda
	keyOther    = zerotrustlab.KeyOther
)

// loadLab builds stages 1 to 5 of examples/zero-trust-lab.
func loadLab(t testing.TB) []labStage {
	t.Helper()
	var out []labStage
	for i := 1; i <= zerotrustlab.Stages; i++ {
		doc, err := zerotrustlab.Document(i)
		if err != nil {
			t.Fatal(err)
		}
		nw, apis, err := snapshot.BuildPrivateAPIs(*doc.Network, *doc.APIs)
		if err != nil {
			t.Fatalf("stage %d: %v", i, err)
		}
		dir, err := identity.New(*doc.Identity)
		if err != nil {
			t.Fatalf("stage %d: %v", i, err)
		}
		if dir, err = dir.WithSessions(zerotrustlab.Sessions(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))...); err != nil {
			t.Fatal(err)
		}
		out = append(out, labStage{authz.PrivateConfig{Network: nw, APIs: apis}, dir})
	}
	return out
}

// TestZeroTrustLab decides every caller of the lab at every stage and
// checks the layer that lets it through or stops it.
func TestZeroTrustLab(t *testing.T) {
	stages := loadLab(t)
	a := authz.New(time.Now)
	const (
		allowed = authz.LayerAllowed
		sg      = authz.LayerSecurityGroup
		ep      = authz.LayerEndpointPolicy
		authn   = authz.LayerAuthentication
		rp      = authz.LayerResourcePolicy
		ip      = authz.LayerIdentityPolicy
		nf      = authz.LayerNotFound
	)
	tests := []struct {
		caller   string
		eni      string
		endpoint string
		// key signs the call from stage signFrom on (1-based); "" never.
		key      string
		signFrom int
		api      string
		want     [5]authz.Layer
	}{
		{"ServiceA instance", "eni-aaaa0001", "vpce-aaaa0001", keyServiceA, 2, "svcbapi001", [5]authz.Layer{allowed, allowed, allowed, allowed, allowed}},
		{"ServiceA, unknown API", "eni-aaaa0001", "vpce-aaaa0001", keyServiceA, 2, "x9y8z7w6v5", [5]authz.Layer{allowed, allowed, allowed, ep, ep}},
		{"Lambda in 10.199.1.0/24, unsigned", "eni-aaaa0002", "vpce-aaaa0001", "", 0, "svcbapi001", [5]authz.Layer{rp, authn, authn, ep, sg}},
		{"Lambda in 10.199.1.0/24, signed without permission", "eni-aaaa0002", "vpce-aaaa0001", keyLambda, 1, "svcbapi001", [5]authz.Layer{rp, rp, ip, ep, sg}},
		{"Lambda in 10.199.0.0/24, unsigned", "eni-aaaa0003", "vpce-aaaa0001", "", 0, "svcbapi001", [5]authz.Layer{allowed, authn, authn, ep, sg}},
		{"Lambda in 10.199.0.0/24, signed without permission", "eni-aaaa0003", "vpce-aaaa0001", keyLambda, 1, "svcbapi001", [5]authz.Layer{allowed, ip, ip, ep, sg}},
		{"EC2 in another VPC's 10.199.0.0/24 through other VPCE", "eni-bbbb0001", "vpce-bbbb0001", keyOther, 2, "svcbapi001", [5]authz.Layer{allowed, allowed, rp, rp, rp}},
	}
	for _, tt := range tests {
		for s := range stages {
			t.Run(fmt.Sprintf("stage%d/%s", s+1, tt.caller), func(t *testing.T) {
				c := &authz.PrivateCall{SourceENI: tt.eni, Endpoint: tt.endpoint, APIID: tt.api, Stage: "api", Method: "GET", Path: "/orders"}
				if tt.key != "" && s+1 >= tt.signFrom {
					var ok bool
					if c.Caller, ok = stages[s].dir.Caller(tt.key); !ok {
						t.Fatalf("no caller for %s", tt.key)
					}
				}
				d := a.DecidePrivate(stages[s].cfg, c)
				if d.Layer != tt.want[s] || d.Allowed != (tt.want[s] == allowed) {
					t.Fatalf("layer %s (allowed %v), want %s: %s", d.Layer, d.Allowed, tt.want[s], d.String())
				}
				if d.String() == "" || (!d.Allowed && d.Layer != sg && d.Message() == "") {
					t.Errorf("no diagnostic: %q / %q", d.String(), d.Message())
				}
				t.Log(d.String())
			})
		}
	}
}

// TestZeroTrustLabDiagnostics checks what the decisions say about
// themselves: the blocking component and code, the deciding statement and
// API Gateway's message.
func TestZeroTrustLabDiagnostics(t *testing.T) {
	stages := loadLab(t)
	a := authz.New(time.Now)
	serviceA, _ := stages[4].dir.Caller(keyServiceA)
	lambda, _ := stages[3].dir.Caller(keyLambda)
	other, _ := stages[2].dir.Caller(keyOther)
	call := func(eni, vpce, api, method, path string) *authz.PrivateCall {
		return &authz.PrivateCall{SourceENI: eni, Endpoint: vpce, APIID: api, Stage: "api", Method: method, Path: path}
	}
	withCaller := func(c *authz.PrivateCall, who *identity.Caller) *authz.PrivateCall { c.Caller = who; return c }
	tests := []struct {
		name    string
		stage   int
		call    *authz.PrivateCall
		layer   authz.Layer
		code    network.Code
		comp    string
		stmt    string
		message string
		str     string
	}{
		{name: "stage 5 Lambda blocked by the endpoint's group", stage: 5, call: call("eni-aaaa0002", "vpce-aaaa0001", "svcbapi001", "GET", "/orders"),
			layer: authz.LayerSecurityGroup, code: network.CodeSG, comp: "sg-aaaa0004", str: "security-group: ENI_SG_RULES_MISMATCH at sg-aaaa0004"},
		{name: "stage 5 ServiceA allowed by its identity policy", stage: 5, call: withCaller(call("eni-aaaa0001", "vpce-aaaa0001", "svcbapi001", "GET", "/orders"), serviceA),
			layer: authz.LayerAllowed, stmt: "Statement[0]"},
		{name: "stage 5 ServiceA, another method: the endpoint policy stops it", stage: 5, call: withCaller(call("eni-aaaa0001", "vpce-aaaa0001", "svcbapi001", "GET", "/orders/42"), serviceA),
			layer:   authz.LayerEndpointPolicy,
			message: "User: arn:aws:sts::111122223333:assumed-role/ServiceAInstanceRole/i-0aaaa0001 is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:222233334444:svcbapi001/api/GET/orders/42",
			str:     "endpoint-policy: no statement of endpoint policy of vpce-aaaa0001 allows; closest: Statement[0]"},
		{name: "stage 4 unsigned Lambda: anonymous at the endpoint policy", stage: 4, call: call("eni-aaaa0003", "vpce-aaaa0001", "svcbapi001", "GET", "/orders"),
			layer:   authz.LayerEndpointPolicy,
			message: "User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:222233334444:svcbapi001/api/GET/orders"},
		{name: "stage 4 signed Lambda", stage: 4, call: withCaller(call("eni-aaaa0003", "vpce-aaaa0001", "svcbapi001", "GET", "/orders"), lambda),
			layer: authz.LayerEndpointPolicy},
		{name: "stage 3 other account: the resource policy's conditions", stage: 3, call: withCaller(call("eni-bbbb0001", "vpce-bbbb0001", "svcbapi001", "GET", "/orders"), other),
			layer: authz.LayerResourcePolicy, str: "closest: Statement[0] (Sid \"ServiceAThroughVpceSrvA\")"},
		{name: "stage 1 signed call to a NONE method: the resource policy sees anonymous", stage: 1,
			call:  withCaller(call("eni-aaaa0002", "vpce-aaaa0001", "svcbapi001", "GET", "/orders"), lambda),
			layer: authz.LayerResourcePolicy, message: "User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:222233334444:svcbapi001/api/GET/orders"},
		{name: "stage 2 unsigned: Missing Authentication Token", stage: 2, call: call("eni-aaaa0003", "vpce-aaaa0001", "svcbapi001", "GET", "/orders"),
			layer: authz.LayerAuthentication, message: "Missing Authentication Token"},
		{name: "unknown resource", stage: 1, call: call("eni-aaaa0003", "vpce-aaaa0001", "svcbapi001", "GET", "/nothing"),
			layer: authz.LayerNotFound, message: "Missing Authentication Token", str: "not-found: method"},
		{name: "unknown method", stage: 1, call: call("eni-aaaa0003", "vpce-aaaa0001", "svcbapi001", "DELETE", "/orders"),
			layer: authz.LayerNotFound, message: "Missing Authentication Token"},
		{name: "unknown stage", stage: 1, call: func() *authz.PrivateCall {
			c := call("eni-aaaa0003", "vpce-aaaa0001", "svcbapi001", "GET", "/orders")
			c.Stage = "prod"
			return c
		}(), layer: authz.LayerNotFound, message: "Forbidden", str: "not-found: stage"},
		{name: "unknown API", stage: 1, call: call("eni-aaaa0003", "vpce-aaaa0001", "a0b1c2d3e4", "GET", "/orders"),
			layer: authz.LayerNotFound, message: "Forbidden", str: "not-found: api"},
		{name: "API not associated with the endpoint", stage: 1, call: call("eni-bbbb0001", "vpce-bbbb0001", "x9y8z7w6v5", "GET", "/orders"),
			layer: authz.LayerNotFound, message: "Forbidden", str: "not-found: api"},
		{name: "bad signature", stage: 1, call: func() *authz.PrivateCall {
			c := call("eni-aaaa0003", "vpce-aaaa0001", "svcbapi001", "GET", "/orders")
			c.BadSignature = true
			return c
		}(), layer: authz.LayerSignature, message: "The request signature we calculated does not match"},
		{name: "source by VPC and address", stage: 1, call: &authz.PrivateCall{SourceVPC: "vpc-aaaa0001", SourceAddr: mustAddr("10.199.0.10"),
			Endpoint: "vpce-aaaa0001", APIID: "svcbapi001", Stage: "api", Method: "GET", Path: "/orders"}, layer: authz.LayerAllowed},
		{name: "unknown endpoint", stage: 1, call: call("eni-aaaa0001", "vpce-ffff0001", "svcbapi001", "GET", "/orders"),
			layer: authz.LayerNotFound, code: network.CodeDestinationNotFound, str: "not-found: DESTINATION_NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := a.DecidePrivate(stages[tt.stage-1].cfg, tt.call)
			if d.Layer != tt.layer {
				t.Fatalf("layer %s, want %s: %s", d.Layer, tt.layer, d.String())
			}
			if tt.code != "" && (d.Network.Code != tt.code || (tt.comp != "" && d.Network.Component != tt.comp)) {
				t.Errorf("network %s at %s, want %s at %s", d.Network.Code, d.Network.Component, tt.code, tt.comp)
			}
			if tt.stmt != "" && !strings.HasPrefix(d.Statement(), tt.stmt) {
				t.Errorf("statement %q, want %s", d.Statement(), tt.stmt)
			}
			if !strings.HasPrefix(d.Message(), tt.message) {
				t.Errorf("message %q, want %q", d.Message(), tt.message)
			}
			if !strings.Contains(d.String(), tt.str) {
				t.Errorf("String() = %q, want it to contain %q", d.String(), tt.str)
			}
		})
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// BenchmarkDecidePrivate measures one decision of the lab's stage 5 for
// ServiceA's signed GET /orders: the network path, the endpoint policy,
// the method, and the identity and resource policies across accounts.
func BenchmarkDecidePrivate(b *testing.B) {
	st := loadLab(b)[4]
	a := authz.New(time.Now)
	caller, _ := st.dir.Caller(keyServiceA)
	c := &authz.PrivateCall{Caller: caller, SourceVPC: "vpc-aaaa0001", SourceAddr: mustAddr("10.199.0.10"), SourcePort: 40000,
		Endpoint: "vpce-aaaa0001", APIID: "svcbapi001", Stage: "api", Method: "GET", Path: "/orders"}
	if d := a.DecidePrivate(st.cfg, c); !d.Allowed {
		b.Fatalf("not allowed: %s", d.String())
	}
	b.ReportAllocs()
	for b.Loop() {
		a.DecidePrivate(st.cfg, c)
	}
}
