package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

func calledFrom(name string) bool {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if strings.Contains(f.Function, name) {
			return true
		}
		if !more {
			return false
		}
	}
}

// The configuration changes between loopRoutable (the listener forwards to
// an HTTP/1.1 target group) and the handler (it now forwards to an HTTP2
// target group): the handler then sends the request itself on the loop,
// with the loopWriter as the response writer. A streamed answer is cut
// after its first part and sent as if complete (with a Content-Length).
func TestEventLoopConfigChangeMidRequest(t *testing.T) {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	h2 := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 3 {
			fmt.Fprintf(w, "part%d;", i)
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	}))
	h2.Config.Protocols = p
	h2.Start()
	t.Cleanup(h2.Close)
	h1 := engineTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "old config") }))

	build := func(tgFor func(w *lt.World) *model.TargetGroup) *snapshot.State {
		w := lt.New(t, region)
		sn := w.ServiceNetwork(lt.Account, "main", model.AuthNone)
		w.AssociateVPC(sn, vpcMain)
		svc := w.Service(lt.Account, "billing", model.AuthNone, "billing.example.com")
		w.Associate(sn, svc)
		w.Listener(svc, 80, lt.Forward([]*model.TargetGroup{tgFor(w)}))
		return &snapshot.State{Lattice: w.Build(), Identity: lt.Identities(t, time.Now().Add(-time.Hour))}
	}
	before := build(func(w *lt.World) *model.TargetGroup { return w.TargetGroup(lt.Account, "web", h1) })
	after := build(func(w *lt.World) *model.TargetGroup {
		return w.TargetGroupVersion(lt.Account, "web2", model.ProtocolVersionHTTP2, netip.MustParseAddrPort(h2.Listener.Addr().String()))
	})
	state := func() *snapshot.State {
		if calledFrom("loopRoutable") {
			return before // the configuration loopRoutable read...
		}
		return after // ...changed before the handler read it
	}
	g, err := gateway.New(gateway.Config{Region: region, State: state, UpstreamTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.Start([]gateway.Ingress{{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 80, Engine: gateway.EngineEventLoop}})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(t.Context())
	c, err := net.Dial("tcp", run.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /stream HTTP/1.1\r\nHost: billing.example.com\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	t.Logf("status %d, Content-Length %d, body %q, err %v", resp.StatusCode, resp.ContentLength, b, err)
	if string(b) != "part0;part1;part2;" {
		t.Errorf("streamed answer %q, want %q", b, "part0;part1;part2;")
	}
}
