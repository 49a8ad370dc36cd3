// Package gateway is trellis's data plane for VPC Lattice services: ingress
// listeners, one per VPC, that take a caller's request, find the service
// its Host names among the service networks the VPC is associated with,
// authenticate the caller (SigV4 or SigV4A, or anonymous), authorise the
// call with package authz, route it by the service's listener rules and
// forward it to a target with the caller's identity in headers, writing
// an access-log line with VPC Lattice's field names.
//
// It also serves interface endpoints (StartEndpoints): a connection is
// admitted only when the network path from the caller to the endpoint is
// open (with a flow log record either way). Through an endpoint to an
// endpoint service (PrivateLink) the connection is proxied over TCP to one
// of the service's targets; through any other endpoint each request is to
// a private REST API, authenticated for execute-api, decided by
// authz.DecidePrivate and forwarded to the method's HTTP integration.
//
// Every request works from one snapshot.State, taken when it starts; a
// configuration change applies to the requests that start after it.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trellisproject/trellis/authz"
	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/sigv4"
	"github.com/trellisproject/trellis/snapshot"
)

// SigningService is the service name callers sign requests to VPC Lattice
// services for.
const SigningService = "vpc-lattice-svcs"

// Config configures a Gateway.
type Config struct {
	// Region is the region served: SigV4 scopes must name it and SigV4A
	// region sets must include it. Required.
	Region string
	// State returns the current configuration, such as
	// snapshot.Manager.Current. Required.
	State func() *snapshot.State
	// Clock returns the time; nil means time.Now.
	Clock func() time.Time
	// Logger receives operational messages (never secrets); nil means
	// slog.Default().
	Logger *slog.Logger
	// AccessLogs receives the access log of every service and service
	// network with an access-log subscription; nil writes none.
	AccessLogs *AccessLogs
	// Transport forwards requests to targets; nil means HTTP/1.1 to HTTP1
	// target groups and HTTP/2 (h2c over plain TCP) to HTTP2 and GRPC ones,
	// never through a proxy of the environment.
	Transport http.RoundTripper
	// FlowLog receives a VPC Flow Logs record for every connection to an
	// interface endpoint: REJECT when the network path is closed, ACCEPT
	// (with its traffic) when an admitted connection ends. nil writes none.
	FlowLog *FlowLog
	// APIAccessLog receives a line per call to a private API; nil writes
	// none.
	APIAccessLog *APIAccessLog
	// OnRefusal, when not nil, is told of every connection to an interface
	// endpoint that was refused because its network path is closed, with
	// the verdict that closed it (layer, explanation code and blocking
	// component), which the flow log's REJECT record does not carry. It
	// runs in the endpoint's accept loop, so it must return quickly. The
	// caller learns nothing from it: its connection is just closed, as a
	// dropped SYN would leave it.
	OnRefusal func(Refusal)
	// Rand returns a number in [0, n) to choose among weighted target
	// groups and among targets; nil means math/rand/v2's IntN.
	Rand func(n int) int
	// Health, when not nil, is a running HealthChecker: requests go only
	// to the HEALTHY targets of the target groups it checks.
	Health *HealthChecker
	// Metrics, when not nil, records every request.
	Metrics *Metrics
	// ServiceDialTimeout bounds connecting to one target of an endpoint
	// service; zero means DefaultServiceDialTimeout.
	ServiceDialTimeout time.Duration
	// ServiceIdleTimeout closes a connection to an endpoint service that
	// carried no data either way for this long; zero means
	// DefaultServiceIdleTimeout.
	ServiceIdleTimeout time.Duration
	// Fresh, when not nil, reports whether State is current: nil, or why
	// it may be out of date (the store cannot be read, a change did not
	// build), such as snapshot.Manager.Health. While it reports an error
	// the gateway fails closed: it answers every request 503, since it
	// cannot know that a permission was not revoked or a network rule
	// tightened, unless ServeStale is set.
	Fresh func() error
	// ServeStale keeps authorising and forwarding requests from the last
	// good State while Fresh reports an error.
	ServeStale bool
	// UpstreamTimeout is how long a target (or a private API's
	// integration) may take to start answering, its status line and
	// headers, before the gateway answers 504; the body that follows has
	// no limit, so streams are not cut off. Zero means
	// DefaultUpstreamTimeout; negative means no limit.
	UpstreamTimeout time.Duration
	// MaxSignedBodyBytes bounds the body of a request whose signature
	// covers its payload hash, which the gateway must read whole to check
	// before it forwards anything; larger ones are refused. Zero means
	// sigv4.DefaultMaxBodyBytes. Unsigned payloads (UNSIGNED-PAYLOAD)
	// stream and have no limit.
	MaxSignedBodyBytes int64
}

// A Gateway serves the data plane. It is safe for concurrent use.
type Gateway struct {
	region string
	state  func() *snapshot.State
	clock  func() time.Time
	log    *slog.Logger
	logs   *AccessLogs
	rand   func(int) int
	authz  *authz.Authorizer
	// flowLog records connections to interface endpoints.
	flowLog *FlowLog
	// apiLog records calls to private APIs.
	apiLog *APIAccessLog
	// onRefusal is Config.OnRefusal.
	onRefusal func(Refusal)
	// http1 and http2 reach targets of HTTP1 and of HTTP2/GRPC target
	// groups.
	http1, http2 http.RoundTripper
	// plain is the client of http1 for plain-HTTP targets (nil with
	// Config.Transport); requests without a body go to it directly, with
	// upstreamTimeout (zero: none).
	plain           *h1Client
	upstreamTimeout time.Duration
	buffers         *bufferPool
	// proxy forwards requests that switch protocols (Upgrade), with
	// net/http's transport, which hands over the connection.
	proxy *httputil.ReverseProxy
	// health and metrics are optional (nil).
	health  *HealthChecker
	metrics *Metrics
	// serviceDialTimeout and serviceIdleTimeout bound the TCP proxy to
	// endpoint services.
	serviceDialTimeout, serviceIdleTimeout time.Duration

	fresh      func() error
	serveStale bool
	maxBody    int64
	// staleMode is what the gateway last did about a stale State
	// (modeFresh, modeRefusing, modeServingStale), to log each change once.
	staleMode atomic.Int32

	// verifier verifies signatures against one identity.Directory; it is
	// rebuilt when the State's directory changes, so that a request is
	// verified and attributed with the same identities.
	verifier atomic.Pointer[dirVerifier]
}

type dirVerifier struct {
	dir *identity.Directory
	v   *sigv4.Verifier
}

// New returns a Gateway.
func New(cfg Config) (*Gateway, error) {
	if cfg.Region == "" {
		return nil, errors.New("gateway: Config.Region is required")
	}
	if cfg.State == nil {
		return nil, errors.New("gateway: Config.State is required")
	}
	g := &Gateway{region: cfg.Region, state: cfg.State, clock: cfg.Clock, log: cfg.Logger, logs: cfg.AccessLogs, rand: cfg.Rand, flowLog: cfg.FlowLog, apiLog: cfg.APIAccessLog, onRefusal: cfg.OnRefusal}
	g.health, g.metrics = cfg.Health, cfg.Metrics
	g.serviceDialTimeout, g.serviceIdleTimeout = cfg.ServiceDialTimeout, cfg.ServiceIdleTimeout
	if g.serviceDialTimeout <= 0 {
		g.serviceDialTimeout = DefaultServiceDialTimeout
	}
	if g.serviceIdleTimeout <= 0 {
		g.serviceIdleTimeout = DefaultServiceIdleTimeout
	}
	g.fresh, g.serveStale, g.maxBody = cfg.Fresh, cfg.ServeStale, cfg.MaxSignedBodyBytes
	if g.clock == nil {
		g.clock = time.Now
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.rand == nil {
		g.rand = rand.IntN
	}
	g.authz = authz.New(g.clock)
	g.http1, g.http2 = cfg.Transport, cfg.Transport
	upgrades := cfg.Transport
	if cfg.Transport == nil {
		tt := newTargetTransport()
		g.http1, g.http2, upgrades = tt, tt.http2, tt.http1
		g.plain = tt.plain
	}
	if d := cfg.UpstreamTimeout; d >= 0 {
		if d == 0 {
			d = DefaultUpstreamTimeout
		}
		g.upstreamTimeout = d
		g.http1 = &timeoutTransport{rt: g.http1, timeout: d}
		g.http2 = &timeoutTransport{rt: g.http2, timeout: d}
		upgrades = &timeoutTransport{rt: upgrades, timeout: d}
	}
	g.buffers = &bufferPool{}
	g.proxy = &httputil.ReverseProxy{
		Rewrite:      rewrite,
		Transport:    upgrades,
		ErrorHandler: g.proxyError,
		ErrorLog:     slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
		BufferPool:   g.buffers,
	}
	return g, nil
}

// What the gateway does about the State's freshness.
const (
	modeFresh int32 = iota
	modeRefusing
	modeServingStale
)

// unavailable returns an error when the request must be refused because
// the State may be out of date and ServeStale is off. It logs every change
// between serving, refusing and serving stale once, not per request.
func (g *Gateway) unavailable() error {
	if g.fresh == nil {
		return nil
	}
	err := g.fresh()
	mode := modeFresh
	switch {
	case err != nil && g.serveStale:
		mode = modeServingStale
	case err != nil:
		mode = modeRefusing
	}
	if prev := g.staleMode.Swap(mode); prev != mode {
		switch mode {
		case modeRefusing:
			g.log.Error("gateway: refusing every request with 503 until the configuration is current again (gateway.serveStaleSnapshot is false)", "err", err)
		case modeServingStale:
			g.log.Warn("gateway: serving requests from the last good configuration, which may be out of date (gateway.serveStaleSnapshot is true)", "err", err)
		default:
			g.log.Info("gateway: the configuration is current again; serving requests")
		}
	}
	if mode == modeRefusing {
		return err
	}
	return nil
}

// noteUnavailable is the trellisDecision of a request refused because the
// configuration may be out of date; "unavailable" is its decision label in
// metrics.
const noteUnavailable = "unavailable: the configuration may be out of date"

// unavailableMessage is the body of a 503 for a stale configuration: it
// says what happened, not the internal error.
const unavailableMessage = "ServiceUnavailable: the gateway cannot confirm that its configuration is current, so it authorises nothing; retry later"

// targetTransport reaches targets over HTTP/1.1: plain HTTP with the
// gateway's own client, HTTPS with net/http's. http2 reaches the targets of
// HTTP2 and GRPC target groups.
type targetTransport struct {
	plain        *h1Client
	http1, http2 *http.Transport
}

func (t *targetTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	// Requests with a body go through net/http's transport, which reads a
	// target's early answer (a 413, say) while it still writes the body.
	if r.URL.Scheme == "http" && (r.Body == nil || r.Body == http.NoBody) {
		return t.plain.RoundTrip(r)
	}
	return t.http1.RoundTrip(r)
}

func newTargetTransport() *targetTransport {
	base := http.DefaultTransport.(*http.Transport).Clone()
	// Keep a connection per concurrent request to a target: opening one
	// per request is what makes a default proxy slow under load.
	base.MaxIdleConns = 0
	base.MaxIdleConnsPerHost = 1024
	// Targets are reached directly, never through a proxy of the
	// environment, and answers are passed on as the target sent them.
	base.Proxy = nil
	base.DisableCompression = true
	h1 := base.Clone()
	h1.ForceAttemptHTTP2 = false
	h1.Protocols = new(http.Protocols)
	h1.Protocols.SetHTTP1(true)
	h2 := base.Clone()
	h2.Protocols = new(http.Protocols)
	h2.Protocols.SetHTTP2(true)
	h2.Protocols.SetUnencryptedHTTP2(true)
	return &targetTransport{plain: newH1Client(), http1: h1, http2: h2}
}

// bufferPool reuses the proxy's copy buffers. Get and Put serve
// httputil.ReverseProxy; the gateway's own copies use get and put, which
// keep the buffer's pointer and so allocate nothing per use.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte { return *b.get() }

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

func (b *bufferPool) get() *[]byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return v
	}
	buf := make([]byte, 32<<10)
	return &buf
}

func (b *bufferPool) put(buf *[]byte) { b.p.Put(buf) }

// verifierFor returns the verifier of a directory.
func (g *Gateway) verifierFor(dir *identity.Directory) (*sigv4.Verifier, error) {
	if cur := g.verifier.Load(); cur != nil && cur.dir == dir {
		return cur.v, nil
	}
	v, err := sigv4.NewVerifier(sigv4.Config{Region: g.region, Credentials: dir, Clock: g.clock, MaxBodyBytes: g.maxBody})
	if err != nil {
		return nil, err
	}
	g.verifier.Store(&dirVerifier{dir: dir, v: v})
	return v, nil
}

// Handler returns the handler of one ingress.
func (g *Gateway) Handler(in Ingress) (http.Handler, error) {
	return g.ingressHandler(in)
}

func (g *Gateway) ingressHandler(in Ingress) (*ingressHandler, error) {
	port, err := in.check()
	if err != nil {
		return nil, err
	}
	return &ingressHandler{g: g, in: in, port: port}, nil
}

// A Running gateway is a set of listening ingresses.
type Running struct {
	servers []*http.Server
	engines []*loopEngine
	addrs   []net.Addr
	wg      sync.WaitGroup
	errs    chan error
	// proxies are the TCP proxies to endpoint services (nil for VPC
	// Lattice ingresses).
	proxies *proxySet
}

// Start listens on every ingress and serves them until Shutdown.
func (g *Gateway) Start(ins []Ingress) (*Running, error) {
	r := &Running{errs: make(chan error, len(ins))}
	for _, in := range ins {
		h, err := g.ingressHandler(in)
		if err != nil {
			r.Shutdown(context.Background())
			return nil, err
		}
		if in.usesEventLoop() {
			e, err := g.startLoopEngine(in, h)
			if err != nil {
				r.Shutdown(context.Background())
				return nil, fmt.Errorf("ingress %s: %w", in.Listen, err)
			}
			r.engines = append(r.engines, e)
			r.addrs = append(r.addrs, e.Addr())
			continue
		}
		ln, err := in.listen(g.log)
		if err != nil {
			r.Shutdown(context.Background())
			return nil, err
		}
		srv := in.server(h, g.log)
		r.servers = append(r.servers, srv)
		r.addrs = append(r.addrs, ln.Addr())
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				r.errs <- err
			}
		}()
	}
	return r, nil
}

// Addrs returns the addresses listened on, in the order of the ingresses.
func (r *Running) Addrs() []net.Addr { return r.addrs }

// Err returns a channel that receives an error if an ingress stops serving
// on its own.
func (r *Running) Err() <-chan error { return r.errs }

// Shutdown stops accepting connections and waits for requests and proxied
// connections in flight, until ctx ends; proxied connections still open
// then are closed.
func (r *Running) Shutdown(ctx context.Context) error {
	var errs []error
	for _, s := range r.servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	for _, e := range r.engines {
		errs = append(errs, e.shutdown(ctx))
	}
	r.wg.Wait()
	if r.proxies != nil {
		errs = append(errs, r.proxies.wait(ctx))
	}
	return errors.Join(errs...)
}

// addrPort parses a net/http RemoteAddr.
func addrPort(s string) netip.AddrPort {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
