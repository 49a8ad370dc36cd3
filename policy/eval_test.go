package policy

import (
	"testing"
)

func mustPrincipal(t testing.TB, s string) Principal {
	t.Helper()
	p, err := ParsePrincipal(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParsePrincipal(t *testing.T) {
	tests := []struct {
		in      string
		typ     PrincipalType
		account string
		name    string
		roleARN string
	}{
		{"anonymous", Anonymous, "", "", ""},
		{"", Anonymous, "", "", ""},
		{"111122223333", Account, "111122223333", "", ""},
		{"arn:aws:iam::111122223333:root", Account, "111122223333", "", ""},
		{"arn:aws:iam::111122223333:user/alice", User, "111122223333", "alice", ""},
		{"arn:aws:iam::111122223333:user/division/alice", User, "111122223333", "alice", ""},
		{"arn:aws:iam::111122223333:role/app", Role, "111122223333", "app", ""},
		{"arn:aws:sts::111122223333:assumed-role/app/i-0abc", AssumedRole, "111122223333", "app", "arn:aws:iam::111122223333:role/app"},
		{"arn:aws-cn:sts::111122223333:assumed-role/app/s", AssumedRole, "111122223333", "app", "arn:aws-cn:iam::111122223333:role/app"},
		{"arn:aws:sts::111122223333:federated-user/bob", FederatedUser, "111122223333", "bob", ""},
		{"lambda.amazonaws.com", Service, "", "lambda.amazonaws.com", ""},
		{"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", CanonicalUser, "", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", ""},
	}
	for _, tt := range tests {
		p, err := ParsePrincipal(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if p.Type != tt.typ || p.Account != tt.account || p.Name != tt.name || p.RoleARN != tt.roleARN {
			t.Errorf("%q: got %v %q %q %q", tt.in, p.Type, p.Account, p.Name, p.RoleARN)
		}
	}
	for _, bad := range []string{"alice", "arn:aws:iam::12:user/x", "arn:aws:sts::111122223333:assumed-role/app", "arn:aws:s3:::bucket", "arn:aws:iam:us-east-1:111122223333:user/x", "arn:aws:iam::111122223333:group/g"} {
		if _, err := ParsePrincipal(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestPrincipalElement covers how a Principal element matches callers.
func TestPrincipalElement(t *testing.T) {
	const (
		session = "arn:aws:sts::111122223333:assumed-role/app/s1"
		user    = "arn:aws:iam::111122223333:user/alice"
	)
	tests := []struct {
		principal string
		caller    string
		want      principalMatch
	}{
		{`"*"`, "anonymous", matchWildcard},
		{`{"AWS":"*"}`, "anonymous", matchWildcard},
		{`{"AWS":"111122223333"}`, "anonymous", matchNone},
		{`{"AWS":"111122223333"}`, session, matchAccount},
		{`{"AWS":"arn:aws:iam::111122223333:root"}`, user, matchAccount},
		{`{"AWS":"444455556666"}`, user, matchNone},
		{`{"AWS":"arn:aws:iam::111122223333:role/app"}`, session, matchRole},
		{`{"AWS":"arn:aws:iam::111122223333:role/team/app"}`, session, matchRole}, // role paths do not appear in session ARNs
		{`{"AWS":"arn:aws:iam::111122223333:role/other"}`, session, matchNone},
		{`{"AWS":"arn:aws:iam::444455556666:role/app"}`, session, matchNone},
		{`{"AWS":"` + session + `"}`, session, matchExact},
		{`{"AWS":"arn:aws:sts::111122223333:assumed-role/app/s2"}`, session, matchNone},
		{`{"AWS":"` + user + `"}`, user, matchExact},
		{`{"AWS":"arn:aws:iam::111122223333:user/alice"}`, "arn:aws:sts::111122223333:federated-user/alice", matchRole},
		{`{"AWS":["arn:aws:iam::111122223333:role/app","111122223333"]}`, session, matchRole},
		{`{"Service":"lambda.amazonaws.com"}`, "lambda.amazonaws.com", matchExact},
		{`{"Service":"lambda.amazonaws.com"}`, "ec2.amazonaws.com", matchNone},
		{`{"Service":"lambda.amazonaws.com"}`, session, matchNone},
	}
	for _, tt := range tests {
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":` + tt.principal + `,"Action":"s3:GetObject","Resource":"*"}}`
		p := MustParse(doc, Options{Kind: KindResource})
		caller := mustPrincipal(t, tt.caller)
		if got := p.statements[0].matchPrincipal(&caller); got != tt.want {
			t.Errorf("Principal %s, caller %s: %v, want %v", tt.principal, tt.caller, got, tt.want)
		}
	}
}

// TestNotPrincipal covers the IAM User Guide's rule for Deny with
// NotPrincipal: the caller is exempt only when the account and every
// identity of the caller are listed; and principals with a permissions
// boundary are never exempt.
func TestNotPrincipal(t *testing.T) {
	const session = "arn:aws:sts::111122223333:assumed-role/app/s1"
	tests := []struct {
		notPrincipal string
		caller       string
		boundary     bool
		wantDenied   bool
	}{
		{`{"AWS":"111122223333"}`, "arn:aws:iam::111122223333:root", false, false},
		{`{"AWS":"111122223333"}`, session, false, true},
		{`{"AWS":"arn:aws:iam::111122223333:role/app"}`, session, false, true},
		{`{"AWS":["111122223333","arn:aws:iam::111122223333:role/app"]}`, session, false, true},
		{`{"AWS":["111122223333","arn:aws:iam::111122223333:role/app","` + session + `"]}`, session, false, false},
		{`{"AWS":["111122223333","arn:aws:iam::111122223333:role/app","` + session + `"]}`, session, true, true},
		{`{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/alice"]}`, "arn:aws:iam::111122223333:user/alice", false, false},
		{`{"AWS":"arn:aws:iam::111122223333:user/alice"}`, "arn:aws:iam::111122223333:user/alice", false, true},
		{`{"AWS":"111122223333"}`, "anonymous", false, true},
		{`{"AWS":"*"}`, "anonymous", false, false},
		{`{"Service":"lambda.amazonaws.com"}`, "lambda.amazonaws.com", false, false},
		{`{"Service":"lambda.amazonaws.com"}`, "ec2.amazonaws.com", false, true},
	}
	for _, tt := range tests {
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":` + tt.notPrincipal + `,"Action":"s3:GetObject","Resource":"*"}}`
		p := MustParse(doc, Options{Kind: KindResource})
		caller := mustPrincipal(t, tt.caller)
		caller.HasPermissionsBoundary = tt.boundary
		got := p.Evaluate(&Request{Principal: caller, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}).Decision == ExplicitDeny
		if got != tt.wantDenied {
			t.Errorf("NotPrincipal %s, caller %s (boundary %v): denied %v, want %v", tt.notPrincipal, tt.caller, tt.boundary, got, tt.wantDenied)
		}
	}
}

func TestActionAndResourceMatching(t *testing.T) {
	tests := []struct {
		elements string
		action   string
		resource string
		want     bool
	}{
		{`"Action":"s3:GetObject","Resource":"*"`, "s3:GetObject", "arn:aws:s3:::b/k", true},
		{`"Action":"s3:getobject","Resource":"*"`, "S3:GETOBJECT", "arn:aws:s3:::b/k", true},
		{`"Action":"s3:Get*","Resource":"*"`, "s3:GetObjectAcl", "arn:aws:s3:::b/k", true},
		{`"Action":"s3:Get?bject","Resource":"*"`, "s3:GetObject", "arn:aws:s3:::b/k", true},
		{`"Action":"s3:Get*","Resource":"*"`, "s3:PutObject", "arn:aws:s3:::b/k", false},
		{`"Action":"s3:*","Resource":"*"`, "s3x:GetObject", "arn:aws:s3:::b/k", false},
		{`"Action":"*","Resource":"*"`, "anything:At-All", "arn:aws:s3:::b/k", true},
		{`"NotAction":"s3:Delete*","Resource":"*"`, "s3:GetObject", "arn:aws:s3:::b/k", true},
		{`"NotAction":["s3:Delete*","s3:Put*"],"Resource":"*"`, "s3:PutObject", "arn:aws:s3:::b/k", false},
		{`"Action":"s3:*","Resource":"arn:aws:s3:::b/*"`, "s3:GetObject", "arn:aws:s3:::b/k/deep", true},
		{`"Action":"s3:*","Resource":"arn:aws:s3:::b/*"`, "s3:GetObject", "arn:aws:s3:::B/k", false}, // resources are case-sensitive
		{`"Action":"s3:*","Resource":"arn:AWS:S3:::b/*"`, "s3:GetObject", "arn:aws:s3:::b/k", true},  // ARN prefixes are not
		{`"Action":"s3:*","Resource":"arn:aws:s3:::b/?"`, "s3:GetObject", "arn:aws:s3:::b/k", true},
		{`"Action":"s3:*","Resource":"arn:aws:s3:::b/?"`, "s3:GetObject", "arn:aws:s3:::b/kk", false},
		{`"Action":"s3:*","Resource":"arn:aws:*:*:*:*"`, "s3:GetObject", "arn:aws:s3:::b/k", true},
		// A wildcard in the region part does not reach across colons.
		{`"Action":"sqs:*","Resource":"arn:aws:sqs:*:*:q"`, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q", true},
		{`"Action":"sqs:*","Resource":"arn:aws:sqs:us-*:111122223333:*"`, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:q", false},
		// The resource part may contain colons.
		{`"Action":"*","Resource":"arn:aws:logs:us-east-1:111122223333:log-group:/app:*"`, "logs:PutLogEvents", "arn:aws:logs:us-east-1:111122223333:log-group:/app:log-stream:x", true},
		{`"Action":"*","NotResource":"arn:aws:s3:::secret/*"`, "s3:GetObject", "arn:aws:s3:::public/k", true},
		{`"Action":"*","NotResource":"arn:aws:s3:::secret/*"`, "s3:GetObject", "arn:aws:s3:::secret/k", false},
		{`"Action":"*","Resource":"*"`, "s3:ListAllMyBuckets", "*", true},
		{`"Action":"*","Resource":"arn:aws:s3:::*"`, "s3:GetObject", "not-an-arn", false},
		{`"Action":"vpc-lattice-svcs:Invoke","Resource":"arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/*"`, "vpc-lattice-svcs:Invoke", "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/", true},
		{`"Action":"vpc-lattice-svcs:Invoke","Resource":"arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/*"`, "vpc-lattice-svcs:Invoke", "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef01/x", false},
		{`"Action":"vpc-lattice-svcs:Invoke","Resource":"arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/orders.v1.Orders/Get"`, "vpc-lattice-svcs:Invoke", "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/orders.v1.Orders/Get", true},
	}
	for _, tt := range tests {
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow",` + tt.elements + `}}`
		p := MustParse(doc, Options{Kind: KindIdentity})
		r := &Request{Principal: mustPrincipal(t, "arn:aws:iam::111122223333:user/alice"), Action: tt.action, Resource: tt.resource}
		if got := p.Evaluate(r).Decision == Allow; got != tt.want {
			t.Errorf("%s with %s on %s: %v, want %v", tt.elements, tt.action, tt.resource, got, tt.want)
		}
	}
}

func TestResourceVariables(t *testing.T) {
	p := MustParse(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"},
		{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::${aws:PrincipalTag/bucket}/*"}]}`, Options{Kind: KindIdentity})
	tests := []struct {
		ctx      *Context
		resource string
		want     Decision
	}{
		{ctxKV("aws:username", "alice", "aws:PrincipalTag/bucket", "home"), "arn:aws:s3:::home/alice/k", Allow},
		{ctxKV("aws:username", "alice", "aws:PrincipalTag/bucket", "home"), "arn:aws:s3:::home/bob/k", ImplicitDeny},
		{ctxKV("aws:username", "alice", "aws:PrincipalTag/bucket", "other"), "arn:aws:s3:::home/alice/k", ExplicitDeny},
		// Without the tag, the NotResource entry cannot be resolved, so the
		// Deny statement does not apply.
		{ctxKV("aws:username", "alice"), "arn:aws:s3:::home/alice/k", Allow},
		// Without aws:username the Allow statement matches nothing.
		{ctxKV("aws:PrincipalTag/bucket", "home"), "arn:aws:s3:::home/alice/k", ImplicitDeny},
	}
	for i, tt := range tests {
		r := &Request{Principal: mustPrincipal(t, "arn:aws:iam::111122223333:user/alice"), Action: "s3:GetObject", Resource: tt.resource, Context: tt.ctx}
		if got := p.Evaluate(r).Decision; got != tt.want {
			t.Errorf("case %d %s %s: %v, want %v", i, contextString(tt.ctx), tt.resource, got, tt.want)
		}
	}
}

// TestSetEvaluate covers AWS's combination of policy types.
func TestSetEvaluate(t *testing.T) {
	const (
		acct    = "111122223333"
		other   = "444455556666"
		svc     = "arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-0123456789abcdef0/orders"
		session = "arn:aws:sts::111122223333:assumed-role/app/s1"
		user    = "arn:aws:iam::111122223333:user/alice"
		xsess   = "arn:aws:sts::444455556666:assumed-role/app/s1"
	)
	allowAll := MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Options{Kind: KindIdentity})
	allowS3 := MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, Options{Kind: KindIdentity})
	denyAll := MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, Options{Kind: KindIdentity})
	res := func(principal string) *Policy {
		return MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":`+principal+`,"Action":"vpc-lattice-svcs:Invoke","Resource":"*"}}`, Options{Kind: KindResource})
	}
	resDeny := MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"*","Resource":"*"}}`, Options{Kind: KindResource})
	endpointOnly := func(principal string) *Policy {
		return MustParse(`{"Statement":{"Effect":"Allow","Principal":`+principal+`,"Action":"*","Resource":"*"}}`, Options{Kind: KindResource})
	}
	scpAllow := MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Options{Kind: KindServiceControl})
	scpS3 := MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, Options{Kind: KindServiceControl})

	tests := []struct {
		name      string
		set       Set
		principal string
		account   string
		want      Decision
		by        PolicyType
		reason    Reason
	}{
		{"nothing allows", Set{}, session, acct, ImplicitDeny, IdentityPolicy, ReasonNoPolicy},
		{"identity allows, same account", Set{Identity: []*Policy{allowAll}}, session, acct, Allow, IdentityPolicy, ReasonStatement},
		{"identity allows other actions", Set{Identity: []*Policy{allowS3}}, session, acct, ImplicitDeny, IdentityPolicy, ReasonNoAllow},
		{"explicit deny in identity wins", Set{Identity: []*Policy{allowAll, denyAll}}, session, acct, ExplicitDeny, IdentityPolicy, ReasonStatement},
		{"resource names the session's role, same account", Set{Resource: res(`{"AWS":"arn:aws:iam::111122223333:role/app"}`)}, session, acct, Allow, ResourcePolicy, ReasonStatement},
		{"resource names the account only, same account", Set{Resource: res(`{"AWS":"111122223333"}`)}, session, acct, ImplicitDeny, IdentityPolicy, ReasonNeitherAllows},
		{"resource names the account, identity allows", Set{Resource: res(`{"AWS":"111122223333"}`), Identity: []*Policy{allowAll}}, session, acct, Allow, IdentityPolicy, ReasonStatement},
		{"resource * allows same account", Set{Resource: res(`"*"`)}, session, acct, Allow, ResourcePolicy, ReasonStatement},
		{"cross account: resource only", Set{Resource: res(`{"AWS":"444455556666"}`)}, xsess, acct, ImplicitDeny, IdentityPolicy, ReasonCrossAccount},
		{"cross account: identity only", Set{Identity: []*Policy{allowAll}}, xsess, acct, ImplicitDeny, ResourcePolicy, ReasonCrossAccount},
		{"cross account: both", Set{Resource: res(`{"AWS":"444455556666"}`), Identity: []*Policy{allowAll}}, xsess, acct, Allow, IdentityPolicy, ReasonStatement},
		{"cross account: resource * and identity", Set{Resource: res(`"*"`), Identity: []*Policy{allowAll}}, xsess, acct, Allow, IdentityPolicy, ReasonStatement},
		{"cross account: resource deny", Set{Resource: resDeny, Identity: []*Policy{allowAll}}, xsess, acct, ExplicitDeny, ResourcePolicy, ReasonStatement},
		{"anonymous: resource *", Set{Resource: res(`"*"`)}, "anonymous", acct, Allow, ResourcePolicy, ReasonStatement},
		{"anonymous: identity policies do not apply", Set{Identity: []*Policy{allowAll}}, "anonymous", acct, ImplicitDeny, ResourcePolicy, ReasonNoPolicy},
		{"anonymous: account principal does not match", Set{Resource: res(`{"AWS":"111122223333"}`)}, "anonymous", acct, ImplicitDeny, ResourcePolicy, ReasonNoAllow},
		{"service principal: resource names it", Set{Resource: res(`{"Service":"lambda.amazonaws.com"}`)}, "lambda.amazonaws.com", acct, Allow, ResourcePolicy, ReasonStatement},
		{"root of the resource account", Set{}, "arn:aws:iam::111122223333:root", acct, Allow, IdentityPolicy, ReasonRootUser},
		{"root of another account", Set{}, "arn:aws:iam::444455556666:root", acct, ImplicitDeny, ResourcePolicy, ReasonCrossAccount},
		{"root still bound by an explicit deny", Set{Resource: MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}`, Options{Kind: KindResource})}, "arn:aws:iam::111122223333:root", acct, ExplicitDeny, ResourcePolicy, ReasonStatement},
		{"endpoint policy must allow", Set{Identity: []*Policy{allowAll}, Endpoint: []*Policy{endpointOnly(`{"AWS":"arn:aws:iam::111122223333:role/other"}`)}}, session, acct, ImplicitDeny, EndpointPolicy, ReasonNoAllow},
		{"endpoint policy naming the role", Set{Identity: []*Policy{allowAll}, Endpoint: []*Policy{endpointOnly(`{"AWS":"arn:aws:iam::111122223333:role/app"}`)}}, session, acct, Allow, IdentityPolicy, ReasonStatement},
		{"endpoint policy for anonymous", Set{Resource: res(`"*"`), Endpoint: []*Policy{endpointOnly(`"*"`)}}, "anonymous", acct, Allow, ResourcePolicy, ReasonStatement},
		{"endpoint policy naming a role stops anonymous", Set{Resource: res(`"*"`), Endpoint: []*Policy{endpointOnly(`{"AWS":"arn:aws:iam::111122223333:role/app"}`)}}, "anonymous", acct, ImplicitDeny, EndpointPolicy, ReasonNoAllow},
		{"boundary caps identity", Set{Identity: []*Policy{allowAll}, Boundaries: []*Policy{allowS3}}, session, acct, ImplicitDeny, PermissionsBoundary, ReasonNoAllow},
		{"boundary allows", Set{Identity: []*Policy{allowAll}, Boundaries: []*Policy{allowAll}}, session, acct, Allow, IdentityPolicy, ReasonStatement},
		{"boundary does not grant", Set{Boundaries: []*Policy{allowAll}}, session, acct, ImplicitDeny, IdentityPolicy, ReasonNoPolicy},
		{"boundary: resource naming the session bypasses", Set{Resource: res(`{"AWS":"` + session + `"}`), Boundaries: []*Policy{allowS3}}, session, acct, Allow, ResourcePolicy, ReasonStatement},
		{"boundary: resource naming the user bypasses", Set{Resource: res(`{"AWS":"` + user + `"}`), Boundaries: []*Policy{allowS3}}, user, acct, Allow, ResourcePolicy, ReasonStatement},
		{"boundary: resource naming the role does not bypass", Set{Resource: res(`{"AWS":"arn:aws:iam::111122223333:role/app"}`), Boundaries: []*Policy{allowS3}}, session, acct, ImplicitDeny, PermissionsBoundary, ReasonNoAllow},
		{"boundary: no bypass across accounts", Set{Resource: res(`{"AWS":"` + xsess + `"}`), Identity: []*Policy{allowAll}, Boundaries: []*Policy{allowS3}}, xsess, acct, ImplicitDeny, PermissionsBoundary, ReasonNoAllow},
		{"session policy caps identity", Set{Identity: []*Policy{allowAll}, Session: allowS3}, session, acct, ImplicitDeny, SessionPolicy, ReasonNoAllow},
		{"session policy allows", Set{Identity: []*Policy{allowAll}, Session: allowAll}, session, acct, Allow, IdentityPolicy, ReasonStatement},
		{"session policy: resource naming the session bypasses", Set{Resource: res(`{"AWS":"` + session + `"}`), Session: allowS3}, session, acct, Allow, ResourcePolicy, ReasonStatement},
		{"session policy: resource naming the role does not", Set{Resource: res(`{"AWS":"arn:aws:iam::111122223333:role/app"}`), Session: allowS3}, session, acct, ImplicitDeny, SessionPolicy, ReasonNoAllow},
		{"session policy explicit deny", Set{Identity: []*Policy{allowAll}, Session: denyAll}, session, acct, ExplicitDeny, SessionPolicy, ReasonStatement},
		{"SCP every level allows", Set{Identity: []*Policy{allowAll}, ServiceControl: []Level{{Target: "r-1", Policies: []*Policy{scpAllow}}, {Target: acct, Policies: []*Policy{scpAllow}}}}, session, acct, Allow, IdentityPolicy, ReasonStatement},
		{"SCP one level does not allow", Set{Identity: []*Policy{allowAll}, ServiceControl: []Level{{Target: "r-1", Policies: []*Policy{scpAllow}}, {Target: acct, Policies: []*Policy{scpS3}}}}, session, acct, ImplicitDeny, ServiceControlPolicy, ReasonNoAllow},
		{"SCP any policy of a level suffices", Set{Identity: []*Policy{allowAll}, ServiceControl: []Level{{Target: acct, Policies: []*Policy{scpS3, scpAllow}}}}, session, acct, Allow, IdentityPolicy, ReasonStatement},
		{"SCP does not grant", Set{ServiceControl: []Level{{Target: acct, Policies: []*Policy{scpAllow}}}}, session, acct, ImplicitDeny, IdentityPolicy, ReasonNoPolicy},
		{"SCP does not apply to anonymous", Set{Resource: res(`"*"`), ServiceControl: []Level{{Target: acct, Policies: []*Policy{scpS3}}}}, "anonymous", acct, Allow, ResourcePolicy, ReasonStatement},
		{"SCP applies to root", Set{ServiceControl: []Level{{Target: acct, Policies: []*Policy{scpS3}}}}, "arn:aws:iam::111122223333:root", acct, ImplicitDeny, ServiceControlPolicy, ReasonNoAllow},
		{"RCP applies to anonymous", Set{Resource: res(`"*"`), ResourceControl: []Level{{Target: acct, Policies: []*Policy{endpointOnly(`"*"`)}}}}, "anonymous", acct, Allow, ResourcePolicy, ReasonStatement},
		{"RCP without allow", Set{Resource: res(`"*"`), ResourceControl: []Level{{Target: acct, Policies: []*Policy{res(`"*"`)}}}}, "anonymous", acct, Allow, ResourcePolicy, ReasonStatement},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Principal: mustPrincipal(t, tt.principal), Action: "vpc-lattice-svcs:Invoke", Resource: svc, ResourceAccount: tt.account}
			got := tt.set.Evaluate(r)
			if got.Decision != tt.want || got.Type != tt.by || got.Reason != tt.reason {
				t.Errorf("got %v by %v (%v), want %v by %v (%v)", got.Decision, got.Type, got.Reason, tt.want, tt.by, tt.reason)
			}
			e := tt.set.Explain(r)
			if e.Decision != got.Decision || e.DecidedBy != got.Type {
				t.Errorf("Explain says %v by %v, Evaluate %v by %v", e.Decision, e.DecidedBy, got.Decision, got.Type)
			}
			if e.Summary == "" {
				t.Error("empty summary")
			}
		})
	}
}

// TestExplainReasons checks that an explanation names the element or
// condition that stopped each statement.
func TestExplainReasons(t *testing.T) {
	p := MustParse(`{"Version":"2012-10-17","Statement":[
		{"Sid":"WrongAction","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*"},
		{"Sid":"WrongPrincipal","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"*"},
		{"Sid":"WrongResource","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"},
		{"Sid":"WrongVpc","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}},
		{"Sid":"MissingKey","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`,
		Options{Kind: KindResource, Name: "bucket policy"})
	r := &Request{Principal: mustPrincipal(t, "arn:aws:sts::111122223333:assumed-role/app/s"), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
		ResourceAccount: "111122223333", Context: ctxKV("aws:SourceVpc", "vpc-2")}
	e := (&Set{Resource: p}).Explain(r)
	want := map[string]string{
		"WrongAction":    "Action does not match s3:GetObject (the statement has s3:PutObject)",
		"WrongPrincipal": "Principal does not match arn:aws:sts::111122223333:assumed-role/app/s",
		"WrongResource":  "Resource does not match arn:aws:s3:::b/k (the statement has arn:aws:s3:::other/*)",
		"WrongVpc":       `Condition StringEquals aws:SourceVpc (line 5 of the policy): the request has "vpc-2"; the condition requires "vpc-1"`,
		"MissingKey":     "Condition Bool aws:SecureTransport (line 6 of the policy): the request has no aws:SecureTransport; a missing key fails a condition unless the operator is negated or ends in IfExists",
	}
	if len(e.Policies) != 1 {
		t.Fatalf("%d policies explained", len(e.Policies))
	}
	for _, s := range e.Policies[0].Statements {
		if s.Applies {
			t.Errorf("%s applies", s.Sid)
		}
		if s.Reason != want[s.Sid] {
			t.Errorf("%s:\n got  %s\n want %s", s.Sid, s.Reason, want[s.Sid])
		}
	}
	if e.Closest == nil || e.Closest.Sid != "WrongVpc" {
		t.Errorf("closest = %+v, want WrongVpc", e.Closest)
	}
}

func TestResultString(t *testing.T) {
	p := MustParse(`{"Version":"2012-10-17","Statement":{"Sid":"D","Effect":"Deny","Action":"*","Resource":"*"}}`, Options{Kind: KindIdentity, Name: "guard"})
	got := (&Set{Identity: []*Policy{p}}).Evaluate(&Request{Principal: mustPrincipal(t, "arn:aws:iam::111122223333:user/a"), Action: "s3:GetObject", Resource: "*"}).String()
	want := `ExplicitDeny: explicitly denied by Statement[0] (Sid "D") of identity-policy guard`
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestZeroValues checks the safe defaults: a zero Principal is anonymous
// and a zero Decision denies.
func TestZeroValues(t *testing.T) {
	var d Decision
	if d != ImplicitDeny {
		t.Error("zero Decision is not ImplicitDeny")
	}
	var p Principal
	if !p.IsAnonymous() {
		t.Error("zero Principal is not anonymous")
	}
	var s Set
	if got := s.Evaluate(&Request{Action: "s3:GetObject", Resource: "*"}); got.Decision != ImplicitDeny {
		t.Errorf("empty set: %v", got)
	}
	if e := s.Explain(&Request{}); e.Decision != ImplicitDeny {
		t.Errorf("empty set explained as %v", e.Decision)
	}
}
