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
