package controlplane_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"
)

var (
	snIDRe   = regexp.MustCompile(`^sn-[0-9a-z]{17}$`)
	svcIDRe  = regexp.MustCompile(`^svc-[0-9a-z]{17}$`)
	snARNRe  = regexp.MustCompile(`^arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/sn-[0-9a-z]{17}$`)
	svcARNRe = regexp.MustCompile(`^arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-[0-9a-z]{17}$`)
	dnsRe    = regexp.MustCompile(`^billing-[0-9a-z]{17}\.[0-9a-f]{7}\.vpc-lattice-svcs\.us-west-2\.on\.aws$`)
)

func TestServiceNetworkLifecycle(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)

	created := must(c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{
		Name: aws.String("payments"), AuthType: types.AuthTypeAwsIam,
		Tags: map[string]string{"team": "payments", "env": "prod"},
	}))
	if !snIDRe.MatchString(*created.Id) || !snARNRe.MatchString(*created.Arn) {
		t.Fatalf("id %q, arn %q", *created.Id, *created.Arn)
	}
	if *created.Arn != "arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/"+*created.Id {
		t.Errorf("arn %q does not end with the id", *created.Arn)
	}
	if created.AuthType != types.AuthTypeAwsIam || *created.Name != "payments" {
		t.Errorf("created = %+v", created)
	}

	// By ID and by ARN.
	for _, ident := range []string{*created.Id, *created.Arn} {
		got := must(c.GetServiceNetwork(ctx, &vpclattice.GetServiceNetworkInput{ServiceNetworkIdentifier: aws.String(ident)}))
		if *got.Id != *created.Id || *got.Name != "payments" || got.AuthType != types.AuthTypeAwsIam ||
			*got.NumberOfAssociatedServices != 0 || *got.NumberOfAssociatedVPCs != 0 || got.CreatedAt == nil || got.LastUpdatedAt == nil {
			t.Errorf("GetServiceNetwork(%s) = %+v", ident, got)
		}
	}

	tags := must(c.ListTagsForResource(ctx, &vpclattice.ListTagsForResourceInput{ResourceArn: created.Arn}))
	if len(tags.Tags) != 2 || tags.Tags["team"] != "payments" {
		t.Errorf("tags = %v", tags.Tags)
	}

	// A second network with the same name conflicts.
	_, err := c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("payments")})
	var conflict *types.ConflictException
	if !errors.As(err, &conflict) || *conflict.ResourceType != "SERVICE_NETWORK" {
		t.Fatalf("duplicate name: %v", err)
	}

	upd := must(c.UpdateServiceNetwork(ctx, &vpclattice.UpdateServiceNetworkInput{
		ServiceNetworkIdentifier: created.Id, AuthType: types.AuthTypeNone}))
	if upd.AuthType != types.AuthTypeNone || *upd.Name != "payments" {
		t.Errorf("update = %+v", upd)
	}

	must(c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("orders")}))
	list := must(c.ListServiceNetworks(ctx, &vpclattice.ListServiceNetworksInput{}))
	if len(list.Items) != 2 || list.NextToken != nil {
		t.Fatalf("list = %+v", list)
	}

	must(c.DeleteServiceNetwork(ctx, &vpclattice.DeleteServiceNetworkInput{ServiceNetworkIdentifier: created.Arn}))
	_, err = c.GetServiceNetwork(ctx, &vpclattice.GetServiceNetworkInput{ServiceNetworkIdentifier: created.Id})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || *nf.ResourceId != *created.Id || *nf.ResourceType != "SERVICE_NETWORK" {
		t.Fatalf("get after delete: %v", err)
	}
	// Its tags went with it.
	_, err = c.ListTagsForResource(ctx, &vpclattice.ListTagsForResourceInput{ResourceArn: created.Arn})
	if !errors.As(err, &nf) {
		t.Fatalf("tags after delete: %v", err)
	}
}

func TestServiceLifecycle(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)
	created := must(c.CreateService(ctx, &vpclattice.CreateServiceInput{
		Name: aws.String("billing"), CustomDomainName: aws.String("Billing.Example.com"),
		CertificateArn: aws.String("arn:aws:acm:us-west-2:111122223333:certificate/0123abcd-4567"),
	}))
	if !svcIDRe.MatchString(*created.Id) || !svcARNRe.MatchString(*created.Arn) || created.Status != types.ServiceStatusActive {
		t.Fatalf("created = %+v", created)
	}
	if created.DnsEntry == nil || !dnsRe.MatchString(*created.DnsEntry.DomainName) {
		t.Fatalf("dns entry = %+v", created.DnsEntry)
	}
	if *created.CustomDomainName != "billing.example.com" || created.AuthType != types.AuthTypeNone {
		t.Errorf("created = %+v", created)
	}
	got := must(c.GetService(ctx, &vpclattice.GetServiceInput{ServiceIdentifier: created.Arn}))
	if *got.DnsEntry.DomainName != *created.DnsEntry.DomainName || *got.CertificateArn != *created.CertificateArn {
		t.Errorf("get = %+v", got)
	}

	// The custom domain name is one service's per account.
	_, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("billing2"), CustomDomainName: aws.String("billing.example.com")})
	wantCode(t, err, "ConflictException")

	upd := must(c.UpdateService(ctx, &vpclattice.UpdateServiceInput{ServiceIdentifier: created.Id, AuthType: types.AuthTypeAwsIam}))
	if upd.AuthType != types.AuthTypeAwsIam || *upd.CertificateArn != *created.CertificateArn {
		t.Errorf("update = %+v", upd)
	}
	list := must(c.ListServices(ctx, &vpclattice.ListServicesInput{}))
	if len(list.Items) != 1 || *list.Items[0].Id != *created.Id || list.Items[0].DnsEntry == nil {
		t.Fatalf("list = %+v", list.Items)
	}
	del := must(c.DeleteService(ctx, &vpclattice.DeleteServiceInput{ServiceIdentifier: created.Id}))
	if *del.Id != *created.Id || del.Status != types.ServiceStatusDeleteInProgress {
		t.Errorf("delete = %+v", del)
	}
	_, err = c.GetService(ctx, &vpclattice.GetServiceInput{ServiceIdentifier: created.Id})
	wantCode(t, err, "ResourceNotFoundException")
	// The domain is free again.
	must(c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("billing"), CustomDomainName: aws.String("billing.example.com")}))
}

func TestAssociationsLifecycle(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)
	sn := must(c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("net")}))
	sn2 := must(c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("net2")}))
	svc := must(c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("billing")}))

	// Service association, by ARN and ID.
	a := must(c.CreateServiceNetworkServiceAssociation(ctx, &vpclattice.CreateServiceNetworkServiceAssociationInput{
		ServiceNetworkIdentifier: sn.Arn, ServiceIdentifier: svc.Id, Tags: map[string]string{"k": "v"}}))
	if !regexp.MustCompile(`^snsa-[0-9a-z]{17}$`).MatchString(*a.Id) ||
		*a.Arn != "arn:aws:vpc-lattice:us-west-2:111122223333:servicenetworkserviceassociation/"+*a.Id ||
		a.Status != types.ServiceNetworkServiceAssociationStatusActive || *a.CreatedBy != accountA ||
		*a.DnsEntry.DomainName != *svc.DnsEntry.DomainName {
		t.Fatalf("snsa = %+v", a)
	}
	_, err := c.CreateServiceNetworkServiceAssociation(ctx, &vpclattice.CreateServiceNetworkServiceAssociationInput{
		ServiceNetworkIdentifier: sn.Id, ServiceIdentifier: svc.Arn})
	wantCode(t, err, "ConflictException")
	must(c.CreateServiceNetworkServiceAssociation(ctx, &vpclattice.CreateServiceNetworkServiceAssociationInput{
		ServiceNetworkIdentifier: sn2.Id, ServiceIdentifier: svc.Id}))

	got := must(c.GetServiceNetworkServiceAssociation(ctx, &vpclattice.GetServiceNetworkServiceAssociationInput{ServiceNetworkServiceAssociationIdentifier: a.Arn}))
	if *got.ServiceName != "billing" || *got.ServiceNetworkName != "net" || *got.ServiceNetworkId != *sn.Id || *got.ServiceArn != *svc.Arn {
		t.Errorf("get snsa = %+v", got)
	}
	bySN := must(c.ListServiceNetworkServiceAssociations(ctx, &vpclattice.ListServiceNetworkServiceAssociationsInput{ServiceNetworkIdentifier: sn.Id}))
	bySvc := must(c.ListServiceNetworkServiceAssociations(ctx, &vpclattice.ListServiceNetworkServiceAssociationsInput{ServiceIdentifier: svc.Arn}))
	both := must(c.ListServiceNetworkServiceAssociations(ctx, &vpclattice.ListServiceNetworkServiceAssociationsInput{ServiceIdentifier: svc.Id, ServiceNetworkIdentifier: sn2.Id}))
	if len(bySN.Items) != 1 || len(bySvc.Items) != 2 || len(both.Items) != 1 || *both.Items[0].ServiceNetworkId != *sn2.Id {
		t.Errorf("lists: by network %d, by service %d, both %+v", len(bySN.Items), len(bySvc.Items), both.Items)
	}
	_, err = c.ListServiceNetworkServiceAssociations(ctx, &vpclattice.ListServiceNetworkServiceAssociationsInput{})
	wantCode(t, err, "ValidationException")
	sng := must(c.GetServiceNetwork(ctx, &vpclattice.GetServiceNetworkInput{ServiceNetworkIdentifier: sn.Id}))
	if *sng.NumberOfAssociatedServices != 1 {
		t.Errorf("numberOfAssociatedServices = %d", *sng.NumberOfAssociatedServices)
	}

	// VPC association with security groups.
	v := must(c.CreateServiceNetworkVpcAssociation(ctx, &vpclattice.CreateServiceNetworkVpcAssociationInput{
		ServiceNetworkIdentifier: sn.Id, VpcIdentifier: aws.String("vpc-0123456789abcdef0"),
		SecurityGroupIds: []string{"sg-0123456789abcdef0"}}))
	if !regexp.MustCompile(`^snva-[0-9a-z]{17}$`).MatchString(*v.Id) || len(v.SecurityGroupIds) != 1 ||
		*v.Arn != "arn:aws:vpc-lattice:us-west-2:111122223333:servicenetworkvpcassociation/"+*v.Id {
		t.Fatalf("snva = %+v", v)
	}
	// A VPC is associated with one service network.
	_, err = c.CreateServiceNetworkVpcAssociation(ctx, &vpclattice.CreateServiceNetworkVpcAssociationInput{
		ServiceNetworkIdentifier: sn2.Id, VpcIdentifier: aws.String("vpc-0123456789abcdef0")})
	wantCode(t, err, "ConflictException")
	_, err = c.CreateServiceNetworkVpcAssociation(ctx, &vpclattice.CreateServiceNetworkVpcAssociationInput{
		ServiceNetworkIdentifier: sn2.Id, VpcIdentifier: aws.String("vpc-1"), SecurityGroupIds: []string{"sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6"}})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || len(ve.FieldList) < 2 {
		t.Fatalf("bad VPC and security groups: %v", err)
	}
	gv := must(c.GetServiceNetworkVpcAssociation(ctx, &vpclattice.GetServiceNetworkVpcAssociationInput{ServiceNetworkVpcAssociationIdentifier: v.Arn}))
	if *gv.VpcId != "vpc-0123456789abcdef0" || *gv.ServiceNetworkName != "net" || gv.SecurityGroupIds[0] != "sg-0123456789abcdef0" {
		t.Errorf("get snva = %+v", gv)
	}
	uv := must(c.UpdateServiceNetworkVpcAssociation(ctx, &vpclattice.UpdateServiceNetworkVpcAssociationInput{
		ServiceNetworkVpcAssociationIdentifier: v.Id, SecurityGroupIds: []string{"sg-11111111", "sg-22222222"}}))
	if len(uv.SecurityGroupIds) != 2 {
		t.Errorf("update snva = %+v", uv)
	}
	_, err = c.UpdateServiceNetworkVpcAssociation(ctx, &vpclattice.UpdateServiceNetworkVpcAssociationInput{
		ServiceNetworkVpcAssociationIdentifier: v.Id, SecurityGroupIds: []string{}})
	wantCode(t, err, "ValidationException")
	byVPC := must(c.ListServiceNetworkVpcAssociations(ctx, &vpclattice.ListServiceNetworkVpcAssociationsInput{VpcIdentifier: aws.String("vpc-0123456789abcdef0")}))
	byNet := must(c.ListServiceNetworkVpcAssociations(ctx, &vpclattice.ListServiceNetworkVpcAssociationsInput{ServiceNetworkIdentifier: sn.Arn}))
	if len(byVPC.Items) != 1 || len(byNet.Items) != 1 || *byVPC.Items[0].Id != *v.Id {
		t.Errorf("snva lists: %+v %+v", byVPC.Items, byNet.Items)
	}

	// Dependencies: a service network with associations, a service with
	// associations.
	_, err = c.DeleteServiceNetwork(ctx, &vpclattice.DeleteServiceNetworkInput{ServiceNetworkIdentifier: sn.Id})
	var ce *types.ConflictException
	if !errors.As(err, &ce) || *ce.ResourceId != *sn.Id {
		t.Fatalf("delete service network with associations: %v", err)
	}
	_, err = c.DeleteService(ctx, &vpclattice.DeleteServiceInput{ServiceIdentifier: svc.Id})
	wantCode(t, err, "ConflictException")

	da := must(c.DeleteServiceNetworkServiceAssociation(ctx, &vpclattice.DeleteServiceNetworkServiceAssociationInput{ServiceNetworkServiceAssociationIdentifier: a.Id}))
	if da.Status != types.ServiceNetworkServiceAssociationStatusDeleteInProgress {
		t.Errorf("delete snsa = %+v", da)
	}
	must(c.DeleteServiceNetworkVpcAssociation(ctx, &vpclattice.DeleteServiceNetworkVpcAssociationInput{ServiceNetworkVpcAssociationIdentifier: v.Arn}))
	must(c.DeleteServiceNetwork(ctx, &vpclattice.DeleteServiceNetworkInput{ServiceNetworkIdentifier: sn.Id}))
	// The VPC is free again.
	must(c.CreateServiceNetworkVpcAssociation(ctx, &vpclattice.CreateServiceNetworkVpcAssociationInput{
		ServiceNetworkIdentifier: sn2.Id, VpcIdentifier: aws.String("vpc-0123456789abcdef0")}))
	_, err = c.DeleteService(ctx, &vpclattice.DeleteServiceInput{ServiceIdentifier: svc.Id})
	wantCode(t, err, "ConflictException") // still in sn2
}

func httpTG(c *vpclattice.Client, name string) *vpclattice.CreateTargetGroupOutput {
	return must(c.CreateTargetGroup(ctx, &vpclattice.CreateTargetGroupInput{
		Name: aws.String(name), Type: types.TargetGroupTypeIp,
		Config: &types.TargetGroupConfig{Protocol: types.TargetGroupProtocolHttp, Port: aws.Int32(8080), VpcIdentifier: aws.String("vpc-0123456789abcdef0")},
	}))
}

func forward(tgs ...string) types.RuleAction {
	f := &types.RuleActionMemberForward{}
	for _, tg := range tgs {
		w := types.WeightedTargetGroup{TargetGroupIdentifier: aws.String(tg)}
		if len(tgs) > 1 {
			w.Weight = aws.Int32(10)
		}
		f.Value.TargetGroups = append(f.Value.TargetGroups, w)
	}
	return f
}

func pathPrefix(p string) types.RuleMatch {
	return &types.RuleMatchMemberHttpMatch{Value: types.HttpMatch{
		Method:        aws.String("GET"),
		PathMatch:     &types.PathMatch{Match: &types.PathMatchTypeMemberPrefix{Value: p}, CaseSensitive: aws.Bool(false)},
		HeaderMatches: []types.HeaderMatch{{Name: aws.String("x-tenant"), Match: &types.HeaderMatchTypeMemberExact{Value: "blue"}}},
	}}
}

func TestListenersAndRules(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)
	svc := must(c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("orders")}))
	tg1, tg2 := httpTG(c, "orders-v1"), httpTG(c, "orders-v2")
	if tg1.Config.HealthCheck == nil || *tg1.Config.HealthCheck.HealthCheckIntervalSeconds != 30 || tg1.Config.ProtocolVersion != types.TargetGroupProtocolVersionHttp1 {
		t.Errorf("target group defaults = %+v", tg1.Config)
	}

	l := must(c.CreateListener(ctx, &vpclattice.CreateListenerInput{
		ServiceIdentifier: svc.Id, Name: aws.String("http"), Protocol: types.ListenerProtocolHttp,
		DefaultAction: forward(*tg1.Id)}))
	if *l.Port != 80 || *l.ServiceId != *svc.Id || *l.Arn != *svc.Arn+"/listener/"+*l.Id {
		t.Fatalf("listener = %+v", l)
	}
	fw := l.DefaultAction.(*types.RuleActionMemberForward)
	if *fw.Value.TargetGroups[0].Weight != 100 || *fw.Value.TargetGroups[0].TargetGroupIdentifier != *tg1.Id {
		t.Errorf("default action = %+v", fw.Value)
	}
	_, err := c.CreateListener(ctx, &vpclattice.CreateListenerInput{ServiceIdentifier: svc.Id, Name: aws.String("http2"),
		Protocol: types.ListenerProtocolHttps, Port: aws.Int32(80), DefaultAction: forward(*tg1.Id)})
	wantCode(t, err, "ConflictException") // port 80 is taken

	gl := must(c.GetListener(ctx, &vpclattice.GetListenerInput{ServiceIdentifier: svc.Arn, ListenerIdentifier: l.Arn}))
	if *gl.Name != "http" || gl.CreatedAt == nil {
		t.Errorf("get listener = %+v", gl)
	}
	ll := must(c.ListListeners(ctx, &vpclattice.ListListenersInput{ServiceIdentifier: svc.Id}))
	if len(ll.Items) != 1 || *ll.Items[0].Port != 80 {
		t.Errorf("list listeners = %+v", ll.Items)
	}

	// Rules.
	r1 := must(c.CreateRule(ctx, &vpclattice.CreateRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id,
		Name: aws.String("orders-v2"), Priority: aws.Int32(10), Match: pathPrefix("/v2"), Action: forward(*tg2.Id)}))
	r2 := must(c.CreateRule(ctx, &vpclattice.CreateRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id,
		Name: aws.String("teapot"), Priority: aws.Int32(20), Match: pathPrefix("/tea"),
		Action: &types.RuleActionMemberFixedResponse{Value: types.FixedResponseAction{StatusCode: aws.Int32(418)}}}))
	if *r1.Arn != *l.Arn+"/rule/"+*r1.Id || *r1.Priority != 10 {
		t.Fatalf("rule = %+v", r1)
	}
	m := r1.Match.(*types.RuleMatchMemberHttpMatch).Value
	if *m.Method != "GET" || m.PathMatch.Match.(*types.PathMatchTypeMemberPrefix).Value != "/v2" || *m.PathMatch.CaseSensitive ||
		m.HeaderMatches[0].Match.(*types.HeaderMatchTypeMemberExact).Value != "blue" {
		t.Errorf("match = %+v", m)
	}
	_, err = c.CreateRule(ctx, &vpclattice.CreateRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id,
		Name: aws.String("dup"), Priority: aws.Int32(10), Match: pathPrefix("/x"), Action: forward(*tg1.Id)})
	wantCode(t, err, "ConflictException")

	rules := must(c.ListRules(ctx, &vpclattice.ListRulesInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id}))
	if len(rules.Items) != 3 {
		t.Fatalf("rules = %+v", rules.Items)
	}
	var defaultRule string
	for _, r := range rules.Items {
		if *r.IsDefault {
			defaultRule = *r.Id
			if r.Priority != nil {
				t.Errorf("the default rule has priority %d", *r.Priority)
			}
		}
	}
	gr := must(c.GetRule(ctx, &vpclattice.GetRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id, RuleIdentifier: aws.String(defaultRule)}))
	if !*gr.IsDefault || gr.Action == nil || gr.Match != nil {
		t.Errorf("default rule = %+v", gr)
	}
	_, err = c.DeleteRule(ctx, &vpclattice.DeleteRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id, RuleIdentifier: aws.String(defaultRule)})
	wantCode(t, err, "ValidationException")
	_, err = c.UpdateRule(ctx, &vpclattice.UpdateRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id, RuleIdentifier: aws.String(defaultRule), Priority: aws.Int32(5)})
	wantCode(t, err, "ValidationException")

	ur := must(c.UpdateRule(ctx, &vpclattice.UpdateRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id,
		RuleIdentifier: r1.Arn, Priority: aws.Int32(15), Action: forward(*tg1.Id, *tg2.Id)}))
	if *ur.Priority != 15 || len(ur.Action.(*types.RuleActionMemberForward).Value.TargetGroups) != 2 || *ur.IsDefault {
		t.Errorf("update rule = %+v", ur)
	}

	// BatchUpdateRule swaps the priorities of two rules; a third update
	// names a rule that does not exist.
	b := must(c.BatchUpdateRule(ctx, &vpclattice.BatchUpdateRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id,
		Rules: []types.RuleUpdate{
			{RuleIdentifier: r1.Id, Priority: aws.Int32(20)},
			{RuleIdentifier: r2.Id, Priority: aws.Int32(15)},
			{RuleIdentifier: aws.String("rule-00000000000000000"), Priority: aws.Int32(30)},
		}}))
	if len(b.Successful) != 2 || len(b.Unsuccessful) != 1 || *b.Unsuccessful[0].FailureCode != "ResourceNotFoundException" {
		t.Fatalf("batch = %+v", b)
	}
	g1 := must(c.GetRule(ctx, &vpclattice.GetRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id, RuleIdentifier: r1.Id}))
	if *g1.Priority != 20 {
		t.Errorf("after batch, rule 1 has priority %d", *g1.Priority)
	}
	// A batch that would give two rules one priority fails for that rule.
	b = must(c.BatchUpdateRule(ctx, &vpclattice.BatchUpdateRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id,
		Rules: []types.RuleUpdate{{RuleIdentifier: r1.Id, Priority: aws.Int32(15)}}}))
	if len(b.Successful) != 0 || len(b.Unsuccessful) != 1 || *b.Unsuccessful[0].FailureCode != "ConflictException" {
		t.Fatalf("conflicting batch = %+v", b)
	}

	// A target group in use cannot be deleted; its serviceArns name the
	// service.
	gtg := must(c.GetTargetGroup(ctx, &vpclattice.GetTargetGroupInput{TargetGroupIdentifier: tg2.Arn}))
	if len(gtg.ServiceArns) != 1 || gtg.ServiceArns[0] != *svc.Arn {
		t.Errorf("serviceArns = %v", gtg.ServiceArns)
	}
	_, err = c.DeleteTargetGroup(ctx, &vpclattice.DeleteTargetGroupInput{TargetGroupIdentifier: tg2.Id})
	wantCode(t, err, "ConflictException")
	// A target group serves one service.
	other := must(c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("other")}))
	_, err = c.CreateListener(ctx, &vpclattice.CreateListenerInput{ServiceIdentifier: other.Id, Name: aws.String("http"),
		Protocol: types.ListenerProtocolHttp, DefaultAction: forward(*tg1.Id)})
	wantCode(t, err, "ConflictException")

	ul := must(c.UpdateListener(ctx, &vpclattice.UpdateListenerInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id,
		DefaultAction: &types.RuleActionMemberFixedResponse{Value: types.FixedResponseAction{StatusCode: aws.Int32(404)}}}))
	if _, ok := ul.DefaultAction.(*types.RuleActionMemberFixedResponse); !ok {
		t.Errorf("update listener = %+v", ul)
	}
	gr = must(c.GetRule(ctx, &vpclattice.GetRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id, RuleIdentifier: aws.String(defaultRule)}))
	if _, ok := gr.Action.(*types.RuleActionMemberFixedResponse); !ok {
		t.Errorf("the default rule did not follow the listener: %+v", gr.Action)
	}

	must(c.DeleteRule(ctx, &vpclattice.DeleteRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id, RuleIdentifier: r1.Id}))
	must(c.DeleteListener(ctx, &vpclattice.DeleteListenerInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id}))
	_, err = c.GetRule(ctx, &vpclattice.GetRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id, RuleIdentifier: r2.Id})
	wantCode(t, err, "ResourceNotFoundException")
	// Nothing forwards to the target groups any more.
	must(c.DeleteTargetGroup(ctx, &vpclattice.DeleteTargetGroupInput{TargetGroupIdentifier: tg2.Id}))
	dtg := must(c.DeleteTargetGroup(ctx, &vpclattice.DeleteTargetGroupInput{TargetGroupIdentifier: tg1.Arn}))
	if dtg.Status != types.TargetGroupStatusDeleteInProgress {
		t.Errorf("delete target group = %+v", dtg)
	}
}

func TestTargets(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)
	tg := httpTG(c, "web")
	reg := must(c.RegisterTargets(ctx, &vpclattice.RegisterTargetsInput{TargetGroupIdentifier: tg.Id, Targets: []types.Target{
		{Id: aws.String("10.0.0.1")}, {Id: aws.String("10.0.0.2"), Port: aws.Int32(9090)}, {Id: aws.String("2001:db8::1")},
		{Id: aws.String("not-an-ip")}, {Id: aws.String("10.0.0.1")},
	}}))
	if len(reg.Successful) != 3 || len(reg.Unsuccessful) != 2 || *reg.Successful[0].Port != 8080 {
		t.Fatalf("register = %+v", reg)
	}
	for _, f := range reg.Unsuccessful {
		if *f.FailureCode != "InvalidTargetId" {
			t.Errorf("failure = %+v", f)
		}
	}
	lt := must(c.ListTargets(ctx, &vpclattice.ListTargetsInput{TargetGroupIdentifier: tg.Arn}))
	if len(lt.Items) != 2 || lt.Items[0].Status != types.TargetStatusUnused {
		t.Fatalf("targets = %+v", lt.Items)
	}
	f := must(c.ListTargets(ctx, &vpclattice.ListTargetsInput{TargetGroupIdentifier: tg.Id, Targets: []types.Target{{Id: aws.String("10.0.0.2")}}}))
	if len(f.Items) != 1 || *f.Items[0].Port != 9090 {
		t.Errorf("filtered = %+v", f.Items)
	}
	dr := must(c.DeregisterTargets(ctx, &vpclattice.DeregisterTargetsInput{TargetGroupIdentifier: tg.Id, Targets: []types.Target{
		{Id: aws.String("10.0.0.1")}, {Id: aws.String("10.0.0.9")}}}))
	if len(dr.Successful) != 1 || len(dr.Unsuccessful) != 1 || *dr.Unsuccessful[0].FailureCode != "TargetNotRegistered" {
		t.Fatalf("deregister = %+v", dr)
	}
	_, err := c.RegisterTargets(ctx, &vpclattice.RegisterTargetsInput{TargetGroupIdentifier: tg.Id, Targets: []types.Target{}})
	wantCode(t, err, "ValidationException")
	_, err = c.RegisterTargets(ctx, &vpclattice.RegisterTargetsInput{TargetGroupIdentifier: aws.String("tg-00000000000000000"), Targets: []types.Target{{Id: aws.String("10.0.0.1")}}})
	wantCode(t, err, "ResourceNotFoundException")

	// Only the health check changes.
	u := must(c.UpdateTargetGroup(ctx, &vpclattice.UpdateTargetGroupInput{TargetGroupIdentifier: tg.Id, HealthCheck: &types.HealthCheckConfig{
		Enabled: aws.Bool(false), Path: aws.String("/healthz")}}))
	if *u.Config.HealthCheck.Path != "/healthz" || *u.Config.HealthCheck.Enabled || *u.Config.Port != 8080 {
		t.Errorf("update target group = %+v", u.Config)
	}
	lg := must(c.ListTargetGroups(ctx, &vpclattice.ListTargetGroupsInput{VpcIdentifier: aws.String("vpc-0123456789abcdef0")}))
	none := must(c.ListTargetGroups(ctx, &vpclattice.ListTargetGroupsInput{VpcIdentifier: aws.String("vpc-11111111")}))
	if len(lg.Items) != 1 || *lg.Items[0].Port != 8080 || lg.Items[0].Protocol != types.TargetGroupProtocolHttp || len(none.Items) != 0 {
		t.Errorf("list target groups = %+v / %+v", lg.Items, none.Items)
	}
	_, err = c.CreateTargetGroup(ctx, &vpclattice.CreateTargetGroupInput{Name: aws.String("fn"), Type: types.TargetGroupTypeLambda})
	wantCode(t, err, "ValidationException")
}
