package controlplane_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"

	"github.com/trellisproject/trellis/controlplane"
	iddir "github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/sigv4"
	"github.com/trellisproject/trellis/snapshot"
	"github.com/trellisproject/trellis/store"
)

// The identities of the STS tests. Account stsAcct holds alice (who may
// assume roles and manage VPC Lattice), bob (no policies) and the roles;
// account stsPartner holds carol, who may assume the partner role with an
// external ID.
const (
	stsAcct    = "123456789012"
	stsPartner = "210987654321"

	aliceKey    = "AKIAALICE234567ABCDE"
	aliceSecret = "aliceSECRETaliceSECRETaliceSECRETalice/+"
	bobKey      = "AKIABOB2345672345672"
	bobSecret   = "bobSECRETbobSECRETbobSECRETbobSECRETbob1"
	carolKey    = "AKIACAROL234567ABCDE"
	carolSecret = "carolSECRETcarolSECRETcarolSECRETcarolSE"

	aliceARN     = "arn:aws:iam::123456789012:user/alice"
	appRoleARN   = "arn:aws:iam::123456789012:role/svc/app"
	chainRoleARN = "arn:aws:iam::123456789012:role/chained"
	plainRoleARN = "arn:aws:iam::123456789012:role/plain"
	partnerARN   = "arn:aws:iam::123456789012:role/partner"
	listOnlyARN  = "arn:aws:iam::123456789012:policy/ListOnly"
)

// listOnlySession is a session policy that allows only listing.
const listOnlySession = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"vpc-lattice:List*","Resource":"*"}]}`

const stsFixture = `{
  "accounts": [{"id": "123456789012", "name": "main"}, {"id": "210987654321", "name": "partner"}],
  "policies": [
    {"arn": "arn:aws:iam::123456789012:policy/ListOnly", "document": ` + listOnlySession + `},
    {"arn": "arn:aws:iam::210987654321:policy/AssumeRoles", "document": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::123456789012:role/*"}]}}
  ],
  "users": [
    {"account": "123456789012", "name": "alice", "inlinePolicies": [{"name": "work", "document": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity", "vpc-lattice:*"], "Resource": "*"}]}}]},
    {"account": "123456789012", "name": "bob"},
    {"account": "210987654321", "name": "carol", "managedPolicies": ["arn:aws:iam::210987654321:policy/AssumeRoles"]}
  ],
  "roles": [
    {"account": "123456789012", "name": "app", "path": "/svc/", "maxSessionDuration": 7200,
     "inlinePolicies": [{"name": "work", "document": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Action": ["vpc-lattice:*", "sts:AssumeRole"], "Resource": "*"}]}}],
     "trustPolicy": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]}},
    {"account": "123456789012", "name": "chained", "maxSessionDuration": 43200,
     "trustPolicy": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/svc/app"}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]}},
    {"account": "123456789012", "name": "plain",
     "trustPolicy": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"}, "Action": "sts:AssumeRole"}]}},
    {"account": "123456789012", "name": "partner",
     "trustPolicy": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "ext-123"}}}]}}
  ],
  "accessKeys": [
    {"id": "AKIAALICE234567ABCDE", "secret": "aliceSECRETaliceSECRETaliceSECRETalice/+", "user": "arn:aws:iam::123456789012:user/alice"},
    {"id": "AKIABOB2345672345672", "secret": "bobSECRETbobSECRETbobSECRETbobSECRETbob1", "user": "arn:aws:iam::123456789012:user/bob"},
    {"id": "AKIACAROL234567ABCDE", "secret": "carolSECRETcarolSECRETcarolSECRETcarolSE", "user": "arn:aws:iam::210987654321:user/carol"}
  ]
}`

// stsEnv is a whole control plane (STS, VPC Lattice, native API) over a
// SQLite store, served on 127.0.0.1, with the identities of stsFixture.
type stsEnv struct {
	t     testing.TB
	srv   *httptest.Server
	store *store.SQLite
	snaps *snapshot.Manager
	logMu sync.Mutex
	log   bytes.Buffer
}

// Write lets the env collect the server's log, to check it for secrets.
func (e *stsEnv) Write(p []byte) (int, error) {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.log.Write(p)
}

func (e *stsEnv) logText() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.log.String()
}

func newSTSEnv(t testing.TB) *stsEnv {
	t.Helper()
	c := context.Background()
	st, err := store.OpenSQLite(c, t.TempDir(), store.Options{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	var in iddir.Input
	if err := json.Unmarshal([]byte(stsFixture), &in); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(c, func(tx store.Tx) error { return snapshot.WriteDeclared(tx, in, 0) }); err != nil {
		t.Fatal(err)
	}
	snaps, err := snapshot.NewManager(c, st, snapshot.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(c)
	go snaps.Run(runCtx)
	e := &stsEnv{t: t, store: st, snaps: snaps}
	h, err := controlplane.NewServer(controlplane.ServerConfig{Store: st, Snapshots: snaps, Region: testRegion,
		Logger: slog.New(slog.NewTextHandler(e, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(func() {
		e.srv.Close()
		cancel()
		st.Close()
	})
	return e
}

// static returns a credentials provider for fixed credentials.
func static(key, secret, token string) aws.CredentialsProviderFunc {
	return func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token, Source: "test"}, nil
	}
}

// sts returns an STS client of the SDK pointed at the server.
func (e *stsEnv) sts(creds aws.CredentialsProvider) *sts.Client {
	return sts.New(sts.Options{BaseEndpoint: aws.String(e.srv.URL), Region: testRegion, Credentials: creds,
		HTTPClient: e.srv.Client(), RetryMaxAttempts: 1})
}

// lattice returns a VPC Lattice client of the SDK pointed at the server.
func (e *stsEnv) lattice(creds aws.CredentialsProvider) *vpclattice.Client {
	return vpclattice.New(vpclattice.Options{BaseEndpoint: aws.String(e.srv.URL), Region: testRegion, Credentials: creds,
		HTTPClient: e.srv.Client(), RetryMaxAttempts: 1})
}

// sessionCreds returns a provider for the credentials AssumeRole returned.
func sessionCreds(out *sts.AssumeRoleOutput) aws.CredentialsProviderFunc {
	c := out.Credentials
	return static(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

func TestSTSGetCallerIdentity(t *testing.T) {
	e := newSTSEnv(t)
	assumed, err := e.sts(static(aliceKey, aliceSecret, "")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("gci")})
	if err != nil {
		t.Fatal(err)
	}
	d := e.snaps.Current().Identity
	roleID, _ := d.RoleID(appRoleARN)
	aliceID, _ := d.UserID(aliceARN)
	carolID, _ := d.UserID("arn:aws:iam::210987654321:user/carol")
	tests := []struct {
		name                             string
		creds                            aws.CredentialsProvider
		wantARN, wantUserID, wantAccount string
	}{
		{"user", static(aliceKey, aliceSecret, ""), aliceARN, aliceID, stsAcct},
		{"user of another account", static(carolKey, carolSecret, ""), "arn:aws:iam::210987654321:user/carol", carolID, stsPartner},
		// The assumed-role ARN has the role's name without its path.
		{"role session", sessionCreds(assumed), "arn:aws:sts::123456789012:assumed-role/app/gci", roleID + ":gci", stsAcct},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.sts(tt.creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			got := [3]string{aws.ToString(out.Arn), aws.ToString(out.UserId), aws.ToString(out.Account)}
			if want := [3]string{tt.wantARN, tt.wantUserID, tt.wantAccount}; got != want || tt.wantUserID == "" {
				t.Errorf("Arn, UserId, Account = %q, want %q", got, want)
			}
		})
	}
}

func TestSTSAssumeRole(t *testing.T) {
	defer caught(t)
	e := newSTSEnv(t)
	alice, bob, carol := static(aliceKey, aliceSecret, ""), static(bobKey, bobSecret, ""), static(carolKey, carolSecret, "")
	denied := func(who, action, role string) string {
		return "User: " + who + " is not authorized to perform: " + action + " on resource: " + role
	}
	// A session of the app role tagged team=blue, for role chaining.
	blue := must(e.sts(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("blue"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}, TransitiveTagKeys: []string{"team"},
		SourceIdentity: aws.String("alice")}))
	red := must(e.sts(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("red"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}))

	tests := []struct {
		name    string
		creds   aws.CredentialsProvider
		in      sts.AssumeRoleInput
		code    string
		message string // a substring of the error message
		// duration is the session's expected length; zero means 1 hour.
		duration time.Duration
		check    func(t *testing.T, out *sts.AssumeRoleOutput)
	}{
		{name: "trust policy allows", creds: alice, in: sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1")},
			check: func(t *testing.T, out *sts.AssumeRoleOutput) {
				if out.PackedPolicySize != nil || out.SourceIdentity != nil {
					t.Errorf("PackedPolicySize %v, SourceIdentity %v; want neither", out.PackedPolicySize, out.SourceIdentity)
				}
			}},
		{name: "trust policy does not name the caller", creds: bob, in: sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1")},
			code: "AccessDenied", message: denied("arn:aws:iam::123456789012:user/bob", "sts:AssumeRole", appRoleARN)},
		{name: "unknown role", creds: alice, in: sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/nope"), RoleSessionName: aws.String("s1")},
			code: "AccessDenied", message: denied(aliceARN, "sts:AssumeRole", "arn:aws:iam::123456789012:role/nope")},
		{name: "duration within the role's maximum", creds: alice, duration: 2 * time.Hour,
			in: sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)}},
		{name: "duration at the minimum", creds: alice, duration: 15 * time.Minute,
			in: sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(900)}},
		{name: "duration above the role's maximum", creds: alice,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7201)},
			code: "ValidationError", message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{name: "duration above the default maximum", creds: alice,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(plainRoleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(3601)},
			code: "ValidationError", message: "exceeds the MaxSessionDuration"},
		{name: "duration below 900", creds: alice,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(899)},
			code: "ValidationError", message: "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{name: "duration above 12 hours", creds: alice,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(43201)},
			code: "ValidationError", message: "Member must have value less than or equal to 43200"},
		{name: "session name too short", creds: alice, in: sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s")},
			code: "ValidationError", message: "Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{name: "malformed session policy", creds: alice,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1"), Policy: aws.String(`{"Statement":`)},
			code: "MalformedPolicyDocument"},
		{name: "inline session policy", creds: alice,
			in: sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1"), Policy: aws.String(listOnlySession)},
			check: func(t *testing.T, out *sts.AssumeRoleOutput) {
				if n := aws.ToInt32(out.PackedPolicySize); n < 1 || n > 100 {
					t.Errorf("PackedPolicySize %d, want 1 to 100", n)
				}
				checkListOnly(t, e, out, "inline-net")
			}},
		{name: "managed session policy", creds: alice,
			in: sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1"),
				PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String(listOnlyARN)}}},
			check: func(t *testing.T, out *sts.AssumeRoleOutput) { checkListOnly(t, e, out, "managed-net") }},
		{name: "unknown managed session policy", creds: alice,
			in: sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1"),
				PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::123456789012:policy/Nope")}}},
			code: "ValidationError", message: "arn:aws:iam::123456789012:policy/Nope does not exist or is not attachable"},
		{name: "tags and source identity", creds: alice,
			in: sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1"), SourceIdentity: aws.String("alice@example.com"),
				Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}, {Key: aws.String("cost"), Value: aws.String("")}}},
			check: func(t *testing.T, out *sts.AssumeRoleOutput) {
				if aws.ToString(out.SourceIdentity) != "alice@example.com" || out.PackedPolicySize == nil {
					t.Errorf("SourceIdentity %v, PackedPolicySize %v", aws.ToString(out.SourceIdentity), out.PackedPolicySize)
				}
			}},
		{name: "tags need sts:TagSession in the trust policy", creds: alice,
			in: sts.AssumeRoleInput{RoleArn: aws.String(plainRoleARN), RoleSessionName: aws.String("s1"),
				Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}},
			code: "AccessDenied", message: denied(aliceARN, "sts:TagSession", plainRoleARN)},
		{name: "source identity needs sts:SetSourceIdentity", creds: alice,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(plainRoleARN), RoleSessionName: aws.String("s1"), SourceIdentity: aws.String("alice")},
			code: "AccessDenied", message: denied(aliceARN, "sts:SetSourceIdentity", plainRoleARN)},
		{name: "reserved tag prefix", creds: alice,
			in: sts.AssumeRoleInput{RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("s1"),
				Tags: []ststypes.Tag{{Key: aws.String("aws:team"), Value: aws.String("blue")}}},
			code: "InvalidParameterValue"},
		{name: "external ID matches", creds: carol,
			in: sts.AssumeRoleInput{RoleArn: aws.String(partnerARN), RoleSessionName: aws.String("p1"), ExternalId: aws.String("ext-123")},
			check: func(t *testing.T, out *sts.AssumeRoleOutput) {
				if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::123456789012:assumed-role/partner/p1" {
					t.Errorf("AssumedRoleUser.Arn %s", got)
				}
			}},
		{name: "external ID missing", creds: carol, in: sts.AssumeRoleInput{RoleArn: aws.String(partnerARN), RoleSessionName: aws.String("p1")},
			code: "AccessDenied", message: denied("arn:aws:iam::210987654321:user/carol", "sts:AssumeRole", partnerARN)},
		{name: "external ID wrong", creds: carol,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(partnerARN), RoleSessionName: aws.String("p1"), ExternalId: aws.String("ext-124")},
			code: "AccessDenied"},
		{name: "role chaining with the tag the trust policy wants", creds: sessionCreds(blue),
			in: sts.AssumeRoleInput{RoleArn: aws.String(chainRoleARN), RoleSessionName: aws.String("c1")},
			check: func(t *testing.T, out *sts.AssumeRoleOutput) {
				// The source identity stays with the chain.
				if aws.ToString(out.SourceIdentity) != "alice" {
					t.Errorf("SourceIdentity %q, want alice", aws.ToString(out.SourceIdentity))
				}
			}},
		{name: "role chaining without the tag", creds: sessionCreds(red),
			in:   sts.AssumeRoleInput{RoleArn: aws.String(chainRoleARN), RoleSessionName: aws.String("c1")},
			code: "AccessDenied", message: denied("arn:aws:sts::123456789012:assumed-role/app/red", "sts:AssumeRole", chainRoleARN)},
		{name: "role chaining is limited to one hour", creds: sessionCreds(blue),
			in:   sts.AssumeRoleInput{RoleArn: aws.String(chainRoleARN), RoleSessionName: aws.String("c1"), DurationSeconds: aws.Int32(3601)},
			code: "ValidationError", message: "1 hour session limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now().Truncate(time.Second)
			out, err := e.sts(tt.creds).AssumeRole(ctx, &tt.in)
			if tt.code != "" {
				wantCode(t, err, tt.code)
				if !strings.Contains(err.Error(), tt.message) {
					t.Errorf("error %q lacks %q", err, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := out.Credentials
			if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || len(aws.ToString(c.SecretAccessKey)) != 40 || aws.ToString(c.SessionToken) == "" {
				t.Errorf("credentials %s / %d-character secret / token %t", aws.ToString(c.AccessKeyId), len(aws.ToString(c.SecretAccessKey)), c.SessionToken != nil)
			}
			want := tt.duration
			if want == 0 {
				want = time.Hour
			}
			if exp := aws.ToTime(c.Expiration); exp.Before(start.Add(want)) || exp.After(time.Now().Add(want)) {
				t.Errorf("Expiration %v, want %v after %v", exp, want, start)
			}
			// The credentials work at once and name the session.
			id, err := e.sts(sessionCreds(out)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity with the new credentials: %v", err)
			}
			roleName := aws.ToString(tt.in.RoleArn)[strings.LastIndexByte(aws.ToString(tt.in.RoleArn), '/')+1:]
			wantARN := "arn:aws:sts::123456789012:assumed-role/" + roleName + "/" + aws.ToString(tt.in.RoleSessionName)
			if aws.ToString(id.Arn) != wantARN || aws.ToString(out.AssumedRoleUser.Arn) != wantARN {
				t.Errorf("GetCallerIdentity Arn %s, AssumedRoleUser.Arn %s, want %s", aws.ToString(id.Arn), aws.ToString(out.AssumedRoleUser.Arn), wantARN)
			}
			if aws.ToString(id.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) || !strings.HasPrefix(aws.ToString(id.UserId), "AROA") {
				t.Errorf("UserId %s, AssumedRoleId %s", aws.ToString(id.UserId), aws.ToString(out.AssumedRoleUser.AssumedRoleId))
			}
			if tt.check != nil {
				tt.check(t, out)
			}
		})
	}
	// Whatever happened, no secret reached the log.
	log := e.logText()
	for _, s := range []string{aliceSecret, bobSecret, carolSecret, aws.ToString(blue.Credentials.SecretAccessKey), aws.ToString(blue.Credentials.SessionToken)} {
		if strings.Contains(log, s) {
			t.Errorf("the log contains a secret")
		}
	}
	if !strings.Contains(log, "sts request") {
		t.Errorf("the log has no STS request records:\n%s", log)
	}
}

// checkListOnly proves that the session's permissions are the intersection
// of the role's (vpc-lattice:*) and the session policy's (vpc-lattice:List*):
// listing works, creating is denied by the session policy.
func checkListOnly(t *testing.T, e *stsEnv, out *sts.AssumeRoleOutput, name string) {
	t.Helper()
	c := e.lattice(sessionCreds(out))
	if _, err := c.ListServiceNetworks(ctx, &vpclattice.ListServiceNetworksInput{}); err != nil {
		t.Errorf("ListServiceNetworks, which the session policy allows: %v", err)
	}
	_, err := c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String(name)})
	wantCode(t, err, "AccessDeniedException")
	if err != nil && !strings.Contains(err.Error(), "session policy") {
		t.Errorf("the denial does not name the session policy: %v", err)
	}
	// A session of the same role without a session policy may create it.
	full, err := e.sts(static(aliceKey, aliceSecret, "")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(appRoleARN), RoleSessionName: aws.String("full")})
	if err == nil {
		_, err = e.lattice(sessionCreds(full)).CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String(name)})
	}
	if err != nil {
		t.Errorf("creating %s with the role's own permissions: %v", name, err)
	}
}

// stsErrorXML is STS's error document.
type stsErrorXML struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

func TestSTSErrors(t *testing.T) {
	e := newSTSEnv(t)
	// A session that expired a minute ago, stored as STS would have.
	now := time.Now().UTC().Truncate(time.Second)
	roleID, _ := e.snaps.Current().Identity.RoleID(appRoleARN)
	expired := iddir.Session{AccessKeyID: "ASIAEXPIRED234567ABC", SecretAccessKey: "expiredSECRETexpiredSECRETexpiredSECRET1",
		SessionToken: "expired-token", RoleARN: appRoleARN, RoleID: roleID, SessionName: "old",
		Issued: now.Add(-time.Hour), Expires: now.Add(-time.Minute), AssumedBy: aliceARN}
	seq, err := e.store.Update(ctx, func(tx store.Tx) error { return snapshot.SaveSession(tx, expired) })
	if err != nil {
		t.Fatal(err)
	}
	if err := e.snaps.WaitFor(ctx, seq); err != nil {
		t.Fatal(err)
	}
	gci := "Action=GetCallerIdentity&Version=2011-06-15"
	tests := []struct {
		name                 string
		key, secret, token   string // empty key: unsigned
		method, path, body   string
		contentType          string
		v4a                  bool // sign with SigV4A for every region
		status               int
		code, message, rtype string // message: a substring
	}{
		{name: "unsigned", body: gci, status: 403, code: "MissingAuthenticationToken", message: "Request is missing Authentication Token"},
		{name: "bad signature", key: aliceKey, secret: bobSecret, body: gci, status: 403, code: "SignatureDoesNotMatch",
			message: "The request signature we calculated does not match the signature you provided"},
		{name: "unknown access key", key: "AKIAUNKNOWN234567ABC", secret: aliceSecret, body: gci, status: 403, code: "InvalidClientTokenId",
			message: "The security token included in the request is invalid"},
		{name: "expired session", key: expired.AccessKeyID, secret: expired.SecretAccessKey, token: expired.SessionToken, body: gci,
			status: 403, code: "ExpiredToken", message: "The security token included in the request is expired"},
		{name: "session without its token", key: expired.AccessKeyID, secret: expired.SecretAccessKey, body: gci,
			status: 403, code: "InvalidClientTokenId"},
		{name: "unknown action", key: aliceKey, secret: aliceSecret, body: "Action=LaunchRockets&Version=2011-06-15", status: 400,
			code: "InvalidAction", message: "Could not find operation LaunchRockets for version 2011-06-15"},
		{name: "unimplemented action", key: aliceKey, secret: aliceSecret, body: "Action=GetSessionToken&Version=2011-06-15", status: 400,
			code: "InvalidAction", message: "implements GetCallerIdentity and AssumeRole"},
		{name: "no action", key: aliceKey, secret: aliceSecret, body: "Version=2011-06-15", status: 400, code: "MissingAction"},
		{name: "other version", key: aliceKey, secret: aliceSecret, body: "Action=GetCallerIdentity&Version=2010-01-01", status: 400,
			code: "InvalidAction"},
		{name: "trust policy denies", key: bobKey, secret: bobSecret, status: 403, code: "AccessDenied",
			message: "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole on resource: " + appRoleARN,
			body:    "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=" + url.QueryEscape(appRoleARN)},
		{name: "missing role ARN", key: aliceKey, secret: aliceSecret, body: "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1", status: 400,
			code: "ValidationError", message: "Value null at 'roleArn' failed to satisfy constraint: Member must not be null"},
		{name: "duration not a number", key: aliceKey, secret: aliceSecret, status: 400, code: "ValidationError",
			body: "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=" + url.QueryEscape(appRoleARN) + "&DurationSeconds=soon"},
		{name: "tag without a value", key: aliceKey, secret: aliceSecret, status: 400, code: "ValidationError",
			message: "Value null at 'tags.2.member.value' failed to satisfy constraint: Member must not be null",
			body: "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=" + url.QueryEscape(appRoleARN) +
				"&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.3.Key=c&Tags.member.3.Value=3"},
		{name: "not a form", key: aliceKey, secret: aliceSecret, body: `{"Action":"GetCallerIdentity"}`, contentType: "application/json",
			status: 400, code: "InvalidAction"},
		{name: "GET with the query", key: aliceKey, secret: aliceSecret, method: "GET", path: "/?" + gci, status: 200},
		{name: "SigV4A", key: aliceKey, secret: aliceSecret, body: gci, v4a: true, status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, path := tt.method, tt.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/"
			}
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(method, e.srv.URL+path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				ct := tt.contentType
				if ct == "" {
					ct = "application/x-www-form-urlencoded; charset=utf-8"
				}
				req.Header.Set("Content-Type", ct)
			}
			if tt.key != "" {
				s := sigv4.NewSigner(tt.key, sigv4.Credential{SecretAccessKey: tt.secret, SessionToken: tt.token}, nil)
				o := sigv4.SignOptions{Service: "sts", Region: testRegion}
				if tt.v4a {
					o.Algorithm, o.RegionSet = sigv4.AlgorithmV4A, []string{"*"}
				}
				if _, err := s.Sign(req, o); err != nil {
					t.Fatal(err)
				}
			}
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, raw)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/xml" {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.status == 200 {
				return
			}
			var x stsErrorXML
			if err := xml.Unmarshal(raw, &x); err != nil {
				t.Fatalf("the body is not STS's ErrorResponse: %v\n%s", err, raw)
			}
			if x.Error.Type != "Sender" || x.Error.Code != tt.code || !strings.Contains(x.Error.Message, tt.message) || x.Error.Message == "" {
				t.Errorf("Error %+v, want Sender %s %q", x.Error, tt.code, tt.message)
			}
			if x.RequestID == "" || x.RequestID != resp.Header.Get("x-amzn-RequestId") {
				t.Errorf("RequestId %q, header %q", x.RequestID, resp.Header.Get("x-amzn-RequestId"))
			}
			if strings.Contains(string(raw), tt.secret) && tt.secret != "" {
				t.Errorf("the answer contains the secret")
			}
		})
	}
}

// TestSTSAWSCLI drives STS with the AWS CLI when it is installed: aws sts
// get-caller-identity and assume-role --endpoint-url, then the returned
// session credentials with get-caller-identity again.
func TestSTSAWSCLI(t *testing.T) {
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI (aws) is not installed; install it to run this test")
	}
	e := newSTSEnv(t)
	credFile := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(credFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(key, secret, token string, args ...string) (map[string]any, string, error) {
		t.Helper()
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(c, cli, append(append([]string{"sts"}, args...), "--endpoint-url", e.srv.URL, "--output", "json")...)
		cmd.Env = append(withoutAWSEnv(), "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret,
			"AWS_DEFAULT_REGION="+testRegion, "AWS_REGION="+testRegion,
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE="+credFile, "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=")
		if token != "" {
			cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+token)
		}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var out map[string]any
		if s := strings.TrimSpace(stdout.String()); s != "" {
			if jerr := json.Unmarshal([]byte(s), &out); jerr != nil {
				t.Fatalf("aws sts %s: the output is not JSON: %s", strings.Join(args, " "), s)
			}
		}
		return out, stderr.String(), err
	}

	id, stderr, err := run(aliceKey, aliceSecret, "", "get-caller-identity")
	if err != nil || id["Arn"] != aliceARN || id["Account"] != stsAcct {
		t.Fatalf("get-caller-identity: %v %v\n%s", id, err, stderr)
	}
	out, stderr, err := run(aliceKey, aliceSecret, "", "assume-role", "--role-arn", appRoleARN, "--role-session-name", "cli",
		"--duration-seconds", "900", "--tags", "Key=team,Value=blue", "--source-identity", "alice")
	if err != nil {
		t.Fatalf("assume-role: %v\n%s", err, stderr)
	}
	creds, _ := out["Credentials"].(map[string]any)
	key, _ := creds["AccessKeyId"].(string)
	secret, _ := creds["SecretAccessKey"].(string)
	token, _ := creds["SessionToken"].(string)
	if !strings.HasPrefix(key, "ASIA") || secret == "" || token == "" || out["SourceIdentity"] != "alice" {
		t.Fatalf("assume-role returned %v", out)
	}
	id, stderr, err = run(key, secret, token, "get-caller-identity")
	if err != nil || id["Arn"] != "arn:aws:sts::123456789012:assumed-role/app/cli" {
		t.Fatalf("get-caller-identity with the session: %v %v\n%s", id, err, stderr)
	}
	// Errors reach the CLI with their code and message.
	_, stderr, err = run(bobKey, bobSecret, "", "assume-role", "--role-arn", appRoleARN, "--role-session-name", "cli")
	if err == nil || !strings.Contains(stderr, "(AccessDenied)") || !strings.Contains(stderr, "is not authorized to perform: sts:AssumeRole") {
		t.Errorf("assume-role by bob: %v\n%s", err, stderr)
	}
	_, stderr, err = run(aliceKey, bobSecret, "", "get-caller-identity")
	if err == nil || !strings.Contains(stderr, "(SignatureDoesNotMatch)") {
		t.Errorf("get-caller-identity with a wrong secret: %v\n%s", err, stderr)
	}
}
