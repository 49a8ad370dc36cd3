package gateway_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

// edgePolicy lets signed callers in over TLS only.
const edgePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
  "Condition":{"Bool":{"aws:SecureTransport":"true"},"StringNotEqualsIgnoreCase":{"aws:PrincipalType":"anonymous"}}}]}`

// edge is a running gateway whose ingresses reach plain.example.com (auth
// NONE) and tls.example.com (edgePolicy), both answered by an echo target.
type edge struct {
	addrs  []string
	stdout *syncBuffer
}

func startEdge(t *testing.T, ins ...gateway.Ingress) *edge {
	t.Helper()
	var hits atomic.Int64
	w := lt.New(t, region)
	sn := w.ServiceNetwork(lt.Account, "edge", model.AuthNone)
	w.AssociateVPC(sn, vpcMain)
	w.AccessLog(sn.Meta, "arn:aws:logs:us-east-1:111122223333:log-group:stdout")
	tg := w.TargetGroup(lt.Account, "echo", newTarget(t, "echo", &hits))
	plain := w.Service(lt.Account, "plain", model.AuthNone, "plain.example.com")
	w.Associate(sn, plain)
	w.Listener(plain, 443, lt.Forward([]*model.TargetGroup{tg}))
	secure := w.Service(lt.Account, "tls", model.AuthIAM, "tls.example.com")
	w.Associate(sn, secure)
	w.AuthPolicy(secure.Meta, edgePolicy)
	w.Listener(secure, 443, lt.Forward([]*model.TargetGroup{tg}))
	state := &snapshot.State{Lattice: w.Build(), Identity: lt.Identities(t, time.Now().Add(-time.Hour))}

	e := &edge{stdout: &syncBuffer{}}
	g, err := gateway.New(gateway.Config{Region: region, State: func() *snapshot.State { return state },
		AccessLogs: gateway.NewAccessLogs(t.TempDir(), e.stdout)})
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.Start(ins)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		run.Shutdown(ctx)
	})
	for _, a := range run.Addrs() {
		e.addrs = append(e.addrs, a.String())
	}
	return e
}

// selfSigned writes a self-signed certificate for the edge's names and
// 127.0.0.1, and its key, to PEM files in dir; pool trusts it.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		DNSNames:              []string{"plain.example.com", "tls.example.com", "health.example.com"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// signedGet returns a GET of url for host, signed by alice.
func signedGet(t *testing.T, url, host string) *http.Request {
	t.Helper()
	r, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Host = host
	r.Header.Set("X-Amz-Content-Sha256", unsigned)
	if err := sdkv4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: lt.AliceKey, SecretAccessKey: lt.AliceSecret},
		r, unsigned, gateway.SigningService, region, time.Now()); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTLSIngress(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir, "edge")
	e := startEdge(t,
		gateway.Ingress{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 443, TLS: &gateway.IngressTLS{CertFile: certFile, KeyFile: keyFile}},
		gateway.Ingress{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 443})
	tlsAddr, plainAddr := e.addrs[0], e.addrs[1]

	client := func(h1, h2 bool) *http.Client {
		p := new(http.Protocols)
		p.SetHTTP1(h1)
		p.SetHTTP2(h2)
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, Protocols: p,
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "tls.example.com"}}}
	}
	for _, c := range []struct {
		name   string
		client *http.Client
		url    string
		proto  string
		status int
	}{
		{"HTTP/1.1 by ALPN", client(true, false), "https://" + tlsAddr + "/a", "HTTP/1.1", 200},
		{"h2 by ALPN", client(false, true), "https://" + tlsAddr + "/a", "HTTP/2.0", 200},
		{"without TLS, aws:SecureTransport is false", client(true, false), "http://" + plainAddr + "/a", "HTTP/1.1", 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := c.client.Do(signedGet(t, c.url, "tls.example.com"))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status || resp.Proto != c.proto {
				t.Fatalf("%s %d %s, want %s %d", resp.Proto, resp.StatusCode, body, c.proto, c.status)
			}
			if c.status != 200 {
				return
			}
			var got echo
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if p := got.Header.Get("X-Forwarded-Proto"); p != "https" {
				t.Errorf("X-Forwarded-Proto %q, want https", p)
			}
			if alpn := resp.TLS.NegotiatedProtocol; (alpn == "h2") != (c.proto == "HTTP/2.0") {
				t.Errorf("ALPN %q with %s", alpn, c.proto)
			}
		})
	}
	for _, c := range []struct {
		name    string
		version string
	}{
		{`"tlsVersion":"TLSv1.3"`, "TLS 1.3"},
		{`"tlsVersion":"-"`, "no TLS"},
	} {
		if !strings.Contains(e.stdout.String(), c.name) {
			t.Errorf("no access log entry with %s (%s):\n%s", c.name, c.version, e.stdout.String())
		}
	}

	// Versions: TLS 1.2 and 1.3 are accepted, older ones refused.
	for _, c := range []struct {
		name string
		max  uint16
		ok   bool
	}{
		{"TLS 1.1", tls.VersionTLS11, false},
		{"TLS 1.0", tls.VersionTLS10, false},
		{"TLS 1.2", tls.VersionTLS12, true},
		{"TLS 1.3", tls.VersionTLS13, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", tlsAddr,
				&tls.Config{RootCAs: pool, ServerName: "plain.example.com", MinVersion: tls.VersionTLS10, MaxVersion: c.max})
			if err == nil {
				defer conn.Close()
			}
			if (err == nil) != c.ok {
				t.Fatalf("handshake error %v, want success %v", err, c.ok)
			}
			if c.ok && conn.ConnectionState().Version != c.max {
				t.Errorf("version %s", tls.VersionName(conn.ConnectionState().Version))
			}
		})
	}
}

func TestTLSIngressStartErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir, "one")
	_, otherKey, _ := selfSigned(t, dir, "two")
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not PEM\n"), 0o600)
	missing := filepath.Join(dir, "missing.pem")
	g, err := gateway.New(gateway.Config{Region: region, State: func() *snapshot.State { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		cert, key string
		err       string
	}{
		{"no key file named", certFile, "", "tls needs both certFile and keyFile"},
		{"missing certificate", missing, keyFile, "tls certFile: stat " + missing + ": no such file"},
		{"missing key", certFile, missing, "tls keyFile: stat " + missing + ": no such file"},
		{"certificate is a directory", dir, keyFile, "tls certFile: read " + dir},
		{"key of another certificate", certFile, otherKey, "with keyFile " + otherKey + ": tls: private key does not match public key"},
		{"not PEM", garbage, keyFile, "tls certFile " + garbage + " with keyFile " + keyFile + ": tls: failed to find any PEM data"},
	} {
		t.Run(c.name, func(t *testing.T) {
			run, err := g.Start([]gateway.Ingress{{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 443, TLS: &gateway.IngressTLS{CertFile: c.cert, KeyFile: c.key}}})
			if err == nil {
				run.Shutdown(context.Background())
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "ingress 127.0.0.1:0") {
				t.Errorf("err %q, want one naming the ingress and containing %q", err, c.err)
			}
		})
	}
}

// proxyV2 returns a PROXY v2 header: LOCAL when src is not valid.
func proxyV2(src netip.AddrPort) []byte {
	b := []byte("\r\n\r\n\x00\r\nQUIT\n")
	if !src.IsValid() {
		return append(b, 0x20, 0x00, 0, 0)
	}
	var addrs []byte
	if src.Addr().Is4() {
		b = append(b, 0x21, 0x11, 0, 12)
		a := src.Addr().As4()
		addrs = append(a[:], 127, 0, 0, 1)
	} else {
		b = append(b, 0x21, 0x21, 0, 36)
		a, d := src.Addr().As16(), netip.IPv6Loopback().As16()
		addrs = append(a[:], d[:]...)
	}
	b = append(b, addrs...)
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, src.Port()), 443)
}

func TestProxyProtocol(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir(), "edge")
	pp := &gateway.ProxyProtocol{TrustedPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}}
	sm := []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}
	e := startEdge(t,
		gateway.Ingress{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 443, ProxyProtocol: pp, SourceMap: sm},
		gateway.Ingress{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 443, ProxyProtocol: pp, SourceMap: sm,
			TLS: &gateway.IngressTLS{CertFile: certFile, KeyFile: keyFile}})
	const request = "GET / HTTP/1.1\r\nHost: plain.example.com\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: close\r\n\r\n"
	ap := netip.MustParseAddrPort
	badVersion := proxyV2(ap("127.199.9.9:1"))
	badVersion[12] = 0x11 // version 1, command PROXY
	for _, c := range []struct {
		name   string
		peer   string // the TCP source address
		send   []byte // before the request
		tls    bool
		xff    string // empty: the connection must be closed unanswered
		source string // sourceIpPort in the access log
	}{
		{"trusted peer, IPv4 header, source mapped", "127.0.0.2", proxyV2(ap("127.199.9.9:4444")), false, "10.199.9.9", "10.199.9.9:4444"},
		{"trusted peer, IPv6 header", "127.0.0.2", proxyV2(ap("[2001:db8::7]:5555")), false, "2001:db8::7", "[2001:db8::7]:5555"},
		{"trusted peer, LOCAL uses the peer", "127.0.0.2", proxyV2(netip.AddrPort{}), false, "127.0.0.2", ""},
		{"trusted peer without a header", "127.0.0.2", nil, false, "", ""},
		{"trusted peer with a v1 header", "127.0.0.2", []byte("PROXY TCP4 192.0.2.1 127.0.0.1 1 443\r\n"), false, "", ""},
		{"trusted peer, bad version", "127.0.0.2", badVersion, false, "", ""},
		{"untrusted peer without a header", "127.199.0.3", nil, false, "10.199.0.3", ""},
		{"untrusted peer with a v2 header", "127.199.0.3", proxyV2(ap("192.0.2.1:1")), false, "", ""},
		{"untrusted peer with a v1 header", "127.199.0.3", []byte("PROXY TCP4 192.0.2.1 127.0.0.1 1 443\r\n"), false, "", ""},
		{"trusted peer, header then TLS", "127.0.0.2", proxyV2(ap("127.199.8.8:4444")), true, "10.199.8.8", "10.199.8.8:4444"},
		{"untrusted peer, TLS without a header", "127.199.0.4", nil, true, "10.199.0.4", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := e.addrs[0]
			if c.tls {
				addr = e.addrs[1]
			}
			d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(c.peer)}, Timeout: 5 * time.Second}
			raw, err := d.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			raw.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := raw.Write(c.send); err != nil {
				t.Fatal(err)
			}
			var conn net.Conn = raw
			if c.tls {
				conn = tls.Client(raw, &tls.Config{RootCAs: pool, ServerName: "plain.example.com", NextProtos: []string{"http/1.1"}})
			}
			io.WriteString(conn, request)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if c.xff == "" {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("answered %s, want the connection closed", resp.Status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got echo
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatalf("%s: %v", resp.Status, err)
			}
			if xff := got.Header.Get("X-Forwarded-For"); xff != c.xff {
				t.Errorf("X-Forwarded-For %q, want %q", xff, c.xff)
			}
			if c.source != "" && !strings.Contains(e.stdout.String(), `"sourceIpPort":"`+c.source+`"`) {
				t.Errorf("no access log entry from %s:\n%s", c.source, e.stdout.String())
			}
		})
	}

	// HTTP/2 with prior knowledge (h2c, as gRPC without TLS) after the
	// header.
	t.Run("trusted peer, header then h2c", func(t *testing.T) {
		p := new(http.Protocols)
		p.SetUnencryptedHTTP2(true)
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, Protocols: p,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := d.DialContext(ctx, network, addr)
				if err == nil {
					_, err = c.Write(proxyV2(ap("127.199.7.7:7777")))
				}
				return c, err
			}}}
		defer client.CloseIdleConnections()
		r, _ := http.NewRequest("GET", "http://"+e.addrs[0]+"/", nil)
		r.Host = "plain.example.com"
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got echo
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		if xff := got.Header.Get("X-Forwarded-For"); resp.ProtoMajor != 2 || xff != "10.199.7.7" {
			t.Errorf("%s, X-Forwarded-For %q", resp.Proto, xff)
		}
	})
}

func TestTLSIngressReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir, "first")
	e := startEdge(t, gateway.Ingress{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 443, TLS: &gateway.IngressTLS{CertFile: certFile, KeyFile: keyFile}})
	newCert, newKey, _ := selfSigned(t, dir, "second")
	served := func() string {
		t.Helper()
		conn, err := tls.Dial("tcp", e.addrs[0], &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	// replace rewrites the files with modification time at, so that
	// the change shows whatever the file system's time resolution.
	replace := func(cert, key []byte, at time.Time) {
		t.Helper()
		for f, b := range map[string][]byte{certFile: cert, keyFile: key} {
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(f, at, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func(f string) []byte {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if cn := served(); cn != "first" {
		t.Fatalf("serving %q", cn)
	}
	// A half-written pair is not loaded: the previous certificate stays.
	replace(read(newCert), []byte("garbage"), time.Now().Add(time.Minute))
	time.Sleep(1100 * time.Millisecond)
	if cn := served(); cn != "first" {
		t.Fatalf("after a bad reload, serving %q", cn)
	}
	replace(read(newCert), read(newKey), time.Now().Add(2*time.Minute))
	time.Sleep(1100 * time.Millisecond)
	if cn := served(); cn != "second" {
		t.Fatalf("after the reload, serving %q", cn)
	}
}

func TestIngressTimeouts(t *testing.T) {
	e := startEdge(t, gateway.Ingress{Listen: "127.0.0.1:0", VPC: vpcMain, ListenerPort: 443,
		IdleTimeout: gateway.Duration(300 * time.Millisecond), ReadHeaderTimeout: gateway.Duration(300 * time.Millisecond)})
	for _, c := range []struct {
		name string
		send string // then wait for the connection to close
	}{
		{"idle after a request", "GET / HTTP/1.1\r\nHost: plain.example.com\r\n\r\n"},
		{"headers not finished", "GET / HTTP/1.1\r\nHost: plain.exa"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", e.addrs[0], 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			start := time.Now()
			conn.SetDeadline(start.Add(5 * time.Second))
			io.WriteString(conn, c.send)
			// Whatever the server answers, it must then close the
			// connection on its own, well before our 5s deadline.
			if _, err := io.Copy(io.Discard, conn); err != nil {
				t.Fatalf("connection not closed by the server: %v", err)
			}
			if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
				t.Errorf("closed after %s, want about 300ms", d)
			}
		})
	}
}
