package identity

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/policy"
	"github.com/trellisproject/trellis/sigv4"
)

// Secrets of the fixture, which must never appear in errors or output.
var fixtureSecrets = []string{
	"aliceSecretaliceSecretaliceSecretaliceSe",
	"bobSecretbobSecretbobSecretbobSecretbobS",
	"rootSecretrootSecretrootSecretrootSecret",
}

func TestNewFixture(t *testing.T) {
	d := fixture(t)
	if got := len(d.keys); got != 6 {
		t.Errorf("%d keys, want 6", got)
	}
	if id, ok := d.UserID("arn:aws:iam::222222222222:user/bob"); !ok || id != "AIDABOBBOBBOBBOBBOBB" {
		t.Errorf("UserID(bob) = %q, %v", id, ok)
	}
	id, ok := d.RoleID(appRole)
	if !ok || !isPrefixedID(id, PrefixRole) {
		t.Errorf("RoleID(app) = %q, %v", id, ok)
	}
	// Derived IDs are stable from one build to the next.
	if id2, _ := fixture(t).RoleID(appRole); id2 != id {
		t.Errorf("derived role ID changed: %s, %s", id, id2)
	}
	if _, ok := d.RoleID("arn:aws:iam::222222222222:role/app"); ok {
		t.Error("RoleID found a role ARN without its path")
	}
}

func TestNewErrors(t *testing.T) {
	trust := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sts:AssumeRole"}]}`)
	tests := []struct {
		name   string
		mutate func(*Input)
		want   []string // substrings of the error
	}{
		{"bad organization ID", func(in *Input) { in.Organizations[0].ID = "o-short" },
			[]string{`organizations[0]: id: "o-short" is not an organization ID`}},
		{"bad root ID", func(in *Input) { in.Organizations[0].RootID = "root" },
			[]string{`organization o-exampleorg1: rootId: "root" is not a root ID`}},
		{"OU of another root", func(in *Input) { in.Organizations[0].OrganizationalUnits[0].ID = "ou-zz99-11111111" },
			[]string{`organizationalUnits[0].id: "ou-zz99-11111111" is not an OU ID of root r-ab12`}},
		{"unknown OU parent", func(in *Input) { in.Organizations[0].OrganizationalUnits[1].Parent = "ou-ab12-99999999" },
			[]string{`the parent "ou-ab12-99999999" of OU ou-ab12-22222222 is neither the root nor an OU`}},
		{"OU cycle", func(in *Input) { in.Organizations[0].OrganizationalUnits[0].Parent = "ou-ab12-22222222" },
			[]string{"is its own ancestor"}},
		{"management account elsewhere", func(in *Input) { in.Organizations[0].ManagementAccount = "333333333333" },
			[]string{"managementAccount: account 333333333333 is not an account of the organization"}},
		{"unknown SCP", func(in *Input) {
			in.Organizations[0].ServiceControlPolicies = []string{"arn:aws:iam::111111111111:policy/scp/Nope"}
		}, []string{`serviceControlPolicies[0]: unknown policy "arn:aws:iam::111111111111:policy/scp/Nope"`}},
		{"identity policy as SCP", func(in *Input) {
			in.Accounts[1].ServiceControlPolicies = []string{"arn:aws:iam::222222222222:policy/ReadOnly"}
		}, []string{"account 222222222222: serviceControlPolicies[0]: policy \"arn:aws:iam::222222222222:policy/ReadOnly\" is an identity policy"}},
		{"too many SCPs", func(in *Input) {
			in.Accounts[1].ServiceControlPolicies = slices.Repeat([]string{FullAWSAccessARN}, 6)
		}, []string{"6 service control policies are attached; at most 5"}},
		{"bad account ID", func(in *Input) { in.Accounts[2].ID = "3333" },
			[]string{`accounts[2]: id: "3333" is not a 12-digit account ID`}},
		{"duplicate account", func(in *Input) { in.Accounts = append(in.Accounts, Account{ID: "333333333333"}) },
			[]string{"account 333333333333: the account is declared twice"}},
		{"unknown organization", func(in *Input) { in.Accounts[2].Organization = "o-nosuchorg11" },
			[]string{`account 333333333333: organization: unknown organization "o-nosuchorg11"`}},
		{"parent without organization", func(in *Input) { in.Accounts[2].Parent = "r-ab12" },
			[]string{"account 333333333333: parent: a parent is set but no organization"}},
		{"unknown account parent", func(in *Input) { in.Accounts[1].Parent = "ou-ab12-99999999" },
			[]string{`account 222222222222: parent: "ou-ab12-99999999" is neither the root nor an OU`}},
		{"bad policy ARN", func(in *Input) { in.Policies[0].ARN = "arn:aws:iam::222222222222:role/x" },
			[]string{`policies[0]: arn: "arn:aws:iam::222222222222:role/x" is not a policy ARN`}},
		{"policy of an unknown kind", func(in *Input) { in.Policies[0].Kind = "boundary" },
			[]string{`policies[0]: kind: kind "boundary" is not "identity" or "service-control"`}},
		{"invalid policy", func(in *Input) {
			in.Policies[1].Document = json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}`)
		},
			[]string{`arn:aws:iam::222222222222:policy/boundaries/S3Only: document: invalid policy`, `Effect "allow" is not valid`}},
		{"principal in an identity policy", func(in *Input) {
			in.Policies[1].Document = json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`)
		}, []string{"an identity-based policy cannot name a Principal"}},
		{"policy too large", func(in *Input) {
			in.Policies[1].Document = json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::` + strings.Repeat("b", 6200) + `"}}`)
		}, []string{"the limit is 6144"}},
		{"missing document", func(in *Input) { in.Policies[1].Document = nil },
			[]string{"the policy document is missing"}},
		{"policy declared twice", func(in *Input) { in.Policies = append(in.Policies, in.Policies[0]) },
			[]string{"arn:aws:iam::222222222222:policy/AssumeAny: the policy is declared twice"}},
		{"user in an unknown account", func(in *Input) { in.Users[1].Account = "444444444444" },
			[]string{"users[1]: account: unknown account 444444444444"}},
		{"bad user name", func(in *Input) { in.Users[1].Name = "bo b" },
			[]string{`users[1]: name: "bo b" is not a valid name`}},
		{"bad path", func(in *Input) { in.Users[1].Path = "eng" },
			[]string{`users[1]: path: "eng" is not a valid path`}},
		{"user names compare without case", func(in *Input) { in.Users = append(in.Users, User{Account: "222222222222", Name: "BOB"}) },
			[]string{"arn:aws:iam::222222222222:user/BOB: name: user names compare without case: arn:aws:iam::222222222222:user/bob is already declared"}},
		{"bad user ID", func(in *Input) { in.Users[1].ID = "AIDA1234" },
			[]string{`arn:aws:iam::222222222222:user/bob: id: "AIDA1234" is not a user ID`}},
		{"unknown managed policy", func(in *Input) { in.Users[1].ManagedPolicies = []string{"arn:aws:iam::222222222222:policy/Nope"} },
			[]string{`arn:aws:iam::222222222222:user/bob: managedPolicies[0]: unknown policy "arn:aws:iam::222222222222:policy/Nope"`}},
		{"SCP attached to a user", func(in *Input) {
			in.Users[1].ManagedPolicies = []string{"arn:aws:iam::111111111111:policy/scp/DenyDeleteBucket"}
		}, []string{"is a service control policy; attach it to an organization, OU or account"}},
		{"unknown boundary", func(in *Input) { in.Users[1].PermissionsBoundary = "arn:aws:iam::222222222222:policy/Nope" },
			[]string{`permissionsBoundary: unknown policy`}},
		{"tag keys compare without case", func(in *Input) { in.Users[1].Tags = []Tag{{"team", "a"}, {"Team", "b"}} },
			[]string{`tags: tag keys "team" and "Team" are the same`}},
		{"reserved tag key", func(in *Input) { in.Users[1].Tags = []Tag{{"aws:team", "a"}} },
			[]string{`tag key "aws:team": the prefix aws: is reserved`}},
		{"bad tag character", func(in *Input) { in.Users[1].Tags = []Tag{{"team", "a;b"}} },
			[]string{`the value of tag "team" may contain only`}},
		{"duplicate inline policy", func(in *Input) {
			in.Roles[0].InlinePolicies = append(in.Roles[0].InlinePolicies, InlinePolicy{Name: "ASSUME", Document: in.Roles[0].InlinePolicies[0].Document})
		}, []string{`inlinePolicies[1].name: inline policy "ASSUME" is declared twice`}},
		{"user inline policies too large", func(in *Input) {
			in.Users[1].InlinePolicies = []InlinePolicy{{Name: "big", Document: json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::` + strings.Repeat("b", 2100) + `"}}`)}}
		}, []string{"the limit is 2048"}},
		{"role session duration", func(in *Input) { in.Roles[1].MaxSessionDuration = 100 },
			[]string{"arn:aws:iam::222222222222:role/acct: maxSessionDuration: 100 seconds is not between 3600 and 43200"}},
		{"trust policy without principal", func(in *Input) {
			in.Roles[1].TrustPolicy = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`)
		}, []string{"trustPolicy: Statement[0]: a trust policy statement needs a Principal"}},
		{"trust policy with resource", func(in *Input) {
			in.Roles[1].TrustPolicy = json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}`)
		}, []string{"trustPolicy: Statement[0]: a trust policy has no Resource element"}},
		{"trust policy not JSON", func(in *Input) { in.Roles[1].TrustPolicy = json.RawMessage(`"{not json"`) },
			[]string{"arn:aws:iam::222222222222:role/acct: trustPolicy: invalid policy"}},
		{"role names compare without case", func(in *Input) {
			in.Roles = append(in.Roles, Role{Account: "222222222222", Name: "Acct", TrustPolicy: trust})
		},
			[]string{"role names compare without case"}},
		{"bad access key ID", func(in *Input) { in.AccessKeys[0].ID = "AKIA0000" },
			[]string{`accessKeys[0]: id: "AKIA0000" is not an access key ID`}},
		{"bad secret", func(in *Input) { in.AccessKeys[1].Secret = "short-secret-value" },
			[]string{"access key AKIABOBBOBBOBBOBBOBB: secret: the secret is not 40 characters"}},
		{"unknown key owner", func(in *Input) { in.AccessKeys[0].User = "arn:aws:iam::222222222222:user/alice" },
			[]string{`access key AKIAALICEALICEALICEA: user: unknown user "arn:aws:iam::222222222222:user/alice" (give the user's ARN, with its path`}},
		{"third key", func(in *Input) {
			in.AccessKeys = append(in.AccessKeys, AccessKey{ID: "AKIAB2B2B2B2B2B2B2B2", Secret: strings.Repeat("x", 40), User: "arn:aws:iam::222222222222:user/bob"})
		}, []string{"has more than 2 access keys"}},
		{"bad status", func(in *Input) { in.AccessKeys[0].Status = "Disabled" },
			[]string{`status: status "Disabled" is not "Active" or "Inactive"`}},
		{"duplicate key", func(in *Input) { in.AccessKeys = append(in.AccessKeys, in.AccessKeys[0]) },
			[]string{"access key AKIAALICEALICEALICEA: the access key is declared twice"}},
		{"bad session key", func(in *Input) {
			in.Sessions = []Session{{AccessKeyID: "AKIAALICEALICEALICEA", RoleARN: appRole}}
		}, []string{`sessions[0]: accessKeyId: "AKIAALICEALICEALICEA" is not a temporary access key ID`}},
		{"session without token", func(in *Input) {
			s := testSession()
			s.SessionToken = ""
			in.Sessions = []Session{s}
		}, []string{"session ASIAAAAAAAAAAAAAAAAA: sessionToken: the session token is missing"}},
		{"session without expiry", func(in *Input) {
			s := testSession()
			s.Expires = time.Time{}
			in.Sessions = []Session{s}
		}, []string{"a session needs an issue time and a later expiry"}},
		{"session both kinds", func(in *Input) {
			s := testSession()
			s.FederatedUser = "fed"
			in.Sessions = []Session{s}
		}, []string{"not both"}},
		{"transitive key without tag", func(in *Input) {
			s := testSession()
			s.TransitiveTagKeys = []string{"nope"}
			in.Sessions = []Session{s}
		}, []string{`transitiveTagKeys[0]: "nope" is not the key of a session tag`}},
		{"session with a bad policy", func(in *Input) {
			s := testSession()
			s.Policy = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*"}}`
			in.Sessions = []Session{s}
		}, []string{"policy: invalid policy session policy", "no Resource"}},
		{"federated session without policy", func(in *Input) {
			in.Sessions = []Session{{AccessKeyID: "ASIAFEDFEDFEDFEDFEDF", SecretAccessKey: strings.Repeat("s", 40), SessionToken: "tok",
				FederatedUser: "fed", AssumedBy: aliceARN, Issued: t0, Expires: t0.Add(time.Hour)}}
		}, []string{"a federated-user session needs a session policy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fixtureInput(t)
			tt.mutate(&in)
			_, err := New(in)
			if err == nil {
				t.Fatal("New succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("no *InputError in %T", err)
			}
			for _, s := range append(fixtureSecrets, "short-secret-value") {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error shows a secret: %v", err)
				}
			}
		})
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	in := fixtureInput(t)
	in.Users[1].Name = "bo b"
	in.Roles[1].MaxSessionDuration = 1
	in.AccessKeys[0].Status = "x"
	_, err := New(in)
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %T does not join", err)
	}
	// The bad user also makes its access key's owner unknown.
	if n := len(joined.Unwrap()); n < 3 {
		t.Errorf("%d problems reported, want at least 3: %v", n, err)
	}
	var pe *policy.ValidationError
	in = fixtureInput(t)
	in.Policies[0].Document = json.RawMessage(`{"Statement":[]}`)
	if _, err := New(in); !errors.As(err, &pe) {
		t.Errorf("invalid policy: %v does not wrap a *policy.ValidationError", err)
	}
}

// testSession is a valid role session of the fixture's app role.
func testSession() Session {
	return Session{
		AccessKeyID: "ASIAAAAAAAAAAAAAAAAA", SecretAccessKey: "sessionSecretsessionSecretsessionSecret0", SessionToken: "token-of-the-test-session",
		RoleARN: appRole, SessionName: "test", Issued: t0, Expires: t0.Add(time.Hour),
		Tags: []Tag{{"Team", "green"}, {"cost", "1"}}, TransitiveTagKeys: []string{"cost"}, SourceIdentity: "alice",
		MFA: true, AssumedBy: aliceARN,
	}
}

func TestLookup(t *testing.T) {
	in := fixtureInput(t)
	s := testSession()
	expired := testSession()
	expired.AccessKeyID = "ASIAEXPIREDEXPIREDEX"
	expired.Issued, expired.Expires = t0.Add(-2*time.Hour), t0.Add(-time.Hour)
	in.Sessions = []Session{s, expired}
	d, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		want sigv4.Credential
		ok   bool
	}{
		{aliceKey, sigv4.Credential{SecretAccessKey: fixtureSecrets[0]}, true},
		{rootKey, sigv4.Credential{SecretAccessKey: fixtureSecrets[2]}, true},
		{erinKey, sigv4.Credential{}, false}, // inactive
		{"AKIAUNKNOWNUNKNOWNUN", sigv4.Credential{}, false},
		{"", sigv4.Credential{}, false},
		{s.AccessKeyID, sigv4.Credential{SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken, Expires: s.Expires}, true},
		{expired.AccessKeyID, sigv4.Credential{SecretAccessKey: expired.SecretAccessKey, SessionToken: expired.SessionToken, Expires: expired.Expires}, true},
	}
	for _, tt := range tests {
		got, ok := d.Lookup(tt.key)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tt.key, got, ok, tt.want, tt.ok)
		}
		if _, ok := d.Caller(tt.key); ok != tt.ok {
			t.Errorf("Caller(%q) found = %v, want %v", tt.key, ok, tt.ok)
		}
	}
	var _ sigv4.CredentialStore = d
}

// contextOf returns the keys a caller adds, as a map (multivalued keys
// joined with "|").
func contextOf(c *Caller) map[string]string {
	ctx := policy.NewContext(0)
	c.AddContext(ctx)
	m := map[string]string{}
	for k, vs := range ctx.All() {
		m[k] = strings.Join(vs, "|")
	}
	return m
}

func TestCallerContext(t *testing.T) {
	in := fixtureInput(t)
	in.Sessions = []Session{testSession(), {
		AccessKeyID: "ASIAFEDFEDFEDFEDFEDF", SecretAccessKey: strings.Repeat("s", 40), SessionToken: "tok",
		FederatedUser: "fed-1", AssumedBy: aliceARN, Issued: t0, Expires: t0.Add(time.Hour),
		Policy: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
		Tags:   []Tag{{"team", "fed"}},
	}}
	d, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	appID, _ := d.RoleID(appRole)
	aliceID, _ := d.UserID(aliceARN)
	orgPath := "o-exampleorg1/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"
	tests := []struct {
		key  string
		want map[string]string
		arn  string
		typ  policy.PrincipalType
	}{
		{aliceKey, map[string]string{
			"aws:PrincipalArn": aliceARN, "aws:PrincipalAccount": "222222222222", "aws:PrincipalType": "User",
			"aws:userid": aliceID, "aws:username": "alice", "aws:PrincipalOrgID": "o-exampleorg1",
			"aws:PrincipalOrgPaths": orgPath, "aws:PrincipalTag/Team": "blue", "aws:PrincipalTag/Project": "x",
			"aws:PrincipalIsAWSService": "false",
		}, aliceARN, policy.User},
		{rootKey, map[string]string{
			"aws:PrincipalArn": "arn:aws:iam::222222222222:root", "aws:PrincipalAccount": "222222222222", "aws:PrincipalType": "Account",
			"aws:userid": "222222222222", "aws:PrincipalOrgID": "o-exampleorg1", "aws:PrincipalOrgPaths": orgPath,
			"aws:PrincipalIsAWSService": "false",
		}, "arn:aws:iam::222222222222:root", policy.Account},
		{carolKey, map[string]string{ // a standalone account: no organization keys
			"aws:PrincipalArn": "arn:aws:iam::333333333333:user/carol", "aws:PrincipalAccount": "333333333333", "aws:PrincipalType": "User",
			"aws:userid": derivedID(PrefixUser, "333333333333", "user", "carol"), "aws:username": "carol",
			"aws:PrincipalIsAWSService": "false",
		}, "arn:aws:iam::333333333333:user/carol", policy.User},
		{"ASIAAAAAAAAAAAAAAAAA", map[string]string{
			"aws:PrincipalArn": appRole, "aws:PrincipalAccount": "222222222222", "aws:PrincipalType": "AssumedRole",
			"aws:userid": appID + ":test", "aws:PrincipalOrgID": "o-exampleorg1", "aws:PrincipalOrgPaths": orgPath,
			// The session's Team tag replaces the role's team tag.
			"aws:PrincipalTag/Team": "green", "aws:PrincipalTag/cost": "1", "aws:PrincipalTag/Env": "prod",
			"aws:MultiFactorAuthPresent": "true", "aws:TokenIssueTime": "2025-06-01T12:00:00Z", "aws:SourceIdentity": "alice",
			"aws:PrincipalIsAWSService": "false",
		}, "arn:aws:sts::222222222222:assumed-role/app/test", policy.AssumedRole},
		{"ASIAFEDFEDFEDFEDFEDF", map[string]string{
			"aws:PrincipalArn": "arn:aws:sts::222222222222:federated-user/fed-1", "aws:PrincipalAccount": "222222222222",
			"aws:PrincipalType": "FederatedUser", "aws:userid": "222222222222:fed-1", "aws:PrincipalOrgID": "o-exampleorg1",
			"aws:PrincipalOrgPaths": orgPath, "aws:PrincipalTag/team": "fed", "aws:PrincipalTag/Project": "x",
			"aws:MultiFactorAuthPresent": "false", "aws:TokenIssueTime": "2025-06-01T12:00:00Z",
			"aws:PrincipalIsAWSService": "false",
		}, "arn:aws:sts::222222222222:federated-user/fed-1", policy.FederatedUser},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			c := mustCaller(t, d, tt.key)
			if got := contextOf(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("context:\n got %v\nwant %v", got, tt.want)
			}
			if c.ContextLen() != len(tt.want) {
				t.Errorf("ContextLen = %d, want %d", c.ContextLen(), len(tt.want))
			}
			p := c.Principal()
			if p.ARN != tt.arn || p.Type != tt.typ || c.ARN() != tt.arn || c.AccessKeyID() != tt.key {
				t.Errorf("principal %+v", p)
			}
		})
	}
	s := mustCaller(t, d, "ASIAAAAAAAAAAAAAAAAA")
	if s.RoleARN() != appRole || s.AssumedRoleID() != appID+":test" || !s.Temporary() || !s.MFA() || s.SourceIdentity() != "alice" ||
		!s.TokenIssueTime().Equal(t0) || !s.Expires().Equal(t0.Add(time.Hour)) || s.OrgID() != "o-exampleorg1" {
		t.Errorf("session caller accessors: %v", s)
	}
	if got := s.TransitiveTags(); !reflect.DeepEqual(got, []Tag{{"cost", "1"}}) {
		t.Errorf("TransitiveTags = %v", got)
	}
	// Tags are sorted by key without case.
	if got := s.Tags(); !reflect.DeepEqual(got, []Tag{{"cost", "1"}, {"Env", "prod"}, {"Team", "green"}}) {
		t.Errorf("Tags = %v", got)
	}
	a := mustCaller(t, d, aliceKey)
	if a.Username() != "alice" || a.RoleARN() != "" || a.AssumedRoleID() != "" || a.Temporary() || !slices.Equal(a.OrgPaths(), []string{orgPath}) {
		t.Errorf("user caller accessors: %v", a)
	}
	ctx := policy.NewContext(0)
	AddAnonymousContext(ctx)
	if v, _, _ := ctx.Get("aws:PrincipalType"); !slices.Equal(v, []string{"Anonymous"}) {
		t.Errorf("anonymous aws:PrincipalType = %v", v)
	}
}

func TestAddContextKeepsEarlierKeys(t *testing.T) {
	// A context built with AddContext first cannot have the principal's
	// keys overridden by keys added later with Add.
	c := mustCaller(t, fixture(t), aliceKey)
	ctx := policy.NewContext(16)
	c.AddContext(ctx)
	ctx.Add("aws:PrincipalArn", appRole)
	if v, _, _ := ctx.Get("aws:PrincipalArn"); v[0] != aliceARN {
		t.Errorf("aws:PrincipalArn = %v", v)
	}
}

func TestZeroAllocs(t *testing.T) {
	in := fixtureInput(t)
	in.Sessions = []Session{testSession()}
	d, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx := policy.NewContext(32)
	for _, key := range []string{aliceKey, rootKey, "ASIAAAAAAAAAAAAAAAAA"} {
		allocs := testing.AllocsPerRun(200, func() {
			ctx.Reset()
			if _, ok := d.Lookup(key); !ok {
				t.Fatal("lookup")
			}
			c, _ := d.Caller(key)
			c.AddContext(ctx)
			set := c.PolicySet()
			r := policy.Request{Principal: c.Principal(), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: "222222222222", Context: ctx}
			_ = set.Evaluate(&r)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per request, want 0", key, allocs)
		}
	}
}

func TestPolicySet(t *testing.T) {
	in := fixtureInput(t)
	in.AccessKeys = append(in.AccessKeys, AccessKey{ID: "AKIAMGMTMGMTMGMTMGMT", Secret: strings.Repeat("m", 40), User: "arn:aws:iam::111111111111:root"})
	s := testSession()
	s.Policy = `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	s.PolicyARNs = []string{"arn:aws:iam::222222222222:policy/InvokeOnly"}
	in.Sessions = []Session{s}
	d, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	eval := func(key, action string) policy.Result {
		c := mustCaller(t, d, key)
		ctx := policy.NewContext(16)
		c.AddContext(ctx)
		set := c.PolicySet()
		r := policy.Request{Principal: c.Principal(), Action: action, Resource: "arn:aws:s3:::bucket", ResourceAccount: c.Account(), Context: ctx}
		return set.Evaluate(&r)
	}
	tests := []struct {
		key, action string
		decision    policy.Decision
		typ         policy.PolicyType
	}{
		{aliceKey, "s3:GetObject", policy.Allow, policy.IdentityPolicy},
		{aliceKey, "s3:PutObject", policy.ImplicitDeny, policy.IdentityPolicy},
		// The Prod OU's SCP denies DeleteBucket, even to the root user.
		{aliceKey, "s3:DeleteBucket", policy.ExplicitDeny, policy.ServiceControlPolicy},
		{rootKey, "s3:DeleteBucket", policy.ExplicitDeny, policy.ServiceControlPolicy},
		{rootKey, "s3:PutObject", policy.Allow, policy.IdentityPolicy},
		// SCPs do not apply to the management account.
		{"AKIAMGMTMGMTMGMTMGMT", "s3:DeleteBucket", policy.Allow, policy.IdentityPolicy},
		// dave's boundary allows only s3; his identity policy only sts.
		{daveKey, "s3:GetObject", policy.ImplicitDeny, policy.IdentityPolicy},
		{daveKey, "sts:AssumeRole", policy.ImplicitDeny, policy.PermissionsBoundary},
		// The session policies (inline s3:GetObject, managed Invoke) cap the
		// role's ReadOnly policy: their union applies.
		{s.AccessKeyID, "s3:GetObject", policy.Allow, policy.IdentityPolicy},
		{s.AccessKeyID, "vpc-lattice-svcs:Invoke", policy.Allow, policy.IdentityPolicy},
		{s.AccessKeyID, "s3:GetBucketPolicy", policy.ImplicitDeny, policy.SessionPolicy},
	}
	for _, tt := range tests {
		r := eval(tt.key, tt.action)
		if r.Decision != tt.decision || r.Type != tt.typ {
			t.Errorf("%s %s: %v (%v), want %v (%v)", tt.key, tt.action, r.Decision, r.Type, tt.decision, tt.typ)
		}
	}
	set := mustCaller(t, d, aliceKey).PolicySet()
	if len(set.ServiceControl) != 1 || set.ServiceControl[0].Target != "ou-ab12-11111111" {
		t.Errorf("alice's SCP levels: %+v (only the Prod OU has more than FullAWSAccess)", set.ServiceControl)
	}
	if !mustCaller(t, d, daveKey).Principal().HasPermissionsBoundary {
		t.Error("dave's principal does not say it has a permissions boundary")
	}
	sess := mustCaller(t, d, s.AccessKeyID).PolicySet().Session
	if sess == nil || sess.NumStatements() != 2 || !strings.Contains(sess.Name(), "InvokeOnly") {
		t.Errorf("merged session policy: %v", sess)
	}
	// Both policies have a statement "Read": the merged one renames the second.
	if sess.Statement(0).Sid == sess.Statement(1).Sid {
		t.Errorf("merged Sids %q and %q", sess.Statement(0).Sid, sess.Statement(1).Sid)
	}
}

func TestDroppedSessions(t *testing.T) {
	in := fixtureInput(t)
	gone := testSession()
	gone.AccessKeyID = "ASIAGONEGONEGONEGONE"
	gone.RoleARN = "arn:aws:iam::222222222222:role/deleted"
	recreated := testSession()
	recreated.AccessKeyID = "ASIARECREATEDRECREAT"
	recreated.RoleID = "AROAAAAAAAAAAAAAAAAA"
	in.Sessions = []Session{testSession(), gone, recreated}
	d, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Dropped(); !slices.Equal(got, []string{gone.AccessKeyID, recreated.AccessKeyID}) {
		t.Errorf("Dropped = %v", got)
	}
	for _, k := range d.Dropped() {
		if _, ok := d.Lookup(k); ok {
			t.Errorf("dropped session %s is still known", k)
		}
	}
	if _, ok := d.Lookup("ASIAAAAAAAAAAAAAAAAA"); !ok {
		t.Error("the valid session is unknown")
	}
}

func TestWithSessions(t *testing.T) {
	d := fixture(t)
	s := testSession()
	d2, err := d.WithSessions(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Lookup(s.AccessKeyID); ok {
		t.Error("WithSessions changed the receiver")
	}
	if _, ok := d2.Lookup(s.AccessKeyID); !ok {
		t.Error("the new directory does not know the session")
	}
	if _, ok := d2.Lookup(aliceKey); !ok {
		t.Error("the new directory forgot alice")
	}
	if _, err := d2.WithSessions(s); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("adding a session twice: %v", err)
	}
}

func TestRedaction(t *testing.T) {
	k := AccessKey{ID: aliceKey, Secret: fixtureSecrets[0], User: aliceARN}
	s := testSession()
	c := Credentials{AccessKeyID: "ASIAAAAAAAAAAAAAAAAA", SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken}
	for _, v := range []any{k, &k, s, &s, c, []AccessKey{k}, Input{AccessKeys: []AccessKey{k}, Sessions: []Session{s}}} {
		for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(f, v)
			for _, secret := range []string{k.Secret, s.SecretAccessKey, s.SessionToken} {
				if strings.Contains(out, secret) {
					t.Errorf("%s of %T shows a secret: %s", f, v, out)
				}
			}
		}
	}
	if !strings.Contains(k.String(), aliceKey) || !strings.Contains(s.String(), s.AccessKeyID) {
		t.Error("String hides the key ID, which is not secret")
	}
}

func TestNewKeys(t *testing.T) {
	k, err := NewAccessKey(rng(1), aliceARN, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !isPrefixedID(k.ID, PrefixAccessKey) || !isSecret(k.Secret) || k.Status != StatusActive || k.User != aliceARN || !k.Created.Equal(t0) {
		t.Errorf("NewAccessKey = %#v", k)
	}
	c, err := NewSessionCredentials(rng(2))
	if err != nil {
		t.Fatal(err)
	}
	if !isPrefixedID(c.AccessKeyID, PrefixTemporaryKey) || !isSecret(c.SecretAccessKey) || len(c.SessionToken) != 128 {
		t.Errorf("NewSessionCredentials = %v (token %d characters)", c, len(c.SessionToken))
	}
	// A new key works in a Directory.
	in := fixtureInput(t)
	in.AccessKeys = append(in.AccessKeys[:1], k)
	d, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	if cred, ok := d.Lookup(k.ID); !ok || cred.SecretAccessKey != k.Secret {
		t.Error("the new key is unknown")
	}
	if _, err := NewAccessKey(strings.NewReader("short"), aliceARN, t0); err == nil {
		t.Error("NewAccessKey with too few random bytes succeeded")
	}
}

func TestInputJSON(t *testing.T) {
	// The JSON names are camelCase and round-trip.
	in := fixtureInput(t)
	in.Sessions = []Session{testSession()}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{`"accessKeys"`, `"rootId"`, `"organizationalUnits"`, `"managedPolicies"`, `"trustPolicy"`,
		`"maxSessionDuration"`, `"permissionsBoundary"`, `"transitiveTagKeys"`, `"sourceIdentity"`, `"sessionToken"`, `"assumedBy"`} {
		if !strings.Contains(string(b), name) {
			t.Errorf("JSON lacks %s", name)
		}
	}
	var back Input
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if _, err := New(back); err != nil {
		t.Errorf("round-tripped input: %v", err)
	}
}

func TestIDs(t *testing.T) {
	for _, tt := range []struct {
		s, prefix string
		ok        bool
	}{
		{"AKIAALICEALICEALICEA", "AKIA", true},
		{"AKIAalicealicealicea", "AKIA", false},
		{"AKIAALICEALICEALICE1", "AKIA", false}, // 1 is not base32
		{"AKIAALICEALICEALICE", "AKIA", false},
		{"ASIAALICEALICEALICEA", "AKIA", false},
	} {
		if got := isPrefixedID(tt.s, tt.prefix); got != tt.ok {
			t.Errorf("isPrefixedID(%q, %q) = %v", tt.s, tt.prefix, got)
		}
	}
	for _, tt := range []struct {
		id, root string
		ok       bool
	}{
		{"ou-ab12-11111111", "r-ab12", true},
		{"ou-ab12-1111111", "r-ab12", false},
		{"ou-ab13-11111111", "r-ab12", false},
		{"ou-ab12-1111111A", "r-ab12", false},
	} {
		if got := isOUID(tt.id, tt.root); got != tt.ok {
			t.Errorf("isOUID(%q, %q) = %v", tt.id, tt.root, got)
		}
	}
	for _, p := range []string{"/", "/a/", "/a/b/"} {
		if !isPath(p) {
			t.Errorf("isPath(%q) = false", p)
		}
	}
	for _, p := range []string{"", "a", "/a", "a/", "//", "/a b/"} {
		if isPath(p) {
			t.Errorf("isPath(%q) = true", p)
		}
	}
}
