// Package bench compares trellis's policy engine with cedar-go and OPA on the
// three example auth policies of the Amazon VPC Lattice user guide.
//
// Each example is written three times: the IAM policy document trellis
// evaluates (the guide's own JSON), an equivalent Cedar policy and an
// equivalent Rego policy. Every engine gets the same facts about a request
// (see Facts) and turns them into its own input the way a gateway would for
// each request. TestEquivalence checks that the three engines decide every
// request variant the same way; the benchmarks in compare_test.go measure one
// decision per iteration.
//
// This is a separate module so that the trellis binary does not depend on
// cedar-go or OPA.
package bench

// The identifiers the examples and the requests share.
const (
	Account    = "123456789012"
	OrgID      = "o-123456example"
	RoleARN    = "arn:aws:iam::123456789012:role/rolename"
	SessionARN = "arn:aws:sts::123456789012:assumed-role/rolename/worker-1"
	ServiceARN = "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0"
	VPC        = "vpc-1a2b3c4d"
)

// An Example is one policy in the three languages.
type Example struct {
	Name  string
	IAM   string // the AWS guide's policy document, evaluated by trellis
	Cedar string // the equivalent Cedar policy
	Rego  string // the equivalent Rego module; its decision is data.lattice.allow
}

// Examples are the VPC Lattice guide's three example auth policies. The IAM
// documents are the ones trellis's own benchmarks use (policy/bench_test.go).
//
// How the translations line up with IAM:
//   - IAM evaluates StringEquals on a key the request does not carry as
//     false, and a negated operator (StringNotEqualsIgnoreCase) on a missing
//     key as true. Cedar raises an error on a missing attribute (and skips the
//     policy, which also denies); the Cedar policies guard with `has` so that
//     they mean exactly what IAM means without relying on errors. In Rego a
//     missing key makes the expression undefined, which is false, and
//     `not anonymous` is true when the key is missing.
//   - Principal {"AWS": role ARN} matches the role's sessions: the Cedar
//     principal and Rego input.principal are the session's role ARN (the
//     value of aws:PrincipalArn), as in AWS.
//   - Resource ".../service/svc-0123456789abcdef0/*" is every path of one
//     service. Cedar models that as a hierarchy (the request's path entity
//     is in its service entity); Rego uses startswith on the ARN plus "/".
//     glob.match with the default delimiters would be wrong here: "*" would
//     not cross a "." in the path.
//   - StringNotEqualsIgnoreCase "anonymous": Rego compares lower(...). Cedar
//     has no case folding, so it compares with "Anonymous", the only
//     spelling the gateway sets (policy.PrincipalType.String).
var Examples = []Example{
	{
		Name: "1-org-only",
		IAM: `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": "*",
    "Action": "vpc-lattice-svcs:Invoke",
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-123456example"]}}
  }]
}`,
		Cedar: `permit (
  principal,
  action == Action::"Invoke",
  resource
)
when { context has principalOrgID && context.principalOrgID == "o-123456example" };
`,
		Rego: `package lattice

default allow := false

allow if {
	input.action == "vpc-lattice-svcs:Invoke"
	input.context.principalOrgID == "o-123456example"
}
`,
	},
	{
		Name: "2-role-get-only",
		IAM: `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": ["arn:aws:iam::123456789012:role/rolename"]},
    "Action": "vpc-lattice-svcs:Invoke",
    "Resource": ["arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/*"],
    "Condition": {"StringEquals": {"vpc-lattice-svcs:RequestMethod": "GET"}}
  }]
}`,
		Cedar: `permit (
  principal == AWS::IAM::Role::"arn:aws:iam::123456789012:role/rolename",
  action == Action::"Invoke",
  resource in AWS::VPCLattice::Service::"arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0"
)
when { context has requestMethod && context.requestMethod == "GET" };
`,
		Rego: `package lattice

default allow := false

allow if {
	input.principal == "arn:aws:iam::123456789012:role/rolename"
	input.action == "vpc-lattice-svcs:Invoke"
	startswith(input.resource, "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/")
	input.context.requestMethod == "GET"
}
`,
	},
	{
		Name: "3-vpc-authenticated",
		IAM: `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": "*",
    "Action": "vpc-lattice-svcs:Invoke",
    "Resource": "*",
    "Condition": {
      "StringNotEqualsIgnoreCase": {"aws:PrincipalType": "anonymous"},
      "StringEquals": {"vpc-lattice-svcs:SourceVpc": "vpc-1a2b3c4d"}
    }
  }]
}`,
		Cedar: `permit (
  principal,
  action == Action::"Invoke",
  resource
)
when {
  (!(context has principalType) || context.principalType != "Anonymous") &&
  context has sourceVpc && context.sourceVpc == "vpc-1a2b3c4d"
};
`,
		Rego: `package lattice

default allow := false

allow if {
	input.action == "vpc-lattice-svcs:Invoke"
	not anonymous
	input.context.sourceVpc == "vpc-1a2b3c4d"
}

anonymous if lower(input.context.principalType) == "anonymous"
`,
	},
}
