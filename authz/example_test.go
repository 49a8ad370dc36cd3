package authz_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/trellisproject/trellis/authz"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/internal/zerotrustlab"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
)

// An unsigned call to a service whose network only lets authenticated
// callers in is stopped at the service network's auth policy.
func ExampleAuthorizer_Decide() {
	w := lt.New(&testing.T{}, "us-east-1")
	sn := w.ServiceNetwork(lt.Account, "prod", model.AuthIAM)
	w.AuthPolicy(sn.Meta, `{"Version":"2012-10-17","Statement":[{"Sid":"Authenticated","Effect":"Allow","Principal":"*",
	  "Action":"vpc-lattice-svcs:Invoke","Resource":"*","Condition":{"StringNotEqualsIgnoreCase":{"aws:PrincipalType":"anonymous"}}}]}`)
	svc := w.Service(lt.Account, "billing", model.AuthNone, "billing.example.com")
	w.Associate(sn, svc)
	snap := w.Build()

	a := authz.New(func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) })
	d := a.Decide(snap, &authz.Request{
		Service: svc, ServiceNetwork: sn,
		Method: "GET", Path: "/invoices", Port: 80,
		SourceIP: netip.MustParseAddr("10.0.1.7"), SourceVPC: "vpc-0a1b2c3d4e5f60718", SourceVPCOwner: lt.Account,
	})
	fmt.Println(d.Allowed, d.Layer, d.AuthDeniedReason())
	fmt.Println(d.Message())
	// Output:
	// false service-network-policy Network
	// User: anonymous is not authorized to perform: vpc-lattice-svcs:Invoke on resource: arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-00000000000000002/invoices because no network-based policy allows the vpc-lattice-svcs:Invoke action
}

// A scanner in static mode asks, with no traffic at all, what happens to
// a Lambda function's unsigned call in the zero-trust lab after stage 5.
func ExampleAuthorizer_DecidePrivate() {
	doc, err := zerotrustlab.Document(5)
	if err != nil {
		panic(err)
	}
	nw, apis, err := snapshot.BuildPrivateAPIs(*doc.Network, *doc.APIs)
	if err != nil {
		panic(err)
	}
	a := authz.New(time.Now)
	d := a.DecidePrivate(authz.PrivateConfig{Network: nw, APIs: apis}, &authz.PrivateCall{
		SourceENI: "eni-aaaa0002", Endpoint: "vpce-aaaa0001",
		APIID: "svcbapi001", Stage: "api", Method: "GET", Path: "/orders",
	})
	fmt.Println(d.Allowed, d.Layer, d.Network.Code, d.Network.Component)
	fmt.Println(d.String())
	// Output:
	// false security-group ENI_SG_RULES_MISMATCH sg-aaaa0004
	// security-group: ENI_SG_RULES_MISMATCH at sg-aaaa0004: security group sg-aaaa0004 of eni-aaaa00e2 allows no inbound tcp/443 from 10.199.1.7
}
