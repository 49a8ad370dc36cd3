package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

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
	target url.URL
	// headers holds the values of the headers Rewrite sets, in the order
	// of forwardHeaders, so that setting them allocates nothing.
	headers [len(forwardHeaders)]string
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

// forwardHeaders lists the headers the gateway sets for the target.
var forwardHeaders = [...]string{HeaderIdentity, HeaderNetwork, HeaderTarget, HeaderSourceVPC, "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"}

// exchange is what the gateway learned about one request, for its access
// log entry.
type exchange struct {
	start  time.Time
	source netip.AddrPort // after the ingress's source map
	svc    *model.Service
	sn     *model.ServiceNetwork
	vpcARN string
	// network is the X-Amzn-Lattice-Network value; vpcARN is its tail.
	network  string
	listener *model.Listener
	caller   *identity.Caller
	decided  bool
	decision authz.Decision
	// note is trellisDecision when authz did not decide.
	note     string
	failure  string
	tg       *model.TargetGroup
	target   string
	received atomic.Int64
	// authzTime and upstreamTime are how long the decision and the
	// target took, for metrics.
	authzTime, upstreamTime time.Duration
	// fw is the forwarding of an allowed request, kept here to spare an
	// allocation per request.
	fw forward
	// forwarded is set when the request was sent on, at upstreamStart.
	forwarded     bool
	upstreamStart time.Time
	// takenOver is set when an event loop sends the request and finishes
	// the exchange.
	takenOver bool
	// h, r and rec are the ingress, the request and its response, for
	// finish; subs are the access log subscriptions that cover it.
	h    *ingressHandler
	r    *http.Request
	rec  *recorder
	subs []string
}

// entry builds the access log entry of a finished exchange.
func (x *exchange) entry(r *http.Request, vpc string, rec *recorder, now time.Time) *Entry {
	e := &Entry{
		StartTime:       x.start.UTC().Format("2006-01-02T15:04:05Z"),
		Duration:        now.Sub(x.start).Milliseconds(),
		RequestMethod:   r.Method,
		RequestPath:     r.URL.RequestURI(),
		Protocol:        r.Proto,
		ResponseCode:    rec.status,
		BytesReceived:   x.received.Load(),
		BytesSent:       rec.n,
		ServiceArn:      x.svc.ARN,
		SourceVpcArn:    x.vpcARN,
		SourceVpcID:     vpc,
		SourceIPPort:    x.source.String(),
		TargetIPPort:    x.target,
		UserAgent:       r.UserAgent(),
		HostHeader:      r.Host,
		FailureReason:   x.failure,
		TrellisDecision: x.note,
	}
	if x.sn != nil {
		e.ServiceNetworkArn = x.sn.ARN
	}
	if x.listener != nil {
		e.ListenerID = x.listener.ID
	}
	if x.tg != nil {
		e.TargetGroupArn = x.tg.ARN
	}
	if r.TLS != nil {
		e.TLSVersion = tlsVersionName(r.TLS.Version)
	}
	if c := x.caller; c != nil {
		e.CallerPrincipal = c.ARN()
		e.CallerPrincipalOrgID = c.OrgID()
		p := c.Principal()
		e.ResolvedUser = p.PrincipalARN()
	}
	if x.decided {
		e.TrellisDecision = x.decision.String()
		e.AuthDeniedReason = x.decision.AuthDeniedReason()
	}
	return e
}

func (h *ingressHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := h.g
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	x := &exchange{start: g.clock(), h: h, r: r, rec: rec}
	st := g.state()
	snap := st.Lattice
	defer func() {
		// Also when send aborts the caller's connection, so that the
		// access log and the metrics see how the request ended. An event
		// loop that took the exchange over finishes it itself.
		if !x.takenOver {
			x.finish()
		}
	}()
	src := addrPort(r.RemoteAddr)
	srcIP := h.in.mapSource(src.Addr())
	x.source = netip.AddrPortFrom(srcIP, src.Port())
	trimHeaderValues(r)
	if msg := badTarget(r); msg != "" {
		plain(rec, http.StatusBadRequest, msg)
		return
	}
	if err := g.unavailable(); err != nil {
		x.note = noteUnavailable
		rec.Header().Set("Retry-After", "1")
		plain(rec, http.StatusServiceUnavailable, unavailableMessage)
		return
	}

	// Route: Host to a service of a service network this VPC is
	// associated with, then to a listener.
	host := hostOnly(r.Host)
	svc, sn, va := snap.ServiceForVPC(h.in.VPC, host)
	if svc == nil {
		// No subscription covers a name nobody here serves: no log.
		plain(rec, http.StatusNotFound, "NotFoundException: no service named "+host+" is reachable from this VPC")
		return
	}
	owner := h.in.VPCOwner
	if owner == "" {
		owner = va.Account
	}
	x.svc, x.sn = svc, sn
	const networkPrefix = "SourceVpcArn="
	x.network = networkPrefix + "arn:aws:ec2:" + g.region + ":" + owner + ":vpc/" + h.in.VPC
	x.vpcARN = x.network[len(networkPrefix):]
	if g.logs != nil {
		x.subs = subscriptions(snap, sn.ID, svc.ID)
	}
	l, ok := snap.ListenerOnPort(svc.ID, h.port)
	if !ok {
		if ls := snap.Listeners(svc.ID); len(ls) == 1 {
			l, ok = ls[0], true
		}
	}
	if !ok {
		x.note = string(authz.LayerNotFound) + ": service " + svc.ID + " has no listener on port " + strconv.Itoa(h.port)
		x.failure = "NoListener"
		plain(rec, http.StatusNotFound, "NotFoundException: no listener for this request")
		return
	}
	x.listener = l

	// Authenticate: a SigV4 or SigV4A signature, or nobody.
	if isSigned(r) {
		c, err := g.authenticate(r, st.Identity)
		if err != nil {
			var se *sigv4.Error
			status, body := http.StatusBadRequest, "BadRequest: the request could not be read"
			if errors.As(err, &se) {
				status, body = se.Status, se.Error()
			}
			x.note = string(authz.LayerSignature) + ": " + body
			x.failure = "AuthFailure"
			plain(rec, status, body)
			return
		}
		x.caller = c
	}

	// Authorise.
	req := authz.Request{Service: svc, ServiceNetwork: sn, Caller: x.caller, Method: r.Method, Path: r.URL.Path, Port: l.Port,
		Header: r.Header, SourceIP: srcIP, SourceVPC: h.in.VPC, SourceVPCOwner: owner, TLS: r.TLS != nil}
	if r.URL.RawQuery != "" {
		req.Query = r.URL.Query()
	}
	t0 := g.clock()
	x.decision, x.decided = g.authz.Decide(snap, &req), true
	x.authzTime = g.clock().Sub(t0)
	if !x.decision.Allowed {
		x.failure = "AuthDenied"
		plain(rec, http.StatusForbidden, "AccessDeniedException: "+x.decision.Message())
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
	x.tg = tg
	if reason != "" {
		x.failure = reason
		plain(rec, http.StatusServiceUnavailable, "ServiceUnavailable: no target can take this request")
		return
	}
	x.target = target.Host

	fw := &x.fw
	fw.target = target
	fw.http2 = tg.Config.ProtocolVersion == model.ProtocolVersionHTTP2 || tg.Config.ProtocolVersion == model.ProtocolVersionGRPC
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	fw.headers = [...]string{
		identityHeader(x.caller),
		x.network,
		"ServiceArn=" + svc.ARN + "; ServiceNetworkArn=" + sn.ARN + "; TargetGroupArn=" + tg.ARN,
		h.in.VPC,
		srcIP.String(),
		strconv.Itoa(l.Port),
		proto,
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &countingBody{ReadCloser: r.Body, n: &x.received}
	}
	x.forwarded, x.upstreamStart = true, g.clock()
	if tw, ok := w.(takeOver); ok && tw.takeOver(x) {
		x.takenOver = true
		return
	}
	g.send(rec, r, fw)
}

// takeOver is implemented by the response writer of an ingress that sends
// some requests itself (the event loop): takeOver reports whether it takes
// x's forwarding over, to finish x when the target has answered.
type takeOver interface {
	takeOver(x *exchange) bool
}

// finish records a completed exchange: the time the target took, the
// access log entry and the metrics.
func (x *exchange) finish() {
	g := x.h.g
	if x.forwarded {
		x.upstreamTime = g.clock().Sub(x.upstreamStart)
		x.failure = x.fw.failure
	}
	if len(x.subs) > 0 {
		if err := g.logs.Write(x.entry(x.r, x.h.in.VPC, x.rec, g.clock()), x.subs); err != nil {
			g.log.Warn("access log not written", "err", err)
		}
	}
	if g.metrics != nil {
		g.metrics.observe(x, x.rec)
	}
}

// badTarget returns why a request's target cannot be authorised and sent
// on as it is, or "" when it can. The policies see the path; the target
// must get the same one. An origin-form path starts with "/"; a target
// such as "http:admin/x" (an opaque URL) has no path to authorise, yet a
// lenient target server may read it as /admin/x. And HTTP/2 carries the
// target in :path, whose query may hold a space: written on an HTTP/1.1
// request line, the space would end the target and let the caller choose
// the rest of the line the target reads.
func badTarget(r *http.Request) string {
	u := r.URL
	if u.Opaque != "" || u.Path != "" && u.Path[0] != '/' && !(u.Path == "*" && r.Method == http.MethodOptions) {
		return "BadRequest: the request target must be a path that starts with /"
	}
	if hasSpaceOrCTL(u.RawQuery) {
		return "BadRequest: the request's query contains a space or a control character; percent-encode it"
	}
	if hasDotSegment(u.Path) {
		return "BadRequest: the request's path contains a . or .. segment (perhaps percent-encoded); send the path it stands for"
	}
	return ""
}

// hasDotSegment reports whether a decoded path has a "." or ".." segment.
// The policies match the path as sent, while a target (or a server in
// front of it) may resolve /public/../admin to /admin: such a path is
// refused rather than authorised as one path and served as another.
func hasDotSegment(path string) bool {
	for path != "" {
		i := strings.IndexAny(path, `/\`)
		if i < 0 {
			i = len(path)
		}
		seg := path[:i]
		path = path[min(i+1, len(path)):]
		// Servlet containers drop ";parameters" from a segment before
		// resolving it, and Windows servers read \ as /.
		seg, _, _ = strings.Cut(seg, ";")
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// trimHeaderValues trims the spaces and tabs around header values, which
// HTTP/2 lets through and HTTP/1.1 does not: the policies and rules must
// see the value the target will get, and both forwarding paths trim.
func trimHeaderValues(r *http.Request) {
	if r.ProtoMajor < 2 {
		return // net/http's HTTP/1 parser has trimmed them
	}
	for _, values := range r.Header {
		for i, v := range values {
			if t := textproto.TrimString(v); len(t) != len(v) {
				values[i] = t
			}
		}
	}
}

// hasSpaceOrCTL reports whether s holds a space or a control character.
func hasSpaceOrCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return true
		}
	}
	return false
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

// authenticate verifies a VPC Lattice signature with dir's keys and
// returns the caller.
func (g *Gateway) authenticate(r *http.Request, dir *identity.Directory) (*identity.Caller, error) {
	return g.authenticateFor(r, dir, SigningService)
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
	t, ok := g.chooseTarget(tg, ts)
	if !ok {
		return tg, target, "NoHealthyTargets"
	}
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
	const (
		principal = "Principal="
		org       = "; PrincipalOrgID="
		session   = "; SessionName="
		typeIAM   = "; Type=AWS_IAM"
	)
	arn, orgID, sessionName := c.ARN(), c.OrgID(), c.Principal().Session
	n := len(principal) + len(arn) + len(typeIAM)
	if orgID != "" {
		n += len(org) + len(orgID)
	}
	if sessionName != "" {
		n += len(session) + len(sessionName)
	}
	// One allocation: this runs for every request forwarded.
	var b strings.Builder
	b.Grow(n)
	b.WriteString(principal)
	b.WriteString(arn)
	if orgID != "" {
		b.WriteString(org)
		b.WriteString(orgID)
	}
	if sessionName != "" {
		b.WriteString(session)
		b.WriteString(sessionName)
	}
	b.WriteString(typeIAM)
	return b.String()
}

// spoofable reports whether a client-sent header must not reach a target:
// VPC Lattice's own headers and X-Forwarded-*.
func spoofable(name string) bool {
	name = dashed(name)
	return hasFoldPrefix(name, "x-amzn-lattice-") || hasFoldPrefix(name, "x-forwarded-") || strings.EqualFold(name, HeaderSourceVPC)
}

// dashed returns a header name with underscores read as dashes: CGI,
// WSGI, Rack and PHP targets see X_Amzn_Lattice_Identity and
// X-Amzn-Lattice-Identity as the same variable, so a caller must not be
// able to send either.
func dashed(name string) string {
	if strings.IndexByte(name, '_') < 0 {
		return name
	}
	return strings.ReplaceAll(name, "_", "-")
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
	for i, name := range forwardHeaders {
		h[name] = fw.headers[i : i+1 : i+1]
	}
}

// withForward returns a context that carries fw to the Rewrite hook.
func withForward(ctx context.Context, fw *forward) context.Context {
	return context.WithValue(ctx, forwardKey{}, fw)
}

// proxyError is the ReverseProxy's error handler.
func (g *Gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if fw, ok := r.Context().Value(forwardKey{}).(*forward); ok {
		g.targetError(w, r, fw, err)
		return
	}
	plain(w, http.StatusBadGateway, "BadGateway: the target did not answer")
}

// targetError answers 504 when the target did not start answering in time
// and 502 when it could not be reached or its answer could not be read,
// unless the caller has gone away.
func (g *Gateway) targetError(w http.ResponseWriter, r *http.Request, fw *forward, err error) {
	var bad *badHeadError
	if errors.As(err, &bad) {
		fw.failure = "InvalidRequestHeader"
		plain(w, http.StatusBadRequest, "BadRequest: the request cannot be forwarded: "+bad.Error())
		return
	}
	fw.failure = "TargetConnectionError"
	if r.Context().Err() != nil {
		return
	}
	if errors.Is(err, errUpstreamTimeout) {
		fw.failure = "TargetTimeout"
		g.log.Warn("target timed out", "target", fw.target.Host, "err", err)
		plain(w, http.StatusGatewayTimeout, "GatewayTimeout: the target did not answer in time")
		return
	}
	g.log.Warn("target unreachable", "target", fw.target.Host, "err", err)
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

// hostOnly strips the port from a Host header, and the brackets from an
// IPv6 literal.
func hostOnly(h string) string {
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[1:i]
		}
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		return h[:i]
	}
	return h
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
