package authz_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/authz"
	lt "github.com/trellisproject/trellis/internal/latticetest"
	"github.com/trellisproject/trellis/model"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	vpcID    = "vpc-0a1b2c3d4e5f60718"
	otherVPC = "vpc-0ffffffffffffffff"
)

// Auth policies, some from the VPC Lattice guide's examples.
const (
	allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}`
	// Only authenticated callers.
	authenticatedOnly = `{"Version":"2012-10-17","Statement":[{"Sid":"Authenticated","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
	  "Condition":{"StringNotEqualsIgnoreCase":{"aws:PrincipalType":"anonymous"}}}]}`
	// Only callers of one organization.
	orgOnly = `{"Version":"2012-10-17","Statement":[{"Sid":"Org","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
	  "Condition":{"StringEquals":{"aws:PrincipalOrgID":["` + lt.OrgID + `"]}}}]}`
	// Only sessions of one role.
	roleOnly = `{"Version":"2012-10-17","Statement":[{"Sid":"App","Effect":"Allow","Principal":{"AWS":["` + lt.AppRoleARN + `"]},"Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}`
	// Only from one VPC.
	vpcOnly = `{"Version":"2012-10-17","Statement":[{"Sid":"FromVPC","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
	  "Condition":{"StringEquals":{"vpc-lattice-svcs:SourceVpc":"` + vpcID + `"}}}]}`
	// Read-only, for anyone, on one path prefix.
	getReports = `{"Version":"2012-10-17","Statement":[{"Sid":"GetReports","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke",
	  "Resource":"arn:aws:vpc-lattice:us-east-1:` + lt.Account + `:service/*/reports/*",
	  "Condition":{"StringEquals":{"vpc-lattice-svcs:RequestMethod":"GET"}}}]}`
	// Principals tagged team=blue, with a header and a query parameter.
	tagged = `{"Version":"2012-10-17","Statement":[{"Sid":"Blue","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
	  "Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue","vpc-lattice-svcs:RequestHeader/x-env":"prod","vpc-lattice-svcs:RequestQueryString/v":"2"}}}]}`
	// Everyone except on port 8443 and from 10.9.0.0/16.
	denyPortAndNet = `{"Version":"2012-10-17","Statement":[
	  {"Sid":"All","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"},
	  {"Sid":"NotAdminPort","Effect":"Deny","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*","Condition":{"NumericEquals":{"vpc-lattice-svcs:Port":"8443"}}},
	  {"Sid":"NotLab","Effect":"Deny","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.9.0.0/16"}}}]}`
	// Everyone, but not over plain HTTP after a date.
	tlsAfter = `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"},
	  {"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
	   "Condition":{"Bool":{"aws:SecureTransport":"false"},"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}}]}`
	// Repeated headers and query parameters, joined.
	repeated = `{"Version":"2012-10-17","Statement":[{"Sid":"Repeated","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
	  "Condition":{"StringEquals":{"vpc-lattice-svcs:RequestHeader/x-team":"red, blue","vpc-lattice-svcs:RequestQueryString/tag":"a,b"}}}]}`
	// Only callers without principal keys: anonymous ones.
	noPrincipalKeys = `{"Version":"2012-10-17","Statement":[{"Sid":"Anon","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
	  "Condition":{"Null":{"aws:PrincipalArn":"true","aws:PrincipalAccount":"true","aws:PrincipalOrgID":"true","aws:PrincipalTag/team":"true"},
	    "StringEquals":{"aws:PrincipalType":"Anonymous"}}}]}`
	// Deny one account's callers.
	denyOther = `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"},
	  {"Sid":"NoOther","Effect":"Deny","Principal":{"AWS":"` + lt.Other + `"},"Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}`
	// The service network and the service must name themselves.
	selfNamed = `{"Version":"2012-10-17","Statement":[{"Sid":"Self","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
	  "Condition":{"StringLike":{"vpc-lattice-svcs:ServiceNetworkArn":"arn:aws:vpc-lattice:us-east-1:*:servicenetwork/sn-*",
	    "vpc-lattice-svcs:ServiceArn":"arn:aws:vpc-lattice:us-east-1:*:service/svc-*"},
	    "StringEquals":{"vpc-lattice-svcs:SourceVpcOwnerAccount":"` + lt.Account + `"}}}]}`
)

// layerSpec is the auth type and policy of one layer; "" policy with
// AWS_IAM means none attached.
type layerSpec struct {
	auth   model.AuthType
	policy string
}

var (
	none  = layerSpec{auth: model.AuthNone}
	iam   = func(doc string) layerSpec { return layerSpec{model.AuthIAM, doc} }
	noDoc = layerSpec{auth: model.AuthIAM}
)

type world struct {
	snap *model.Snapshot
	sn   *model.ServiceNetwork
	svc  *model.Service
}

func build(t testing.TB, sn, svc layerSpec) world {
	w := lt.New(t, "us-east-1")
	n := w.ServiceNetwork(lt.Account, "net", sn.auth)
	s := w.Service(lt.Account, "billing", svc.auth, "")
	w.Associate(n, s)
	w.AssociateVPC(n, vpcID)
	if sn.policy != "" {
		w.AuthPolicy(n.Meta, sn.policy)
	}
	if svc.policy != "" {
		w.AuthPolicy(s.Meta, svc.policy)
	}
	return world{w.Build(), n, s}
}

func TestDecide(t *testing.T) {
	dir := lt.Identities(t, now.Add(-time.Hour))
	type tc struct {
		name     string
		sn, svc  layerSpec
		key      string // "" for anonymous
		method   string
		path     string
		port     int
		header   http.Header
		query    url.Values
		source   string
		vpc      string
		tls      bool
		allowed  bool
		layer    authz.Layer
		explicit bool
		stmt     string
		msg      string // checked when not empty
	}
	cases := []tc{
		{name: "NONE on both layers, anonymous", sn: none, svc: none, allowed: true, layer: authz.LayerAllowed},
		{name: "NONE on both layers, signed without permission", sn: none, svc: none, key: lt.BobKey, allowed: true, layer: authz.LayerAllowed},
		{name: "NONE on both layers, signed with an explicit identity deny", sn: none, svc: none, key: lt.DaveKey, path: "/admin", allowed: true, layer: authz.LayerAllowed},

		{name: "anonymous allowed by Principal *", sn: iam(allowAll), svc: none, allowed: true, layer: authz.LayerAllowed},
		{name: "anonymous denied by authenticated-only network policy", sn: iam(authenticatedOnly), svc: none, layer: authz.LayerServiceNetworkPolicy,
			msg: "User: anonymous is not authorized to perform: vpc-lattice-svcs:Invoke on resource: SVC/orders because no network-based policy allows the vpc-lattice-svcs:Invoke action"},
		{name: "signed allowed by authenticated-only network policy", sn: iam(authenticatedOnly), svc: none, key: lt.AliceKey, allowed: true, layer: authz.LayerAllowed, stmt: `Statement[0] (Sid "Authenticated")`},
		{name: "anonymous denied by authenticated-only service policy", sn: none, svc: iam(authenticatedOnly), layer: authz.LayerServicePolicy,
			msg: "User: anonymous is not authorized to perform: vpc-lattice-svcs:Invoke on resource: SVC/orders because no service-based policy allows the vpc-lattice-svcs:Invoke action"},

		{name: "signed without identity permission", sn: iam(allowAll), svc: none, key: lt.BobKey, layer: authz.LayerIdentityPolicy,
			msg: "User: " + lt.BobARN + " is not authorized to perform: vpc-lattice-svcs:Invoke on resource: SVC/orders because no identity-based policy allows the vpc-lattice-svcs:Invoke action"},
		{name: "explicit deny in identity policy", sn: iam(allowAll), svc: iam(allowAll), key: lt.DaveKey, path: "/admin/users", layer: authz.LayerIdentityPolicy, explicit: true, stmt: `Statement[0] (Sid "NoAdmin")`,
			msg: "User: " + lt.DaveARN + " is not authorized to perform: vpc-lattice-svcs:Invoke on resource: SVC/admin/users with an explicit deny in an identity-based policy"},
		{name: "identity deny does not touch other paths", sn: iam(allowAll), svc: iam(allowAll), key: lt.DaveKey, path: "/orders", allowed: true, layer: authz.LayerAllowed},
		{name: "explicit deny in network policy wins over service allow", sn: iam(denyOther), svc: iam(allowAll), key: lt.CarolKey, layer: authz.LayerServiceNetworkPolicy, explicit: true, stmt: `Statement[1] (Sid "NoOther")`,
			msg: "User: " + lt.CarolARN + " is not authorized to perform: vpc-lattice-svcs:Invoke on resource: SVC/orders with an explicit deny in a network-based policy"},
		{name: "explicit deny in service policy wins over identity allow", sn: none, svc: iam(denyOther), key: lt.CarolKey, layer: authz.LayerServicePolicy, explicit: true,
			msg: "User: " + lt.CarolARN + " is not authorized to perform: vpc-lattice-svcs:Invoke on resource: SVC/orders with an explicit deny in a service-based policy"},
		{name: "explicit deny later in order beats implicit deny earlier", sn: iam(authenticatedOnly), svc: iam(denyPortAndNet), port: 8443, layer: authz.LayerServicePolicy, explicit: true, stmt: `Statement[1] (Sid "NotAdminPort")`},
		{name: "cross-account caller allowed by both", sn: iam(allowAll), svc: iam(allowAll), key: lt.CarolKey, allowed: true, layer: authz.LayerAllowed},

		{name: "AWS_IAM without policy on the network denies", sn: noDoc, svc: none, key: lt.AliceKey, layer: authz.LayerServiceNetworkPolicy},
		{name: "AWS_IAM without policy on the service denies", sn: iam(allowAll), svc: noDoc, key: lt.AliceKey, layer: authz.LayerServicePolicy},
		{name: "network allows, service denies implicitly", sn: iam(allowAll), svc: iam(roleOnly), key: lt.AliceKey, layer: authz.LayerServicePolicy},

		{name: "organization policy, member", sn: iam(orgOnly), svc: none, key: lt.CarolKey, allowed: true, layer: authz.LayerAllowed},
		{name: "organization policy, anonymous", sn: iam(orgOnly), svc: none, layer: authz.LayerServiceNetworkPolicy},
		{name: "role policy, session of the role", sn: none, svc: iam(roleOnly), key: lt.SessionKey, allowed: true, layer: authz.LayerAllowed, stmt: `Statement[0] (Sid "App")`},
		{name: "role policy, user without identity permission", sn: iam(allowAll), svc: iam(roleOnly), key: lt.BobKey, layer: authz.LayerIdentityPolicy},
		{name: "role policy, user", sn: none, svc: iam(roleOnly), key: lt.AliceKey, layer: authz.LayerServicePolicy,
			msg: "User: " + lt.AliceARN + " is not authorized to perform: vpc-lattice-svcs:Invoke on resource: SVC/orders because no service-based policy allows the vpc-lattice-svcs:Invoke action"},
		{name: "VPC policy, from the VPC", sn: iam(vpcOnly), svc: none, allowed: true, layer: authz.LayerAllowed},
		{name: "VPC policy, from another VPC", sn: iam(vpcOnly), svc: none, vpc: otherVPC, layer: authz.LayerServiceNetworkPolicy},
		{name: "GET on path prefix", sn: none, svc: iam(getReports), method: "GET", path: "/reports/2026", allowed: true, layer: authz.LayerAllowed},
		{name: "POST on path prefix", sn: none, svc: iam(getReports), method: "POST", path: "/reports/2026", layer: authz.LayerServicePolicy},
		{name: "GET elsewhere", sn: none, svc: iam(getReports), method: "GET", path: "/orders", layer: authz.LayerServicePolicy},
		{name: "tag, header and query match", sn: none, svc: iam(tagged), key: lt.AliceKey, header: http.Header{"X-Env": {"prod"}}, query: url.Values{"v": {"2"}}, allowed: true, layer: authz.LayerAllowed},
		{name: "header missing", sn: none, svc: iam(tagged), key: lt.AliceKey, query: url.Values{"v": {"2"}}, layer: authz.LayerServicePolicy},
		{name: "tag missing for anonymous", sn: none, svc: iam(tagged), header: http.Header{"X-Env": {"prod"}}, query: url.Values{"v": {"2"}}, layer: authz.LayerServicePolicy},
		{name: "source IP denied", sn: none, svc: iam(denyPortAndNet), source: "10.9.3.4", layer: authz.LayerServicePolicy, explicit: true, stmt: `Statement[2] (Sid "NotLab")`},
		{name: "source IP allowed", sn: none, svc: iam(denyPortAndNet), source: "10.8.3.4", allowed: true, layer: authz.LayerAllowed},
		{name: "plain HTTP denied after date", sn: iam(tlsAfter), svc: none, layer: authz.LayerServiceNetworkPolicy, explicit: true},
		{name: "TLS allowed", sn: iam(tlsAfter), svc: none, tls: true, allowed: true, layer: authz.LayerAllowed},
		{name: "ARN and owner keys", sn: iam(selfNamed), svc: iam(selfNamed), allowed: true, layer: authz.LayerAllowed},
		{name: "anonymous has no principal keys", sn: none, svc: iam(noPrincipalKeys), allowed: true, layer: authz.LayerAllowed},
		{name: "signed callers have principal keys", sn: none, svc: iam(noPrincipalKeys), key: lt.AliceKey, layer: authz.LayerServicePolicy},
		{name: "repeated header and query parameter", sn: none, svc: iam(repeated), header: http.Header{"X-Team": {"red", "blue"}}, query: url.Values{"tag": {"a", "b"}}, allowed: true, layer: authz.LayerAllowed},
		{name: "header names are lower case in keys", sn: none, svc: iam(tagged), key: lt.AliceKey, header: http.Header{"X-ENV": {"prod"}}, query: url.Values{"v": {"2"}}, allowed: true, layer: authz.LayerAllowed},
		{name: "gRPC method resource", sn: none, svc: iam(getReports), method: "GET", path: "/reports/pkg.Reports/Get", allowed: true, layer: authz.LayerAllowed},
	}
	a := authz.New(func() time.Time { return now })
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := build(t, c.sn, c.svc)
			r := &authz.Request{Service: w.svc, ServiceNetwork: w.sn, Method: "GET", Path: "/orders", Port: 80,
				Header: c.header, Query: c.query, SourceIP: netip.MustParseAddr("10.0.1.7"), SourceVPC: vpcID, SourceVPCOwner: lt.Account, TLS: c.tls}
			if c.key != "" {
				r.Caller = lt.Caller(t, dir, c.key)
			}
			if c.method != "" {
				r.Method = c.method
			}
			if c.path != "" {
				r.Path = c.path
			}
			if c.port != 0 {
				r.Port = c.port
			}
			if c.source != "" {
				r.SourceIP = netip.MustParseAddr(c.source)
			}
			if c.vpc != "" {
				r.SourceVPC = c.vpc
			}
			d := a.Decide(w.snap, r)
			if d.Allowed != c.allowed || d.Layer != c.layer || d.Explicit != c.explicit {
				t.Fatalf("got allowed=%v layer=%s explicit=%v (%s); want allowed=%v layer=%s explicit=%v", d.Allowed, d.Layer, d.Explicit, d, c.allowed, c.layer, c.explicit)
			}
			if d.Resource != w.svc.ARN+r.Path {
				t.Errorf("resource %q, want %q", d.Resource, w.svc.ARN+r.Path)
			}
			if c.stmt != "" && d.Statement() != c.stmt {
				t.Errorf("statement %q, want %q", d.Statement(), c.stmt)
			}
			if c.allowed != (d.Message() == "") {
				t.Errorf("message %q for allowed=%v", d.Message(), c.allowed)
			}
			if want := strings.ReplaceAll(c.msg, "SVC", w.svc.ARN); c.msg != "" && d.Message() != want {
				t.Errorf("message\n got %s\nwant %s", d.Message(), want)
			}
		})
	}
}

func TestAuthDeniedReason(t *testing.T) {
	for _, c := range []struct {
		d    authz.Decision
		want string
	}{
		{authz.Decision{Allowed: true, Layer: authz.LayerAllowed}, ""},
		{authz.Decision{Layer: authz.LayerServiceNetworkPolicy}, "Network"},
		{authz.Decision{Layer: authz.LayerServicePolicy}, "Service"},
		{authz.Decision{Layer: authz.LayerIdentityPolicy}, "Identity"},
	} {
		if got := c.d.AuthDeniedReason(); got != c.want {
			t.Errorf("%s: %q, want %q", c.d.Layer, got, c.want)
		}
	}
}

func TestDecisionString(t *testing.T) {
	dir := lt.Identities(t, now.Add(-time.Hour))
	a := authz.New(func() time.Time { return now })
	for _, c := range []struct {
		sn, svc layerSpec
		key     string
		path    string
		want    string // with SVC and SN for the resources' IDs
	}{
		{none, none, "", "/", "allowed: no layer uses AWS_IAM"},
		{iam(allowAll), none, "", "/", "allowed: Statement[0] of auth policy of SN allows"},
		{iam(allowAll), iam(roleOnly), lt.SessionKey, "/", `allowed: Statement[0] (Sid "App") of auth policy of SVC allows`},
		{iam(allowAll), iam(denyOther), lt.CarolKey, "/", `service-policy: Statement[1] (Sid "NoOther") of auth policy of SVC denies explicitly`},
		{iam(authenticatedOnly), none, "", "/", `service-network-policy: no statement of auth policy of SN allows; closest: Statement[0] (Sid "Authenticated"): ` +
			`Condition StringNotEqualsIgnoreCase aws:PrincipalType (line 2 of the policy): the request has "Anonymous", which is one of the excluded values "anonymous"`},
		{none, noDoc, "", "/", "service-policy: AWS_IAM with no auth policy"},
		{iam(allowAll), none, lt.BobKey, "/", "identity-policy: the caller has no identity-based policy"},
		{iam(allowAll), none, lt.DaveKey, "/admin", `identity-policy: Statement[0] (Sid "NoAdmin") of identity-policy inline policy no-admin of ` + lt.DaveARN + ` denies explicitly`},
	} {
		w := build(t, c.sn, c.svc)
		r := &authz.Request{Service: w.svc, ServiceNetwork: w.sn, Method: "GET", Path: c.path, Port: 80}
		if c.key != "" {
			r.Caller = lt.Caller(t, dir, c.key)
		}
		want := strings.NewReplacer("SVC", w.svc.ID, "SN", w.sn.ID).Replace(c.want)
		if got := a.Decide(w.snap, r).String(); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}
