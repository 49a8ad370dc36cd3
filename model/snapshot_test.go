package model

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trellisproject/trellis/policy"
)

const (
	acct  = "111122223333"
	snID  = "sn-0000000000000000a"
	svcID = "svc-0000000000000000a"
	lID   = "listener-0000000000000000a"
	tgID  = "tg-0000000000000000a"
)

func meta(t ResourceType, id string) Meta {
	return Meta{ID: id, ARN: NewARN("us-west-2", acct, t, id), Account: acct}
}

func add(t *testing.T, b *SnapshotBuilder, kind string, v any) {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(kind, body); err != nil {
		t.Fatal(err)
	}
}

func sampleSnapshot(t *testing.T, svcAuth AuthType, policyDoc string) *Snapshot {
	t.Helper()
	b := NewSnapshotBuilder()
	b.SetSeq(42)
	add(t, b, KindServiceNetwork, ServiceNetwork{Meta: meta(TypeServiceNetwork, snID), Name: "net", AuthType: AuthIAM})
	add(t, b, KindService, Service{Meta: meta(TypeService, svcID), Name: "orders", AuthType: svcAuth,
		CustomDomainName: "orders.example.com", DNSName: ServiceDNSName("orders", svcID, acct, "us-west-2", "")})
	w := 100
	forward := RuleAction{Forward: &ForwardAction{TargetGroups: []WeightedTargetGroup{{TargetGroupIdentifier: tgID, Weight: &w}}}}
	add(t, b, KindTargetGroup, TargetGroup{Meta: meta(TypeTargetGroup, tgID), Name: "web", Type: TargetGroupIP})
	lm := meta(TypeListener, lID)
	lm.ARN = ListenerARN("us-west-2", acct, svcID, lID)
	add(t, b, KindListener, Listener{Meta: lm, ServiceID: svcID, Name: "http", Protocol: ListenerHTTP, Port: 80, DefaultAction: forward, DefaultRuleID: "rule-0000000000000000d"})
	prefix := "/api"
	for _, r := range []Rule{
		{Meta: meta(TypeRule, "rule-0000000000000000d"), ServiceID: svcID, ListenerID: lID, Name: "default", IsDefault: true, Action: forward},
		{Meta: meta(TypeRule, "rule-0000000000000000b"), ServiceID: svcID, ListenerID: lID, Name: "b", Priority: 20, Action: forward},
		{Meta: meta(TypeRule, "rule-0000000000000000a"), ServiceID: svcID, ListenerID: lID, Name: "a", Priority: 10, Action: forward,
			Match: &RuleMatch{HTTPMatch: &HTTPMatch{PathMatch: &PathMatch{Match: PathMatchType{Prefix: &prefix}}}}},
	} {
		add(t, b, KindRule, r)
	}
	add(t, b, KindTarget, Target{TargetGroupID: tgID, ID: "10.0.0.1", Port: 8080})
	add(t, b, KindServiceNetworkServiceAssociation, ServiceNetworkServiceAssociation{Meta: meta(TypeServiceNetworkServiceAssociation, "snsa-0000000000000000a"),
		ServiceNetworkID: snID, ServiceID: svcID})
	add(t, b, KindServiceNetworkVPCAssociation, ServiceNetworkVPCAssociation{Meta: meta(TypeServiceNetworkVPCAssociation, "snva-0000000000000000a"),
		ServiceNetworkID: snID, VPCID: "vpc-01234567", SecurityGroupIDs: []string{"sg-01234567"}})
	add(t, b, KindAuthPolicy, AuthPolicy{ResourceID: svcID, Account: acct, Policy: policyDoc})
	add(t, b, KindTags, Tags{ResourceID: svcID, Tags: map[string]string{"team": "orders"}})
	add(t, b, "identity.user", map[string]string{"ignored": "yes"})
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}`

func TestSnapshotIndexes(t *testing.T) {
	s := sampleSnapshot(t, AuthIAM, allowAll)
	if s.Seq() != 42 || len(s.Problems()) != 0 {
		t.Fatalf("seq %d, problems %v", s.Seq(), s.Problems())
	}
	svc, ok := s.Service(svcID)
	if !ok {
		t.Fatal("no service")
	}
	for _, host := range []string{svc.DNSName, "ORDERS.example.com.", "orders.example.com"} {
		if got := s.ServicesByHost(host); len(got) != 1 || got[0] != svc {
			t.Errorf("ServicesByHost(%s) = %v", host, got)
		}
	}
	if x, ok := s.ByARN(svc.ARN); !ok || x.(*Service) != svc {
		t.Error("ByARN(service)")
	}
	if x, ok := s.ByARN(ListenerARN("us-west-2", acct, svcID, lID)); !ok || x.(*Listener).Port != 80 {
		t.Error("ByARN(listener)")
	}
	l, ok := s.ListenerOnPort(svcID, 80)
	if !ok || len(s.Listeners(svcID)) != 1 {
		t.Fatal("no listener on 80")
	}
	rules := s.Rules(l.ID)
	if len(rules) != 3 || rules[0].Name != "a" || rules[1].Name != "b" || !rules[2].IsDefault {
		t.Errorf("rule order: %v %v %v", rules[0].Name, rules[1].Name, rules[2].Name)
	}
	if len(s.Targets(tgID)) != 1 || len(s.ServiceAssociationsOfNetwork(snID)) != 1 || len(s.ServiceAssociationsOfService(svcID)) != 1 ||
		len(s.VPCAssociationsOfVPC("vpc-01234567")) != 1 || len(s.VPCAssociationsOfNetwork(snID)) != 1 || s.Tags(svcID)["team"] != "orders" {
		t.Error("child indexes")
	}
	if n := s.Counts(); n[TypeRule] != 3 || n[TypeService] != 1 {
		t.Errorf("counts %v", n)
	}
	authType, p := s.Auth(svcID)
	ap, _ := s.AuthPolicy(svcID)
	if authType != AuthIAM || p == nil || ap.State != PolicyActive || ap.Policy != p {
		t.Fatalf("auth: %s %v %+v", authType, p, ap)
	}
	caller, _ := policy.ParsePrincipal("arn:aws:iam::111122223333:user/alice")
	if r := (&policy.Set{Resource: p}).Evaluate(&policy.Request{Principal: caller, Action: "vpc-lattice-svcs:Invoke",
		Resource: svc.ARN + "/orders", ResourceAccount: acct}); r.Decision != policy.Allow {
		t.Errorf("the compiled policy denies: %v", r)
	}
	// The service network is AWS_IAM with no auth policy: every request is
	// denied.
	if authType, p := s.Auth(snID); authType != AuthIAM || p != nil {
		t.Errorf("service network: %s %v", authType, p)
	}
}

func TestSnapshotAuthStateAndProblems(t *testing.T) {
	s := sampleSnapshot(t, AuthNone, allowAll)
	if ap, _ := s.AuthPolicy(svcID); ap.State != PolicyInactive {
		t.Errorf("state %s with NONE", ap.State)
	}
	if authType, p := s.Auth(svcID); authType != AuthNone || p != nil {
		t.Errorf("NONE: %s %v", authType, p)
	}
	// A stored policy that no longer compiles denies everything and is
	// reported.
	s = sampleSnapshot(t, AuthIAM, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}`)
	if _, p := s.Auth(svcID); p != nil || len(s.Problems()) != 1 || !strings.Contains(s.Problems()[0], "denies every request") {
		t.Errorf("broken policy: %v %v", p, s.Problems())
	}
	// Dangling references are reported, not fatal.
	b := NewSnapshotBuilder()
	add(t, b, KindListener, Listener{Meta: meta(TypeListener, lID), ServiceID: svcID})
	add(t, b, KindTarget, Target{TargetGroupID: tgID, ID: "10.0.0.1", Port: 1})
	add(t, b, KindAuthPolicy, AuthPolicy{ResourceID: snID, Policy: allowAll})
	s, err := b.Build()
	if err != nil || len(s.Problems()) != 3 {
		t.Errorf("dangling: %v %v", err, s.Problems())
	}
	// Bodies that do not decode fail the build.
	b = NewSnapshotBuilder()
	if err := b.Add(KindService, []byte(`{"id": 1}`)); err == nil {
		t.Error("a bad body was accepted")
	}
	if _, err := b.Build(); err == nil {
		t.Error("Build succeeded after a bad body")
	}
}
