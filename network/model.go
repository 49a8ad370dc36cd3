package network

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/trellisproject/trellis/policy"
)

// A Network is a compiled, immutable Config: every reference resolved to a
// pointer, every rule parsed and sorted, every endpoint policy compiled.
// It is safe for concurrent use.
type Network struct {
	vpcs      map[string]*vpc
	ifaces    map[string]*iface
	byAddr    map[addrKey]*iface
	endpoints map[string]*endpoint
	services  map[string]*Service
	// serviceByDNS finds the endpoint service a private DNS name belongs
	// to (the first declared, when several share it).
	serviceByDNS map[string]*Service
}

// addrKey locates an address: addresses repeat across VPCs.
type addrKey struct {
	vpc  string
	addr netip.Addr
}

type vpc struct {
	id, account, region string
	cidrs               []netip.Prefix
	subnets             []*subnet
	mainTable           *routeTable
	defaultACL          *networkACL
	defaultSG           *securityGroup
	endpoints           []*endpoint
	// names are the private DNS names the VPC's endpoints answer for.
	names map[string]*endpoint
}

// subnetOf returns the subnet of the VPC that holds addr, or nil.
func (v *vpc) subnetOf(addr netip.Addr) *subnet {
	for _, s := range v.subnets {
		if s.cidr.Contains(addr) {
			return s
		}
	}
	return nil
}

type subnet struct {
	id    string
	vpc   *vpc
	cidr  netip.Prefix
	az    string
	table *routeTable
	acl   *networkACL
	hop   []string
}

type targetKind uint8

const (
	targetLocal targetKind = iota
	targetInternetGateway
	targetNAT
	targetGatewayEndpoint
	targetPeering
)

type route struct {
	dst     netip.Prefix
	target  string
	kind    targetKind
	peering *peering
	// fromList marks a route expanded from a prefix list; a CIDR route of
	// the same length is preferred.
	fromList bool
	hop      []string
}

type routeTable struct {
	id  string
	vpc *vpc
	// routes are sorted by prefix length, longest first, so the first
	// route that contains an address is the longest prefix match.
	routes []route
	hop    []string
}

// lookup returns the longest-prefix route for addr, or nil.
func (t *routeTable) lookup(addr netip.Addr) *route {
	for i := range t.routes {
		if t.routes[i].dst.Contains(addr) {
			return &t.routes[i]
		}
	}
	return nil
}

type networkACL struct {
	id                string
	vpc               *vpc
	inbound, outbound []aclRule
	hop               []string
}

type securityGroup struct {
	id              string
	vpc             *vpc
	ingress, egress []sgRule
}

type peering struct {
	id   string
	a, b *vpc
	hop  []string
}

// other returns the VPC at the other end of the peering from v.
func (p *peering) other(v *vpc) *vpc {
	if p.a == v {
		return p.b
	}
	return p.a
}

// iface is a network interface: a workload's or an interface endpoint's.
type iface struct {
	view   Interface
	addr   netip.Addr
	subnet *subnet
	groups []*securityGroup
	// outHops lists the interface and its groups, as a source; inHops
	// lists the groups and the interface (and its endpoint), as a
	// destination.
	outHops, inHops []string
	endpoint        *endpoint
}

// inGroup reports whether the interface is a member of g.
func (i *iface) inGroup(g *securityGroup) bool {
	return slices.Contains(i.groups, g)
}

// An Interface describes a network interface: its place in the network
// and, for a workload's interface, what runs behind it.
type Interface struct {
	ID      string     `json:"id"`
	VPC     string     `json:"vpc"`
	Subnet  string     `json:"subnet"`
	Account string     `json:"account"`
	Addr    netip.Addr `json:"privateIp"`
	// SecurityGroups are the group IDs in effect (the VPC's default group
	// when the configuration listed none).
	SecurityGroups []string `json:"securityGroups"`
	// Workload is empty for an interface endpoint's interface.
	Workload Workload `json:"workload,omitzero"`
	// Endpoint is the interface endpoint the interface belongs to, if any.
	Endpoint string `json:"endpoint,omitempty"`
}

// ConnectionState is the state of an endpoint's connection to an endpoint
// service. Only StateAvailable carries traffic.
type ConnectionState string

// Connection states AWS reports for endpoint connections.
const (
	StatePendingAcceptance ConnectionState = "pendingAcceptance"
	StatePending           ConnectionState = "pending"
	StateAvailable         ConnectionState = "available"
	StateDeleting          ConnectionState = "deleting"
	StateDeleted           ConnectionState = "deleted"
	StateRejected          ConnectionState = "rejected"
	StateFailed            ConnectionState = "failed"
	StateExpired           ConnectionState = "expired"
)

// connectionStates are the valid states.
var connectionStates = []ConnectionState{StatePendingAcceptance, StatePending, StateAvailable, StateDeleting, StateDeleted, StateRejected, StateFailed, StateExpired}

// An Endpoint describes an interface endpoint, with its compiled policy.
// Slices are shared with the Network; do not modify them.
type Endpoint struct {
	ID          string `json:"id"`
	VPC         string `json:"vpc"`
	Account     string `json:"account"`
	ServiceName string `json:"serviceName"`
	// Interfaces are the endpoint's network interface IDs, one per subnet.
	Interfaces     []string `json:"networkInterfaces"`
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups"`
	PrivateDNS     bool     `json:"privateDns"`
	// Policy is the compiled endpoint policy: the configured one, or AWS's
	// default that allows full access. Evaluate it as a policy.Set's
	// Endpoint policy.
	Policy *policy.Policy `json:"-"`
	// DefaultPolicy is true when no policy was configured.
	DefaultPolicy bool `json:"defaultPolicy"`
	// Service is the ID of the endpoint service the endpoint connects to,
	// when that service is part of the configuration; empty for AWS
	// services.
	Service string `json:"service,omitempty"`
	// State is the connection's state: StateAvailable for AWS services.
	State ConnectionState `json:"state"`
	// PrivateDNSName is the endpoint service's private DNS name when the
	// endpoint answers for it in its VPC (PrivateDNS is on and the
	// service has one); empty otherwise.
	PrivateDNSName string `json:"privateDnsName,omitempty"`
}

// A Service describes an endpoint service (AWS PrivateLink): a service
// behind a Network Load Balancer that consumers reach through interface
// endpoints. Slices are shared with the Network; do not modify them.
type Service struct {
	ID string `json:"id"`
	// Name is what endpoints name the service by:
	// "com.amazonaws.vpce.REGION.ID".
	Name               string   `json:"serviceName"`
	Account            string   `json:"account"`
	Region             string   `json:"region"`
	AcceptanceRequired bool     `json:"acceptanceRequired"`
	AllowedPrincipals  []string `json:"allowedPrincipals"`
	// PrivateDNSName is the service's private DNS name, in lower case;
	// empty when it has none.
	PrivateDNSName string `json:"privateDnsName,omitempty"`
	// ListenerPort is the load balancer's listener port.
	ListenerPort uint16 `json:"listenerPort"`
	// Targets are the HOST:PORT addresses the load balancer forwards to.
	Targets []string `json:"targets"`
}

type endpoint struct {
	Endpoint
	vpc    *vpc
	ifaces []*iface
	svcHop []string
}

// InterfaceByID returns the network interface with the given ID, a
// workload's or an interface endpoint's.
func (n *Network) InterfaceByID(id string) (Interface, bool) {
	i, ok := n.ifaces[id]
	if !ok {
		return Interface{}, false
	}
	return i.view, true
}

// InterfaceAt returns the network interface that has addr in the VPC:
// the same address can belong to different interfaces in different VPCs.
func (n *Network) InterfaceAt(vpcID string, addr netip.Addr) (Interface, bool) {
	i, ok := n.byAddr[addrKey{vpcID, addr}]
	if !ok {
		return Interface{}, false
	}
	return i.view, true
}

// EndpointByID returns the interface endpoint with the given ID.
func (n *Network) EndpointByID(id string) (Endpoint, bool) {
	e, ok := n.endpoints[id]
	if !ok {
		return Endpoint{}, false
	}
	return e.Endpoint, true
}

// ServiceByID returns the endpoint service with the given ID.
func (n *Network) ServiceByID(id string) (Service, bool) {
	s, ok := n.services[id]
	if !ok {
		return Service{}, false
	}
	return *s, true
}

// ResolveName returns the interface endpoint a DNS name resolves to inside
// a VPC: the endpoint of the VPC, with private DNS on, to the endpoint
// service whose private DNS name it is. Names are compared without regard
// to case or a final dot. Other names are not resolved: trellis does not
// model public DNS.
func (n *Network) ResolveName(vpcID, name string) (Endpoint, bool) {
	v, ok := n.vpcs[vpcID]
	if !ok {
		return Endpoint{}, false
	}
	e := v.resolve(name)
	if e == nil {
		return Endpoint{}, false
	}
	return e.Endpoint, true
}

// resolve finds the endpoint that answers for name in the VPC, or nil.
func (v *vpc) resolve(name string) *endpoint {
	return v.names[canonicalName(name)]
}

// canonicalName is a DNS name in lower case without a final dot. It does
// not allocate for a name that is already canonical.
func canonicalName(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

// EndpointsInVPC returns the interface endpoints of a VPC, in
// configuration order.
func (n *Network) EndpointsInVPC(vpcID string) []Endpoint {
	v, ok := n.vpcs[vpcID]
	if !ok {
		return nil
	}
	out := make([]Endpoint, len(v.endpoints))
	for i, e := range v.endpoints {
		out[i] = e.Endpoint
	}
	return out
}
