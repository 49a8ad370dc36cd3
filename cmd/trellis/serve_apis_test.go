package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/internal/orderhistory"
	"github.com/trellisproject/trellis/internal/zerotrustlab"
)

// TestServePrivateAPIs applies the network and apis sections of the
// zero-trust lab's stage 1 with `trellis apply` and calls ServiceBAPI
// through the interface endpoint `trellis serve` listens for, from two
// source addresses: one the resource policy admits, one it does not.
func TestServePrivateAPIs(t *testing.T) {
	isolateAWSEnvironment(t)
	oh, err := orderhistory.New()
	if err != nil {
		t.Fatal(err)
	}
	backend := httptest.NewServer(oh)
	defer backend.Close()

	data := t.TempDir()
	cfg := defaultServeConfig()
	cfg.Data = data
	cfg.Listen = "127.0.0.1:0"
	cfg.Gateway = &gatewayConfig{Endpoints: []gateway.EndpointIngress{{Listen: "127.0.0.1:0", Endpoint: "vpce-aaaa0001",
		SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}}}}
	a := startServe(t, cfg, io.Discard)

	doc, err := zerotrustlab.Document(1)
	if err != nil {
		t.Fatal(err)
	}
	doc.Identity = nil // the lab's identities would replace the administrator
	body, _ := json.Marshal(doc)
	file := writeFile(t, "lab.json", strings.ReplaceAll(string(body), "http://127.0.0.1:8081", backend.URL))
	code, out, errOut := runCLI(t, "", "apply", "-f", file, "--endpoint", "http://"+a.cp, "--data", data)
	if code != 0 || !strings.Contains(out, "+ restApi svcbapi001") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}

	call := func(source string) (int, string) {
		t.Helper()
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
		hc := &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext, DisableKeepAlives: true}, Timeout: 10 * time.Second}
		r, _ := http.NewRequest("GET", "http://"+a.gateway[0]+"/api/orders/1002", nil)
		r.Host = "svcbapi001-vpce-aaaa0001.execute-api.us-east-1.vpce.amazonaws.com"
		resp, err := hc.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := call("127.199.0.20"); status != http.StatusOK || !strings.Contains(body, `"id":"1002"`) {
		t.Errorf("from 10.199.0.20: %d %s", status, body)
	}
	if status, body := call("127.199.1.7"); status != http.StatusForbidden ||
		body != `{"message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:222233334444:svcbapi001/api/GET/orders/1002"}` {
		t.Errorf("from 10.199.1.7: %d %s", status, body)
	}
	// Records are written when the server closes a connection, which may
	// be just after the client has read the response.
	var logged []byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if logged, err = os.ReadFile(filepath.Join(data, "flow-logs.log")); err == nil && strings.Count(string(logged), "\n") >= 2 {
			break
		}
	}
	if strings.Count(string(logged), " ACCEPT OK\n") != 2 {
		t.Errorf("flow log (%v):\n%s", err, logged)
	}
	logged, err = os.ReadFile(filepath.Join(data, "api-access.log"))
	if err != nil || strings.Count(string(logged), `"apiId":"svcbapi001"`) != 2 || !strings.Contains(string(logged), `"trellisDecision":"resource-policy: `) {
		t.Errorf("API access log (%v):\n%s", err, logged)
	}
}
