// Package latticetest builds VPC Lattice configurations for tests: it
// creates resources with well-formed IDs and ARNs and feeds them, as the
// store's JSON records, through model.SnapshotBuilder, the path the
// control plane's snapshots take.
package latticetest

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/model"
)

// A World accumulates resources of one region until Build.
type World struct {
	t      testing.TB
	region string
	n      int
	b      *model.SnapshotBuilder
}

// New returns an empty world in region.
func New(t testing.TB, region string) *World {
	return &World{t: t, region: region, b: model.NewSnapshotBuilder()}
}

// Region returns the world's region.
func (w *World) Region() string { return w.region }

func (w *World) id(t model.ResourceType) string {
	w.n++
	return fmt.Sprintf("%s-%017d", t.Prefix(), w.n)
}

func (w *World) meta(t model.ResourceType, account string) model.Meta {
	id := w.id(t)
	return model.Meta{ID: id, ARN: model.NewARN(w.region, account, t, id), Account: account}
}

func (w *World) add(kind string, v any) {
	w.t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.b.Add(kind, body); err != nil {
		w.t.Fatal(err)
	}
}

// ServiceNetwork adds a service network.
func (w *World) ServiceNetwork(account, name string, auth model.AuthType) *model.ServiceNetwork {
	sn := &model.ServiceNetwork{Meta: w.meta(model.TypeServiceNetwork, account), Name: name, AuthType: auth}
	w.add(model.KindServiceNetwork, sn)
	return sn
}

// Service adds a service with its generated DNS name and, when
// customDomain is not empty, a custom domain name.
func (w *World) Service(account, name string, auth model.AuthType, customDomain string) *model.Service {
	m := w.meta(model.TypeService, account)
	svc := &model.Service{Meta: m, Name: name, AuthType: auth, CustomDomainName: customDomain,
		DNSName: model.ServiceDNSName(name, m.ID, account, w.region, "")}
	w.add(model.KindService, svc)
	return svc
}

// Associate associates a service with a service network.
func (w *World) Associate(sn *model.ServiceNetwork, svc *model.Service) {
	a := &model.ServiceNetworkServiceAssociation{Meta: w.meta(model.TypeServiceNetworkServiceAssociation, sn.Account),
		ServiceNetworkID: sn.ID, ServiceNetworkARN: sn.ARN, ServiceNetworkName: sn.Name,
		ServiceID: svc.ID, ServiceARN: svc.ARN, ServiceName: svc.Name, DNSName: svc.DNSName}
	w.add(model.KindServiceNetworkServiceAssociation, a)
}

// AssociateVPC associates a VPC with a service network.
func (w *World) AssociateVPC(sn *model.ServiceNetwork, vpcID string) {
	a := &model.ServiceNetworkVPCAssociation{Meta: w.meta(model.TypeServiceNetworkVPCAssociation, sn.Account),
		ServiceNetworkID: sn.ID, ServiceNetworkARN: sn.ARN, ServiceNetworkName: sn.Name, VPCID: vpcID}
	w.add(model.KindServiceNetworkVPCAssociation, a)
}

// AuthPolicy attaches an auth policy to a service network or service.
func (w *World) AuthPolicy(resource model.Meta, doc string) {
	w.add(model.KindAuthPolicy, &model.AuthPolicy{ResourceID: resource.ID, ResourceARN: resource.ARN, Account: resource.Account, Policy: doc})
}

// TargetGroup adds an HTTP/1.1 IP target group with targets.
func (w *World) TargetGroup(account, name string, targets ...netip.AddrPort) *model.TargetGroup {
	return w.TargetGroupVersion(account, name, model.ProtocolVersionHTTP1, targets...)
}

// TargetGroupVersion adds an HTTP IP target group of a protocol version
// (HTTP1, HTTP2 or GRPC) with targets.
func (w *World) TargetGroupVersion(account, name, version string, targets ...netip.AddrPort) *model.TargetGroup {
	port := 80
	tg := &model.TargetGroup{Meta: w.meta(model.TypeTargetGroup, account), Name: name, Type: model.TargetGroupIP,
		Config: model.TargetGroupConfig{Port: &port, Protocol: model.ProtocolHTTP, ProtocolVersion: version, IPAddressType: model.IPAddressTypeIPv4}}
	w.add(model.KindTargetGroup, tg)
	for _, t := range targets {
		w.add(model.KindTarget, &model.Target{TargetGroupID: tg.ID, ID: t.Addr().String(), Port: int(t.Port())})
	}
	return tg
}

// Listener adds an HTTP listener to a service.
func (w *World) Listener(svc *model.Service, port int, def model.RuleAction) *model.Listener {
	id := w.id(model.TypeListener)
	l := &model.Listener{Meta: model.Meta{ID: id, ARN: model.ListenerARN(w.region, svc.Account, svc.ID, id), Account: svc.Account},
		ServiceID: svc.ID, ServiceARN: svc.ARN, Name: fmt.Sprintf("http-%d", port), Protocol: model.ListenerHTTP, Port: port, DefaultAction: def}
	w.add(model.KindListener, l)
	w.add(model.KindRule, &model.Rule{Meta: model.Meta{ID: w.id(model.TypeRule), Account: svc.Account}, ServiceID: svc.ID, ListenerID: l.ID, IsDefault: true, Action: def})
	return l
}

// Rule adds a rule to a listener.
func (w *World) Rule(l *model.Listener, priority int, match *model.RuleMatch, action model.RuleAction) *model.Rule {
	id := w.id(model.TypeRule)
	r := &model.Rule{Meta: model.Meta{ID: id, ARN: model.RuleARN(w.region, l.Account, l.ServiceID, l.ID, id), Account: l.Account},
		ServiceID: l.ServiceID, ListenerID: l.ID, Name: fmt.Sprintf("rule-%d", priority), Priority: priority, Match: match, Action: action}
	w.add(model.KindRule, r)
	return r
}

// AccessLog subscribes a service network or service to an access-log
// destination ARN.
func (w *World) AccessLog(resource model.Meta, destination string) {
	a := &model.AccessLogSubscription{Meta: w.meta(model.TypeAccessLogSubscription, resource.Account),
		ResourceID: resource.ID, ResourceARN: resource.ARN, DestinationARN: destination}
	w.add(model.KindAccessLogSubscription, a)
}

// Build returns the snapshot, failing the test on any problem.
func (w *World) Build() *model.Snapshot {
	w.t.Helper()
	s, err := w.b.Build()
	if err != nil {
		w.t.Fatal(err)
	}
	if p := s.Problems(); len(p) > 0 {
		w.t.Fatalf("inconsistent test configuration: %s", strings.Join(p, "; "))
	}
	return s
}

// Forward returns a forward action to target groups with weights (100
// each when weights is empty).
func Forward(tgs []*model.TargetGroup, weights ...int) model.RuleAction {
	f := &model.ForwardAction{}
	for i, tg := range tgs {
		wt := model.DefaultSingleWeight
		if i < len(weights) {
			wt = weights[i]
		}
		f.TargetGroups = append(f.TargetGroups, model.WeightedTargetGroup{TargetGroupIdentifier: tg.ID, Weight: &wt})
	}
	return model.RuleAction{Forward: f}
}

// Fixed returns a fixed-response action.
func Fixed(status int) model.RuleAction {
	return model.RuleAction{FixedResponse: &model.FixedResponseAction{StatusCode: &status}}
}

// The accounts and access keys of Identities.
const (
	// Account owns the services of most tests; Other is a second account
	// in the same organization, OrgID.
	Account = "111122223333"
	Other   = "444455556666"
	OrgID   = "o-a1b2c3d4e5"

	// Alice (Account) may invoke any service; her user is tagged
	// team=blue.
	AliceKey    = "AKIAALICEALICEALICEA"
	AliceSecret = "aliceSecretaliceSecretaliceSecretaliceSe"
	AliceARN    = "arn:aws:iam::" + Account + ":user/alice"
	// Bob (Account) has no policies.
	BobKey    = "AKIABOBBOBBOBBOBBOBB"
	BobSecret = "bobSecretbobSecretbobSecretbobSecretbobS"
	BobARN    = "arn:aws:iam::" + Account + ":user/bob"
	// Dave (Account) may invoke anything except paths under /admin.
	DaveKey    = "AKIADAVEDAVEDAVEDAVE"
	DaveSecret = "daveSecretdaveSecretdaveSecretdaveSecret"
	DaveARN    = "arn:aws:iam::" + Account + ":user/dave"
	// Carol (Other) may invoke any service.
	CarolKey    = "AKIACAROLCAROLCAROLC"
	CarolSecret = "carolSecretcarolSecretcarolSecretcarolSe"
	CarolARN    = "arn:aws:iam::" + Other + ":user/carol"
	// The role app (Account) may invoke any service; SessionKey signs as
	// its session "worker".
	AppRoleARN    = "arn:aws:iam::" + Account + ":role/app"
	SessionKey    = "ASIAAPPSESSIONAPPSES"
	SessionSecret = "sessSecretsessSecretsessSecretsessSecret"
	SessionToken  = "FwoGZXIvYXdzEXAMPLETOKEN"
	SessionName   = "worker"
	SessionARN    = "arn:aws:sts::" + Account + ":assumed-role/app/" + SessionName
)

const identitiesJSON = `{
  "organizations": [{"id": "` + OrgID + `", "rootId": "r-ab12", "managementAccount": "` + Account + `"}],
  "accounts": [
    {"id": "` + Account + `", "organization": "` + OrgID + `"},
    {"id": "` + Other + `", "organization": "` + OrgID + `"}
  ],
  "policies": [
    {"arn": "arn:aws:iam::` + Account + `:policy/Invoke", "document": {"Version": "2012-10-17", "Statement": [
      {"Sid": "Invoke", "Effect": "Allow", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]}},
    {"arn": "arn:aws:iam::` + Other + `:policy/Invoke", "document": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]}}
  ],
  "users": [
    {"account": "` + Account + `", "name": "alice", "tags": [{"key": "team", "value": "blue"}],
     "managedPolicies": ["arn:aws:iam::` + Account + `:policy/Invoke"]},
    {"account": "` + Account + `", "name": "bob"},
    {"account": "` + Account + `", "name": "dave", "managedPolicies": ["arn:aws:iam::` + Account + `:policy/Invoke"],
     "inlinePolicies": [{"name": "no-admin", "document": {"Version": "2012-10-17", "Statement": [
       {"Sid": "NoAdmin", "Effect": "Deny", "Action": "vpc-lattice-svcs:Invoke", "Resource": "arn:aws:vpc-lattice:*:*:service/*/admin*"}]}}]},
    {"account": "` + Other + `", "name": "carol", "managedPolicies": ["arn:aws:iam::` + Other + `:policy/Invoke"]}
  ],
  "roles": [
    {"account": "` + Account + `", "name": "app", "id": "AROAAPPAPPAPPAPPAPPA",
     "managedPolicies": ["arn:aws:iam::` + Account + `:policy/Invoke"]}
  ],
  "accessKeys": [
    {"id": "` + AliceKey + `", "secret": "` + AliceSecret + `", "user": "` + AliceARN + `"},
    {"id": "` + BobKey + `", "secret": "` + BobSecret + `", "user": "` + BobARN + `"},
    {"id": "` + DaveKey + `", "secret": "` + DaveSecret + `", "user": "` + DaveARN + `"},
    {"id": "` + CarolKey + `", "secret": "` + CarolSecret + `", "user": "` + CarolARN + `"}
  ]
}`

// Identities returns the directory of the keys above; the session is
// valid from issued for a day.
func Identities(t testing.TB, issued time.Time) *identity.Directory {
	t.Helper()
	var in identity.Input
	if err := json.Unmarshal([]byte(identitiesJSON), &in); err != nil {
		t.Fatal(err)
	}
	in.Sessions = []identity.Session{{AccessKeyID: SessionKey, SecretAccessKey: SessionSecret, SessionToken: SessionToken,
		RoleARN: AppRoleARN, RoleID: "AROAAPPAPPAPPAPPAPPA", SessionName: SessionName, Issued: issued, Expires: issued.Add(24 * time.Hour)}}
	d, err := identity.New(in)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Caller returns the caller of an access key of Identities.
func Caller(t testing.TB, d *identity.Directory, key string) *identity.Caller {
	t.Helper()
	c, ok := d.Caller(key)
	if !ok {
		t.Fatalf("no caller for %s", key)
	}
	return c
}
