package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/trellisproject/trellis/authz"
	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/sigv4"
)

// ingressHandler serves one ingress.
type ingressHandler struct {
	g    *Gateway
	in   Ingress
	port int // the listener port requests select
}

// forward is what one request hands to the proxy's Rewrite hook, and what
// the proxy's ErrorHandler reports back.
type forward struct {
	target                          url.URL
	identity, network, targetHeader string
	vpc, sourceIP, port, proto      string
	// http2 asks for HTTP/2 to the target (HTTP2 and GRPC target groups).
	http2   bool
	failure string
}

type forwardKey struct{}

// The headers VPC Lattice adds for targets; callers cannot set them.
const (
	HeaderIdentity  = "X-Amzn-Lattice-Identity"
	HeaderNetwork   = "X-Amzn-Lattice-Network"
	HeaderTarget    = "X-Amzn-Lattice-Target"
	HeaderSourceVPC = "X-Amzn-Source-Vpc"
)

func (h *ingressHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := h.g
	start := g.clock()
	st := g.state()
	snap := st.Lattice
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	var received atomic.Int64
	e := Entry{
		StartTime:     start.UTC().Format("2006-01-02T15:04:05Z"),
		RequestMethod: r.Method,
		RequestPath:   r.URL.RequestURI(),
		Protocol:      r.Proto,
		SourceVpcID:   h.in.VPC,
		UserAgent:     r.UserAgent(),
		HostHeader:    r.Host,
	}
	if r.TLS != nil {
		e.TLSVersion = tls.VersionName(r.TLS.Version)
	}
	var subs []string
	defer func() {
		if g.logs == nil || len(subs) == 0 {
			return
		}
		e.Duration = g.clock().Sub(start).Milliseconds()
		e.ResponseCode = rec.status
		e.BytesSent = rec.n
		e.BytesReceived = received.Load()
		if err := g.logs.Write(&e, subs); err != nil {
			g.log.Warn("access log not written", "err", err)
		}
	}()

	src := addrPort(r.RemoteAddr)
	srcIP := h.in.mapSource(src.Addr())
	e.SourceIPPort = netip.AddrPortFrom(srcIP, src.Port()).String()

	// Route: Host to a service of a service network this VPC is
	// associated with, then to a listener.
	host := hostOnly(r.Host)
	svc, sn, va := h.resolve(snap, host)
	if svc == nil {
		e.TrellisDecision = string(authz.LayerNotFound) + ": no service named " + host + " in the service networks of " + h.in.VPC
		e.FailureReason = "NoService"
		plain(rec, http.StatusNotFound, "NotFoundException: no service named "+host+" is reachable from this VPC")
		return
	}
	owner := h.in.VPCOwner
	if owner == "" {
		owner = va.Account
	}
	vpcARN := "arn:aws:ec2:" + g.region + ":" + owner + ":vpc/" + h.in.VPC
	e.ServiceNetworkArn, e.ServiceArn, e.SourceVpcArn = sn.ARN, svc.ARN, vpcARN
	if g.logs != nil {
		subs = subscriptions(snap, sn.ID, svc.ID)
	}
	l, ok := snap.ListenerOnPort(svc.ID, h.port)
	if !ok {
		if ls := snap.Listeners(svc.ID); len(ls) == 1 {
			l, ok = ls[0], true
		}
	}
	if !ok {
		e.TrellisDecision = string(authz.LayerNotFound) + ": service " + svc.ID + " has no listener on port " + strconv.Itoa(h.port)
		e.FailureReason = "NoListener"
		plain(rec, http.StatusNotFound, "NotFoundException: no listener for this request")
		return
	}
	e.ListenerID = l.ID

	// Authenticate: a SigV4 or SigV4A signature, or nobody.
	var caller *identity.Caller
	if isSigned(r) {
		c, err := g.authenticate(r, st.Identity)
		if err != nil {
			var se *sigv4.Error
			status, body := http.StatusBadRequest, "BadRequest: the request could not be read"
			if errors.As(err, &se) {
				status, body = se.Status, se.Error()
			}
			e.TrellisDecision = string(authz.LayerSignature) + ": " + body
			e.FailureReason = "AuthFailure"
			plain(rec, status, body)
			return
		}
		caller = c
		e.CallerPrincipal = c.ARN()
		e.CallerPrincipalOrgID = c.OrgID()
		p := c.Principal()
		e.ResolvedUser = p.PrincipalARN()
	}

	// Authorise.
	req := authz.Request{Service: svc, ServiceNetwork: sn, Caller: caller, Method: r.Method, Path: r.URL.Path, Port: l.Port,
		Header: r.Header, SourceIP: srcIP, SourceVPC: h.in.VPC, SourceVPCOwner: owner, TLS: r.TLS != nil}
	if r.URL.RawQuery != "" {
		req.Query = r.URL.Query()
	}
	d := g.authz.Decide(snap, &req)
	e.TrellisDecision = d.String()
	if !d.Allowed {
		e.AuthDeniedReason = d.AuthDeniedReason()
		e.FailureReason = "AuthDenied"
		plain(rec, http.StatusForbidden, "AccessDeniedException: "+d.Message())
		return
	}

	// Act on the first rule that matches.
	action := l.DefaultAction
	for _, rule := range snap.Rules(l.ID) {
		if rule.Match.Matches(r.Method, r.URL.Path, r.Header) {
			action = rule.Action
			break
		}
	}
	if f := action.FixedResponse; f != nil {
		code := http.StatusNotFound
		if f.StatusCode != nil {
			code = *f.StatusCode
		}
		rec.WriteHeader(code)
		return
	}
	tg, target, reason := g.pick(snap, action.Forward)
	if tg != nil {
		e.TargetGroupArn = tg.ARN
	}
	if reason != "" {
		e.FailureReason = reason
		plain(rec, http.StatusServiceUnavailable, "ServiceUnavailable: no target can take this request")
		return
	}
	e.TargetIPPort = target.Host

	fw := &forward{
		target:       target,
		identity:     identityHeader(caller),
		network:      "SourceVpcArn=" + vpcARN,
		targetHeader: "ServiceArn=" + svc.ARN + "; ServiceNetworkArn=" + sn.ARN + "; TargetGroupArn=" + tg.ARN,
		vpc:          h.in.VPC,
		sourceIP:     srcIP.String(),
		port:         strconv.Itoa(l.Port),
		proto:        "http",
		http2:        tg.Config.ProtocolVersion == model.ProtocolVersionHTTP2 || tg.Config.ProtocolVersion == model.ProtocolVersionGRPC,
	}
	if r.TLS != nil {
		fw.proto = "https"
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &countingBody{ReadCloser: r.Body, n: &received}
	}
	g.proxy.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), forwardKey{}, fw)))
	e.FailureReason = fw.failure
}

// resolve finds the service named host that is associated with a service
// network this ingress's VPC is associated with. Services of other
// networks do not exist for this VPC.
func (h *ingressHandler) resolve(snap *model.Snapshot, host string) (*model.Service, *model.ServiceNetwork, *model.ServiceNetworkVPCAssociation) {
	vas := snap.VPCAssociationsOfVPC(h.in.VPC)
	for _, svc := range snap.ServicesByHost(host) {
		for _, va := range vas {
			for _, sa := range snap.ServiceAssociationsOfService(svc.ID) {
				if sa.ServiceNetworkID != va.ServiceNetworkID {
					continue
				}
				if sn, ok := snap.ServiceNetwork(va.ServiceNetworkID); ok {
					return svc, sn, va
				}
			}
		}
	}
	return nil, nil, nil
}

// isSigned reports whether a request carries a SigV4 or SigV4A signature,
// in the Authorization header or the query string. Other Authorization
// schemes (a bearer token for the target, say) leave the call anonymous.
func isSigned(r *http.Request) bool {
	if strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-") {
		return true
	}
	q := r.URL.RawQuery
	return strings.Contains(q, "X-Amz-Signature=") || strings.Contains(q, "X-Amz-Algorithm=")
}

// authenticate verifies the signature with dir's keys and returns the
// caller.
func (g *Gateway) authenticate(r *http.Request, dir *identity.Directory) (*identity.Caller, error) {
	v, err := g.verifierFor(dir)
	if err != nil {
		return nil, err
	}
	res, err := v.Verify(r, SigningService)
	if err != nil {
		return nil, err
	}
	c, ok := dir.Caller(res.AccessKeyID)
	if !ok {
		return nil, &sigv4.Error{Code: sigv4.CodeInvalidClientTokenID, Message: "The security token included in the request is invalid.", Status: http.StatusForbidden}
	}
	return c, nil
}

// pick chooses a target group of a forward action by weight, then one of
// its targets. reason is not empty when no target can take the request.
func (g *Gateway) pick(snap *model.Snapshot, f *model.ForwardAction) (tg *model.TargetGroup, target url.URL, reason string) {
	if f == nil {
		return nil, target, "NoAction"
	}
	total := 0
	for _, w := range f.TargetGroups {
		total += weight(w)
	}
	if total == 0 {
		return nil, target, "NoWeight"
	}
	n := g.rand(total)
	var id string
	for _, w := range f.TargetGroups {
		if n -= weight(w); n < 0 {
			id, _, _ = model.ParseIdentifier(model.TypeTargetGroup, w.TargetGroupIdentifier)
			break
		}
	}
	tg, ok := snap.TargetGroup(id)
	if !ok {
		return nil, target, "NoTargetGroup"
	}
	if tg.Type != model.TargetGroupIP {
		return tg, target, "UnsupportedTargetGroupType"
	}
	ts := snap.Targets(tg.ID)
	if len(ts) == 0 {
		return tg, target, "NoTargets"
	}
	t := ts[g.rand(len(ts))]
	port := t.Port
	if port == 0 && tg.Config.Port != nil {
		port = *tg.Config.Port
	}
	ip, err := netip.ParseAddr(t.ID)
	if err != nil {
		return tg, target, "BadTarget"
	}
	target.Scheme = "http"
	if tg.Config.Protocol == model.ProtocolHTTPS {
		target.Scheme = "https"
	}
	target.Host = netip.AddrPortFrom(ip, uint16(port)).String()
	return tg, target, ""
}

func weight(w model.WeightedTargetGroup) int {
	if w.Weight == nil {
		return model.DefaultSingleWeight
	}
	return *w.Weight
}

// identityHeader formats X-Amzn-Lattice-Identity.
func identityHeader(c *identity.Caller) string {
	if c == nil {
		return "Type=Anonymous"
	}
	s := "Principal=" + c.ARN()
	if org := c.OrgID(); org != "" {
		s += "; PrincipalOrgID=" + org
	}
	if p := c.Principal(); p.Session != "" {
		s += "; SessionName=" + p.Session
	}
	return s + "; Type=AWS_IAM"
}

// spoofable reports whether a client-sent header must not reach a target:
// VPC Lattice's own headers and X-Forwarded-*.
func spoofable(name string) bool {
	return hasFoldPrefix(name, "x-amzn-lattice-") || hasFoldPrefix(name, "x-forwarded-") || strings.EqualFold(name, HeaderSourceVPC)
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// rewrite is the proxy's Rewrite hook: it sets the target, keeps the
// caller's Host, removes what the caller could have forged and adds what
// the target may trust.
func rewrite(pr *httputil.ProxyRequest) {
	fw := pr.In.Context().Value(forwardKey{}).(*forward)
	pr.SetURL(&fw.target)
	pr.Out.Host = pr.In.Host
	h := pr.Out.Header
	for name := range h {
		if spoofable(name) {
			delete(h, name)
		}
	}
	h[HeaderIdentity] = []string{fw.identity}
	h[HeaderNetwork] = []string{fw.network}
	h[HeaderTarget] = []string{fw.targetHeader}
	h[HeaderSourceVPC] = []string{fw.vpc}
	h["X-Forwarded-For"] = []string{fw.sourceIP}
	h["X-Forwarded-Port"] = []string{fw.port}
	h["X-Forwarded-Proto"] = []string{fw.proto}
}

// proxyError answers 502 when the target cannot be reached.
func (g *Gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if fw, ok := r.Context().Value(forwardKey{}).(*forward); ok {
		fw.failure = "TargetConnectionError"
		g.log.Warn("target unreachable", "target", fw.target.Host, "err", err)
	}
	plain(w, http.StatusBadGateway, "BadGateway: the target did not answer")
}

// subscriptions returns the destinations of the access-log subscriptions
// that cover a request: the service network's (of the SERVICE log type)
// and the service's.
func subscriptions(snap *model.Snapshot, snID, svcID string) []string {
	var arns []string
	for _, s := range snap.AccessLogSubscriptions(snID) {
		if s.ServiceNetworkLogType == "" || s.ServiceNetworkLogType == model.LogTypeService {
			arns = append(arns, s.DestinationARN)
		}
	}
	for _, s := range snap.AccessLogSubscriptions(svcID) {
		arns = append(arns, s.DestinationARN)
	}
	return arns
}

// hostOnly strips the port from a Host header.
func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
}

// plain writes a text answer.
func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// recorder remembers the status and counts the bytes of a response.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	n      int64
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote && code >= 200 {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer, for
// flushing streamed responses.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// countingBody counts the bytes of a request body read.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}
