package gateway

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
)

// v2Header builds a PROXY v2 header: version/command byte, family and
// transport byte, then body (addresses and TLVs).
func v2Header(verCmd, famTrans byte, body ...[]byte) []byte {
	b := append([]byte(nil), proxySig...)
	b = append(b, verCmd, famTrans, 0, 0)
	for _, p := range body {
		b = append(b, p...)
	}
	binary.BigEndian.PutUint16(b[14:16], uint16(len(b)-16))
	return b
}

// inet is an IPv4 address block: source, destination, their ports.
func inet(src, dst string, sport, dport uint16) []byte {
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	b := append(s[:], d[:]...)
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, sport), dport)
}

// inet6 is an IPv6 address block.
func inet6(src, dst string, sport, dport uint16) []byte {
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	b := append(s[:], d[:]...)
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, sport), dport)
}

// tlv is one TLV.
func tlv(typ byte, value string) []byte {
	return append(binary.BigEndian.AppendUint16([]byte{typ}, uint16(len(value))), value...)
}

func TestParseProxyHeader(t *testing.T) {
	v4 := inet("192.0.2.10", "10.0.0.1", 51234, 443)
	v6 := inet6("2001:db8::7", "2001:db8::1", 4000, 80)
	for _, c := range []struct {
		name   string
		in     []byte
		local  bool
		source string
		err    string
	}{
		{"IPv4", v2Header(0x21, 0x11, v4), false, "192.0.2.10:51234", ""},
		{"IPv6", v2Header(0x21, 0x21, v6), false, "[2001:db8::7]:4000", ""},
		{"IPv4-mapped IPv6", v2Header(0x21, 0x21, inet6("::ffff:192.0.2.9", "::1", 1, 2)), false, "192.0.2.9:1", ""},
		{"LOCAL", v2Header(0x20, 0x00), true, "", ""},
		{"LOCAL with addresses", v2Header(0x20, 0x11, v4), true, "", ""},
		{"LOCAL ignores the family", v2Header(0x20, 0x71, []byte{1, 2, 3}), true, "", ""},
		{"PROXY of AF_UNSPEC", v2Header(0x21, 0x00), true, "", ""},
		{"AF_UNIX", v2Header(0x21, 0x31, make([]byte, 216)), true, "", ""},
		{"TLVs skipped", v2Header(0x21, 0x11, v4, tlv(0x01, "h2"), tlv(0xEA, "\x01vpce-0123456789abcdef0"), tlv(0x04, "")), false, "192.0.2.10:51234", ""},
		{"IPv4 with IPv6 TLV padding", v2Header(0x21, 0x11, v4, tlv(0x04, strings.Repeat("\x00", 100))), false, "192.0.2.10:51234", ""},
		{"bad signature", append([]byte("\r\n\r\n\x00\r\nQUIZ\n"), v2Header(0x21, 0x11, v4)[12:]...), false, "", "bad signature"},
		{"HTTP request", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, "", "bad signature"},
		{"version 1 byte", v2Header(0x11, 0x11, v4), false, "", "version 1, want 2"},
		{"version 3", v2Header(0x31, 0x11, v4), false, "", "version 3, want 2"},
		{"unknown command", v2Header(0x22, 0x11, v4), false, "", "unknown command"},
		{"unknown family", v2Header(0x21, 0x41, v4), false, "", "unknown address family"},
		{"unknown transport", v2Header(0x21, 0x13, v4), false, "", "unknown transport"},
		{"UDP", v2Header(0x21, 0x12, v4), false, "", "want STREAM"},
		{"IPv4 addresses truncated", v2Header(0x21, 0x11, v4[:11]), false, "", "needs 12"},
		{"IPv6 addresses truncated", v2Header(0x21, 0x21, v4), false, "", "needs 36"},
		{"TLV head truncated", v2Header(0x21, 0x11, v4, []byte{0x01, 0x00}), false, "", "shorter than its 3-byte head"},
		{"TLV value truncated", v2Header(0x21, 0x11, v4, tlv(0x01, "h2")[:4]), false, "", "overruns the header by 1"},
		{"length beyond the bytes", v2Header(0x21, 0x11, v4)[:20], false, "", "length field says 12"},
		{"fixed part truncated", v2Header(0x21, 0x11, v4)[:15], false, "", "shorter than the 16"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, err := parseProxyHeader(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.local != c.local || (!c.local && h.source.String() != c.source) {
				t.Errorf("got local %v source %s, want %v %s", h.local, h.source, c.local, c.source)
			}
		})
	}
}

func TestReadProxyHeader(t *testing.T) {
	v4 := inet("192.0.2.10", "10.0.0.1", 51234, 443)
	big := v2Header(0x21, 0x11, v4, tlv(0xE0, strings.Repeat("x", maxProxyHeader)))
	for _, c := range []struct {
		name string
		in   []byte
		rest string
		err  string
	}{
		{"header then request", append(v2Header(0x21, 0x11, v4), "GET / HTTP/1.1\r\n"...), "GET / HTTP/1.1\r\n", ""},
		{"too large", big, "", "more than the 4096 accepted"},
		{"closed in the fixed part", v2Header(0x21, 0x11, v4)[:10], "", "unexpected EOF"},
		{"closed in the body", v2Header(0x21, 0x11, v4)[:20], "", "unexpected EOF"},
		{"not a header", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "", "bad signature"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := bytes.NewReader(c.in)
			_, err := readProxyHeader(r)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rest := c.in[len(c.in)-r.Len():]; string(rest) != c.rest {
				t.Errorf("left %q, want %q", rest, c.rest)
			}
		})
	}
}

func TestProxyProtocolCheck(t *testing.T) {
	for _, c := range []struct {
		p   ProxyProtocol
		err string
	}{
		{ProxyProtocol{TrustedPeers: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}}, ""},
		{ProxyProtocol{}, "at least one prefix"},
		{ProxyProtocol{TrustedPeers: []netip.Prefix{{}}}, "trustedPeers[0] is not a prefix"},
	} {
		err := c.p.check("127.0.0.1:80")
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%+v: err %v, want %q", c.p, err, c.err)
		}
	}
}

// FuzzParseProxyHeader checks that no input makes the parser panic, and
// that what it accepts is consistent.
func FuzzParseProxyHeader(f *testing.F) {
	f.Add(v2Header(0x21, 0x11, inet("192.0.2.10", "10.0.0.1", 1, 2)))
	f.Add(v2Header(0x21, 0x21, inet6("2001:db8::7", "2001:db8::1", 1, 2), tlv(1, "h2")))
	f.Add(v2Header(0x20, 0x00))
	f.Add(v2Header(0x21, 0x31, make([]byte, 216)))
	f.Add([]byte("PROXY TCP4 192.0.2.1 10.0.0.1 1 2\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseProxyHeader(b)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(b, proxySig) || b[12]>>4 != 2 || len(b) != 16+int(binary.BigEndian.Uint16(b[14:16])) {
			t.Fatalf("accepted %x", b)
		}
		if !h.local && !h.source.IsValid() {
			t.Fatalf("no source and not local for %x", b)
		}
		if _, err := readProxyHeader(bytes.NewReader(b)); err != nil && len(b) <= maxProxyHeader {
			t.Fatalf("readProxyHeader refused what parseProxyHeader accepts: %v", err)
		}
	})
}
