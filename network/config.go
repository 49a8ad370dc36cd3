package network

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Config is the declarative description of a network: every VPC, subnet,
// route table, network ACL, security group, network interface, interface
// endpoint and endpoint service. It is the `network` section of the native
// configuration document. Build validates and compiles it.
type Config struct {
	VPCs               []VPC               `json:"vpcs,omitempty"`
	Subnets            []Subnet            `json:"subnets,omitempty"`
	RouteTables        []RouteTable        `json:"routeTables,omitempty"`
	NetworkACLs        []NetworkACL        `json:"networkAcls,omitempty"`
	SecurityGroups     []SecurityGroup     `json:"securityGroups,omitempty"`
	PrefixLists        []PrefixList        `json:"prefixLists,omitempty"`
	NetworkInterfaces  []NetworkInterface  `json:"networkInterfaces,omitempty"`
	InterfaceEndpoints []InterfaceEndpoint `json:"interfaceEndpoints,omitempty"`
	EndpointServices   []EndpointService   `json:"endpointServices,omitempty"`
	PeeringConnections []PeeringConnection `json:"peeringConnections,omitempty"`
}

// A VPC is a virtual network owned by one account in one region. CIDR
// blocks of different VPCs may overlap; addresses are always resolved
// within a VPC.
type VPC struct {
	// ID is "vpc-" and 8 or 17 hexadecimal digits.
	ID string `json:"id"`
	// Account is the 12-digit owner account.
	Account string `json:"account"`
	// Region is the AWS region, such as "us-east-1".
	Region string `json:"region"`
	// CIDRBlocks are the VPC's IPv4 ranges, /16 to /28 each.
	CIDRBlocks []string `json:"cidrBlocks"`
}

// A Subnet is a range of a VPC in one Availability Zone.
type Subnet struct {
	ID  string `json:"id"`
	VPC string `json:"vpc"`
	// CIDR lies inside one of the VPC's CIDR blocks, /16 to /28.
	CIDR string `json:"cidr"`
	// AvailabilityZone is the region followed by a letter: "us-east-1a".
	AvailabilityZone string `json:"availabilityZone"`
	// RouteTable is the explicitly associated route table; empty means the
	// VPC's main route table.
	RouteTable string `json:"routeTable,omitempty"`
	// NetworkACL is the associated network ACL; empty means the VPC's
	// default network ACL.
	NetworkACL string `json:"networkAcl,omitempty"`
}

// A RouteTable decides where traffic leaving a subnet goes, by longest
// prefix match. Every route table has an implicit local route for each of
// its VPC's CIDR blocks.
type RouteTable struct {
	ID  string `json:"id"`
	VPC string `json:"vpc"`
	// Main marks the VPC's main route table, used by subnets without an
	// explicit association. Each VPC with subnets has exactly one.
	Main   bool    `json:"main,omitempty"`
	Routes []Route `json:"routes,omitempty"`
}

// A Route sends a destination range to a target.
type Route struct {
	// Destination is a CIDR; DestinationPrefixList names a prefix list
	// instead. Exactly one is set.
	Destination           string `json:"destination,omitempty"`
	DestinationPrefixList string `json:"destinationPrefixList,omitempty"`
	// Target is "local" (only for the VPC's own CIDR blocks, which are
	// routed locally anyway), an internet gateway "igw-...", a NAT gateway
	// "nat-...", a gateway VPC endpoint "vpce-..." or a peering connection
	// "pcx-..." listed in PeeringConnections.
	Target string `json:"target"`
}

// A NetworkACL is a stateless, numbered list of allow and deny rules for
// each direction, applied at subnet boundaries.
type NetworkACL struct {
	ID  string `json:"id"`
	VPC string `json:"vpc"`
	// Default marks the VPC's default network ACL, used by subnets without
	// an explicit association. Each VPC with subnets has exactly one.
	Default bool `json:"default,omitempty"`
	// Inbound and Outbound are the rules. When a list is absent (not an
	// empty list), the default ACL allows all traffic in that direction,
	// as AWS creates it, and any other ACL denies all.
	Inbound  []ACLRule `json:"inbound,omitempty"`
	Outbound []ACLRule `json:"outbound,omitempty"`
}

// An ACLRule is one numbered network ACL entry.
type ACLRule struct {
	// Rule is the rule number, 1 to 32766; lower numbers are evaluated
	// first and the first match decides.
	Rule int `json:"rule"`
	// Protocol is "tcp", "udp", "icmp", "-1" (or "all"), or an IANA
	// protocol number.
	Protocol string `json:"protocol"`
	// FromPort and ToPort bound the destination port for tcp and udp.
	// ToPort defaults to FromPort. They are ignored for other protocols.
	FromPort *int `json:"fromPort,omitempty"`
	ToPort   *int `json:"toPort,omitempty"`
	// CIDR is the remote range: the source for inbound rules, the
	// destination for outbound rules.
	CIDR string `json:"cidr"`
	// Action is "allow" or "deny".
	Action string `json:"action"`
}

// A SecurityGroup is a stateful, allow-only set of rules attached to
// network interfaces. Responses to allowed traffic are always allowed.
type SecurityGroup struct {
	ID   string `json:"id"`
	VPC  string `json:"vpc"`
	Name string `json:"name,omitempty"`
	// Default marks the VPC's default security group, used by interfaces
	// that list none. At most one per VPC.
	Default bool `json:"default,omitempty"`
	// Ingress and Egress are the rules. An absent Egress (not an empty
	// list) allows all outbound traffic, as AWS creates new groups; an
	// absent Ingress allows nothing, except in the default group, where it
	// allows all traffic from the group's own members.
	Ingress []SGRule `json:"ingress,omitempty"`
	Egress  []SGRule `json:"egress,omitempty"`
}

// An SGRule allows traffic with a protocol and port range from (ingress)
// or to (egress) one peer: a CIDR, a prefix list, or the members of a
// security group. Exactly one peer is set.
type SGRule struct {
	// Protocol is "tcp", "udp", "icmp", "-1" (or "all"), or an IANA
	// protocol number.
	Protocol string `json:"protocol"`
	// FromPort and ToPort bound the destination port for tcp and udp.
	// ToPort defaults to FromPort. They are ignored for other protocols.
	FromPort      *int   `json:"fromPort,omitempty"`
	ToPort        *int   `json:"toPort,omitempty"`
	CIDR          string `json:"cidr,omitempty"`
	PrefixList    string `json:"prefixList,omitempty"`
	SecurityGroup string `json:"securityGroup,omitempty"`
	Description   string `json:"description,omitempty"`
}

// A PrefixList is a named set of CIDRs that routes and security group
// rules can refer to.
type PrefixList struct {
	// ID is "pl-" and 8 or 17 hexadecimal digits.
	ID    string   `json:"id"`
	Name  string   `json:"name,omitempty"`
	CIDRs []string `json:"cidrs"`
}

// A NetworkInterface (ENI) is a workload's attachment to a subnet.
type NetworkInterface struct {
	ID     string `json:"id"`
	Subnet string `json:"subnet"`
	// PrivateIP lies inside the subnet.
	PrivateIP string `json:"privateIp"`
	// SecurityGroups are groups of the interface's VPC, at most 16; none
	// means the VPC's default group.
	SecurityGroups []string `json:"securityGroups,omitempty"`
	Workload       Workload `json:"workload"`
}

// A Workload is what runs behind a network interface.
type Workload struct {
	// Kind is "ec2-instance", "lambda" or "container".
	Kind string `json:"kind"`
	Name string `json:"name,omitempty"`
	// Role is the ARN of the IAM role the workload runs as, if any.
	Role string `json:"role,omitempty"`
}

// Workload kinds.
const (
	WorkloadEC2       = "ec2-instance"
	WorkloadLambda    = "lambda"
	WorkloadContainer = "container"
)

// An InterfaceEndpoint brings a service into a VPC through one network
// interface per subnet.
type InterfaceEndpoint struct {
	// ID is "vpce-" and 8 or 17 hexadecimal digits.
	ID  string `json:"id"`
	VPC string `json:"vpc"`
	// ServiceName is an AWS service ("com.amazonaws.us-east-1.execute-api")
	// or the name of an endpoint service
	// ("com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0").
	ServiceName string `json:"serviceName"`
	// NetworkInterfaces are the endpoint's interfaces, at most one per
	// Availability Zone, in subnets of the endpoint's VPC.
	NetworkInterfaces []EndpointInterface `json:"networkInterfaces"`
	// SecurityGroups are groups of the endpoint's VPC; none means the VPC's
	// default group.
	SecurityGroups []string `json:"securityGroups,omitempty"`
	// Policy is the endpoint policy, as a JSON object or a string holding
	// one. Absent means AWS's default policy, which allows full access.
	Policy json.RawMessage `json:"policy,omitempty"`
	// PrivateDNS says whether the service's DNS name resolves to the
	// endpoint inside the VPC.
	PrivateDNS bool `json:"privateDns,omitempty"`
}

// An EndpointInterface is one network interface of an interface endpoint.
type EndpointInterface struct {
	ID        string `json:"id"`
	Subnet    string `json:"subnet"`
	PrivateIP string `json:"privateIp"`
}

// An EndpointService is a service offered to other VPCs through interface
// endpoints (AWS PrivateLink).
type EndpointService struct {
	// ID is "vpce-svc-" and 8 or 17 hexadecimal digits. The service's name
	// is "com.amazonaws.vpce.REGION.ID".
	ID      string `json:"id"`
	Account string `json:"account"`
	Region  string `json:"region"`
	// AcceptanceRequired means the owner accepts each connection.
	AcceptanceRequired bool `json:"acceptanceRequired,omitempty"`
	// AllowedPrincipals may create endpoints to the service: ARNs such as
	// "arn:aws:iam::111122223333:root", or "*" for everyone.
	AllowedPrincipals []string `json:"allowedPrincipals,omitempty"`
	// Connections are the endpoints connected to the service. An endpoint
	// to the service with no connection listed is pendingAcceptance when
	// acceptance is required and available otherwise.
	Connections []Connection `json:"connections,omitempty"`
	// PrivateDNSName is the service's private DNS name, such as
	// "orders.provider.example": inside a VPC with an interface endpoint
	// to the service that has PrivateDNS on, the name resolves to that
	// endpoint. Elsewhere it resolves to nothing trellis models.
	PrivateDNSName string `json:"privateDnsName,omitempty"`
	// ListenerPort is the port of the load balancer's listener, which
	// consumers connect to on the endpoint; default 443.
	ListenerPort int `json:"listenerPort,omitempty"`
	// Targets are what the service's Network Load Balancer forwards
	// connections to, HOST:PORT each, such as "127.0.0.1:9001". Unlike
	// the rest of the network section, these are real addresses: the
	// gateway connects to them.
	Targets []string `json:"targets,omitempty"`
}

// DefaultListenerPort is an endpoint service's listener port when the
// configuration gives none.
const DefaultListenerPort = 443

// A Connection is an interface endpoint's connection to an endpoint
// service.
type Connection struct {
	Endpoint string `json:"endpoint"`
	// State is "pendingAcceptance", "available" or "rejected".
	State string `json:"state"`
}

// A PeeringConnection joins two VPCs whose CIDR blocks do not overlap.
// Both sides need routes to the other through it.
type PeeringConnection struct {
	// ID is "pcx-" and 8 or 17 hexadecimal digits.
	ID           string `json:"id"`
	RequesterVPC string `json:"requesterVpc"`
	AccepterVPC  string `json:"accepterVpc"`
}

// DecodeConfig reads a Config from JSON. Unknown fields are errors, so a
// misspelt key does not silently do nothing.
func DecodeConfig(data []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Config{}, fmt.Errorf("network config: %s: expected %s, found a JSON %s", te.Field, te.Type, te.Value)
		}
		return Config{}, fmt.Errorf("network config: %w", err)
	}
	if dec.More() {
		return Config{}, errors.New("network config: unexpected data after the document")
	}
	return c, nil
}
