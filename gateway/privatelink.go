package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/trellisproject/trellis/network"
)

// Defaults of the TCP proxy to endpoint services.
const (
	// DefaultServiceDialTimeout bounds how long connecting to one target
	// of an endpoint service may take.
	DefaultServiceDialTimeout = 5 * time.Second
	// DefaultServiceIdleTimeout closes a proxied connection that carried
	// no data either way for this long: a Network Load Balancer's idle
	// timeout for TCP flows.
	DefaultServiceIdleTimeout = 350 * time.Second
)

// destination is an EndpointIngress's Destination, parsed: a DNS name or
// an address, and a port.
type destination struct {
	name string
	addr netip.Addr
	port uint16
}

func parseDestination(s string) (destination, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return destination{}, fmt.Errorf("%q is not HOST:PORT: give what callers dial, such as orders.provider.example:443 or 203.0.113.10:443", s)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return destination{}, fmt.Errorf("%q has no valid port: use 1-65535", s)
	}
	d := destination{port: uint16(p)}
	if a, err := netip.ParseAddr(host); err == nil {
		if !a.Is4() {
			return destination{}, fmt.Errorf("%q: the network model has IPv4 addresses only", s)
		}
		d.addr = a
	} else {
		d.name = host
	}
	return d, nil
}

// proxySet tracks the TCP proxies running, so that Shutdown can wait for
// them and end those still running when its context ends.
type proxySet struct {
	mu      sync.Mutex
	running map[*pipe]struct{}
	wg      sync.WaitGroup
}

func newProxySet() *proxySet { return &proxySet{running: map[*pipe]struct{}{}} }

// start proxies an admitted connection to one of the service's targets, on
// its own goroutine.
func (s *proxySet) start(l *endpointListener, c *endpointConn, svc *network.Service) {
	p := &pipe{client: c}
	s.mu.Lock()
	s.running[p] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer func() {
			s.mu.Lock()
			delete(s.running, p)
			s.mu.Unlock()
			s.wg.Done()
		}()
		l.proxy(p, svc)
	}()
}

// wait waits for the proxies to finish until ctx ends, then ends the
// others and waits for them.
func (s *proxySet) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for p := range s.running {
		p.abort()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// A pipe is one proxied connection: the caller's and the target's.
type pipe struct {
	client *endpointConn
	mu     sync.Mutex
	target net.Conn
	// aborted is set once the pipe is ended; a target connected after
	// that is closed at once.
	aborted bool
}

// abort closes both connections, which ends both directions of the copy.
func (p *pipe) abort() {
	p.mu.Lock()
	p.aborted = true
	t := p.target
	p.mu.Unlock()
	p.client.Close()
	if t != nil {
		t.Close()
	}
}

// setTarget records the connected target, or reports false when the pipe
// was aborted meanwhile.
func (p *pipe) setTarget(t net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.aborted {
		return false
	}
	p.target = t
	return true
}

// proxy connects to a target of the service and copies bytes both ways
// until both sides have finished sending, one side fails, or the flow is
// idle too long. A caller's half-close is passed on to the target and the
// target's to the caller.
func (l *endpointListener) proxy(p *pipe, svc *network.Service) {
	g := l.g
	t, err := l.dialTarget(svc)
	if err != nil {
		g.log.Warn("endpoint service unreachable: connection closed", "ingress", l.in.where(), "service", svc.ID, "err", err)
		p.abort()
		return
	}
	if !p.setTarget(t) {
		t.Close()
		return
	}
	idle := g.serviceIdleTimeout
	touch := func() {
		d := time.Now().Add(idle)
		p.client.SetDeadline(d)
		t.SetDeadline(d)
	}
	touch()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := g.copyFlow(t, p.client, touch); err != nil {
			p.abort()
			return
		}
		closeWrite(t)
	}()
	if err := g.copyFlow(p.client, t, touch); err != nil {
		p.abort()
	} else {
		p.client.CloseWrite()
	}
	wg.Wait()
	p.abort()
}

// dialTarget connects to the service's targets in turn, starting with the
// next one, and returns the first connection made.
func (l *endpointListener) dialTarget(svc *network.Service) (net.Conn, error) {
	if len(svc.Targets) == 0 {
		return nil, fmt.Errorf("endpoint service %s has no targets", svc.ID)
	}
	d := net.Dialer{Timeout: l.g.serviceDialTimeout}
	first := int(l.next.Add(1)-1) % len(svc.Targets)
	var errs []error
	for i := range svc.Targets {
		c, err := d.Dial("tcp", svc.Targets[(first+i)%len(svc.Targets)])
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// copyFlow copies src to dst until src ends (nil) or either fails, calling
// touch after every read to keep the flow from idling out.
func (g *Gateway) copyFlow(dst, src net.Conn, touch func()) error {
	pooled := g.buffers.get()
	defer g.buffers.put(pooled)
	buf := *pooled
	for {
		n, err := src.Read(buf)
		if n > 0 {
			touch()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
