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

// An EndpointIngress is an interface endpoint of the network section, as
// an address callers connect to. The caller's network interface is found
// from the connection's source address (after SourceMap) within the
// endpoint's VPC, never from anything the caller sends.
type EndpointIngress struct {
	// Listen is the address to listen on, HOST:PORT, such as
	// "127.0.0.1:8443".
	Listen string `json:"listen"`
	// Endpoint is the interface endpoint's ID, such as "vpce-aaaa0001".
	Endpoint string `json:"endpoint"`
	// SourceMap translates caller addresses into the endpoint's VPC, as
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

func (e *EndpointIngress) check() error {
	if _, _, err := net.SplitHostPort(e.Listen); err != nil {
		return fmt.Errorf("endpoint %q: the listen address must be HOST:PORT: %v", e.Listen, err)
	}
	if !strings.HasPrefix(e.Endpoint, "vpce-") {
		return fmt.Errorf("endpoint %s: %q is not an interface endpoint ID such as vpce-0123456789abcdef0", e.Listen, e.Endpoint)
	}
	if e.MaxConnections < 0 || e.MaxHeaderBytes < 0 || e.IdleTimeout < 0 || e.ReadHeaderTimeout < 0 {
		return fmt.Errorf("endpoint %s: maxConnections, maxHeaderBytes, idleTimeout and readHeaderTimeout cannot be negative", e.Listen)
	}
	return checkSourceMap("endpoint "+e.Listen, e.SourceMap)
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

// connInfo is what the endpoint listener learned about a connection.
type connInfo struct {
	source netip.AddrPort // in the endpoint's VPC, after the source map
}

type connInfoKey struct{}

// endpointListener admits connections whose network path to the endpoint
// is open, and closes the others at once.
type endpointListener struct {
	net.Listener
	g  *Gateway
	in EndpointIngress
}

func (l *endpointListener) flow(src netip.AddrPort) (network.Flow, network.Verdict, bool) {
	st := l.g.state()
	if st == nil || st.Network == nil {
		return network.Flow{}, network.Verdict{}, false
	}
	ep, ok := st.Network.EndpointByID(l.in.Endpoint)
	if !ok {
		return network.Flow{}, network.Verdict{}, false
	}
	f := network.Flow{SourceVPC: ep.VPC, SourceAddr: src.Addr(), SourcePort: src.Port(),
		DestEndpoint: ep.ID, Protocol: network.TCP, DestPort: authz.HTTPSPort}
	return f, st.Network.Evaluate(f), true
}

// Accept returns the next connection whose network path to the endpoint
// is open; the others are closed and logged as REJECT.
func (l *endpointListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ap := addrPort(c.RemoteAddr().String())
		src := netip.AddrPortFrom(mapSource(l.in.SourceMap, ap.Addr()), ap.Port())
		f, v, ok := l.flow(src)
		now := l.g.clock()
		if !ok || !v.Reachable {
			c.Close()
			if ok {
				if err := l.g.flowLog.record(f, v, network.Counters{Packets: 1, Bytes: 60, Start: now, End: now}); err != nil {
					l.g.log.Warn("flow log not written", "err", err)
				}
			}
			l.g.log.Debug("connection refused by the network path", "endpoint", l.in.Endpoint, "source", src, "verdict", v.String())
			continue
		}
		return &endpointConn{Conn: c, l: l, f: f, v: v, start: now, info: connInfo{source: src}}, nil
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

// CloseWrite half-closes the connection (see closeWrite).
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
				if hasFoldPrefix(name, "x-amzn-") || hasFoldPrefix(name, "x-forwarded-") || strings.EqualFold(name, HeaderAPIID) {
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
// APIs behind them until Shutdown.
func (g *Gateway) StartEndpoints(ins []EndpointIngress) (*Running, error) {
	r := &Running{errs: make(chan error, len(ins))}
	for _, in := range ins {
		if err := in.check(); err != nil {
			r.Shutdown(context.Background())
			return nil, err
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
		el := &endpointListener{Listener: limitConnections(ln, in.MaxConnections), g: g, in: in}
		go func() {
			defer r.wg.Done()
			if err := srv.Serve(el); err != nil && !errors.Is(err, http.ErrServerClosed) {
				r.errs <- err
			}
		}()
	}
	return r, nil
}
