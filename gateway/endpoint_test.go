package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/internal/orderhistory"
	"github.com/trellisproject/trellis/internal/zerotrustlab"
	"github.com/trellisproject/trellis/snapshot"
)

// labStates builds the zero-trust lab's five stages with the integration
// pointed at backend.
func labStates(t *testing.T, backend string) []*snapshot.State {
	t.Helper()
	var out []*snapshot.State
	for i := 1; i <= zerotrustlab.Stages; i++ {
		doc, err := zerotrustlab.Document(i)
		if err != nil {
			t.Fatal(err)
		}
		toBackend := strings.NewReplacer("http://127.0.0.1:8081", backend, "http://127.0.0.1:8082", backend)
		for _, api := range doc.APIs.RestAPIs {
			for _, res := range api.Resources {
				for m := range res.Methods {
					res.Methods[m].Integration.URI = toBackend.Replace(res.Methods[m].Integration.URI)
				}
			}
		}
		nw, apis, err := snapshot.BuildPrivateAPIs(*doc.Network, *doc.APIs)
		if err != nil {
			t.Fatal(err)
		}
		dir, err := identity.New(*doc.Identity)
		if err != nil {
			t.Fatal(err)
		}
		if dir, err = dir.WithSessions(zerotrustlab.Sessions(time.Now().Add(-time.Hour))...); err != nil {
			t.Fatal(err)
		}
		out = append(out, &snapshot.State{Seq: uint64(i), Identity: dir, Network: nw, APIs: apis})
	}
	return out
}

// labHost is the endpoint-specific host name of an API.
func labHost(api, vpce string) string {
	return api + "-" + vpce + ".execute-api.us-east-1.vpce.amazonaws.com"
}

// TestPrivateAPIsEndToEnd runs the zero-trust lab through real listeners:
// each caller connects from its own 127.199.x.y (or, for the other VPC,
// 127.198.x.y) address, which the endpoint's source map places in its VPC;
// requests are signed by aws-sdk-go-v2 for execute-api, and allowed ones
// reach the order-history backend.
func TestPrivateAPIsEndToEnd(t *testing.T) {
	oh, err := orderhistory.New()
	if err != nil {
		t.Fatal(err)
	}
	var backendHits atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		backendHits.Add(1)
		if r.Header.Get("X-Spoof") != "" && r.Header.Get(gateway.HeaderAPIIdentity) == "Principal=arn:aws:iam::111122223333:root; Type=AWS_IAM" {
			t.Error("a client-sent identity header reached the backend")
		}
		oh.ServeHTTP(w, r)
	}))
	defer backend.Close()
	states := labStates(t, backend.URL)
	var cur atomic.Pointer[snapshot.State]
	cur.Store(states[0])
	flowLog := &syncBuffer{}
	g, err := gateway.New(gateway.Config{Region: "us-east-1", State: cur.Load, FlowLog: gateway.NewFlowLog(flowLog)})
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.StartEndpoints([]gateway.EndpointIngress{
		{Listen: "127.0.0.1:0", Endpoint: "vpce-aaaa0001",
			SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}},
		{Listen: "127.0.0.1:0", Endpoint: "vpce-bbbb0001",
			SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.198.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(context.Background())
	srvA, other := run.Addrs()[0].String(), run.Addrs()[1].String()

	const (
		ok      = "allowed"
		closed  = "closed"
		forbid  = "Forbidden"
		noToken = "Missing Authentication Token"
		denied  = "User: "
	)
	callers := []struct {
		name, source, ingress, vpce, key, api string
		signFrom                              int
		want                                  [5]string
	}{
		{"ServiceA", "127.199.0.10", srvA, "vpce-aaaa0001", zerotrustlab.KeyServiceA, "svcbapi001", 2, [5]string{ok, ok, ok, ok, ok}},
		{"ServiceA, unknown API", "127.199.0.10", srvA, "vpce-aaaa0001", zerotrustlab.KeyServiceA, "x9y8z7w6v5", 2, [5]string{ok, ok, ok, denied, denied}},
		{"Lambda 10.199.1.7 unsigned", "127.199.1.7", srvA, "vpce-aaaa0001", "", "svcbapi001", 0, [5]string{denied, noToken, noToken, denied, closed}},
		{"Lambda 10.199.1.7 signed", "127.199.1.7", srvA, "vpce-aaaa0001", zerotrustlab.KeyLambda, "svcbapi001", 1, [5]string{denied, denied, denied, denied, closed}},
		{"Lambda 10.199.0.20 unsigned", "127.199.0.20", srvA, "vpce-aaaa0001", "", "svcbapi001", 0, [5]string{ok, noToken, noToken, denied, closed}},
		{"Lambda 10.199.0.20 signed", "127.199.0.20", srvA, "vpce-aaaa0001", zerotrustlab.KeyLambda, "svcbapi001", 1, [5]string{ok, denied, denied, denied, closed}},
		{"other VPC's 10.199.0.10", "127.198.0.10", other, "vpce-bbbb0001", zerotrustlab.KeyOther, "svcbapi001", 2, [5]string{ok, ok, denied, denied, denied}},
	}
	for s := range states {
		cur.Store(states[s])
		for _, c := range callers {
			key := ""
			if s+1 >= c.signFrom {
				key = c.key
			}
			status, body, err := labCall(callerClient2(c.source), c.ingress, labHost(c.api, c.vpce), "/api/orders", key, nil)
			want := c.want[s]
			switch {
			case want == closed:
				if err == nil {
					t.Errorf("stage %d, %s: %d %s, want the connection closed", s+1, c.name, status, body)
				}
			case err != nil:
				t.Errorf("stage %d, %s: %v", s+1, c.name, err)
			case want == ok:
				var res orderhistory.Response
				if status != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || len(res.Orders) != 4 {
					t.Errorf("stage %d, %s: %d %s, want the orders", s+1, c.name, status, body)
				}
				if key != "" && !strings.Contains(res.Caller, "Principal=arn:aws:sts::") {
					t.Errorf("stage %d, %s: the backend saw caller %q", s+1, c.name, res.Caller)
				}
			default:
				var e struct{ Message string }
				if status != http.StatusForbidden || json.Unmarshal([]byte(body), &e) != nil || !strings.HasPrefix(e.Message, want) {
					t.Errorf("stage %d, %s: %d %s, want 403 %q", s+1, c.name, status, body, want)
				}
			}
		}
	}
	// The flow log has the rejected connections of stage 5 and accepted
	// ones, captured at the endpoint's interface.
	// ACCEPT records are written when the server closes a connection,
	// which may be just after the client has read the response.
	for deadline := time.Now().Add(5 * time.Second); strings.Count(flowLog.String(), "\n") < 35 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	log := flowLog.String()
	t.Log(log)
	if !strings.Contains(log, " eni-aaaa00e2 10.199.1.7 10.199.3.10 ") || !strings.Contains(log, " 443 6 1 60 ") || !strings.Contains(log, " REJECT OK\n") {
		t.Errorf("no REJECT record of the Lambda in 10.199.1.7:\n%s", log)
	}
	if !strings.Contains(log, "2 111122223333 eni-aaaa00e1 10.199.0.10 10.199.2.10 ") || !strings.Contains(log, " ACCEPT OK\n") {
		t.Errorf("no ACCEPT record of ServiceA:\n%s", log)
	}
}

// TestPrivateAPIsRequests checks one stage's answers in detail: the API
// named by header, path parameters and query strings forwarded, a bad
// signature, unknown stages and methods, forged identity headers.
func TestPrivateAPIsRequests(t *testing.T) {
	oh, _ := orderhistory.New()
	var seen atomic.Pointer[http.Request]
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r)
		oh.ServeHTTP(w, r)
	}))
	defer backend.Close()
	states := labStates(t, backend.URL)
	st := states[3] // stage 4: AWS_IAM, endpoint policy for ServiceA's GET /orders only
	accessLog := &syncBuffer{}
	g, err := gateway.New(gateway.Config{Region: "us-east-1", State: func() *snapshot.State { return st }, APIAccessLog: gateway.NewAPIAccessLog(accessLog)})
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.StartEndpoints([]gateway.EndpointIngress{{Listen: "127.0.0.1:0", Endpoint: "vpce-aaaa0001",
		SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(context.Background())
	addr := run.Addrs()[0].String()
	client := callerClient2("127.199.0.10")
	host := labHost("svcbapi001", "vpce-aaaa0001")
	tests := []struct {
		name   string
		host   string
		path   string
		key    string
		header http.Header
		status int
		body   string
	}{
		{"host names the API", host, "/api/orders?customer=c-17", zerotrustlab.KeyServiceA, nil, 200, `"id":"1003"`},
		{"x-apigw-api-id names it", "vpce-aaaa0001.execute-api.us-east-1.vpce.amazonaws.com", "/api/orders", zerotrustlab.KeyServiceA,
			http.Header{"X-Apigw-Api-Id": {"svcbapi001"}}, 200, `"id":"1001"`},
		{"forged identity headers are replaced", host, "/api/orders", zerotrustlab.KeyServiceA,
			http.Header{"X-Amzn-Apigateway-Identity": {"Principal=arn:aws:iam::111122223333:root; Type=AWS_IAM"}}, 200, `assumed-role/ServiceAInstanceRole`},
		{"host of another endpoint", labHost("svcbapi001", "vpce-bbbb0001"), "/api/orders", zerotrustlab.KeyServiceA, nil, 403, `{"message":"Forbidden"}`},
		{"no API named", "127.0.0.1", "/api/orders", zerotrustlab.KeyServiceA, nil, 403, `{"message":"Forbidden"}`},
		{"unknown stage", host, "/prod/orders", zerotrustlab.KeyServiceA, nil, 403, `{"message":"Forbidden"}`},
		{"endpoint policy: GET /orders only", host, "/api/orders/1002", zerotrustlab.KeyServiceA, nil, 403,
			`{"message":"User: arn:aws:sts::111122223333:assumed-role/ServiceAInstanceRole/i-0aaaa0001 is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:222233334444:svcbapi001/api/GET/orders/1002"}`},
		{"bad signature", host, "/api/orders", "bad", nil, 403, `"message":"The request signature we calculated does not match`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, err := labCall(client, addr, tt.host, tt.path, tt.key, tt.header)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status || !strings.Contains(body, tt.body) {
				t.Errorf("%d %s, want %d with %s", status, body, tt.status, tt.body)
			}
		})
	}
	lines := strings.Split(strings.TrimSpace(accessLog.String()), "\n")
	if len(lines) != len(tests) {
		t.Fatalf("%d access log lines, want %d:\n%s", len(lines), len(tests), accessLog)
	}
	var first, denied gateway.APIAccessLogEntry
	if json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[6]), &denied) != nil {
		t.Fatalf("access log:\n%s", accessLog)
	}
	if first.Status != 200 || first.APIID != "svcbapi001" || first.Stage != "api" || first.ResourcePath != "/orders" || first.SourceIP != "10.199.0.10" ||
		first.VpceID != "vpce-aaaa0001" || first.VpcID != "vpc-aaaa0001" || first.UserArn != "arn:aws:sts::111122223333:assumed-role/ServiceAInstanceRole/i-0aaaa0001" ||
		first.Caller != "arn:aws:iam::111122223333:role/ServiceAInstanceRole" || !strings.HasPrefix(first.TrellisDecision, "allowed: ") {
		t.Errorf("allowed call logged as %+v", first)
	}
	if denied.Status != 403 || !strings.HasPrefix(denied.TrellisDecision, "endpoint-policy: ") || !strings.HasPrefix(denied.ErrorMessage, "User: ") {
		t.Errorf("denied call logged as %+v", denied)
	}
	if r := seen.Load(); r == nil || r.Header.Get(gateway.HeaderVpceID) != "vpce-aaaa0001" || r.Header.Get("X-Forwarded-For") != "10.199.0.10" {
		t.Errorf("the backend's last request lacks the endpoint's headers: %v", r)
	}
}

// callerClient2 is callerClient without keep-alives: every call opens a
// connection, so that every call meets the network check.
func callerClient2(source string) *http.Client {
	c := callerClient(source)
	c.Transport.(*http.Transport).DisableKeepAlives = true
	return c
}

// labCall sends GET path to addr with a Host, signed by key's session for
// execute-api ("" for unsigned, "bad" for a wrong secret).
func labCall(client *http.Client, addr, host, path, key string, header http.Header) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = host
	for k, vs := range header {
		req.Header[k] = vs
	}
	if key != "" {
		creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: zerotrustlab.Secret, SessionToken: zerotrustlab.Token(key)}
		if key == "bad" {
			creds = aws.Credentials{AccessKeyID: zerotrustlab.KeyServiceA, SecretAccessKey: strings.Repeat("x", 40), SessionToken: zerotrustlab.Token(zerotrustlab.KeyServiceA)}
		}
		const hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" // SHA-256 of the empty body
		if err := sdkv4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "execute-api", "us-east-1", time.Now()); err != nil {
			return 0, "", err
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestEndpointRefusalHook checks that OnRefusal hears of a connection the
// network path closed, with the verdict's layer and component, and that
// the caller sees only a closed connection.
func TestEndpointRefusalHook(t *testing.T) {
	st := labStates(t, "http://127.0.0.1:1")[4] // stage 5: the endpoint admits ServiceA's instances only
	refusals := make(chan gateway.Refusal, 4)
	g, err := gateway.New(gateway.Config{Region: "us-east-1", State: func() *snapshot.State { return st },
		OnRefusal: func(r gateway.Refusal) { refusals <- r }})
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.StartEndpoints([]gateway.EndpointIngress{{Listen: "127.0.0.1:0", Endpoint: "vpce-aaaa0001",
		SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(context.Background())
	status, body, err := labCall(callerClient2("127.199.1.7"), run.Addrs()[0].String(), labHost("svcbapi001", "vpce-aaaa0001"), "/api/orders", "", nil)
	if err == nil {
		t.Fatalf("%d %s, want the connection closed", status, body)
	}
	select {
	case r := <-refusals:
		if r.Endpoint != "vpce-aaaa0001" || r.Peer.Addr() != netip.MustParseAddr("127.199.1.7") || r.Flow.SourceAddr != netip.MustParseAddr("10.199.1.7") ||
			r.Verdict.Layer != "security-group" || r.Verdict.Component != "sg-aaaa0004" {
			t.Errorf("refusal %+v: %s", r, r.Verdict.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no refusal reported")
	}
}
