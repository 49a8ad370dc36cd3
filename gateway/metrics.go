package gateway

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trellisproject/trellis/authz"
	"github.com/trellisproject/trellis/snapshot"
)

// UnknownService is the service label of requests whose Host names no
// service reachable from the caller's VPC: what clients send never
// becomes a label.
const UnknownService = "unknown"

// MetricsConfig configures Metrics.
type MetricsConfig struct {
	// State returns the current configuration, whose sequence number is
	// exported; nil exports none.
	State func() *snapshot.State
	// Failures returns how many configuration rebuilds in a row have
	// failed, such as snapshot.Manager.Failures; nil exports none.
	Failures func() int64
	// FailuresTotal returns how many configuration rebuilds and store
	// checks have failed since start, such as
	// snapshot.Manager.FailuresTotal; nil exports none.
	FailuresTotal func() int64
	// Fresh reports whether the configuration in effect is current (see
	// Config.Fresh); nil exports none.
	Fresh func() error
	// Health, when not nil, is the HealthChecker whose results and target
	// statuses are exported.
	Health *HealthChecker
}

// Metrics holds the gateway's Prometheus metrics, in a registry of its
// own. Handler serves them. Labels are bounded by the configuration
// (service and target group ARNs, policy layers, status classes); paths,
// hosts and principals never become labels.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	denied   *prometheus.CounterVec
	authz    prometheus.Histogram
	upstream *prometheus.HistogramVec
}

// NewMetrics returns Metrics registered in a new registry, with the Go
// runtime and process collectors.
func NewMetrics(c MetricsConfig) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_gateway_requests_total",
			Help: "Requests answered by the gateway, by service ARN, status code class (2xx...5xx) and decision (allowed, or the layer that stopped the request).",
		}, []string{"service", "code", "decision"}),
		denied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_gateway_denied_total",
			Help: "Requests answered 403 by the gateway, by service ARN, the layer that denied them (signature, authentication, service-network-policy, service-policy, identity-policy) and the access log's authDeniedReason.",
		}, []string{"service", "layer", "reason"}),
		authz: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "trellis_gateway_authz_decision_seconds",
			Help:    "Time taken by the authorisation decision over every policy layer.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 9),
		}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "trellis_gateway_upstream_seconds",
			Help:    "Time from forwarding a request to a target until its response was copied to the caller, by target group ARN.",
			Buckets: prometheus.DefBuckets,
		}, []string{"target_group"}),
	}
	m.reg.MustRegister(m.requests, m.denied, m.authz, m.upstream,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if c.State != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "trellis_config_sequence",
			Help: "Store sequence number of the configuration in effect.",
		}, func() float64 {
			if st := c.State(); st != nil {
				return float64(st.Seq)
			}
			return 0
		}))
	}
	if c.Failures != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "trellis_config_rebuild_failures",
			Help: "Configuration rebuilds that failed in a row since the last one that succeeded; the previous configuration stays in effect.",
		}, func() float64 { return float64(c.Failures()) }))
	}
	if c.FailuresTotal != nil {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "trellis_config_rebuild_failures_total",
			Help: "Configuration rebuilds and store checks that failed since start.",
		}, func() float64 { return float64(c.FailuresTotal()) }))
	}
	if c.Fresh != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "trellis_config_stale",
			Help: "1 while the configuration in effect may be out of date (the store cannot be read, or its latest change did not build); the gateway then answers 503 unless gateway.serveStaleSnapshot is true.",
		}, func() float64 {
			if c.Fresh() != nil {
				return 1
			}
			return 0
		}))
	}
	if c.Health != nil {
		m.reg.MustRegister(healthCollector{c.Health})
	}
	return m
}

// Handler serves the metrics in the Prometheus text formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// codeClasses are the code label values, by status/100.
var codeClasses = [...]string{"1xx", "1xx", "2xx", "3xx", "4xx", "5xx"}

// observe records a finished request.
func (m *Metrics) observe(x *exchange, rec *recorder) {
	service := UnknownService
	if x.svc != nil {
		service = x.svc.ARN
	}
	code := "5xx"
	if c := rec.status / 100; c < len(codeClasses) {
		code = codeClasses[c]
	}
	layer := string(authz.LayerNotFound)
	switch {
	case x.decided:
		layer = string(x.decision.Layer)
		m.authz.Observe(x.authzTime.Seconds())
	case x.note != "":
		layer, _, _ = strings.Cut(x.note, ":")
	}
	m.requests.WithLabelValues(service, code, layer).Inc()
	if rec.status == http.StatusForbidden && layer != string(authz.LayerAllowed) {
		reason := "-"
		if x.decided {
			reason = x.decision.AuthDeniedReason()
		}
		m.denied.WithLabelValues(service, layer, reason).Inc()
	}
	if x.target != "" {
		m.upstream.WithLabelValues(x.tg.ARN).Observe(x.upstreamTime.Seconds())
	}
}

// healthCollector exports a HealthChecker's target statuses and check
// results, read when scraped.
type healthCollector struct{ h *HealthChecker }

var (
	targetsDesc = prometheus.NewDesc("trellis_health_targets",
		"Health-checked targets by target group ARN and status (INITIAL, HEALTHY, UNHEALTHY).", []string{"target_group", "status"}, nil)
	checksDesc = prometheus.NewDesc("trellis_health_checks_total",
		"Health checks by target group ARN and result (pass, fail).", []string{"target_group", "result"}, nil)
)

// Describe implements prometheus.Collector.
func (c healthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- targetsDesc
	ch <- checksDesc
}

// Collect implements prometheus.Collector. Every target group in use with
// health checks enabled reports all three statuses, zero included, so that
// an alert can compare HEALTHY with the total.
func (c healthCollector) Collect(ch chan<- prometheus.Metric) {
	type group struct {
		counts *checkCounts
		status map[TargetStatus]int
	}
	groups := map[string]*group{}
	for _, p := range *c.h.probes.Load() {
		g := groups[p.tgARN]
		if g == nil {
			g = &group{counts: p.counts, status: map[TargetStatus]int{}}
			groups[p.tgARN] = g
		}
		g.status[p.verdict.Load().status]++
	}
	for arn, g := range groups {
		for _, s := range []TargetStatus{TargetInitial, TargetHealthy, TargetUnhealthy} {
			ch <- prometheus.MustNewConstMetric(targetsDesc, prometheus.GaugeValue, float64(g.status[s]), arn, string(s))
		}
		ch <- prometheus.MustNewConstMetric(checksDesc, prometheus.CounterValue, float64(g.counts.passed.Load()), arn, "pass")
		ch <- prometheus.MustNewConstMetric(checksDesc, prometheus.CounterValue, float64(g.counts.failed.Load()), arn, "fail")
	}
}
