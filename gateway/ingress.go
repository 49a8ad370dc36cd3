package gateway

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts of an ingress when its configuration names none.
const (
	// DefaultIdleTimeout is how long a connection may wait for its next
	// request.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultReadHeaderTimeout is how long a caller has to send a
	// request's headers (and, with TLS, to finish the handshake).
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultMaxHeaderBytes bounds a request's header section by default.
	DefaultMaxHeaderBytes = 64 << 10
)

// A Duration is a time.Duration written in JSON (and YAML) as a string
// such as "90s" or "2m".
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string such as "90s"; a bare number is
// refused, as its unit would be a guess.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as \"90s\", not %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %v", s, err)
	}
	*d = Duration(v)
	return nil
}

// orDefault returns d, or def when d is zero.
func (d Duration) orDefault(def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}

// checkEdge validates the ingress's TLS, PROXY protocol and timeout
// settings.
func (in *Ingress) checkEdge() error {
	if in.TLS != nil {
		if err := in.TLS.check(in.Listen); err != nil {
			return err
		}
	}
	if in.ProxyProtocol != nil {
		if err := in.ProxyProtocol.check(in.Listen); err != nil {
			return err
		}
	}
	if in.IdleTimeout < 0 {
		return fmt.Errorf("ingress %s: idleTimeout %s is negative", in.Listen, time.Duration(in.IdleTimeout))
	}
	if in.ReadHeaderTimeout < 0 {
		return fmt.Errorf("ingress %s: readHeaderTimeout %s is negative", in.Listen, time.Duration(in.ReadHeaderTimeout))
	}
	if in.MaxConnections < 0 {
		return fmt.Errorf("ingress %s: maxConnections %d is negative", in.Listen, in.MaxConnections)
	}
	if in.MaxHeaderBytes < 0 {
		return fmt.Errorf("ingress %s: maxHeaderBytes %d is negative", in.Listen, in.MaxHeaderBytes)
	}
	return nil
}

// orDefault returns n, or def when n is zero.
func orDefault(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

// listen opens the listener of an ingress: TCP with its connection
// limit, then the PROXY protocol reader, then TLS, as configured.
func (in *Ingress) listen(log *slog.Logger) (net.Listener, error) {
	var certs *certSource
	if in.TLS != nil {
		var err error
		if certs, err = newCertSource(in.TLS, log); err != nil {
			return nil, fmt.Errorf("ingress %s: %w", in.Listen, err)
		}
	}
	ln, err := net.Listen("tcp", in.Listen)
	if err != nil {
		return nil, err
	}
	ln = limitConnections(ln, in.MaxConnections)
	if in.ProxyProtocol != nil {
		ln = &proxyListener{Listener: ln, cfg: in.ProxyProtocol, log: log.With("ingress", ln.Addr().String())}
	}
	if certs != nil {
		ln = tls.NewListener(ln, serverTLS(certs))
	}
	return ln, nil
}

// server returns the HTTP server of an ingress.
func (in *Ingress) server(h http.Handler, log *slog.Logger) *http.Server {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	if in.TLS != nil {
		p.SetHTTP2(true)
	} else {
		// HTTP/2 with prior knowledge (h2c), which gRPC clients use
		// without TLS.
		p.SetUnencryptedHTTP2(true)
	}
	return &http.Server{
		Handler:           h,
		Protocols:         p,
		ReadHeaderTimeout: in.ReadHeaderTimeout.orDefault(DefaultReadHeaderTimeout),
		IdleTimeout:       in.IdleTimeout.orDefault(DefaultIdleTimeout),
		MaxHeaderBytes:    orDefault(in.MaxHeaderBytes, DefaultMaxHeaderBytes),
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
