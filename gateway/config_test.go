package gateway

import (
	"net/netip"
	"strings"
	"testing"
)

func TestIngressCheck(t *testing.T) {
	p := netip.MustParsePrefix
	for _, c := range []struct {
		in   Ingress
		port int
		err  string
	}{
		{Ingress{Listen: "127.0.0.1:8080", VPC: "vpc-0a1b2c3d"}, 8080, ""},
		{Ingress{Listen: "127.0.0.1:0", VPC: "vpc-0a1b2c3d", ListenerPort: 80}, 80, ""},
		{Ingress{Listen: "127.0.0.1:0", VPC: "vpc-0a1b2c3d"}, 0, "listenerPort must be set"},
		{Ingress{Listen: "127.0.0.1", VPC: "vpc-0a1b2c3d"}, 0, "HOST:PORT"},
		{Ingress{Listen: "127.0.0.1:80", VPC: "subnet-1"}, 0, "not a VPC ID"},
		{Ingress{Listen: "127.0.0.1:80", VPC: "vpc-1"}, 0, "not a VPC ID"},
		{Ingress{Listen: "127.0.0.1:80", VPC: "vpc-0a1b2c3d", VPCOwner: "12"}, 0, "12-digit"},
		{Ingress{Listen: "127.0.0.1:80", VPC: "vpc-0a1b2c3d", ListenerPort: 70000}, 0, "between 1 and 65535"},
		{Ingress{Listen: "127.0.0.1:80", VPC: "vpc-0a1b2c3d", SourceMap: []AddressMap{{From: p("127.199.0.0/16")}}}, 0, "both from and to"},
		{Ingress{Listen: "127.0.0.1:80", VPC: "vpc-0a1b2c3d", SourceMap: []AddressMap{{From: p("127.199.0.0/16"), To: p("10.0.0.0/8")}}}, 0, "same family and length"},
		{Ingress{Listen: "127.0.0.1:80", VPC: "vpc-0a1b2c3d", SourceMap: []AddressMap{{From: p("127.199.0.0/16"), To: p("fd00::/16")}}}, 0, "same family and length"},
	} {
		port, err := c.in.check()
		if c.err == "" && (err != nil || port != c.port) {
			t.Errorf("%+v: port %d, err %v; want %d", c.in, port, err, c.port)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%+v: err %v, want one containing %q", c.in, err, c.err)
		}
	}
}

func TestMapSource(t *testing.T) {
	in := Ingress{SourceMap: []AddressMap{
		{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")},
		{From: netip.MustParsePrefix("127.200.0.0/20"), To: netip.MustParsePrefix("192.168.16.0/20")},
		{From: netip.MustParsePrefix("fd00:1::/32"), To: netip.MustParsePrefix("2001:db8::/32")},
	}}
	for from, want := range map[string]string{
		"127.199.3.4":        "10.199.3.4",
		"127.200.15.255":     "192.168.31.255",
		"127.200.16.1":       "127.200.16.1",
		"127.0.0.1":          "127.0.0.1",
		"::ffff:127.199.1.2": "10.199.1.2",
		"fd00:1::7":          "2001:db8::7",
	} {
		if got := in.mapSource(netip.MustParseAddr(from)).String(); got != want {
			t.Errorf("%s → %s, want %s", from, got, want)
		}
	}
}

func TestHostOnly(t *testing.T) {
	for in, want := range map[string]string{
		"billing.example.com":      "billing.example.com",
		"billing.example.com:8080": "billing.example.com",
		"[::1]:80":                 "::1",
		"[::1]":                    "::1",
	} {
		if got := hostOnly(in); got != want {
			t.Errorf("hostOnly(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEndpointIngressCheck(t *testing.T) {
	p := netip.MustParsePrefix
	for _, c := range []struct {
		in  EndpointIngress
		err string
	}{
		{EndpointIngress{Listen: "127.0.0.1:8443", Endpoint: "vpce-aaaa0001"}, ""},
		{EndpointIngress{Listen: "127.0.0.1:0", Endpoint: "vpce-aaaa0001", SourceMap: []AddressMap{{From: p("127.199.0.0/16"), To: p("10.199.0.0/16")}}}, ""},
		{EndpointIngress{Listen: "127.0.0.1", Endpoint: "vpce-aaaa0001"}, "HOST:PORT"},
		{EndpointIngress{Listen: "127.0.0.1:8443", Endpoint: "vpc-aaaa0001"}, "not an interface endpoint ID"},
		{EndpointIngress{Listen: "127.0.0.1:8443", Endpoint: "vpce-aaaa0001", SourceMap: []AddressMap{{To: p("10.0.0.0/8")}}}, "both from and to"},
		{EndpointIngress{Listen: "127.0.0.1:8443", Endpoint: "vpce-aaaa0001", SourceMap: []AddressMap{{From: p("127.199.0.0/16"), To: p("10.0.0.0/8")}}}, "same family and length"},
	} {
		err := c.in.check()
		if c.err == "" && err != nil {
			t.Errorf("%+v: %v", c.in, err)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%+v: err %v, want one containing %q", c.in, err, c.err)
		}
	}
}
