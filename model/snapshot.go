package model

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/trellisproject/trellis/policy"
)

// A Snapshot is every VPC Lattice resource at one point in time, indexed
// for the data plane: by ID, by ARN, by host name (service DNS names and
// custom domain names), children by parent, with auth policies compiled.
//
// A Snapshot is immutable once built and safe for concurrent use; its
// getters return shared values that callers must not modify. Build a new
// one (SnapshotBuilder) when the configuration changes and swap it in.
type Snapshot struct {
	seq uint64

	serviceNetworks map[string]*ServiceNetwork
	services        map[string]*Service
	listeners       map[string]*Listener
	rules           map[string]*Rule
	targetGroups    map[string]*TargetGroup
	snsas           map[string]*ServiceNetworkServiceAssociation
	snvas           map[string]*ServiceNetworkVPCAssociation
	accessLogs      map[string]*AccessLogSubscription

	byARN  map[string]any
	byHost map[string][]*Service

	listenersByService map[string][]*Listener
	rulesByListener    map[string][]*Rule
	targetsByGroup     map[string][]Target
	snsasByNetwork     map[string][]*ServiceNetworkServiceAssociation
	snsasByService     map[string][]*ServiceNetworkServiceAssociation
	snvasByNetwork     map[string][]*ServiceNetworkVPCAssociation
	snvasByVPC         map[string][]*ServiceNetworkVPCAssociation
	accessLogsByRes    map[string][]*AccessLogSubscription
	authPolicies       map[string]*CompiledAuthPolicy
	resourcePolicies   map[string]*ResourcePolicy
	tags               map[string]map[string]string

	problems []string
}

// A CompiledAuthPolicy is an auth policy with its compiled form and its
// state.
type CompiledAuthPolicy struct {
	AuthPolicy
	// Policy is the compiled document; nil if it no longer compiles (see
	// Snapshot.Problems), in which case it must be treated as denying
	// everything.
	Policy *policy.Policy
	// State is Active while the resource's auth type is AWS_IAM.
	State AuthPolicyState
}

// A SnapshotBuilder builds a Snapshot from stored record bodies.
type SnapshotBuilder struct {
	s        *Snapshot
	targets  []Target
	authDocs []*AuthPolicy
	seq      uint64
	err      error
}

// NewSnapshotBuilder returns an empty builder.
func NewSnapshotBuilder() *SnapshotBuilder {
	return &SnapshotBuilder{s: &Snapshot{
		serviceNetworks:    map[string]*ServiceNetwork{},
		services:           map[string]*Service{},
		listeners:          map[string]*Listener{},
		rules:              map[string]*Rule{},
		targetGroups:       map[string]*TargetGroup{},
		snsas:              map[string]*ServiceNetworkServiceAssociation{},
		snvas:              map[string]*ServiceNetworkVPCAssociation{},
		accessLogs:         map[string]*AccessLogSubscription{},
		byARN:              map[string]any{},
		byHost:             map[string][]*Service{},
		listenersByService: map[string][]*Listener{},
		rulesByListener:    map[string][]*Rule{},
		targetsByGroup:     map[string][]Target{},
		snsasByNetwork:     map[string][]*ServiceNetworkServiceAssociation{},
		snsasByService:     map[string][]*ServiceNetworkServiceAssociation{},
		snvasByNetwork:     map[string][]*ServiceNetworkVPCAssociation{},
		snvasByVPC:         map[string][]*ServiceNetworkVPCAssociation{},
		accessLogsByRes:    map[string][]*AccessLogSubscription{},
		authPolicies:       map[string]*CompiledAuthPolicy{},
		resourcePolicies:   map[string]*ResourcePolicy{},
		tags:               map[string]map[string]string{},
	}}
}

// SetSeq records the store change sequence number the snapshot reflects.
func (b *SnapshotBuilder) SetSeq(seq uint64) { b.seq = seq }

// SnapshotKinds lists the store kinds a Snapshot is built from.
var SnapshotKinds = []string{
	KindServiceNetwork, KindService, KindTargetGroup, KindListener, KindRule,
	KindServiceNetworkServiceAssociation, KindServiceNetworkVPCAssociation,
	KindTarget, KindAccessLogSubscription, KindAuthPolicy, KindResourcePolicy, KindTags,
}

// Add adds one stored record body of the given store kind. Records of other
// kinds are ignored. A body that does not decode is an error, which Build
// also returns.
func (b *SnapshotBuilder) Add(kind string, body []byte) error {
	if b.err != nil {
		return b.err
	}
	s := b.s
	var err error
	switch kind {
	case KindServiceNetwork:
		x := new(ServiceNetwork)
		if err = json.Unmarshal(body, x); err == nil {
			s.serviceNetworks[x.ID] = x
			s.byARN[x.ARN] = x
		}
	case KindService:
		x := new(Service)
		if err = json.Unmarshal(body, x); err == nil {
			s.services[x.ID] = x
			s.byARN[x.ARN] = x
		}
	case KindTargetGroup:
		x := new(TargetGroup)
		if err = json.Unmarshal(body, x); err == nil {
			s.targetGroups[x.ID] = x
			s.byARN[x.ARN] = x
		}
	case KindListener:
		x := new(Listener)
		if err = json.Unmarshal(body, x); err == nil {
			s.listeners[x.ID] = x
			s.byARN[x.ARN] = x
		}
	case KindRule:
		x := new(Rule)
		if err = json.Unmarshal(body, x); err == nil {
			s.rules[x.ID] = x
			s.byARN[x.ARN] = x
		}
	case KindServiceNetworkServiceAssociation:
		x := new(ServiceNetworkServiceAssociation)
		if err = json.Unmarshal(body, x); err == nil {
			s.snsas[x.ID] = x
			s.byARN[x.ARN] = x
		}
	case KindServiceNetworkVPCAssociation:
		x := new(ServiceNetworkVPCAssociation)
		if err = json.Unmarshal(body, x); err == nil {
			s.snvas[x.ID] = x
			s.byARN[x.ARN] = x
		}
	case KindAccessLogSubscription:
		x := new(AccessLogSubscription)
		if err = json.Unmarshal(body, x); err == nil {
			s.accessLogs[x.ID] = x
			s.byARN[x.ARN] = x
		}
	case KindTarget:
		var x Target
		if err = json.Unmarshal(body, &x); err == nil {
			b.targets = append(b.targets, x)
		}
	case KindAuthPolicy:
		x := new(AuthPolicy)
		if err = json.Unmarshal(body, x); err == nil {
			b.authDocs = append(b.authDocs, x)
		}
	case KindResourcePolicy:
		x := new(ResourcePolicy)
		if err = json.Unmarshal(body, x); err == nil {
			s.resourcePolicies[x.ResourceID] = x
		}
	case KindTags:
		var x Tags
		if err = json.Unmarshal(body, &x); err == nil {
			s.tags[x.ResourceID] = x.Tags
		}
	default:
		return nil
	}
	if err != nil {
		b.err = fmt.Errorf("model: decoding a %s record: %w", kind, err)
	}
	return b.err
}

// Build indexes what was added and returns the snapshot. The builder must
// not be used afterwards. Dangling references (a listener whose service is
// missing, say) are left out of the indexes and reported by
// Snapshot.Problems; they do not make Build fail.
func (b *SnapshotBuilder) Build() (*Snapshot, error) {
	if b.err != nil {
		return nil, b.err
	}
	s := b.s
	b.s = nil
	s.seq = b.seq
	for _, id := range sortedKeys(s.services) {
		svc := s.services[id]
		for _, h := range []string{svc.DNSName, svc.CustomDomainName} {
			if h != "" {
				h = strings.ToLower(h)
				s.byHost[h] = append(s.byHost[h], svc)
			}
		}
	}
	for _, id := range sortedKeys(s.listeners) {
		l := s.listeners[id]
		if _, ok := s.services[l.ServiceID]; !ok {
			s.problemf("listener %s: service %s does not exist", l.ID, l.ServiceID)
			continue
		}
		s.listenersByService[l.ServiceID] = append(s.listenersByService[l.ServiceID], l)
	}
	for _, ls := range s.listenersByService {
		sort.Slice(ls, func(i, j int) bool { return ls[i].Port < ls[j].Port })
	}
	for _, id := range sortedKeys(s.rules) {
		r := s.rules[id]
		if _, ok := s.listeners[r.ListenerID]; !ok {
			s.problemf("rule %s: listener %s does not exist", r.ID, r.ListenerID)
			continue
		}
		for _, tg := range r.Action.TargetGroupIDs() {
			if _, ok := s.targetGroups[tg]; !ok {
				s.problemf("rule %s: target group %s does not exist", r.ID, tg)
			}
		}
		s.rulesByListener[r.ListenerID] = append(s.rulesByListener[r.ListenerID], r)
	}
	for _, rs := range s.rulesByListener {
		sort.Slice(rs, func(i, j int) bool {
			if rs[i].IsDefault != rs[j].IsDefault {
				return !rs[i].IsDefault
			}
			return rs[i].Priority < rs[j].Priority
		})
	}
	for _, t := range b.targets {
		if _, ok := s.targetGroups[t.TargetGroupID]; !ok {
			s.problemf("target %s:%d: target group %s does not exist", t.ID, t.Port, t.TargetGroupID)
			continue
		}
		s.targetsByGroup[t.TargetGroupID] = append(s.targetsByGroup[t.TargetGroupID], t)
	}
	for _, id := range sortedKeys(s.snsas) {
		a := s.snsas[id]
		_, okN := s.serviceNetworks[a.ServiceNetworkID]
		_, okS := s.services[a.ServiceID]
		if !okN || !okS {
			s.problemf("service association %s: service network %s or service %s does not exist", a.ID, a.ServiceNetworkID, a.ServiceID)
			continue
		}
		s.snsasByNetwork[a.ServiceNetworkID] = append(s.snsasByNetwork[a.ServiceNetworkID], a)
		s.snsasByService[a.ServiceID] = append(s.snsasByService[a.ServiceID], a)
	}
	for _, id := range sortedKeys(s.snvas) {
		a := s.snvas[id]
		if _, ok := s.serviceNetworks[a.ServiceNetworkID]; !ok {
			s.problemf("VPC association %s: service network %s does not exist", a.ID, a.ServiceNetworkID)
			continue
		}
		s.snvasByNetwork[a.ServiceNetworkID] = append(s.snvasByNetwork[a.ServiceNetworkID], a)
		s.snvasByVPC[a.VPCID] = append(s.snvasByVPC[a.VPCID], a)
	}
	for _, id := range sortedKeys(s.accessLogs) {
		a := s.accessLogs[id]
		s.accessLogsByRes[a.ResourceID] = append(s.accessLogsByRes[a.ResourceID], a)
	}
	for _, d := range b.authDocs {
		authType, ok := s.authTypeOf(d.ResourceID)
		if !ok {
			s.problemf("auth policy of %s: the resource does not exist", d.ResourceID)
			continue
		}
		c := &CompiledAuthPolicy{AuthPolicy: *d, State: StateFor(authType)}
		p, err := ParseAuthPolicy(d.Policy, "auth policy of "+d.ResourceID)
		if err != nil {
			s.problemf("auth policy of %s no longer compiles, so it denies every request: %v", d.ResourceID, err)
		} else {
			c.Policy = p
		}
		s.authPolicies[d.ResourceID] = c
	}
	return s, nil
}

func (s *Snapshot) problemf(format string, args ...any) {
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

func (s *Snapshot) authTypeOf(id string) (AuthType, bool) {
	if sn, ok := s.serviceNetworks[id]; ok {
		return sn.AuthType, true
	}
	if svc, ok := s.services[id]; ok {
		return svc.AuthType, true
	}
	return "", false
}

// Seq returns the store change sequence number the snapshot was built at.
func (s *Snapshot) Seq() uint64 { return s.seq }

// Problems lists the inconsistencies found while building: references to
// missing resources and auth policies that no longer compile.
func (s *Snapshot) Problems() []string { return s.problems }

// ServiceNetwork returns a service network by ID.
func (s *Snapshot) ServiceNetwork(id string) (*ServiceNetwork, bool) {
	x, ok := s.serviceNetworks[id]
	return x, ok
}

// Service returns a service by ID.
func (s *Snapshot) Service(id string) (*Service, bool) {
	x, ok := s.services[id]
	return x, ok
}

// Listener returns a listener by ID.
func (s *Snapshot) Listener(id string) (*Listener, bool) {
	x, ok := s.listeners[id]
	return x, ok
}

// Rule returns a rule by ID.
func (s *Snapshot) Rule(id string) (*Rule, bool) {
	x, ok := s.rules[id]
	return x, ok
}

// TargetGroup returns a target group by ID.
func (s *Snapshot) TargetGroup(id string) (*TargetGroup, bool) {
	x, ok := s.targetGroups[id]
	return x, ok
}

// ServiceNetworkServiceAssociation returns a service association by ID.
func (s *Snapshot) ServiceNetworkServiceAssociation(id string) (*ServiceNetworkServiceAssociation, bool) {
	x, ok := s.snsas[id]
	return x, ok
}

// ServiceNetworkVPCAssociation returns a VPC association by ID.
func (s *Snapshot) ServiceNetworkVPCAssociation(id string) (*ServiceNetworkVPCAssociation, bool) {
	x, ok := s.snvas[id]
	return x, ok
}

// AccessLogSubscription returns an access-log subscription by ID.
func (s *Snapshot) AccessLogSubscription(id string) (*AccessLogSubscription, bool) {
	x, ok := s.accessLogs[id]
	return x, ok
}

// ByARN returns the resource with this ARN: a *ServiceNetwork, *Service,
// *Listener, *Rule, *TargetGroup, *ServiceNetworkServiceAssociation,
// *ServiceNetworkVPCAssociation or *AccessLogSubscription.
func (s *Snapshot) ByARN(arn string) (any, bool) {
	x, ok := s.byARN[arn]
	return x, ok
}

// ServicesByHost returns the services whose DNS name or custom domain name
// is host (compared without case). Usually one; services of different
// accounts may share a custom domain name, and the service networks of the
// caller's VPC decide which one a request reaches.
func (s *Snapshot) ServicesByHost(host string) []*Service {
	return s.byHost[strings.ToLower(strings.TrimSuffix(host, "."))]
}

// ServiceForVPC finds the service named host (its DNS name or custom
// domain name) that a caller in the VPC reaches: one associated with a
// service network the VPC is associated with, and that network and VPC
// association. Services of other networks do not exist for the VPC, so
// all three are nil. The gateway routes by it and the scanner decides by
// it, so both find the same service.
func (s *Snapshot) ServiceForVPC(vpcID, host string) (*Service, *ServiceNetwork, *ServiceNetworkVPCAssociation) {
	vas := s.VPCAssociationsOfVPC(vpcID)
	for _, svc := range s.ServicesByHost(host) {
		for _, va := range vas {
			for _, sa := range s.ServiceAssociationsOfService(svc.ID) {
				if sa.ServiceNetworkID != va.ServiceNetworkID {
					continue
				}
				if sn, ok := s.ServiceNetwork(va.ServiceNetworkID); ok {
					return svc, sn, va
				}
			}
		}
	}
	return nil, nil, nil
}

// Listeners returns the listeners of a service, by port.
func (s *Snapshot) Listeners(serviceID string) []*Listener { return s.listenersByService[serviceID] }

// ListenerOnPort returns the listener of a service on a port.
func (s *Snapshot) ListenerOnPort(serviceID string, port int) (*Listener, bool) {
	for _, l := range s.listenersByService[serviceID] {
		if l.Port == port {
			return l, true
		}
	}
	return nil, false
}

// Rules returns the rules of a listener in the order they are evaluated:
// by priority, the default rule last.
func (s *Snapshot) Rules(listenerID string) []*Rule { return s.rulesByListener[listenerID] }

// Targets returns the registered targets of a target group.
func (s *Snapshot) Targets(targetGroupID string) []Target { return s.targetsByGroup[targetGroupID] }

// ServiceAssociationsOfNetwork returns the service associations of a
// service network.
func (s *Snapshot) ServiceAssociationsOfNetwork(serviceNetworkID string) []*ServiceNetworkServiceAssociation {
	return s.snsasByNetwork[serviceNetworkID]
}

// ServiceAssociationsOfService returns the service network associations of
// a service.
func (s *Snapshot) ServiceAssociationsOfService(serviceID string) []*ServiceNetworkServiceAssociation {
	return s.snsasByService[serviceID]
}

// VPCAssociationsOfNetwork returns the VPC associations of a service
// network.
func (s *Snapshot) VPCAssociationsOfNetwork(serviceNetworkID string) []*ServiceNetworkVPCAssociation {
	return s.snvasByNetwork[serviceNetworkID]
}

// VPCAssociationsOfVPC returns the service network associations of a VPC.
func (s *Snapshot) VPCAssociationsOfVPC(vpcID string) []*ServiceNetworkVPCAssociation {
	return s.snvasByVPC[vpcID]
}

// AccessLogSubscriptions returns the access-log subscriptions of a service
// network or service.
func (s *Snapshot) AccessLogSubscriptions(resourceID string) []*AccessLogSubscription {
	return s.accessLogsByRes[resourceID]
}

// AuthPolicy returns the auth policy of a service network or service.
func (s *Snapshot) AuthPolicy(resourceID string) (*CompiledAuthPolicy, bool) {
	x, ok := s.authPolicies[resourceID]
	return x, ok
}

// Auth returns what decides requests to a service network or service: its
// auth type and, when the type is AWS_IAM, the compiled auth policy. A nil
// policy with AWS_IAM means no policy (or one that no longer compiles):
// every request is denied.
func (s *Snapshot) Auth(resourceID string) (AuthType, *policy.Policy) {
	t, ok := s.authTypeOf(resourceID)
	if !ok || t != AuthIAM {
		return t, nil
	}
	if c, ok := s.authPolicies[resourceID]; ok {
		return t, c.Policy
	}
	return t, nil
}

// ResourcePolicy returns the resource policy of a service network or
// service.
func (s *Snapshot) ResourcePolicy(resourceID string) (*ResourcePolicy, bool) {
	x, ok := s.resourcePolicies[resourceID]
	return x, ok
}

// Tags returns the tags of a resource.
func (s *Snapshot) Tags(resourceID string) map[string]string { return s.tags[resourceID] }

// Counts returns how many resources of each type the snapshot holds, for
// logs and metrics.
func (s *Snapshot) Counts() map[ResourceType]int {
	return map[ResourceType]int{
		TypeServiceNetwork:                   len(s.serviceNetworks),
		TypeService:                          len(s.services),
		TypeListener:                         len(s.listeners),
		TypeRule:                             len(s.rules),
		TypeTargetGroup:                      len(s.targetGroups),
		TypeServiceNetworkServiceAssociation: len(s.snsas),
		TypeServiceNetworkVPCAssociation:     len(s.snvas),
		TypeAccessLogSubscription:            len(s.accessLogs),
	}
}
