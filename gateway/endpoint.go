package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trellisproject/trellis/authz"
	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/network"
	"github.com/trellisproject/trellis/sigv4"
)

// APISigningService is the service name callers sign requests to API
// Gateway APIs for.
const APISigningService = "execute-api"

// HeaderAPIID names the API a call through an interface endpoint is for,
// when the Host does not ("x-apigw-api-id", as API Gateway documents).
const HeaderAPIID = "X-Apigw-Api-Id"

// Headers the gateway sets on requests to an API's integration; callers
// cannot set them.
const (
	// HeaderAPIIdentity is the caller: "Principal=ARN; Type=AWS_IAM" or
	// "Type=Anonymous", as X-Amzn-Lattice-Identity.
	HeaderAPIIdentity = "X-Amzn-Apigateway-Identity"
	// HeaderVpceID is the interface endpoint the call came through.
	HeaderVpceID = "X-Amzn-Vpce-Id"
)

// An EndpointIngress is an address callers connect to, standing for an
// interface endpoint of the network section: named by its ID (Endpoint),
// or by what callers in a VPC dial (VPC and Destination), resolved in that
// VPC on every connection. The caller's network interface is found from
// the connection's source address (after SourceMap) within the VPC, never
// from anything the caller sends.
//
// An endpoint to an endpoint service of the configuration (PrivateLink) is
// a TCP proxy to the service's targets; any other endpoint serves private
// REST APIs (execute-api) over HTTP. A Destination ingress is always a TCP
// proxy.
type EndpointIngress struct {
	// Listen is the address to listen on, HOST:PORT, such as
	// "127.0.0.1:8443".
	Listen string `json:"listen"`
	// Endpoint is the interface endpoint's ID, such as "vpce-aaaa0001".
	Endpoint string `json:"endpoint,omitempty"`
	// VPC is the callers' VPC and Destination what they dial, HOST:PORT,
	// where HOST is a DNS name (such as an endpoint service's private DNS
	// name, "orders.provider.example:443") or an IPv4 address. They are
	// set together, instead of Endpoint.
	VPC         string `json:"vpc,omitempty"`
	Destination string `json:"destination,omitempty"`
	// SourceMap translates caller addresses into the VPC, as
	// Ingress.SourceMap does.
	SourceMap []AddressMap `json:"sourceMap,omitempty"`
	// MaxConnections, when positive, is how many connections the
	// endpoint holds open at a time, as Ingress.MaxConnections.
	MaxConnections int `json:"maxConnections,omitempty"`
	// IdleTimeout, ReadHeaderTimeout and MaxHeaderBytes are as an
	// Ingress's.
	IdleTimeout       Duration `json:"idleTimeout,omitempty"`
	ReadHeaderTimeout Duration `json:"readHeaderTimeout,omitempty"`
	MaxHeaderBytes    int      `json:"maxHeaderBytes,omitempty"`
}

// where names the ingress in errors and logs.
func (e *EndpointIngress) where() string {
	if e.Endpoint != "" {
		return "endpoint " + e.Listen
	}
	return "endpoint ingress " + e.Listen
}

func (e *EndpointIngress) check() error {
	if _, _, err := net.SplitHostPort(e.Listen); err != nil {
		return fmt.Errorf("endpoint %q: the listen address must be HOST:PORT: %v", e.Listen, err)
	}
	switch {
	case e.Endpoint != "" && (e.VPC != "" || e.Destination != ""):
		return fmt.Errorf("%s: give either endpoint, or vpc and destination, not both", e.where())
	case e.Endpoint != "":
		if !strings.HasPrefix(e.Endpoint, "vpce-") {
			return fmt.Errorf("%s: %q is not an interface endpoint ID such as vpce-0123456789abcdef0", e.where(), e.Endpoint)
		}
	case e.VPC == "" && e.Destination == "":
		return fmt.Errorf("%s: name the interface endpoint (endpoint: vpce-...), or the callers' VPC and what they dial (vpc and destination)", e.where())
	default:
		var v model.Validator
		if !v.VPCID("vpc", e.VPC) {
			return fmt.Errorf("%s: vpc %q is not a VPC ID (vpc- and 8 or 17 characters of 0-9 a-z)", e.where(), e.VPC)
		}
		if _, err := parseDestination(e.Destination); err != nil {
			return fmt.Errorf("%s: destination %v", e.where(), err)
		}
	}
	if e.MaxConnections < 0 || e.MaxHeaderBytes < 0 || e.IdleTimeout < 0 || e.ReadHeaderTimeout < 0 {
		return fmt.Errorf("%s: maxConnections, maxHeaderBytes, idleTimeout and readHeaderTimeout cannot be negative", e.where())
	}
	return checkSourceMap(e.where(), e.SourceMap)
}

// FlowLog writes VPC Flow Logs (version 2) records, one per line; it is
// safe for concurrent use.
type FlowLog struct {
	mu sync.Mutex
	w  io.Writer
	b  []byte
}

// NewFlowLog returns a FlowLog that writes to w.
func NewFlowLog(w io.Writer) *FlowLog { return &FlowLog{w: w} }

// record writes one record, captured at the endpoint's interface when the
// verdict reached it and at the source otherwise.
func (l *FlowLog) record(f network.Flow, v network.Verdict, c network.Counters) error {
	if l == nil {
		return nil
	}
	side := network.AtDestination
	if v.Destination.Interface == "" {
		side = network.AtSource
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(network.AppendFlowLog(l.b[:0], f, v, side, c), '\n')
	_, err := l.w.Write(l.b)
	return err
}

// An APIAccessLog writes one JSON line per call to a private API, with
// the field names of API Gateway's $context variables; it is safe for
// concurrent use.
type APIAccessLog struct {
	mu sync.Mutex
	w  io.Writer
}

// NewAPIAccessLog returns an APIAccessLog that writes to w.
func NewAPIAccessLog(w io.Writer) *APIAccessLog { return &APIAccessLog{w: w} }

// An APIAccessLogEntry is one call to a private API.
type APIAccessLogEntry struct {
	RequestTime    string `json:"requestTime"`
	APIID          string `json:"apiId"`
	Stage          string `json:"stage"`
	HTTPMethod     string `json:"httpMethod"`
	ResourcePath   string `json:"resourcePath,omitempty"`
	Path           string `json:"path"`
	Protocol       string `json:"protocol"`
	Status         int    `json:"status"`
	ResponseLength int64  `json:"responseLength"`
	SourceIP       string `json:"ip"`
	VpceID         string `json:"vpceId"`
	VpcID          string `json:"vpcId,omitempty"`
	// Caller is the signer's IAM identity (the role of a role session)
	// and UserArn its ARN; both are empty for an unsigned call.
	Caller  string `json:"caller,omitempty"`
	UserArn string `json:"userArn,omitempty"`
	// ErrorMessage is the message of the error body, if any.
	ErrorMessage string `json:"errorMessage,omitempty"`
	// TrellisDecision is the decision's one-line diagnostic.
	TrellisDecision string `json:"trellisDecision"`
}

func (l *APIAccessLog) write(e *APIAccessLogEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err = l.w.Write(append(b, '\n'))
	return err
}

// A Refusal is a connection to an endpoint ingress that the gateway
// closed at once because the network path from the caller to the endpoint
// is closed (Config.OnRefusal).
type Refusal struct {
	// Endpoint is the interface endpoint's ID; empty for an ingress named
	// by VPC and destination.
	Endpoint string
	// Peer is the connection's remote address as accepted, before the
	// source map.
	Peer netip.AddrPort
	// Flow is the flow evaluated: the caller in the VPC (after the source
	// map) to the endpoint (tcp/443 for private APIs, the listener port
	// for an endpoint service) or to the ingress's destination.
	Flow network.Flow
	// Verdict says where the flow was stopped: its Layer ("route", "nacl",
	// "security-group", or "not-found" when the endpoint is not in the
	// configuration), Code and Component.
	Verdict network.Verdict
}

// connInfo is what the endpoint listener learned about a connection.
type connInfo struct {
	source netip.AddrPort // in the endpoint's VPC, after the source map
}

type connInfoKey struct{}

// endpointListener admits connections whose network path is open, and
// closes the others at once. It hands connections to private APIs to the
// HTTP server and proxies the others to their endpoint service itself.
type endpointListener struct {
	net.Listener
	g  *Gateway
	in EndpointIngress
	// dest is the parsed Destination of a VPC ingress.
	dest destination
	// proxies runs the TCP proxies of admitted PrivateLink connections.
	proxies *proxySet
	// next spreads connections over a service's targets in turn.
	next atomic.Uint32
}

// admission is what the network said about one connection.
type admission struct {
	flow    network.Flow
	verdict network.Verdict
	// evaluated is false when the configuration has no network, or not
	// the endpoint: the connection is closed without a flow log record.
	evaluated bool
	// service is the endpoint service the connection goes to, when it
	// goes to one (and is then proxied over TCP).
	service *network.Service
}

// admit evaluates the network path of a connection from src, with the
// configuration current when it arrives.
func (l *endpointListener) admit(src netip.AddrPort) admission {
	st := l.g.state()
	if st == nil || st.Network == nil {
		return admission{}
	}
	n := st.Network
	f := network.Flow{SourceAddr: src.Addr(), SourcePort: src.Port(), Protocol: network.TCP}
	var svc *network.Service
	if l.in.Endpoint != "" {
		ep, ok := n.EndpointByID(l.in.Endpoint)
		if !ok {
			return admission{}
		}
		f.SourceVPC, f.DestEndpoint, f.DestPort = ep.VPC, ep.ID, authz.HTTPSPort
		if s, ok := n.ServiceByID(ep.Service); ok {
			svc, f.DestPort = &s, s.ListenerPort
		}
	} else {
		f.SourceVPC, f.DestName, f.DestAddr, f.DestPort = l.in.VPC, l.dest.name, l.dest.addr, l.dest.port
	}
	v := n.Evaluate(f)
	if l.in.Endpoint == "" && v.Reachable {
		svc = serviceBehind(n, v.Destination.Interface)
	}
	return admission{flow: f, verdict: v, evaluated: true, service: svc}
}

// serviceBehind returns the endpoint service an interface leads to, when it
// is an interface endpoint's to one.
func serviceBehind(n *network.Network, ifaceID string) *network.Service {
	i, _ := n.InterfaceByID(ifaceID)
	ep, _ := n.EndpointByID(i.Endpoint)
	s, ok := n.ServiceByID(ep.Service)
	if !ok {
		return nil
	}
	return &s
}

// Accept returns the next connection to a private API whose network path
// is open. Connections whose path is closed are closed and logged as
// REJECT; admitted connections to an endpoint service are proxied.
func (l *endpointListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ap := addrPort(c.RemoteAddr().String())
		src := netip.AddrPortFrom(mapSource(l.in.SourceMap, ap.Addr()), ap.Port())
		a := l.admit(src)
		now := l.g.clock()
		if !a.evaluated || !a.verdict.Reachable {
			c.Close()
			if a.evaluated {
				if err := l.g.flowLog.record(a.flow, a.verdict, network.Counters{Packets: 1, Bytes: 60, Start: now, End: now}); err != nil {
					l.g.log.Warn("flow log not written", "err", err)
				}
			}
			if !a.evaluated {
				a.verdict = network.Verdict{Layer: network.LayerNotFound, Code: network.CodeDestinationNotFound, Component: l.in.Endpoint}
			}
			l.g.log.Debug("connection refused by the network path", "ingress", l.in.where(), "endpoint", l.in.Endpoint, "destination", l.in.Destination,
				"source", src, "verdict", a.verdict.String())
			if l.g.onRefusal != nil {
				l.g.onRefusal(Refusal{Endpoint: l.in.Endpoint, Peer: ap, Flow: a.flow, Verdict: a.verdict})
			}
			continue
		}
		if a.service == nil && l.in.Endpoint == "" {
			// The path is open, but not to an endpoint service: to the
			// internet, say, where trellis does not forward.
			c.Close()
			l.g.log.Warn("connection closed: the network path is open, but trellis forwards only to endpoint services",
				"ingress", l.in.where(), "destination", l.in.Destination, "source", src, "verdict", a.verdict.String())
			continue
		}
		if a.service != nil && l.g.unavailable() != nil {
			// Fail closed: the endpoint's connection may have been
			// rejected in a configuration trellis cannot load.
			// unavailable logs why; HTTP calls get their 503 from the
			// handler instead.
			c.Close()
			continue
		}
		ec := &endpointConn{Conn: c, l: l, f: a.flow, v: a.verdict, start: now, info: connInfo{source: src}}
		if a.service == nil {
			return ec, nil
		}
		l.proxies.start(l, ec, a.service)
	}
}

// endpointConn counts a connection's traffic for its ACCEPT record,
// written when it closes.
type endpointConn struct {
	net.Conn
	l        *endpointListener
	f        network.Flow
	v        network.Verdict
	start    time.Time
	info     connInfo
	mu       sync.Mutex
	packets  uint64
	bytes    uint64
	closed   bool
	closeErr error
}

// Read counts what the caller sends.
func (c *endpointConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.packets++
		c.bytes += uint64(n)
		c.mu.Unlock()
	}
	return n, err
}

// CloseWrite shuts down the writing side of the caller's connection, so
// that the caller reads the end of the target's answer.
func (c *endpointConn) CloseWrite() error { return closeWrite(c.Conn) }

// Close closes the connection once and writes its ACCEPT record.
func (c *endpointConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.closeErr
	}
	c.closed = true
	c.closeErr = c.Conn.Close()
	counters := network.Counters{Packets: c.packets, Bytes: c.bytes, Start: c.start, End: c.l.g.clock()}
	c.mu.Unlock()
	if err := c.l.g.flowLog.record(c.f, c.v, counters); err != nil {
		c.l.g.log.Warn("flow log not written", "err", err)
	}
	return c.closeErr
}

// endpointHandler serves the private APIs reachable through one
// interface endpoint.
type endpointHandler struct {
	g     *Gateway
	in    EndpointIngress
	proxy *httputil.ReverseProxy
}

// apiForward is what one request hands to the proxy's Rewrite hook.
type apiForward struct {
	target   *url.URL
	method   string
	identity string
	source   string
	endpoint string
}

type apiForwardKey struct{}

func (g *Gateway) endpointHandler(in EndpointIngress) *endpointHandler {
	h := &endpointHandler{g: g, in: in}
	h.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			fw := pr.In.Context().Value(apiForwardKey{}).(*apiForward)
			pr.Out.URL = fw.target
			pr.Out.Host = fw.target.Host
			pr.Out.Method = fw.method
			hd := pr.Out.Header
			for name := range hd {
				if n := dashed(name); hasFoldPrefix(n, "x-amzn-") || hasFoldPrefix(n, "x-forwarded-") || strings.EqualFold(n, HeaderAPIID) {
					delete(hd, name)
				}
			}
			hd.Set(HeaderAPIIdentity, fw.identity)
			hd.Set(HeaderVpceID, fw.endpoint)
			hd.Set("X-Forwarded-For", fw.source)
		},
		Transport:  g.http1,
		BufferPool: g.buffers,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			g.log.Warn("integration unreachable", "err", err)
			if errors.Is(err, errUpstreamTimeout) {
				apiError(w, http.StatusGatewayTimeout, "", "Endpoint request timed out") // API Gateway's INTEGRATION_TIMEOUT
				return
			}
			apiError(w, http.StatusBadGateway, "", "Internal server error")
		},
	}
	return h
}

// apiID returns the API a request is for: from a Host such as
// {api-id}-{vpce-id}.execute-api.{region}.vpce.amazonaws.com (which must
// name this endpoint) or {api-id}.execute-api.{region}.amazonaws.com
// (private DNS), else from the x-apigw-api-id header, which calls to the
// endpoint's own DNS names (vpce-...) carry.
func (h *endpointHandler) apiID(r *http.Request) (string, bool) {
	first, rest, _ := strings.Cut(hostOnly(r.Host), ".")
	if strings.HasPrefix(rest, "execute-api.") && !strings.HasPrefix(first, "vpce-") {
		if id, vpce, ok := strings.Cut(first, "-vpce-"); ok {
			return id, "vpce-"+vpce == h.in.Endpoint
		}
		return first, true
	}
	if id := r.Header.Get(HeaderAPIID); id != "" {
		return id, true
	}
	return "", false
}

// ServeHTTP serves one call to a private API through the endpoint.
func (h *endpointHandler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	trimHeaderValues(r)
	if msg := badTarget(r); msg != "" {
		apiError(rw, http.StatusBadRequest, "", msg)
		return
	}
	g := h.g
	st := g.state()
	start := g.clock()
	info, _ := r.Context().Value(connInfoKey{}).(connInfo)
	call := authz.PrivateCall{Endpoint: h.in.Endpoint, Method: r.Method, SourceAddr: info.source.Addr(), SourcePort: info.source.Port()}
	if st.Network != nil {
		if ep, ok := st.Network.EndpointByID(h.in.Endpoint); ok {
			call.SourceVPC = ep.VPC
		}
	}
	w := &recorder{ResponseWriter: rw, status: http.StatusOK}
	var d authz.PrivateDecision
	if err := g.unavailable(); err != nil {
		w.Header().Set("Retry-After", "1")
		apiError(w, http.StatusServiceUnavailable, "", unavailableMessage)
		return
	}
	if g.apiLog != nil {
		defer func() { h.log(r, w, &call, &d, start) }()
	}
	id, ok := h.apiID(r)
	if !ok {
		d.Layer, d.Missing = authz.LayerNotFound, authz.NotFoundAPI
		apiError(w, http.StatusForbidden, "ForbiddenException", "Forbidden")
		return
	}
	call.APIID = id
	// The path after the stage, escaped as sent: path parameters are
	// unescaped when they are matched.
	stage, path, _ := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	call.Stage, call.Path = stage, "/"+path

	var sigErr *sigv4.Error
	if isSigned(r) {
		c, err := g.authenticateFor(r, st.Identity, APISigningService)
		switch {
		case errors.As(err, &sigErr):
			call.BadSignature = true
		case err != nil:
			apiError(w, http.StatusBadRequest, "BadRequestException", "the request could not be read")
			return
		default:
			call.Caller = c
		}
	}

	d = g.authz.DecidePrivate(authz.PrivateConfig{Network: st.Network, APIs: st.APIs}, &call)
	if !d.Allowed {
		switch d.Layer {
		case authz.LayerRoute, authz.LayerNACL, authz.LayerSecurityGroup:
			// The path closed since the connection was accepted.
			w.Header().Set("Connection", "close")
			apiError(w, http.StatusForbidden, "ForbiddenException", "Forbidden")
		case authz.LayerSignature:
			apiError(w, http.StatusForbidden, sigErr.Code, sigErr.Message)
		case authz.LayerNotFound:
			if d.Missing == authz.NotFoundMethod {
				apiError(w, http.StatusForbidden, "MissingAuthenticationTokenException", d.Message())
			} else {
				apiError(w, http.StatusForbidden, "ForbiddenException", d.Message())
			}
		case authz.LayerAuthentication:
			apiError(w, http.StatusForbidden, "MissingAuthenticationTokenException", d.Message())
		default:
			apiError(w, http.StatusForbidden, "AccessDeniedException", d.Message())
		}
		g.log.Debug("private API call denied", "endpoint", h.in.Endpoint, "api", call.APIID, "decision", d.String())
		return
	}

	target, err := d.Method.Integration.BackendURL(d.Params, r.URL.RawQuery)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "", "Internal server error")
		return
	}
	method := r.Method
	if m := d.Method.Integration.HTTPMethod; m != "" && m != model.MethodAny {
		method = m
	}
	fw := &apiForward{target: target, method: method, identity: identityHeader(call.Caller),
		source: call.SourceAddr.String(), endpoint: h.in.Endpoint}
	h.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), apiForwardKey{}, fw)))
}

// log writes the access log entry of one call.
func (h *endpointHandler) log(r *http.Request, w *recorder, c *authz.PrivateCall, d *authz.PrivateDecision, start time.Time) {
	e := &APIAccessLogEntry{
		RequestTime: start.UTC().Format("02/Jan/2006:15:04:05 -0700"), APIID: c.APIID, Stage: c.Stage,
		HTTPMethod: r.Method, Path: r.URL.Path, Protocol: r.Proto, Status: w.status, ResponseLength: w.n,
		SourceIP: c.SourceAddr.String(), VpceID: c.Endpoint, VpcID: c.SourceVPC,
		ErrorMessage: d.Message(), TrellisDecision: d.String(),
	}
	if d.Method != nil {
		e.ResourcePath = d.Method.Resource
	}
	if c.Caller != nil {
		e.Caller = c.Caller.Principal().PrincipalARN()
		e.UserArn = c.Caller.ARN()
	}
	if err := h.g.apiLog.write(e); err != nil {
		h.g.log.Warn("API access log not written", "err", err)
	}
}

// authenticateFor verifies a signature for a signing service.
func (g *Gateway) authenticateFor(r *http.Request, dir *identity.Directory, service string) (*identity.Caller, error) {
	v, err := g.verifierFor(dir)
	if err != nil {
		return nil, err
	}
	res, err := v.Verify(r, service)
	if err != nil {
		return nil, err
	}
	c, ok := dir.Caller(res.AccessKeyID)
	if !ok {
		return nil, &sigv4.Error{Code: sigv4.CodeInvalidClientTokenID, Message: "The security token included in the request is invalid.", Status: http.StatusForbidden}
	}
	return c, nil
}

// apiError writes API Gateway's error shape: {"message": "..."} with the
// error type in x-amzn-ErrorType.
func apiError(w http.ResponseWriter, status int, errType, msg string) {
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if errType != "" {
		w.Header().Set("X-Amzn-Errortype", errType)
	}
	w.WriteHeader(status)
	w.Write(body)
}

// StartEndpoints listens on every endpoint ingress and serves the private
// APIs and endpoint services behind them until Shutdown.
func (g *Gateway) StartEndpoints(ins []EndpointIngress) (*Running, error) {
	r := &Running{errs: make(chan error, len(ins)), proxies: newProxySet()}
	for _, in := range ins {
		if err := in.check(); err != nil {
			r.Shutdown(context.Background())
			return nil, err
		}
		var dest destination
		if in.Destination != "" {
			dest, _ = parseDestination(in.Destination) // check validated it
		}
		ln, err := net.Listen("tcp", in.Listen)
		if err != nil {
			r.Shutdown(context.Background())
			return nil, err
		}
		srv := &http.Server{
			Handler:           g.endpointHandler(in),
			ReadHeaderTimeout: in.ReadHeaderTimeout.orDefault(DefaultReadHeaderTimeout),
			IdleTimeout:       in.IdleTimeout.orDefault(DefaultIdleTimeout),
			MaxHeaderBytes:    orDefault(in.MaxHeaderBytes, DefaultMaxHeaderBytes),
			ConnContext: func(ctx context.Context, c net.Conn) context.Context {
				if ec, ok := c.(*endpointConn); ok {
					return context.WithValue(ctx, connInfoKey{}, ec.info)
				}
				return ctx
			},
		}
		r.servers = append(r.servers, srv)
		r.addrs = append(r.addrs, ln.Addr())
		r.wg.Add(1)
		el := &endpointListener{Listener: limitConnections(ln, in.MaxConnections), g: g, in: in, dest: dest, proxies: r.proxies}
		go func() {
			defer r.wg.Done()
			if err := srv.Serve(el); err != nil && !errors.Is(err, http.ErrServerClosed) {
				r.errs <- err
			}
		}()
	}
	return r, nil
}
