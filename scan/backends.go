package scan

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/internal/orderhistory"
)

// What a backend of a live run serves.
const (
	backendOrderHistory = "order-history"
	backendEcho         = "echo"
)

// BackendHeader is set on every answer of a live run's backends (to the
// backend's name), so that the scanner knows that a call reached one: a
// gateway never adds it itself.
const BackendHeader = "X-Trellis-Scan-Backend"

// backends are the servers a live run starts: one per declared backend,
// and the echo backend that serves every integration no declared backend
// claims and every VPC Lattice service.
type backends struct {
	servers []*http.Server
	// byHost maps a declared backend's host (HOST:PORT of its URL) to the
	// address it was started on.
	byHost map[string]string
	echo   netip.AddrPort
}

// startBackends starts the scenario's backends on 127.0.0.1.
func startBackends(decl []Backend) (*backends, error) {
	b := &backends{byHost: map[string]string{}}
	history, err := orderhistory.New()
	if err != nil {
		return nil, err
	}
	start := func(name string, h http.Handler) (netip.AddrPort, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return netip.AddrPort{}, err
		}
		srv := &http.Server{Handler: marked(name, h), ReadHeaderTimeout: 10 * time.Second}
		b.servers = append(b.servers, srv)
		go srv.Serve(ln)
		return netip.MustParseAddrPort(ln.Addr().String()), nil
	}
	if b.echo, err = start(backendEcho, http.HandlerFunc(echo)); err != nil {
		return nil, errors.Join(err, b.close())
	}
	for _, d := range decl {
		var h http.Handler = http.HandlerFunc(echo)
		if d.Serve == backendOrderHistory {
			h = history
		}
		addr, err := start(d.Serve, h)
		if err != nil {
			return nil, errors.Join(err, b.close())
		}
		b.byHost[originHost(d.URL)] = addr.String()
	}
	return b, nil
}

// rewrite points an integration URI at a started backend: the declared
// one for its host, else the echo backend.
func (b *backends) rewrite(uri string) string {
	_, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return uri
	}
	host, path, _ := strings.Cut(rest, "/")
	to, ok := b.byHost[host]
	if !ok {
		to = b.echo.String()
	}
	return "http://" + to + "/" + path
}

// originHost returns the HOST:PORT of an origin URL such as
// http://127.0.0.1:8081.
func originHost(origin string) string {
	_, rest, _ := strings.Cut(origin, "://")
	host, _, _ := strings.Cut(rest, "/")
	return host
}

func (b *backends) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, s := range b.servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// marked sets BackendHeader on every answer of h.
func marked(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(BackendHeader, name)
		h.ServeHTTP(w, r)
	})
}

// An echoAnswer is what the echo backend answers: what it received.
type echoAnswer struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Identity is the identity header the gateway set: API Gateway's or
	// VPC Lattice's.
	Identity string `json:"identity"`
}

func echo(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get(gateway.HeaderAPIIdentity)
	if id == "" {
		id = r.Header.Get(gateway.HeaderIdentity)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(echoAnswer{Method: r.Method, Path: r.URL.Path, Identity: id})
}
