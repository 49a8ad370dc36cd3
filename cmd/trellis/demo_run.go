package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/gateway"
	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/sigv4"
)

// demoOptions are the flags of "trellis demo".
type demoOptions struct {
	// data is the data directory to keep; empty means a temporary one.
	data    string
	listen  string
	ingress string
	once    bool
}

// Names the demo gives what it creates.
const (
	// demoCredentialsFile holds the demo identities' access keys, in the
	// data directory.
	demoCredentialsFile = "demo-credentials"
	// demoLogGroup is the log group of the service network's access-log
	// subscription: DATA/access-logs/cloudwatch/trellis-demo.log.
	demoLogGroup = "trellis-demo"
	// demoListenerPort is the port of the services' listeners.
	demoListenerPort = 80
)

// runDemo starts trellis with the gateway, sets up sc through the APIs,
// sends sc's calls and reports them, then prints how to send more and, unless
// o.once, runs until ctx ends. It returns silentFailure when a call did not
// behave as expected.
func runDemo(ctx context.Context, o demoOptions, sc demoScenario, stdout, stderr io.Writer) error {
	if err := sc.check(); err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("the demo scenario is inconsistent: %w", err)}
	}
	data, temporary, err := demoDataDir(o.data)
	if err != nil {
		return err
	}
	if temporary {
		defer os.RemoveAll(data)
	}
	targets, err := startDemoTargets(sc.Services)
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	defer targets.close()

	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = data, o.listen
	cfg.Gateway = &gatewayConfig{Ingress: []gateway.Ingress{{Listen: o.ingress, VPC: sc.VPC, ListenerPort: demoListenerPort}}}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	serveCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	type addrs struct {
		controlPlane string
		ingress      []string
	}
	ready := make(chan addrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(serveCtx, cfg, log, stdout, func(cp string, in []string) { ready <- addrs{cp, in} })
	}()
	var a addrs
	select {
	case a = <-ready:
	case err := <-done:
		return err
	}

	// A transport of its own, without the environment's proxy: the
	// demo's requests go to the addresses trellis listens on.
	d := &demo{sc: sc, cfg: cfg, data: data, temporary: temporary, once: o.once, controlPlane: a.controlPlane, ingress: a.ingress[0],
		targets: targets.addrs, out: stdout, http: &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}}
	failed, err := d.run(ctx)
	var serveErr error
	stopped := false
	if err == nil && !o.once {
		fmt.Fprintln(stdout, "\nThe demo keeps running for these; Ctrl-C stops it.")
		select {
		case <-ctx.Done():
		case serveErr = <-done:
			stopped = true
		}
	}
	stopServe()
	if !stopped {
		serveErr = <-done
	}
	if err == nil {
		err = serveErr
	}
	switch {
	case err != nil && ctx.Err() != nil:
		return nil // interrupted while setting up
	case err != nil:
		return err
	case failed > 0:
		return silentFailure
	}
	return nil
}

// demoDataDir returns the data directory of the demo: dir, which must be
// new or empty, or a new temporary directory.
func demoDataDir(dir string) (path string, temporary bool, err error) {
	if dir == "" {
		path, err = os.MkdirTemp("", "trellis-demo-")
		if err != nil {
			return "", false, &exitError{code: exitFailed, err: err}
		}
		return path, true, nil
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", false, &exitError{code: exitFailed, err: err}
		}
	case err != nil:
		return "", false, usageErrorf("--data %s: %v", dir, err)
	case len(entries) > 0:
		return "", false, usageErrorf("--data %s is not empty: the demo sets up its example on a new trellis, so name a new or empty directory", dir)
	}
	return dir, false, nil
}

// demoTargets are the in-process targets of the demo's services.
type demoTargets struct {
	addrs   map[string]string // by service name: HOST:PORT
	servers []*http.Server
}

// startDemoTargets starts one HTTP server on a loopback port per service.
// Each answers with a JSON object naming what it saw: the service, the
// method, the path and the identity the gateway vouched for.
func startDemoTargets(services []demoService) (*demoTargets, error) {
	t := &demoTargets{addrs: map[string]string{}}
	for _, s := range services {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.close()
			return nil, fmt.Errorf("target %s: %w", s.Name, err)
		}
		name := s.Name
		srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(demoTargetAnswer{Service: name, Method: r.Method, Path: r.URL.RequestURI(), Identity: r.Header.Get(gateway.HeaderIdentity)})
		})}
		go srv.Serve(ln)
		t.addrs[s.Name] = ln.Addr().String()
		t.servers = append(t.servers, srv)
	}
	return t, nil
}

func (t *demoTargets) close() {
	for _, s := range t.servers {
		s.Close()
	}
}

// demoTargetAnswer is what a demo target answers.
type demoTargetAnswer struct {
	Service  string `json:"service"`
	Method   string `json:"method"`
	Path     string `json:"path"`
	Identity string `json:"x-amzn-lattice-identity"`
}

// demo is one run of a scenario against a running trellis.
type demo struct {
	sc           demoScenario
	cfg          serveConfig
	data         string
	temporary    bool
	once         bool
	controlPlane string // HOST:PORT
	ingress      string // HOST:PORT
	targets      map[string]string
	out          io.Writer
	http         *http.Client

	// Set up by setup.
	keys    map[string]aws.Credentials // by caller name
	logPath string
}

// run sets the scenario up, sends its calls and prints what to do next. It
// returns how many calls did not behave as expected.
func (d *demo) run(ctx context.Context) (failed int, err error) {
	fmt.Fprintf(d.out, "trellis demo: %s\n\ntrellis is running:\n", d.sc.Title)
	fmt.Fprintf(d.out, "  control plane  http://%s  (VPC Lattice API, STS, trellis API)\n", d.controlPlane)
	fmt.Fprintf(d.out, "  gateway        http://%s  (the ingress of %s)\n", d.ingress, d.sc.VPC)
	where := "kept"
	if d.temporary {
		where = "temporary: deleted on exit; --data DIR keeps it"
	}
	fmt.Fprintf(d.out, "  data           %s  (%s)\n\n", d.data, where)
	if err := d.setup(ctx); err != nil {
		return 0, &exitError{code: exitFailed, err: fmt.Errorf("setting up the example: %w", err)}
	}
	d.describe()
	results, err := d.send(ctx)
	if err != nil {
		return 0, &exitError{code: exitFailed, err: err}
	}
	failed = d.report(results)
	d.instructions(d.once)
	return failed, nil
}

// setup configures the scenario: the services through the VPC Lattice API,
// then the identities through the native API. The native API answers once
// the running configuration includes the change, and so every change made
// before it: when setup returns, the gateway serves the scenario.
func (d *demo) setup(ctx context.Context) error {
	admin, err := adminCredentials(ctx, d.data)
	if err != nil {
		return err
	}
	c := vpclattice.New(vpclattice.Options{BaseEndpoint: aws.String("http://" + d.controlPlane), Region: d.cfg.Region, RetryMaxAttempts: 1,
		HTTPClient: d.http, Credentials: staticProvider(admin.Credentials)})
	sn, err := c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String(d.sc.Network.Name), AuthType: types.AuthTypeAwsIam})
	if err != nil {
		return err
	}
	if _, err := c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: sn.Id, Policy: aws.String(d.sc.Network.AuthPolicy)}); err != nil {
		return fmt.Errorf("auth policy of %s: %w", d.sc.Network.Name, err)
	}
	dest := "arn:aws:logs:" + d.cfg.Region + ":" + d.cfg.Account + ":log-group:" + demoLogGroup
	if _, err := c.CreateAccessLogSubscription(ctx, &vpclattice.CreateAccessLogSubscriptionInput{ResourceIdentifier: sn.Id, DestinationArn: aws.String(dest)}); err != nil {
		return err
	}
	ld, err := model.ParseLogDestination(dest)
	if err != nil {
		return err
	}
	d.logPath = filepath.Join(d.data, "access-logs", filepath.FromSlash(ld.Path))
	if _, err := c.CreateServiceNetworkVpcAssociation(ctx, &vpclattice.CreateServiceNetworkVpcAssociationInput{ServiceNetworkIdentifier: sn.Id, VpcIdentifier: aws.String(d.sc.VPC)}); err != nil {
		return err
	}
	for _, s := range d.sc.Services {
		svc, err := d.setupService(ctx, c, s)
		if err != nil {
			return fmt.Errorf("service %s: %w", s.Name, err)
		}
		if _, err := c.CreateServiceNetworkServiceAssociation(ctx, &vpclattice.CreateServiceNetworkServiceAssociationInput{ServiceNetworkIdentifier: sn.Id, ServiceIdentifier: svc.Id}); err != nil {
			return fmt.Errorf("service %s: %w", s.Name, err)
		}
	}
	return d.setupIdentities(ctx, admin)
}

// setupService creates a service with its auth policy, target group,
// listener and rule.
func (d *demo) setupService(ctx context.Context, c *vpclattice.Client, s demoService) (*vpclattice.CreateServiceOutput, error) {
	svc, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String(s.Name), CustomDomainName: aws.String(s.Domain), AuthType: types.AuthTypeAwsIam})
	if err != nil {
		return nil, err
	}
	policy := strings.ReplaceAll(s.AuthPolicy, demoServiceARN, aws.ToString(svc.Arn))
	if _, err := c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: svc.Id, Policy: aws.String(policy)}); err != nil {
		return nil, fmt.Errorf("auth policy: %w", err)
	}
	host, portText, err := net.SplitHostPort(d.targets[s.Name])
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, err
	}
	tg, err := c.CreateTargetGroup(ctx, &vpclattice.CreateTargetGroupInput{Name: aws.String(s.Name + "-targets"), Type: types.TargetGroupTypeIp,
		Config: &types.TargetGroupConfig{Port: aws.Int32(int32(port)), Protocol: types.TargetGroupProtocolHttp, VpcIdentifier: aws.String(d.sc.VPC)}})
	if err != nil {
		return nil, err
	}
	if _, err := c.RegisterTargets(ctx, &vpclattice.RegisterTargetsInput{TargetGroupIdentifier: tg.Id,
		Targets: []types.Target{{Id: aws.String(host), Port: aws.Int32(int32(port))}}}); err != nil {
		return nil, err
	}
	l, err := c.CreateListener(ctx, &vpclattice.CreateListenerInput{ServiceIdentifier: svc.Id, Name: aws.String("http"), Protocol: types.ListenerProtocolHttp,
		Port: aws.Int32(demoListenerPort), DefaultAction: &types.RuleActionMemberFixedResponse{Value: types.FixedResponseAction{StatusCode: aws.Int32(http.StatusNotFound)}}})
	if err != nil {
		return nil, err
	}
	_, err = c.CreateRule(ctx, &vpclattice.CreateRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id, Name: aws.String(s.Name), Priority: aws.Int32(10),
		Match:  &types.RuleMatchMemberHttpMatch{Value: types.HttpMatch{PathMatch: &types.PathMatch{Match: &types.PathMatchTypeMemberPrefix{Value: s.PathPrefix}}}},
		Action: &types.RuleActionMemberForward{Value: types.ForwardAction{TargetGroups: []types.WeightedTargetGroup{{TargetGroupIdentifier: tg.Id}}}}})
	return svc, err
}

// setupIdentities adds the scenario's identities to the configured ones
// with the native API, as "trellis export" and "trellis apply" would, and
// writes the access keys trellis created for them to the credentials file.
func (d *demo) setupIdentities(ctx context.Context, admin regionalCredentials) error {
	cp := &controlPlaneClient{endpoint: "http://" + d.controlPlane, region: d.cfg.Region, http: d.http,
		signer: sigv4.NewSigner(admin.AccessKeyID, sigv4.Credential{SecretAccessKey: admin.SecretAccessKey}, nil)}
	cur, err := cp.do(ctx, http.MethodGet, controlplane.NativeConfigurationPath, nil)
	if err != nil {
		return err
	}
	doc, err := controlplane.DecodeDocument(cur)
	if err != nil {
		return err
	}
	in := doc.Identity
	if in == nil {
		in = &identity.Input{}
	}
	add := d.sc.Identities
	in.Organizations = append(in.Organizations, add.Organizations...)
	in.Accounts = append(in.Accounts, add.Accounts...)
	in.Policies = append(in.Policies, add.Policies...)
	in.Users = append(in.Users, add.Users...)
	in.Roles = append(in.Roles, add.Roles...)
	in.AccessKeys = append(in.AccessKeys, add.AccessKeys...)
	body, err := json.Marshal(controlplane.Document{Identity: in})
	if err != nil {
		return err
	}
	resp, err := cp.do(ctx, http.MethodPost, controlplane.NativeConfigurationPath, body)
	if err != nil {
		return fmt.Errorf("applying the identities: %w", err)
	}
	var res controlplane.ApplyResult
	if err := json.Unmarshal(resp, &res); err != nil {
		return err
	}
	d.keys = map[string]aws.Credentials{}
	var file bytes.Buffer
	file.WriteString("# Throwaway access keys of the identities of \"trellis demo\", valid only on the\n" +
		"# trellis that created them. Use with AWS_SHARED_CREDENTIALS_FILE=<this file> and --profile NAME.\n")
	for _, c := range d.sc.Callers {
		for _, k := range res.NewAccessKeys {
			if c.User != "" && k.User == c.User {
				d.keys[c.Name] = aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}
				fmt.Fprintf(&file, "\n[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", c.Name, k.ID, k.Secret)
			}
		}
		if c.User != "" && d.keys[c.Name].AccessKeyID == "" {
			return fmt.Errorf("trellis created no access key for %s (caller %s)", c.User, c.Name)
		}
	}
	return os.WriteFile(filepath.Join(d.data, demoCredentialsFile), file.Bytes(), 0o600)
}

// staticProvider returns credentials that never change.
func staticProvider(c aws.Credentials) aws.CredentialsProviderFunc {
	return func(context.Context) (aws.Credentials, error) { return c, nil }
}

// describe prints what setup configured.
func (d *demo) describe() {
	fmt.Fprintln(d.out, "Set up through the VPC Lattice API and trellis's native API:")
	fmt.Fprintf(d.out, "  service network %s (AWS_IAM), associated with %s: %s\n", d.sc.Network.Name, d.sc.VPC, d.sc.Network.About)
	for _, s := range d.sc.Services {
		fmt.Fprintf(d.out, "  service %-24s (AWS_IAM): %s\n", s.Domain, s.About)
		fmt.Fprintf(d.out, "    listener HTTP:%d, %s* forwarded to %s (a target the demo runs, answering what it saw), else 404\n",
			demoListenerPort, s.PathPrefix, d.targets[s.Name])
	}
	fmt.Fprintln(d.out, "  callers:")
	for _, c := range d.sc.Callers {
		who := c.User
		if who == "" {
			who = "-"
		}
		fmt.Fprintf(d.out, "    %-10s %-42s %s\n", c.Name, who, c.About)
	}
	fmt.Fprintln(d.out)
}

// demoResult is what became of one call.
type demoResult struct {
	call   demoCall
	status int
	body   string
	// why is the access log's trellisDecision, or the 403 body when the
	// access log has no entry.
	why string
}

// outcome is "allowed" when the call got through to a target, "denied"
// when the gateway refused it, and "failed (STATUS)" otherwise.
func (r demoResult) outcome() string {
	switch {
	case r.status == http.StatusForbidden:
		return "denied"
	case r.status < 400:
		return "allowed"
	}
	return fmt.Sprintf("failed (%d)", r.status)
}

func (r demoResult) ok() bool {
	want := "denied"
	if r.call.Allowed {
		want = "allowed"
	}
	return r.outcome() == want
}

// demoUserAgent marks call i (from 0), so that its access-log entry can be
// found.
func demoUserAgent(i int) string { return "trellis-demo/call-" + strconv.Itoa(i+1) }

// send sends the scenario's calls and finds their access-log entries.
func (d *demo) send(ctx context.Context) ([]demoResult, error) {
	results := make([]demoResult, len(d.sc.Calls))
	for i, call := range d.sc.Calls {
		req, err := d.request(ctx, call)
		if err != nil {
			return nil, err
		}
		req.Header.Set("User-Agent", demoUserAgent(i))
		if creds, ok := d.keys[call.Caller]; ok {
			signer := sigv4.NewSigner(creds.AccessKeyID, sigv4.Credential{SecretAccessKey: creds.SecretAccessKey}, nil)
			if _, err := signer.Sign(req, sigv4.SignOptions{Service: gateway.SigningService, Region: d.cfg.Region,
				PayloadHash: sigv4.UnsignedPayload, AddContentSHA256Header: true}); err != nil {
				return nil, fmt.Errorf("signing call %d: %w", i+1, err)
			}
		}
		resp, err := d.http.Do(req)
		if err != nil {
			return nil, fmt.Errorf("call %d (%s %s): %w", i+1, call.Method, req.URL, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("call %d: reading the response: %w", i+1, err)
		}
		results[i] = demoResult{call: call, status: resp.StatusCode, body: strings.TrimSpace(string(body))}
	}
	decisions := d.readDecisions(ctx, len(results))
	for i := range results {
		results[i].why = decisions[demoUserAgent(i)]
		if results[i].why == "" && results[i].status >= 400 {
			results[i].why = results[i].body
		}
	}
	return results, nil
}

// request builds the request of a call, to the ingress with the service's
// name as Host.
func (d *demo) request(ctx context.Context, call demoCall) (*http.Request, error) {
	var body io.Reader
	if call.Body != "" {
		body = strings.NewReader(call.Body)
	}
	req, err := http.NewRequestWithContext(ctx, call.Method, "http://"+d.ingress+call.Path, body)
	if err != nil {
		return nil, err
	}
	req.Host = d.service(call.Service).Domain
	if call.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// service returns the scenario's service of that name.
func (d *demo) service(name string) demoService {
	for _, s := range d.sc.Services {
		if s.Name == name {
			return s
		}
	}
	return demoService{}
}

// readDecisions returns the trellisDecision of the access-log entries of
// the demo's calls by user agent, waiting briefly for the gateway to write
// the last of n.
func (d *demo) readDecisions(ctx context.Context, n int) map[string]string {
	decisions := map[string]string{}
	deadline := time.Now().Add(5 * time.Second)
	for {
		f, err := os.Open(d.logPath)
		if err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var e gateway.Entry
				if json.Unmarshal(sc.Bytes(), &e) == nil && strings.HasPrefix(e.UserAgent, "trellis-demo/") {
					decisions[e.UserAgent] = e.TrellisDecision
				}
			}
			f.Close()
		}
		if len(decisions) >= n || time.Now().After(deadline) || ctx.Err() != nil {
			return decisions
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// report prints one block per call and a summary; it returns the number of
// calls that did not behave as expected.
func (d *demo) report(results []demoResult) (failed int) {
	fmt.Fprintln(d.out, "Calls through the gateway, signed with SigV4 as the caller or unsigned (why: the access log's trellisDecision):")
	url := func(c demoCall) string { return "http://" + d.service(c.Service).Domain + c.Path }
	var callerWidth, urlWidth int
	for _, r := range results {
		callerWidth, urlWidth = max(callerWidth, len(r.call.Caller)), max(urlWidth, len(url(r.call)))
	}
	for _, r := range results {
		mark, verdict := "✔", "as expected"
		if !r.ok() {
			mark, failed = "✘", failed+1
			verdict = "EXPECTED " + map[bool]string{true: "allowed", false: "denied"}[r.call.Allowed]
		}
		fmt.Fprintf(d.out, "  %s %-*s %-6s %-*s  %s (%d), %s\n", mark, callerWidth, r.call.Caller, r.call.Method, urlWidth, url(r.call), r.outcome(), r.status, verdict)
		var saw demoTargetAnswer
		if r.status < 400 && json.Unmarshal([]byte(r.body), &saw) == nil && saw.Service != "" {
			fmt.Fprintf(d.out, "      %s saw %s %s from %s\n", saw.Service, saw.Method, saw.Path, saw.Identity)
		}
		if r.why != "" {
			fmt.Fprintf(d.out, "      why: %s\n", r.why)
		}
	}
	fmt.Fprintf(d.out, "%d of %d calls behaved as expected.\n", len(results)-failed, len(results))
	return failed
}

// instructions prints how to send calls of one's own: a trellis curl
// command for the first call of each caller, and the same with curl.
func (d *demo) instructions(once bool) {
	creds := filepath.Join(d.data, demoCredentialsFile)
	fmt.Fprintln(d.out)
	if once {
		fmt.Fprintln(d.out, "With --once the demo stops now; run it without --once to try the commands below.")
	}
	fmt.Fprintf(d.out, "Send your own with trellis curl (from a clone: go run ./cmd/trellis curl). Each line\n"+
		"repeats a call above; the demo identities' access keys are throwaway, in %s:\n", creds)
	seen := map[string]bool{}
	var curlExample string
	for _, call := range d.sc.Calls {
		if seen[call.Caller] {
			continue
		}
		seen[call.Caller] = true
		svc := d.service(call.Service)
		args := []string{"trellis", "curl"}
		if k, ok := d.keys[call.Caller]; ok {
			args = append([]string{"AWS_SHARED_CREDENTIALS_FILE=" + shellQuote(creds)}, args...)
			args = append(args, "--profile", call.Caller, "--region", d.cfg.Region)
			if curlExample == "" {
				host, port, _ := net.SplitHostPort(d.ingress)
				curlExample = strings.Join([]string{"curl", "--aws-sigv4", "aws:amz:" + d.cfg.Region + ":" + gateway.SigningService,
					"--user", shellQuote(k.AccessKeyID + ":" + k.SecretAccessKey), "--resolve", svc.Domain + ":" + port + ":" + host,
					"http://" + svc.Domain + ":" + port + call.Path}, " ")
			}
		} else {
			args = append(args, "--unsigned")
		}
		if call.Method != http.MethodGet {
			args = append(args, "-X", call.Method)
		}
		if call.Body != "" {
			args = append(args, "-H", shellQuote("Content-Type: application/json"), "-d", shellQuote(call.Body))
		}
		args = append(args, "-H", shellQuote("Host: "+svc.Domain), "http://"+d.ingress+call.Path)
		fmt.Fprintf(d.out, "  %s\n", strings.Join(args, " "))
	}
	if curlExample != "" {
		fmt.Fprintf(d.out, "or with curl 7.75 or later (the key is throwaway, so it is shown):\n  %s\n", curlExample)
	}
	fmt.Fprintf(d.out, "\nEach call is logged, with the reason in trellisDecision, to\n  %s\n", d.logPath)
	fmt.Fprintf(d.out, "Change the example with the AWS CLI or SDKs as the administrator, for example:\n"+
		"  AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=%s aws vpc-lattice list-services --endpoint-url http://%s --region %s\n",
		shellQuote(filepath.Join(d.data, controlplane.AdminCredentialsFile)), controlplane.AdminProfile, d.controlPlane, d.cfg.Region)
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
