package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/trellisproject/trellis/authz"
	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/network"
	"github.com/trellisproject/trellis/sigv4"
	"github.com/trellisproject/trellis/snapshot"
)

// callerPrefix is where live runs take the callers' source addresses:
// each caller connects from its own address of 127.199.0.0/16, which the
// gateway's source map translates to the address of the caller's network
// interface.
var callerPrefix = netip.MustParsePrefix("127.199.0.0/16")

// eventWait bounds how long a live run waits for the gateway to report
// what it did with a call (its access-log line or its refusal), which it
// may do just after the caller has seen the answer.
const eventWait = 5 * time.Second

// A liveRun is the machinery of a live run: the backends, the callers'
// source addresses and clients, and what the gateway reports.
type liveRun struct {
	sc       *Scenario
	log      *slog.Logger
	backends *backends
	addrs    map[string]netip.Addr
	clients  map[string]*http.Client
	events   chan liveEvent
}

// A liveEvent is what the gateway reported about one call: its line in the
// API access log, or the refusal of its connection.
type liveEvent struct {
	entry   *gateway.APIAccessLogEntry
	refusal *gateway.Refusal
}

// startLive starts the backends and gives every caller a source address
// and a client bound to it.
func startLive(sc *Scenario, log *slog.Logger) (*liveRun, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(sc.Callers) > 250*250 {
		return nil, fmt.Errorf("a live run gives each caller its own address of %s, and there are %d callers", callerPrefix, len(sc.Callers))
	}
	b, err := startBackends(sc.Backends)
	if err != nil {
		return nil, fmt.Errorf("starting the backends: %w", err)
	}
	lr := &liveRun{sc: sc, log: log, backends: b, addrs: map[string]netip.Addr{}, clients: map[string]*http.Client{},
		events: make(chan liveEvent, 64)}
	base := callerPrefix.Addr().As4()
	for i, c := range sc.Callers {
		// 127.199.1.1, 127.199.1.2, ...: no address ends in .0 or .255.
		a := netip.AddrFrom4([4]byte{base[0], base[1], byte(1 + i/250), byte(1 + i%250)})
		lr.addrs[c.Name] = a
		lr.clients[c.Name] = callerClient(a)
	}
	if len(sc.Callers) > 0 {
		// One dial tells whether this system lets a client bind such an
		// address (Linux routes all of 127.0.0.0/8 to the loopback).
		a := lr.addrs[sc.Callers[0].Name]
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: a.AsSlice()}, Timeout: 5 * time.Second}
		conn, err := d.Dial("tcp", b.echo.String())
		if err != nil {
			b.close()
			return nil, fmt.Errorf("a live run sends each caller's calls from its own loopback address (%s for %s), and this system cannot: %w; run it where all of 127.0.0.0/8 is loopback (Linux), or without --live", a, sc.Callers[0].Name, err)
		}
		conn.Close()
	}
	return lr, nil
}

// callerClient returns a client whose connections start from source,
// without keep-alives (every call meets the network check when it
// connects), proxies or compression (the gateway sees what was sent).
func callerClient(source netip.Addr) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: source.AsSlice()}, Timeout: 5 * time.Second}
	return &http.Client{
		Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true, DisableCompression: true, Proxy: nil},
		Timeout:   15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func (lr *liveRun) close() { lr.backends.close() }

// Write receives the gateway's API access log, one JSON line per write.
func (lr *liveRun) Write(p []byte) (int, error) {
	var e gateway.APIAccessLogEntry
	if err := json.Unmarshal(bytes.TrimSpace(p), &e); err != nil {
		return 0, err
	}
	lr.report(liveEvent{entry: &e})
	return len(p), nil
}

// report passes on an event without ever blocking the gateway; a live
// run waits for each call's event before the next, so the buffer never
// fills unless something else calls the gateway.
func (lr *liveRun) report(e liveEvent) {
	select {
	case lr.events <- e:
	default:
		lr.log.Warn("scan: a gateway event was dropped")
	}
}

// stage runs the calls of one stage through a gateway of its own, with
// the stage's configuration pointed at the run's backends.
func (lr *liveRun) stage(ctx context.Context, w *stageWorld) ([]outcome, error) {
	sc := lr.sc
	st, err := buildState(sc, w, lr.backends.rewrite, lr.backends.echo, sc.issued)
	if err != nil {
		return nil, err
	}
	g, err := gateway.New(gateway.Config{Region: sc.Region, State: func() *snapshot.State { return st }, Logger: lr.log,
		APIAccessLog: gateway.NewAPIAccessLog(lr), OnRefusal: func(r gateway.Refusal) { lr.report(liveEvent{refusal: &r}) }})
	if err != nil {
		return nil, err
	}
	var endpoints []gateway.EndpointIngress
	var ingresses []gateway.Ingress
	endpointAt, ingressAt := map[string]int{}, map[string]int{}
	mapped := map[string]bool{}
	for _, c := range w.calls {
		m := gateway.AddressMap{From: netip.PrefixFrom(lr.addrs[c.caller.name], 32), To: netip.PrefixFrom(c.src.Addr, 32)}
		switch c.kind {
		case kindAPI, kindEndpointService, kindDNSName:
			in, key := gateway.EndpointIngress{Listen: "127.0.0.1:0", Endpoint: c.endpoint}, c.endpoint
			if c.kind == kindDNSName {
				// What the caller dials, resolved in its VPC.
				in = gateway.EndpointIngress{Listen: "127.0.0.1:0", VPC: c.src.VPC, Destination: c.destination()}
				key = in.VPC + " " + in.Destination
			}
			i, ok := endpointAt[key]
			if !ok {
				i = len(endpoints)
				endpointAt[key] = i
				endpoints = append(endpoints, in)
			}
			if key := key + " " + c.caller.name; !mapped[key] {
				mapped[key] = true
				endpoints[i].SourceMap = append(endpoints[i].SourceMap, m)
			}
		case kindService:
			i, ok := ingressAt[c.src.VPC]
			if !ok {
				i = len(ingresses)
				ingressAt[c.src.VPC] = i
				ingresses = append(ingresses, gateway.Ingress{Listen: "127.0.0.1:0", VPC: c.src.VPC, VPCOwner: c.vpcOwner, ListenerPort: LatticeListenerPort})
			}
			if key := c.src.VPC + " " + c.caller.name; !mapped[key] {
				mapped[key] = true
				ingresses[i].SourceMap = append(ingresses[i].SourceMap, m)
			}
		}
	}
	var running []*gateway.Running
	defer func() {
		for _, r := range running {
			r.Shutdown(context.Background())
		}
	}()
	var endpointAddrs, ingressAddrs []net.Addr
	if len(endpoints) > 0 {
		r, err := g.StartEndpoints(endpoints)
		if err != nil {
			return nil, fmt.Errorf("starting the endpoint listeners: %w", err)
		}
		running = append(running, r)
		endpointAddrs = r.Addrs()
	}
	if len(ingresses) > 0 {
		r, err := g.Start(ingresses)
		if err != nil {
			return nil, fmt.Errorf("starting the VPC Lattice ingresses: %w", err)
		}
		running = append(running, r)
		ingressAddrs = r.Addrs()
	}
	a := newAuthorizer()
	outs := make([]outcome, len(w.calls))
	for i, c := range w.calls {
		var err error
		switch c.kind {
		case kindAPI:
			outs[i], err = lr.callAPI(ctx, c, endpointAddrs[endpointAt[c.endpoint]].String())
		case kindService:
			outs[i], err = lr.callService(ctx, c, ingressAddrs[ingressAt[c.src.VPC]].String())
		case kindEndpointService:
			outs[i], err = lr.callTCP(ctx, c, endpointAddrs[endpointAt[c.endpoint]].String())
		case kindDNSName:
			outs[i], err = lr.callTCP(ctx, c, endpointAddrs[endpointAt[c.src.VPC+" "+c.destination()]].String())
		default:
			// The internet is never dialled: the network model decides.
			outs[i] = modelled(decideStatic(a, st, c), "internet addresses are never called")
		}
		if err != nil {
			return nil, fmt.Errorf("call of %s to %s: %w", c.call.Caller, c.call.Target, err)
		}
	}
	return outs, nil
}

// destination is what a DNS name call dials: NAME:PORT.
func (c *plannedCall) destination() string {
	return net.JoinHostPort(c.dnsName, strconv.Itoa(int(c.port)))
}

// modelled marks an outcome decided with the network model in a live run.
func modelled(o outcome, why string) outcome {
	o.modelled = true
	o.explanation = "modelled (" + why + "): " + o.explanation
	return o
}

// drain forgets events left from earlier calls.
func (lr *liveRun) drain() {
	for {
		select {
		case <-lr.events:
		default:
			return
		}
	}
}

// wait returns the first event that match accepts.
func (lr *liveRun) wait(ctx context.Context, match func(liveEvent) bool) (liveEvent, bool) {
	timer := time.NewTimer(eventWait)
	defer timer.Stop()
	for {
		select {
		case e := <-lr.events:
			if match(e) {
				return e, true
			}
		case <-timer.C:
			return liveEvent{}, false
		case <-ctx.Done():
			return liveEvent{}, false
		}
	}
}

// send sends a call's request from the caller's address, signed for
// service when the caller signs, and returns the answer, or the error of
// a connection the gateway closed.
func (lr *liveRun) send(ctx context.Context, c *plannedCall, req *http.Request, service string) (*http.Response, []byte, error) {
	req.Header.Set("User-Agent", scanUserAgent)
	if c.caller.signs {
		sec := lr.sc.secrets[c.caller.key]
		signer := sigv4.NewSigner(c.caller.key, sigv4.Credential{SecretAccessKey: sec.key, SessionToken: sec.token}, nil)
		if _, err := signer.Sign(req, sigv4.SignOptions{Service: service, Region: lr.sc.Region}); err != nil {
			return nil, nil, fmt.Errorf("signing: %w", err)
		}
	}
	lr.drain()
	resp, err := lr.clients[c.caller.name].Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp, body, err
}

// refused returns the outcome of a call whose connection was closed: the
// layer of the gateway's refusal of the caller's connection.
func (lr *liveRun) refused(ctx context.Context, c *plannedCall, sendErr error) (outcome, error) {
	from := lr.addrs[c.caller.name]
	e, ok := lr.wait(ctx, func(e liveEvent) bool { return e.refusal != nil && e.refusal.Peer.Addr() == from })
	if !ok {
		return outcome{}, fmt.Errorf("%w, and the gateway reported no refused connection from %s", sendErr, from)
	}
	v := e.refusal.Verdict
	if v.Layer == network.LayerNotFound && e.refusal.Flow == (network.Flow{}) {
		// The gateway's configuration has no such endpoint, so there was
		// no flow to evaluate.
		return outcome{layer: string(v.Layer), explanation: fmt.Sprintf("not-found: %s: the configuration has no interface endpoint %s (the gateway refused the connection)", v.Code, e.refusal.Endpoint)}, nil
	}
	return outcome{layer: string(v.Layer), explanation: verdictText(v) + " (the gateway refused the connection)"}, nil
}

// callTCP connects through the listener that stands for an endpoint to an
// endpoint service (or for a DNS name in the caller's VPC), which carries
// TCP: it sends an unsigned HTTP request, which the backend behind the
// service answers when the connection reaches it.
func (lr *liveRun) callTCP(ctx context.Context, c *plannedCall, listen string) (outcome, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+listen+"/", nil)
	if err != nil {
		return outcome{}, err
	}
	req.Header.Set("User-Agent", scanUserAgent)
	lr.drain()
	resp, err := lr.clients[c.caller.name].Do(req)
	if err != nil {
		return lr.refused(ctx, c, err)
	}
	resp.Body.Close()
	if resp.Header.Get(BackendHeader) == "" {
		return outcome{}, fmt.Errorf("the connection was admitted, but no backend answered (%d)", resp.StatusCode)
	}
	return outcome{allowed: true, layer: string(authz.LayerAllowed),
		explanation: fmt.Sprintf("allowed: the connection reached the endpoint service's target (the %s backend answered)", resp.Header.Get(BackendHeader))}, nil
}

// callAPI calls a private API through the listener of its interface
// endpoint, by the API's endpoint-specific host name, and reads the
// layer from the gateway's access-log line for the call.
func (lr *liveRun) callAPI(ctx context.Context, c *plannedCall, listen string) (outcome, error) {
	req, err := http.NewRequestWithContext(ctx, c.method, "http://"+listen+"/"+c.stage+c.path, nil)
	if err != nil {
		return outcome{}, err
	}
	req.Host = c.apiID + "-" + c.endpoint + ".execute-api." + lr.sc.Region + ".vpce.amazonaws.com"
	resp, body, err := lr.send(ctx, c, req, gateway.APISigningService)
	if err != nil {
		if resp == nil {
			return lr.refused(ctx, c, err)
		}
		return outcome{}, err
	}
	src := c.src.Addr.String()
	e, ok := lr.wait(ctx, func(e liveEvent) bool { return e.entry != nil && e.entry.SourceIP == src })
	if !ok {
		return outcome{}, fmt.Errorf("answered %d %s, and the gateway logged no call from %s", resp.StatusCode, bytes.TrimSpace(body), src)
	}
	d := e.entry.TrellisDecision
	layer, _, _ := strings.Cut(d, ":")
	allowed := layer == string(authz.LayerAllowed)
	if reached := resp.Header.Get(BackendHeader) != ""; reached != allowed {
		return outcome{}, fmt.Errorf("the gateway logged %q but the call %s the backend (%d %s)", d,
			map[bool]string{true: "reached", false: "did not reach"}[reached], resp.StatusCode, bytes.TrimSpace(body))
	}
	return outcome{allowed: allowed, layer: layer, explanation: d}, nil
}

// callService calls a VPC Lattice service through the ingress of the
// caller's VPC and reads the layer from the answer, as a caller would:
// the backend's answer, 404 for a service the VPC does not reach, 403
// AccessDeniedException naming the kind of policy that denied, or the
// signature's error.
func (lr *liveRun) callService(ctx context.Context, c *plannedCall, listen string) (outcome, error) {
	req, err := http.NewRequestWithContext(ctx, c.method, "http://"+listen+c.path, nil)
	if err != nil {
		return outcome{}, err
	}
	req.Host = c.host
	resp, body, err := lr.send(ctx, c, req, gateway.SigningService)
	if err != nil {
		return outcome{}, err
	}
	text := string(bytes.TrimSpace(body))
	denied, isDenied := strings.CutPrefix(text, "AccessDeniedException: ")
	switch {
	case resp.Header.Get(BackendHeader) != "":
		return outcome{allowed: true, layer: string(authz.LayerAllowed), explanation: fmt.Sprintf("allowed: %d from the backend", resp.StatusCode)}, nil
	case resp.StatusCode == http.StatusNotFound && strings.HasPrefix(text, "NotFoundException"):
		return outcome{layer: string(authz.LayerNotFound), explanation: "not-found: " + text}, nil
	case resp.StatusCode == http.StatusForbidden && isDenied:
		layer, err := deniedLayer(denied)
		if err != nil {
			return outcome{}, err
		}
		return outcome{layer: string(layer), explanation: string(layer) + ": " + denied}, nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return outcome{layer: string(authz.LayerSignature), explanation: "signature: " + text}, nil
	}
	return outcome{}, fmt.Errorf("unexpected answer %d %s", resp.StatusCode, text)
}

// deniedLayer returns the layer an AccessDeniedException message names,
// by the kind of policy it says denied (authz.Decision.Message).
func deniedLayer(msg string) (authz.Layer, error) {
	switch {
	case strings.Contains(msg, "network-based policy"):
		return authz.LayerServiceNetworkPolicy, nil
	case strings.Contains(msg, "service-based policy"):
		return authz.LayerServicePolicy, nil
	case strings.Contains(msg, "identity-based policy"):
		return authz.LayerIdentityPolicy, nil
	}
	return "", errors.New("an AccessDeniedException that names no kind of policy: " + msg)
}
