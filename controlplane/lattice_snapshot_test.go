package controlplane_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/model"
)

// TestSnapshotFromAPI configures a service through the API and checks that
// the snapshot the gateway will route on sees it.
func TestSnapshotFromAPI(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)
	sn := must(c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("net"), AuthType: types.AuthTypeAwsIam}))
	svc := must(c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("orders"), AuthType: types.AuthTypeAwsIam,
		CustomDomainName: aws.String("orders.example.com")}))
	must(c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: svc.Id, Policy: aws.String(orgOnlyPolicy)}))
	must(c.CreateServiceNetworkServiceAssociation(ctx, &vpclattice.CreateServiceNetworkServiceAssociationInput{ServiceNetworkIdentifier: sn.Id, ServiceIdentifier: svc.Id}))
	must(c.CreateServiceNetworkVpcAssociation(ctx, &vpclattice.CreateServiceNetworkVpcAssociationInput{ServiceNetworkIdentifier: sn.Id, VpcIdentifier: aws.String("vpc-01234567")}))
	tg := httpTG(c, "web")
	must(c.RegisterTargets(ctx, &vpclattice.RegisterTargetsInput{TargetGroupIdentifier: tg.Id, Targets: []types.Target{{Id: aws.String("10.1.2.3")}}}))
	l := must(c.CreateListener(ctx, &vpclattice.CreateListenerInput{ServiceIdentifier: svc.Id, Name: aws.String("http"),
		Protocol: types.ListenerProtocolHttp, DefaultAction: &types.RuleActionMemberFixedResponse{Value: types.FixedResponseAction{StatusCode: aws.Int32(404)}}}))
	must(c.CreateRule(ctx, &vpclattice.CreateRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id, Name: aws.String("api"),
		Priority: aws.Int32(5), Match: pathPrefix("/api"), Action: forward(*tg.Arn)}))
	must(c.CreateAccessLogSubscription(ctx, &vpclattice.CreateAccessLogSubscriptionInput{ResourceIdentifier: sn.Id,
		DestinationArn: aws.String("arn:aws:logs:us-west-2:111122223333:log-group:stdout")}))

	seq := must(e.store.Seq(ctx))
	s := must(controlplane.LoadLatticeSnapshot(ctx, e.store))
	if s.Seq() != seq || len(s.Problems()) != 0 {
		t.Fatalf("seq %d (store %d), problems %v", s.Seq(), seq, s.Problems())
	}
	hosts := s.ServicesByHost(*svc.DnsEntry.DomainName)
	if len(hosts) != 1 || hosts[0].ID != *svc.Id || len(s.ServicesByHost("orders.example.com")) != 1 {
		t.Fatalf("by host: %v", hosts)
	}
	listener, ok := s.ListenerOnPort(*svc.Id, 80)
	if !ok {
		t.Fatal("no listener on port 80")
	}
	rules := s.Rules(listener.ID)
	if len(rules) != 2 || rules[0].Name != "api" || !rules[1].IsDefault || rules[0].Action.TargetGroupIDs()[0] != *tg.Id {
		t.Fatalf("rules: %+v", rules)
	}
	if targets := s.Targets(*tg.Id); len(targets) != 1 || targets[0].ID != "10.1.2.3" || targets[0].Port != 8080 {
		t.Errorf("targets %+v", targets)
	}
	authType, p := s.Auth(*svc.Id)
	if authType != model.AuthIAM || p == nil {
		t.Errorf("service auth: %s %v", authType, p)
	}
	if authType, p := s.Auth(*sn.Id); authType != model.AuthIAM || p != nil {
		t.Errorf("service network auth (no policy): %s %v", authType, p)
	}
	if len(s.VPCAssociationsOfVPC("vpc-01234567")) != 1 || len(s.ServiceAssociationsOfService(*svc.Id)) != 1 || len(s.AccessLogSubscriptions(*sn.Id)) != 1 {
		t.Error("associations or access logs missing")
	}
}
