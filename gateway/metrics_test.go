package gateway_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

// scrape reads the metrics a handler serves, by series ("name{labels}").
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestMetrics makes allowed and denied calls and reads the metrics.
func TestMetrics(t *testing.T) {
	ht := newHealthTarget(t, true)
	w := lt.New(t, region)
	sn := w.ServiceNetwork(lt.Account, "main", model.AuthIAM)
	w.AuthPolicy(sn.Meta, networkPolicy)
	w.AssociateVPC(sn, vpcMain)
	tg := w.TargetGroupHealth(lt.Account, "web", model.ProtocolVersionHTTP1, healthCheck(true, ""), ht.addr)
	svc := w.Service(lt.Account, "web", model.AuthNone, "web.example.com")
	w.Associate(sn, svc)
	w.Listener(svc, 80, lt.Forward([]*model.TargetGroup{tg}))
	var state atomic.Pointer[snapshot.State]
	state.Store(&snapshot.State{Seq: 42, Lattice: w.Build(), Identity: lt.Identities(t, time.Now().Add(-time.Hour))})

	h := runChecker(t, &state)
	waitStatus(t, h, tg, ht, gateway.TargetHealthy, "")
	m := gateway.NewMetrics(gateway.MetricsConfig{State: state.Load, Failures: func() int64 { return 3 }, Health: h})
	g, err := gateway.New(gateway.Config{Region: region, State: state.Load, Health: h, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	handler, _ := g.Handler(gateway.Ingress{Listen: "127.0.0.1:80", VPC: vpcMain})
	call := func(host string, header http.Header, secret string) int {
		r := httptest.NewRequest("GET", "http://"+host+"/work", nil)
		r.RemoteAddr = "127.0.0.1:40000"
		for k, v := range header {
			r.Header[k] = v
		}
		if secret != "" {
			r.Header.Set("X-Amz-Content-Sha256", unsigned)
			creds := aws.Credentials{AccessKeyID: lt.AliceKey, SecretAccessKey: secret}
			if err := sdkv4.NewSigner().SignHTTP(context.Background(), creds, r, unsigned, gateway.SigningService, region, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		io.Copy(io.Discard, rec.Body)
		return rec.Code
	}
	for _, c := range []struct {
		host   string
		header http.Header
		secret string
		want   int
	}{
		{"web.example.com", nil, "", http.StatusOK},
		{"web.example.com", nil, lt.AliceSecret, http.StatusOK},
		{"web.example.com", http.Header{"X-Block": {"network"}}, "", http.StatusForbidden},
		{"web.example.com", nil, lt.BobSecret, http.StatusForbidden},
		{"nowhere.example.com", nil, "", http.StatusNotFound},
	} {
		if got := call(c.host, c.header, c.secret); got != c.want {
			t.Fatalf("%s %v: status %d, want %d", c.host, c.header, got, c.want)
		}
	}

	got := scrape(t, m.Handler())
	for series, want := range map[string]float64{
		`trellis_gateway_requests_total{code="2xx",decision="allowed",service="` + svc.ARN + `"}`:                 2,
		`trellis_gateway_requests_total{code="4xx",decision="service-network-policy",service="` + svc.ARN + `"}`:  1,
		`trellis_gateway_requests_total{code="4xx",decision="signature",service="` + svc.ARN + `"}`:               1,
		`trellis_gateway_requests_total{code="4xx",decision="not-found",service="unknown"}`:                       1,
		`trellis_gateway_denied_total{layer="service-network-policy",reason="Network",service="` + svc.ARN + `"}`: 1,
		`trellis_gateway_denied_total{layer="signature",reason="-",service="` + svc.ARN + `"}`:                    1,
		`trellis_gateway_authz_decision_seconds_count`:                                                            3,
		`trellis_gateway_upstream_seconds_count{target_group="` + tg.ARN + `"}`:                                   2,
		`trellis_health_targets{status="HEALTHY",target_group="` + tg.ARN + `"}`:                                  1,
		`trellis_health_targets{status="UNHEALTHY",target_group="` + tg.ARN + `"}`:                                0,
		`trellis_health_targets{status="INITIAL",target_group="` + tg.ARN + `"}`:                                  0,
		`trellis_health_checks_total{result="fail",target_group="` + tg.ARN + `"}`:                                0,
		`trellis_config_sequence`:         42,
		`trellis_config_rebuild_failures`: 3,
	} {
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present: %v), want %v", series, v, ok, want)
		}
	}
	if v := got[`trellis_health_checks_total{result="pass",target_group="`+tg.ARN+`"}`]; v < 1 {
		t.Errorf("passed health checks: %v, want at least 1", v)
	}
	for series := range got {
		if strings.Contains(series, "/work") || strings.Contains(series, "nowhere") || strings.Contains(series, "alice") {
			t.Errorf("a path, host or principal became a label: %s", series)
		}
	}
}
