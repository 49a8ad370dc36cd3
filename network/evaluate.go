package network

import (
	"net/netip"
)

// A Flow is one connection to evaluate: from a network interface (or an
// address in a VPC) to an interface endpoint, a network interface, or an
// address, with a protocol and ports.
type Flow struct {
	// SourceENI is the interface the connection starts from. When it is
	// empty, SourceVPC and SourceAddr locate the source: the interface
	// with that address in that VPC, or else just the subnet holding it
	// (with no security group of its own).
	SourceENI  string
	SourceVPC  string
	SourceAddr netip.Addr

	// The destination is DestEndpoint (an interface endpoint), else
	// DestENI (a network interface), else DestName (a DNS name, resolved
	// in the source VPC as ResolveName does), else DestAddr alone, which
	// is resolved by the source subnet's route table: to an interface of
	// the source VPC or of a peered VPC, or to the internet. With
	// DestEndpoint or DestName, DestAddr picks one of the endpoint's
	// interfaces; without it, the interface in the source's subnet, else
	// in its Availability Zone, else the first.
	//
	// A DestName that no endpoint of the source VPC answers for is
	// blocked at the route table (NO_ROUTE_TO_DESTINATION) when it is an
	// endpoint service's private DNS name, since an endpoint service is
	// reached only through an interface endpoint; any other name is not
	// found, since trellis does not model public DNS.
	DestEndpoint string
	DestENI      string
	DestName     string
	DestAddr     netip.Addr

	// Protocol is the IANA number of the connection's protocol.
	Protocol Protocol
	// DestPort is the destination port for tcp and udp.
	DestPort uint16
	// SourcePort is the client's port, which return traffic is sent to.
	// 0 means unknown: network ACLs must then allow return traffic to
	// every ephemeral port (EphemeralFrom-EphemeralTo).
	SourcePort uint16
}

// Layer names where a connection was stopped, as DESIGN.md names the
// layers of a decision.
type Layer string

// Network layers, in the order they are evaluated, and LayerNotFound for a
// flow whose source or destination is not in the network.
const (
	LayerRoute         Layer = "route"
	LayerNACL          Layer = "nacl"
	LayerSecurityGroup Layer = "security-group"
	LayerNotFound      Layer = "not-found"
)

// Code is an explanation code in the style of VPC Reachability Analyzer.
type Code string

// Explanation codes. The first four are Reachability Analyzer's own; the
// not-found codes are trellis's, for flows that name something the
// network does not have.
const (
	// CodeNoRoute: the route table has no route that delivers the traffic
	// to the destination.
	CodeNoRoute Code = "NO_ROUTE_TO_DESTINATION"
	// CodeACL: a subnet's network ACL denies the traffic, or its return
	// traffic.
	CodeACL Code = "SUBNET_ACL_RESTRICTION"
	// CodeSG: no security group rule of the interface allows the traffic.
	CodeSG Code = "ENI_SG_RULES_MISMATCH"
	// CodeBadState: the endpoint's connection to its endpoint service is
	// not available (pending acceptance, rejected, ...).
	CodeBadState Code = "BAD_STATE"
	// CodeSourceNotFound: the flow's source is not in the network.
	CodeSourceNotFound Code = "SOURCE_NOT_FOUND"
	// CodeDestinationNotFound: the flow's destination is not in the
	// network.
	CodeDestinationNotFound Code = "DESTINATION_NOT_FOUND"
)

// A Peer is one end of an evaluated flow, as far as it was resolved.
type Peer struct {
	// Interface is the network interface; empty for an internet address
	// or a source known only by its address.
	Interface string     `json:"interface,omitempty"`
	VPC       string     `json:"vpc,omitempty"`
	Account   string     `json:"account,omitempty"`
	Addr      netip.Addr `json:"addr,omitzero"`
	// Name is the DNS name the flow's destination was given by, if any.
	Name string `json:"name,omitempty"`
}

// A Verdict is the result of evaluating a Flow: whether the connection can
// be made and, if not, where it is stopped and why. Producing one does not
// allocate; Explanation and Hops build their text and list when asked.
type Verdict struct {
	Reachable bool
	// Layer, Code and Component say where the flow was stopped: the layer
	// name, the explanation code and the ID of the blocking component (a
	// security group, network ACL, route table, endpoint service, or the
	// interface when several of its security groups are involved). They
	// are empty for a reachable flow.
	Layer     Layer
	Code      Code
	Component string
	// Source and Destination are the resolved ends of the flow.
	Source, Destination Peer

	why  detail
	hops hopList
}

// maxHopSegments bounds the segments of a path: source, route table and
// target, two ACLs, destination, endpoint service, and on the way back a
// route table and two ACLs.
const maxHopSegments = 12

// hopList records the components evaluated, as segments that point into
// the Network's precomputed slices, so recording allocates nothing.
type hopList struct {
	segs [maxHopSegments][]string
	n    int
}

func (h *hopList) add(ids []string) {
	if h.n < maxHopSegments {
		h.segs[h.n] = ids
		h.n++
	}
}

// Hops returns the IDs of the components evaluated, in order: the source
// interface and its security groups, the route table and the target it
// chose, network ACLs, the destination's security groups and interface
// (and endpoint, and endpoint service), and for return traffic the
// network ACLs again. Evaluation stops at the blocking component, which is
// the last hop.
func (v Verdict) Hops() []string {
	var out []string
	for _, s := range v.hops.segs[:v.hops.n] {
		out = append(out, s...)
	}
	return out
}

// evaluation is the state of one Evaluate call.
type evaluation struct {
	n       *Network
	f       Flow
	v       Verdict
	src     *iface
	srcNet  *subnet
	srcAddr netip.Addr
	dst     *iface
	dstAddr netip.Addr
	route   *route
}

// Evaluate decides whether the flow's connection can be made, checking in
// order: the source's security groups (egress), the source subnet's route
// table, the source subnet's network ACL (outbound), the destination
// subnet's network ACL (inbound), the destination's security groups
// (ingress), the endpoint service connection, and for return traffic,
// which security groups allow by being stateful but network ACLs must
// allow explicitly, the route back over a peering connection, the
// destination subnet's network ACL (outbound) and the source subnet's
// (inbound). Traffic within one subnet does not cross its network ACL.
func (n *Network) Evaluate(f Flow) Verdict {
	e := evaluation{n: n, f: f}
	if e.resolveSource() && e.resolveDestination() && e.forward() {
		e.back()
	}
	return e.v
}

func (e *evaluation) resolveSource() bool {
	f := &e.f
	if f.SourceENI != "" {
		i, ok := e.n.ifaces[f.SourceENI]
		if !ok {
			return e.notFound(CodeSourceNotFound, f.SourceENI, missingInterface)
		}
		e.src, e.srcNet, e.srcAddr = i, i.subnet, i.addr
		e.v.hops.add(i.outHops)
	} else {
		v, ok := e.n.vpcs[f.SourceVPC]
		if !ok {
			return e.notFound(CodeSourceNotFound, f.SourceVPC, missingVPC)
		}
		e.srcAddr = f.SourceAddr
		if i, ok := e.n.byAddr[addrKey{v.id, f.SourceAddr}]; ok {
			e.src, e.srcNet = i, i.subnet
			e.v.hops.add(i.outHops)
		} else if e.srcNet = v.subnetOf(f.SourceAddr); e.srcNet == nil {
			e.v.why.peer = f.SourceAddr
			return e.notFound(CodeSourceNotFound, v.id, missingSubnet)
		} else {
			e.v.hops.add(e.srcNet.hop)
		}
	}
	e.v.Source = Peer{VPC: e.srcNet.vpc.id, Account: e.srcNet.vpc.account, Addr: e.srcAddr}
	if e.src != nil {
		e.v.Source.Interface = e.src.view.ID
	}
	return true
}

func (e *evaluation) resolveDestination() bool {
	f := &e.f
	switch {
	case f.DestEndpoint != "":
		ep, ok := e.n.endpoints[f.DestEndpoint]
		if !ok {
			return e.notFound(CodeDestinationNotFound, f.DestEndpoint, missingEndpoint)
		}
		e.dst = e.pickInterface(ep)
		if e.dst == nil {
			e.v.why.peer = f.DestAddr
			return e.notFound(CodeDestinationNotFound, ep.ID, missingEndpointAddr)
		}
	case f.DestENI != "":
		i, ok := e.n.ifaces[f.DestENI]
		if !ok {
			return e.notFound(CodeDestinationNotFound, f.DestENI, missingInterface)
		}
		e.dst = i
	case f.DestName != "":
		ep := e.srcNet.vpc.resolve(f.DestName)
		if ep == nil {
			return e.unresolved()
		}
		e.dst = e.pickInterface(ep)
		if e.dst == nil {
			e.v.why.peer = f.DestAddr
			return e.notFound(CodeDestinationNotFound, ep.ID, missingEndpointAddr)
		}
	case !f.DestAddr.IsValid():
		return e.notFound(CodeDestinationNotFound, "", missingDestination)
	}
	if e.dst != nil {
		e.dstAddr = e.dst.addr
	} else {
		e.dstAddr = f.DestAddr
	}
	e.route = e.srcNet.table.lookup(e.dstAddr)
	if e.dst == nil && e.route != nil {
		// An address alone: the route decides which VPC it is in.
		var in *vpc
		switch e.route.kind {
		case targetLocal:
			in = e.srcNet.vpc
		case targetPeering:
			in = e.route.peering.other(e.srcNet.vpc)
		}
		if in != nil {
			i, ok := e.n.byAddr[addrKey{in.id, e.dstAddr}]
			if !ok {
				e.v.why.peer = e.dstAddr
				return e.notFound(CodeDestinationNotFound, in.id, missingAddr)
			}
			e.dst = i
		}
	}
	e.v.Destination = Peer{Addr: e.dstAddr, Name: f.DestName}
	if e.dst != nil {
		dv := e.dst.subnet.vpc
		e.v.Destination = Peer{Interface: e.dst.view.ID, VPC: dv.id, Account: dv.account, Addr: e.dstAddr, Name: f.DestName}
	}
	return true
}

// unresolved decides a flow to a DNS name that no endpoint of the source
// VPC answers for. An endpoint service's private DNS name leads nowhere
// without an endpoint: its load balancer has no address the caller's
// route table can reach. trellis does not model public DNS, so any other
// name is not found.
func (e *evaluation) unresolved() bool {
	name, w := e.f.DestName, &e.v.why
	e.v.Destination = Peer{Name: name}
	svc, ok := e.n.serviceByDNS[canonicalName(name)]
	if !ok {
		w.name = name
		return e.notFound(CodeDestinationNotFound, e.srcNet.vpc.id, missingName)
	}
	t := e.srcNet.table
	e.v.hops.add(t.hop)
	w.subject, w.route, w.name, w.service = e.srcNet.id, noEndpointForName, name, svc.ID
	for _, ep := range e.srcNet.vpc.endpoints {
		if ep.Service == svc.ID {
			w.target = ep.ID // an endpoint to the service, with private DNS off
			break
		}
	}
	return e.block(LayerRoute, CodeNoRoute, t.id)
}

// pickInterface chooses the endpoint interface a flow reaches.
func (e *evaluation) pickInterface(ep *endpoint) *iface {
	if a := e.f.DestAddr; a.IsValid() {
		for _, i := range ep.ifaces {
			if i.addr == a {
				return i
			}
		}
		return nil
	}
	for _, i := range ep.ifaces {
		if i.subnet == e.srcNet {
			return i
		}
	}
	for _, i := range ep.ifaces {
		if i.subnet.az == e.srcNet.az {
			return i
		}
	}
	if len(ep.ifaces) > 0 {
		return ep.ifaces[0]
	}
	return nil
}

// forward evaluates the path from the source to the destination.
func (e *evaluation) forward() bool {
	f, w := &e.f, &e.v.why
	w.proto, w.ports, w.destPort = f.Protocol, portRange{f.DestPort, f.DestPort}, f.DestPort
	if e.src != nil && !allows(e.src.groups, false, f.Protocol, e.dstAddr, e.dst, f.DestPort) {
		w.dir, w.peer = outbound, e.dstAddr
		return e.blockSG(e.src)
	}
	if !e.routeOut() {
		return false
	}
	sameSubnet := e.dst != nil && e.dst.subnet == e.srcNet
	if !sameSubnet {
		e.v.hops.add(e.srcNet.acl.hop)
		if r := decide(e.srcNet.acl.outbound, f.Protocol, e.dstAddr, f.DestPort); !r.allow {
			w.dir, w.peer = outbound, e.dstAddr
			return e.blockACL(e.srcNet, r)
		}
	}
	if e.dst == nil {
		return true // to the internet or an AWS service: nothing more to check on the way there
	}
	if !sameSubnet {
		dn := e.dst.subnet
		e.v.hops.add(dn.acl.hop)
		if r := decide(dn.acl.inbound, f.Protocol, e.srcAddr, f.DestPort); !r.allow {
			w.dir, w.peer = inbound, e.srcAddr
			return e.blockACL(dn, r)
		}
	}
	e.v.hops.add(e.dst.inHops)
	if !allows(e.dst.groups, true, f.Protocol, e.srcAddr, e.src, f.DestPort) {
		w.dir, w.peer = inbound, e.srcAddr
		return e.blockSG(e.dst)
	}
	if ep := e.dst.endpoint; ep != nil && ep.Service != "" {
		e.v.hops.add(ep.svcHop)
		if ep.State != StateAvailable {
			w.subject, w.state = ep.ID, ep.State
			return e.block(LayerRoute, CodeBadState, ep.Service)
		}
	}
	return true
}

// routeOut checks that the source subnet's route table delivers the flow
// to the destination.
func (e *evaluation) routeOut() bool {
	t, r, w := e.srcNet.table, e.route, &e.v.why
	e.v.hops.add(t.hop)
	w.subject, w.peer = e.srcNet.id, e.dstAddr
	if r == nil {
		w.route = noMatchingRoute
		return e.block(LayerRoute, CodeNoRoute, t.id)
	}
	if r.kind != targetLocal {
		e.v.hops.add(r.hop)
	}
	w.target, w.matched = r.target, r.dst
	if e.dst == nil {
		// Only a route that leaves the VPCs gets here without an
		// interface: resolveDestination looked the address up in the VPC
		// a local or peering route leads to.
		return true
	}
	sv, dv := e.srcNet.vpc, e.dst.subnet.vpc
	switch {
	case sv == dv && r.kind == targetLocal:
		return true
	case sv != dv && r.kind == targetPeering && r.peering.other(sv) == dv:
		return true
	}
	w.route, w.destVPC = wrongTarget, dv.id
	return e.block(LayerRoute, CodeNoRoute, t.id)
}

// back evaluates the return traffic of an allowed flow.
func (e *evaluation) back() {
	f, w := &e.f, &e.v.why
	ret := portRange{EphemeralFrom, EphemeralTo}
	if f.SourcePort != 0 {
		ret = portRange{f.SourcePort, f.SourcePort}
	}
	w.ret, w.ports = true, ret
	if e.dst != nil && e.dst.subnet == e.srcNet {
		e.v.Reachable = true
		return
	}
	if e.dst != nil {
		dn := e.dst.subnet
		if e.route.kind == targetPeering {
			e.v.hops.add(dn.table.hop)
			r := dn.table.lookup(e.srcAddr)
			if r == nil || r.kind != targetPeering || r.peering != e.route.peering {
				w.subject, w.peer, w.route, w.destVPC = dn.id, e.srcAddr, noReturnRoute, e.srcNet.vpc.id
				w.target = e.route.peering.id
				e.block(LayerRoute, CodeNoRoute, dn.table.id)
				return
			}
		}
		e.v.hops.add(dn.acl.hop)
		if r := decideRange(dn.acl.outbound, f.Protocol, e.srcAddr, ret); !r.allow {
			w.dir, w.peer = outbound, e.srcAddr
			e.blockACL(dn, r)
			return
		}
	}
	e.v.hops.add(e.srcNet.acl.hop)
	if r := decideRange(e.srcNet.acl.inbound, f.Protocol, e.dstAddr, ret); !r.allow {
		w.dir, w.peer = inbound, e.dstAddr
		e.blockACL(e.srcNet, r)
		return
	}
	e.v.Reachable = true
}

func (e *evaluation) block(l Layer, c Code, component string) bool {
	e.v.Layer, e.v.Code, e.v.Component = l, c, component
	return false
}

func (e *evaluation) blockSG(i *iface) bool {
	e.v.why.subject, e.v.why.groups = i.view.ID, i.view.SecurityGroups
	component := i.view.ID
	if len(i.view.SecurityGroups) == 1 {
		component = i.view.SecurityGroups[0]
	}
	return e.block(LayerSecurityGroup, CodeSG, component)
}

func (e *evaluation) blockACL(s *subnet, r aclResult) bool {
	e.v.why.subject, e.v.why.rule, e.v.why.port = s.id, r.rule, r.port
	return e.block(LayerNACL, CodeACL, s.acl.id)
}

func (e *evaluation) notFound(c Code, subject string, m missing) bool {
	e.v.why.subject, e.v.why.missing = subject, m
	return e.block(LayerNotFound, c, subject)
}
