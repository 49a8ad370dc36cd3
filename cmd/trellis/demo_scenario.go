package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/trellisproject/trellis/identity"
)

// A demoScenario is what "trellis demo" sets up and shows: identities, one
// service network with its services, and calls with the outcome each
// should have. runDemo knows nothing of the particular scenario, so another
// one can be swapped in.
type demoScenario struct {
	// Title is printed first.
	Title string
	// VPC is the VPC of the gateway's one ingress, which the service
	// network is associated with.
	VPC string
	// Identities are added to the administrator's with the native API.
	// Access keys listed with a user and no ID are created by trellis.
	Identities identity.Input
	// Callers name the identities calls are made as.
	Callers []demoCaller
	// Network is the service network.
	Network demoNetwork
	// Services are the services of the network, each with one target.
	Services []demoService
	// Calls are sent through the gateway in order.
	Calls []demoCall
}

// A demoNetwork is the scenario's service network (auth type AWS_IAM).
type demoNetwork struct {
	Name string
	// About says in a few words what its auth policy lets through.
	About      string
	AuthPolicy string
}

// A demoService is a service (auth type AWS_IAM) with an HTTP listener on
// port 80 whose default action answers 404 and whose one rule forwards
// requests under PathPrefix to a target group with the service's target.
type demoService struct {
	// Name is the service's name, and its target's.
	Name string
	// Domain is the custom domain name callers send as Host.
	Domain     string
	PathPrefix string
	// About says in a few words what its auth policy lets through.
	About string
	// AuthPolicy is the auth policy; demoServiceARN in it stands for the
	// service's ARN, which is known only once it is created.
	AuthPolicy string
}

// demoServiceARN is replaced with the service's ARN in a demoService's
// AuthPolicy.
const demoServiceARN = "${ServiceArn}"

// A demoCaller is someone who makes calls: a user whose access key signs
// them, or, with an empty User, the anonymous caller.
type demoCaller struct {
	// Name is short, for the output and the profile name in the
	// credentials file.
	Name string
	// User is the IAM user's ARN; empty for unsigned calls.
	User  string
	About string
}

// A demoCall is one call and whether the gateway should let it through.
type demoCall struct {
	Caller  string // a demoCaller's Name
	Method  string
	Service string // a demoService's Name
	Path    string
	// Body, if not empty, is sent as JSON.
	Body    string
	Allowed bool
}

// check reports what makes the scenario inconsistent: a call by a caller or
// to a service it does not declare, or a signing caller without an access
// key to be created.
func (sc demoScenario) check() error {
	var errs []error
	callers := map[string]bool{}
	for _, c := range sc.Callers {
		callers[c.Name] = true
		if c.User == "" {
			continue
		}
		hasKey := false
		for _, k := range sc.Identities.AccessKeys {
			hasKey = hasKey || (k.User == c.User && k.ID == "")
		}
		if !hasKey {
			errs = append(errs, fmt.Errorf("caller %s: no access key without an ID for %s, for trellis to create", c.Name, c.User))
		}
	}
	services := map[string]bool{}
	for _, s := range sc.Services {
		services[s.Name] = true
	}
	for i, c := range sc.Calls {
		if !callers[c.Caller] {
			errs = append(errs, fmt.Errorf("call %d: no caller %q", i+1, c.Caller))
		}
		if !services[c.Service] {
			errs = append(errs, fmt.Errorf("call %d: no service %q", i+1, c.Service))
		}
	}
	return errors.Join(errs...)
}

// demoPolicy returns a policy document as the identity package takes it.
func demoPolicy(doc string) json.RawMessage { return json.RawMessage(doc) }

// latticeExample is the default scenario: the VPC Lattice user guide's auth
// policy examples ("only principals of my organization", "one principal,
// GET only") on a shop's orders and billing services, with callers inside
// and outside the organization, one of them read-only, and an anonymous one.
var latticeExample = demoScenario{
	Title: "a service network of two services, and who may call them",
	VPC:   "vpc-0de0000000000c0de",
	Identities: identity.Input{
		Organizations: []identity.Organization{{ID: "o-trellisdemo", RootID: "r-demo", ManagementAccount: "111122223333"}},
		Accounts: []identity.Account{
			{ID: "111122223333", Name: "shop", Organization: "o-trellisdemo"},
			{ID: "444455556666", Name: "partner"},
		},
		Policies: []identity.ManagedPolicy{{
			ARN:         "arn:aws:iam::111122223333:policy/invoke-services",
			Description: "call services through VPC Lattice",
			Document:    demoPolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}`),
		}},
		Users: []identity.User{
			{Account: "111122223333", Name: "frontend", ManagedPolicies: []string{"arn:aws:iam::111122223333:policy/invoke-services"}},
			{Account: "111122223333", Name: "reporting", ManagedPolicies: []string{"arn:aws:iam::111122223333:policy/invoke-services"},
				InlinePolicies: []identity.InlinePolicy{{Name: "read-only", Document: demoPolicy(`{"Version":"2012-10-17","Statement":[
  {"Sid":"ReadOnly","Effect":"Deny","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
   "Condition":{"StringNotEquals":{"vpc-lattice-svcs:RequestMethod":["GET","HEAD"]}}}]}`)}}},
			{Account: "444455556666", Name: "partner", InlinePolicies: []identity.InlinePolicy{{Name: "invoke",
				Document: demoPolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}`)}}},
		},
		AccessKeys: []identity.AccessKey{
			{User: "arn:aws:iam::111122223333:user/frontend"},
			{User: "arn:aws:iam::111122223333:user/reporting"},
			{User: "arn:aws:iam::444455556666:user/partner"},
		},
	},
	Callers: []demoCaller{
		{Name: "frontend", User: "arn:aws:iam::111122223333:user/frontend", About: "in the organization; may invoke any service"},
		{Name: "reporting", User: "arn:aws:iam::111122223333:user/reporting", About: "in the organization; read-only: denies itself all but GET and HEAD"},
		{Name: "partner", User: "arn:aws:iam::444455556666:user/partner", About: "another account, outside the organization"},
		{Name: "anonymous", About: "unsigned calls"},
	},
	Network: demoNetwork{
		Name:  "shop",
		About: "only principals of organization o-trellisdemo",
		AuthPolicy: `{"Version":"2012-10-17","Statement":[
  {"Sid":"MyOrganization","Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
   "Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-trellisdemo"]}}}]}`,
	},
	Services: []demoService{
		{
			Name: "orders", Domain: "orders.demo.internal", PathPrefix: "/orders",
			About: "principals of account 111122223333, but no DELETE",
			AuthPolicy: `{"Version":"2012-10-17","Statement":[
  {"Sid":"ShopAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"vpc-lattice-svcs:Invoke","Resource":"*"},
  {"Sid":"NoDeletes","Effect":"Deny","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*",
   "Condition":{"StringEquals":{"vpc-lattice-svcs:RequestMethod":"DELETE"}}}]}`,
		},
		{
			Name: "billing", Domain: "billing.demo.internal", PathPrefix: "/invoices",
			About: "user reporting only, GET only",
			AuthPolicy: `{"Version":"2012-10-17","Statement":[
  {"Sid":"ReportingReads","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/reporting"]},
   "Action":"vpc-lattice-svcs:Invoke","Resource":["` + demoServiceARN + `/*"],
   "Condition":{"StringEquals":{"vpc-lattice-svcs:RequestMethod":"GET"}}}]}`,
		},
	},
	Calls: []demoCall{
		{Caller: "frontend", Method: "GET", Service: "orders", Path: "/orders/42", Allowed: true},
		{Caller: "frontend", Method: "POST", Service: "orders", Path: "/orders", Body: `{"item":"tea","quantity":2}`, Allowed: true},
		{Caller: "frontend", Method: "DELETE", Service: "orders", Path: "/orders/42", Allowed: false},
		{Caller: "reporting", Method: "GET", Service: "billing", Path: "/invoices/2026-11", Allowed: true},
		{Caller: "reporting", Method: "POST", Service: "billing", Path: "/invoices", Body: `{"order":42}`, Allowed: false},
		{Caller: "frontend", Method: "GET", Service: "billing", Path: "/invoices/2026-11", Allowed: false},
		{Caller: "partner", Method: "GET", Service: "orders", Path: "/orders/42", Allowed: false},
		{Caller: "anonymous", Method: "GET", Service: "orders", Path: "/orders/42", Allowed: false},
	},
}
