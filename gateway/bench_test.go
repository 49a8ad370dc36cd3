package gateway_test

import (
	"bufio"
	"context"
	"io"
	"net"
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
	"github.com/trellisproject/trellis/model"
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

// benchIngress is the ingress of the benchmarks: the main VPC, with the
// lab's source addresses mapped to the ones the secure service allows.
var benchIngress = gateway.Ingress{Listen: "127.0.0.1:80", VPC: vpcMain, VPCOwner: lt.Account,
	SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}}

// benchHandler returns the handler of benchIngress on a gateway with cfg.
func benchHandler(b *testing.B, cfg gateway.Config) http.Handler {
	g, err := gateway.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	h, err := g.Handler(benchIngress)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// benchRequest returns the benchmarks' request: a GET to the secure
// service signed with SigV4 (UNSIGNED-PAYLOAD) by alice, as the server
// receives it.
func benchRequest(b *testing.B) *http.Request {
	signed := httptest.NewRequest("GET", "http://secure.example.com/orders/42?expand=items", nil)
	signed.RemoteAddr = "127.199.3.4:40000"
	signed.Header.Set("User-Agent", "bench/1.0")
	signed.Header.Set("X-Amz-Content-Sha256", unsigned)
	err := sdkv4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: lt.AliceKey, SecretAccessKey: lt.AliceSecret},
		signed, unsigned, gateway.SigningService, region, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	return signed
}

// BenchmarkProxy compares the gateway's whole path for a SigV4-signed call
// to an AWS_IAM service (route, verify, authorise over three layers,
// rewrite headers, proxy) with a bare httputil.ReverseProxy, in one run.
func BenchmarkProxy(b *testing.B) {
	state := labState(b, map[string]*atomic.Int64{"alpha": {}, "beta": {}, "gamma": {}})
	h := benchHandler(b, gateway.Config{Region: region, State: func() *snapshot.State { return state }, Transport: stubTransport{}})
	signed := benchRequest(b)
	target := &url.URL{Scheme: "http", Host: "127.0.0.1:9"}
	bare := &httputil.ReverseProxy{Transport: stubTransport{}, Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.SetXForwarded()
	}}
	pooled := &httputil.ReverseProxy{Transport: stubTransport{}, Rewrite: bare.Rewrite, BufferPool: &benchPool{}}
	runProxyBenchmarks(b, signed, []namedHandler{
		{"gateway-sigv4-aws_iam", h},
		{"bare-reverseproxy", bare},
		{"bare-reverseproxy-bufferpool", pooled},
	})
}

// cannedTarget is a target on loopback that answers every request on a
// connection with the same few bytes, allocating nothing per request after
// the first, so that BenchmarkProxyLoopback counts the proxy's allocations
// alone. It reads request heads only: the benchmark's requests have no
// body.
func cannedTarget(b *testing.B) netip.AddrPort {
	answer := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
	return rawTarget(b, func(c net.Conn, _ <-chan struct{}) {
		br := bufio.NewReader(c)
		for {
			if _, err := c.Write(answer); err != nil {
				return
			}
			// The next request's head ends with an empty line.
			for {
				line, err := br.ReadSlice('\n')
				if err != nil {
					return
				}
				if len(line) <= 2 {
					break
				}
			}
		}
	})
}

// runProxyBenchmarks runs one sub-benchmark per handler, each serving the
// signed request, after checking that it answers 200.
func runProxyBenchmarks(b *testing.B, signed *http.Request, handlers []namedHandler) {
	for _, c := range handlers {
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

type namedHandler struct {
	name string
	h    http.Handler
}

// BenchmarkProxyLoopback is BenchmarkProxy over a real connection: the
// gateway's own client sends each request to a target on loopback, so the
// figure includes the write and the read of the exchange with the target,
// as in production; the baseline is httputil.ReverseProxy with a transport
// that keeps the connection, in front of the same target.
func BenchmarkProxyLoopback(b *testing.B) {
	target := cannedTarget(b)
	w := lt.New(b, region)
	sn := w.ServiceNetwork(lt.Account, "main", model.AuthIAM)
	w.AuthPolicy(sn.Meta, networkPolicy)
	w.AssociateVPC(sn, vpcMain)
	svc := w.Service(lt.Account, "secure", model.AuthIAM, "secure.example.com")
	w.Associate(sn, svc)
	w.AuthPolicy(svc.Meta, securePolicy)
	w.Listener(svc, 80, lt.Forward([]*model.TargetGroup{w.TargetGroup(lt.Account, "canned", target)}))
	state := &snapshot.State{Lattice: w.Build(), Identity: lt.Identities(b, time.Now().Add(-time.Hour))}
	h := benchHandler(b, gateway.Config{Region: region, State: func() *snapshot.State { return state }})
	signed := benchRequest(b)
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}
	b.Cleanup(tr.CloseIdleConnections)
	bare := &httputil.ReverseProxy{Transport: tr, BufferPool: &benchPool{}, Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(&url.URL{Scheme: "http", Host: target.String()})
		pr.SetXForwarded()
	}}
	runProxyBenchmarks(b, signed, []namedHandler{
		{"gateway-sigv4-aws_iam", h},
		{"bare-reverseproxy-bufferpool", bare},
	})
}
