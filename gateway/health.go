package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

// TargetStatus is the health of a target, with the names ListTargets
// reports.
type TargetStatus string

// The statuses a HealthChecker gives targets. A target is INITIAL from the
// moment the checker sees it until its first check passes (HEALTHY) or
// UnhealthyThresholdCount checks in a row fail (UNHEALTHY).
const (
	TargetInitial   TargetStatus = "INITIAL"
	TargetHealthy   TargetStatus = "HEALTHY"
	TargetUnhealthy TargetStatus = "UNHEALTHY"
)

// The reason codes a HealthChecker gives for a status other than HEALTHY.
const (
	// ReasonInitialHealthChecking: no check has passed yet, and not enough
	// have failed to call the target unhealthy.
	ReasonInitialHealthChecking = "InitialHealthChecking"
	// ReasonResponseCodeMismatch: the target answered with a code the
	// matcher does not accept.
	ReasonResponseCodeMismatch = "ResponseCodeMismatch"
	// ReasonTimeout: the target did not answer within the timeout.
	ReasonTimeout = "Timeout"
	// ReasonFailedHealthChecks: the target could not be reached, or its
	// answer was not HTTP.
	ReasonFailedHealthChecks = "FailedHealthChecks"
)

// HealthUserAgent is the User-Agent of health check requests.
const HealthUserAgent = "trellis-health-check/1"

// HealthConfig configures a HealthChecker.
type HealthConfig struct {
	// State returns the current configuration, such as
	// snapshot.Manager.Current. Required.
	State func() *snapshot.State
	// Changed, when not nil, returns a channel that is closed when State
	// changes, such as snapshot.Manager.Changed: the checker then follows
	// changes at once.
	Changed func() <-chan struct{}
	// Follow is how often the checker looks for a new State in any case;
	// zero means one second.
	Follow time.Duration
	// Durations turns a health check's intervalSeconds and timeoutSeconds
	// into durations; nil means that many seconds. Tests shorten them.
	Durations func(intervalSeconds, timeoutSeconds int) (interval, timeout time.Duration)
	// Logger receives status changes; nil means slog.Default().
	Logger *slog.Logger
}

// A HealthChecker probes the targets of the target groups in use (those a
// listener's default action or rule forwards to) whose health checks are
// enabled, one goroutine per target, and keeps each target's status. It
// follows the configuration: probes start and stop as target groups,
// targets and health check settings change. It is safe for concurrent use.
type HealthChecker struct {
	state     func() *snapshot.State
	changed   func() <-chan struct{}
	follow    time.Duration
	durations func(int, int) (time.Duration, time.Duration)
	log       *slog.Logger
	http1     *http.Transport
	http2     *http.Transport

	// probes is replaced whole by Run; readers load it without locks.
	probes atomic.Pointer[map[targetKey]*probe]
	wg     sync.WaitGroup
}

// targetKey names one registered target: target group, IP and port, as
// the store keeps it.
type targetKey struct {
	tg   string
	ip   string
	port int
}

// probeSpec is everything that decides how one target is checked; a
// change of any of it restarts the target's probe.
type probeSpec struct {
	url                string
	http2              bool
	interval, timeout  time.Duration
	healthy, unhealthy int
	matcher            string
}

// A verdict is a status and its reason; verdicts are never modified.
type verdict struct {
	status TargetStatus
	reason string
}

var initialVerdict = &verdict{status: TargetInitial, reason: ReasonInitialHealthChecking}

// checkCounts counts the check results of one target group.
type checkCounts struct {
	passed, failed atomic.Uint64
}

// A probe checks one target.
type probe struct {
	key     targetKey
	spec    probeSpec
	tgARN   string
	counts  *checkCounts
	verdict atomic.Pointer[verdict]
	cancel  context.CancelFunc
	// Owned by the probe's goroutine: checks passed and failed in a row.
	passes, fails int
}

// NewHealthChecker returns a HealthChecker; Run starts it.
func NewHealthChecker(c HealthConfig) (*HealthChecker, error) {
	if c.State == nil {
		return nil, errors.New("gateway: HealthConfig.State is required")
	}
	h := &HealthChecker{state: c.State, changed: c.Changed, follow: c.Follow, durations: c.Durations, log: c.Logger}
	if h.follow <= 0 {
		h.follow = time.Second
	}
	if h.durations == nil {
		h.durations = func(i, t int) (time.Duration, time.Duration) {
			return time.Duration(i) * time.Second, time.Duration(t) * time.Second
		}
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	// Every check opens its own connection and closes it, as VPC Lattice
	// does; targets are reached directly, never through a proxy.
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.Proxy = nil
	base.DisableKeepAlives = true
	h.http1 = base.Clone()
	h.http1.ForceAttemptHTTP2 = false
	h.http1.Protocols = new(http.Protocols)
	h.http1.Protocols.SetHTTP1(true)
	h.http2 = base.Clone()
	h.http2.Protocols = new(http.Protocols)
	h.http2.Protocols.SetHTTP2(true)
	h.http2.Protocols.SetUnencryptedHTTP2(true)
	empty := map[targetKey]*probe{}
	h.probes.Store(&empty)
	return h, nil
}

// Run checks targets until ctx ends, then stops every probe and returns
// once they have all stopped. Call it once.
func (h *HealthChecker) Run(ctx context.Context) {
	t := time.NewTicker(h.follow)
	defer t.Stop()
	var last *model.Snapshot
	for {
		var changed <-chan struct{}
		if h.changed != nil {
			changed = h.changed()
		}
		if st := h.state(); st != nil && st.Lattice != last {
			last = st.Lattice
			h.reconcile(ctx, last)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			for _, p := range *h.probes.Load() {
				p.cancel()
			}
			h.wg.Wait()
			h.http1.CloseIdleConnections()
			h.http2.CloseIdleConnections()
			return
		case <-t.C:
		}
	}
}

// reconcile starts and stops probes so that every target of snap that
// should be checked has exactly one probe. A target whose settings changed
// keeps its status and starts counting afresh.
func (h *HealthChecker) reconcile(ctx context.Context, snap *model.Snapshot) {
	old := *h.probes.Load()
	next := make(map[targetKey]*probe, len(old))
	counts := map[string]*checkCounts{}
	for _, p := range old {
		counts[p.key.tg] = p.counts
	}
	var start []*probe
	for _, id := range snap.TargetGroupsInUse() {
		tg, _ := snap.TargetGroup(id)
		if !healthChecked(tg) {
			continue
		}
		c := counts[id]
		if c == nil {
			c = new(checkCounts)
		}
		for _, t := range snap.Targets(id) {
			key := targetKey{tg: id, ip: t.ID, port: t.Port}
			spec, ok := h.specOf(tg, t)
			if !ok {
				h.log.Warn("target not health checked: its address is not an IP address", "targetGroup", id, "target", t.ID)
				continue
			}
			prev := old[key]
			if prev != nil && prev.spec == spec {
				next[key] = prev
				continue
			}
			p := &probe{key: key, spec: spec, tgARN: tg.ARN, counts: c}
			if prev != nil {
				p.verdict.Store(prev.verdict.Load())
			} else {
				p.verdict.Store(initialVerdict)
			}
			next[key] = p
			start = append(start, p)
		}
	}
	h.probes.Store(&next)
	for key, p := range old {
		if next[key] != p {
			p.cancel()
		}
	}
	for _, p := range start {
		pctx, cancel := context.WithCancel(ctx)
		p.cancel = cancel
		h.wg.Add(1)
		go h.run(pctx, p)
	}
}

// healthChecked reports whether a target group's targets are checked: an
// IP target group with a health check configuration that is not disabled.
// A target group stored through the API always has one (enabled unless
// the caller disabled it); one without any is not checked.
func healthChecked(tg *model.TargetGroup) bool {
	hc := tg.Config.HealthCheck
	return tg.Type == model.TargetGroupIP && hc != nil && (hc.Enabled == nil || *hc.Enabled)
}

// specOf works out how to check a target, with the API's defaults for
// settings left out.
func (h *HealthChecker) specOf(tg *model.TargetGroup, t model.Target) (probeSpec, bool) {
	hc := tg.Config.HealthCheck
	ip, err := netip.ParseAddr(t.ID)
	if err != nil {
		return probeSpec{}, false
	}
	port := t.Port
	if port == 0 && tg.Config.Port != nil {
		port = *tg.Config.Port
	}
	if hc.Port != nil {
		port = *hc.Port
	}
	scheme := "http://"
	if hc.Protocol == model.ProtocolHTTPS || (hc.Protocol == "" && tg.Config.Protocol == model.ProtocolHTTPS) {
		scheme = "https://"
	}
	path := model.DefaultHealthCheckPath
	if hc.Path != nil && *hc.Path != "" {
		path = *hc.Path
	}
	matcher := model.DefaultHealthCheckMatcher
	if hc.Matcher != nil && hc.Matcher.HTTPCode != nil {
		matcher = *hc.Matcher.HTTPCode
	}
	interval, timeout := h.durations(intOr(hc.HealthCheckIntervalSeconds, model.DefaultHealthCheckIntervalSeconds),
		intOr(hc.HealthCheckTimeoutSeconds, model.DefaultHealthCheckTimeoutSeconds))
	return probeSpec{
		url:       scheme + netip.AddrPortFrom(ip, uint16(port)).String() + path,
		http2:     hc.ProtocolVersion == model.ProtocolVersionHTTP2,
		interval:  interval,
		timeout:   timeout,
		healthy:   intOr(hc.HealthyThresholdCount, model.DefaultHealthyThresholdCount),
		unhealthy: intOr(hc.UnhealthyThresholdCount, model.DefaultUnhealthyThresholdCount),
		matcher:   matcher,
	}, true
}

func intOr(p *int, d int) int {
	if p == nil || *p == 0 {
		return d
	}
	return *p
}

// run checks one target at once and then every interval until ctx ends. A
// check that takes longer than the interval delays the next one.
func (h *HealthChecker) run(ctx context.Context, p *probe) {
	defer h.wg.Done()
	t := time.NewTicker(p.spec.interval)
	defer t.Stop()
	for {
		reason := h.check(ctx, p)
		if ctx.Err() != nil {
			return
		}
		h.record(p, reason)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// check sends one health check and returns why it failed, or "" when it
// passed.
func (h *HealthChecker) check(ctx context.Context, p *probe) string {
	ctx, cancel := context.WithTimeout(ctx, p.spec.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.spec.url, nil)
	if err != nil {
		return ReasonFailedHealthChecks
	}
	req.Header.Set("User-Agent", HealthUserAgent)
	tr := h.http1
	if p.spec.http2 {
		tr = h.http2
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return ReasonTimeout
		}
		return ReasonFailedHealthChecks
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return ReasonTimeout
	case err != nil:
		return ReasonFailedHealthChecks
	case !codeMatches(p.spec.matcher, resp.StatusCode):
		return ReasonResponseCodeMismatch
	}
	return ""
}

// record applies one result: the first pass makes an INITIAL target
// HEALTHY; UnhealthyThresholdCount failures in a row make an INITIAL or
// HEALTHY target UNHEALTHY; HealthyThresholdCount passes in a row make an
// UNHEALTHY target HEALTHY.
func (h *HealthChecker) record(p *probe, reason string) {
	cur := p.verdict.Load()
	next := cur
	if reason == "" {
		p.counts.passed.Add(1)
		p.passes, p.fails = p.passes+1, 0
		if cur.status == TargetInitial || (cur.status == TargetUnhealthy && p.passes >= p.spec.healthy) {
			next = &verdict{status: TargetHealthy}
		}
	} else {
		p.counts.failed.Add(1)
		p.passes, p.fails = 0, p.fails+1
		switch {
		case cur.status != TargetUnhealthy && p.fails >= p.spec.unhealthy,
			cur.status == TargetUnhealthy && cur.reason != reason:
			next = &verdict{status: TargetUnhealthy, reason: reason}
		}
	}
	if next == cur {
		return
	}
	p.verdict.Store(next)
	if next.status != cur.status {
		h.log.Info("target health changed", "targetGroup", p.key.tg, "target", p.key.ip, "port", p.key.port,
			"from", string(cur.status), "to", string(next.status), "reason", next.reason)
	}
}

// codeMatches reports whether an HTTP status is among the codes of a
// matcher such as "200", "200-299" or "200,202,300-399".
func codeMatches(matcher string, code int) bool {
	for part := range strings.SplitSeq(matcher, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		if !isRange {
			hi = lo
		}
		l, err1 := strconv.Atoi(lo)
		u, err2 := strconv.Atoi(hi)
		if err1 == nil && err2 == nil && l <= code && code <= u {
			return true
		}
	}
	return false
}

// TargetHealth returns the status and reason code of a registered target
// (target group ID, IP address and port, as the store keeps them); ok is
// false when the checker does not check it: its target group is not in
// use, has health checks disabled, or the checker has not seen it yet.
// The control plane's ListTargets reports what it returns.
func (h *HealthChecker) TargetHealth(targetGroupID, ip string, port int) (status, reason string, ok bool) {
	p := (*h.probes.Load())[targetKey{tg: targetGroupID, ip: ip, port: port}]
	if p == nil {
		return "", "", false
	}
	v := p.verdict.Load()
	return string(v.status), v.reason, true
}

// healthy reports whether a target may take requests: it is HEALTHY.
// Targets the checker has not seen yet are INITIAL and may not.
func (h *HealthChecker) healthy(probes map[targetKey]*probe, tgID string, t *model.Target) bool {
	p := probes[targetKey{tg: tgID, ip: t.ID, port: t.Port}]
	return p != nil && p.verdict.Load().status == TargetHealthy
}

// chooseTarget picks one of a target group's targets at random: any of
// them when the target group is not health checked, one of the HEALTHY
// ones otherwise. ok is false when none is healthy.
func (g *Gateway) chooseTarget(tg *model.TargetGroup, ts []model.Target) (t model.Target, ok bool) {
	if g.health == nil || !healthChecked(tg) {
		return ts[g.rand(len(ts))], true
	}
	probes := *g.health.probes.Load()
	n := 0
	for i := range ts {
		if g.health.healthy(probes, tg.ID, &ts[i]) {
			n++
		}
	}
	if n == 0 {
		return t, false
	}
	k := g.rand(n)
	for i := range ts {
		if g.health.healthy(probes, tg.ID, &ts[i]) {
			if k == 0 {
				return ts[i], true
			}
			k--
		}
	}
	return t, false
}
