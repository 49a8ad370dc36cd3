package controlplane_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/model"
)

// The auth policy of the VPC Lattice guide's first example, with the odd
// spacing kept to check it is stored as given.
const orgOnlyPolicy = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "vpc-lattice-svcs:Invoke",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": [ "o-123456example" ]}}
        }
    ]
}`

func TestAuthPolicies(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)
	sn := must(c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("net")}))
	svc := must(c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("orders"), AuthType: types.AuthTypeAwsIam}))

	// NONE: the policy is kept but inactive.
	p := must(c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: sn.Id, Policy: aws.String(orgOnlyPolicy)}))
	if *p.Policy != orgOnlyPolicy || p.State != types.AuthPolicyStateInactive {
		t.Fatalf("put on NONE = %q %s", *p.Policy, p.State)
	}
	// AWS_IAM: active. By ARN.
	p = must(c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: svc.Arn, Policy: aws.String(orgOnlyPolicy)}))
	if p.State != types.AuthPolicyStateActive {
		t.Fatalf("put on AWS_IAM: state %s", p.State)
	}
	g := must(c.GetAuthPolicy(ctx, &vpclattice.GetAuthPolicyInput{ResourceIdentifier: svc.Id}))
	if *g.Policy != orgOnlyPolicy || g.State != types.AuthPolicyStateActive || g.CreatedAt == nil || g.LastUpdatedAt == nil {
		t.Fatalf("get = %+v", g)
	}
	// The state follows the auth type.
	must(c.UpdateServiceNetwork(ctx, &vpclattice.UpdateServiceNetworkInput{ServiceNetworkIdentifier: sn.Id, AuthType: types.AuthTypeAwsIam}))
	g = must(c.GetAuthPolicy(ctx, &vpclattice.GetAuthPolicyInput{ResourceIdentifier: sn.Arn}))
	if g.State != types.AuthPolicyStateActive {
		t.Errorf("after AWS_IAM, state %s", g.State)
	}

	// DeleteAuthPolicy while the auth type is AWS_IAM: ConflictException.
	// The API model lists no ConflictException for DeleteAuthPolicy, so the
	// SDK reports it as a generic API error with that code.
	_, err := c.DeleteAuthPolicy(ctx, &vpclattice.DeleteAuthPolicyInput{ResourceIdentifier: svc.Id})
	wantCode(t, err, "ConflictException")
	if !strings.Contains(err.Error(), "set the auth type to NONE") {
		t.Errorf("message: %v", err)
	}
	status, typ, body := e.raw(adminKey, "DELETE", "/authpolicy/"+*svc.Id, "")
	var b struct{ Message, ResourceID, ResourceType string }
	json.Unmarshal(body, &b)
	if status != 409 || typ != "ConflictException" || b.ResourceID != *svc.Id || b.ResourceType != "SERVICE" {
		t.Errorf("raw DeleteAuthPolicy: %d %s %s", status, typ, body)
	}
	must(c.UpdateService(ctx, &vpclattice.UpdateServiceInput{ServiceIdentifier: svc.Id, AuthType: types.AuthTypeNone}))
	must(c.DeleteAuthPolicy(ctx, &vpclattice.DeleteAuthPolicyInput{ResourceIdentifier: svc.Arn}))
	_, err = c.GetAuthPolicy(ctx, &vpclattice.GetAuthPolicyInput{ResourceIdentifier: svc.Id})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.DeleteAuthPolicy(ctx, &vpclattice.DeleteAuthPolicyInput{ResourceIdentifier: svc.Id})
	wantCode(t, err, "ResourceNotFoundException")

	// Invalid policies are ValidationExceptions with the problem in the
	// field list.
	for name, doc := range map[string]string{
		"not JSON":     `{"Version": `,
		"no principal": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"bad effect":   `{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Principal":"*","Action":"*","Resource":"*"}]}`,
		"over 10 KiB":  `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 10300) + `","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
		"empty":        ` `,
	} {
		_, err := c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: sn.Id, Policy: aws.String(doc)})
		var ve *types.ValidationException
		if !errors.As(err, &ve) || ve.Reason != types.ValidationExceptionReasonFieldValidationFailed ||
			len(ve.FieldList) == 0 || *ve.FieldList[0].Name != "policy" {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err = c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: aws.String("svc-00000000000000000"), Policy: aws.String(orgOnlyPolicy)})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: aws.String("tg-00000000000000000"), Policy: aws.String(orgOnlyPolicy)})
	wantCode(t, err, "ValidationException")

	// Deleting the service network takes its policy with it.
	must(c.UpdateServiceNetwork(ctx, &vpclattice.UpdateServiceNetworkInput{ServiceNetworkIdentifier: sn.Id, AuthType: types.AuthTypeNone}))
	must(c.DeleteServiceNetwork(ctx, &vpclattice.DeleteServiceNetworkInput{ServiceNetworkIdentifier: sn.Id}))
	snap := must(controlplane.LoadLatticeSnapshot(ctx, e.store))
	if _, ok := snap.AuthPolicy(*sn.Id); ok {
		t.Error("the auth policy of a deleted service network survived")
	}
}

func TestResourcePolicies(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)
	sn := must(c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("net")}))
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["vpc-lattice:CreateServiceNetworkVpcAssociation","vpc-lattice:GetServiceNetwork"],"Resource":"` + *sn.Arn + `"}]}`
	must(c.PutResourcePolicy(ctx, &vpclattice.PutResourcePolicyInput{ResourceArn: sn.Arn, Policy: aws.String(doc)}))
	g := must(c.GetResourcePolicy(ctx, &vpclattice.GetResourcePolicyInput{ResourceArn: sn.Arn}))
	if *g.Policy != doc {
		t.Errorf("policy = %s", *g.Policy)
	}
	// The resource policy API takes ARNs only.
	_, err := c.GetResourcePolicy(ctx, &vpclattice.GetResourcePolicyInput{ResourceArn: sn.Id})
	wantCode(t, err, "ValidationException")
	_, err = c.PutResourcePolicy(ctx, &vpclattice.PutResourcePolicyInput{ResourceArn: sn.Arn, Policy: aws.String(`{"Statement":[]}`)})
	wantCode(t, err, "ValidationException")
	must(c.DeleteResourcePolicy(ctx, &vpclattice.DeleteResourcePolicyInput{ResourceArn: sn.Arn}))
	_, err = c.GetResourcePolicy(ctx, &vpclattice.GetResourcePolicyInput{ResourceArn: sn.Arn})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestAccessLogSubscriptions(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)
	sn := must(c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("net")}))
	svc := must(c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("orders")}))
	logs := "arn:aws:logs:us-west-2:111122223333:log-group:/lattice/net"
	s1 := must(c.CreateAccessLogSubscription(ctx, &vpclattice.CreateAccessLogSubscriptionInput{ResourceIdentifier: sn.Id, DestinationArn: aws.String(logs)}))
	if *s1.Arn != "arn:aws:vpc-lattice:us-west-2:111122223333:accesslogsubscription/"+*s1.Id || *s1.ResourceArn != *sn.Arn ||
		*s1.ResourceId != *sn.Id || s1.ServiceNetworkLogType != types.ServiceNetworkLogTypeService {
		t.Fatalf("create = %+v", s1)
	}
	s2 := must(c.CreateAccessLogSubscription(ctx, &vpclattice.CreateAccessLogSubscriptionInput{ResourceIdentifier: sn.Arn, DestinationArn: aws.String("arn:aws:s3:::lattice-logs/net")}))
	must(c.CreateAccessLogSubscription(ctx, &vpclattice.CreateAccessLogSubscriptionInput{ResourceIdentifier: svc.Id, DestinationArn: aws.String("arn:aws:firehose:us-west-2:111122223333:deliverystream/stdout")}))
	// One subscription per destination type.
	_, err := c.CreateAccessLogSubscription(ctx, &vpclattice.CreateAccessLogSubscriptionInput{ResourceIdentifier: sn.Id, DestinationArn: aws.String(logs + "-2")})
	wantCode(t, err, "ConflictException")
	for _, bad := range []string{"arn:aws:sqs:us-west-2:111122223333:queue", "arn:aws:logs:us-west-2:111122223333:log-group:../../etc", "not-an-arn-at-all-xx"} {
		_, err = c.CreateAccessLogSubscription(ctx, &vpclattice.CreateAccessLogSubscriptionInput{ResourceIdentifier: svc.Id, DestinationArn: aws.String(bad)})
		wantCode(t, err, "ValidationException")
	}
	_, err = c.CreateAccessLogSubscription(ctx, &vpclattice.CreateAccessLogSubscriptionInput{ResourceIdentifier: svc.Id,
		DestinationArn: aws.String(logs), ServiceNetworkLogType: types.ServiceNetworkLogTypeResource})
	wantCode(t, err, "ValidationException")

	list := must(c.ListAccessLogSubscriptions(ctx, &vpclattice.ListAccessLogSubscriptionsInput{ResourceIdentifier: sn.Id}))
	if len(list.Items) != 2 {
		t.Fatalf("list = %+v", list.Items)
	}
	u := must(c.UpdateAccessLogSubscription(ctx, &vpclattice.UpdateAccessLogSubscriptionInput{AccessLogSubscriptionIdentifier: s2.Arn,
		DestinationArn: aws.String("arn:aws:s3:::other-bucket")}))
	if *u.DestinationArn != "arn:aws:s3:::other-bucket" {
		t.Errorf("update = %+v", u)
	}
	// Changing the S3 subscription to CloudWatch Logs would make two.
	_, err = c.UpdateAccessLogSubscription(ctx, &vpclattice.UpdateAccessLogSubscriptionInput{AccessLogSubscriptionIdentifier: s2.Id, DestinationArn: aws.String(logs)})
	wantCode(t, err, "ConflictException")
	g := must(c.GetAccessLogSubscription(ctx, &vpclattice.GetAccessLogSubscriptionInput{AccessLogSubscriptionIdentifier: s2.Id}))
	if *g.DestinationArn != "arn:aws:s3:::other-bucket" || g.CreatedAt == nil {
		t.Errorf("get = %+v", g)
	}
	must(c.DeleteAccessLogSubscription(ctx, &vpclattice.DeleteAccessLogSubscriptionInput{AccessLogSubscriptionIdentifier: s1.Id}))
	_, err = c.GetAccessLogSubscription(ctx, &vpclattice.GetAccessLogSubscriptionInput{AccessLogSubscriptionIdentifier: s1.Id})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestTags(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)
	svc := must(c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("orders")}))
	tg := httpTG(c, "web")
	l := must(c.CreateListener(ctx, &vpclattice.CreateListenerInput{ServiceIdentifier: svc.Id, Name: aws.String("http"),
		Protocol: types.ListenerProtocolHttp, DefaultAction: forward(*tg.Id)}))
	r := must(c.CreateRule(ctx, &vpclattice.CreateRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id,
		Name: aws.String("api"), Priority: aws.Int32(1), Match: pathPrefix("/api"), Action: forward(*tg.Id)}))
	for _, arn := range []string{*svc.Arn, *tg.Arn, *l.Arn, *r.Arn} {
		must(c.TagResource(ctx, &vpclattice.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"a": "1", "b": "2"}}))
		must(c.TagResource(ctx, &vpclattice.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"b": "3"}}))
		must(c.UntagResource(ctx, &vpclattice.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a", "missing"}}))
		got := must(c.ListTagsForResource(ctx, &vpclattice.ListTagsForResourceInput{ResourceArn: aws.String(arn)}))
		if len(got.Tags) != 1 || got.Tags["b"] != "3" {
			t.Errorf("%s: tags %v", arn, got.Tags)
		}
	}
	_, err := c.TagResource(ctx, &vpclattice.TagResourceInput{ResourceArn: svc.Arn, Tags: map[string]string{"aws:reserved": "x"}})
	wantCode(t, err, "ValidationException")
	many := map[string]string{}
	for i := 0; i < 50; i++ {
		many[fmt.Sprint("k", i)] = "v"
	}
	_, err = c.TagResource(ctx, &vpclattice.TagResourceInput{ResourceArn: svc.Arn, Tags: many})
	wantCode(t, err, "ValidationException") // 51 with "b"
	_, err = c.TagResource(ctx, &vpclattice.TagResourceInput{ResourceArn: aws.String("arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-00000000000000000"), Tags: map[string]string{"a": "b"}})
	wantCode(t, err, "ResourceNotFoundException")
	// A listener ARN under another service does not name the listener.
	wrong := strings.Replace(*l.Arn, *svc.Id, "svc-00000000000000000", 1)
	_, err = c.ListTagsForResource(ctx, &vpclattice.ListTagsForResourceInput{ResourceArn: aws.String(wrong)})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.ListTagsForResource(ctx, &vpclattice.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:s3:::bucket")})
	wantCode(t, err, "ValidationException")
}

func TestIdempotentCreates(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)
	in := &vpclattice.CreateServiceInput{Name: aws.String("orders"), ClientToken: aws.String("token-1")}
	a := must(c.CreateService(ctx, in))
	b := must(c.CreateService(ctx, in))
	if *a.Id != *b.Id || *a.Arn != *b.Arn {
		t.Fatalf("retry created %s, first %s", *b.Id, *a.Id)
	}
	if n := len(must(c.ListServices(ctx, &vpclattice.ListServicesInput{})).Items); n != 1 {
		t.Fatalf("%d services after a retry", n)
	}
	// Same token, other parameters.
	_, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("orders"), ClientToken: aws.String("token-1"), AuthType: types.AuthTypeAwsIam})
	var ce *types.ConflictException
	if !errors.As(err, &ce) {
		t.Fatalf("same token, other parameters: %v", err)
	}
	// The same token for another operation is another token.
	sn := must(c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("net"), ClientToken: aws.String("token-1")}))
	// Without a token (the SDK fills one in; the raw API may omit it) a
	// second create with the same name is a name conflict.
	status, typ, _ := e.raw(adminKey, "POST", "/services", `{"name":"orders"}`)
	if status != 409 || typ != "ConflictException" {
		t.Errorf("untokened duplicate: %d %s", status, typ)
	}
	// Associations and other creations replay too.
	ai := &vpclattice.CreateServiceNetworkServiceAssociationInput{ServiceNetworkIdentifier: sn.Id, ServiceIdentifier: a.Id, ClientToken: aws.String("assoc")}
	x := must(c.CreateServiceNetworkServiceAssociation(ctx, ai))
	y := must(c.CreateServiceNetworkServiceAssociation(ctx, ai))
	if *x.Id != *y.Id {
		t.Errorf("association retry: %s then %s", *x.Id, *y.Id)
	}
	// Another account's identical token is its own.
	o := must(e.client(otherKey).CreateService(ctx, in))
	if *o.Id == *a.Id || !strings.Contains(*o.Arn, accountB) {
		t.Errorf("other account got %s", *o.Arn)
	}
}

func TestIdempotencyWindow(t *testing.T) {
	defer caught(t)
	e := newEnv(t, func(c *controlplane.LatticeConfig) { c.IdempotencyWindow = 30 * time.Second })
	c := e.client(adminKey)
	in := &vpclattice.CreateServiceNetworkInput{Name: aws.String("net"), ClientToken: aws.String("tok")}
	a := must(c.CreateServiceNetwork(ctx, in))
	e.mu.Lock()
	e.now = e.now.Add(time.Minute)
	e.mu.Unlock()
	// The token has expired: the request is new, and the name is taken.
	_, err := c.CreateServiceNetwork(ctx, in)
	wantCode(t, err, "ConflictException")
	must(c.DeleteServiceNetwork(ctx, &vpclattice.DeleteServiceNetworkInput{ServiceNetworkIdentifier: a.Id}))
	b := must(c.CreateServiceNetwork(ctx, in))
	if *b.Id == *a.Id {
		t.Error("an expired token replayed")
	}
}

func TestPagination(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)
	want := map[string]bool{}
	for i := 0; i < 7; i++ {
		sn := must(c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String(fmt.Sprintf("net-%d", i))}))
		want[*sn.Id] = true
	}
	// By hand.
	var token *string
	pages := 0
	got := map[string]bool{}
	for {
		out := must(c.ListServiceNetworks(ctx, &vpclattice.ListServiceNetworksInput{MaxResults: aws.Int32(3), NextToken: token}))
		pages++
		if len(out.Items) > 3 {
			t.Fatalf("page of %d", len(out.Items))
		}
		for _, it := range out.Items {
			if got[*it.Id] {
				t.Fatalf("%s twice", *it.Id)
			}
			got[*it.Id] = true
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if pages != 3 || len(got) != 7 {
		t.Errorf("%d pages, %d items", pages, len(got))
	}
	// With the SDK's paginator.
	p := vpclattice.NewListServiceNetworksPaginator(c, &vpclattice.ListServiceNetworksInput{MaxResults: aws.Int32(2)})
	n := 0
	for p.HasMorePages() {
		n += len(must(p.NextPage(ctx)).Items)
	}
	if n != 7 {
		t.Errorf("paginator saw %d", n)
	}
	// Bad tokens and sizes.
	for name, in := range map[string]*vpclattice.ListServiceNetworksInput{
		"garbage token":         {NextToken: aws.String("not-a-token")},
		"token of another list": {NextToken: must(c.ListServices(ctx, &vpclattice.ListServicesInput{})).NextToken},
		"maxResults 0":          {MaxResults: aws.Int32(0)},
		"maxResults 101":        {MaxResults: aws.Int32(101)},
	} {
		if name == "token of another list" {
			// Make a token of the services list.
			for i := 0; i < 2; i++ {
				must(c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String(fmt.Sprintf("other-%d", i))}))
			}
			in.NextToken = must(c.ListServices(ctx, &vpclattice.ListServicesInput{MaxResults: aws.Int32(1)})).NextToken
		}
		_, err := c.ListServiceNetworks(ctx, in)
		var ve *types.ValidationException
		if !errors.As(err, &ve) || len(ve.FieldList) != 1 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Another account's lists are its own.
	if out := must(e.client(otherKey).ListServiceNetworks(ctx, &vpclattice.ListServiceNetworksInput{})); len(out.Items) != 0 {
		t.Errorf("account B sees %d service networks", len(out.Items))
	}
}

// TestErrorShapes checks that every error type the API returns has the
// status, the x-amzn-ErrorType header and the body members of VPC
// Lattice's, and that aws-sdk-go-v2 decodes it into its typed error.
func TestErrorShapes(t *testing.T) {
	defer caught(t)
	quotas := model.DefaultQuotas()
	quotas.ServicesPerRegion.Value = 1
	e := newEnv(t, func(c *controlplane.LatticeConfig) { c.Quotas = &quotas })
	c := e.client(adminKey)
	svc := must(c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("orders")}))

	t.Run("ValidationException", func(t *testing.T) {
		_, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("-Bad--Name")})
		var ve *types.ValidationException
		if !errors.As(err, &ve) || ve.Reason != types.ValidationExceptionReasonFieldValidationFailed ||
			len(ve.FieldList) != 1 || *ve.FieldList[0].Name != "name" || *ve.FieldList[0].Message == "" || *ve.Message == "" {
			t.Fatalf("%v", err)
		}
		status, typ, body := e.raw(adminKey, "POST", "/services", `{"name": 42}`)
		var b struct {
			Message, Reason string
			FieldList       []struct{ Name, Message string }
		}
		if err := json.Unmarshal(body, &b); err != nil || status != 400 || typ != "ValidationException" || b.Reason != "cannotParse" {
			t.Errorf("cannotParse: %d %s %s", status, typ, body)
		}
		status, typ, body = e.raw(adminKey, "POST", "/services", `{"name": `)
		json.Unmarshal(body, &b)
		if status != 400 || typ != "ValidationException" || b.Reason != "cannotParse" {
			t.Errorf("truncated JSON: %d %s %s", status, typ, body)
		}
		status, typ, body = e.raw(adminKey, "GET", "/no/such/path", "")
		json.Unmarshal(body, &b)
		if status != 400 || typ != "ValidationException" || b.Reason != "unknownOperation" {
			t.Errorf("unknown path: %d %s %s", status, typ, body)
		}
		status, _, body = e.raw(adminKey, "PUT", "/services", "")
		json.Unmarshal(body, &b)
		if status != 400 || b.Reason != "unknownOperation" {
			t.Errorf("wrong method: %d %s", status, body)
		}
	})
	t.Run("AccessDeniedException", func(t *testing.T) {
		_, err := e.client(readerKey).CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("x-svc")})
		var ad *types.AccessDeniedException
		if !errors.As(err, &ad) || !strings.Contains(*ad.Message, "vpc-lattice:CreateService") {
			t.Fatalf("%v", err)
		}
		status, typ, _ := e.raw(readerKey, "DELETE", "/services/"+*svc.Id, "")
		if status != 403 || typ != "AccessDeniedException" {
			t.Errorf("raw: %d %s", status, typ)
		}
	})
	t.Run("ResourceNotFoundException", func(t *testing.T) {
		_, err := c.GetService(ctx, &vpclattice.GetServiceInput{ServiceIdentifier: aws.String("svc-0000000000000000a")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) || *nf.ResourceId != "svc-0000000000000000a" || *nf.ResourceType != "SERVICE" {
			t.Fatalf("%v", err)
		}
		status, typ, _ := e.raw(adminKey, "GET", "/services/svc-0000000000000000a", "")
		if status != 404 || typ != "ResourceNotFoundException" {
			t.Errorf("raw: %d %s", status, typ)
		}
	})
	t.Run("ConflictException", func(t *testing.T) {
		_, err := c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("net")})
		must(err, nil)
		_, err = c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("net")})
		var ce *types.ConflictException
		if !errors.As(err, &ce) || *ce.ResourceId != "net" || *ce.ResourceType != "SERVICE_NETWORK" {
			t.Fatalf("%v", err)
		}
	})
	t.Run("ServiceQuotaExceededException", func(t *testing.T) {
		_, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("second")})
		var qe *types.ServiceQuotaExceededException
		if !errors.As(err, &qe) || *qe.QuotaCode != "L-620C821E" || *qe.ServiceCode != "vpc-lattice" || *qe.ResourceType != "SERVICE" {
			t.Fatalf("%v", err)
		}
		status, typ, _ := e.raw(adminKey, "POST", "/services", `{"name":"third"}`)
		if status != 402 || typ != "ServiceQuotaExceededException" {
			t.Errorf("raw: %d %s", status, typ)
		}
	})
	t.Run("ThrottlingException", func(t *testing.T) {
		fixed := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		te := newEnv(t, func(c *controlplane.LatticeConfig) {
			c.RateLimit, c.RateBurst = 1, 2
			c.Clock = func() time.Time { return fixed }
		})
		tc := te.client(adminKey)
		var err error
		for i := 0; i < 3 && err == nil; i++ {
			_, err = tc.ListServices(ctx, &vpclattice.ListServicesInput{})
		}
		var th *types.ThrottlingException
		if !errors.As(err, &th) || *th.ServiceCode != "vpc-lattice" || th.RetryAfterSeconds == nil || *th.RetryAfterSeconds != 1 {
			t.Fatalf("%v", err)
		}
		status, typ, _ := te.raw(adminKey, "GET", "/services", "")
		if status != 429 || typ != "ThrottlingException" {
			t.Errorf("raw: %d %s", status, typ)
		}
		// Other accounts have their own bucket.
		must(te.client(otherKey).ListServices(ctx, &vpclattice.ListServicesInput{}))
	})
	t.Run("InternalServerException", func(t *testing.T) {
		ie := newEnv(t)
		ie.store.Close()
		_, err := ie.client(adminKey).ListServices(ctx, &vpclattice.ListServicesInput{})
		var is *types.InternalServerException
		if !errors.As(err, &is) || strings.Contains(*is.Message, "closed") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("signature", func(t *testing.T) {
		bad := vpclattice.New(vpclattice.Options{BaseEndpoint: aws.String(e.srv.URL), Region: testRegion, RetryMaxAttempts: 1,
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: "wrong"}, nil
			})})
		_, err := bad.ListServices(ctx, &vpclattice.ListServicesInput{})
		wantCode(t, err, "InvalidSignatureException")
		status, typ, _ := e.raw("", "GET", "/services", "")
		if status != http.StatusForbidden || typ != "MissingAuthenticationToken" {
			t.Errorf("unsigned: %d %s", status, typ)
		}
		// Unsigned requests learn nothing about paths either.
		status, typ, _ = e.raw("", "GET", "/no/such/path", "")
		if status != http.StatusForbidden || typ != "MissingAuthenticationToken" {
			t.Errorf("unsigned unknown path: %d %s", status, typ)
		}
	})
}

func TestAuthorization(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	admin, reader, netops, other := e.client(adminKey), e.client(readerKey), e.client(netOnlyKey), e.client(otherKey)
	svc := must(admin.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("orders")}))

	// The reader may read, not write.
	must(reader.GetService(ctx, &vpclattice.GetServiceInput{ServiceIdentifier: svc.Id}))
	must(reader.ListServices(ctx, &vpclattice.ListServicesInput{}))
	_, err := reader.DeleteService(ctx, &vpclattice.DeleteServiceInput{ServiceIdentifier: svc.Id})
	wantCode(t, err, "AccessDeniedException")
	_, err = reader.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: svc.Id, Policy: aws.String(orgOnlyPolicy)})
	wantCode(t, err, "AccessDeniedException")

	// netops may manage service networks, not services; creating with tags
	// needs TagResource too, which its policy allows on service networks.
	sn := must(netops.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("net"), Tags: map[string]string{"a": "b"}}))
	_, err = netops.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("nope")})
	wantCode(t, err, "AccessDeniedException")
	_, err = netops.GetService(ctx, &vpclattice.GetServiceInput{ServiceIdentifier: svc.Arn})
	wantCode(t, err, "AccessDeniedException")
	must(netops.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: sn.Arn, Policy: aws.String(orgOnlyPolicy)}))
	// Associating a service needs the action on the service too.
	_, err = netops.CreateServiceNetworkServiceAssociation(ctx, &vpclattice.CreateServiceNetworkServiceAssociationInput{ServiceNetworkIdentifier: sn.Id, ServiceIdentifier: svc.Id})
	wantCode(t, err, "AccessDeniedException")

	// Account B does not see account A's resources, by ID or by ARN.
	_, err = other.GetService(ctx, &vpclattice.GetServiceInput{ServiceIdentifier: svc.Id})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = other.GetService(ctx, &vpclattice.GetServiceInput{ServiceIdentifier: svc.Arn})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = other.DeleteService(ctx, &vpclattice.DeleteServiceInput{ServiceIdentifier: svc.Id})
	wantCode(t, err, "ResourceNotFoundException")
	// Names are per account, and ARNs carry the caller's account.
	b := must(other.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("orders")}))
	if !strings.HasPrefix(*b.Arn, "arn:aws:vpc-lattice:us-west-2:444455556666:service/") {
		t.Errorf("account B's service ARN %s", *b.Arn)
	}
	if out := must(other.ListServiceNetworkServiceAssociations(ctx, &vpclattice.ListServiceNetworkServiceAssociationsInput{ServiceNetworkIdentifier: sn.Id})); len(out.Items) != 0 {
		t.Errorf("account B lists account A's associations")
	}

	// The actions and resources asked for are the IAM ones.
	asked := strings.Join(e.authz.asked(), "\n")
	for _, want := range []string{
		"vpc-lattice:CreateService arn:aws:vpc-lattice:us-west-2:111122223333:service/*",
		"vpc-lattice:GetService " + *svc.Arn,
		"vpc-lattice:ListServices *",
		"vpc-lattice:TagResource arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/*",
		"vpc-lattice:PutAuthPolicy " + *sn.Arn,
	} {
		if !strings.Contains(asked, want) {
			t.Errorf("the authorizer was not asked %q", want)
		}
	}
}

func TestUnsupportedOperations(t *testing.T) {
	e := newEnv(t)
	c := e.client(adminKey)
	_, err := c.ListResourceConfigurations(ctx, &vpclattice.ListResourceConfigurationsInput{})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || ve.Reason != types.ValidationExceptionReasonUnknownOperation || !strings.Contains(*ve.Message, "ListResourceConfigurations") {
		t.Fatalf("%v", err)
	}
	_, err = c.CreateResourceGateway(ctx, &vpclattice.CreateResourceGatewayInput{Name: aws.String("gw"), VpcIdentifier: aws.String("vpc-01234567"), SubnetIds: []string{"subnet-1"}})
	wantCode(t, err, "ValidationException")
	_, err = c.StartDomainVerification(ctx, &vpclattice.StartDomainVerificationInput{DomainName: aws.String("example.com")})
	wantCode(t, err, "ValidationException")
}
