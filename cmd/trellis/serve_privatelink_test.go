package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/internal/orderhistory"
)

// TestServePrivateLink runs the PrivateLink example as docs/privatelink.md
// tells users to: trellis serve with examples/privatelink/serve.yaml (on
// free ports), the network section of config.yaml applied with --only,
// calls refused before acceptance with REJECT records, accepted.yaml
// applied, and the orders backend reached.
func TestServePrivateLink(t *testing.T) {
	isolateAWSEnvironment(t)
	oh, err := orderhistory.New()
	if err != nil {
		t.Fatal(err)
	}
	backend := httptest.NewServer(oh)
	defer backend.Close()

	cfg := defaultServeConfig()
	if err := readServeConfig("../../examples/privatelink/serve.yaml", &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Gateway.Endpoints) != 3 {
		t.Fatalf("serve.yaml has %d endpoints, want 3", len(cfg.Gateway.Endpoints))
	}
	data := t.TempDir()
	cfg.Data, cfg.Listen = data, "127.0.0.1:0"
	for i := range cfg.Gateway.Endpoints {
		cfg.Gateway.Endpoints[i].Listen = "127.0.0.1:0"
	}
	a := startServe(t, cfg, io.Discard)

	apply := func(name string, extra ...string) {
		t.Helper()
		doc, err := os.ReadFile("../../examples/privatelink/" + name)
		if err != nil {
			t.Fatal(err)
		}
		file := writeFile(t, name, strings.ReplaceAll(string(doc), "127.0.0.1:9001", backend.Listener.Addr().String()))
		args := append([]string{"apply", "-f", file, "--endpoint", "http://" + a.cp, "--data", data}, extra...)
		if code, out, errOut := runCLI(t, "", args...); code != 0 || !strings.Contains(out, "endpointService vpce-svc-aaaa0001") {
			t.Fatalf("apply %s: exit %d\n%s%s", name, code, out, errOut)
		}
	}
	call := func(source, addr string) (int, string, error) {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
		hc := &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext, DisableKeepAlives: true}, Timeout: 10 * time.Second}
		r, _ := http.NewRequest("GET", "http://"+addr+"/orders", nil)
		r.Host = "orders.provider.example"
		resp, err := hc.Do(r)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	flowLog := func(lines int) string {
		var logged []byte
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if logged, err = os.ReadFile(filepath.Join(data, "flow-logs.log")); err == nil && strings.Count(string(logged), "\n") >= lines {
				break
			}
		}
		return string(logged)
	}

	apply("config.yaml", "--only", "network")
	blocked := []struct{ name, source, addr, record string }{
		{"orders-client before acceptance", "127.50.1.10", a.gateway[0], "2 444455556666 eni-cccc00e1 10.50.1.10 10.50.10.50 "},
		{"the partner", "127.60.1.10", a.gateway[1], "2 777788889999 eni-dddd0001 10.60.1.10 - "},
		{"the internet", "127.50.1.10", a.gateway[2], "2 444455556666 eni-cccc0001 10.50.1.10 203.0.113.10 "},
	}
	for _, b := range blocked {
		if status, body, err := call(b.source, b.addr); err == nil {
			t.Errorf("%s: %d %s, want the connection closed", b.name, status, body)
		}
	}
	log := flowLog(len(blocked))
	for _, b := range blocked {
		if !strings.Contains(log, b.record) {
			t.Errorf("%s: no record %q in the flow log:\n%s", b.name, b.record, log)
		}
	}
	if strings.Count(log, " REJECT OK\n") != len(blocked) {
		t.Errorf("flow log:\n%s", log)
	}

	apply("accepted.yaml")
	status, body, err := call("127.50.1.10", a.gateway[0])
	var res orderhistory.Response
	if err != nil || status != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || len(res.Orders) == 0 {
		t.Fatalf("orders-client after acceptance: %d %s %v", status, body, err)
	}
	if _, _, err := call("127.60.1.10", a.gateway[1]); err == nil {
		t.Error("the partner reached the service after acceptance")
	}
	if log := flowLog(len(blocked) + 2); !strings.Contains(log, " 80 6 1 ") || strings.Count(log, " ACCEPT OK\n") != 1 {
		t.Errorf("flow log after acceptance:\n%s", log)
	}
}
