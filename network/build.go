package network

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/trellisproject/trellis/policy"
)

// defaultEndpointPolicy is the policy AWS gives an interface endpoint that
// has none: full access for everyone.
const defaultEndpointPolicy = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

// maxGroupsPerInterface is the most security groups AWS lets one network
// interface have (the default quota is 5; it can be raised to 16).
const maxGroupsPerInterface = 16

// problems collects every validation error, each prefixed with the JSON
// path of the value at fault.
type problems struct{ errs []error }

func (p *problems) addf(path, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

// builder holds the state of one Build.
type builder struct {
	problems
	c        *Config
	n        *Network
	tables   map[string]*routeTable
	acls     map[string]*networkACL
	groups   map[string]*securityGroup
	lists    map[string][]netip.Prefix
	peerings map[string]*peering
	subnets  map[string]*subnet
	services map[string]int // endpoint service name -> index in c.EndpointServices
	// seen detects IDs declared twice, by ID, with the path of the first.
	seen map[string]string
}

// Build validates a Config and compiles it into a Network. It reports every
// problem at once (joined with errors.Join), each naming the JSON path of
// the value at fault, such as
// `securityGroups[2].ingress[0].cidr: "10.0.0.0/33" is not a CIDR`.
func Build(c Config) (*Network, error) {
	b := &builder{
		c: &c,
		n: &Network{
			vpcs:      map[string]*vpc{},
			ifaces:    map[string]*iface{},
			byAddr:    map[addrKey]*iface{},
			endpoints: map[string]*endpoint{},
			services:  map[string]*Service{},

			serviceByDNS: map[string]*Service{},
		},
		tables:   map[string]*routeTable{},
		acls:     map[string]*networkACL{},
		groups:   map[string]*securityGroup{},
		lists:    map[string][]netip.Prefix{},
		peerings: map[string]*peering{},
		subnets:  map[string]*subnet{},
		services: map[string]int{},
		seen:     map[string]string{},
	}
	b.buildVPCs()
	b.buildPrefixLists()
	b.buildPeerings()
	b.buildRouteTables()
	b.buildACLs()
	b.buildSecurityGroups()
	b.buildSubnets()
	b.buildInterfaces()
	b.indexServices()
	b.buildEndpoints()
	b.buildConnections()
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	return b.n, nil
}

// id checks that id is well-formed for its kind (prefix "vpc", "sg", ...)
// and not declared before. It reports whether the ID can be indexed: a
// malformed but non-empty ID is, so references to it do not add errors of
// their own.
func (b *builder) id(path, id, prefix, kind string) bool {
	if !validID(id, prefix) {
		b.addf(path, "%q is not a %s ID: use %q followed by 8 or 17 lowercase hexadecimal digits", id, kind, prefix+"-")
		if id == "" {
			return false
		}
	}
	if first, dup := b.seen[id]; dup {
		b.addf(path, "%s is declared twice (first at %s): IDs must be unique", id, first)
		return false
	}
	b.seen[id] = path
	return true
}

// validID reports whether id is prefix, a hyphen and 8 or 17 lowercase
// hexadecimal digits, the shape of EC2 resource IDs.
func validID(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"-")
	if !ok || (len(rest) != 8 && len(rest) != 17) {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// validRegion accepts region names such as "us-east-1" and
// "us-gov-west-1": lowercase words joined by hyphens, ending in a number.
func validRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			last := i == len(parts)-1
			if (last && (c < '0' || c > '9')) || (!last && (c < 'a' || c > 'z')) {
				return false
			}
		}
	}
	return true
}

// prefix parses a CIDR in canonical form (no host bits set).
func (b *builder) prefix(path, s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		b.addf(path, "%q is not a CIDR: write an address and a prefix length, such as 10.0.0.0/16", s)
		return netip.Prefix{}, false
	}
	if m := p.Masked(); m != p {
		b.addf(path, "%s has bits set after the prefix length: use %s", s, m)
		return netip.Prefix{}, false
	}
	return p, true
}

// blockPrefix parses a VPC or subnet range: IPv4, /16 to /28.
func (b *builder) blockPrefix(path, s string) (netip.Prefix, bool) {
	p, ok := b.prefix(path, s)
	if !ok {
		return p, false
	}
	if !p.Addr().Is4() || p.Bits() < 16 || p.Bits() > 28 {
		b.addf(path, "%s is not a usable range: VPCs and subnets take IPv4 CIDRs from /16 to /28", s)
		return p, false
	}
	return p, true
}

func (b *builder) buildVPCs() {
	for i, cv := range b.c.VPCs {
		path := fmt.Sprintf("vpcs[%d]", i)
		ok := b.id(path+".id", cv.ID, "vpc", "VPC")
		if !policy.IsAccountID(cv.Account) {
			b.addf(path+".account", "%q is not an account ID: use 12 digits (quote it in YAML)", cv.Account)
		}
		if !validRegion(cv.Region) {
			b.addf(path+".region", "%q is not a region name such as us-east-1", cv.Region)
		}
		v := &vpc{id: cv.ID, account: cv.Account, region: cv.Region}
		if len(cv.CIDRBlocks) == 0 {
			b.addf(path+".cidrBlocks", "missing: a VPC needs at least one CIDR block")
		}
		for j, s := range cv.CIDRBlocks {
			p, good := b.blockPrefix(fmt.Sprintf("%s.cidrBlocks[%d]", path, j), s)
			if !good {
				continue
			}
			for _, q := range v.cidrs {
				if q.Overlaps(p) {
					b.addf(fmt.Sprintf("%s.cidrBlocks[%d]", path, j), "%s overlaps %s of the same VPC", p, q)
				}
			}
			v.cidrs = append(v.cidrs, p)
		}
		if ok {
			b.n.vpcs[cv.ID] = v
		}
	}
}

// vpcRef resolves a reference to a VPC.
func (b *builder) vpcRef(path, id string) *vpc {
	v, ok := b.n.vpcs[id]
	if !ok {
		if id == "" {
			b.addf(path, "missing: name the VPC")
		} else {
			b.addf(path, "no VPC %q in vpcs", id)
		}
	}
	return v
}

func (b *builder) buildPrefixLists() {
	for i, cl := range b.c.PrefixLists {
		path := fmt.Sprintf("prefixLists[%d]", i)
		ok := b.id(path+".id", cl.ID, "pl", "prefix list")
		var ps []netip.Prefix
		for j, s := range cl.CIDRs {
			if p, good := b.prefix(fmt.Sprintf("%s.cidrs[%d]", path, j), s); good {
				ps = append(ps, p)
			}
		}
		if len(cl.CIDRs) == 0 {
			b.addf(path+".cidrs", "missing: a prefix list needs at least one CIDR")
		}
		if ok {
			b.lists[cl.ID] = ps
		}
	}
}

// listRef resolves a reference to a prefix list.
func (b *builder) listRef(path, id string) ([]netip.Prefix, bool) {
	ps, ok := b.lists[id]
	if !ok {
		b.addf(path, "no prefix list %q in prefixLists", id)
	}
	return ps, ok
}

func (b *builder) buildPeerings() {
	for i, cp := range b.c.PeeringConnections {
		path := fmt.Sprintf("peeringConnections[%d]", i)
		ok := b.id(path+".id", cp.ID, "pcx", "peering connection")
		x := b.vpcRef(path+".requesterVpc", cp.RequesterVPC)
		y := b.vpcRef(path+".accepterVpc", cp.AccepterVPC)
		if x == nil || y == nil {
			continue
		}
		if x == y {
			b.addf(path, "a VPC cannot peer with itself (%s)", x.id)
			continue
		}
		for _, p := range x.cidrs {
			for _, q := range y.cidrs {
				if p.Overlaps(q) {
					b.addf(path, "%s of %s overlaps %s of %s: peered VPCs need distinct ranges", p, x.id, q, y.id)
				}
			}
		}
		if ok {
			b.peerings[cp.ID] = &peering{id: cp.ID, a: x, b: y, hop: []string{cp.ID}}
		}
	}
}

func (b *builder) buildRouteTables() {
	for i, ct := range b.c.RouteTables {
		path := fmt.Sprintf("routeTables[%d]", i)
		ok := b.id(path+".id", ct.ID, "rtb", "route table")
		v := b.vpcRef(path+".vpc", ct.VPC)
		if v == nil {
			continue
		}
		t := &routeTable{id: ct.ID, vpc: v, hop: []string{ct.ID}}
		for _, p := range v.cidrs {
			t.routes = append(t.routes, route{dst: p, target: "local", kind: targetLocal, hop: []string{"local"}})
		}
		for j, cr := range ct.Routes {
			b.addRoute(t, fmt.Sprintf("%s.routes[%d]", path, j), cr)
		}
		slices.SortStableFunc(t.routes, func(x, y route) int {
			if c := cmp.Compare(y.dst.Bits(), x.dst.Bits()); c != 0 {
				return c
			}
			if x.fromList != y.fromList {
				if x.fromList {
					return 1
				}
				return -1
			}
			return 0
		})
		for j := 1; j < len(t.routes); j++ {
			if x, y := t.routes[j-1], t.routes[j]; x.dst == y.dst && x.fromList == y.fromList {
				b.addf(path+".routes", "two routes for %s (to %s and %s): a destination has one route", x.dst, x.target, y.target)
			}
		}
		if ct.Main {
			if v.mainTable != nil {
				b.addf(path+".main", "%s already has main route table %s", v.id, v.mainTable.id)
			} else {
				v.mainTable = t
			}
		}
		if ok {
			b.tables[ct.ID] = t
		}
	}
}

// addRoute compiles one route into t.
func (b *builder) addRoute(t *routeTable, path string, cr Route) {
	var dsts []netip.Prefix
	fromList := false
	switch {
	case (cr.Destination == "") == (cr.DestinationPrefixList == ""):
		b.addf(path, "give exactly one of destination (a CIDR) and destinationPrefixList")
		return
	case cr.Destination != "":
		p, ok := b.prefix(path+".destination", cr.Destination)
		if !ok {
			return
		}
		dsts = []netip.Prefix{p}
	default:
		ps, ok := b.listRef(path+".destinationPrefixList", cr.DestinationPrefixList)
		if !ok {
			return
		}
		dsts, fromList = ps, true
	}
	r := route{target: cr.Target, fromList: fromList, hop: []string{cr.Target}}
	tp := path + ".target"
	switch {
	case cr.Target == "local":
		for _, d := range dsts {
			if !slices.Contains(t.vpc.cidrs, d) {
				b.addf(tp, "only the VPC's own CIDR blocks route to local, not %s", d)
			}
		}
		return // the local routes are implicit
	case strings.HasPrefix(cr.Target, "igw-"):
		r.kind = targetInternetGateway
		b.targetID(tp, cr.Target, "igw", "internet gateway")
	case strings.HasPrefix(cr.Target, "nat-"):
		r.kind = targetNAT
		b.targetID(tp, cr.Target, "nat", "NAT gateway")
	case strings.HasPrefix(cr.Target, "vpce-"):
		r.kind = targetGatewayEndpoint
		b.targetID(tp, cr.Target, "vpce", "VPC endpoint")
	case strings.HasPrefix(cr.Target, "pcx-"):
		r.kind = targetPeering
		pc, ok := b.peerings[cr.Target]
		switch {
		case !ok:
			b.addf(tp, "no peering connection %q in peeringConnections", cr.Target)
			return
		case pc.a != t.vpc && pc.b != t.vpc:
			b.addf(tp, "peering connection %s does not connect %s", pc.id, t.vpc.id)
			return
		}
		r.peering = pc
	default:
		b.addf(tp, "%q is not a supported target: use local, igw-..., nat-..., vpce-... or pcx-...", cr.Target)
		return
	}
	for _, d := range dsts {
		r.dst = d
		t.routes = append(t.routes, r)
	}
}

// targetID checks the ID of a route target that is not itself modelled.
func (b *builder) targetID(path, id, prefix, kind string) {
	if !validID(id, prefix) {
		b.addf(path, "%q is not a %s ID: use %q followed by 8 or 17 lowercase hexadecimal digits", id, kind, prefix+"-")
	}
}

func (b *builder) buildACLs() {
	for i, ca := range b.c.NetworkACLs {
		path := fmt.Sprintf("networkAcls[%d]", i)
		ok := b.id(path+".id", ca.ID, "acl", "network ACL")
		v := b.vpcRef(path+".vpc", ca.VPC)
		if v == nil {
			continue
		}
		a := &networkACL{id: ca.ID, vpc: v, hop: []string{ca.ID}}
		a.inbound = b.aclRules(path+".inbound", ca.Inbound, ca.Default)
		a.outbound = b.aclRules(path+".outbound", ca.Outbound, ca.Default)
		if ca.Default {
			if v.defaultACL != nil {
				b.addf(path+".default", "%s already has default network ACL %s", v.id, v.defaultACL.id)
			} else {
				v.defaultACL = a
			}
		}
		if ok {
			b.acls[ca.ID] = a
		}
	}
}

// aclRules compiles one direction of a network ACL. Absent rules are AWS's
// defaults: allow everything in a default ACL, nothing in another.
func (b *builder) aclRules(path string, rules []ACLRule, isDefault bool) []aclRule {
	if rules == nil {
		if !isDefault {
			return nil
		}
		return []aclRule{
			{number: 100, proto: AllProtocols, ports: allPorts, cidr: netip.MustParsePrefix("0.0.0.0/0"), allow: true},
			{number: 101, proto: AllProtocols, ports: allPorts, cidr: netip.MustParsePrefix("::/0"), allow: true},
		}
	}
	out := make([]aclRule, 0, len(rules))
	numbers := map[int]int{}
	for j, cr := range rules {
		rp := fmt.Sprintf("%s[%d]", path, j)
		if cr.Rule < 1 || cr.Rule > 32766 {
			b.addf(rp+".rule", "%d is not a rule number: use 1-32766", cr.Rule)
		} else if k, dup := numbers[cr.Rule]; dup {
			b.addf(rp+".rule", "rule %d is already used by %s[%d]: numbers are unique per direction", cr.Rule, path, k)
		}
		numbers[cr.Rule] = j
		r := aclRule{number: cr.Rule}
		var err error
		if r.proto, err = parseProtocol(cr.Protocol); err != nil {
			b.addf(rp+".protocol", "%v", err)
		}
		r.ports = parsePorts(&b.problems, rp, r.proto, cr.FromPort, cr.ToPort)
		p, okCIDR := b.prefix(rp+".cidr", cr.CIDR)
		r.cidr = p
		switch cr.Action {
		case "allow":
			r.allow = true
		case "deny":
		default:
			b.addf(rp+".action", "%q is not an action: use allow or deny", cr.Action)
		}
		if okCIDR {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(x, y aclRule) int { return cmp.Compare(x.number, y.number) })
	return out
}

func (b *builder) buildSecurityGroups() {
	indexed := make([]*securityGroup, len(b.c.SecurityGroups))
	for i, cg := range b.c.SecurityGroups {
		path := fmt.Sprintf("securityGroups[%d]", i)
		ok := b.id(path+".id", cg.ID, "sg", "security group")
		v := b.vpcRef(path+".vpc", cg.VPC)
		if v == nil {
			continue
		}
		g := &securityGroup{id: cg.ID, vpc: v}
		indexed[i] = g
		if cg.Default {
			if v.defaultSG != nil {
				b.addf(path+".default", "%s already has default security group %s", v.id, v.defaultSG.id)
			} else {
				v.defaultSG = g
			}
		}
		if ok {
			b.groups[cg.ID] = g
		}
	}
	// Rules may refer to any group, so they are compiled once all are known.
	for i, cg := range b.c.SecurityGroups {
		g := indexed[i]
		if g == nil {
			continue
		}
		path := fmt.Sprintf("securityGroups[%d]", i)
		switch {
		case cg.Ingress == nil && cg.Default:
			g.ingress = []sgRule{{proto: AllProtocols, ports: allPorts, group: g}}
		default:
			g.ingress = b.sgRules(path+".ingress", cg.Ingress)
		}
		switch {
		case cg.Egress == nil:
			g.egress = []sgRule{{proto: AllProtocols, ports: allPorts, prefixes: []netip.Prefix{
				netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}}}
		default:
			g.egress = b.sgRules(path+".egress", cg.Egress)
		}
	}
}

// sgRules compiles one direction of a security group.
func (b *builder) sgRules(path string, rules []SGRule) []sgRule {
	out := make([]sgRule, 0, len(rules))
	for j, cr := range rules {
		rp := fmt.Sprintf("%s[%d]", path, j)
		var r sgRule
		var err error
		if r.proto, err = parseProtocol(cr.Protocol); err != nil {
			b.addf(rp+".protocol", "%v", err)
		}
		r.ports = parsePorts(&b.problems, rp, r.proto, cr.FromPort, cr.ToPort)
		peers := 0
		for _, s := range []string{cr.CIDR, cr.PrefixList, cr.SecurityGroup} {
			if s != "" {
				peers++
			}
		}
		if peers != 1 {
			b.addf(rp, "give exactly one of cidr, prefixList and securityGroup")
			continue
		}
		switch {
		case cr.CIDR != "":
			p, ok := b.prefix(rp+".cidr", cr.CIDR)
			if !ok {
				continue
			}
			r.prefixes = []netip.Prefix{p}
		case cr.PrefixList != "":
			ps, ok := b.listRef(rp+".prefixList", cr.PrefixList)
			if !ok {
				continue
			}
			r.prefixes = ps
		default:
			g, ok := b.groups[cr.SecurityGroup]
			if !ok {
				b.addf(rp+".securityGroup", "no security group %q in securityGroups", cr.SecurityGroup)
				continue
			}
			r.group = g
		}
		out = append(out, r)
	}
	return out
}

func (b *builder) buildSubnets() {
	for i, cs := range b.c.Subnets {
		path := fmt.Sprintf("subnets[%d]", i)
		ok := b.id(path+".id", cs.ID, "subnet", "subnet")
		v := b.vpcRef(path+".vpc", cs.VPC)
		if v == nil {
			continue
		}
		s := &subnet{id: cs.ID, vpc: v, az: cs.AvailabilityZone, hop: []string{cs.ID}}
		if p, good := b.blockPrefix(path+".cidr", cs.CIDR); good {
			s.cidr = p
			if !slices.ContainsFunc(v.cidrs, func(q netip.Prefix) bool { return q.Bits() <= p.Bits() && q.Contains(p.Addr()) }) {
				b.addf(path+".cidr", "%s is not inside a CIDR block of %s (%v)", p, v.id, v.cidrs)
			}
			for _, o := range v.subnets {
				if o.cidr.IsValid() && o.cidr.Overlaps(p) {
					b.addf(path+".cidr", "%s overlaps %s (%s) in %s", p, o.id, o.cidr, v.id)
				}
			}
		}
		if rest, found := strings.CutPrefix(cs.AvailabilityZone, v.region); !found || len(rest) != 1 || rest[0] < 'a' || rest[0] > 'z' {
			b.addf(path+".availabilityZone", "%q is not an Availability Zone of %s: use the region and a letter, such as %sa", cs.AvailabilityZone, v.region, v.region)
		}
		s.table = v.mainTable
		switch t, found := b.tables[cs.RouteTable]; {
		case cs.RouteTable == "" && v.mainTable == nil:
			b.addf(path+".routeTable", "missing: %s has no main route table; name one here or mark one in routeTables \"main\"", v.id)
		case cs.RouteTable == "":
		case !found:
			b.addf(path+".routeTable", "no route table %q in routeTables", cs.RouteTable)
		case t.vpc != v:
			b.addf(path+".routeTable", "%s belongs to %s, not to the subnet's VPC %s", t.id, t.vpc.id, v.id)
		default:
			s.table = t
		}
		s.acl = v.defaultACL
		switch a, found := b.acls[cs.NetworkACL]; {
		case cs.NetworkACL == "" && v.defaultACL == nil:
			b.addf(path+".networkAcl", "missing: %s has no default network ACL; name one here or mark one in networkAcls \"default\"", v.id)
		case cs.NetworkACL == "":
		case !found:
			b.addf(path+".networkAcl", "no network ACL %q in networkAcls", cs.NetworkACL)
		case a.vpc != v:
			b.addf(path+".networkAcl", "%s belongs to %s, not to the subnet's VPC %s", a.id, a.vpc.id, v.id)
		default:
			s.acl = a
		}
		if ok {
			b.subnets[cs.ID] = s
			v.subnets = append(v.subnets, s)
		}
	}
}
