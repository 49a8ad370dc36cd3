package gateway_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

// TestGRPC sends gRPC-shaped calls (HTTP/2 without TLS, trailers) through
// the gateway to a GRPC target group; the auth policy names the gRPC
// method in the resource, SERVICE_ARN/package.Service/Method.
func TestGRPC(t *testing.T) {
	h2c := func() *http.Protocols {
		p := new(http.Protocols)
		p.SetUnencryptedHTTP2(true)
		return p
	}
	target := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status")
		w.Header().Set("X-Target-Proto", r.Proto)
		w.Write([]byte{0, 0, 0, 0, 0})
		w.Header().Set("Grpc-Status", "0")
	}))
	target.Config.Protocols = h2c()
	target.Start()
	defer target.Close()

	w := lt.New(t, region)
	sn := w.ServiceNetwork(lt.Account, "main", model.AuthNone)
	w.AssociateVPC(sn, vpcMain)
	svc := w.Service(lt.Account, "reports", model.AuthIAM, "reports.example.com")
	w.Associate(sn, svc)
	w.AuthPolicy(svc.Meta, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke",
	  "Resource":"arn:aws:vpc-lattice:us-east-1:`+lt.Account+`:service/*/pkg.Reports/Get"}]}`)
	tg := w.TargetGroupVersion(lt.Account, "grpc", model.ProtocolVersionGRPC, netip.MustParseAddrPort(target.Listener.Addr().String()))
	w.Listener(svc, 80, lt.Forward([]*model.TargetGroup{tg}))
	state := &snapshot.State{Lattice: w.Build(), Identity: lt.Identities(t, time.Now().Add(-time.Hour))}
	g, err := gateway.New(gateway.Config{Region: region, State: func() *snapshot.State { return state }})
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.Start([]gateway.Ingress{{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 80}})
	if err != nil {
		t.Fatal(err)
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext, Protocols: h2c()}}
	defer func() {
		client.CloseIdleConnections()
		run.Shutdown(context.Background())
	}()

	for _, c := range []struct {
		method string
		status int
		body   string
	}{
		{"Get", 200, ""},
		{"Delete", 403, "on resource: " + svc.ARN + "/pkg.Reports/Delete because no service-based policy allows"},
	} {
		r, err := http.NewRequest("POST", "http://"+run.Addrs()[0].String()+"/pkg.Reports/"+c.method, strings.NewReader("\x00\x00\x00\x00\x00"))
		if err != nil {
			t.Fatal(err)
		}
		r.Host = "reports.example.com"
		r.Header.Set("Content-Type", "application/grpc")
		r.Header.Set("Te", "trailers")
		r.Header.Set("X-Amz-Content-Sha256", unsigned)
		if err := sdkv4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: lt.AliceKey, SecretAccessKey: lt.AliceSecret},
			r, unsigned, gateway.SigningService, region, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.ProtoMajor != 2 || !strings.Contains(string(body), c.body) {
			t.Errorf("%s: %s %d %q", c.method, resp.Proto, resp.StatusCode, body)
		}
		if c.status == 200 && (resp.Trailer.Get("Grpc-Status") != "0" || resp.Header.Get("X-Target-Proto") != "HTTP/2.0") {
			t.Errorf("%s: trailer Grpc-Status %q, target saw %q", c.method, resp.Trailer.Get("Grpc-Status"), resp.Header.Get("X-Target-Proto"))
		}
	}
}
