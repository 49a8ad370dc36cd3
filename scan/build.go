package scan

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/network"
	"github.com/trellisproject/trellis/snapshot"
)

// unusedTarget is the target of VPC Lattice services in static runs,
// which never send anything.
var unusedTarget = netip.AddrPortFrom(netip.IPv4Unspecified(), 9)

// targetKind says what a call is for.
type targetKind uint8

const (
	kindAPI targetKind = iota
	kindService
	kindEndpointService
	kindDNSName
	kindInternet
)

// A stageWorld is one stage, ready to run: its configuration, built, and
// its calls, resolved against it.
type stageWorld struct {
	name, description string
	// doc and lattice are the configuration after the stage, as written;
	// state is it built, for static decisions (live runs rebuild it with
	// their backends).
	doc     controlplane.Document
	lattice *Lattice
	state   *snapshot.State
	calls   []*plannedCall
}

// A callerState is what a caller does at one stage.
type callerState struct {
	name, iface, key string
	signs            bool
}

// A plannedCall is one call of a stage, resolved against the stage's
// configuration.
type plannedCall struct {
	call   Call
	target *Target
	kind   targetKind
	caller callerState
	// src is the caller's network interface.
	src network.Interface
	// method and path are the request's, path escaped and after the stage
	// for an API; rawPath is path unescaped, as a VPC Lattice policy sees
	// it.
	method, path, rawPath string
	// apiID and stage name the API called; endpoint is the interface
	// endpoint of an API or endpoint service call, and endpointVPC its VPC
	// ("" when the endpoint is not in the network).
	apiID, stage, endpoint, endpointVPC string
	// host and vpcOwner are for VPC Lattice calls.
	host, vpcOwner string
	// addr and port are the destination of an internet call, port that of
	// an endpoint service or DNS name call.
	addr netip.Addr
	port uint16
	// dnsName is the name a DNS name call dials; endpoint is then the
	// endpoint it resolves to in the caller's VPC, if any.
	dnsName string
}

// route returns what the report shows as the call's route.
func (c *plannedCall) route() string {
	switch c.kind {
	case kindService:
		return c.src.VPC
	case kindInternet:
		return "internet"
	case kindDNSName:
		if c.endpoint == "" {
			return "none" // the name resolves to no endpoint of the VPC
		}
	}
	return c.endpoint
}

// builder builds the stages of a scenario.
type builder struct {
	sc       *Scenario
	p        *problems
	readFile func(string) ([]byte, error)
}

func (b *builder) build() {
	sc := b.sc
	sc.issued = time.Now().Add(-time.Minute)
	sc.secrets = map[string]secret{}
	for _, s := range sc.Sessions {
		sc.secrets[s.AccessKeyID] = newSecret()
	}
	base, baseLattice, ok := b.config("config", &sc.Config, controlplane.Document{}, nil)
	if !ok {
		return
	}
	stages := sc.Stages
	if len(stages) == 0 {
		stages = []Stage{{Name: DefaultStage}}
	}
	callers := map[string]callerState{}
	for _, c := range sc.Callers {
		callers[c.Name] = callerState{name: c.Name, iface: c.Interface, key: c.Credentials, signs: signs(c.Credentials, c.Signs)}
	}
	doc, lattice := base, baseLattice
	calls := sc.Calls
	var worlds []*stageWorld
	for i := range stages {
		st := &stages[i]
		path := fmt.Sprintf("stages[%d]", i)
		if len(sc.Stages) == 0 {
			path = "config"
		}
		if doc, lattice, ok = b.config(path+".config", &st.Config, doc, lattice); !ok {
			return
		}
		for _, ch := range st.Callers {
			c := callers[ch.Name]
			if ch.Interface != nil {
				c.iface = *ch.Interface
			}
			if ch.Credentials != nil {
				c.key = *ch.Credentials
			}
			if ch.Signs != nil {
				c.signs = *ch.Signs
			} else if ch.Credentials != nil {
				c.signs = c.key != ""
			}
			callers[ch.Name] = c
		}
		calls = append(calls[:len(calls):len(calls)], st.Calls...)
		w := &stageWorld{name: st.Name, description: st.Description, doc: doc, lattice: lattice}
		b.stage(path, w, callers, calls)
		worlds = append(worlds, w)
	}
	if len(b.p.errs) > 0 {
		return
	}
	b.checkKeys(worlds)
	sc.stages = worlds
}

// signs returns whether a caller signs by default.
func signs(key string, given *bool) bool {
	if given != nil {
		return *given
	}
	return key != ""
}

// config lays a Config over a document and a lattice section: its files
// in order, then its inline sections.
func (b *builder) config(path string, c *Config, doc controlplane.Document, lattice *Lattice) (controlplane.Document, *Lattice, bool) {
	ok := true
	for i, f := range c.Files {
		fp := fmt.Sprintf("%s.files[%d]", path, i)
		if b.readFile == nil {
			b.p.at(fp, "%s: this scenario cannot read files", f)
			ok = false
			continue
		}
		data, err := b.readFile(f)
		if err != nil {
			b.p.at(fp, "%v", err)
			ok = false
			continue
		}
		d, err := controlplane.DecodeDocument(data)
		if err != nil {
			b.p.at(fp, "%s: %v", f, err)
			ok = false
			continue
		}
		doc = *doc.Overlay(d)
	}
	for _, s := range []struct {
		name string
		sec  Section
	}{{"identity", c.Identity}, {"network", c.Network}, {"apis", c.APIs}} {
		if s.sec.IsZero() {
			continue
		}
		d, err := sectionDocument(s.name, s.sec)
		if err != nil {
			b.p.at(path+"."+s.name, "%v", err)
			ok = false
			continue
		}
		doc = *doc.Overlay(d)
	}
	if c.Lattice != nil {
		lattice = c.Lattice
	}
	return doc, lattice, ok
}

// sectionDocument decodes one inline section as a native document holding
// just that section.
func sectionDocument(name string, s Section) (*controlplane.Document, error) {
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: name}, s.node}}
	data, err := yaml.Marshal(root)
	if err != nil {
		return nil, err
	}
	d, err := controlplane.DecodeDocument(data)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), name+"."))
	}
	return d, nil
}

// stage builds a stage's configuration as the control plane would and
// resolves its calls.
func (b *builder) stage(path string, w *stageWorld, callers map[string]callerState, calls []Call) {
	sc := b.sc
	at := func(format string, args ...any) {
		b.p.at(path, "stage %s: "+format, append([]any{w.name}, args...)...)
	}
	st, err := buildState(sc, w, nil, unusedTarget, sc.issued)
	if err != nil {
		for _, e := range flatten(err) {
			at("%v", e)
		}
		return
	}
	w.state = st
	targets := map[string]*Target{}
	for i := range sc.Targets {
		targets[sc.Targets[i].Name] = &sc.Targets[i]
	}
	_, hosts, _ := buildLattice(orEmpty(w.lattice), sc.Region, unusedTarget)
	for _, c := range calls {
		pc := &plannedCall{call: c, target: targets[c.Target], caller: callers[c.Caller]}
		what := fmt.Sprintf("call of %s to %s", c.Caller, c.Target)
		src, ok := st.Network.InterfaceByID(pc.caller.iface)
		switch {
		case !ok:
			at("%s: caller %s's interface %s is not in the network section", what, c.Caller, pc.caller.iface)
			continue
		case src.Endpoint != "":
			at("%s: %s is an interface of endpoint %s, not a workload's", what, src.ID, src.Endpoint)
			continue
		}
		pc.src = src
		t := pc.target
		pc.method, pc.path = t.Method, t.Path
		if pc.method == "" {
			pc.method = "GET"
		}
		if pc.path == "" {
			pc.path = "/"
		}
		pc.rawPath, pc.path = pc.path, (&url.URL{Path: pc.path}).EscapedPath()
		pc.port = 443
		if t.Port != 0 {
			pc.port = uint16(t.Port)
		}
		switch {
		case t.API != "":
			pc.kind, pc.stage, pc.endpoint = kindAPI, t.Stage, c.Route
			id, err := apiID(w.doc.APIs, t.API)
			if err != nil {
				at("target %s: %v", t.Name, err)
				continue
			}
			pc.apiID = id
			if !endpointInVPC(st.Network, at, what, pc) {
				continue
			}
		case t.Service != "":
			pc.kind = kindService
			if c.Route != "" && c.Route != src.VPC {
				at("%s: the route %s is not the caller's VPC %s: a caller reaches VPC Lattice services through its own VPC", what, c.Route, src.VPC)
				continue
			}
			pc.host = t.Service
			if h, ok := hosts[t.Service]; ok {
				pc.host = h
			}
			pc.vpcOwner = vpcOwner(w.doc.Network, src.VPC)
		case t.EndpointService != "":
			pc.kind, pc.endpoint = kindEndpointService, c.Route
			if !endpointInVPC(st.Network, at, what, pc) {
				continue
			}
			ep, ok := st.Network.EndpointByID(c.Route)
			if !ok || ep.Service != t.EndpointService {
				at("%s: endpoint %s does not connect to endpoint service %s", what, c.Route, t.EndpointService)
				continue
			}
			// The endpoint takes connections to the service on its load
			// balancer's listener port, as the gateway does.
			svc, _ := st.Network.ServiceByID(ep.Service)
			if t.Port != 0 && t.Port != int(svc.ListenerPort) {
				at("target %s: port %d is not the listener port %d of %s: leave port out", t.Name, t.Port, svc.ListenerPort, svc.ID)
				continue
			}
			pc.port = svc.ListenerPort
		case t.DNSName != "":
			pc.kind, pc.dnsName = kindDNSName, t.DNSName
			if ep, ok := st.Network.ResolveName(src.VPC, t.DNSName); ok {
				pc.endpoint = ep.ID
			}
		default:
			pc.kind, pc.addr = kindInternet, netip.MustParseAddr(t.Internet)
		}
		w.calls = append(w.calls, pc)
	}
}

// endpointInVPC records the VPC of a call's endpoint and checks that it is
// the caller's: the gateway places the callers of an endpoint in the
// endpoint's VPC, as a packet to an endpoint's address is. An endpoint the
// network does not have is left for the call to find not found.
func endpointInVPC(nw *network.Network, at func(string, ...any), what string, pc *plannedCall) bool {
	ep, ok := nw.EndpointByID(pc.endpoint)
	if !ok {
		return true
	}
	pc.endpointVPC = ep.VPC
	if ep.VPC != pc.src.VPC {
		at("%s: endpoint %s is in %s and the caller in %s: a call through an interface endpoint starts in the endpoint's VPC", what, ep.ID, ep.VPC, pc.src.VPC)
		return false
	}
	return true
}

// buildState builds a stage's snapshot.State: the identities (with the
// scenario's sessions and the run's secrets), the network, the APIs (with
// rewrite applied to every integration URI, and to every target of an
// endpoint service, when not nil) and the VPC Lattice services
// (forwarding to latticeTarget, which also serves the endpoint services
// that have no target).
func buildState(sc *Scenario, w *stageWorld, rewrite func(string) string, latticeTarget netip.AddrPort, issued time.Time) (*snapshot.State, error) {
	var errs []error
	var in identity.Input
	if w.doc.Identity != nil {
		in = *w.doc.Identity
		in.AccessKeys = append([]identity.AccessKey(nil), in.AccessKeys...)
		for i := range in.AccessKeys {
			k := &in.AccessKeys[i]
			if k.Secret == "" {
				k.Secret = sc.secret(k.ID).key
			}
		}
	}
	dir, err := identity.New(in)
	if err != nil {
		errs = append(errs, prefixed("identity", err)...)
	} else {
		var sessions []identity.Session
		for _, s := range sc.Sessions {
			sec := sc.secrets[s.AccessKeyID]
			sessions = append(sessions, identity.Session{AccessKeyID: s.AccessKeyID, SecretAccessKey: sec.key, SessionToken: sec.token,
				RoleARN: s.Role, SessionName: s.SessionName, Issued: issued, Expires: issued.Add(12 * time.Hour)})
		}
		if dir, err = dir.WithSessions(sessions...); err != nil {
			errs = append(errs, prefixed("sessions", err)...)
		}
	}
	var nc network.Config
	if w.doc.Network != nil {
		nc = *w.doc.Network
		if rewrite != nil {
			nc.EndpointServices = rewriteTargets(nc.EndpointServices, rewrite, latticeTarget)
		}
	}
	var ac model.APIsConfig
	if w.doc.APIs != nil {
		ac = *w.doc.APIs
		if rewrite != nil {
			ac = rewriteIntegrations(ac, rewrite)
		}
	}
	nw, apis, err := snapshot.BuildPrivateAPIs(nc, ac)
	if err != nil {
		errs = append(errs, flatten(err)...)
	}
	lattice, _, err := buildLattice(orEmpty(w.lattice), sc.Region, latticeTarget)
	if err != nil {
		errs = append(errs, prefixed("lattice", err)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &snapshot.State{Identity: dir, Network: nw, APIs: apis, Lattice: lattice, Built: issued}, nil
}

// rewriteTargets returns endpoint services with rewrite applied to their
// targets (as http://HOST:PORT), and with the target echo for those that
// have none, so that a live run connects only to its own backends.
func rewriteTargets(svcs []network.EndpointService, rewrite func(string) string, echo netip.AddrPort) []network.EndpointService {
	out := slices.Clone(svcs)
	for i := range out {
		targets := make([]string, len(out[i].Targets))
		for j, t := range out[i].Targets {
			targets[j] = strings.TrimSuffix(strings.TrimPrefix(rewrite("http://"+t+"/"), "http://"), "/")
		}
		if len(targets) == 0 {
			targets = []string{echo.String()}
		}
		out[i].Targets = targets
	}
	return out
}

// secret returns the run's secret of an access key, making one up the
// first time.
func (sc *Scenario) secret(key string) secret {
	s, ok := sc.secrets[key]
	if !ok {
		s = newSecret()
		s.token = ""
		sc.secrets[key] = s
	}
	return s
}

// rewriteIntegrations returns ac with every integration URI rewritten.
func rewriteIntegrations(ac model.APIsConfig, rewrite func(string) string) model.APIsConfig {
	out := model.APIsConfig{RestAPIs: append([]model.RestAPIConfig(nil), ac.RestAPIs...)}
	for i := range out.RestAPIs {
		a := &out.RestAPIs[i]
		a.Resources = append([]model.ResourceConfig(nil), a.Resources...)
		for j := range a.Resources {
			r := &a.Resources[j]
			r.Methods = append([]model.MethodConfig(nil), r.Methods...)
			for k := range r.Methods {
				r.Methods[k].Integration.URI = rewrite(r.Methods[k].Integration.URI)
			}
		}
	}
	return out
}

// apiID resolves an api target: the ID of the API of that name, else an
// API ID as given.
func apiID(ac *model.APIsConfig, api string) (string, error) {
	var ids []string
	if ac != nil {
		for _, a := range ac.RestAPIs {
			if a.Name == api || a.ID == api {
				ids = append(ids, a.ID)
			}
		}
	}
	switch {
	case len(ids) == 1:
		return ids[0], nil
	case len(ids) > 1:
		return "", fmt.Errorf("%d APIs are named %q (%s): name the one to call by its ID", len(ids), api, strings.Join(ids, ", "))
	case isAPIID(api):
		// An API the configuration does not have: the call is not found,
		// which is what a scenario may want to show.
		return api, nil
	}
	return "", fmt.Errorf("no API is named %q in the apis section, and it is not an API ID (10 lower-case letters and digits)", api)
}

func isAPIID(s string) bool {
	if len(s) != 10 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// vpcOwner returns the account of a VPC of the network section, "" when
// it has none (the gateway then takes the service network association's).
func vpcOwner(nc *network.Config, vpc string) string {
	if nc == nil {
		return ""
	}
	for _, v := range nc.VPCs {
		if v.ID == vpc {
			return v.Account
		}
	}
	return ""
}

func orEmpty(l *Lattice) *Lattice {
	if l == nil {
		return &Lattice{}
	}
	return l
}

// flatten splits a joined error into its parts.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// prefixed flattens err, naming the section of each part.
func prefixed(section string, err error) []error {
	var out []error
	for _, e := range flatten(err) {
		out = append(out, fmt.Errorf("%s: %w", section, e))
	}
	return out
}

// checkKeys checks that every caller that signs at some stage signs with
// a key that some stage (or the sessions) declares: one no stage knows is
// a mistake, while one that a stage deletes is a call that stage refuses.
func (b *builder) checkKeys(worlds []*stageWorld) {
	known := map[string]bool{}
	for _, s := range b.sc.Sessions {
		known[s.AccessKeyID] = true
	}
	for _, w := range worlds {
		if w.doc.Identity != nil {
			for _, k := range w.doc.Identity.AccessKeys {
				known[k.ID] = true
				if k.Secret != "" {
					b.sc.secrets[k.ID] = secret{key: k.Secret}
				}
			}
		}
	}
	reported := map[string]bool{}
	for _, w := range worlds {
		for _, c := range w.calls {
			k := c.caller.key
			if c.caller.signs && !known[k] && !reported[k] {
				reported[k] = true
				b.p.at("callers", "caller %s signs with %s, which is neither a session of the scenario nor an access key of any stage's identity section", c.caller.name, k)
			}
		}
	}
}
