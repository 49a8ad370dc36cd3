package gateway

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trellisproject/trellis/model"
)

// The engines an ingress can be served by.
const (
	// EngineGoroutines serves an ingress with net/http's server: a
	// goroutine per connection. It serves every kind of ingress.
	EngineGoroutines = "goroutines"
	// EngineEventLoop serves a plain-HTTP ingress (no TLS, no PROXY
	// protocol) with an event loop per processor, as nginx does, on Linux;
	// what a loop cannot serve it hands to net/http's server. Under load
	// it answers more requests with less CPU and a shorter tail.
	EngineEventLoop = "eventloop"
)

// defaultEngine is the engine of an ingress whose configuration names
// none; an ingress the event loop cannot serve falls back to goroutines.
// Tests change it to run the gateway's suite on both engines.
var defaultEngine = EngineGoroutines

// checkEngine validates the ingress's engine.
func (in *Ingress) checkEngine() error {
	if in.EventLoops < 0 {
		return fmt.Errorf("ingress %s: eventLoops %d is negative", in.Listen, in.EventLoops)
	}
	switch in.Engine {
	case "", EngineGoroutines:
		return nil
	case EngineEventLoop:
		switch {
		case !eventLoopAvailable:
			return fmt.Errorf("ingress %s: engine %q needs Linux; use %q", in.Listen, EngineEventLoop, EngineGoroutines)
		case in.TLS != nil:
			return fmt.Errorf("ingress %s: engine %q serves plain HTTP only, not TLS; use %q", in.Listen, EngineEventLoop, EngineGoroutines)
		case in.ProxyProtocol != nil:
			return fmt.Errorf("ingress %s: engine %q does not read the PROXY protocol; use %q", in.Listen, EngineEventLoop, EngineGoroutines)
		}
		return nil
	}
	return fmt.Errorf("ingress %s: unknown engine %q (use %q or %q)", in.Listen, in.Engine, EngineGoroutines, EngineEventLoop)
}

// usesEventLoop reports whether the ingress is served by event loops.
func (in *Ingress) usesEventLoop() bool {
	engine := in.Engine
	if engine == "" {
		engine = defaultEngine
	}
	return engine == EngineEventLoop && eventLoopAvailable && in.TLS == nil && in.ProxyProtocol == nil
}

// maxHeader is the largest request head the ingress reads.
func (h *ingressHandler) maxHeader() int {
	return orDefault(h.in.MaxHeaderBytes, DefaultMaxHeaderBytes)
}

// loopRoutable reports whether every answer r can get on this ingress is
// one an event loop gives without blocking: the gateway's own answers, a
// fixed response, or forwarding to plain-HTTP/1.1 targets with the
// gateway's own client. It reads the snapshot the handler will read,
// unless a configuration change comes in between; the loop then hands the
// request over (see loopWriter.takeOver).
func (h *ingressHandler) loopRoutable(r *http.Request) bool {
	g := h.g
	if g.plain == nil {
		return false // a transport of the embedder's own
	}
	st := g.state()
	if st == nil || st.Lattice == nil {
		return true
	}
	snap := st.Lattice
	svc, _, _ := snap.ServiceForVPC(h.in.VPC, hostOnly(r.Host))
	if svc == nil {
		return true
	}
	l, ok := snap.ListenerOnPort(svc.ID, h.port)
	if !ok {
		ls := snap.Listeners(svc.ID)
		if len(ls) != 1 {
			return true
		}
		l = ls[0]
	}
	plainHTTP1 := func(a model.RuleAction) bool {
		for _, id := range a.TargetGroupIDs() {
			tg, ok := snap.TargetGroup(id)
			if ok && (tg.Config.Protocol == model.ProtocolHTTPS || tg.Config.ProtocolVersion == model.ProtocolVersionHTTP2 || tg.Config.ProtocolVersion == model.ProtocolVersionGRPC) {
				return false
			}
		}
		return true
	}
	if !plainHTTP1(l.DefaultAction) {
		return false
	}
	for _, rule := range snap.Rules(l.ID) {
		if !plainHTTP1(rule.Action) {
			return false
		}
	}
	return true
}

// loopWriter is the response writer of a request an event loop serves:
// it keeps the handler's own answer, or takes the forwarding over.
type loopWriter struct {
	header http.Header
	status int
	body   []byte
	x      *exchange
	// refused is set when the handler decided to forward the request in
	// a way a loop cannot (the configuration changed since loopRoutable):
	// the loop hands the connection, request and all, to net/http.
	refused bool
}

func (w *loopWriter) Header() http.Header { return w.header }

func (w *loopWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
}

func (w *loopWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body = append(w.body, b...)
	return len(b), nil
}

// takeOver takes x's forwarding for the loop when the gateway's own
// client would send it: a request without a body to a plain-HTTP/1.1
// target. Otherwise (only when the configuration changed since
// loopRoutable) it refuses the request, unsent and unrecorded, for the
// loop to hand over: the loop never blocks on a target.
func (w *loopWriter) takeOver(x *exchange) bool {
	fw := &x.fw
	if x.h.g.plain == nil || fw.http2 || fw.target.Scheme != "http" {
		w.refused = true
		return true
	}
	w.x = x
	return true
}

// httpDate returns the current time as the Date header writes it,
// formatted once a second.
func httpDate() string {
	now := time.Now().Unix()
	if d := cachedDate.Load(); d != nil && d.unix == now {
		return d.text
	}
	d := &dateText{unix: now, text: time.Unix(now, 0).UTC().Format(http.TimeFormat)}
	cachedDate.Store(d)
	return d.text
}

type dateText struct {
	unix int64
	text string
}

var cachedDate atomic.Pointer[dateText]

// handoffListener is the listener of the net/http server that serves the
// connections an event loop hands over.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// deliver gives c to the server; it reports false once the listener is
// closed.
func (l *handoffListener) deliver(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

// handedConn is a connection an event loop handed over: it reads first
// what the loop read and did not serve.
type handedConn struct {
	net.Conn
	pending []byte
	release func()
	once    sync.Once
}

func (c *handedConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

func (c *handedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// targetIdleTimeout is how long an idle connection to a target is kept.
func (g *Gateway) targetIdleTimeout() time.Duration {
	if g.plain != nil {
		return g.plain.idleTimeout
	}
	return 60 * time.Second
}
