package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	smithycreds "github.com/aws/smithy-go/aws-http-auth/credentials"
	"github.com/aws/smithy-go/aws-http-auth/sigv4a"
	smithyv4 "github.com/aws/smithy-go/aws-http-auth/v4"

	"github.com/trellisproject/trellis/gateway"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

const (
	region   = "us-east-1"
	vpcMain  = "vpc-0a1b2c3d4e5f60718"
	vpcOpen  = "vpc-0123456789abcdef0"
	unsigned = "UNSIGNED-PAYLOAD"
)

// Auth policies of the test world.
const (
	// The network lets everyone in, except calls that carry
	// x-block: network.
	networkPolicy = `{"Version":"2012-10-17","Statement":[
	  {"Sid":"All","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"},
	  {"Sid":"Blocked","Effect":"Deny","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
	   "Condition":{"StringEquals":{"vpc-lattice-svcs:RequestHeader/x-block":"network"}}}]}`
	// The secure service lets authenticated callers in, except under
	// /private, and only from the lab's mapped addresses.
	securePolicy = `{"Version":"2012-10-17","Statement":[
	  {"Sid":"Authenticated","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
	   "Condition":{"StringNotEqualsIgnoreCase":{"aws:PrincipalType":"anonymous"},"IpAddress":{"aws:SourceIp":"10.199.0.0/16"}}},
	  {"Sid":"NoPrivate","Effect":"Deny","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"arn:aws:vpc-lattice:us-east-1:111122223333:service/*/private*"}]}`
)

// echo is a target that answers with what it received.
type echo struct {
	Name   string      `json:"name"`
	Host   string      `json:"host"`
	Path   string      `json:"path"`
	Header http.Header `json:"header"`
	Body   string      `json:"body"`
}

func newTarget(t testing.TB, name string, hits *atomic.Int64) netip.AddrPort {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(echo{Name: name, Host: r.Host, Path: r.URL.Path, Header: r.Header, Body: string(body)})
	}))
	t.Cleanup(srv.Close)
	return netip.MustParseAddrPort(srv.Listener.Addr().String())
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// callerClient returns a client whose connections come from a source
// address of 127.0.0.0/8, as a caller in a lab VPC.
func callerClient(source string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext}, Timeout: 10 * time.Second}
}

// lab is a running gateway over a test world.
type lab struct {
	main, open string // ingress addresses
	hits       map[string]*atomic.Int64
	stdout     *syncBuffer
	logDir     string
	client     *http.Client
}

// labState builds the test world: targets alpha, beta and gamma count
// their requests in hits.
func labState(t testing.TB, hits map[string]*atomic.Int64) *snapshot.State {
	w := lt.New(t, region)
	// The main VPC's network: AWS_IAM.
	sn := w.ServiceNetwork(lt.Account, "main", model.AuthIAM)
	w.AuthPolicy(sn.Meta, networkPolicy)
	w.AssociateVPC(sn, vpcMain)
	w.AccessLog(sn.Meta, "arn:aws:logs:us-east-1:111122223333:log-group:stdout")
	alpha := w.TargetGroup(lt.Account, "alpha", newTarget(t, "alpha", hits["alpha"]))
	beta := w.TargetGroup(lt.Account, "beta", newTarget(t, "beta", hits["beta"]))

	open := w.Service(lt.Account, "open", model.AuthNone, "open.example.com")
	w.Associate(sn, open)
	ol := w.Listener(open, 80, lt.Forward([]*model.TargetGroup{alpha}))
	str := func(s string) *string { return &s }
	yes := true
	no := false
	w.Rule(ol, 10, &model.RuleMatch{HTTPMatch: &model.HTTPMatch{PathMatch: &model.PathMatch{Match: model.PathMatchType{Prefix: str("/v2")}}}}, lt.Forward([]*model.TargetGroup{beta}))
	w.Rule(ol, 20, &model.RuleMatch{HTTPMatch: &model.HTTPMatch{PathMatch: &model.PathMatch{Match: model.PathMatchType{Exact: str("/teapot")}}}}, lt.Fixed(418))
	w.Rule(ol, 30, &model.RuleMatch{HTTPMatch: &model.HTTPMatch{HeaderMatches: []model.HeaderMatch{{Name: "x-canary", Match: model.HeaderMatchType{Exact: str("yes")}}}}},
		lt.Forward([]*model.TargetGroup{alpha, beta}, 25, 75))
	w.Rule(ol, 40, &model.RuleMatch{HTTPMatch: &model.HTTPMatch{Method: "POST", PathMatch: &model.PathMatch{CaseSensitive: &no, Match: model.PathMatchType{Prefix: str("/orders")}}}}, lt.Forward([]*model.TargetGroup{beta}))
	w.Rule(ol, 50, &model.RuleMatch{HTTPMatch: &model.HTTPMatch{HeaderMatches: []model.HeaderMatch{{Name: "x-tier", CaseSensitive: &yes, Match: model.HeaderMatchType{Contains: str("Gold")}}}}}, lt.Forward([]*model.TargetGroup{beta}))

	secure := w.Service(lt.Account, "secure", model.AuthIAM, "secure.example.com")
	w.Associate(sn, secure)
	w.AuthPolicy(secure.Meta, securePolicy)
	w.AccessLog(secure.Meta, "arn:aws:logs:us-east-1:111122223333:log-group:secure")
	w.Listener(secure, 80, lt.Forward([]*model.TargetGroup{alpha}))

	nopolicy := w.Service(lt.Account, "nopolicy", model.AuthIAM, "nopolicy.example.com")
	w.Associate(sn, nopolicy)
	w.Listener(nopolicy, 80, lt.Forward([]*model.TargetGroup{alpha}))

	// A network the main VPC is not associated with.
	other := w.ServiceNetwork(lt.Account, "other", model.AuthNone)
	gamma := w.TargetGroup(lt.Account, "gamma", newTarget(t, "gamma", hits["gamma"]))
	hidden := w.Service(lt.Account, "hidden", model.AuthNone, "hidden.example.com")
	w.Associate(other, hidden)
	w.Listener(hidden, 80, lt.Forward([]*model.TargetGroup{gamma}))
	// The open VPC reaches it: NONE on both layers.
	w.AssociateVPC(other, vpcOpen)

	return &snapshot.State{Lattice: w.Build(), Identity: lt.Identities(t, time.Now().Add(-time.Hour))}
}

// startLab runs a gateway over the test world; configure, when given,
// changes its configuration.
func startLab(t *testing.T, configure ...func(*gateway.Config)) *lab {
	l := &lab{hits: map[string]*atomic.Int64{"alpha": {}, "beta": {}, "gamma": {}}, stdout: &syncBuffer{}, logDir: t.TempDir(),
		client: callerClient("127.199.3.4")}
	state := labState(t, l.hits)
	var n atomic.Int64
	cfg := gateway.Config{
		Region:     region,
		State:      func() *snapshot.State { return state },
		AccessLogs: gateway.NewAccessLogs(l.logDir, l.stdout),
		Rand: func(k int) int {
			if k == 1 {
				return 0
			}
			return int(n.Add(1)-1) % k
		},
	}
	for _, c := range configure {
		c(&cfg)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.Start([]gateway.Ingress{
		{Listen: "127.0.0.1:0", VPC: vpcMain, VPCOwner: lt.Account, ListenerPort: 80,
			SourceMap: []gateway.AddressMap{{From: netip.MustParsePrefix("127.199.0.0/16"), To: netip.MustParsePrefix("10.199.0.0/16")}}},
		{Listen: "127.0.0.1:0", VPC: vpcOpen, ListenerPort: 80},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		run.Shutdown(ctx)
	})
	l.main, l.open = run.Addrs()[0].String(), run.Addrs()[1].String()
	return l
}

// signing says how a test request is signed.
type signing int

const (
	anon signing = iota
	v4Alice
	v4Bob
	v4Session
	v4aAlice
	v4Wrong
	v4Presigned
)

func (l *lab) request(t *testing.T, ingress, method, host, path string, header http.Header, s signing) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, "http://"+ingress+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Host = host
	for k, vs := range header {
		r.Header[k] = vs
	}
	ctx := context.Background()
	now := time.Now()
	sdkSign := func(key, secret, token string) {
		r.Header.Set("X-Amz-Content-Sha256", unsigned)
		if err := sdkv4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token}, r, unsigned, gateway.SigningService, region, now); err != nil {
			t.Fatal(err)
		}
	}
	switch s {
	case v4Alice:
		sdkSign(lt.AliceKey, lt.AliceSecret, "")
	case v4Bob:
		sdkSign(lt.BobKey, lt.BobSecret, "")
	case v4Session:
		sdkSign(lt.SessionKey, lt.SessionSecret, lt.SessionToken)
	case v4Wrong:
		sdkSign(lt.AliceKey, lt.BobSecret, "")
	case v4Presigned:
		// Outside S3, a presigned URL signs the body's hash (here, the
		// hash of nothing).
		const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
		u, _, err := sdkv4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: lt.AliceKey, SecretAccessKey: lt.AliceSecret}, r, emptyHash, gateway.SigningService, region, now)
		if err != nil {
			t.Fatal(err)
		}
		if r.URL, err = r.URL.Parse(u); err != nil {
			t.Fatal(err)
		}
	case v4aAlice:
		err := sigv4a.New(func(o *smithyv4.SignerOptions) { o.AddPayloadHashHeader = true }).SignRequest(&sigv4a.SignRequestInput{
			Request: r, PayloadHash: smithyv4.UnsignedPayload(),
			Credentials: smithycreds.Credentials{AccessKeyID: lt.AliceKey, SecretAccessKey: lt.AliceSecret},
			Service:     gateway.SigningService, RegionSet: []string{"us-*"}, Time: now,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (l *lab) do(t *testing.T, r *http.Request) (int, string) {
	t.Helper()
	resp, err := l.client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func TestGateway(t *testing.T) {
	l := startLab(t)
	type tc struct {
		name   string
		open   bool // through the open VPC's ingress
		method string
		host   string
		path   string
		header http.Header
		sign   signing
		status int
		target string // the target that must answer
		body   string // a substring of the answer when no target answers
		ident  string // X-Amzn-Lattice-Identity at the target
	}
	cases := []tc{
		{name: "anonymous to NONE service", host: "open.example.com", path: "/", status: 200, target: "alpha", ident: "Type=Anonymous"},
		{name: "host with port", host: "open.example.com:80", path: "/", status: 200, target: "alpha"},
		{name: "signed to NONE service carries identity", host: "open.example.com", path: "/", sign: v4Alice, status: 200, target: "alpha",
			ident: "Principal=" + lt.AliceARN + "; PrincipalOrgID=" + lt.OrgID + "; Type=AWS_IAM"},
		{name: "session identity", host: "secure.example.com", path: "/a", sign: v4Session, status: 200, target: "alpha",
			ident: "Principal=" + lt.SessionARN + "; PrincipalOrgID=" + lt.OrgID + "; SessionName=" + lt.SessionName + "; Type=AWS_IAM"},
		{name: "SigV4A", host: "secure.example.com", path: "/a", sign: v4aAlice, status: 200, target: "alpha"},
		{name: "presigned", host: "secure.example.com", path: "/a", sign: v4Presigned, status: 200, target: "alpha"},
		{name: "anonymous denied by service policy", host: "secure.example.com", path: "/a", status: 403,
			body: "AccessDeniedException: User: anonymous is not authorized to perform: vpc-lattice-svcs:Invoke on resource: arn:aws:vpc-lattice:us-east-1:111122223333:service/"},
		{name: "explicit deny in service policy", host: "secure.example.com", path: "/private/x", sign: v4Alice, status: 403,
			body: "/private/x with an explicit deny in a service-based policy"},
		{name: "explicit deny in network policy", host: "open.example.com", path: "/", header: http.Header{"X-Block": {"network"}}, status: 403,
			body: "User: anonymous is not authorized to perform: vpc-lattice-svcs:Invoke on resource: arn:aws:vpc-lattice:us-east-1:111122223333:service/"},
		{name: "identity policy denies bob", host: "secure.example.com", path: "/a", sign: v4Bob, status: 403,
			body: "because no identity-based policy allows the vpc-lattice-svcs:Invoke action"},
		{name: "AWS_IAM without auth policy", host: "nopolicy.example.com", path: "/", sign: v4Alice, status: 403,
			body: "because no service-based policy allows the vpc-lattice-svcs:Invoke action"},
		{name: "bad signature", host: "secure.example.com", path: "/a", sign: v4Wrong, status: 403, body: "InvalidSignatureException"},
		{name: "bad signature with NONE on both layers", open: true, host: "hidden.example.com", path: "/", sign: v4Wrong, status: 403, body: "InvalidSignatureException"},
		{name: "NONE on both layers, signed without permission", open: true, host: "hidden.example.com", path: "/", sign: v4Bob, status: 200, target: "gamma"},
		{name: "unknown host", host: "nowhere.example.com", path: "/", status: 404},
		{name: "service of another network", host: "hidden.example.com", path: "/", status: 404},
		{name: "generated DNS name is not another VPC's", open: true, host: "open.example.com", path: "/", status: 404},
		{name: "prefix rule", host: "open.example.com", path: "/v2/items", status: 200, target: "beta"},
		{name: "prefix rule is case-sensitive", host: "open.example.com", path: "/V2/items", status: 200, target: "alpha"},
		{name: "fixed response", host: "open.example.com", path: "/teapot", status: 418},
		{name: "method and case-insensitive prefix", method: "POST", host: "open.example.com", path: "/ORDERS/1", status: 200, target: "beta"},
		{name: "method must match", method: "GET", host: "open.example.com", path: "/orders/1", status: 200, target: "alpha"},
		{name: "header contains, case-sensitive", host: "open.example.com", path: "/", header: http.Header{"X-Tier": {"SuperGold"}}, status: 200, target: "beta"},
		{name: "header contains, wrong case", host: "open.example.com", path: "/", header: http.Header{"X-Tier": {"supergold"}}, status: 200, target: "alpha"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ing := l.main
			if c.open {
				ing = l.open
			}
			method := c.method
			if method == "" {
				method = "GET"
			}
			before := l.hits["alpha"].Load() + l.hits["beta"].Load() + l.hits["gamma"].Load()
			status, body := l.do(t, l.request(t, ing, method, c.host, c.path, c.header, c.sign))
			if status != c.status {
				t.Fatalf("status %d, want %d; body %s", status, c.status, body)
			}
			after := l.hits["alpha"].Load() + l.hits["beta"].Load() + l.hits["gamma"].Load()
			if c.target == "" {
				if after != before {
					t.Errorf("a target was reached")
				}
				if !strings.Contains(body, c.body) {
					t.Errorf("body %q does not contain %q", body, c.body)
				}
				return
			}
			var got echo
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("answer %q: %v", body, err)
			}
			if got.Name != c.target {
				t.Errorf("reached %s, want %s", got.Name, c.target)
			}
			if c.ident != "" && got.Header.Get("X-Amzn-Lattice-Identity") != c.ident {
				t.Errorf("identity header %q, want %q", got.Header.Get("X-Amzn-Lattice-Identity"), c.ident)
			}
		})
	}
}

func TestHeadersAtTarget(t *testing.T) {
	l := startLab(t)
	spoof := http.Header{
		"X-Amzn-Lattice-Identity": {"Principal=arn:aws:iam::999999999999:root; Type=AWS_IAM"},
		"X-Amzn-Lattice-Network":  {"SourceVpcArn=arn:aws:ec2:us-east-1:999999999999:vpc/vpc-evil"},
		"X-Amzn-Lattice-Target":   {"evil"},
		"X-Amzn-Lattice-Extra":    {"evil"},
		"X-Amzn-Source-Vpc":       {"vpc-evil"},
		"X-Forwarded-For":         {"1.2.3.4"},
		"X-Forwarded-Host":        {"evil.example.com"},
		"X-Forwarded-Port":        {"1"},
		"X-Forwarded-Proto":       {"https"},
		"X-App":                   {"kept"},
	}
	status, body := l.do(t, l.request(t, l.main, "GET", "secure.example.com", "/hello", spoof, v4Alice))
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var got echo
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	h := got.Header
	want := map[string]string{
		"X-Amzn-Lattice-Identity": "Principal=" + lt.AliceARN + "; PrincipalOrgID=" + lt.OrgID + "; Type=AWS_IAM",
		"X-Amzn-Lattice-Network":  "SourceVpcArn=arn:aws:ec2:us-east-1:" + lt.Account + ":vpc/" + vpcMain,
		"X-Amzn-Source-Vpc":       vpcMain,
		"X-Forwarded-Port":        "80",
		"X-Forwarded-Proto":       "http",
		"X-App":                   "kept",
	}
	for k, v := range want {
		if vs := h.Values(k); len(vs) != 1 || vs[0] != v {
			t.Errorf("%s: %q, want %q", k, vs, v)
		}
	}
	if vs := h.Values("X-Forwarded-For"); len(vs) != 1 || vs[0] != "10.199.3.4" {
		t.Errorf("X-Forwarded-For %q, want the mapped 10.199.x.y address", vs)
	}
	tgt := h.Get("X-Amzn-Lattice-Target")
	if !strings.HasPrefix(tgt, "ServiceArn=arn:aws:vpc-lattice:us-east-1:"+lt.Account+":service/svc-") ||
		!strings.Contains(tgt, "; ServiceNetworkArn=arn:aws:vpc-lattice:us-east-1:"+lt.Account+":servicenetwork/sn-") ||
		!strings.Contains(tgt, "; TargetGroupArn=arn:aws:vpc-lattice:us-east-1:"+lt.Account+":targetgroup/tg-") {
		t.Errorf("X-Amzn-Lattice-Target %q", tgt)
	}
	for _, k := range []string{"X-Amzn-Lattice-Extra", "X-Forwarded-Host"} {
		if vs := h.Values(k); len(vs) != 0 {
			t.Errorf("%s reached the target: %q", k, vs)
		}
	}
	if got.Host != "secure.example.com" {
		t.Errorf("target saw Host %q", got.Host)
	}
}

func TestWeights(t *testing.T) {
	l := startLab(t)
	got := map[string]int{}
	for range 100 {
		status, body := l.do(t, l.request(t, l.main, "GET", "open.example.com", "/", http.Header{"X-Canary": {"yes"}}, anon))
		if status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
		var e echo
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatal(err)
		}
		got[e.Name]++
	}
	if got["alpha"] != 25 || got["beta"] != 75 {
		t.Errorf("split %v, want alpha 25, beta 75", got)
	}
}

func TestAccessLog(t *testing.T) {
	l := startLab(t)
	l.do(t, l.request(t, l.main, "GET", "secure.example.com", "/ok?x=1", nil, v4Alice))
	l.do(t, l.request(t, l.main, "GET", "secure.example.com", "/private", nil, v4Alice))
	l.do(t, l.request(t, l.main, "GET", "open.example.com", "/", nil, anon))
	// A signed payload: the gateway buffers the body to check its hash and
	// still forwards it.
	post, err := http.NewRequest("POST", "http://"+l.main+"/orders", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	post.Host = "open.example.com"
	sum := sha256.Sum256([]byte("hello"))
	if err := sdkv4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: lt.AliceKey, SecretAccessKey: lt.AliceSecret},
		post, hex.EncodeToString(sum[:]), gateway.SigningService, region, time.Now()); err != nil {
		t.Fatal(err)
	}
	if status, body := l.do(t, post); status != 200 || !strings.Contains(body, `"name":"beta"`) || !strings.Contains(body, `"body":"hello"`) {
		t.Fatalf("signed POST: %d %s", status, body)
	}

	// The network's subscription (stdout) sees all four; the secure
	// service's (a file) its two.
	lines := func(s string) []map[string]any {
		var out []map[string]any
		sc := bufio.NewScanner(strings.NewReader(s))
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			out = append(out, m)
		}
		return out
	}
	all := lines(l.stdout.String())
	if len(all) != 4 {
		t.Fatalf("%d lines on stdout, want 4:\n%s", len(all), l.stdout.String())
	}
	data, err := os.ReadFile(filepath.Join(l.logDir, "cloudwatch", "secure.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(lines(string(data))); n != 2 {
		t.Errorf("%d lines in the service's log, want 2", n)
	}
	ok, denied, open, posted := all[0], all[1], all[2], all[3]
	if posted["bytesReceived"] != 5.0 || posted["requestMethod"] != "POST" {
		t.Errorf("POST entry: bytesReceived %v, requestMethod %v", posted["bytesReceived"], posted["requestMethod"])
	}
	for k, v := range map[string]any{
		"requestMethod": "GET", "requestPath": "/ok?x=1", "protocol": "HTTP/1.1", "responseCode": 200.0,
		"sourceVpcId": vpcMain, "sourceVpcArn": "arn:aws:ec2:us-east-1:" + lt.Account + ":vpc/" + vpcMain,
		"callerPrincipal": lt.AliceARN, "callerPrincipalOrgID": lt.OrgID, "resolvedUser": lt.AliceARN,
		"hostHeader": "secure.example.com", "authDeniedReason": "-", "failureReason": "-", "tlsVersion": "-",
	} {
		if ok[k] != v {
			t.Errorf("allowed entry: %s = %v, want %v", k, ok[k], v)
		}
	}
	for _, k := range []string{"serviceNetworkArn", "serviceArn", "targetGroupArn", "listenerId", "sourceIpPort", "targetIpPort", "startTime", "userAgent"} {
		if s, _ := ok[k].(string); s == "" || s == "-" {
			t.Errorf("allowed entry: %s = %v", k, ok[k])
		}
	}
	if s, _ := ok["trellisDecision"].(string); !strings.HasPrefix(s, `allowed: Statement[0] (Sid "Authenticated") of auth policy of svc-`) {
		t.Errorf("allowed entry: trellisDecision %q", s)
	}
	if !strings.HasPrefix(ok["sourceIpPort"].(string), "10.199.3.4:") {
		t.Errorf("sourceIpPort %v is not the mapped address", ok["sourceIpPort"])
	}
	for k, v := range map[string]any{"responseCode": 403.0, "authDeniedReason": "Service", "failureReason": "AuthDenied", "targetGroupArn": "-", "targetIpPort": "-"} {
		if denied[k] != v {
			t.Errorf("denied entry: %s = %v, want %v", k, denied[k], v)
		}
	}
	if s, _ := denied["trellisDecision"].(string); !strings.Contains(s, "service-policy") || !strings.Contains(s, `Sid "NoPrivate"`) {
		t.Errorf("denied entry: trellisDecision %q", s)
	}
	if s, _ := open["trellisDecision"].(string); open["callerPrincipal"] != "-" || !strings.HasPrefix(s, `allowed: Statement[0] (Sid "All") of auth policy of sn-`) {
		t.Errorf("anonymous entry: callerPrincipal %v, trellisDecision %v", open["callerPrincipal"], open["trellisDecision"])
	}
}
