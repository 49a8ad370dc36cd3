package gateway

import (
	"encoding/json"
	"log/slog"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestIngressCheckEdge(t *testing.T) {
	base := func(f func(in *Ingress)) Ingress {
		in := Ingress{Listen: "127.0.0.1:443", VPC: "vpc-0a1b2c3d"}
		f(&in)
		return in
	}
	for _, c := range []struct {
		name string
		in   Ingress
		err  string
	}{
		{"all set", base(func(in *Ingress) {
			in.TLS = &IngressTLS{CertFile: "c.pem", KeyFile: "k.pem"}
			in.ProxyProtocol = &ProxyProtocol{TrustedPeers: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}}
			in.IdleTimeout, in.ReadHeaderTimeout = Duration(time.Minute), Duration(time.Second)
		}), ""},
		{"tls without key", base(func(in *Ingress) { in.TLS = &IngressTLS{CertFile: "c.pem"} }), "ingress 127.0.0.1:443: tls needs both certFile and keyFile"},
		{"tls without certificate", base(func(in *Ingress) { in.TLS = &IngressTLS{KeyFile: "k.pem"} }), "tls needs both"},
		{"no trusted peers", base(func(in *Ingress) { in.ProxyProtocol = &ProxyProtocol{} }), "ingress 127.0.0.1:443: proxyProtocol.trustedPeers must list"},
		{"negative idle timeout", base(func(in *Ingress) { in.IdleTimeout = Duration(-time.Second) }), "idleTimeout -1s is negative"},
		{"negative header timeout", base(func(in *Ingress) { in.ReadHeaderTimeout = Duration(-time.Second) }), "readHeaderTimeout -1s is negative"},
		{"negative connection limit", base(func(in *Ingress) { in.MaxConnections = -1 }), "maxConnections -1 is negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.in.check()
			if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
				t.Errorf("err %v, want %q", err, c.err)
			}
		})
	}
}

func TestIngressJSON(t *testing.T) {
	for _, c := range []struct {
		name string
		json string
		want Ingress
		err  string
	}{
		{"all fields", `{"listen":"127.0.0.1:443","vpc":"vpc-0a1b2c3d","tls":{"certFile":"c.pem","keyFile":"k.pem"},
		  "proxyProtocol":{"trustedPeers":["10.0.0.0/24","fd00::/64"]},"idleTimeout":"90s","readHeaderTimeout":"2.5s"}`,
			Ingress{Listen: "127.0.0.1:443", VPC: "vpc-0a1b2c3d", TLS: &IngressTLS{CertFile: "c.pem", KeyFile: "k.pem"},
				ProxyProtocol: &ProxyProtocol{TrustedPeers: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("fd00::/64")}},
				IdleTimeout:   Duration(90 * time.Second), ReadHeaderTimeout: Duration(2500 * time.Millisecond)}, ""},
		{"bare number", `{"idleTimeout":90}`, Ingress{}, `a duration must be a string such as "90s", not 90`},
		{"bad unit", `{"idleTimeout":"90 parsecs"}`, Ingress{}, `duration "90 parsecs"`},
		{"bad prefix", `{"proxyProtocol":{"trustedPeers":["10.0.0.1"]}}`, Ingress{}, `no '/'`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var in Ingress
			err := json.Unmarshal([]byte(c.json), &in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in, c.want) {
				t.Errorf("got %+v, want %+v", in, c.want)
			}
			b, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var back Ingress
			if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, in) {
				t.Errorf("round trip %s: %+v, %v", b, back, err)
			}
		})
	}
}

func TestIngressServer(t *testing.T) {
	for _, c := range []struct {
		name         string
		in           Ingress
		idle, header time.Duration
		h2c, h2      bool
	}{
		{"defaults", Ingress{}, DefaultIdleTimeout, DefaultReadHeaderTimeout, true, false},
		{"set", Ingress{IdleTimeout: Duration(time.Minute), ReadHeaderTimeout: Duration(time.Second)}, time.Minute, time.Second, true, false},
		{"TLS", Ingress{TLS: &IngressTLS{}}, DefaultIdleTimeout, DefaultReadHeaderTimeout, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := c.in.server(nil, slog.New(slog.DiscardHandler))
			if srv.IdleTimeout != c.idle || srv.ReadHeaderTimeout != c.header {
				t.Errorf("idle %s, header %s", srv.IdleTimeout, srv.ReadHeaderTimeout)
			}
			if !srv.Protocols.HTTP1() || srv.Protocols.UnencryptedHTTP2() != c.h2c || srv.Protocols.HTTP2() != c.h2 {
				t.Errorf("protocols %s", srv.Protocols)
			}
		})
	}
}
