package network

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/trellisproject/trellis/policy"
)

func (b *builder) buildInterfaces() {
	for i, ce := range b.c.NetworkInterfaces {
		path := fmt.Sprintf("networkInterfaces[%d]", i)
		ok := b.id(path+".id", ce.ID, "eni", "network interface")
		b.workload(path+".workload", ce.Workload)
		s := b.subnetRef(path+".subnet", ce.Subnet)
		if s == nil {
			continue
		}
		addr, good := b.address(path+".privateIp", ce.PrivateIP, s)
		groups := b.groupRefs(path+".securityGroups", ce.SecurityGroups, s.vpc)
		if ok && good {
			b.addIface(path+".privateIp", &iface{
				view: Interface{ID: ce.ID, Workload: ce.Workload},
				addr: addr, subnet: s, groups: groups,
			})
		}
	}
}

func (b *builder) workload(path string, w Workload) {
	switch w.Kind {
	case WorkloadEC2, WorkloadLambda, WorkloadContainer:
	default:
		b.addf(path+".kind", "%q is not a workload kind: use %s, %s or %s", w.Kind, WorkloadEC2, WorkloadLambda, WorkloadContainer)
	}
	if w.Role == "" {
		return
	}
	if a, err := policy.ParseARN(w.Role); err != nil || a.Service != "iam" || len(a.Resource) < 6 || a.Resource[:5] != "role/" {
		b.addf(path+".role", "%q is not an IAM role ARN such as arn:aws:iam::111122223333:role/Name", w.Role)
	}
}

// subnetRef resolves a reference to a subnet.
func (b *builder) subnetRef(path, id string) *subnet {
	s, ok := b.subnets[id]
	if !ok {
		b.addf(path, "no subnet %q in subnets", id)
	}
	return s
}

// address parses an interface's private address, which must be a usable
// address of its subnet: AWS reserves the first four and the last.
func (b *builder) address(path, s string, sn *subnet) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		b.addf(path, "%q is not an IP address", s)
		return a, false
	}
	if !sn.cidr.IsValid() {
		return a, false // the subnet's own CIDR was reported
	}
	if !sn.cidr.Contains(a) {
		b.addf(path, "%s is not in %s (%s)", a, sn.id, sn.cidr)
		return a, false
	}
	off := addr4(a) - addr4(sn.cidr.Addr())
	if size := uint32(1) << (32 - sn.cidr.Bits()); off < 4 || off == size-1 {
		b.addf(path, "%s is reserved in %s (AWS keeps the first four addresses and the last of a subnet): use another", a, sn.id)
		return a, false
	}
	return a, true
}

// addr4 returns an IPv4 address as a number.
func addr4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// groupRefs resolves an interface's security groups, which must belong to
// its VPC; none means the VPC's default group.
func (b *builder) groupRefs(path string, ids []string, v *vpc) []*securityGroup {
	if len(ids) == 0 {
		if v.defaultSG == nil {
			b.addf(path, "missing: %s has no default security group; list groups here or mark one in securityGroups \"default\"", v.id)
			return nil
		}
		return []*securityGroup{v.defaultSG}
	}
	if len(ids) > maxGroupsPerInterface {
		b.addf(path, "%d groups: an interface has at most %d", len(ids), maxGroupsPerInterface)
	}
	var out []*securityGroup
	for j, id := range ids {
		g, ok := b.groups[id]
		switch {
		case !ok:
			b.addf(fmt.Sprintf("%s[%d]", path, j), "no security group %q in securityGroups", id)
		case g.vpc != v:
			b.addf(fmt.Sprintf("%s[%d]", path, j), "%s belongs to %s, not to %s", id, g.vpc.id, v.id)
		case slices.Contains(out, g):
			b.addf(fmt.Sprintf("%s[%d]", path, j), "%s is listed twice", id)
		default:
			out = append(out, g)
		}
	}
	return out
}

// addIface indexes a compiled interface by ID and by (VPC, address).
func (b *builder) addIface(path string, i *iface) {
	v := i.subnet.vpc
	key := addrKey{v.id, i.addr}
	if o, dup := b.n.byAddr[key]; dup {
		b.addf(path, "%s is already the address of %s in %s", i.addr, o.view.ID, v.id)
		return
	}
	i.view.VPC, i.view.Subnet, i.view.Account, i.view.Addr = v.id, i.subnet.id, v.account, i.addr
	for _, g := range i.groups {
		i.view.SecurityGroups = append(i.view.SecurityGroups, g.id)
	}
	i.outHops = append([]string{i.view.ID}, i.view.SecurityGroups...)
	i.inHops = append(slices.Clone(i.view.SecurityGroups), i.view.ID)
	if i.endpoint != nil {
		i.inHops = append(i.inHops, i.endpoint.ID)
	}
	b.n.byAddr[key] = i
	b.n.ifaces[i.view.ID] = i
}

func (b *builder) indexServices() {
	for i, cs := range b.c.EndpointServices {
		path := fmt.Sprintf("endpointServices[%d]", i)
		ok := b.id(path+".id", cs.ID, "vpce-svc", "endpoint service")
		if !policy.IsAccountID(cs.Account) {
			b.addf(path+".account", "%q is not an account ID: use 12 digits (quote it in YAML)", cs.Account)
		}
		if !validRegion(cs.Region) {
			b.addf(path+".region", "%q is not a region name such as us-east-1", cs.Region)
		}
		for j, p := range cs.AllowedPrincipals {
			if _, err := policy.ParseARN(p); p != "*" && err != nil {
				b.addf(fmt.Sprintf("%s.allowedPrincipals[%d]", path, j), "%q is not an ARN or \"*\": name principals such as arn:aws:iam::111122223333:root", p)
			}
		}
		svc := &Service{ID: cs.ID, Name: ServiceName(cs.Region, cs.ID), Account: cs.Account, Region: cs.Region,
			AcceptanceRequired: cs.AcceptanceRequired, AllowedPrincipals: cs.AllowedPrincipals,
			ListenerPort: DefaultListenerPort, Targets: b.targets(path+".targets", cs.Targets)}
		switch {
		case cs.ListenerPort == 0:
		case cs.ListenerPort < 1 || cs.ListenerPort > 65535:
			b.addf(path+".listenerPort", "%d is not a port: use 1-65535 (default %d)", cs.ListenerPort, DefaultListenerPort)
		default:
			svc.ListenerPort = uint16(cs.ListenerPort)
		}
		if cs.PrivateDNSName != "" {
			name := canonicalName(cs.PrivateDNSName)
			if problem := dnsNameProblem(name); problem != "" {
				b.addf(path+".privateDnsName", "%q is not a DNS name: %s; use a name such as orders.provider.example", cs.PrivateDNSName, problem)
			} else {
				svc.PrivateDNSName = name
			}
		}
		if ok {
			b.services[svc.Name] = i
			b.n.services[cs.ID] = svc
			if _, taken := b.n.serviceByDNS[svc.PrivateDNSName]; svc.PrivateDNSName != "" && !taken {
				b.n.serviceByDNS[svc.PrivateDNSName] = svc
			}
		}
	}
}

// targets checks the addresses a service's load balancer forwards to.
func (b *builder) targets(path string, targets []string) []string {
	seen := map[string]bool{}
	for j, t := range targets {
		tp := fmt.Sprintf("%s[%d]", path, j)
		host, port, err := net.SplitHostPort(t)
		n, perr := strconv.Atoi(port)
		switch {
		case err != nil || host == "":
			b.addf(tp, "%q is not HOST:PORT: give an address the load balancer forwards to, such as 127.0.0.1:9001", t)
		case perr != nil || n < 1 || n > 65535:
			b.addf(tp, "%q has no valid port: use 1-65535, such as 127.0.0.1:9001", t)
		case seen[t]:
			b.addf(tp, "%s is listed twice", t)
		}
		seen[t] = true
	}
	return targets
}

// dnsNameProblem says what is wrong with a lower-case DNS name, or returns
// "" when it is valid: two or more labels of 1 to 63 letters, digits and
// hyphens (not at either end of a label), 253 characters at most.
func dnsNameProblem(name string) string {
	if len(name) > 253 {
		return "longer than 253 characters"
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return "it needs at least two labels"
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "each label between dots has 1 to 63 characters"
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Sprintf("label %q starts or ends with a hyphen", l)
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return fmt.Sprintf("label %q has %q: use letters, digits and hyphens (trellis does not support wildcard names)", l, c)
			}
		}
	}
	return ""
}

// ServiceName returns the name of an endpoint service, which interface
// endpoints use to connect to it: "com.amazonaws.vpce.REGION.ID".
func ServiceName(region, serviceID string) string {
	return "com.amazonaws.vpce." + region + "." + serviceID
}

func (b *builder) buildEndpoints() {
	var defaultPolicy *policy.Policy
	for i, ce := range b.c.InterfaceEndpoints {
		path := fmt.Sprintf("interfaceEndpoints[%d]", i)
		ok := b.id(path+".id", ce.ID, "vpce", "VPC endpoint")
		v := b.vpcRef(path+".vpc", ce.VPC)
		if ce.ServiceName == "" {
			b.addf(path+".serviceName", "missing: name the service, such as com.amazonaws.us-east-1.execute-api")
		}
		pol, isDefault := b.endpointPolicy(path+".policy", ce.ID, ce.Policy)
		if isDefault {
			if defaultPolicy == nil {
				defaultPolicy = policy.MustParse(defaultEndpointPolicy, policy.Options{Kind: policy.KindResource, Name: "default endpoint policy"})
			}
			pol = defaultPolicy
		}
		if v == nil {
			continue
		}
		e := &endpoint{vpc: v}
		e.Endpoint = Endpoint{
			ID: ce.ID, VPC: v.id, Account: v.account, ServiceName: ce.ServiceName,
			PrivateDNS: ce.PrivateDNS, Policy: pol, DefaultPolicy: isDefault, State: StateAvailable,
		}
		if k, linked := b.services[ce.ServiceName]; linked {
			e.Service = b.c.EndpointServices[k].ID
			e.svcHop = []string{e.Service}
			if name := b.n.services[e.Service].PrivateDNSName; ce.PrivateDNS && name != "" {
				b.answer(path+".privateDns", v, e, name)
			}
		}
		groups := b.groupRefs(path+".securityGroups", ce.SecurityGroups, v)
		for _, g := range groups {
			e.SecurityGroups = append(e.SecurityGroups, g.id)
		}
		if len(ce.NetworkInterfaces) == 0 {
			b.addf(path+".networkInterfaces", "missing: an endpoint has one network interface in each of its subnets")
		}
		zones := map[string]string{}
		for j, cn := range ce.NetworkInterfaces {
			np := fmt.Sprintf("%s.networkInterfaces[%d]", path, j)
			idOK := b.id(np+".id", cn.ID, "eni", "network interface")
			s := b.subnetRef(np+".subnet", cn.Subnet)
			if s == nil {
				continue
			}
			if s.vpc != v {
				b.addf(np+".subnet", "%s is in %s, not in the endpoint's VPC %s", s.id, s.vpc.id, v.id)
				continue
			}
			if other, dup := zones[s.az]; dup {
				b.addf(np+".subnet", "%s is in %s like %s: an endpoint has at most one subnet per Availability Zone", s.id, s.az, other)
				continue
			}
			zones[s.az] = s.id
			addr, good := b.address(np+".privateIp", cn.PrivateIP, s)
			if !idOK || !good {
				continue
			}
			ni := &iface{view: Interface{ID: cn.ID, Endpoint: ce.ID}, addr: addr, subnet: s, groups: groups, endpoint: e}
			b.addIface(np+".privateIp", ni)
			e.ifaces = append(e.ifaces, ni)
			e.Interfaces = append(e.Interfaces, cn.ID)
			e.Subnets = append(e.Subnets, s.id)
		}
		if ok {
			b.n.endpoints[ce.ID] = e
			v.endpoints = append(v.endpoints, e)
		}
	}
}

// answer makes an endpoint answer for a private DNS name in its VPC.
// AWS lets only one endpoint of a VPC have private DNS for a name.
func (b *builder) answer(path string, v *vpc, e *endpoint, name string) {
	if other, taken := v.names[name]; taken {
		b.addf(path, "%s already answers for %s in %s: only one endpoint of a VPC can have private DNS for a name; turn privateDns off here", other.ID, name, v.id)
		return
	}
	if v.names == nil {
		v.names = map[string]*endpoint{}
	}
	v.names[name] = e
	e.PrivateDNSName = name
}

// endpointPolicy compiles an endpoint's policy. It reports true when there
// is none, so the default applies.
func (b *builder) endpointPolicy(path, id string, raw json.RawMessage) (*policy.Policy, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	doc := []byte(raw)
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			b.addf(path, "not a JSON string: %v", err)
			return nil, false
		}
		doc = []byte(s)
	}
	p, err := policy.Parse(doc, policy.Options{Kind: policy.KindResource, Name: "endpoint policy of " + id, MaxChars: policy.EndpointPolicyMaxChars})
	var ve *policy.ValidationError
	switch {
	case errors.As(err, &ve):
		for _, d := range ve.Errors() {
			where := path
			if d.Path != "" {
				where += "." + d.Path
			}
			b.addf(where, "%s (line %d, column %d of the policy)", d.Message, d.Line, d.Column)
		}
	case err != nil:
		b.addf(path, "%v", err)
	}
	return p, false
}

func (b *builder) buildConnections() {
	explicit := map[string]bool{}
	for i, cs := range b.c.EndpointServices {
		for j, cc := range cs.Connections {
			path := fmt.Sprintf("endpointServices[%d].connections[%d]", i, j)
			state := ConnectionState(cc.State)
			if !slices.Contains(connectionStates, state) {
				b.addf(path+".state", "%q is not a connection state: use one of %v", cc.State, connectionStates)
			}
			e, ok := b.n.endpoints[cc.Endpoint]
			switch {
			case !ok:
				b.addf(path+".endpoint", "no interface endpoint %q in interfaceEndpoints", cc.Endpoint)
			case e.Service != cs.ID:
				b.addf(path+".endpoint", "%s connects to %q, not to %s", e.ID, e.ServiceName, ServiceName(cs.Region, cs.ID))
			case explicit[e.ID]:
				b.addf(path+".endpoint", "%s has a connection already", e.ID)
			default:
				explicit[e.ID] = true
				e.State = state
			}
		}
	}
	for i, ce := range b.c.InterfaceEndpoints {
		e, ok := b.n.endpoints[ce.ID]
		if !ok || e.Service == "" || explicit[e.ID] {
			continue
		}
		cs := b.c.EndpointServices[b.services[e.ServiceName]]
		if cs.AcceptanceRequired {
			e.State = StatePendingAcceptance
		}
		if !slices.ContainsFunc(cs.AllowedPrincipals, func(p string) bool {
			a, err := policy.ParseARN(p)
			return p == "*" || (err == nil && a.Account == e.Account)
		}) {
			// AWS refuses to create such an endpoint; a consumer without
			// permission has no endpoint, and its calls to the service's
			// name find no route (docs/network.md).
			b.addf(fmt.Sprintf("interfaceEndpoints[%d].serviceName", i), "account %s is not an allowed principal of %s, and AWS does not let it create an endpoint to the service: add \"arn:aws:iam::%s:root\" to the service's allowedPrincipals, list the connection (an endpoint created before its permission was removed keeps it), or remove this endpoint", e.Account, cs.ID, e.Account)
		}
	}
}
