package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/snapshot"
)

// BenchmarkMetrics measures what recording metrics adds to the gateway's
// whole path for a SigV4-signed call to an AWS_IAM service.
func BenchmarkMetrics(b *testing.B) {
	state := labState(b, map[string]*atomic.Int64{"alpha": {}, "beta": {}, "gamma": {}})
	current := func() *snapshot.State { return state }
	signed := httptest.NewRequest("GET", "http://secure.example.com/orders/42?expand=items", nil)
	signed.RemoteAddr = "127.199.3.4:40000"
	signed.Header.Set("X-Amz-Content-Sha256", unsigned)
	err := sdkv4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: lt.AliceKey, SecretAccessKey: lt.AliceSecret},
		signed, unsigned, gateway.SigningService, region, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		metrics *gateway.Metrics
	}{
		{"without-metrics", nil},
		{"with-metrics", gateway.NewMetrics(gateway.MetricsConfig{State: current})},
	} {
		b.Run(c.name, func(b *testing.B) {
			g, err := gateway.New(gateway.Config{Region: region, State: current, Transport: stubTransport{}, Metrics: c.metrics})
			if err != nil {
				b.Fatal(err)
			}
			h, err := g.Handler(gateway.Ingress{Listen: "127.0.0.1:80", VPC: vpcMain, VPCOwner: lt.Account,
				SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}})
			if err != nil {
				b.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, signed.Clone(context.Background()))
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), signed.Clone(context.Background()))
			}
		})
	}
}
