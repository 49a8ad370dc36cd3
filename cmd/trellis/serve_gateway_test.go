package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"

	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/store"
)

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeGateway configures a service with the VPC Lattice API through
// the control plane of `trellis serve` and calls it through the gateway.
func TestServeGateway(t *testing.T) {
	const vpc = "vpc-0a1b2c3d4e5f60718"
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "target saw "+r.Header.Get(gateway.HeaderIdentity))
	}))
	defer target.Close()
	targetAddr := netip.MustParseAddrPort(target.Listener.Addr().String())

	data := t.TempDir()
	cfg := defaultServeConfig()
	cfg.Data = data
	cfg.Listen = "127.0.0.1:0"
	cfg.Gateway = &gatewayConfig{Ingress: []gateway.Ingress{{Listen: "127.0.0.1:0", VPC: vpc, ListenerPort: 80}}, MetricsListen: freeAddr(t)}
	stdout := &lockedBuffer{}
	a := startServe(t, cfg, stdout)
	ctx := t.Context()
	id, secret := adminKey(t, data)
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, Source: "test"}
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	c := vpclattice.New(vpclattice.Options{BaseEndpoint: aws.String("http://" + a.cp), Region: cfg.Region, RetryMaxAttempts: 1, HTTPClient: hc,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })})

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	created := createSignedOnlyService(t, c, vpc, "billing.example.com", targetAddr, true)
	svc, tg := created.service, created.targetGroup
	_, err := c.CreateAccessLogSubscription(ctx, &vpclattice.CreateAccessLogSubscriptionInput{ResourceIdentifier: created.network.Id,
		DestinationArn: aws.String("arn:aws:logs:" + cfg.Region + ":" + cfg.Account + ":log-group:stdout")})
	must(err)

	call := func(sign bool) (int, string) {
		t.Helper()
		r, err := http.NewRequest("GET", "http://"+a.gateway[0]+"/invoices", nil)
		must(err)
		r.Host = "billing.example.com"
		if sign {
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			must(sdkv4.NewSigner().SignHTTP(ctx, creds, r, "UNSIGNED-PAYLOAD", gateway.SigningService, cfg.Region, time.Now()))
		}
		resp, err := hc.Do(r)
		must(err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The configuration reaches the gateway shortly after the last write
	// (the access log subscription), and the target takes requests once its
	// first health check passed.
	deadline := time.Now().Add(10 * time.Second)
	status, body := call(true)
	for (status == http.StatusNotFound || status == http.StatusServiceUnavailable || stdout.String() == "") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		status, body = call(true)
	}
	want := "target saw Principal=arn:aws:iam::" + cfg.Account + ":user/admin; Type=AWS_IAM"
	if status != http.StatusOK || body != want {
		t.Fatalf("signed call: %d %q, want 200 %q", status, body, want)
	}
	status, body = call(false)
	if status != http.StatusForbidden || !strings.HasPrefix(body, "AccessDeniedException: User: anonymous is not authorized to perform: vpc-lattice-svcs:Invoke on resource: "+*svc.Arn+"/invoices because no network-based policy allows") {
		t.Errorf("anonymous call: %d %q", status, body)
	}
	var entries []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var m map[string]any
		must(json.Unmarshal([]byte(line), &m))
		entries = append(entries, m)
	}
	last := entries[len(entries)-1]
	if last["authDeniedReason"] != "Network" || last["serviceArn"] != *svc.Arn || last["sourceVpcId"] != vpc {
		t.Errorf("access log entry %v", last)
	}

	// ListTargets reports what the gateway's health checks found.
	targets, err := c.ListTargets(ctx, &vpclattice.ListTargetsInput{TargetGroupIdentifier: tg.Id})
	must(err)
	if len(targets.Items) != 1 || targets.Items[0].Status != types.TargetStatusHealthy {
		t.Errorf("ListTargets: %+v", targets.Items)
	}

	// The metrics count the calls.
	resp, err := hc.Get("http://" + cfg.Gateway.MetricsListen + "/metrics")
	must(err)
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, series := range []string{
		`trellis_gateway_denied_total{layer="service-network-policy",reason="Network",service="` + *svc.Arn + `"} 1`,
		`trellis_health_targets{status="HEALTHY",target_group="` + *tg.Arn + `"} 1`,
		`trellis_config_rebuild_failures 0`,
	} {
		if !strings.Contains(string(metrics), series+"\n") {
			t.Errorf("metrics lack %s:\n%s", series, metrics)
		}
	}

	// Fail closed: another process writes a record that does not build.
	// The gateway refuses every call with 503, /healthz fails and the
	// metric says so, until the record is gone.
	other, err := store.OpenSQLite(ctx, data, store.Options{})
	must(err)
	defer other.Close()
	const bad = "svc-0000000000000bad0"
	_, err = other.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Create(store.Record{Kind: model.KindService, ID: bad, Body: []byte(`{"id": 7}`)})
		return err
	})
	must(err)
	health := func() (int, string) {
		resp, err := hc.Get("http://" + cfg.Gateway.MetricsListen + "/healthz")
		must(err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if status, _ := call(true); status == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gateway still serves 10s after the configuration stopped building")
		}
	}
	if status, body := health(); status != http.StatusServiceUnavailable || !strings.Contains(body, bad) {
		t.Errorf("/healthz while stale: %d %q", status, body)
	}
	resp, err = hc.Get("http://" + cfg.Gateway.MetricsListen + "/metrics")
	must(err)
	metrics, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "trellis_config_stale 1\n") || strings.Contains(string(metrics), "trellis_config_rebuild_failures_total 0\n") {
		t.Errorf("metrics while stale:\n%s", metrics)
	}
	_, err = other.Update(ctx, func(tx store.Tx) error { return tx.Delete(model.KindService, bad, 0) })
	must(err)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if status, body := call(true); status == http.StatusOK && body == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gateway did not recover within 10s of the configuration building again")
		}
	}
	if status, body := health(); status != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz after recovery: %d %q", status, body)
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestReadServeConfigGateway(t *testing.T) {
	good := writeFile(t, "trellis.yaml", `
gateway:
  accessLogDir: /tmp/logs
  ingress:
    - listen: 127.0.0.1:8080
      vpc: vpc-0a1b2c3d4e5f60718
      vpcOwner: "111122223333"
      listenerPort: 80
      sourceMap: [{from: 127.199.0.0/16, to: 10.199.0.0/16}]
      tls: {certFile: /etc/trellis/tls.crt, keyFile: /etc/trellis/tls.key}
      proxyProtocol: {trustedPeers: [10.0.0.0/24]}
      idleTimeout: 90s
      readHeaderTimeout: 5s
  metricsListen: 127.0.0.1:9400
  flowLogFile: /tmp/flows.log
  endpoints:
    - listen: 127.0.0.1:8443
      endpoint: vpce-aaaa0001
      sourceMap: [{from: 127.199.0.0/16, to: 10.199.0.0/16}]
`)
	cfg := defaultServeConfig()
	if err := readServeConfig(good, &cfg); err != nil {
		t.Fatal(err)
	}
	in := cfg.Gateway.Ingress[0]
	if cfg.Gateway.AccessLogDir != "/tmp/logs" || cfg.Gateway.MetricsListen != "127.0.0.1:9400" || in.Listen != "127.0.0.1:8080" || in.VPC != "vpc-0a1b2c3d4e5f60718" || in.VPCOwner != "111122223333" ||
		in.ListenerPort != 80 || in.SourceMap[0].From != netip.MustParsePrefix("127.199.0.0/16") || in.SourceMap[0].To != netip.MustParsePrefix("10.199.0.0/16") {
		t.Errorf("read %+v", cfg.Gateway)
	}
	if in.TLS == nil || in.TLS.CertFile != "/etc/trellis/tls.crt" || in.TLS.KeyFile != "/etc/trellis/tls.key" ||
		in.ProxyProtocol == nil || in.ProxyProtocol.TrustedPeers[0] != netip.MustParsePrefix("10.0.0.0/24") ||
		in.IdleTimeout != gateway.Duration(90*time.Second) || in.ReadHeaderTimeout != gateway.Duration(5*time.Second) {
		t.Errorf("read %+v", in)
	}
	if ep := cfg.Gateway.Endpoints; cfg.Gateway.FlowLogFile != "/tmp/flows.log" || len(ep) != 1 || ep[0].Listen != "127.0.0.1:8443" || ep[0].Endpoint != "vpce-aaaa0001" ||
		ep[0].SourceMap[0].To != netip.MustParsePrefix("10.199.0.0/16") {
		t.Errorf("read endpoints %+v", cfg.Gateway)
	}
	for name, doc := range map[string]string{
		"unknown key":          "gateway:\n  ingress:\n    - listen: 127.0.0.1:8080\n      vpc: vpc-0a1b2c3d\n      colour: blue\n",
		"bad prefix":           "gateway:\n  ingress:\n    - listen: 127.0.0.1:8080\n      vpc: vpc-0a1b2c3d\n      sourceMap: [{from: 127.199.0.0/99, to: 10.0.0.0/16}]\n",
		"numeric owner":        "gateway:\n  ingress:\n    - listen: 127.0.0.1:8080\n      vpc: vpc-0a1b2c3d\n      vpcOwner: 111122223333\n",
		"timeout without unit": "gateway:\n  ingress:\n    - listen: 127.0.0.1:8080\n      vpc: vpc-0a1b2c3d\n      idleTimeout: 90\n",
		"unknown tls key":      "gateway:\n  ingress:\n    - listen: 127.0.0.1:8080\n      vpc: vpc-0a1b2c3d\n      tls: {cert: x.pem}\n",
		"peer without length":  "gateway:\n  ingress:\n    - listen: 127.0.0.1:8080\n      vpc: vpc-0a1b2c3d\n      proxyProtocol: {trustedPeers: [10.0.0.1]}\n",
		"endpoint key":         "gateway:\n  endpoints:\n    - listen: 127.0.0.1:8443\n      vpce: vpce-aaaa0001\n",
	} {
		cfg := defaultServeConfig()
		if err := readServeConfig(writeFile(t, "bad.yaml", doc), &cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// signedOnlyService is what createSignedOnlyService created.
type signedOnlyService struct {
	network     *vpclattice.CreateServiceNetworkOutput
	service     *vpclattice.CreateServiceOutput
	targetGroup *vpclattice.CreateTargetGroupOutput
}

// createSignedOnlyService sets up, through the VPC Lattice API, a service
// network "main" that admits signed callers only, associated with vpc, and
// in it a service "billing" at host forwarding to target over HTTP, with
// health checks unless disabled.
func createSignedOnlyService(t *testing.T, c *vpclattice.Client, vpc, host string, target netip.AddrPort, healthChecks bool) signedOnlyService {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	sn, err := c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("main"), AuthType: types.AuthTypeAwsIam})
	must(err)
	_, err = c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: sn.Id, Policy: aws.String(`{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*","Condition":{"StringNotEqualsIgnoreCase":{"aws:PrincipalType":"anonymous"}}}]}`)})
	must(err)
	svc, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("billing"), CustomDomainName: aws.String(host)})
	must(err)
	tgc := &types.TargetGroupConfig{Port: aws.Int32(int32(target.Port())), Protocol: types.TargetGroupProtocolHttp, VpcIdentifier: aws.String(vpc)}
	if !healthChecks {
		tgc.HealthCheck = &types.HealthCheckConfig{Enabled: aws.Bool(false)}
	}
	tg, err := c.CreateTargetGroup(ctx, &vpclattice.CreateTargetGroupInput{Name: aws.String("web"), Type: types.TargetGroupTypeIp, Config: tgc})
	must(err)
	_, err = c.RegisterTargets(ctx, &vpclattice.RegisterTargetsInput{TargetGroupIdentifier: tg.Id,
		Targets: []types.Target{{Id: aws.String(target.Addr().String()), Port: aws.Int32(int32(target.Port()))}}})
	must(err)
	_, err = c.CreateListener(ctx, &vpclattice.CreateListenerInput{ServiceIdentifier: svc.Id, Name: aws.String("http"), Protocol: types.ListenerProtocolHttp,
		DefaultAction: &types.RuleActionMemberForward{Value: types.ForwardAction{TargetGroups: []types.WeightedTargetGroup{{TargetGroupIdentifier: tg.Id}}}}})
	must(err)
	_, err = c.CreateServiceNetworkServiceAssociation(ctx, &vpclattice.CreateServiceNetworkServiceAssociationInput{ServiceNetworkIdentifier: sn.Id, ServiceIdentifier: svc.Id})
	must(err)
	_, err = c.CreateServiceNetworkVpcAssociation(ctx, &vpclattice.CreateServiceNetworkVpcAssociationInput{ServiceNetworkIdentifier: sn.Id, VpcIdentifier: aws.String(vpc)})
	must(err)
	return signedOnlyService{sn, svc, tg}
}
