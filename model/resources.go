package model

import (
	"sort"
	"time"
)

// AuthType says whether a service network or service requires IAM
// authorisation.
type AuthType string

// The auth types.
const (
	// AuthNone lets every request through; an auth policy, if any, is
	// inactive.
	AuthNone AuthType = "NONE"
	// AuthIAM requires requests to be signed and allowed by the auth policy.
	// With no auth policy every request is denied.
	AuthIAM AuthType = "AWS_IAM"
)

// Valid reports whether t is NONE or AWS_IAM.
func (t AuthType) Valid() bool { return t == AuthNone || t == AuthIAM }

// AuthPolicyState is the state of an auth policy.
type AuthPolicyState string

// The auth policy states.
const (
	// PolicyActive: the resource's auth type is AWS_IAM, so the policy
	// decides.
	PolicyActive AuthPolicyState = "Active"
	// PolicyInactive: the resource's auth type is NONE; the policy is kept
	// but not evaluated.
	PolicyInactive AuthPolicyState = "Inactive"
)

// StateFor returns the state of an auth policy on a resource with auth type
// t: Active only for AWS_IAM.
func StateFor(t AuthType) AuthPolicyState {
	if t == AuthIAM {
		return PolicyActive
	}
	return PolicyInactive
}

// The store kinds of the records that hold VPC Lattice resources. Parents
// are given for each kind; top-level resources have their account as
// parent, which scopes their names to the account.
const (
	KindServiceNetwork = "vpclattice.servicenetwork" // parent: account; name: name
	KindService        = "vpclattice.service"        // parent: account; name: name
	KindTargetGroup    = "vpclattice.targetgroup"    // parent: account; name: name
	KindListener       = "vpclattice.listener"       // parent: service ID; name: name
	KindRule           = "vpclattice.rule"           // parent: listener ID; name: name (empty for default rules)
	// KindServiceNetworkServiceAssociation records have the service
	// network ID as parent and the service ID as name, so a pair is
	// associated at most once.
	KindServiceNetworkServiceAssociation = "vpclattice.snsa"
	// KindServiceNetworkVPCAssociation records have the service network ID
	// as parent and the VPC ID as name.
	KindServiceNetworkVPCAssociation = "vpclattice.snva"
	KindTarget                       = "vpclattice.target"         // ID: tgID/ip/port; parent: target group ID
	KindAccessLogSubscription        = "vpclattice.accesslog"      // parent: service network or service ID
	KindAuthPolicy                   = "vpclattice.authpolicy"     // ID: resource ID; parent: account
	KindResourcePolicy               = "vpclattice.resourcepolicy" // ID: resource ID; parent: account
	KindTags                         = "vpclattice.tags"           // ID: resource ID; parent: account
)

// KindOf returns the store kind of a resource type.
func KindOf(t ResourceType) string {
	switch t {
	case TypeServiceNetwork:
		return KindServiceNetwork
	case TypeService:
		return KindService
	case TypeServiceNetworkServiceAssociation:
		return KindServiceNetworkServiceAssociation
	case TypeServiceNetworkVPCAssociation:
		return KindServiceNetworkVPCAssociation
	case TypeListener:
		return KindListener
	case TypeRule:
		return KindRule
	case TypeTargetGroup:
		return KindTargetGroup
	case TypeAccessLogSubscription:
		return KindAccessLogSubscription
	}
	return ""
}

// Meta holds what every resource has.
type Meta struct {
	ID  string `json:"id"`
	ARN string `json:"arn"`
	// Account owns the resource.
	Account       string    `json:"account"`
	CreatedAt     time.Time `json:"createdAt"`
	LastUpdatedAt time.Time `json:"lastUpdatedAt"`
}

// A ServiceNetwork is a logical boundary for a collection of services; VPCs
// associated with it can reach the services associated with it.
type ServiceNetwork struct {
	Meta
	Name     string   `json:"name"`
	AuthType AuthType `json:"authType"`
	// SharingConfig is kept and returned; trellis does not share resources
	// between accounts.
	SharingConfig *SharingConfig `json:"sharingConfig,omitempty"`
}

// SharingConfig says whether a service network may be shared.
type SharingConfig struct {
	Enabled *bool `json:"enabled,omitempty"`
}

// A Service is an application reachable through a service network.
type Service struct {
	Meta
	Name             string   `json:"name"`
	AuthType         AuthType `json:"authType"`
	CertificateARN   string   `json:"certificateArn,omitempty"`
	CustomDomainName string   `json:"customDomainName,omitempty"`
	// DNSName is the name trellis gives the service (see ServiceDNSName).
	DNSName string `json:"dnsName"`
}

// A ServiceNetworkServiceAssociation makes a service reachable through a
// service network.
type ServiceNetworkServiceAssociation struct {
	Meta
	ServiceNetworkID   string `json:"serviceNetworkId"`
	ServiceNetworkARN  string `json:"serviceNetworkArn"`
	ServiceNetworkName string `json:"serviceNetworkName"`
	ServiceID          string `json:"serviceId"`
	ServiceARN         string `json:"serviceArn"`
	ServiceName        string `json:"serviceName"`
	// CustomDomainName and DNSName are the service's, copied (both are
	// immutable).
	CustomDomainName string `json:"customDomainName,omitempty"`
	DNSName          string `json:"dnsName"`
	CreatedBy        string `json:"createdBy"`
}

// A ServiceNetworkVPCAssociation lets the clients in a VPC reach a service
// network, optionally through security groups.
type ServiceNetworkVPCAssociation struct {
	Meta
	ServiceNetworkID   string      `json:"serviceNetworkId"`
	ServiceNetworkARN  string      `json:"serviceNetworkArn"`
	ServiceNetworkName string      `json:"serviceNetworkName"`
	VPCID              string      `json:"vpcId"`
	SecurityGroupIDs   []string    `json:"securityGroupIds,omitempty"`
	PrivateDNSEnabled  *bool       `json:"privateDnsEnabled,omitempty"`
	DNSOptions         *DNSOptions `json:"dnsOptions,omitempty"`
	CreatedBy          string      `json:"createdBy"`
}

// DNSOptions are the private DNS options of a VPC association; trellis
// keeps and returns them.
type DNSOptions struct {
	PrivateDNSPreference       string   `json:"privateDnsPreference,omitempty"`
	PrivateDNSSpecifiedDomains []string `json:"privateDnsSpecifiedDomains,omitempty"`
}

// ListenerProtocol is the protocol of a listener.
type ListenerProtocol string

// The listener protocols.
const (
	ListenerHTTP           ListenerProtocol = "HTTP"
	ListenerHTTPS          ListenerProtocol = "HTTPS"
	ListenerTLSPassthrough ListenerProtocol = "TLS_PASSTHROUGH"
)

// DefaultPort returns the port a listener of protocol p gets when none is
// given: 80 for HTTP, 443 for HTTPS and TLS_PASSTHROUGH.
func (p ListenerProtocol) DefaultPort() int {
	if p == ListenerHTTP {
		return 80
	}
	return 443
}

// A Listener accepts connections for a service on one port and protocol.
type Listener struct {
	Meta
	ServiceID  string           `json:"serviceId"`
	ServiceARN string           `json:"serviceArn"`
	Name       string           `json:"name"`
	Protocol   ListenerProtocol `json:"protocol"`
	Port       int              `json:"port"`
	// DefaultAction is the action of the default rule, DefaultRuleID.
	DefaultAction RuleAction `json:"defaultAction"`
	DefaultRuleID string     `json:"defaultRuleId"`
}

// A Rule sends the requests a listener receives that match it to its
// action. The default rule of a listener matches everything, has no
// priority and is evaluated last.
type Rule struct {
	Meta
	ServiceID  string `json:"serviceId"`
	ListenerID string `json:"listenerId"`
	Name       string `json:"name"`
	// Priority orders the rules of a listener, lowest first; 0 for the
	// default rule.
	Priority  int        `json:"priority,omitempty"`
	IsDefault bool       `json:"isDefault"`
	Match     *RuleMatch `json:"match,omitempty"`
	Action    RuleAction `json:"action"`
}

// TargetGroupType is the type of a target group.
type TargetGroupType string

// The target group types. trellis supports IP target groups; the others are
// refused.
const (
	TargetGroupIP       TargetGroupType = "IP"
	TargetGroupLambda   TargetGroupType = "LAMBDA"
	TargetGroupInstance TargetGroupType = "INSTANCE"
	TargetGroupALB      TargetGroupType = "ALB"
)

// A TargetGroup is a set of targets requests are forwarded to.
type TargetGroup struct {
	Meta
	Name   string            `json:"name"`
	Type   TargetGroupType   `json:"type"`
	Config TargetGroupConfig `json:"config"`
}

// A Target is one registered target of a target group: an IP address and a
// port.
type Target struct {
	TargetGroupID string `json:"targetGroupId"`
	// ID is the IP address, in its canonical text form.
	ID   string `json:"id"`
	Port int    `json:"port"`
}

// TargetKey returns the store ID of a target record.
func TargetKey(tgID, ip string, port int) string {
	return tgID + "/" + ip + "/" + itoa(port)
}

// An AccessLogSubscription sends the access logs of a service network or
// service to a destination.
type AccessLogSubscription struct {
	Meta
	ResourceID     string `json:"resourceId"`
	ResourceARN    string `json:"resourceArn"`
	DestinationARN string `json:"destinationArn"`
	// ServiceNetworkLogType is SERVICE or RESOURCE for service networks,
	// empty for services.
	ServiceNetworkLogType string `json:"serviceNetworkLogType,omitempty"`
}

// An AuthPolicy is the IAM resource policy that decides requests to a
// service network or service whose auth type is AWS_IAM.
type AuthPolicy struct {
	ResourceID  string `json:"resourceId"`
	ResourceARN string `json:"resourceArn"`
	Account     string `json:"account"`
	// Policy is the document exactly as it was put.
	Policy        string    `json:"policy"`
	CreatedAt     time.Time `json:"createdAt"`
	LastUpdatedAt time.Time `json:"lastUpdatedAt"`
}

// A ResourcePolicy is the resource-based permission policy attached to a
// service network or service for sharing.
type ResourcePolicy struct {
	ResourceID  string `json:"resourceId"`
	ResourceARN string `json:"resourceArn"`
	Account     string `json:"account"`
	// Policy is the document exactly as it was put.
	Policy string `json:"policy"`
}

// Tags are the tags of one resource.
type Tags struct {
	ResourceID  string            `json:"resourceId"`
	ResourceARN string            `json:"resourceArn"`
	Account     string            `json:"account"`
	Tags        map[string]string `json:"tags"`
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Metadata returns m; resource types embed Meta and so satisfy an interface
// with this method.
func (m *Meta) Metadata() *Meta { return m }
