package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

// TestStateSwap checks that each request uses the State current when it
// starts: a new configuration applies to the next request.
func TestStateSwap(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer target.Close()
	dir := lt.Identities(t, time.Now().Add(-time.Hour))
	build := func(auth model.AuthType, associated bool) *snapshot.State {
		w := lt.New(t, region)
		sn := w.ServiceNetwork(lt.Account, "main", model.AuthNone)
		w.AssociateVPC(sn, vpcMain)
		svc := w.Service(lt.Account, "billing", auth, "billing.example.com")
		if associated {
			w.Associate(sn, svc)
		}
		tg := w.TargetGroup(lt.Account, "web", netip.MustParseAddrPort(target.Listener.Addr().String()))
		w.Listener(svc, 80, lt.Forward([]*model.TargetGroup{tg}))
		return &snapshot.State{Lattice: w.Build(), Identity: dir}
	}
	var cur atomic.Pointer[snapshot.State]
	g, err := gateway.New(gateway.Config{Region: region, State: cur.Load})
	if err != nil {
		t.Fatal(err)
	}
	h, err := g.Handler(gateway.Ingress{Listen: "127.0.0.1:80", VPC: vpcMain})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		state *snapshot.State
		want  int
	}{
		{build(model.AuthNone, true), http.StatusOK},
		{build(model.AuthIAM, true), http.StatusForbidden}, // AWS_IAM without an auth policy
		{build(model.AuthNone, false), http.StatusNotFound},
		{build(model.AuthNone, true), http.StatusOK},
	} {
		cur.Store(step.state)
		r := httptest.NewRequest("GET", "http://billing.example.com/", nil)
		r.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != step.want {
			t.Errorf("status %d, want %d: %s", rec.Code, step.want, rec.Body)
		}
	}
}

// TestStateSwapInFlight changes the configuration while requests are in
// flight: they finish as the configuration they started with decided,
// and the next request sees the change.
func TestStateSwapInFlight(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 16)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		io.WriteString(w, "done")
	}))
	defer target.Close()
	dir := lt.Identities(t, time.Now().Add(-time.Hour))
	build := func(auth model.AuthType) *snapshot.State {
		w := lt.New(t, region)
		sn := w.ServiceNetwork(lt.Account, "main", model.AuthNone)
		w.AssociateVPC(sn, vpcMain)
		svc := w.Service(lt.Account, "billing", auth, "billing.example.com")
		w.Associate(sn, svc)
		tg := w.TargetGroup(lt.Account, "web", netip.MustParseAddrPort(target.Listener.Addr().String()))
		w.Listener(svc, 80, lt.Forward([]*model.TargetGroup{tg}))
		return &snapshot.State{Lattice: w.Build(), Identity: dir}
	}
	var cur atomic.Pointer[snapshot.State]
	cur.Store(build(model.AuthNone))
	g, err := gateway.New(gateway.Config{Region: region, State: cur.Load})
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.Start([]gateway.Ingress{{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 80}})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(t.Context())
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	call := func() (int, error) {
		req, _ := http.NewRequest("GET", "http://"+run.Addrs()[0].String()+"/", nil)
		req.Host = "billing.example.com"
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}

	const inFlight = 8
	results := make(chan int, inFlight)
	for range inFlight {
		go func() {
			code, err := call()
			if err != nil {
				t.Error(err)
			}
			results <- code
		}()
	}
	for range inFlight {
		<-arrived
	}
	// AWS_IAM with no auth policy: every new request is denied.
	cur.Store(build(model.AuthIAM))
	if code, err := call(); err != nil || code != http.StatusForbidden {
		t.Errorf("a request after the change: %d %v, want 403", code, err)
	}
	close(release)
	for range inFlight {
		if code := <-results; code != http.StatusOK {
			t.Errorf("a request in flight during the change ended with %d, want 200", code)
		}
	}
}
