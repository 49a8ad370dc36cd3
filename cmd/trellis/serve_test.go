package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"

	"github.com/trellisproject/trellis/controlplane"
)

// testServer is "trellis serve" running in-process on a random loopback
// port.
type testServer struct {
	url  string
	data string
	stop func() error
}

// isolateAWSEnvironment keeps the machine's AWS settings out of a test.
func isolateAWSEnvironment(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
}

// startServer runs serve with the default configuration over data, as
// changed by configure, and stops it when the test ends.
func startServer(t *testing.T, data string, configure ...func(*serveConfig)) *testServer {
	t.Helper()
	cfg := defaultServeConfig()
	cfg.Data = data
	cfg.Listen = "127.0.0.1:0"
	for _, c := range configure {
		c(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- serve(ctx, cfg, log, io.Discard, func(addr string, _ []string) { ready <- addr }) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("serve did not start within 10s")
	}
	s := &testServer{url: "http://" + addr, data: data}
	var stopped bool
	s.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return errors.New("serve did not stop within 15s of its context ending")
		}
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// adminKey reads the administrator's access key from the file serve wrote.
func adminKey(t *testing.T, data string) (id, secret string) {
	t.Helper()
	f, err := os.Open(filepath.Join(data, controlplane.AdminCredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		t.Fatal("the admin credentials file has no access key")
	}
	return id, secret
}

func staticCredentials(id, secret, token string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, Source: "test"}, nil
	})
}

func (s *testServer) lattice(creds aws.CredentialsProvider) *vpclattice.Client {
	return vpclattice.New(vpclattice.Options{BaseEndpoint: aws.String(s.url), Region: "us-east-1", Credentials: creds, RetryMaxAttempts: 1})
}

func (s *testServer) sts(creds aws.CredentialsProvider) *sts.Client {
	return sts.New(sts.Options{BaseEndpoint: aws.String(s.url), Region: "us-east-1", Credentials: creds, RetryMaxAttempts: 1})
}

func TestServeBootstrapsOnce(t *testing.T) {
	isolateAWSEnvironment(t)
	data := filepath.Join(t.TempDir(), "data")
	s := startServer(t, data)
	path := filepath.Join(data, controlplane.AdminCredentialsFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	first, _ := os.ReadFile(path)
	id, secret := adminKey(t, data)
	out, err := s.sts(staticCredentials(id, secret, "")).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("the administrator's credentials do not work: %v", err)
	}
	if got := aws.ToString(out.Arn); got != "arn:aws:iam::000000000000:user/admin" {
		t.Errorf("caller = %s", got)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	// A restart neither rewrites the file nor creates another administrator.
	s = startServer(t, data)
	second, _ := os.ReadFile(path)
	if string(first) != string(second) {
		t.Error("the credentials file changed on restart")
	}
	if _, err := s.sts(staticCredentials(id, secret, "")).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("after a restart: %v", err)
	}
	// Unsigned calls get nothing.
	_, err = s.lattice(aws.AnonymousCredentials{}).ListServices(context.Background(), &vpclattice.ListServicesInput{})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("unsigned ListServices: %v, want a 403", err)
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	isolateAWSEnvironment(t)
	dir := t.TempDir()
	tests := []struct {
		name    string
		file    string
		args    []string
		wantErr string
	}{
		{"unknown key", "listen: 127.0.0.1:0\nlistne: x\n", nil, `unknown field "listne"`},
		{"not yaml", "listen: [\n", nil, "is not valid YAML or JSON"},
		{"bad listen", "listen: nowhere\n", nil, `listen address "nowhere"`},
		{"bad account", "account: \"123\"\n", nil, `account "123" is not a 12-digit account ID`},
		{"number for a string", "account: 123456789012\n", nil, `account must be a string, not a number (quote it`},
		{"bad timeout", "shutdownTimeout: soon\n", nil, `shutdownTimeout "soon"`},
		{"bad metrics address", "gateway:\n  metricsListen: nowhere\n", nil, `gateway.metricsListen "nowhere"`},
		{"bad upstream timeout", "gateway:\n  upstreamTimeout: 60\n", nil, `gateway.upstreamTimeout must be a string`},
		{"negative control plane limit", "controlPlane: {maxBodyBytes: -1}\n", nil, `controlPlane: maxBodyBytes -1, maxHeaderBytes 0 and maxConnections 0 cannot be negative`},
		{"negative control plane timeout", "controlPlane: {idleTimeout: -1s}\n", nil, `controlPlane: readHeaderTimeout, readTimeout, writeTimeout and idleTimeout cannot be negative`},
		{"control plane timeout without unit", "controlPlane: {readTimeout: 60}\n", nil, `a duration must be a string such as "90s", not 60`},
		{"control plane size as text", "controlPlane: {maxBodyBytes: 1MiB}\n", nil, `controlPlane.maxBodyBytes must be a number, not a string`},
		{"unknown control plane key", "controlPlane: {maxBody: 5}\n", nil, `unknown field "maxBody"`},
		{"negative signed body limit", "gateway:\n  maxSignedBodyBytes: -5\n", nil, `gateway.maxSignedBodyBytes -5 cannot be negative`},
		{"negative upstream timeout", "gateway:\n  upstreamTimeout: -1s\n", nil, `gateway.upstreamTimeout "-1s" is not a duration`},
		{"negative rate limit", "rateLimit: {perSecond: -1, burst: 5}\n", nil, `rateLimit: perSecond -1 must be a number of calls a second`},
		{"negative burst", "rateLimit: {perSecond: 5, burst: -1}\n", nil, `burst -1 not negative`},
		{"rate limit not a number", "rateLimit: {perSecond: .nan}\n", nil, `NaN is not allowed; numbers must be finite`},
		{"flag overrides file", "listen: nowhere\n", []string{"--listen", "127.0.0.1:0", "--account", "12"}, `account "12"`},
		{"missing file", "", nil, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "missing.yaml")
			if tt.file != "" {
				path = writeFile(t, "trellis.yaml", tt.file)
			}
			args := append([]string{"serve", "--data", filepath.Join(dir, "data"), "--config", path}, tt.args...)
			code, _, errOut := runCLI(t, "", args...)
			if code != exitUsage || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, exitUsage, tt.wantErr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused start created the data directory")
	}
}

// TestServeLatticeAndSTS drives the Lattice and STS APIs of one server
// with aws-sdk-go-v2, including credentials that STS has just issued.
func TestServeLatticeAndSTS(t *testing.T) {
	isolateAWSEnvironment(t)
	data := t.TempDir()
	s := startServer(t, data)
	ctx := context.Background()
	id, secret := adminKey(t, data)
	admin := staticCredentials(id, secret, "")

	// A role the administrator may assume, allowed to read services only.
	doc := fmt.Sprintf(`
identity:
  accounts: [{id: "000000000000", name: trellis}]
  users:
    - account: "000000000000"
      name: admin
      inlinePolicies:
        - name: AdministratorAccess
          document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
  roles:
    - account: "000000000000"
      name: reader
      trustPolicy:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::000000000000:root"}, Action: sts:AssumeRole}]
      inlinePolicies:
        - name: read
          document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["vpc-lattice:Get*", "vpc-lattice:List*"], Resource: "*"}]}
  accessKeys:
    - {id: %s, user: "arn:aws:iam::000000000000:user/admin"}
`, id)
	code, out, errOut := runCLI(t, "", "apply", "-f", writeFile(t, "roles.yaml", doc), "--endpoint", s.url, "--data", data)
	if code != 0 || !strings.Contains(out, "+ role arn:aws:iam::000000000000:role/reader") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}

	lc := s.lattice(admin)
	svc, err := lc.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("orders"), AuthType: types.AuthTypeAwsIam})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^svc-[0-9a-z]{17}$`).MatchString(aws.ToString(svc.Id)) {
		t.Errorf("service ID %q", aws.ToString(svc.Id))
	}

	// The session's credentials work at once, and only as the role allows.
	ar, err := s.sts(admin).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/reader"), RoleSessionName: aws.String("ci-run")})
	if err != nil {
		t.Fatal(err)
	}
	c := ar.Credentials
	session := staticCredentials(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	who, err := s.sts(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the new session: %v", err)
	}
	if got := aws.ToString(who.Arn); got != "arn:aws:sts::000000000000:assumed-role/reader/ci-run" {
		t.Errorf("session caller = %s", got)
	}
	list, err := s.lattice(session).ListServices(ctx, &vpclattice.ListServicesInput{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("ListServices as the session: %v, %v", list, err)
	}
	var denied *types.AccessDeniedException
	_, err = s.lattice(session).CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("payments")})
	if !errors.As(err, &denied) {
		t.Errorf("CreateService as the read-only session: %v, want AccessDeniedException", err)
	}
}

func TestApplyExportGet(t *testing.T) {
	isolateAWSEnvironment(t)
	data := t.TempDir()
	s := startServer(t, data)
	flags := []string{"--endpoint", s.url, "--data", data}

	code, exported, errOut := runCLI(t, "", append([]string{"export"}, flags...)...)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	if strings.Contains(exported, "secret") {
		t.Errorf("export shows a secret:\n%s", exported)
	}

	// Exporting and applying the result changes nothing.
	code, out, errOut := runCLI(t, "", append([]string{"apply", "-f", writeFile(t, "export.yaml", exported)}, flags...)...)
	if code != 0 || !strings.Contains(out, "no changes") {
		t.Errorf("re-applying the export: exit %d\n%s%s", code, out, errOut)
	}

	// A new user with a new key: the dry run changes nothing.
	withCI := strings.Replace(exported, "  users:\n", "  users:\n    - account: \"000000000000\"\n      name: ci\n", 1)
	withCI = strings.Replace(withCI, "  accessKeys:\n", "  accessKeys:\n    - user: arn:aws:iam::000000000000:user/ci\n", 1)
	file := writeFile(t, "ci.yaml", withCI)
	code, out, errOut = runCLI(t, "", append([]string{"apply", "-f", file, "--dry-run"}, flags...)...)
	if code != 0 || !strings.Contains(out, "+ user arn:aws:iam::000000000000:user/ci") || !strings.Contains(out, "dry run: nothing changed") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", append([]string{"get", "users"}, flags...)...)
	if code != 0 || strings.Contains(out, "name: ci") {
		t.Errorf("the dry run changed the users:\n%s", out)
	}

	code, out, errOut = runCLI(t, "", append([]string{"apply", "-f", file}, flags...)...)
	if code != 0 || !strings.Contains(out, "change(s) applied") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	m := regexp.MustCompile(`new access key for arn:aws:iam::000000000000:user/ci: (AKIA[A-Z2-7]{16})\n  secret access key \(shown only now\): (\S{40})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("apply did not show the new key:\n%s", out)
	}
	code, out, _ = runCLI(t, "", append([]string{"get", "users", "-o", "json"}, flags...)...)
	if code != 0 || !strings.Contains(out, `"name": "ci"`) {
		t.Errorf("get users after apply:\n%s", out)
	}

	// The new key authenticates, and its user has no permissions yet.
	t.Setenv("AWS_ACCESS_KEY_ID", m[1])
	t.Setenv("AWS_SECRET_ACCESS_KEY", m[2])
	code, _, errOut = runCLI(t, "", append([]string{"export"}, flags...)...)
	if code != exitFailed || !strings.Contains(errOut, "AccessDeniedException") {
		t.Errorf("export as ci: exit %d, %s; want AccessDeniedException", code, errOut)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")

	// Invalid documents change nothing and say why.
	tests := []struct {
		name, doc, want string
		code            int
	}{
		{"unknown field", "identity: {userz: []}\n", `unknown field "userz"`, exitUsage},
		{"not YAML", "identity: [\n", "not valid YAML or JSON", exitUsage},
		{"empty", "\n", "the document is empty", exitUsage},
		{"invalid user", "identity: {users: [{name: x}]}\n", `users[0]: account: "" is not a 12-digit account ID`, exitFailed},
		{"sessions", "identity: {sessions: [{}]}\n", "identity.sessions cannot be declared", exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", append([]string{"apply", "-f", writeFile(t, "bad.yaml", tt.doc)}, flags...)...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, errOut, tt.code, tt.want)
			}
		})
	}
	code, after, _ := runCLI(t, "", append([]string{"get", "identity"}, flags...)...)
	if code != 0 || !strings.Contains(after, "name: ci") {
		t.Errorf("a refused document changed the configuration:\n%s", after)
	}
}

func TestClientCommandsWithoutServer(t *testing.T) {
	isolateAWSEnvironment(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no credentials", []string{"export", "--data", dir}, exitFailed, "start \"trellis serve\""},
		{"no file", []string{"apply", "--data", dir}, exitUsage, "apply needs -f FILE"},
		{"bad endpoint", []string{"get", "users", "--endpoint", "127.0.0.1:7400"}, exitUsage, "is not an http:// or https:// URL"},
		{"bad section", []string{"get", "groups"}, exitUsage, `unknown section "groups"`},
		{"bad output", []string{"export", "-o", "xml"}, exitUsage, `--output "xml": use yaml or json`},
		{"bad get output", []string{"get", "users", "-o", "text"}, exitUsage, `--output "text": use yaml or json`},
		{"unknown section to apply", []string{"apply", "-f", "../../examples/privatelink/config.yaml", "--only", "network,routes", "--data", dir}, exitUsage,
			`config.yaml: --only "routes": the sections are identity, network and apis`},
		{"absent section to apply", []string{"apply", "-f", "../../examples/privatelink/accepted.yaml", "--only", "identity", "--data", dir}, exitUsage,
			"accepted.yaml: --only identity: the document has no identity section"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, "", tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}

// TestApplyShippedExample applies examples/config/identities.yaml as
// docs/configuration.md tells users to, then uses what it declares.
func TestApplyShippedExample(t *testing.T) {
	isolateAWSEnvironment(t)
	data := t.TempDir()
	s := startServer(t, data)
	flags := []string{"--endpoint", s.url, "--data", data}
	example, err := os.ReadFile("../../examples/config/identities.yaml")
	if err != nil {
		t.Fatal(err)
	}

	// As shipped, it would delete the key that signs the request.
	code, _, errOut := runCLI(t, "", append([]string{"apply", "-f", writeFile(t, "as-shipped.yaml", string(example))}, flags...)...)
	if code != exitFailed || !strings.Contains(errOut, "AKIAREPLACEWITHYOURS has no secret and does not exist") {
		t.Errorf("applying the example unedited: exit %d, %s", code, errOut)
	}
	id, secret := adminKey(t, data)
	withoutAdmin := strings.Replace(string(example), "    - id: AKIAREPLACEWITHYOURS\n      user: arn:aws:iam::000000000000:user/admin\n", "", 1)
	code, _, errOut = runCLI(t, "", append([]string{"apply", "-f", writeFile(t, "lockout.yaml", withoutAdmin)}, flags...)...)
	if code != exitFailed || !strings.Contains(errOut, "deletes access key "+id+", which signed this request") {
		t.Errorf("a document without the signing key: exit %d, %s", code, errOut)
	}

	edited := strings.ReplaceAll(string(example), "AKIAREPLACEWITHYOURS", id)
	code, out, errOut := runCLI(t, "", append([]string{"apply", "-f", writeFile(t, "identities.yaml", edited)}, flags...)...)
	if code != 0 {
		t.Fatalf("apply the example: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"+ organization o-exampleorg1", "+ account 111122223333", "+ role arn:aws:iam::111122223333:role/ci-deployer", "new access key for arn:aws:iam::111122223333:user/recommendations"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, out)
		}
	}
	// The administrator can assume the role it declares.
	ar, err := s.sts(staticCredentials(id, secret, "")).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::111122223333:role/ci-deployer"), RoleSessionName: aws.String("deploy")})
	if err != nil {
		t.Fatalf("AssumeRole ci-deployer: %v", err)
	}
	if got := aws.ToString(ar.AssumedRoleUser.Arn); got != "arn:aws:sts::111122223333:assumed-role/ci-deployer/deploy" {
		t.Errorf("assumed role user %s", got)
	}
}

// servedAddrs are the addresses a started serve listens on: the control
// plane's and the gateway's listeners, ingresses first, then endpoints.
type servedAddrs struct {
	cp      string
	gateway []string
}

// startServe runs serve with cfg, its output to stdout, until the test
// ends, and returns its addresses once it listens.
func startServe(t *testing.T, cfg serveConfig, stdout io.Writer) servedAddrs {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan servedAddrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), stdout, func(cp string, gw []string) { ready <- servedAddrs{cp, gw} })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case a := <-ready:
		return a
	case err := <-done:
		done <- nil // reported here; the cleanup must not wait
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return servedAddrs{}
}

// TestUpstreamTimeoutSetting checks how gateway.upstreamTimeout becomes the
// gateway's setting: empty is the default (0), "0s" is no limit (-1).
func TestUpstreamTimeoutSetting(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{{"", 0}, {"0s", -1}, {"90s", 90 * time.Second}, {"1m30s", 90 * time.Second}} {
		if got := upstreamTimeout(tt.in); got != tt.want {
			t.Errorf("upstreamTimeout(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
