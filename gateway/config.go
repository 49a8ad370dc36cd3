package gateway

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/policy"
)

// An Ingress is one address where callers of one VPC reach their services:
// what VPC Lattice's link-local endpoint is to the VPCs associated with a
// service network. Which VPC a caller is in comes from the ingress it
// connected to, never from anything the caller sends.
type Ingress struct {
	// Listen is the address to listen on, HOST:PORT, such as
	// "127.0.0.1:8080".
	Listen string `json:"listen"`
	// VPC is the ID of the callers' VPC, such as "vpc-0a1b2c3d4e5f60718".
	// The services reachable are those of the service networks this VPC
	// is associated with.
	VPC string `json:"vpc"`
	// VPCOwner is the account that owns the VPC; when empty, the account of
	// the VPC's service network association.
	VPCOwner string `json:"vpcOwner,omitempty"`
	// ListenerPort selects the service listener requests reach: the
	// listener on this port, or, when the service has no listener on it,
	// its only listener. Zero means the port of Listen.
	ListenerPort int `json:"listenerPort,omitempty"`
	// SourceMap translates caller addresses before they are used (for
	// aws:SourceIp, X-Forwarded-For and the access log), so that a lab on
	// one machine can give callers VPC-like addresses: a caller at
	// 127.199.3.4 with the entry {127.199.0.0/16 → 10.199.0.0/16} is seen
	// as 10.199.3.4. Addresses that match no entry are used as they are.
	SourceMap []AddressMap `json:"sourceMap,omitempty"`
	// TLS, when set, makes the ingress accept TLS connections only, with
	// this certificate; aws:SecureTransport is then true and
	// X-Forwarded-Proto is https.
	TLS *IngressTLS `json:"tls,omitempty"`
	// ProxyProtocol, when set, takes the caller's address from the PROXY
	// protocol v2 header that trusted load balancers send; sourceMap
	// then applies to that address.
	ProxyProtocol *ProxyProtocol `json:"proxyProtocol,omitempty"`
	// IdleTimeout is how long a connection may wait for its next request
	// before it is closed; zero means DefaultIdleTimeout.
	IdleTimeout Duration `json:"idleTimeout,omitempty"`
	// ReadHeaderTimeout is how long a caller has to send the headers of a
	// request (and to finish the TLS handshake); zero means
	// DefaultReadHeaderTimeout.
	ReadHeaderTimeout Duration `json:"readHeaderTimeout,omitempty"`
	// MaxConnections, when positive, is how many connections the ingress
	// holds open at a time; further callers wait until one closes. Zero
	// means no limit.
	MaxConnections int `json:"maxConnections,omitempty"`
	// MaxHeaderBytes bounds the size of a request's header section (the
	// request line and headers); larger requests get 431. Zero means
	// DefaultMaxHeaderBytes.
	MaxHeaderBytes int `json:"maxHeaderBytes,omitempty"`
	// Engine is what serves the ingress: EngineGoroutines (net/http's
	// server, the default) or EngineEventLoop (event loops, for plain HTTP
	// on Linux).
	Engine string `json:"engine,omitempty"`
	// EventLoops is how many event loops serve the ingress with
	// EngineEventLoop; zero means one per processor Go uses (GOMAXPROCS).
	EventLoops int `json:"eventLoops,omitempty"`
}

// An AddressMap maps the addresses of one prefix onto another prefix of
// the same length and family.
type AddressMap struct {
	From netip.Prefix `json:"from"`
	To   netip.Prefix `json:"to"`
}

// check validates the ingress and returns the listener port it selects.
func (in *Ingress) check() (int, error) {
	_, port, err := net.SplitHostPort(in.Listen)
	if err != nil {
		return 0, fmt.Errorf("ingress %q: the listen address must be HOST:PORT: %v", in.Listen, err)
	}
	var v model.Validator
	if !v.VPCID("vpc", in.VPC) {
		return 0, fmt.Errorf("ingress %s: vpc %q is not a VPC ID (vpc- and 8 or 17 characters of 0-9 a-z)", in.Listen, in.VPC)
	}
	if in.VPCOwner != "" && !policy.IsAccountID(in.VPCOwner) {
		return 0, fmt.Errorf("ingress %s: vpcOwner %q is not a 12-digit account ID", in.Listen, in.VPCOwner)
	}
	if err := checkSourceMap("ingress "+in.Listen, in.SourceMap); err != nil {
		return 0, err
	}
	if err := in.checkEngine(); err != nil {
		return 0, err
	}
	if err := in.checkEdge(); err != nil {
		return 0, err
	}
	lp := in.ListenerPort
	if lp == 0 {
		p, err := strconv.Atoi(port)
		if err != nil || p == 0 {
			return 0, fmt.Errorf("ingress %s: with port 0 (any free port) listenerPort must be set", in.Listen)
		}
		lp = p
	}
	if lp < 1 || lp > 65535 {
		return 0, errors.New("ingress " + in.Listen + ": listenerPort must be between 1 and 65535")
	}
	return lp, nil
}

// checkSourceMap validates a source map: each entry maps a prefix onto one
// of the same family and length.
func checkSourceMap(where string, maps []AddressMap) error {
	for i, m := range maps {
		if !m.From.IsValid() || !m.To.IsValid() {
			return fmt.Errorf("%s: sourceMap[%d] needs both from and to prefixes", where, i)
		}
		if m.From.Bits() != m.To.Bits() || m.From.Addr().Is4() != m.To.Addr().Is4() {
			return fmt.Errorf("%s: sourceMap[%d]: %s and %s must be the same family and length", where, i, m.From, m.To)
		}
	}
	return nil
}

// mapSource translates a caller's address by the ingress's source map.
func (in *Ingress) mapSource(a netip.Addr) netip.Addr { return mapSource(in.SourceMap, a) }

// mapSource translates an address by the first entry whose From prefix
// contains it.
func mapSource(maps []AddressMap, a netip.Addr) netip.Addr {
	a = a.Unmap()
	for _, m := range maps {
		if !m.From.Contains(a) {
			continue
		}
		to := m.To.Masked().Addr().AsSlice()
		src := a.AsSlice()
		bits := m.From.Bits()
		for i := range src {
			// Keep the host bits of src, take the network bits of to.
			var mask byte
			switch {
			case bits >= 8*(i+1):
				mask = 0xff
			case bits > 8*i:
				mask = byte(0xff << (8 - (bits - 8*i)))
			}
			src[i] = to[i]&mask | src[i]&^mask
		}
		out, _ := netip.AddrFromSlice(src)
		return out
	}
	return a
}
