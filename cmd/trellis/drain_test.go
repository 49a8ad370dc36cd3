package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"
)

// TestServeDrainsOnSIGTERM sends SIGTERM to a trellis serve process while
// a slow request is in flight through its gateway: the process stops
// accepting connections at once, lets the request finish within
// shutdownTimeout (or cuts it off after it), and exits 0.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts trellis processes; skipped with -short")
	}
	isolateAWSEnvironment(t)
	const vpc = "vpc-0a1b2c3d4e5f60718"
	tests := []struct {
		name            string
		delay           time.Duration // how long the target takes
		shutdownTimeout string
		completes       bool // the request finishes with the whole answer
		log             string
	}{
		{"the request finishes", 1500 * time.Millisecond, "10s", true, "level=INFO msg=stopped"},
		{"cut off after shutdownTimeout", 10 * time.Second, "500ms", false, "gateway requests still in flight were cut off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/slow" {
					return // health checks
				}
				arrived <- struct{}{}
				select {
				case <-time.After(tt.delay):
					io.WriteString(w, "done")
				case <-r.Context().Done():
				}
			}))
			defer target.Close()
			ta := netip.MustParseAddrPort(target.Listener.Addr().String())
			data, ingress := t.TempDir(), freeAddr(t)
			cmd, url, logs := startChildServerWith(t, data, fmt.Sprintf("shutdownTimeout: %s\ngateway:\n  ingress:\n    - {listen: %q, vpc: %s, listenerPort: 80}\n",
				tt.shutdownTimeout, ingress, vpc))
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				cmd.Process.Kill()
				<-exited
			}()

			// An open service in front of the target.
			ctx := context.Background()
			id, secret := adminKey(t, data)
			c := (&testServer{url: url}).lattice(staticCredentials(id, secret, ""))
			must := func(_ any, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			sn, err := c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("main"), AuthType: types.AuthTypeNone})
			must(sn, err)
			svc, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("slow"), CustomDomainName: aws.String("slow.example.com")})
			must(svc, err)
			tg, err := c.CreateTargetGroup(ctx, &vpclattice.CreateTargetGroupInput{Name: aws.String("web"), Type: types.TargetGroupTypeIp,
				Config: &types.TargetGroupConfig{Port: aws.Int32(int32(ta.Port())), Protocol: types.TargetGroupProtocolHttp, VpcIdentifier: aws.String(vpc)}})
			must(tg, err)
			must(c.RegisterTargets(ctx, &vpclattice.RegisterTargetsInput{TargetGroupIdentifier: tg.Id,
				Targets: []types.Target{{Id: aws.String(ta.Addr().String()), Port: aws.Int32(int32(ta.Port()))}}}))
			must(c.CreateListener(ctx, &vpclattice.CreateListenerInput{ServiceIdentifier: svc.Id, Name: aws.String("http"), Protocol: types.ListenerProtocolHttp,
				DefaultAction: &types.RuleActionMemberForward{Value: types.ForwardAction{TargetGroups: []types.WeightedTargetGroup{{TargetGroupIdentifier: tg.Id}}}}}))
			must(c.CreateServiceNetworkServiceAssociation(ctx, &vpclattice.CreateServiceNetworkServiceAssociationInput{ServiceNetworkIdentifier: sn.Id, ServiceIdentifier: svc.Id}))
			must(c.CreateServiceNetworkVpcAssociation(ctx, &vpclattice.CreateServiceNetworkVpcAssociationInput{ServiceNetworkIdentifier: sn.Id, VpcIdentifier: aws.String(vpc)}))

			hc := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}, Timeout: 30 * time.Second}
			get := func(path string) (int, string, error) {
				req, _ := http.NewRequest("GET", "http://"+ingress+path, nil)
				req.Host = "slow.example.com"
				resp, err := hc.Do(req)
				if err != nil {
					return 0, "", err
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b), err
			}
			// Wait for the configuration and the first health check.
			for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if status, _, _ := get("/ready"); status == http.StatusOK {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the service did not answer within 15s:\n%s", logs)
				}
			}

			type result struct {
				status int
				body   string
				err    error
			}
			done := make(chan result, 1)
			go func() {
				s, b, err := get("/slow")
				done <- result{s, b, err}
			}()
			<-arrived
			signalled := time.Now()
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			// New connections are refused while the request drains.
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				conn, err := net.DialTimeout("tcp", ingress, time.Second)
				if err != nil {
					break
				}
				conn.Close()
				if time.Now().After(deadline) {
					t.Fatal("the ingress still accepts connections 5s after SIGTERM")
				}
			}
			r := <-done
			if tt.completes {
				if r.err != nil || r.status != http.StatusOK || r.body != "done" {
					t.Errorf("the request in flight: %d %q %v; want 200 \"done\"", r.status, r.body, r.err)
				}
			} else if r.err == nil && r.body == "done" {
				t.Errorf("the request in flight completed; it should have been cut off after %s", tt.shutdownTimeout)
			}
			select {
			case err := <-exited:
				var ee *exec.ExitError
				if errors.As(err, &ee) || err != nil {
					t.Errorf("trellis serve exited with %v, want status 0:\n%s", err, logs)
				}
				exited <- nil // for the deferred cleanup
			case <-time.After(15 * time.Second):
				t.Fatalf("trellis serve did not exit within 15s of SIGTERM:\n%s", logs)
			}
			if took := time.Since(signalled); !tt.completes && took > 5*time.Second {
				t.Errorf("exit took %v after SIGTERM with shutdownTimeout %s", took, tt.shutdownTimeout)
			}
			for _, want := range []string{"stopping: finishing requests in flight", tt.log} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("the log lacks %q:\n%s", want, logs)
				}
			}
		})
	}
}
