package identity

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// fixtureJSON is the configuration most tests use, in the JSON format of
// docs/identity.md.
const fixtureJSON = `{
  "organizations": [{
    "id": "o-exampleorg1",
    "rootId": "r-ab12",
    "managementAccount": "111111111111",
    "organizationalUnits": [
      {"id": "ou-ab12-11111111", "name": "Prod",
       "serviceControlPolicies": ["arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
                                  "arn:aws:iam::111111111111:policy/scp/DenyDeleteBucket"]},
      {"id": "ou-ab12-22222222", "name": "Team", "parent": "ou-ab12-11111111"}
    ]
  }],
  "accounts": [
    {"id": "111111111111", "name": "management", "organization": "o-exampleorg1"},
    {"id": "222222222222", "name": "workloads", "organization": "o-exampleorg1", "parent": "ou-ab12-22222222"},
    {"id": "333333333333", "name": "partner"}
  ],
  "policies": [
    {"arn": "arn:aws:iam::222222222222:policy/AssumeAny", "document": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], "Resource": "*"}]}},
    {"arn": "arn:aws:iam::222222222222:policy/boundaries/S3Only", "document": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}},
    {"arn": "arn:aws:iam::222222222222:policy/ReadOnly", "document": "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Read\", \"Effect\": \"Allow\", \"Action\": [\"s3:Get*\", \"vpc-lattice-svcs:Invoke\"], \"Resource\": \"*\"}]}"},
    {"arn": "arn:aws:iam::222222222222:policy/InvokeOnly", "document": {"Version": "2012-10-17", "Statement": [
      {"Sid": "Read", "Effect": "Allow", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]}},
    {"arn": "arn:aws:iam::111111111111:policy/scp/DenyDeleteBucket", "kind": "service-control", "document": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}},
    {"arn": "arn:aws:iam::333333333333:policy/AssumeCross", "document": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::222222222222:role/*"}]}}
  ],
  "users": [
    {"account": "222222222222", "name": "alice", "path": "/eng/", "tags": [{"key": "Team", "value": "blue"}, {"key": "Project", "value": "x"}],
     "managedPolicies": ["arn:aws:iam::222222222222:policy/AssumeAny", "arn:aws:iam::222222222222:policy/ReadOnly"]},
    {"account": "222222222222", "name": "bob", "id": "AIDABOBBOBBOBBOBBOBB"},
    {"account": "222222222222", "name": "dave", "managedPolicies": ["arn:aws:iam::222222222222:policy/AssumeAny"],
     "permissionsBoundary": "arn:aws:iam::222222222222:policy/boundaries/S3Only"},
    {"account": "333333333333", "name": "carol", "managedPolicies": ["arn:aws:iam::333333333333:policy/AssumeCross"]}
  ],
  "roles": [
    {"account": "222222222222", "name": "app", "path": "/svc/", "maxSessionDuration": 7200,
     "tags": [{"key": "team", "value": "red"}, {"key": "Env", "value": "prod"}],
     "managedPolicies": ["arn:aws:iam::222222222222:policy/ReadOnly"],
     "inlinePolicies": [{"name": "assume", "document": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], "Resource": "*"}]}}],
     "trustPolicy": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/eng/alice"},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]}},
    {"account": "222222222222", "name": "acct",
     "trustPolicy": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "sts:AssumeRole"}]}},
    {"account": "222222222222", "name": "xacct",
     "trustPolicy": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "ext-123"}}}]}},
    {"account": "222222222222", "name": "chained", "maxSessionDuration": 43200,
     "trustPolicy": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:role/svc/app"},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]},
       {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/eng/alice"},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]}},
    {"account": "222222222222", "name": "tagged",
     "trustPolicy": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/eng/alice"}, "Action": "sts:AssumeRole"}]}},
    {"account": "222222222222", "name": "boundedtrust",
     "trustPolicy": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/dave"}, "Action": "sts:AssumeRole"}]}},
    {"account": "222222222222", "name": "notrust"}
  ],
  "accessKeys": [
    {"id": "AKIAALICEALICEALICEA", "secret": "aliceSecretaliceSecretaliceSecretaliceSe", "user": "arn:aws:iam::222222222222:user/eng/alice"},
    {"id": "AKIABOBBOBBOBBOBBOBB", "secret": "bobSecretbobSecretbobSecretbobSecretbobS", "user": "arn:aws:iam::222222222222:user/bob"},
    {"id": "AKIAERINERINERINERIN", "secret": "erinSecreterinSecreterinSecreterinSecret", "user": "arn:aws:iam::222222222222:user/bob", "status": "Inactive"},
    {"id": "AKIADAVEDAVEDAVEDAVE", "secret": "daveSecretdaveSecretdaveSecretdaveSecret", "user": "arn:aws:iam::222222222222:user/dave"},
    {"id": "AKIACAROLCAROLCAROLC", "secret": "carolSecretcarolSecretcarolSecretcarolSe", "user": "arn:aws:iam::333333333333:user/carol"},
    {"id": "AKIAROOTROOTROOTROOT", "secret": "rootSecretrootSecretrootSecretrootSecret", "user": "arn:aws:iam::222222222222:root"}
  ]
}`

// Access keys of the fixture.
const (
	aliceKey = "AKIAALICEALICEALICEA"
	bobKey   = "AKIABOBBOBBOBBOBBOBB"
	erinKey  = "AKIAERINERINERINERIN" // bob's inactive key
	daveKey  = "AKIADAVEDAVEDAVEDAVE"
	carolKey = "AKIACAROLCAROLCAROLC"
	rootKey  = "AKIAROOTROOTROOTROOT"

	aliceARN   = "arn:aws:iam::222222222222:user/eng/alice"
	appRole    = "arn:aws:iam::222222222222:role/svc/app"
	chainRole  = "arn:aws:iam::222222222222:role/chained"
	acctRole   = "arn:aws:iam::222222222222:role/acct"
	xacctRole  = "arn:aws:iam::222222222222:role/xacct"
	taggedRole = "arn:aws:iam::222222222222:role/tagged"
)

// t0 is the tests' clock.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func fixtureInput(t testing.TB) Input {
	t.Helper()
	var in Input
	if err := json.Unmarshal([]byte(fixtureJSON), &in); err != nil {
		t.Fatal(err)
	}
	return in
}

func fixture(t testing.TB) *Directory {
	t.Helper()
	d, err := New(fixtureInput(t))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rng is a deterministic source of "random" bytes for tests.
func rng(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

func mustCaller(t testing.TB, d *Directory, key string) *Caller {
	t.Helper()
	c, ok := d.Caller(key)
	if !ok {
		t.Fatalf("no caller for %s", key)
	}
	return c
}

// assume runs AssumeRole and adds the session to the directory.
func assume(t testing.TB, d *Directory, key string, in AssumeRoleInput) (*Directory, Session) {
	t.Helper()
	s, err := d.AssumeRole(mustCaller(t, d, key), nil, in, t0, rng(uint64(len(in.RoleSessionName))))
	if err != nil {
		t.Fatalf("AssumeRole(%s, %s): %v", key, in.RoleARN, err)
	}
	nd, err := d.WithSessions(s)
	if err != nil {
		t.Fatalf("WithSessions: %v", err)
	}
	return nd, s
}
