package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"

	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/internal/orderhistory"
	"github.com/trellisproject/trellis/internal/zerotrustlab"
)

// The surfaces a hostile request is sent to.
type surface int

const (
	controlPlane surface = iota
	latticeIngress
	endpointIngress
)

// The error shapes a hostile request may be answered with.
type errShape int

const (
	// latticeJSON is the VPC Lattice API's: x-amzn-ErrorType and a JSON
	// body with "message".
	latticeJSON errShape = iota + 1
	// nativeJSON is the native API's: a JSON body with "code" and
	// "message".
	nativeJSON
	// stsXML is STS's <ErrorResponse><Error><Code>.
	stsXML
	// gatewayText is the Lattice data plane's "Type: message" text.
	gatewayText
	// apigwJSON is API Gateway's {"message": ...} with x-amzn-ErrorType.
	apigwJSON
	// httpServer is net/http's own answer to a request it cannot parse:
	// a plain-text 4xx on a connection that is then closed.
	httpServer
	// success is a 2xx answer from the control plane or a target.
	success
)

// A hostileRow is one malformed or malicious request and what trellis
// must answer.
type hostileRow struct {
	name   string
	to     surface
	req    func(e *hostileEnv) []byte // the request's raw bytes
	status int
	shape  errShape
	// hits says the request may reach a target; otherwise a target hit
	// fails the row.
	hits bool
}

// hostileEnv is what rows need to build their requests.
type hostileEnv struct {
	creds   aws.Credentials
	region  string
	account string
	svcHost string // the Lattice service's custom domain
	apiHost string // the private API's endpoint-specific host name
	svcID   string
	now     time.Time
}

const (
	hostileLatticeSvc = "billing.example.com"
	hostileAPIPath    = "/api/orders/1002"
)

// raw builds a request from its parts; headers are "Name: value" lines
// sent as they are, so rows can send duplicates and conflicts.
func raw(method, target, host string, headers []string, body string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, target)
	if host != "" {
		fmt.Fprintf(&b, "Host: %s\r\n", host)
	}
	hasLength := false
	for _, h := range headers {
		b.WriteString(h + "\r\n")
		l := strings.ToLower(h)
		hasLength = hasLength || strings.HasPrefix(l, "content-length:") || strings.HasPrefix(l, "transfer-encoding:")
	}
	if body != "" && !hasLength {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.WriteString(body)
	return b.Bytes()
}

// signed signs a request with the given service, region and time and
// returns its raw bytes with extra header lines inserted after the
// request line.
func (e *hostileEnv) signed(method, url, host, service, region string, at time.Time, body string, extra ...string) []byte {
	r, err := http.NewRequest(method, "http://placeholder"+url, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	r.Host = host
	if service == "sts" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if service == "vpc-lattice" && body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	sum := sdkv4SHA(body)
	r.Header.Set("X-Amz-Content-Sha256", sum)
	if err := sdkv4.NewSigner().SignHTTP(context.Background(), e.creds, r, sum, service, region, at); err != nil {
		panic(err)
	}
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		panic(err)
	}
	out := b.String()
	if len(extra) > 0 {
		i := strings.Index(out, "\r\n")
		out = out[:i+2] + strings.Join(extra, "\r\n") + "\r\n" + out[i+2:]
	}
	return []byte(out)
}

func sdkv4SHA(body string) string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(body)))
}

// TestHostileInputs sends malformed and malicious requests to the control
// plane (VPC Lattice API, native API, STS) and to both gateway ingresses
// of a running `trellis serve`, over raw TCP, and checks that each gets
// the expected status and error shape in time, that none gets a 500 or
// panics the server, and that none reaches a target it should not.
func TestHostileInputs(t *testing.T) {
	isolateAWSEnvironment(t)
	const vpc = "vpc-0a1b2c3d4e5f60718"
	var latticeHits, apiHits atomic.Int64
	var seenMu sync.Mutex
	var seenIdentity, seenVPC string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		latticeHits.Add(1)
		seenMu.Lock()
		seenIdentity, seenVPC = r.Header.Get(gateway.HeaderIdentity), r.Header.Get(gateway.HeaderSourceVPC)
		seenMu.Unlock()
		io.WriteString(w, "ok")
	}))
	defer target.Close()
	targetAddr := netip.MustParseAddrPort(target.Listener.Addr().String())
	oh, err := orderhistory.New()
	if err != nil {
		t.Fatal(err)
	}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiHits.Add(1)
		oh.ServeHTTP(w, r)
	}))
	defer backend.Close()

	data := t.TempDir()
	cfg := defaultServeConfig()
	cfg.Data = data
	cfg.Listen = "127.0.0.1:0"
	cfg.Gateway = &gatewayConfig{
		Ingress: []gateway.Ingress{{Listen: "127.0.0.1:0", VPC: vpc, ListenerPort: 80}},
		Endpoints: []gateway.EndpointIngress{{Listen: "127.0.0.1:0", Endpoint: "vpce-aaaa0001",
			SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}}},
	}
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	type addrs struct {
		cp      string
		ingress []string
	}
	ready := make(chan addrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(logs, nil)), io.Discard, func(cp string, in []string) { ready <- addrs{cp, in} })
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	var a addrs
	select {
	case a = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	if len(a.ingress) != 2 {
		t.Fatalf("ingress addresses %v, want a Lattice ingress and an endpoint", a.ingress)
	}

	// The private API of the zero-trust lab, behind the endpoint.
	doc, err := zerotrustlab.Document(1)
	if err != nil {
		t.Fatal(err)
	}
	doc.Identity = nil
	body, _ := json.Marshal(doc)
	file := writeFile(t, "lab.json", strings.ReplaceAll(string(body), "http://127.0.0.1:8081", backend.URL))
	if code, out, errOut := runCLI(t, "", "apply", "-f", file, "--endpoint", "http://"+a.cp, "--data", data); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}

	// A Lattice service that admits signed callers only.
	id, secret := adminKey(t, data)
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, Source: "test"}
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	c := vpclattice.New(vpclattice.Options{BaseEndpoint: aws.String("http://" + a.cp), Region: cfg.Region, RetryMaxAttempts: 1, HTTPClient: hc,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })})
	svc := createSignedOnlyService(t, c, vpc, hostileLatticeSvc, targetAddr, false).service

	env := &hostileEnv{creds: creds, region: cfg.Region, account: cfg.Account, svcHost: hostileLatticeSvc,
		apiHost: "svcbapi001-vpce-aaaa0001.execute-api.us-east-1.vpce.amazonaws.com", svcID: *svc.Id}
	addrOf := map[surface]string{controlPlane: a.cp, latticeIngress: a.ingress[0], endpointIngress: a.ingress[1]}
	send := func(to surface, req []byte) (*http.Response, []byte, error) {
		d := net.Dialer{Timeout: 5 * time.Second}
		if to == endpointIngress {
			// 10.199.0.20 after the source map: a subnet the lab's
			// endpoint and API admit.
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP("127.199.0.20")}
		}
		conn, err := d.Dial("tcp", addrOf[to])
		if err != nil {
			return nil, nil, err
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		// A server may answer and close before it has read all of an
		// oversized request: the answer still counts.
		_, werr := conn.Write(req)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the response: %v (write: %v)", err, werr)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, b, err
	}

	// Both targets must be reachable before the rows run.
	env.now = time.Now()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		env.now = time.Now()
		r1, _, err1 := send(latticeIngress, env.signed("GET", "/invoices", env.svcHost, gateway.SigningService, env.region, env.now, ""))
		r2, _, err2 := send(endpointIngress, raw("GET", hostileAPIPath, env.apiHost, nil, ""))
		if err1 == nil && err2 == nil && r1.StatusCode == 200 && r2.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the targets are not reachable: %v %v %v %v", r1, err1, r2, err2)
		}
	}

	rows := hostileRows()
	if len(rows) < 150 {
		t.Fatalf("%d rows, want at least 150", len(rows))
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			env.now = time.Now()
			l0, a0 := latticeHits.Load(), apiHits.Load()
			start := time.Now()
			resp, body, err := send(row.to, row.req(env))
			if err != nil {
				t.Fatalf("no answer after %s: %v", time.Since(start).Round(time.Millisecond), err)
			}
			// net/http itself answers 501 and 505 to transfer codings
			// and versions it does not implement; trellis never
			// answers 5xx to a hostile request.
			if resp.StatusCode >= 500 && row.shape != httpServer {
				t.Errorf("status %d: %.300s", resp.StatusCode, body)
			}
			if resp.StatusCode != row.status {
				t.Errorf("status %d, want %d: %.300s", resp.StatusCode, row.status, body)
			}
			if msg := checkShape(row.shape, resp, body); msg != "" {
				t.Errorf("%s: %d %v %.300s", msg, resp.StatusCode, resp.Header, body)
			}
			if hits := latticeHits.Load() - l0 + apiHits.Load() - a0; hits != 0 && !row.hits {
				t.Errorf("the request reached a target (%d hits)", hits)
			}
			if row.hits && row.to == latticeIngress {
				seenMu.Lock()
				defer seenMu.Unlock()
				if want := "Principal=arn:aws:iam::" + env.account + ":user/admin; Type=AWS_IAM"; seenIdentity != want || seenVPC != vpc {
					t.Errorf("the target saw identity %q and VPC %q, want %q and %q", seenIdentity, seenVPC, want, vpc)
				}
			}
		})
	}
	if s := logs.String(); strings.Contains(s, "panic") {
		t.Errorf("the server logged a panic:\n%s", s)
	}
}

// checkShape returns why a response does not have the shape, or "".
func checkShape(s errShape, resp *http.Response, body []byte) string {
	var m map[string]any
	switch s {
	case latticeJSON:
		if resp.Header.Get("X-Amzn-ErrorType") == "" || json.Unmarshal(body, &m) != nil || m["message"] == nil {
			return "not a VPC Lattice API error (x-amzn-ErrorType and a JSON message)"
		}
	case nativeJSON:
		if json.Unmarshal(body, &m) != nil || m["code"] == nil || m["message"] == nil {
			return "not a native API error (JSON code and message)"
		}
	case stsXML:
		var e struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			Code    string   `xml:"Error>Code"`
			Message string   `xml:"Error>Message"`
		}
		if xml.Unmarshal(body, &e) != nil || e.Code == "" {
			return "not an STS XML error"
		}
	case gatewayText:
		typ, msg, ok := strings.Cut(string(body), ": ")
		if !ok || typ == "" || strings.Trim(typ, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" || msg == "" {
			return `not a Lattice data-plane error ("Type: message")`
		}
	case apigwJSON:
		if json.Unmarshal(body, &m) != nil || m["message"] == nil || len(m) != 1 {
			return `not an API Gateway error ({"message": ...})`
		}
	case httpServer:
		if !resp.Close {
			return "net/http's rejection should close the connection"
		}
	case success:
		if resp.StatusCode/100 != 2 {
			return "not a success"
		}
	}
	return ""
}
