package gateway

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// ProxyProtocol makes an ingress read the PROXY protocol (version 2, the
// binary form) that a load balancer in front of it sends at the start of
// each connection, so that the caller's address is the one the load
// balancer saw rather than the load balancer's own.
//
// Only the peers listed are trusted: a connection from one of them must
// start with a PROXY v2 header; a connection from any other peer is served
// with its TCP peer address, and is closed if it starts with a PROXY
// header (version 1 or 2), which would otherwise be a way to claim any
// address.
type ProxyProtocol struct {
	// TrustedPeers lists the prefixes of the TCP peers (the load
	// balancers) whose PROXY headers are believed. They are matched
	// against the real peer address, before the ingress's sourceMap.
	// Required.
	TrustedPeers []netip.Prefix `json:"trustedPeers"`
}

// check validates the PROXY protocol settings of the ingress at listen.
func (p *ProxyProtocol) check(listen string) error {
	if len(p.TrustedPeers) == 0 {
		return fmt.Errorf("ingress %s: proxyProtocol.trustedPeers must list at least one prefix", listen)
	}
	for i, pr := range p.TrustedPeers {
		if !pr.IsValid() {
			return fmt.Errorf("ingress %s: proxyProtocol.trustedPeers[%d] is not a prefix such as 10.0.0.0/24", listen, i)
		}
	}
	return nil
}

// trusts reports whether a TCP peer may send PROXY headers.
func (p *ProxyProtocol) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, pr := range p.TrustedPeers {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// Limits of the PROXY protocol reader.
const (
	// proxyHeaderTimeout is how long a peer has to send its PROXY header.
	proxyHeaderTimeout = 5 * time.Second
	// maxProxyHeader is the largest PROXY v2 header accepted, the 16 fixed
	// bytes included: room for any address block and a few kilobytes of
	// TLVs, far less than the 64 KiB the length field allows.
	maxProxyHeader = 4096
)

// proxySig is the 12-byte signature that starts a PROXY v2 header.
var proxySig = []byte("\r\n\r\n\x00\r\nQUIT\n")

// proxyV1Sig starts a PROXY v1 (text) header.
var proxyV1Sig = []byte("PROXY ")

// proxyHeader is what a PROXY v2 header says.
type proxyHeader struct {
	// local is true for the LOCAL command (a connection the proxy made
	// itself, such as a health check) and for addresses that are not
	// IPv4 or IPv6 (AF_UNSPEC, AF_UNIX): the TCP peer is used.
	local bool
	// source is the original caller, valid when local is false.
	source netip.AddrPort
}

// Address families and transports of byte 14.
const (
	famUnspec = 0x0
	famInet   = 0x1
	famInet6  = 0x2
	famUnix   = 0x3

	transUnspec = 0x0
	transStream = 0x1
	transDgram  = 0x2
)

// parseProxyHeader parses one complete PROXY v2 header, b, which must be
// exactly 16 bytes plus the length its bytes 15 and 16 give.
func parseProxyHeader(b []byte) (proxyHeader, error) {
	if len(b) < 16 {
		return proxyHeader{}, fmt.Errorf("PROXY header: %d bytes, shorter than the 16 of the fixed part", len(b))
	}
	if !bytes.Equal(b[:12], proxySig) {
		return proxyHeader{}, errors.New("PROXY header: bad signature")
	}
	if v := b[12] >> 4; v != 2 {
		return proxyHeader{}, fmt.Errorf("PROXY header: version %d, want 2", v)
	}
	n := int(binary.BigEndian.Uint16(b[14:16]))
	if len(b) != 16+n {
		return proxyHeader{}, fmt.Errorf("PROXY header: %d bytes after the fixed part, length field says %d", len(b)-16, n)
	}
	body := b[16:]
	var h proxyHeader
	switch cmd := b[12] & 0xf; cmd {
	case 0x0:
		// LOCAL: the proxy's own connection. The rest of the header,
		// family included, is to be ignored.
		return proxyHeader{local: true}, nil
	case 0x1: // PROXY
	default:
		return proxyHeader{}, fmt.Errorf("PROXY header: unknown command %#x", cmd)
	}
	fam, trans := b[13]>>4, b[13]&0xf
	if trans > transDgram {
		return proxyHeader{}, fmt.Errorf("PROXY header: unknown transport %#x", trans)
	}
	var addrLen int
	switch fam {
	case famUnspec:
		h.local = true
	case famInet:
		addrLen = 12
	case famInet6:
		addrLen = 36
	case famUnix:
		addrLen = 216
		h.local = true
	default:
		return proxyHeader{}, fmt.Errorf("PROXY header: unknown address family %#x", fam)
	}
	if len(body) < addrLen {
		return proxyHeader{}, fmt.Errorf("PROXY header: %d bytes of addresses, family %#x needs %d", len(body), fam, addrLen)
	}
	if !h.local {
		if trans != transStream {
			return proxyHeader{}, fmt.Errorf("PROXY header: transport %#x, want STREAM (TCP)", trans)
		}
		switch fam {
		case famInet:
			h.source = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[0:4])), binary.BigEndian.Uint16(body[8:10]))
		case famInet6:
			h.source = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[0:16])).Unmap(), binary.BigEndian.Uint16(body[32:34]))
		}
	}
	// TLVs (type, 2-byte length, value) follow the addresses; none is
	// used, but they must be well formed.
	for tlvs := body[addrLen:]; len(tlvs) > 0; {
		if len(tlvs) < 3 {
			return proxyHeader{}, fmt.Errorf("PROXY header: TLV of %d bytes, shorter than its 3-byte head", len(tlvs))
		}
		l := int(binary.BigEndian.Uint16(tlvs[1:3]))
		if len(tlvs) < 3+l {
			return proxyHeader{}, fmt.Errorf("PROXY header: TLV type %#x of length %d overruns the header by %d bytes", tlvs[0], l, 3+l-len(tlvs))
		}
		tlvs = tlvs[3+l:]
	}
	return h, nil
}

// readProxyHeader reads one PROXY v2 header from r; a header longer than
// maxProxyHeader is refused before its body is read.
func readProxyHeader(r io.Reader) (proxyHeader, error) {
	var fixed [16]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return proxyHeader{}, fmt.Errorf("PROXY header: %w", err)
	}
	if !bytes.Equal(fixed[:12], proxySig) {
		return proxyHeader{}, errors.New("PROXY header: bad signature")
	}
	n := int(binary.BigEndian.Uint16(fixed[14:16]))
	if 16+n > maxProxyHeader {
		return proxyHeader{}, fmt.Errorf("PROXY header: %d bytes, more than the %d accepted", 16+n, maxProxyHeader)
	}
	b := make([]byte, 16+n)
	copy(b, fixed[:])
	if _, err := io.ReadFull(r, b[16:]); err != nil {
		return proxyHeader{}, fmt.Errorf("PROXY header: %w", err)
	}
	return parseProxyHeader(b)
}

// proxyListener wraps the listener of an ingress with PROXY protocol
// settings.
type proxyListener struct {
	net.Listener
	cfg *ProxyProtocol
	log *slog.Logger
}

// Accept returns the next connection. Its PROXY header, if any, is read
// later, on the connection's own goroutine, so that a slow peer cannot
// hold up the others.
func (l *proxyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &proxyConn{Conn: c, l: l}, nil
}

// proxyConn is a connection whose caller address may come from a PROXY
// header. The header is read by the first Read or RemoteAddr; when it is
// missing where required, malformed, or sent by an untrusted peer, the
// connection is closed and every Read fails.
type proxyConn struct {
	net.Conn
	l    *proxyListener
	once sync.Once
	err  error
	// remote is the caller: from the header, or the TCP peer.
	remote net.Addr
	// pending holds bytes read while looking for a header that belong to
	// the stream after it.
	pending []byte

	mu sync.Mutex
	// readDeadline is the last read deadline the server set, restored
	// after the header is read.
	readDeadline time.Time
}

// CloseWrite half-closes the connection (see closeWrite).
func (c *proxyConn) CloseWrite() error { return closeWrite(c.Conn) }

// closeWrite half-closes c when it can. net/http half-closes a connection
// it rejects a request on (a 431 for oversized headers, say) and waits a
// moment before closing it, so that the caller reads the whole answer
// before the unread rest of its request makes the kernel reset the
// connection. Wrapped connections must pass it on.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *proxyConn) init() {
	c.once.Do(func() {
		c.remote = c.Conn.RemoteAddr()
		peer := addrPort(c.remote.String())
		c.Conn.SetReadDeadline(time.Now().Add(proxyHeaderTimeout))
		if c.l.cfg.trusts(peer.Addr()) {
			c.err = c.readTrusted()
		} else {
			c.err = c.checkUntrusted()
		}
		c.mu.Lock()
		c.Conn.SetReadDeadline(c.readDeadline)
		c.mu.Unlock()
		if c.err != nil {
			c.l.log.Warn("connection refused", "peer", peer.String(), "err", c.err)
			c.Conn.Close()
		}
	})
}

// readTrusted reads the header a trusted peer must send.
func (c *proxyConn) readTrusted() error {
	h, err := readProxyHeader(c.Conn)
	if err != nil {
		return fmt.Errorf("from a trusted peer: %w", err)
	}
	if !h.local {
		c.remote = net.TCPAddrFromAddrPort(h.source)
	}
	return nil
}

// checkUntrusted reads from an untrusted peer only as many bytes as it
// takes to tell that the stream does not start with a PROXY header, and
// keeps them for the server.
func (c *proxyConn) checkUntrusted() error {
	buf := make([]byte, 0, len(proxySig))
	for {
		if bytes.HasPrefix(buf, proxyV1Sig) || bytes.Equal(buf, proxySig) {
			return errors.New("PROXY header from a peer that is not in trustedPeers")
		}
		if !bytes.HasPrefix(proxySig, buf) && !bytes.HasPrefix(proxyV1Sig, buf) {
			c.pending = buf
			return nil
		}
		n, err := c.Conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil && n == 0 {
			// The peer closed or stalled before saying anything that
			// tells: hand what there is to the server.
			c.pending = buf
			return nil
		}
	}
}

// Read reads after the PROXY header.
func (c *proxyConn) Read(p []byte) (int, error) {
	c.init()
	if c.err != nil {
		return 0, c.err
	}
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// RemoteAddr returns the caller's address: from the PROXY header when a
// trusted peer sent one.
func (c *proxyConn) RemoteAddr() net.Addr {
	c.init()
	return c.remote
}

// SetDeadline remembers the read deadline for after the header.
func (c *proxyConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDeadline = t
	return c.Conn.SetDeadline(t)
}

// SetReadDeadline remembers the read deadline for after the header.
func (c *proxyConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDeadline = t
	return c.Conn.SetReadDeadline(t)
}
