package model

import (
	"errors"
	"strings"

	"github.com/trellisproject/trellis/policy"
)

// Partition is the ARN partition trellis writes into every ARN it issues.
const Partition = "aws"

// ARNService is the service segment of VPC Lattice ARNs.
const ARNService = "vpc-lattice"

// A ResourceARN is a parsed VPC Lattice resource ARN.
type ResourceARN struct {
	Partition string
	Region    string
	Account   string
	// Type is the resource's type.
	Type ResourceType
	// ID is the resource's own ID: the listener ID of a listener ARN, the
	// rule ID of a rule ARN.
	ID string
	// ServiceID is the service of a listener or rule ARN.
	ServiceID string
	// ListenerID is the listener of a rule ARN.
	ListenerID string
}

// String formats the ARN.
func (a ResourceARN) String() string {
	var b strings.Builder
	b.Grow(96)
	b.WriteString("arn:")
	b.WriteString(a.Partition)
	b.WriteString(":" + ARNService + ":")
	b.WriteString(a.Region)
	b.WriteByte(':')
	b.WriteString(a.Account)
	b.WriteByte(':')
	switch a.Type {
	case TypeListener:
		b.WriteString("service/" + a.ServiceID + "/listener/" + a.ID)
	case TypeRule:
		b.WriteString("service/" + a.ServiceID + "/listener/" + a.ListenerID + "/rule/" + a.ID)
	default:
		b.WriteString(a.Type.ARNType())
		b.WriteByte('/')
		b.WriteString(a.ID)
	}
	return b.String()
}

// NewARN returns the ARN of a resource of type t (not a listener or rule;
// see ListenerARN and RuleARN) in the "aws" partition.
func NewARN(region, account string, t ResourceType, id string) string {
	return ResourceARN{Partition: Partition, Region: region, Account: account, Type: t, ID: id}.String()
}

// ListenerARN returns the ARN of a listener of a service.
func ListenerARN(region, account, serviceID, listenerID string) string {
	return ResourceARN{Partition: Partition, Region: region, Account: account, Type: TypeListener,
		ServiceID: serviceID, ID: listenerID}.String()
}

// RuleARN returns the ARN of a rule of a listener.
func RuleARN(region, account, serviceID, listenerID, ruleID string) string {
	return ResourceARN{Partition: Partition, Region: region, Account: account, Type: TypeRule,
		ServiceID: serviceID, ListenerID: listenerID, ID: ruleID}.String()
}

// ErrBadARN is returned by ParseResourceARN for a string that is not the
// ARN of a VPC Lattice resource trellis manages.
var ErrBadARN = errors.New("not a VPC Lattice resource ARN")

// ParseResourceARN parses the ARN of a VPC Lattice resource, checking it
// against the patterns of the API Reference: a partition of [a-z0-9-], the
// service vpc-lattice, a region of [a-zA-Z0-9-], a 12-digit account and a
// resource of a known type with well-formed IDs.
func ParseResourceARN(s string) (ResourceARN, error) {
	var a ResourceARN
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != ARNService {
		return a, ErrBadARN
	}
	a.Partition, a.Region, a.Account = parts[1], parts[3], parts[4]
	if !isARNToken(a.Partition, false) || !isARNToken(a.Region, true) || !policy.IsAccountID(a.Account) {
		return a, ErrBadARN
	}
	res := strings.Split(parts[5], "/")
	switch {
	case len(res) == 2:
		for _, t := range ResourceTypes {
			if t != TypeListener && t != TypeRule && t.ARNType() == res[0] && IsID(t, res[1]) {
				a.Type, a.ID = t, res[1]
				return a, nil
			}
		}
	case len(res) == 4 && res[0] == "service" && res[2] == "listener":
		if IsID(TypeService, res[1]) && IsID(TypeListener, res[3]) {
			a.Type, a.ServiceID, a.ID = TypeListener, res[1], res[3]
			return a, nil
		}
	case len(res) == 6 && res[0] == "service" && res[2] == "listener" && res[4] == "rule":
		if IsID(TypeService, res[1]) && IsID(TypeListener, res[3]) && IsID(TypeRule, res[5]) {
			a.Type, a.ServiceID, a.ListenerID, a.ID = TypeRule, res[1], res[3], res[5]
			return a, nil
		}
	}
	return ResourceARN{}, ErrBadARN
}

func isARNToken(s string, upper bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || upper && 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// ParseIdentifier reads an identifier that the API accepts as either the ID
// or the ARN of a resource of type t, such as a serviceIdentifier. It
// returns the ID and, when s is an ARN, the parsed ARN. For listener and
// rule ARNs the parents are in the ARN.
func ParseIdentifier(t ResourceType, s string) (id string, arn *ResourceARN, ok bool) {
	if IsID(t, s) {
		return s, nil, true
	}
	if !strings.HasPrefix(s, "arn:") {
		return "", nil, false
	}
	a, err := ParseResourceARN(s)
	if err != nil || a.Type != t {
		return "", nil, false
	}
	return a.ID, &a, true
}
