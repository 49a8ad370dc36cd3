package model

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// ResourceType names a kind of VPC Lattice resource.
type ResourceType uint8

// The resource types trellis manages.
const (
	// TypeUnknown is the zero value: not a VPC Lattice resource.
	TypeUnknown ResourceType = iota
	// TypeServiceNetwork is a service network (sn-...).
	TypeServiceNetwork
	// TypeService is a service (svc-...).
	TypeService
	// TypeServiceNetworkServiceAssociation associates a service with a
	// service network (snsa-...).
	TypeServiceNetworkServiceAssociation
	// TypeServiceNetworkVPCAssociation associates a VPC with a service
	// network (snva-...).
	TypeServiceNetworkVPCAssociation
	// TypeListener is a listener of a service (listener-...).
	TypeListener
	// TypeRule is a listener rule (rule-...).
	TypeRule
	// TypeTargetGroup is a target group (tg-...).
	TypeTargetGroup
	// TypeAccessLogSubscription is an access-log subscription (als-...).
	TypeAccessLogSubscription
)

type typeInfo struct {
	prefix  string // ID prefix, without the hyphen
	arnType string // the resource type segment of the ARN
	name    string // the resourceType of errors
}

var typeInfos = [...]typeInfo{
	TypeUnknown:                          {},
	TypeServiceNetwork:                   {"sn", "servicenetwork", "SERVICE_NETWORK"},
	TypeService:                          {"svc", "service", "SERVICE"},
	TypeServiceNetworkServiceAssociation: {"snsa", "servicenetworkserviceassociation", "SERVICE_NETWORK_SERVICE_ASSOCIATION"},
	TypeServiceNetworkVPCAssociation:     {"snva", "servicenetworkvpcassociation", "SERVICE_NETWORK_VPC_ASSOCIATION"},
	TypeListener:                         {"listener", "listener", "LISTENER"},
	TypeRule:                             {"rule", "rule", "RULE"},
	TypeTargetGroup:                      {"tg", "targetgroup", "TARGET_GROUP"},
	TypeAccessLogSubscription:            {"als", "accesslogsubscription", "ACCESS_LOG_SUBSCRIPTION"},
}

// ResourceTypes lists every resource type, in declaration order.
var ResourceTypes = []ResourceType{
	TypeServiceNetwork, TypeService, TypeServiceNetworkServiceAssociation,
	TypeServiceNetworkVPCAssociation, TypeListener, TypeRule, TypeTargetGroup,
	TypeAccessLogSubscription,
}

func (t ResourceType) info() typeInfo {
	if int(t) < len(typeInfos) {
		return typeInfos[t]
	}
	return typeInfo{}
}

// Prefix returns the prefix of the type's IDs, such as "svc" for
// "svc-0123456789abcdef0".
func (t ResourceType) Prefix() string { return t.info().prefix }

// ARNType returns the resource-type segment of the type's ARNs, such as
// "servicenetwork" in "arn:aws:vpc-lattice:REGION:ACCOUNT:servicenetwork/sn-...".
func (t ResourceType) ARNType() string { return t.info().arnType }

// String returns the name trellis reports as the resourceType of
// ResourceNotFoundException and ConflictException, such as "SERVICE".
func (t ResourceType) String() string {
	if n := t.info().name; n != "" {
		return n
	}
	return "UNKNOWN"
}

// IDSuffixLen is the number of characters after the prefix and hyphen of
// every VPC Lattice ID.
const IDSuffixLen = 17

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// ErrNoRandom is wrapped by NewID when the random source fails.
var ErrNoRandom = errors.New("model: reading random bytes failed")

// NewID returns a new ID of type t: its prefix, a hyphen and 17 characters
// of [0-9a-z] drawn uniformly from rand (crypto/rand.Reader in production).
func NewID(rand io.Reader, t ResourceType) (string, error) {
	p := t.Prefix()
	if p == "" {
		return "", fmt.Errorf("model: NewID: unknown resource type %d", t)
	}
	var out [8 + 1 + IDSuffixLen]byte
	n := copy(out[:], p)
	out[n] = '-'
	n++
	var buf [32]byte
	for filled := 0; filled < IDSuffixLen; {
		if _, err := io.ReadFull(rand, buf[:]); err != nil {
			return "", fmt.Errorf("%w: %v", ErrNoRandom, err)
		}
		for _, b := range buf {
			// 252 = 7*36: rejecting larger bytes keeps every character
			// equally likely.
			if b >= 252 {
				continue
			}
			out[n] = idAlphabet[b%36]
			n++
			filled++
			if filled == IDSuffixLen {
				break
			}
		}
	}
	return string(out[:n]), nil
}

// IsID reports whether s is a well-formed ID of type t.
func IsID(t ResourceType, s string) bool {
	p := t.Prefix()
	if p == "" || len(s) != len(p)+1+IDSuffixLen || !strings.HasPrefix(s, p) || s[len(p)] != '-' {
		return false
	}
	return isIDSuffix(s[len(p)+1:])
}

func isIDSuffix(s string) bool {
	if len(s) != IDSuffixLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// TypeOfID returns the type of a well-formed ID, or TypeUnknown.
func TypeOfID(s string) ResourceType {
	i := strings.IndexByte(s, '-')
	if i < 0 {
		return TypeUnknown
	}
	for _, t := range ResourceTypes {
		if t.Prefix() == s[:i] && isIDSuffix(s[i+1:]) {
			return t
		}
	}
	return TypeUnknown
}
