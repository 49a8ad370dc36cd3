package gateway_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

// sigv4RPC signs each gRPC call with SigV4 for vpc-lattice-svcs, as an
// HTTP/2 POST of the method's path to the channel's authority; the body
// is not signed (UNSIGNED-PAYLOAD).
type sigv4RPC struct {
	creds aws.Credentials
}

func (s sigv4RPC) GetRequestMetadata(ctx context.Context, uri ...string) (map[string]string, error) {
	ri, ok := credentials.RequestInfoFromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Internal, "no request info to sign")
	}
	authority := ""
	if len(uri) > 0 {
		authority = strings.TrimPrefix(strings.TrimPrefix(uri[0], "https://"), "http://")
		if i := strings.IndexByte(authority, '/'); i >= 0 {
			authority = authority[:i]
		}
	}
	r, err := http.NewRequestWithContext(ctx, "POST", "http://"+authority+ri.Method, nil)
	if err != nil {
		return nil, err
	}
	r.Header.Set("X-Amz-Content-Sha256", unsigned)
	if err := sdkv4.NewSigner().SignHTTP(ctx, s.creds, r, unsigned, gateway.SigningService, region, time.Now()); err != nil {
		return nil, err
	}
	return map[string]string{
		"authorization":        r.Header.Get("Authorization"),
		"x-amz-date":           r.Header.Get("X-Amz-Date"),
		"x-amz-content-sha256": unsigned,
	}, nil
}

func (sigv4RPC) RequireTransportSecurity() bool { return false }

// TestGRPCHealth calls grpc-go's health service through the gateway: an
// HTTP ingress (h2c), a GRPC target group, an auth policy on the methods
// (SERVICE_ARN/grpc.health.v1.Health/METHOD) and SigV4-signed calls.
func TestGRPCHealth(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := health.NewServer()
	hs.SetServingStatus("billing", healthpb.HealthCheckResponse_SERVING)
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(ln)
	defer srv.Stop()

	w := lt.New(t, region)
	sn := w.ServiceNetwork(lt.Account, "main", model.AuthNone)
	w.AssociateVPC(sn, vpcMain)
	svc := w.Service(lt.Account, "health", model.AuthIAM, "health.example.com")
	w.Associate(sn, svc)
	w.AuthPolicy(svc.Meta, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke",
	  "Resource":["`+svc.ARN+`/grpc.health.v1.Health/Check","`+svc.ARN+`/grpc.health.v1.Health/Watch"],
	  "Condition":{"StringNotEqualsIgnoreCase":{"aws:PrincipalType":"anonymous"}}}]}`)
	tg := w.TargetGroupVersion(lt.Account, "grpc", model.ProtocolVersionGRPC, netip.MustParseAddrPort(ln.Addr().String()))
	w.Listener(svc, 80, lt.Forward([]*model.TargetGroup{tg}))
	state := &snapshot.State{Lattice: w.Build(), Identity: lt.Identities(t, time.Now().Add(-time.Hour))}
	g, err := gateway.New(gateway.Config{Region: region, State: func() *snapshot.State { return state }})
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, pool := selfSigned(t, t.TempDir(), "edge")
	run, err := g.Start([]gateway.Ingress{{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 80},
		{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 80, TLS: &gateway.IngressTLS{CertFile: certFile, KeyFile: keyFile}}})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(context.Background())

	// dial calls through the h2c ingress, or the TLS one, signing with
	// creds unless they are nil.
	dial := func(overTLS bool, creds credentials.PerRPCCredentials) healthpb.HealthClient {
		t.Helper()
		addr, tc := run.Addrs()[0].String(), insecure.NewCredentials()
		if overTLS {
			addr, tc = run.Addrs()[1].String(), credentials.NewTLS(&tls.Config{RootCAs: pool})
		}
		opts := []grpc.DialOption{grpc.WithTransportCredentials(tc), grpc.WithAuthority("health.example.com")}
		if creds != nil {
			opts = append(opts, grpc.WithPerRPCCredentials(creds))
		}
		cc, err := grpc.NewClient("passthrough:///"+addr, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		return healthpb.NewHealthClient(cc)
	}
	alice := sigv4RPC{aws.Credentials{AccessKeyID: lt.AliceKey, SecretAccessKey: lt.AliceSecret}}
	signed, overTLS, anonymous := dial(false, alice), dial(true, alice), dial(false, nil)
	wrongKey := dial(false, sigv4RPC{aws.Credentials{AccessKeyID: lt.AliceKey, SecretAccessKey: lt.BobSecret}})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []struct {
		name   string
		call   func() error
		code   codes.Code
		detail string // in the status message
	}{
		{"signed Check", func() error {
			resp, err := signed.Check(ctx, &healthpb.HealthCheckRequest{Service: "billing"})
			if err == nil && resp.Status != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("status %s", resp.Status)
			}
			return err
		}, codes.OK, ""},
		{"signed Check over TLS (h2 by ALPN)", func() error {
			_, err := overTLS.Check(ctx, &healthpb.HealthCheckRequest{Service: "billing"})
			return err
		}, codes.OK, ""},
		// The target's own error status comes back through the trailers.
		{"target's NotFound passes through", func() error {
			_, err := signed.Check(ctx, &healthpb.HealthCheckRequest{Service: "nowhere"})
			return err
		}, codes.NotFound, "unknown service"},
		// The gateway's 403 is a gRPC PermissionDenied; grpc-go quotes
		// the body of the answer in the status message.
		{"method not in the policy", func() error {
			_, err := signed.List(ctx, &healthpb.HealthListRequest{})
			return err
		}, codes.PermissionDenied, "403 (Forbidden)"},
		{"anonymous", func() error {
			_, err := anonymous.Check(ctx, &healthpb.HealthCheckRequest{Service: "billing"})
			return err
		}, codes.PermissionDenied, "AccessDeniedException: User: anonymous is not authorized"},
		{"wrong signature", func() error {
			_, err := wrongKey.Check(ctx, &healthpb.HealthCheckRequest{Service: "billing"})
			return err
		}, codes.PermissionDenied, "InvalidSignatureException"},
		// A server stream: each update reaches the caller as it happens.
		{"signed Watch streams", func() error {
			stream, err := signed.Watch(ctx, &healthpb.HealthCheckRequest{Service: "billing"})
			if err != nil {
				return err
			}
			for _, want := range []healthpb.HealthCheckResponse_ServingStatus{healthpb.HealthCheckResponse_SERVING, healthpb.HealthCheckResponse_NOT_SERVING} {
				resp, err := stream.Recv()
				if err != nil {
					return err
				}
				if resp.Status != want {
					t.Errorf("Watch: %s, want %s", resp.Status, want)
				}
				hs.SetServingStatus("billing", healthpb.HealthCheckResponse_NOT_SERVING)
			}
			return nil
		}, codes.OK, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := status.Convert(c.call())
			if st.Code() != c.code || !strings.Contains(st.Message(), c.detail) {
				t.Errorf("status %s %q, want %s with %q", st.Code(), st.Message(), c.code, c.detail)
			}
		})
	}
}
