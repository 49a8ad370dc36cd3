package network

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Protocol is an IANA protocol number; AllProtocols (-1) in a rule matches
// every protocol.
type Protocol int16

// Protocols with names.
const (
	AllProtocols Protocol = -1
	ICMP         Protocol = 1
	TCP          Protocol = 6
	UDP          Protocol = 17
)

// String returns "tcp", "udp", "icmp", "all" or the protocol number.
func (p Protocol) String() string {
	switch p {
	case AllProtocols:
		return "all"
	case ICMP:
		return "icmp"
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return strconv.Itoa(int(p))
}

// hasPorts reports whether rules of this protocol filter on ports.
func (p Protocol) hasPorts() bool { return p == TCP || p == UDP }

// parseProtocol reads a rule's protocol: a name, "-1", or a number 0-255.
func parseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(s) {
	case "tcp":
		return TCP, nil
	case "udp":
		return UDP, nil
	case "icmp":
		return ICMP, nil
	case "-1", "all":
		return AllProtocols, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("%q is not a protocol: use tcp, udp, icmp, -1 (all) or a number 0-255", s)
	}
	return Protocol(n), nil
}

// Ephemeral ports AWS documents for return traffic through network ACLs
// when the client's port is not known: the widest range clients use.
const (
	EphemeralFrom = 1024
	EphemeralTo   = 65535
)

// portRange is an inclusive range of ports.
type portRange struct{ from, to uint16 }

var allPorts = portRange{0, 65535}

func (r portRange) contains(p uint16) bool { return r.from <= p && p <= r.to }

func (r portRange) String() string {
	if r.from == r.to {
		return strconv.Itoa(int(r.from))
	}
	return strconv.Itoa(int(r.from)) + "-" + strconv.Itoa(int(r.to))
}

// parsePorts checks a rule's port range. For protocols without ports the
// range is all ports and what was given is ignored (AWS uses these fields
// for ICMP type and code).
func parsePorts(p *problems, path string, proto Protocol, from, to *int) portRange {
	if !proto.hasPorts() {
		return allPorts
	}
	if from == nil {
		p.addf(path+".fromPort", "missing: %s rules need a port range; give fromPort (and toPort for a range)", proto)
		return allPorts
	}
	hi := from
	if to != nil {
		hi = to
	}
	ok := true
	for _, x := range []struct {
		name string
		v    int
	}{{"fromPort", *from}, {"toPort", *hi}} {
		if x.v < 0 || x.v > 65535 {
			p.addf(path+"."+x.name, "%d is not a port: use 0-65535", x.v)
			ok = false
		}
	}
	if ok && *from > *hi {
		p.addf(path, "fromPort %d is greater than toPort %d", *from, *hi)
		ok = false
	}
	if !ok {
		return allPorts
	}
	return portRange{uint16(*from), uint16(*hi)}
}

// aclRule is a compiled network ACL entry.
type aclRule struct {
	number int
	proto  Protocol
	ports  portRange
	cidr   netip.Prefix
	allow  bool
}

// matches reports whether the rule applies to a packet with this protocol,
// remote address and destination port.
func (r *aclRule) matches(proto Protocol, remote netip.Addr, port uint16) bool {
	if r.proto != AllProtocols && r.proto != proto {
		return false
	}
	if r.proto.hasPorts() && !r.ports.contains(port) {
		return false
	}
	return r.cidr.Contains(remote)
}

// aclResult is the decision of one direction of a network ACL.
type aclResult struct {
	allow bool
	// rule is the deciding rule number; 0 is the final "*" rule.
	rule int
	// port is the port decided on (the first denied one for a range).
	port uint16
}

// decide evaluates rules (sorted by number) for one packet: the first
// matching rule decides and the final "*" rule denies.
func decide(rules []aclRule, proto Protocol, remote netip.Addr, port uint16) aclResult {
	for i := range rules {
		if rules[i].matches(proto, remote, port) {
			return aclResult{allow: rules[i].allow, rule: rules[i].number, port: port}
		}
	}
	return aclResult{port: port}
}

// decideRange evaluates rules for every port of pr and returns an allow
// only if every port is allowed, or the decision of the first denied port.
// The decision can only change at the edges of rule ranges, so only those
// ports are evaluated.
func decideRange(rules []aclRule, proto Protocol, remote netip.Addr, pr portRange) aclResult {
	if !proto.hasPorts() || pr.from == pr.to {
		return decide(rules, proto, remote, pr.from)
	}
	first := decide(rules, proto, remote, pr.from)
	if !first.allow {
		return first
	}
	var worst aclResult
	found := false
	check := func(port uint16) {
		if !pr.contains(port) {
			return
		}
		if r := decide(rules, proto, remote, port); !r.allow && (!found || port < worst.port) {
			worst, found = r, true
		}
	}
	for i := range rules {
		r := &rules[i]
		if (r.proto != AllProtocols && r.proto != proto) || !r.cidr.Contains(remote) || !r.proto.hasPorts() {
			continue
		}
		check(r.ports.from)
		if r.ports.to < 65535 {
			check(r.ports.to + 1)
		}
	}
	if found {
		return worst
	}
	return first
}

// sgRule is a compiled security group rule. Its peer is a set of prefixes
// (a CIDR, or a prefix list's CIDRs) or a security group.
type sgRule struct {
	proto    Protocol
	ports    portRange
	prefixes []netip.Prefix
	group    *securityGroup
}

// matches reports whether the rule allows a packet with this protocol and
// destination port to or from the remote address, which belongs to the
// interface peer (nil for an address outside any modelled interface).
func (r *sgRule) matches(proto Protocol, remote netip.Addr, peer *iface, port uint16) bool {
	if r.proto != AllProtocols && r.proto != proto {
		return false
	}
	if r.proto.hasPorts() && !r.ports.contains(port) {
		return false
	}
	if r.group != nil {
		return peer != nil && peer.inGroup(r.group)
	}
	for _, p := range r.prefixes {
		if p.Contains(remote) {
			return true
		}
	}
	return false
}

// allows reports whether any of the groups has a rule for the packet.
func allows(groups []*securityGroup, ingress bool, proto Protocol, remote netip.Addr, peer *iface, port uint16) bool {
	for _, g := range groups {
		rules := g.egress
		if ingress {
			rules = g.ingress
		}
		for i := range rules {
			if rules[i].matches(proto, remote, peer, port) {
				return true
			}
		}
	}
	return false
}
