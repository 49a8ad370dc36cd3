package identity

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/policy"
)

func TestAssumeRole(t *testing.T) {
	in := fixtureInput(t)
	// A role trusting bob only from one network, and a role of the partner
	// account trusting alice.
	in.Roles = append(in.Roles,
		Role{Account: "222222222222", Name: "fromnet", TrustPolicy: json.RawMessage(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/bob"},"Action":"sts:AssumeRole",
			 "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)},
		Role{Account: "222222222222", Name: "teamblue", TrustPolicy: json.RawMessage(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/bob"},"Action":"sts:AssumeRole",
			 "Condition":{"StringEquals":{"aws:PrincipalTag/Team":"blue"}}}]}`)},
		Role{Account: "333333333333", Name: "partner", TrustPolicy: json.RawMessage(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/eng/alice"},"Action":"sts:AssumeRole"}]}`)},
		Role{Account: "333333333333", Name: "partnerbob", TrustPolicy: json.RawMessage(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/bob"},"Action":"sts:AssumeRole"}]}`)},
	)
	expired := testSession()
	expired.AccessKeyID = "ASIAEXPIREDEXPIREDEX"
	expired.Issued, expired.Expires = t0.Add(-2*time.Hour), t0.Add(-time.Second)
	in.Sessions = []Session{{
		AccessKeyID: "ASIAFEDFEDFEDFEDFEDF", SecretAccessKey: strings.Repeat("s", 40), SessionToken: "tok",
		FederatedUser: "fed-1", AssumedBy: aliceARN, Issued: t0, Expires: t0.Add(time.Hour),
		Policy: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
	}, expired}
	d, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	bob := "arn:aws:iam::222222222222:user/bob"
	denied := func(who, action, role string) string {
		return "User: " + who + " is not authorized to perform: " + action + " on resource: " + role
	}
	bigPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":[` +
		strings.TrimSuffix(strings.Repeat(`"arn:aws:s3:::`+strings.Repeat("b", 40)+`/*",`, 32), ",") + `]}]}`

	tests := []struct {
		name    string
		key     string
		in      AssumeRoleInput
		reqCtx  map[string]string
		code    string
		status  int
		message string // the whole message when it starts with "=", else a substring
		check   func(t *testing.T, s Session)
	}{
		{name: "trust names the user", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1"},
			check: func(t *testing.T, s Session) {
				if !s.Expires.Equal(t0.Add(time.Hour)) || !s.Issued.Equal(t0) {
					t.Errorf("issued %v, expires %v", s.Issued, s.Expires)
				}
				if s.AssumedBy != aliceARN || s.SessionName != "s1" || s.RoleARN != appRole || s.MFA {
					t.Errorf("session %v", s)
				}
				if s.PrincipalARN() != "arn:aws:sts::222222222222:assumed-role/app/s1" || !strings.HasSuffix(s.AssumedRoleID(), ":s1") {
					t.Errorf("PrincipalARN %s, AssumedRoleID %s", s.PrincipalARN(), s.AssumedRoleID())
				}
			}},
		{name: "trust does not name the caller", key: bobKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1"},
			code: CodeAccessDenied, status: 403, message: "=" + denied(bob, "sts:AssumeRole", appRole)},
		{name: "unknown role is AccessDenied", key: aliceKey, in: AssumeRoleInput{RoleARN: "arn:aws:iam::222222222222:role/nope", RoleSessionName: "s1"},
			code: CodeAccessDenied, status: 403, message: "=" + denied(aliceARN, "sts:AssumeRole", "arn:aws:iam::222222222222:role/nope")},
		{name: "role ARN without its path", key: aliceKey, in: AssumeRoleInput{RoleARN: "arn:aws:iam::222222222222:role/app", RoleSessionName: "s1"},
			code: CodeAccessDenied, status: 403},
		{name: "no trust policy", key: aliceKey, in: AssumeRoleInput{RoleARN: "arn:aws:iam::222222222222:role/notrust", RoleSessionName: "s1"},
			code: CodeAccessDenied, status: 403},
		{name: "trust names the account, identity policy allows", key: aliceKey, in: AssumeRoleInput{RoleARN: acctRole, RoleSessionName: "s1"}},
		{name: "trust names the account, no identity policy", key: bobKey, in: AssumeRoleInput{RoleARN: acctRole, RoleSessionName: "s1"},
			code: CodeAccessDenied, status: 403, message: "=" + denied(bob, "sts:AssumeRole", acctRole)},
		{name: "cross-account with external ID", key: carolKey, in: AssumeRoleInput{RoleARN: xacctRole, RoleSessionName: "s1", ExternalID: "ext-123"}},
		{name: "cross-account without external ID", key: carolKey, in: AssumeRoleInput{RoleARN: xacctRole, RoleSessionName: "s1"},
			code: CodeAccessDenied, status: 403},
		{name: "cross-account with a wrong external ID", key: carolKey, in: AssumeRoleInput{RoleARN: xacctRole, RoleSessionName: "s1", ExternalID: "ext-124"},
			code: CodeAccessDenied, status: 403},
		{name: "cross-account, trust allows, identity policy does not", key: bobKey, in: AssumeRoleInput{RoleARN: "arn:aws:iam::333333333333:role/partnerbob", RoleSessionName: "s1"},
			code: CodeAccessDenied, status: 403},
		{name: "cross-account, both allow", key: aliceKey, in: AssumeRoleInput{RoleARN: "arn:aws:iam::333333333333:role/partner", RoleSessionName: "s1"}},
		{name: "identity policy alone is not enough", key: carolKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1"},
			code: CodeAccessDenied, status: 403},
		{name: "root user", key: rootKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1"},
			code: CodeAccessDenied, status: 403, message: "=Roles may not be assumed by root accounts."},
		{name: "federated user", key: "ASIAFEDFEDFEDFEDFEDF", in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1"},
			code: CodeAccessDenied, status: 403},
		{name: "expired caller", key: "ASIAEXPIREDEXPIREDEX", in: AssumeRoleInput{RoleARN: chainRole, RoleSessionName: "s1"},
			code: CodeExpiredToken, status: 403},
		{name: "boundary does not limit a trust policy naming the user", key: daveKey,
			in: AssumeRoleInput{RoleARN: "arn:aws:iam::222222222222:role/boundedtrust", RoleSessionName: "s1"}},
		{name: "boundary limits a trust policy naming the account", key: daveKey, in: AssumeRoleInput{RoleARN: acctRole, RoleSessionName: "s1"},
			code: CodeAccessDenied, status: 403},
		{name: "request context in the trust policy", key: bobKey, reqCtx: map[string]string{"aws:SourceIp": "10.1.2.3"},
			in: AssumeRoleInput{RoleARN: "arn:aws:iam::222222222222:role/fromnet", RoleSessionName: "s1"}},
		{name: "request context, other network", key: bobKey, reqCtx: map[string]string{"aws:SourceIp": "192.0.2.1"},
			in: AssumeRoleInput{RoleARN: "arn:aws:iam::222222222222:role/fromnet", RoleSessionName: "s1"}, code: CodeAccessDenied, status: 403},
		{name: "the request cannot set the principal's keys", key: bobKey, reqCtx: map[string]string{"aws:PrincipalTag/Team": "blue"},
			in: AssumeRoleInput{RoleARN: "arn:aws:iam::222222222222:role/teamblue", RoleSessionName: "s1"}, code: CodeAccessDenied, status: 403},

		// Validation, in AWS's format.
		{name: "session name too short", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "a"},
			code: CodeValidationError, status: 400,
			message: "=1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{name: "session name pattern", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "my session"},
			code: CodeValidationError, status: 400,
			message: `=1 validation error detected: Value 'my session' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{name: "two violations", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "!", DurationSeconds: 60},
			code: CodeValidationError, status: 400,
			message: `=3 validation errors detected: Value '!' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; ` +
				`Value '!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*; ` +
				`Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`},
		{name: "missing session name", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole},
			code: CodeValidationError, status: 400,
			message: "=1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"},
		{name: "short role ARN", key: aliceKey, in: AssumeRoleInput{RoleARN: "arn:aws:iam::1:r", RoleSessionName: "s1"},
			code: CodeValidationError, status: 400, message: "at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{name: "duration above the API maximum", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", DurationSeconds: 43201},
			code: CodeValidationError, status: 400, message: "Member must have value less than or equal to 43200"},
		{name: "duration above the role's maximum", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", DurationSeconds: 7201},
			code: CodeValidationError, status: 400, message: "=The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{name: "duration at the role's maximum", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", DurationSeconds: 7200},
			check: func(t *testing.T, s Session) {
				if !s.Expires.Equal(t0.Add(2 * time.Hour)) {
					t.Errorf("expires %v", s.Expires)
				}
			}},
		{name: "duration of an unauthorised caller", key: bobKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", DurationSeconds: 7201},
			code: CodeAccessDenied, status: 403}, // does not reveal the role's maximum
		{name: "external ID too short", key: carolKey, in: AssumeRoleInput{RoleARN: xacctRole, RoleSessionName: "s1", ExternalID: "x"},
			code: CodeValidationError, status: 400, message: "Value 'x' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{name: "token code is not echoed", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", SerialNumber: "arn:aws:iam::222222222222:mfa/alice", TokenCode: "12ab"},
			code: CodeValidationError, status: 400, message: "Value 'REDACTED' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*"},
		{name: "MFA parameters are accepted, not trusted", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", SerialNumber: "arn:aws:iam::222222222222:mfa/alice", TokenCode: "123456"},
			check: func(t *testing.T, s Session) {
				if s.MFA {
					t.Error("the session claims MFA")
				}
			}},

		// Session policies.
		{name: "session policy", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1",
			Policy:     `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
			PolicyARNs: []string{"arn:aws:iam::222222222222:policy/InvokeOnly"}},
			check: func(t *testing.T, s Session) {
				if s.PackedPolicySize < 1 || s.PackedPolicySize > 15 {
					t.Errorf("PackedPolicySize %d", s.PackedPolicySize)
				}
			}},
		{name: "malformed session policy", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", Policy: `{"Version":"2012-10-17","Statement":{"Effect":"Allow"`},
			code: CodeMalformedPolicyDocument, status: 400, message: "Syntax errors in policy."},
		{name: "session policy with a principal", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1",
			Policy: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`},
			code: CodeMalformedPolicyDocument, status: 400, message: "cannot name a Principal"},
		{name: "session policy too long", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", Policy: bigPolicy + strings.Repeat(" ", 2048)},
			code: CodeValidationError, status: 400, message: "at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{name: "packed policy too large", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", Policy: bigPolicy,
			PolicyARNs: []string{"arn:aws:iam::222222222222:policy/ReadOnly", "arn:aws:iam::222222222222:policy/AssumeAny"}},
			code: CodePackedPolicyTooLarge, status: 400, message: "% of allotted space, please use smaller policy."},
		{name: "unknown managed session policy", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", PolicyARNs: []string{"arn:aws:iam::222222222222:policy/Nope"}},
			code: CodeValidationError, status: 400, message: "=Policy arn:aws:iam::222222222222:policy/Nope does not exist or is not attachable."},
		{name: "managed session policy of another account", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", PolicyARNs: []string{"arn:aws:iam::333333333333:policy/AssumeCross"}},
			code: CodeValidationError, status: 400, message: "does not exist or is not attachable"},
		{name: "too many managed session policies", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", PolicyARNs: slices.Repeat([]string{"arn:aws:iam::222222222222:policy/ReadOnly"}, 11)},
			code: CodeValidationError, status: 400, message: "at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10"},

		// Session tags.
		{name: "tags", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", Tags: []Tag{{"TEAM", "green"}, {"cost", "7"}}, TransitiveTagKeys: []string{"Cost"}},
			check: func(t *testing.T, s Session) {
				if !reflect.DeepEqual(s.Tags, []Tag{{"TEAM", "green"}, {"cost", "7"}}) || !slices.Equal(s.TransitiveTagKeys, []string{"Cost"}) {
					t.Errorf("tags %v, transitive %v", s.Tags, s.TransitiveTagKeys)
				}
			}},
		{name: "tags need sts:TagSession", key: aliceKey, in: AssumeRoleInput{RoleARN: taggedRole, RoleSessionName: "s1", Tags: []Tag{{"a", "b"}}},
			code: CodeAccessDenied, status: 403, message: "=" + denied(aliceARN, "sts:TagSession", taggedRole)},
		{name: "duplicate tag keys", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", Tags: []Tag{{"a", "1"}, {"A", "2"}}},
			code: CodeInvalidParameterValue, status: 400, message: "=Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{name: "transitive key without tag", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", Tags: []Tag{{"a", "1"}}, TransitiveTagKeys: []string{"b"}},
			code: CodeInvalidParameterValue, status: 400, message: "=The specified transitive tag key must be included in the requested tags."},
		{name: "too many tags", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", Tags: manyTags(51)},
			code: CodeValidationError, status: 400, message: "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{name: "tag key too long", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", Tags: []Tag{{strings.Repeat("k", 129), "v"}}},
			code: CodeValidationError, status: 400, message: "at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{name: "tag value pattern", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", Tags: []Tag{{"k", "a;b"}}},
			code: CodeValidationError, status: 400, message: "Value 'a;b' at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{name: "reserved tag key", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", Tags: []Tag{{"aws:team", "x"}}},
			code: CodeInvalidParameterValue, status: 400},
		{name: "tag condition in the trust policy", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", Tags: []Tag{{"a", "b"}}}},

		// Source identity.
		{name: "source identity", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", SourceIdentity: "alice@example.com"},
			check: func(t *testing.T, s Session) {
				if s.SourceIdentity != "alice@example.com" {
					t.Errorf("source identity %q", s.SourceIdentity)
				}
			}},
		{name: "source identity needs sts:SetSourceIdentity", key: aliceKey, in: AssumeRoleInput{RoleARN: taggedRole, RoleSessionName: "s1", SourceIdentity: "alice"},
			code: CodeAccessDenied, status: 403, message: "=" + denied(aliceARN, "sts:SetSourceIdentity", taggedRole)},
		{name: "reserved source identity", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", SourceIdentity: "aws:me"},
			code: CodeValidationError, status: 400},
		{name: "source identity too short", key: aliceKey, in: AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1", SourceIdentity: "a"},
			code: CodeValidationError, status: 400, message: "at 'sourceIdentity' failed to satisfy constraint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reqCtx *policy.Context
			if tt.reqCtx != nil {
				reqCtx = policy.NewContext(len(tt.reqCtx))
				for k, v := range tt.reqCtx {
					reqCtx.Set(k, v)
				}
			}
			before := reqCtx.Len()
			s, err := d.AssumeRole(mustCaller(t, d, tt.key), reqCtx, tt.in, t0, rng(3))
			if reqCtx.Len() != before {
				t.Error("AssumeRole changed the request context")
			}
			if tt.code == "" {
				if err != nil {
					t.Fatalf("AssumeRole: %v", err)
				}
				nd, err := d.WithSessions(s)
				if err != nil {
					t.Fatalf("the session does not load: %v", err)
				}
				c := mustCaller(t, nd, s.AccessKeyID)
				if c.RoleARN() != tt.in.RoleARN || c.Principal().Session != tt.in.RoleSessionName {
					t.Errorf("new caller %v", c)
				}
				if tt.check != nil {
					tt.check(t, s)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error %s", err, err, tt.code)
			}
			if e.Code != tt.code || e.Status != tt.status {
				t.Errorf("%s %d, want %s %d: %s", e.Code, e.Status, tt.code, tt.status, e.Message)
			}
			if m, exact := strings.CutPrefix(tt.message, "="); exact && e.Message != m {
				t.Errorf("message\n got %q\nwant %q", e.Message, m)
			} else if !exact && !strings.Contains(e.Message, tt.message) {
				t.Errorf("message %q lacks %q", e.Message, tt.message)
			}
			if e.Error() != e.Code+": "+e.Message {
				t.Errorf("Error() = %q", e.Error())
			}
		})
	}
}

func manyTags(n int) []Tag {
	tags := make([]Tag, n)
	for i := range tags {
		tags[i] = Tag{Key: fmt.Sprintf("k%d", i), Value: "v"}
	}
	return tags
}

func TestAssumeRoleExplains(t *testing.T) {
	d := fixture(t)
	_, err := d.AssumeRole(mustCaller(t, d, bobKey), nil, AssumeRoleInput{RoleARN: acctRole, RoleSessionName: "s1"}, t0, rng(1))
	var e *Error
	if !errors.As(err, &e) || e.Action != ActionAssumeRole || e.Reason == "" || e.Status != http.StatusForbidden {
		t.Fatalf("error %#v", err)
	}
	if e.Result.Decision != policy.ImplicitDeny || e.Result.Type != policy.IdentityPolicy {
		t.Errorf("result %v, want an implicit deny by the identity policy (the trust policy names only the account)", e.Result)
	}
}

func TestRoleChaining(t *testing.T) {
	d := fixture(t)
	// alice assumes app with a transitive tag, a plain tag and a source identity.
	d, s1 := assume(t, d, aliceKey, AssumeRoleInput{RoleARN: appRole, RoleSessionName: "first",
		Tags: []Tag{{"Project", "y"}, {"Team", "green"}}, TransitiveTagKeys: []string{"project"}, SourceIdentity: "alice"})
	chain := func(in AssumeRoleInput) (Session, error) {
		in.RoleARN = chainRole
		return d.AssumeRole(mustCaller(t, d, s1.AccessKeyID), nil, in, t0.Add(time.Minute), rng(9))
	}
	code := func(err error) string {
		var e *Error
		if errors.As(err, &e) {
			return e.Code + ": " + e.Message
		}
		return fmt.Sprint(err)
	}

	// The chained role allows 12 hours, but role chaining allows one.
	if _, err := chain(AssumeRoleInput{RoleSessionName: "second", DurationSeconds: 3601}); code(err) !=
		"ValidationError: The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining." {
		t.Errorf("chained duration: %v", err)
	}
	// A transitive tag cannot be overridden, whatever its case.
	for _, k := range []string{"Project", "PROJECT"} {
		if _, err := chain(AssumeRoleInput{RoleSessionName: "second", Tags: []Tag{{k, "z"}}}); !strings.HasPrefix(code(err), "InvalidParameterValue:") {
			t.Errorf("overriding transitive tag %s: %v", k, err)
		}
	}
	// The source identity cannot change.
	if _, err := chain(AssumeRoleInput{RoleSessionName: "second", SourceIdentity: "mallory"}); !strings.HasPrefix(code(err), "AccessDenied: User: arn:aws:sts::222222222222:assumed-role/app/first is not authorized to perform: sts:SetSourceIdentity") {
		t.Errorf("changing the source identity: %v", code(err))
	}
	s2, err := chain(AssumeRoleInput{RoleSessionName: "second", SourceIdentity: "alice", Tags: []Tag{{"stage", "2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !s2.Expires.Equal(t0.Add(time.Minute + time.Hour)) {
		t.Errorf("chained session expires %v", s2.Expires)
	}
	if s2.AssumedBy != "arn:aws:sts::222222222222:assumed-role/app/first" || s2.SourceIdentity != "alice" {
		t.Errorf("chained session %v, assumed by %s", s2, s2.AssumedBy)
	}
	if !reflect.DeepEqual(s2.Tags, []Tag{{"Project", "y"}, {"stage", "2"}}) || !slices.Equal(s2.TransitiveTagKeys, []string{"Project"}) {
		t.Errorf("chained tags %v, transitive %v", s2.Tags, s2.TransitiveTagKeys)
	}
	d, err = d.WithSessions(s2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := contextOf(mustCaller(t, d, s2.AccessKeyID))
	if ctx["aws:SourceIdentity"] != "alice" || ctx["aws:PrincipalTag/Project"] != "y" || ctx["aws:PrincipalTag/stage"] != "2" {
		t.Errorf("chained context %v", ctx)
	}
	if _, ok := ctx["aws:PrincipalTag/Team"]; ok {
		t.Error("a non-transitive tag passed on")
	}
	// Without a new source identity the chain keeps the old one.
	s3, err := chain(AssumeRoleInput{RoleSessionName: "third"})
	if err != nil || s3.SourceIdentity != "alice" {
		t.Errorf("source identity kept: %q, %v", s3.SourceIdentity, err)
	}
}

func TestAssumeRoleRandomFailure(t *testing.T) {
	d := fixture(t)
	_, err := d.AssumeRole(mustCaller(t, d, aliceKey), nil, AssumeRoleInput{RoleARN: appRole, RoleSessionName: "s1"}, t0, strings.NewReader(""))
	if err == nil {
		t.Fatal("AssumeRole without randomness succeeded")
	}
}

func TestNewValidationError(t *testing.T) {
	e := NewValidationError(Violation{Member: "durationSeconds", Value: "x", Constraint: "Member must be a number"})
	if e.Code != CodeValidationError || e.Status != 400 ||
		e.Message != "1 validation error detected: Value 'x' at 'durationSeconds' failed to satisfy constraint: Member must be a number" {
		t.Errorf("%#v", e)
	}
}
