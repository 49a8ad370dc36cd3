package identity_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/policy"
)

const exampleConfig = `{
  "organizations": [{"id": "o-a1b2c3d4e5", "rootId": "r-ab12"}],
  "accounts": [{"id": "111122223333", "organization": "o-a1b2c3d4e5"}],
  "users": [{"account": "111122223333", "name": "alice", "tags": [{"key": "team", "value": "payments"}],
             "inlinePolicies": [{"name": "assume", "document": {"Version": "2012-10-17",
               "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}}}]}],
  "roles": [{"account": "111122223333", "name": "invoker", "path": "/services/",
             "trustPolicy": {"Version": "2012-10-17", "Statement": {"Effect": "Allow",
               "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "sts:AssumeRole"}},
             "inlinePolicies": [{"name": "invoke", "document": {"Version": "2012-10-17",
               "Statement": {"Effect": "Allow", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}}}]}],
  "accessKeys": [{"id": "AKIAEXAMPLEEXAMPLE23", "secret": "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY00",
                  "user": "arn:aws:iam::111122223333:user/alice"}]
}`

func exampleDirectory() *identity.Directory {
	var in identity.Input
	if err := json.Unmarshal([]byte(exampleConfig), &in); err != nil {
		panic(err)
	}
	d, err := identity.New(in)
	if err != nil {
		panic(err)
	}
	return d
}

func ExampleNew() {
	d := exampleDirectory()
	cred, ok := d.Lookup("AKIAEXAMPLEEXAMPLE23") // what the SigV4 verifier asks
	fmt.Println(ok, cred)
	caller, _ := d.Caller("AKIAEXAMPLEEXAMPLE23")
	fmt.Println(caller.ARN(), caller.Account(), caller.OrgID())
	// Output:
	// true sigv4.Credential{SecretAccessKey: REDACTED}
	// arn:aws:iam::111122223333:user/alice 111122223333 o-a1b2c3d4e5
}

func ExampleNew_errors() {
	_, err := identity.New(identity.Input{
		Accounts: []identity.Account{{ID: "111122223333"}},
		Users:    []identity.User{{Account: "111122223333", Name: "bob", ManagedPolicies: []string{"arn:aws:iam::111122223333:policy/Missing"}}},
	})
	var ie *identity.InputError
	if errors.As(err, &ie) {
		fmt.Println(ie.Entity)
		fmt.Println(ie.Field)
		fmt.Println(ie.Message)
	}
	// Output:
	// arn:aws:iam::111122223333:user/bob
	// managedPolicies[0]
	// unknown policy "arn:aws:iam::111122223333:policy/Missing"
}

func ExampleCaller_AddContext() {
	d := exampleDirectory()
	caller, _ := d.Caller("AKIAEXAMPLEEXAMPLE23")
	ctx := policy.NewContext(caller.ContextLen() + 8)
	caller.AddContext(ctx) // first: the principal's keys cannot be overridden
	ctx.Add("aws:SourceIp", "10.1.2.3")
	for k, v := range ctx.All() {
		if k != "aws:userid" { // derived from the account and name
			fmt.Println(k, v)
		}
	}
	// Output:
	// aws:PrincipalArn [arn:aws:iam::111122223333:user/alice]
	// aws:PrincipalAccount [111122223333]
	// aws:PrincipalType [User]
	// aws:PrincipalIsAWSService [false]
	// aws:username [alice]
	// aws:PrincipalOrgID [o-a1b2c3d4e5]
	// aws:PrincipalTag/team [payments]
	// aws:PrincipalOrgPaths [o-a1b2c3d4e5/r-ab12/]
	// aws:SourceIp [10.1.2.3]
}

func ExampleCaller_PolicySet() {
	d := exampleDirectory()
	caller, _ := d.Caller("AKIAEXAMPLEEXAMPLE23")
	ctx := policy.NewContext(16)
	caller.AddContext(ctx)
	set := caller.PolicySet() // identity, boundary, session and SCPs
	set.Resource = policy.MustParse(`{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
		"Principal": "*", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*",
		"Condition": {"StringEquals": {"aws:PrincipalTag/team": "payments"}}}}`, policy.Options{Kind: policy.KindResource})
	r := policy.Request{Principal: caller.Principal(), Action: "vpc-lattice-svcs:Invoke",
		Resource: "arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-0123456789abcdef0/", ResourceAccount: "111122223333", Context: ctx}
	fmt.Println(set.Evaluate(&r).Decision)
	// Output:
	// Allow
}

func ExampleDirectory_AssumeRole() {
	d := exampleDirectory()
	caller, _ := d.Caller("AKIAEXAMPLEEXAMPLE23")
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	random := rand.NewChaCha8([32]byte{}) // use crypto/rand.Reader
	s, err := d.AssumeRole(caller, nil, identity.AssumeRoleInput{
		RoleARN:         "arn:aws:iam::111122223333:role/services/invoker",
		RoleSessionName: "deploy-42",
		DurationSeconds: 900,
	}, now, random)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.PrincipalARN(), s.Expires.Format(time.RFC3339))
	// Persist s, then build the next Directory with it.
	d, _ = d.WithSessions(s)
	session, _ := d.Caller(s.AccessKeyID)
	fmt.Println(session.RoleARN())

	_, err = d.AssumeRole(caller, nil, identity.AssumeRoleInput{
		RoleARN: "arn:aws:iam::111122223333:role/services/invoker", RoleSessionName: "x",
	}, now, random)
	fmt.Println(err)
	// Output:
	// arn:aws:sts::111122223333:assumed-role/invoker/deploy-42 2025-06-01T12:15:00Z
	// arn:aws:iam::111122223333:role/services/invoker
	// ValidationError: 1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2
}
