package scan

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultRegion is the region of a scenario that names none.
const DefaultRegion = "us-east-1"

// FileName is the scenario file Load reads from a directory.
const FileName = "scenario.yaml"

// DefaultStage names the one stage of a scenario without stages.
const DefaultStage = "default"

// Load reads a scenario from a file, or from the scenario.yaml of a
// directory; the configuration files it names are read relative to it.
func Load(path string) (*Scenario, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		path = filepath.Join(path, FileName)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	return Parse(data, path, func(name string) ([]byte, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, filepath.FromSlash(name))
		}
		return os.ReadFile(name)
	})
}

// Parse decodes a scenario written as YAML (or JSON), named file in
// messages, reading the configuration files it names with readFile. It
// checks everything a run needs: the keys (unknown ones are errors), the
// values, the references between callers, targets and calls, and every
// stage's configuration, built as the control plane builds it. All
// problems are returned at once, each an *Error.
func Parse(data []byte, file string, readFile func(name string) ([]byte, error)) (*Scenario, error) {
	p := newProblems(file)
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		p.errs = append(p.errs, &Error{File: file, Message: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
		return nil, p.err()
	}
	if len(root.Content) == 0 {
		p.at("", "the scenario is empty: it needs callers, targets and calls (see docs/scan.md)")
		return nil, p.err()
	}
	sc := &Scenario{file: file}
	decodeNode(p, root.Content[0], "", reflect.ValueOf(sc).Elem())
	if len(p.errs) > 0 {
		return nil, p.err()
	}
	sc.check(p)
	if len(p.errs) > 0 {
		return nil, p.err()
	}
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	if sc.Region == "" {
		sc.Region = DefaultRegion
	}
	b := &builder{sc: sc, p: p, readFile: readFile}
	b.build()
	if len(p.errs) > 0 {
		return nil, p.err()
	}
	return sc, nil
}

// StageNames returns the names of the scenario's stages, in order.
func (sc *Scenario) StageNames() []string {
	out := make([]string, len(sc.stages))
	for i, w := range sc.stages {
		out[i] = w.name
	}
	return out
}

var (
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	sessionKeyRE     = regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`)
	accessKeyRE      = regexp.MustCompile(`^(AKIA|ASIA)[A-Z2-7]{16}$`)
	methodPattern    = regexp.MustCompile(`^[A-Z]{1,16}$`)
	sessionNameRE    = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{2,64}$`)
	stageNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	// dnsNamePattern matches DNS names of two labels or more.
	dnsNamePattern = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$`)
)

// check checks what can be checked without the configuration: required
// fields, formats, and the references between callers, targets, calls and
// stages.
func (sc *Scenario) check(p *problems) {
	if sc.Region != "" && !regionPattern.MatchString(sc.Region) {
		p.at("region", "%q is not a region such as us-east-1", sc.Region)
	}
	checkConfig(p, "config", &sc.Config)
	keys := map[string]bool{}
	for i, s := range sc.Sessions {
		path := fmt.Sprintf("sessions[%d]", i)
		switch {
		case !sessionKeyRE.MatchString(s.AccessKeyID):
			p.at(path+".accessKeyId", "%q is not a session's access key ID: ASIA and 16 characters of A-Z and 2-7", s.AccessKeyID)
		case keys[s.AccessKeyID]:
			p.at(path+".accessKeyId", "session %s is declared twice", s.AccessKeyID)
		}
		keys[s.AccessKeyID] = true
		if !strings.HasPrefix(s.Role, "arn:aws:iam::") || !strings.Contains(s.Role, ":role/") {
			p.at(path+".role", "%q is not a role ARN such as arn:aws:iam::111122223333:role/NAME", s.Role)
		}
		if !sessionNameRE.MatchString(s.SessionName) {
			p.at(path+".sessionName", "%q is not a role session name: 2 to 64 characters of A-Z a-z 0-9 +=,.@_-", s.SessionName)
		}
	}
	urls := map[string]bool{}
	for i, b := range sc.Backends {
		path := fmt.Sprintf("backends[%d]", i)
		u, err := url.Parse(b.URL)
		switch {
		case err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil:
			p.at(path+".url", "%q is not an origin such as http://127.0.0.1:8081 (http, a host and port, no path)", b.URL)
		case urls[u.Host]:
			p.at(path+".url", "a backend for %s is declared twice", b.URL)
		default:
			urls[u.Host] = true
		}
		if !oneOf(b.Serve, backendOrderHistory, backendEcho) {
			p.at(path+".serve", "%q is not a backend: use %s or %s", b.Serve, backendOrderHistory, backendEcho)
		}
	}
	callers := map[string]bool{}
	for i, c := range sc.Callers {
		path := fmt.Sprintf("callers[%d]", i)
		checkName(p, path+".name", "caller", c.Name, callers)
		if !strings.HasPrefix(c.Interface, "eni-") {
			p.at(path+".interface", "%q is not a network interface ID such as eni-0123456789abcdef0: every caller runs behind one", c.Interface)
		}
		checkCredentials(p, path, c.Credentials, c.Signs)
	}
	if len(sc.Callers) == 0 {
		p.at("callers", "the scenario has no callers")
	}
	targets := map[string]*Target{}
	names := map[string]bool{}
	for i := range sc.Targets {
		t := &sc.Targets[i]
		path := fmt.Sprintf("targets[%d]", i)
		checkName(p, path+".name", "target", t.Name, names)
		targets[t.Name] = t
		checkTarget(p, path, t)
	}
	if len(sc.Targets) == 0 {
		p.at("targets", "the scenario has no targets")
	}
	calls := len(sc.Calls)
	for i, c := range sc.Calls {
		checkCall(p, fmt.Sprintf("calls[%d]", i), c, callers, targets)
	}
	stages := map[string]bool{}
	for i, st := range sc.Stages {
		path := fmt.Sprintf("stages[%d]", i)
		checkName(p, path+".name", "stage", st.Name, stages)
		if st.Name != "" && !stageNamePattern.MatchString(st.Name) {
			p.at(path+".name", "%q is not a stage name: up to 64 letters, digits, '.', '_' and '-', starting with a letter or digit", st.Name)
		}
		if _, err := strconv.Atoi(st.Name); err == nil {
			p.at(path+".name", "%q: a stage name cannot be a number, which --stage takes as the stage's position", st.Name)
		}
		checkConfig(p, path+".config", &st.Config)
		for j, ch := range st.Callers {
			cp := fmt.Sprintf("%s.callers[%d]", path, j)
			if !callers[ch.Name] {
				p.at(cp+".name", "no caller %q: stages change the callers the scenario declares", ch.Name)
			}
			if ch.Interface != nil && !strings.HasPrefix(*ch.Interface, "eni-") {
				p.at(cp+".interface", "%q is not a network interface ID such as eni-0123456789abcdef0", *ch.Interface)
			}
			if ch.Credentials != nil && *ch.Credentials != "" && !accessKeyRE.MatchString(*ch.Credentials) {
				p.at(cp+".credentials", "%q is not an access key ID (AKIA... or ASIA...)", *ch.Credentials)
			}
		}
		for j, c := range st.Calls {
			checkCall(p, fmt.Sprintf("%s.calls[%d]", path, j), c, callers, targets)
		}
		calls += len(st.Calls)
	}
	if calls == 0 {
		p.at("calls", "the scenario makes no calls: list them under calls (or a stage's calls)")
	}
}

// checkName checks that a name is given and unique among seen.
func checkName(p *problems, path, what, name string, seen map[string]bool) {
	switch {
	case strings.TrimSpace(name) == "":
		p.at(path, "every %s needs a name", what)
	case seen[name]:
		p.at(path, "two %ss are named %q", what, name)
	}
	seen[name] = true
}

func checkCredentials(p *problems, path, key string, signs *bool) {
	if key != "" && !accessKeyRE.MatchString(key) {
		p.at(path+".credentials", "%q is not an access key ID (AKIA... or ASIA..., then 16 characters of A-Z and 2-7)", key)
	}
	if key == "" && signs != nil && *signs {
		p.at(path+".signs", "a caller without credentials cannot sign: give it credentials (an access key ID)")
	}
}

func checkConfig(p *problems, path string, c *Config) {
	for i, f := range c.Files {
		if strings.TrimSpace(f) == "" {
			p.at(fmt.Sprintf("%s.files[%d]", path, i), "empty file name")
		}
	}
	if l := c.Lattice; l != nil {
		checkLattice(p, path+".lattice", l)
	}
}

func checkTarget(p *problems, path string, t *Target) {
	kinds := 0
	for _, s := range []string{t.API, t.Service, t.EndpointService, t.DNSName, t.Internet} {
		if s != "" {
			kinds++
		}
	}
	if kinds != 1 {
		p.at(path, "a target is exactly one of api (with stage), service, endpointService, dnsName or internet")
		return
	}
	if t.Stage != "" && t.API == "" {
		p.at(path+".stage", "only an api target has a stage")
	}
	if t.API != "" && t.Stage == "" {
		p.at(path+".stage", "an api target needs the stage it calls, such as \"prod\"")
	}
	web := t.API != "" || t.Service != ""
	switch {
	case web && t.Port != 0:
		p.at(path+".port", "api and service targets are called on the endpoint's or listener's port: port is for endpointService, dnsName and internet targets")
	case !web && (t.Method != "" || t.Path != ""):
		p.at(path, "method and path are for api and service targets: %s targets are TCP connections", tcpKind(t))
	case !web && (t.Port < 0 || t.Port > 65535):
		p.at(path+".port", "%d is not a TCP port (1 to 65535)", t.Port)
	}
	if t.Method != "" && !methodPattern.MatchString(t.Method) {
		p.at(path+".method", "%q is not an HTTP method such as GET (upper-case letters)", t.Method)
	}
	if t.Path != "" {
		if u, err := url.Parse(t.Path); err != nil || !strings.HasPrefix(t.Path, "/") || u.RawQuery != "" || u.Fragment != "" || u.Host != "" {
			p.at(path+".path", "%q is not a path such as /orders/42: it starts with / and has no query", t.Path)
		}
	}
	if t.EndpointService != "" && !strings.HasPrefix(t.EndpointService, "vpce-svc-") {
		p.at(path+".endpointService", "%q is not an endpoint service ID such as vpce-svc-0123456789abcdef0", t.EndpointService)
	}
	if t.Internet != "" {
		if a, err := netip.ParseAddr(t.Internet); err != nil || !a.Is4() {
			p.at(path+".internet", "%q is not an IPv4 address such as 203.0.113.10", t.Internet)
		}
	}
	if t.DNSName != "" && !dnsNamePattern.MatchString(t.DNSName) {
		p.at(path+".dnsName", "%q is not a DNS name such as orders.provider.example", t.DNSName)
	}
}

// tcpKind names the kind of a target that is a TCP connection.
func tcpKind(t *Target) string {
	switch {
	case t.EndpointService != "":
		return "endpointService"
	case t.DNSName != "":
		return "dnsName"
	}
	return "internet"
}

func checkCall(p *problems, path string, c Call, callers map[string]bool, targets map[string]*Target) {
	if !callers[c.Caller] {
		p.at(path+".caller", "no caller %q", c.Caller)
	}
	t, ok := targets[c.Target]
	if !ok {
		p.at(path+".target", "no target %q", c.Target)
	}
	if !oneOf(c.Desired, Allow, Block) {
		p.at(path+".desired", "%q: the desired outcome is allow or block", c.Desired)
	}
	if !ok {
		return
	}
	switch {
	case (t.API != "" || t.EndpointService != "") && !strings.HasPrefix(c.Route, "vpce-"):
		p.at(path+".route", "a call to %s goes through an interface endpoint: the route is its ID, such as vpce-0123456789abcdef0, not %q", c.Target, c.Route)
	case t.Service != "" && c.Route != "" && !strings.HasPrefix(c.Route, "vpc-"):
		p.at(path+".route", "a call to a VPC Lattice service goes through the caller's VPC: the route is that VPC's ID or nothing, not %q", c.Route)
	case t.Internet != "" && c.Route != "":
		p.at(path+".route", "a call to the internet takes the route its subnet's route table gives: leave route out")
	case t.DNSName != "" && c.Route != "":
		p.at(path+".route", "a call to a DNS name goes where the name resolves in the caller's VPC: leave route out")
	}
}

// Desired and actual outcomes.
const (
	Allow = "allow"
	Block = "block"
)

// A secret is the made-up secret (and, for a session, token) of an access
// key for one run.
type secret struct {
	key, token string
}

// newSecret returns a random 40-character secret access key and a token.
func newSecret() secret {
	return secret{key: randomText(40), token: "scan-" + randomText(32)}
}

func randomText(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
