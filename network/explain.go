package network

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

type direction uint8

const (
	outbound direction = iota
	inbound
)

// missing says what a not-found verdict could not find.
type missing uint8

const (
	missingInterface missing = iota + 1
	missingVPC
	missingSubnet
	missingEndpoint
	missingEndpointAddr
	missingDestination
	missingAddr
	missingName
)

// routeProblem says why a route table blocked a flow.
type routeProblem uint8

const (
	noMatchingRoute routeProblem = iota + 1
	wrongTarget
	noReturnRoute
	noEndpointForName
)

// detail holds what Explanation needs to describe a verdict. Filling it
// copies pointers and numbers only, so Evaluate does not allocate.
type detail struct {
	// subject is the interface, subnet or endpoint the blocking component
	// belongs to, or the ID that was not found.
	subject string
	groups  []string
	dir     direction
	ret     bool
	proto   Protocol
	ports   portRange
	peer    netip.Addr
	// rule is the deciding network ACL rule number (0: the final "*"),
	// port the port it decided on.
	rule    int
	port    uint16
	route   routeProblem
	target  string
	matched netip.Prefix
	destVPC string
	state   ConnectionState
	missing missing
	// destPort is the flow's destination port; ports may since have
	// become the return traffic's.
	destPort uint16
	// name is a DNS name no endpoint answered for, and service the
	// endpoint service it belongs to.
	name, service string
}

// traffic describes the traffic: "tcp/443", "udp/1024-65535", "icmp".
func (d *detail) traffic() string {
	if d.proto.hasPorts() {
		return d.proto.String() + "/" + d.ports.String()
	}
	if d.proto == AllProtocols {
		return "traffic of any protocol"
	}
	return d.proto.String()
}

// forwardTraffic describes the flow's own traffic: "tcp/443".
func (d *detail) forwardTraffic() string {
	f := *d
	f.ports = portRange{d.destPort, d.destPort}
	return f.traffic()
}

// toFrom is "to ADDR" for outbound traffic and "from ADDR" for inbound.
func (d *detail) toFrom() string {
	if d.dir == inbound {
		return "from " + d.peer.String()
	}
	return "to " + d.peer.String()
}

func (d *detail) dirName() string {
	if d.dir == inbound {
		return "inbound"
	}
	return "outbound"
}

// Explanation says in one sentence why the flow is or is not reachable,
// such as "security group sg-0a1b2c3d of eni-0a1b2c3d allows no inbound
// tcp/443 from 10.199.1.7".
func (v Verdict) Explanation() string {
	d := &v.why
	if v.Reachable {
		return fmt.Sprintf("reachable: %s from %s to %s is allowed by every route, network ACL and security group on the path (%d hops)",
			d.forwardTraffic(), v.Source.Addr, v.Destination.Addr, len(v.Hops()))
	}
	switch v.Code {
	case CodeSG:
		groups := "security group " + d.groups[0] + " of " + d.subject + " allows"
		if len(d.groups) > 1 {
			groups = "security groups " + strings.Join(d.groups, ", ") + " of " + d.subject + " allow"
		}
		return fmt.Sprintf("%s no %s %s %s", groups, d.dirName(), d.traffic(), d.toFrom())
	case CodeACL:
		what := fmt.Sprintf("%s %s %s", d.dirName(), d.traffic(), d.toFrom())
		if d.ret {
			what = "the return traffic (" + what + ")"
		}
		why := fmt.Sprintf("rule %d denies it", d.rule)
		if d.rule == 0 {
			why = "no rule matches it, so the final * rule denies it"
		}
		if d.ret && d.proto.hasPorts() && d.ports.from != d.ports.to {
			why = fmt.Sprintf("for port %d %s", d.port, why)
		}
		return fmt.Sprintf("network ACL %s of %s denies %s: %s", v.Component, d.subject, what, why)
	case CodeNoRoute:
		table := fmt.Sprintf("route table %s of %s", v.Component, d.subject)
		switch d.route {
		case noMatchingRoute:
			return fmt.Sprintf("%s has no route for %s", table, d.peer)
		case noReturnRoute:
			return fmt.Sprintf("%s has no route back to %s through %s, so replies to %s cannot return", table, d.peer, d.target, d.destVPC)
		case noEndpointForName:
			why := "no interface endpoint to it with private DNS"
			if d.target != "" {
				why = fmt.Sprintf("endpoint %s connects to it with private DNS off (call the endpoint's own DNS name, or turn privateDns on)", d.target)
			}
			return fmt.Sprintf("%s has no route to %s, the private DNS name of endpoint service %s: the service is reached only through an interface endpoint, and %s has %s",
				table, d.name, d.service, v.Source.VPC, why)
		}
		sent := "routes it locally within " + v.Source.VPC
		if d.target != "local" {
			sent = "sends it to " + d.target
		}
		return fmt.Sprintf("%s matches %s with %s and %s, but the destination %s is in %s", table, d.peer, d.matched, sent, v.Destination.Interface, d.destVPC)
	case CodeBadState:
		return fmt.Sprintf("the connection of endpoint %s to endpoint service %s is %s: traffic flows only over an available connection (the service owner accepts it)",
			d.subject, v.Component, d.state)
	}
	switch d.missing {
	case missingInterface:
		return fmt.Sprintf("no network interface %s in the network", d.subject)
	case missingVPC:
		return fmt.Sprintf("no VPC %q in the network: give SourceENI, or SourceVPC and SourceAddr", d.subject)
	case missingSubnet:
		return fmt.Sprintf("no subnet of %s holds %s", d.subject, d.peer)
	case missingEndpoint:
		return fmt.Sprintf("no interface endpoint %s in the network", d.subject)
	case missingEndpointAddr:
		if d.peer.IsValid() {
			return fmt.Sprintf("interface endpoint %s has no network interface with address %s", d.subject, d.peer)
		}
		return fmt.Sprintf("interface endpoint %s has no network interface", d.subject)
	case missingDestination:
		return "the flow has no destination: give DestEndpoint, DestENI, DestName or DestAddr"
	case missingAddr:
		return fmt.Sprintf("no network interface has address %s in %s", d.peer, d.subject)
	case missingName:
		return fmt.Sprintf("no interface endpoint of %s answers for %s, and it is no endpoint service's private DNS name; trellis does not model public DNS: give the address it resolves to", d.subject, d.name)
	}
	return "not evaluated"
}

// String describes the verdict in one line: "reachable: ..." or
// "blocked at LAYER (CODE) by COMPONENT: EXPLANATION".
func (v Verdict) String() string {
	if v.Reachable {
		return v.Explanation()
	}
	return fmt.Sprintf("blocked at %s (%s) by %s: %s", v.Layer, v.Code, v.Component, v.Explanation())
}

// MarshalJSON encodes the verdict with its explanation and hops.
func (v Verdict) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Reachable   bool     `json:"reachable"`
		Layer       Layer    `json:"layer,omitempty"`
		Code        Code     `json:"code,omitempty"`
		Component   string   `json:"component,omitempty"`
		Explanation string   `json:"explanation"`
		Source      Peer     `json:"source"`
		Destination Peer     `json:"destination"`
		Hops        []string `json:"hops"`
	}{v.Reachable, v.Layer, v.Code, v.Component, v.Explanation(), v.Source, v.Destination, v.Hops()})
}
