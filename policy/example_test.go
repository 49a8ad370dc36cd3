package policy_test

import (
	"fmt"

	"github.com/trellisproject/trellis/policy"
)

// A VPC Lattice auth policy that lets one role send GET requests to one
// service, evaluated for two requests.
func Example() {
	auth := policy.MustParse(`{
	  "Version": "2012-10-17",
	  "Statement": [{
	    "Effect": "Allow",
	    "Principal": {"AWS": "arn:aws:iam::123456789012:role/orders-reader"},
	    "Action": "vpc-lattice-svcs:Invoke",
	    "Resource": "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/*",
	    "Condition": {"StringEquals": {"vpc-lattice-svcs:RequestMethod": "GET"}}
	  }]
	}`, policy.Options{Kind: policy.KindResource, Name: "service auth policy"})

	caller, _ := policy.ParsePrincipal("arn:aws:sts::123456789012:assumed-role/orders-reader/worker-1")
	ctx := policy.NewContext(4)
	req := &policy.Request{
		Principal:       caller,
		Action:          "vpc-lattice-svcs:Invoke",
		Resource:        "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/orders",
		ResourceAccount: "123456789012",
		Context:         ctx,
	}
	set := &policy.Set{Resource: auth}

	ctx.Set("vpc-lattice-svcs:RequestMethod", "GET")
	fmt.Println(set.Evaluate(req))

	ctx.Set("vpc-lattice-svcs:RequestMethod", "DELETE")
	e := set.Explain(req)
	fmt.Println(e.Decision)
	fmt.Println(e.Closest.Reason)
	// Output:
	// Allow: allowed by Statement[0] of resource-policy service auth policy
	// ImplicitDeny
	// Condition StringEquals vpc-lattice-svcs:RequestMethod (line 8 of the policy): the request has "DELETE"; the condition requires "GET"
}

// Validate reports every problem with its position and JSON path.
func ExampleValidate() {
	doc := []byte(`{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "allow",
    "Action": "Invoke",
    "Resource": "*",
    "Condition": {"StringEqual": {"aws:SourceVpc": "vpc-1a2b3c4d"}}
  }]
}`)
	for _, d := range policy.Validate(doc, policy.Options{Kind: policy.KindIdentity}) {
		fmt.Println(d)
	}
	// Output:
	// 4:15: error: Statement[0].Effect: Effect "allow" is not valid; did you mean "Allow"? (Effect is case-sensitive)
	// 5:15: error: Statement[0].Action: action "Invoke" has no service prefix; write it as service:Action, such as "vpc-lattice-svcs:Invoke"
	// 7:19: error: Statement[0].Condition.StringEqual: unknown condition operator "StringEqual"; did you mean "StringEquals"?
}

// A Set combines policy types as AWS does: here a cross-account caller
// needs an allow from both its own identity policy and the resource policy.
func ExampleSet() {
	resource := policy.MustParse(`{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
	  "Principal": {"AWS": "444455556666"}, "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}}`,
		policy.Options{Kind: policy.KindResource})
	identity := policy.MustParse(`{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
	  "Action": "vpc-lattice-svcs:*", "Resource": "*"}}`, policy.Options{Kind: policy.KindIdentity})

	caller, _ := policy.ParsePrincipal("arn:aws:sts::444455556666:assumed-role/partner/s1")
	req := &policy.Request{Principal: caller, Action: "vpc-lattice-svcs:Invoke",
		Resource:        "arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-0123456789abcdef0/x",
		ResourceAccount: "111122223333"}

	fmt.Println((&policy.Set{Resource: resource}).Evaluate(req).Decision)
	fmt.Println((&policy.Set{Resource: resource, Identity: []*policy.Policy{identity}}).Evaluate(req).Decision)
	// Output:
	// ImplicitDeny
	// Allow
}
