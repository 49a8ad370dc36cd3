package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/snapshot"
)

// stubTransport answers every request itself, so that the benchmarks
// measure the proxy, not the network or a target.
type stubTransport struct{}

func (stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(strings.NewReader("ok")), ContentLength: 2, Request: r}, nil
}

// benchPool gives the baseline the same buffer reuse as the gateway.
type benchPool struct{ p sync.Pool }

func (b *benchPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *benchPool) Put(buf []byte) { b.p.Put(&buf) }

// BenchmarkProxy compares the gateway's whole path for a SigV4-signed call
// to an AWS_IAM service (route, verify, authorise over three layers,
// rewrite headers, proxy) with a bare httputil.ReverseProxy, in one run.
func BenchmarkProxy(b *testing.B) {
	state := labState(b, map[string]*atomic.Int64{"alpha": {}, "beta": {}, "gamma": {}})
	g, err := gateway.New(gateway.Config{Region: region, State: func() *snapshot.State { return state }, Transport: stubTransport{}})
	if err != nil {
		b.Fatal(err)
	}
	h, err := g.Handler(gateway.Ingress{Listen: "127.0.0.1:80", VPC: vpcMain, VPCOwner: lt.Account,
		SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}})
	if err != nil {
		b.Fatal(err)
	}
	signed := httptest.NewRequest("GET", "http://secure.example.com/orders/42?expand=items", nil)
	signed.RemoteAddr = "127.199.3.4:40000"
	signed.Header.Set("User-Agent", "bench/1.0")
	signed.Header.Set("X-Amz-Content-Sha256", unsigned)
	err = sdkv4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: lt.AliceKey, SecretAccessKey: lt.AliceSecret},
		signed, unsigned, gateway.SigningService, region, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	target := &url.URL{Scheme: "http", Host: "127.0.0.1:9"}
	bare := &httputil.ReverseProxy{Transport: stubTransport{}, Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.SetXForwarded()
	}}
	pooled := &httputil.ReverseProxy{Transport: stubTransport{}, Rewrite: bare.Rewrite, BufferPool: &benchPool{}}
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"gateway-sigv4-aws_iam", h},
		{"bare-reverseproxy", bare},
		{"bare-reverseproxy-bufferpool", pooled},
	} {
		b.Run(c.name, func(b *testing.B) {
			rec := httptest.NewRecorder()
			c.h.ServeHTTP(rec, signed.Clone(context.Background()))
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(httptest.NewRecorder(), signed.Clone(context.Background()))
			}
		})
	}
}
