package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/snapshot"
)

// TestRequestLimits checks the limits on what a caller sends to an ingress
// and to an endpoint: a header section over maxHeaderBytes gets 431 and a
// signed payload over maxSignedBodyBytes 413, before anything reaches a
// target.
func TestRequestLimits(t *testing.T) {
	l := startLab(t, func(c *gateway.Config) { c.MaxSignedBodyBytes = 1000 })
	// An ingress with a small header limit of its own, over the same world.
	st := labState(t, l.hits)
	g, err := gateway.New(gateway.Config{Region: region, State: func() *snapshot.State { return st }, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.Start([]gateway.Ingress{{Listen: "127.0.0.1:0", VPC: vpcMain, VPCOwner: lt.Account, ListenerPort: 80, MaxHeaderBytes: 2048,
		SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(context.Background())
	signedBody := func(r *http.Request, body string) *http.Request {
		sum := sha256Hex(body)
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("X-Amz-Content-Sha256", sum)
		if err := sdkv4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: lt.AliceKey, SecretAccessKey: lt.AliceSecret},
			r, sum, gateway.SigningService, region, time.Now()); err != nil {
			t.Fatal(err)
		}
		return r
	}
	big := http.Header{"X-Padding": {strings.Repeat("p", 8000)}}
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"ingress: header section within the default", func() *http.Request {
			return l.request(t, l.main, "GET", "open.example.com", "/", big, anon)
		}, 200},
		{"ingress: header section over maxHeaderBytes", func() *http.Request {
			return l.request(t, run.Addrs()[0].String(), "GET", "open.example.com", "/", big, anon)
		}, 431},
		{"signed payload within maxSignedBodyBytes", func() *http.Request {
			return signedBody(l.request(t, l.main, "POST", "secure.example.com", "/a", nil, anon), strings.Repeat("x", 900))
		}, 200},
		{"signed payload over maxSignedBodyBytes", func() *http.Request {
			return signedBody(l.request(t, l.main, "POST", "secure.example.com", "/a", nil, anon), strings.Repeat("x", 1100))
		}, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := l.hits["alpha"].Load() + l.hits["beta"].Load()
			resp, err := l.client.Do(tt.req())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("%d %.200s, want %d", resp.StatusCode, body, tt.status)
			}
			if reached := l.hits["alpha"].Load()+l.hits["beta"].Load() != before; reached != (tt.status == 200) {
				t.Errorf("target reached: %v", reached)
			}
		})
	}

	t.Run("endpoint: header section over maxHeaderBytes", func(t *testing.T) {
		pst := labStates(t, "http://127.0.0.1:1")[3]
		pg, err := gateway.New(gateway.Config{Region: region, State: func() *snapshot.State { return pst }, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		eps, err := pg.StartEndpoints([]gateway.EndpointIngress{{Listen: "127.0.0.1:0", Endpoint: "vpce-aaaa0001", MaxHeaderBytes: 2048,
			SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}}})
		if err != nil {
			t.Fatal(err)
		}
		defer eps.Shutdown(context.Background())
		status, body, err := labCall(callerClient2("127.199.0.10"), eps.Addrs()[0].String(), labHost("svcbapi001", "vpce-aaaa0001"), "/api/orders", "", big)
		if err != nil || status != 431 {
			t.Errorf("%d %.200s %v, want 431", status, body, err)
		}
	})
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
