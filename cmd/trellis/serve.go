package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/policy"
	"github.com/trellisproject/trellis/snapshot"
	"github.com/trellisproject/trellis/store"
)

// serveConfig is the server's configuration: the --config file, with flags
// overriding it.
type serveConfig struct {
	// Data is the data directory.
	Data string `json:"data,omitempty"`
	// Listen is the control plane's address.
	Listen string `json:"listen,omitempty"`
	// Region is the region served.
	Region string `json:"region,omitempty"`
	// Account is the account of the first administrator.
	Account string `json:"account,omitempty"`
	// ShutdownTimeout bounds how long requests in flight may take to finish
	// on SIGTERM, such as "10s".
	ShutdownTimeout string `json:"shutdownTimeout,omitempty"`
	// RateLimit limits each account's calls to each control-plane API;
	// perSecond 0 turns it off.
	RateLimit *rateLimit `json:"rateLimit,omitempty"`
	// ControlPlane bounds what a caller of the control plane may send and
	// hold.
	ControlPlane controlPlaneLimits `json:"controlPlane"`
	// Gateway configures the data plane; without it trellis runs the
	// control plane only.
	Gateway *gatewayConfig `json:"gateway,omitempty"`
}

// rateLimit is a token bucket: PerSecond calls a second on average, and
// bursts of up to Burst calls; Burst 0 means twice PerSecond (at least 1).
type rateLimit struct {
	PerSecond float64 `json:"perSecond"`
	Burst     int     `json:"burst,omitempty"`
}

// controlPlaneLimits are the limits of the control plane's listener. Zero
// values are the defaults of defaultControlPlaneLimits.
type controlPlaneLimits struct {
	// MaxBodyBytes bounds a VPC Lattice or native API request body.
	MaxBodyBytes int64 `json:"maxBodyBytes,omitempty"`
	// MaxHeaderBytes bounds a request's header section.
	MaxHeaderBytes int `json:"maxHeaderBytes,omitempty"`
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are
	// the http.Server timeouts: to send the headers, the whole request,
	// to take the answer, and between requests on a connection.
	ReadHeaderTimeout gateway.Duration `json:"readHeaderTimeout,omitempty"`
	ReadTimeout       gateway.Duration `json:"readTimeout,omitempty"`
	WriteTimeout      gateway.Duration `json:"writeTimeout,omitempty"`
	IdleTimeout       gateway.Duration `json:"idleTimeout,omitempty"`
	// MaxConnections, when positive, is how many connections the control
	// plane holds open at a time; 0 means no limit.
	MaxConnections int `json:"maxConnections,omitempty"`
}

// defaultControlPlaneLimits are the control plane's limits unless the
// config file sets them: ample for the largest legitimate request (a
// native document of many policies), tight enough for slow clients.
var defaultControlPlaneLimits = controlPlaneLimits{
	MaxBodyBytes:      1 << 20,
	MaxHeaderBytes:    64 << 10,
	ReadHeaderTimeout: gateway.Duration(10 * time.Second),
	ReadTimeout:       gateway.Duration(60 * time.Second),
	WriteTimeout:      gateway.Duration(60 * time.Second),
	IdleTimeout:       gateway.Duration(120 * time.Second),
}

// withDefaults returns l with its zero values replaced by the defaults.
func (l controlPlaneLimits) withDefaults() controlPlaneLimits {
	d := defaultControlPlaneLimits
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxHeaderBytes == 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	for _, p := range []struct{ v, def *gateway.Duration }{
		{&l.ReadHeaderTimeout, &d.ReadHeaderTimeout}, {&l.ReadTimeout, &d.ReadTimeout},
		{&l.WriteTimeout, &d.WriteTimeout}, {&l.IdleTimeout, &d.IdleTimeout},
	} {
		if *p.v == 0 {
			*p.v = *p.def
		}
	}
	return l
}

func (l controlPlaneLimits) check() error {
	switch {
	case l.MaxBodyBytes < 0, l.MaxHeaderBytes < 0, l.MaxConnections < 0:
		return fmt.Errorf("controlPlane: maxBodyBytes %d, maxHeaderBytes %d and maxConnections %d cannot be negative", l.MaxBodyBytes, l.MaxHeaderBytes, l.MaxConnections)
	case l.ReadHeaderTimeout < 0, l.ReadTimeout < 0, l.WriteTimeout < 0, l.IdleTimeout < 0:
		return errors.New("controlPlane: readHeaderTimeout, readTimeout, writeTimeout and idleTimeout cannot be negative")
	}
	return nil
}

// gatewayConfig is the data plane's section of the config file.
type gatewayConfig struct {
	// Ingress lists the addresses callers connect to, one per VPC.
	Ingress []gateway.Ingress `json:"ingress"`
	// AccessLogDir is where access-log subscriptions to files are written;
	// empty means DATA/access-logs.
	AccessLogDir string `json:"accessLogDir,omitempty"`
	// MetricsListen is where Prometheus metrics are served, at /metrics,
	// such as "127.0.0.1:9400"; empty serves none.
	MetricsListen string `json:"metricsListen,omitempty"`
	// Endpoints lists interface endpoints of the network configuration as
	// addresses callers connect to, to reach private REST APIs.
	Endpoints []gateway.EndpointIngress `json:"endpoints,omitempty"`
	// FlowLogFile receives the VPC Flow Logs records of connections to the
	// endpoints; empty means DATA/flow-logs.log.
	FlowLogFile string `json:"flowLogFile,omitempty"`
	// APIAccessLogFile receives a JSON line per call to a private API;
	// empty means DATA/api-access.log.
	APIAccessLogFile string `json:"apiAccessLogFile,omitempty"`
	// ServeStaleSnapshot keeps the gateway authorising from the last good
	// configuration when the store cannot be read or a change does not
	// build; by default it then answers 503 (fails closed).
	ServeStaleSnapshot bool `json:"serveStaleSnapshot,omitempty"`
	// UpstreamTimeout is how long a target may take to start answering,
	// such as "60s" (the default); "0s" means no limit.
	UpstreamTimeout string `json:"upstreamTimeout,omitempty"`
	// MaxSignedBodyBytes bounds a request body whose hash the signature
	// covers (the gateway reads it whole to check it); 0 means 10 MiB.
	MaxSignedBodyBytes int64 `json:"maxSignedBodyBytes,omitempty"`
}

func defaultServeConfig() serveConfig {
	return serveConfig{Data: ".trellis", Listen: "127.0.0.1:7400", Region: "us-east-1", Account: "000000000000", ShutdownTimeout: "10s",
		RateLimit: &rateLimit{PerSecond: defaultRatePerSecond}}
}

// defaultRatePerSecond is the default per-account rate limit of each
// control-plane API: far above what people and deployment tools send, low
// enough that one account's runaway script cannot monopolise the store.
const defaultRatePerSecond = 100

// readServeConfig reads a config file (YAML or JSON); unknown keys are
// errors.
func readServeConfig(path string, c *serveConfig) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var generic any
	if err := yaml.Unmarshal(data, &generic); err != nil {
		return fmt.Errorf("%s is not valid YAML or JSON: %w", path, err)
	}
	j, err := json.Marshal(generic)
	if err != nil {
		var uv *json.UnsupportedValueError
		if errors.As(err, &uv) {
			return fmt.Errorf("%s: %s is not allowed; numbers must be finite", path, uv.Str)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	if string(j) == "null" {
		return nil // an empty file: no settings
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			switch te.Type.Kind() {
			case reflect.String:
				return fmt.Errorf("%s: %s must be a string, not a %s (quote it, as in %s: \"...\")", path, te.Field, te.Value, te.Field)
			case reflect.Int, reflect.Int64, reflect.Float64:
				return fmt.Errorf("%s: %s must be a number, not a %s", path, te.Field, te.Value)
			}
			return fmt.Errorf("%s: %s cannot be a %s", path, te.Field, te.Value)
		}
		return fmt.Errorf("%s: %w (known keys: data, listen, region, account, shutdownTimeout, rateLimit, controlPlane, gateway)", path, err)
	}
	return nil
}

func (c serveConfig) validate() (time.Duration, error) {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return 0, fmt.Errorf("listen address %q: %v (use HOST:PORT, such as 127.0.0.1:7400)", c.Listen, err)
	}
	if c.Gateway != nil && c.Gateway.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.Gateway.MetricsListen); err != nil {
			return 0, fmt.Errorf("gateway.metricsListen %q: %v (use HOST:PORT, such as 127.0.0.1:9400)", c.Gateway.MetricsListen, err)
		}
	}
	if c.Gateway != nil && c.Gateway.UpstreamTimeout != "" {
		if d, err := time.ParseDuration(c.Gateway.UpstreamTimeout); err != nil || d < 0 {
			return 0, fmt.Errorf("gateway.upstreamTimeout %q is not a duration such as \"60s\" (\"0s\" for no limit)", c.Gateway.UpstreamTimeout)
		}
	}
	if c.Region == "" {
		return 0, errors.New("region is empty")
	}
	if !policy.IsAccountID(c.Account) {
		return 0, fmt.Errorf("account %q is not a 12-digit account ID", c.Account)
	}
	if err := c.ControlPlane.check(); err != nil {
		return 0, err
	}
	if c.Gateway != nil && c.Gateway.MaxSignedBodyBytes < 0 {
		return 0, fmt.Errorf("gateway.maxSignedBodyBytes %d cannot be negative", c.Gateway.MaxSignedBodyBytes)
	}
	if r := c.RateLimit; r != nil && (r.PerSecond < 0 || r.Burst < 0) {
		return 0, fmt.Errorf("rateLimit: perSecond %v must be a number of calls a second (0 turns the limit off) and burst %d not negative", r.PerSecond, r.Burst)
	}
	d, err := time.ParseDuration(c.ShutdownTimeout)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("shutdownTimeout %q is not a positive duration such as \"10s\"", c.ShutdownTimeout)
	}
	return d, nil
}

func newServeCommand() *cobra.Command {
	var configFile string
	flags := defaultServeConfig()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run trellis: the control plane (VPC Lattice, STS and native APIs) over the embedded store",
		Long: `Run trellis on this machine. The control plane answers the VPC Lattice API,
the STS API and trellis's native configuration API on one address (default
127.0.0.1:7400); every call must be signed with SigV4.

State lives in an embedded SQLite database in the data directory (default
./.trellis), created on first start. On first start trellis also creates an
administrator and writes its credentials, once, to DATA/admin-credentials
(mode 0600); use them with
  AWS_SHARED_CREDENTIALS_FILE=.trellis/admin-credentials AWS_PROFILE=trellis

--config FILE reads settings from a YAML or JSON file with the keys data,
listen, region, account (of the first administrator), shutdownTimeout,
rateLimit and gateway; flags given on the command line override it. A
malformed file stops trellis before it starts.

rateLimit limits the calls each account makes to each API (VPC Lattice,
STS, native) with a token bucket. Calls over it are refused with Retry-After
as AWS throttles: 429 ThrottlingException (VPC Lattice, native), 400
Throttling (STS). burst defaults to twice perSecond; perSecond 0 turns the
limit off:
  rateLimit: {perSecond: 100, burst: 200}     # the default

controlPlane bounds what a caller of the control plane sends and holds
(defaults shown; docs/SECURITY.md lists every limit):
  controlPlane:
    maxBodyBytes: 1048576      # VPC Lattice and native API bodies
    maxHeaderBytes: 65536      # request line and headers: 431 over it
    readHeaderTimeout: 10s
    readTimeout: 60s
    writeTimeout: 60s
    idleTimeout: 120s
    maxConnections: 0          # connections held at a time; 0: no limit

The gateway section starts the data plane: one ingress listener per VPC,
through which callers in that VPC reach the services of the service networks
the VPC is associated with (see docs/gateway.md). The gateway health checks
the targets of the target groups in use, as VPC Lattice does, and sends
requests only to healthy ones:
  gateway:
    accessLogDir: /var/log/trellis     # default DATA/access-logs
    metricsListen: 127.0.0.1:9400      # Prometheus /metrics and /healthz; default none
    serveStaleSnapshot: false          # see below
    upstreamTimeout: 60s               # a target's time to start answering: 504 after; 0s: none
    ingress:
      - listen: 127.0.0.1:8080
        vpc: vpc-0a1b2c3d4e5f60718
        vpcOwner: "111122223333"       # default: the VPC association's account
        listenerPort: 80               # default: the port of listen
        sourceMap: [{from: 127.199.0.0/16, to: 10.199.0.0/16}]
        tls: {certFile: tls.crt, keyFile: tls.key}   # optional: HTTPS only
        proxyProtocol: {trustedPeers: [10.0.0.0/24]} # optional: PROXY v2 from these peers
        idleTimeout: 120s              # default 120s
        readHeaderTimeout: 10s         # default 10s
        maxConnections: 10000          # default: no limit
        maxHeaderBytes: 65536          # default 64 KiB: 431 over it
    maxSignedBodyBytes: 10485760       # default 10 MiB: bodies whose hash is signed
    flowLogFile: /var/log/trellis/flows.log  # default DATA/flow-logs.log
    apiAccessLogFile: /var/log/trellis/api.log  # default DATA/api-access.log
    endpoints:                         # interface endpoints of the network section
      - listen: 127.0.0.1:8443
        endpoint: vpce-aaaa0001        # by ID
        sourceMap: [{from: 127.199.0.0/16, to: 10.199.0.0/16}]
        maxConnections: 10000          # default: no limit
        # idleTimeout, readHeaderTimeout, maxHeaderBytes: as an ingress's
      - listen: 127.0.0.1:9443         # or by what callers in a VPC dial
        vpc: vpc-cccc0001
        destination: orders.provider.example:443
        sourceMap: [{from: 127.50.0.0/16, to: 10.50.0.0/16}]

A connection to an endpoint is checked against the network (route, network
ACLs, security groups, the endpoint service's connection) from the caller's
address, mapped into the VPC, and closed at once when the path is blocked;
every connection gets a flow log record. Through an endpoint to an endpoint
service (PrivateLink) the connection is proxied over TCP to the service's
targets (see docs/privatelink.md); through any other endpoint, every call to
a private API gets a line in the API access log (see docs/private-apis.md).

The gateway fails closed: when the store cannot be read or its latest change
does not build, the last good configuration stays loaded but the gateway
answers every request 503 (Retry-After: 1), logs why, sets the metric
trellis_config_stale to 1 and fails /healthz, until the configuration is
current again. serveStaleSnapshot: true keeps serving from the last good
configuration instead.

SIGTERM or SIGINT stops accepting connections, lets requests in flight finish
(up to shutdownTimeout), and exits with status 0.`,
		Example: `  trellis serve
  trellis serve --data /var/lib/trellis --listen 127.0.0.1:7400 --region eu-west-1
  AWS_SHARED_CREDENTIALS_FILE=.trellis/admin-credentials AWS_PROFILE=trellis \
    aws vpc-lattice list-services --endpoint-url http://127.0.0.1:7400 --region us-east-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := defaultServeConfig()
			if configFile != "" {
				if err := readServeConfig(configFile, &cfg); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
			for name, dst := range map[string]*string{"data": &cfg.Data, "listen": &cfg.Listen, "region": &cfg.Region, "account": &cfg.Account, "shutdown-timeout": &cfg.ShutdownTimeout} {
				if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
					*dst = f.Value.String()
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			return serve(ctx, cfg, log, cmd.OutOrStdout(), nil)
		},
	}
	cmd.Flags().StringVar(&configFile, "config", "", "settings file (YAML or JSON)")
	cmd.Flags().StringVar(&flags.Data, "data", flags.Data, "data directory")
	cmd.Flags().StringVar(&flags.Listen, "listen", flags.Listen, "control plane address (HOST:PORT)")
	cmd.Flags().StringVar(&flags.Region, "region", flags.Region, "region served")
	cmd.Flags().StringVar(&flags.Account, "account", flags.Account, "account of the first administrator (used on first start only)")
	cmd.Flags().StringVar(&flags.ShutdownTimeout, "shutdown-timeout", flags.ShutdownTimeout, "how long requests in flight may take on SIGTERM")
	return cmd
}

// serve runs trellis until ctx ends. Access logs with the destination
// "stdout" go to stdout. ready, if not nil, is called with the control
// plane's address and the gateway's ingress addresses once they accept
// connections.
func serve(ctx context.Context, cfg serveConfig, log *slog.Logger, stdout io.Writer, ready func(controlPlane string, ingress []string)) error {
	drain, err := cfg.validate()
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("configuration: %w", err)}
	}
	st, err := store.OpenSQLite(ctx, cfg.Data, store.Options{})
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	defer st.Close()

	created, credPath, err := controlplane.Bootstrap(ctx, st, cfg.Data, cfg.Account, rand.Reader, time.Now())
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	if created {
		log.Info("created the administrator; its credentials are in a file only you can read", "file", credPath)
	}

	snaps, err := snapshot.NewManager(ctx, st, snapshot.Options{Logger: log})
	if err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("the stored configuration cannot be loaded: %w", err)}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go snaps.Run(runCtx)
	go pruneSessions(runCtx, st, log)

	// The gateway's health checker runs before the control plane starts,
	// so that ListTargets reports what it finds.
	var health *gateway.HealthChecker
	var targetHealth controlplane.TargetHealthFunc
	if cfg.Gateway != nil && len(cfg.Gateway.Ingress) > 0 {
		if health, err = gateway.NewHealthChecker(gateway.HealthConfig{State: snaps.Current, Changed: snaps.Changed, Logger: log}); err != nil {
			return &exitError{code: exitFailed, err: err}
		}
		targetHealth = health.TargetHealth
		healthDone := make(chan struct{})
		go func() {
			defer close(healthDone)
			health.Run(runCtx)
		}()
		defer func() {
			cancel()
			<-healthDone
		}()
	}

	limits := cfg.ControlPlane.withDefaults()
	scfg := controlplane.ServerConfig{Store: st, Snapshots: snaps, Region: cfg.Region, Logger: log, TargetHealth: targetHealth,
		MaxBodyBytes: limits.MaxBodyBytes}
	if r := cfg.RateLimit; r != nil && r.PerSecond > 0 {
		scfg.RateLimit, scfg.RateBurst = r.PerSecond, r.Burst
		if r.Burst == 0 {
			scfg.RateBurst = max(1, int(2*r.PerSecond))
		}
	}
	handler, err := controlplane.NewServer(scfg)
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("control plane: %w", err)}
	}
	ln = gateway.LimitConnections(ln, limits.MaxConnections)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: time.Duration(limits.ReadHeaderTimeout),
		ReadTimeout:       time.Duration(limits.ReadTimeout),
		WriteTimeout:      time.Duration(limits.WriteTimeout),
		IdleTimeout:       time.Duration(limits.IdleTimeout),
		MaxHeaderBytes:    limits.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	var (
		ingress []string
		gw, eps *gateway.Running
	)
	if cfg.Gateway != nil && (len(cfg.Gateway.Ingress) > 0 || len(cfg.Gateway.Endpoints) > 0) {
		dir := cfg.Gateway.AccessLogDir
		if dir == "" {
			dir = filepath.Join(cfg.Data, "access-logs")
		}
		logs := gateway.NewAccessLogs(dir, stdout)
		defer logs.Close()
		gcfg := gateway.Config{Region: cfg.Region, State: snaps.Current, Logger: log, AccessLogs: logs, Health: health,
			Fresh: snaps.Health, ServeStale: cfg.Gateway.ServeStaleSnapshot, UpstreamTimeout: upstreamTimeout(cfg.Gateway.UpstreamTimeout),
			MaxSignedBodyBytes: cfg.Gateway.MaxSignedBodyBytes}
		if cfg.Gateway.MetricsListen != "" {
			m := gateway.NewMetrics(gateway.MetricsConfig{State: snaps.Current, Failures: snaps.Failures,
				FailuresTotal: snaps.FailuresTotal, Fresh: snaps.Health, Health: health})
			msrv, err := serveMetrics(cfg.Gateway.MetricsListen, m, healthz(snaps.Health, cfg.Gateway.ServeStaleSnapshot), log)
			if err != nil {
				ln.Close()
				return &exitError{code: exitFailed, err: err}
			}
			defer msrv.Close()
			gcfg.Metrics = m
		}
		flowPath := cfg.Gateway.FlowLogFile
		if len(cfg.Gateway.Endpoints) > 0 {
			if flowPath == "" {
				flowPath = filepath.Join(cfg.Data, "flow-logs.log")
			}
			f, err := os.OpenFile(flowPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
			if err != nil {
				ln.Close()
				return &exitError{code: exitFailed, err: fmt.Errorf("gateway: flow log: %w", err)}
			}
			defer f.Close()
			gcfg.FlowLog = gateway.NewFlowLog(f)
			apiLogPath := cfg.Gateway.APIAccessLogFile
			if apiLogPath == "" {
				apiLogPath = filepath.Join(cfg.Data, "api-access.log")
			}
			af, err := os.OpenFile(apiLogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
			if err != nil {
				ln.Close()
				return &exitError{code: exitFailed, err: fmt.Errorf("gateway: API access log: %w", err)}
			}
			defer af.Close()
			gcfg.APIAccessLog = gateway.NewAPIAccessLog(af)
		}
		g, err := gateway.New(gcfg)
		if err != nil {
			ln.Close()
			return &exitError{code: exitFailed, err: err}
		}
		if gw, err = g.Start(cfg.Gateway.Ingress); err != nil {
			ln.Close()
			return &exitError{code: exitFailed, err: fmt.Errorf("gateway: %w", err)}
		}
		for i, a := range gw.Addrs() {
			in := cfg.Gateway.Ingress[i]
			lp := in.ListenerPort
			if lp == 0 {
				lp = a.(*net.TCPAddr).Port
			}
			ingress = append(ingress, a.String())
			scheme := "http://"
			if in.TLS != nil {
				scheme = "https://"
			}
			log.Info("gateway ingress listening", "address", scheme+a.String(), "vpc", in.VPC, "listenerPort", lp, "accessLogs", dir)
		}
		if eps, err = g.StartEndpoints(cfg.Gateway.Endpoints); err != nil {
			gw.Shutdown(context.Background())
			ln.Close()
			return &exitError{code: exitFailed, err: fmt.Errorf("gateway: %w", err)}
		}
		for i, a := range eps.Addrs() {
			ingress = append(ingress, a.String())
			in := cfg.Gateway.Endpoints[i]
			if in.Endpoint != "" {
				log.Info("gateway endpoint listening", "address", a.String(), "endpoint", in.Endpoint, "flowLog", flowPath)
			} else {
				log.Info("gateway endpoint listening", "address", a.String(), "vpc", in.VPC, "destination", in.Destination, "flowLog", flowPath)
			}
		}
	}
	addr := ln.Addr().String()
	log.Info("control plane listening (VPC Lattice, STS and trellis APIs)", "address", "http://"+addr, "region", cfg.Region, "data", cfg.Data)
	log.Info("try it", "command", fmt.Sprintf("AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=%s aws vpc-lattice list-services --endpoint-url http://%s --region %s", credPath, controlplane.AdminProfile, addr, cfg.Region))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(addr, ingress)
	}
	var gwErr, epErr <-chan error
	if gw != nil {
		gwErr, epErr = gw.Err(), eps.Err()
	}
	select {
	case err := <-errc:
		return &exitError{code: exitFailed, err: err}
	case err := <-gwErr:
		return &exitError{code: exitFailed, err: fmt.Errorf("gateway: %w", err)}
	case err := <-epErr:
		return &exitError{code: exitFailed, err: fmt.Errorf("gateway: %w", err)}
	case <-ctx.Done():
	}
	log.Info("stopping: finishing requests in flight", "timeout", drain.String())
	sctx, scancel := context.WithTimeout(context.Background(), drain)
	defer scancel()
	if gw != nil {
		if err := errors.Join(gw.Shutdown(sctx), eps.Shutdown(sctx)); err != nil {
			log.Warn("gateway requests still in flight were cut off", "err", err)
		}
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still in flight were cut off", "err", err)
	}
	log.Info("stopped")
	return nil
}

// serveMetrics serves Prometheus metrics at /metrics on addr, until the
// server it returns is closed.
func serveMetrics(addr string, m *gateway.Metrics, health http.Handler, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.Handle("GET /healthz", health)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go srv.Serve(ln)
	log.Info("metrics listening", "address", "http://"+ln.Addr().String()+"/metrics")
	return srv, nil
}

// upstreamTimeout turns gateway.upstreamTimeout, already validated, into
// gateway.Config.UpstreamTimeout: empty is the default, "0s" no limit.
func upstreamTimeout(s string) time.Duration {
	if s == "" {
		return 0
	}
	d, _ := time.ParseDuration(s)
	if d == 0 {
		return -1
	}
	return d
}

// healthz answers whether the gateway serves traffic as configured: 200
// while the configuration is current, 503 while it may be out of date and
// the gateway refuses requests. With serveStale the gateway keeps serving,
// so the check passes and says so; trellis_config_stale is the alert.
func healthz(fresh func() error, serveStale bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		err := fresh()
		switch {
		case err == nil:
			io.WriteString(w, "ok\n")
		case serveStale:
			io.WriteString(w, "serving a stale configuration (gateway.serveStaleSnapshot): "+err.Error()+"\n")
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "refusing requests: "+err.Error()+"\n")
		}
	})
}

// pruneSessions deletes STS sessions a day after they expired, hourly.
func pruneSessions(ctx context.Context, st store.Store, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := snapshot.PruneSessions(ctx, st, time.Now().Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			log.Warn("pruning expired sessions failed", "err", err)
		} else if n > 0 {
			log.Info("pruned expired sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
