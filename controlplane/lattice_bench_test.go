package controlplane_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/sigv4"
)

// Benchmarks of the VPC Lattice API through HTTP on 127.0.0.1, with the
// SQLite store (WAL, synchronous=FULL: every call's transaction is synced
// to disk before the response). Each records the latency of every call and
// reports its median and 99th percentile; -v logs a histogram.
//
//	go test -run '^$' -bench Lattice -benchtime 2000x -count 3 ./controlplane

func benchEnv(b *testing.B) *env {
	q := model.DefaultQuotas()
	q.ServicesPerRegion.Value = 0 // unlimited
	return newEnv(b, func(c *controlplane.LatticeConfig) {
		c.Quotas = &q
		c.Clock = time.Now
	})
}

// latencies records one duration per call.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	pct := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	b.ReportMetric(float64(pct(0.50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(pct(0.99).Microseconds()), "p99-µs")
	b.ReportMetric(0, "ns/op") // the mean of a latency distribution says little; see p50 and p99
	if testing.Verbose() && len(s) >= 100 {
		var h strings.Builder
		bounds := []time.Duration{250 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 2 * time.Millisecond,
			4 * time.Millisecond, 8 * time.Millisecond, 16 * time.Millisecond, 32 * time.Millisecond, time.Hour}
		i := 0
		for _, hi := range bounds {
			n := 0
			for i < len(s) && s[i] < hi {
				i++
				n++
			}
			label := "< " + hi.String()
			if hi == time.Hour {
				label = ">= 32ms"
			}
			fmt.Fprintf(&h, "  %-8s %6d %s\n", label, n, strings.Repeat("#", n*60/len(s)))
		}
		b.Logf("%d calls, p50 %v, p90 %v, p99 %v, max %v\n%s", len(s), pct(0.5), pct(0.9), pct(0.99), s[len(s)-1], h.String())
	}
}

func BenchmarkLatticeCreateServiceSDK(b *testing.B) {
	e := benchEnv(b)
	c := e.client(adminKey)
	lat := make(latencies, 0, 1024)
	i := 0
	for b.Loop() {
		i++
		start := time.Now()
		_, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String(fmt.Sprintf("bench-%d", i))})
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	lat.report(b)
}

func BenchmarkLatticePutAuthPolicySDK(b *testing.B) {
	e := benchEnv(b)
	c := e.client(adminKey)
	svc, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("bench"), AuthType: types.AuthTypeAwsIam})
	if err != nil {
		b.Fatal(err)
	}
	lat := make(latencies, 0, 1024)
	for b.Loop() {
		start := time.Now()
		_, err := c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: svc.Id, Policy: aws.String(orgOnlyPolicy)})
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	lat.report(b)
}

// rawCall sends one request signed with trellis's signer, without the SDK,
// so that the figure is the server's (and the loopback's) alone.
func rawCall(b *testing.B, e *env, s *sigv4.Signer, method, path, body string, want int) time.Duration {
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	if _, err := s.Sign(req, sigv4.SignOptions{Service: "vpc-lattice", Region: testRegion}); err != nil {
		b.Fatal(err)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return d
}

func BenchmarkLatticeCreateServiceHTTP(b *testing.B) {
	e := benchEnv(b)
	s := sigv4.NewSigner(adminKey, sigv4.Credential{SecretAccessKey: testSecret}, nil)
	lat := make(latencies, 0, 1024)
	i := 0
	for b.Loop() {
		i++
		lat = append(lat, rawCall(b, e, s, "POST", "/services", fmt.Sprintf(`{"name":"bench-%d"}`, i), 201))
	}
	lat.report(b)
}

func BenchmarkLatticePutAuthPolicyHTTP(b *testing.B) {
	e := benchEnv(b)
	s := sigv4.NewSigner(adminKey, sigv4.Credential{SecretAccessKey: testSecret}, nil)
	c := e.client(adminKey)
	svc, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("bench"), AuthType: types.AuthTypeAwsIam})
	if err != nil {
		b.Fatal(err)
	}
	body := fmt.Sprintf(`{"policy":%q}`, orgOnlyPolicy)
	lat := make(latencies, 0, 1024)
	for b.Loop() {
		lat = append(lat, rawCall(b, e, s, "PUT", "/authpolicy/"+*svc.Id, body, 200))
	}
	lat.report(b)
}

// BenchmarkLatticeGetServiceHTTP is a read for comparison: one read
// transaction, no sync.
func BenchmarkLatticeGetServiceHTTP(b *testing.B) {
	e := benchEnv(b)
	s := sigv4.NewSigner(adminKey, sigv4.Credential{SecretAccessKey: testSecret}, nil)
	c := e.client(adminKey)
	svc, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	lat := make(latencies, 0, 1024)
	for b.Loop() {
		lat = append(lat, rawCall(b, e, s, "GET", "/services/"+*svc.Id, "", 200))
	}
	lat.report(b)
}
