package evaldoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExampleSuites runs every suite shipped in examples/policies: each case
// must meet its expectation.
func TestExampleSuites(t *testing.T) {
	files, err := filepath.Glob("../../examples/policies/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example suites: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ReadSuite(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range s.Run() {
			if !c.OK() {
				summary := ""
				if c.Explanation != nil {
					summary = c.Explanation.Summary
				}
				t.Errorf("%s: %s: got %v, want %s (%v) %s", filepath.Base(f), c.Description, c.Decision, c.Expected, c.Err, summary)
			}
		}
	}
}

func TestEvaluateDocument(t *testing.T) {
	doc := `{
	  "resourcePolicy": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*",
	    "Condition": {"StringEquals": {"aws:PrincipalType": "User", "aws:username": "alice"}, "ForAnyValue:StringEquals": {"aws:TagKeys": ["x"]}}}},
	  "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "vpc-lattice-svcs:Invoke",
	    "resource": "arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-0123456789abcdef0/",
	    "context": {"aws:TagKeys": ["y", "x"], "vpc-lattice-svcs:Port": 443, "aws:SecureTransport": true}},
	  "expect": "Allow"
	}`
	out, err := Evaluate([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if out.Decision.String() != "Allow" || out.AsExpected == nil || !*out.AsExpected {
		t.Fatalf("got %v (%s)", out.Decision, out.Explanation.Summary)
	}
	set, req, _, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if set.Resource == nil {
		t.Fatal("no resource policy")
	}
	for key, want := range map[string]string{"aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice", "aws:PrincipalAccount": "111122223333", "vpc-lattice-svcs:Port": "443", "aws:SecureTransport": "true"} {
		if v, _, ok := req.Context.Get(key); !ok || v[0] != want {
			t.Errorf("%s = %v, want %q", key, v, want)
		}
	}
	if !req.Context.IsMulti("aws:TagKeys") {
		t.Error("aws:TagKeys is not multivalued")
	}
	if req.ResourceAccount != "111122223333" {
		t.Errorf("resource account %q, derived from the ARN", req.ResourceAccount)
	}
}

func TestEvaluateErrors(t *testing.T) {
	const req = `"request": {"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}`
	tests := []struct {
		doc  string
		want string
	}{
		{``, "empty"},
		{`[]`, "must be"},
		{`{"identityPolicy": {}, ` + req + `}`, `unknown field "identityPolicy"`},
		{`{` + req + `} {}`, "unexpected data"},
		{`{}`, `"request" is missing`},
		{`{"request": {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}}`, "request.principal is missing"},
		{`{"request": {"principal": "bob", "action": "s3:GetObject", "resource": "*"}}`, "request.principal"},
		{`{"request": {"principal": "anonymous", "resource": "*"}}`, "request.action is missing"},
		{`{"request": {"principal": "anonymous", "action": "GetObject", "resource": "*"}}`, "must be service:Action"},
		{`{"request": {"principal": "anonymous", "action": "s3:GetObject"}}`, "request.resource is missing"},
		{`{"request": {"principal": "arn:aws:iam::111122223333:user/u", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}}`, "resourceAccount is missing"},
		{`{"request": {"principal": "anonymous", "action": "s3:GetObject", "resource": "*", "context": {"nocolon": "x"}}}`, "condition key"},
		{`{"request": {"principal": "anonymous", "action": "s3:GetObject", "resource": "*", "context": {"a:b": {"x": 1}}}}`, "must be a string"},
		{`{"request": {"principal": "anonymous", "action": "s3:GetObject", "resource": "*", "context": {"a:b": [null]}}}`, "must be a string"},
		{`{"identityPolicies": [{"Statement": {"Effect": "Allow", "Action": "s3", "Resource": "*"}}], ` + req + `}`, `identityPolicies[0]: 1:45: error: Statement.Action`},
		{`{"resourcePolicy": {"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}, ` + req + `}`, "resourcePolicy: 1:15: error: Statement: a resource-based policy statement needs a Principal"},
		{`{"serviceControlPolicies": [{"target": "r-1", "policies": []}], ` + req + `}`, "policies is empty"},
		{`{"serviceControlPolicies": [{"target": "r-1", "policies": [{}], "extra": 1}], ` + req + `}`, `unknown field "extra"`},
		{`{"expect": "allow", ` + req + `}`, "expect"},
	}
	for _, tt := range tests {
		_, err := Evaluate([]byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s:\n error %v\n want it to mention %q", tt.doc, err, tt.want)
		}
	}
}

func TestSuiteErrors(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`{"cases": []}`, "no cases"},
		{`{"policies": {"resourcePolicies": {}}, "cases": [{}]}`, "not a policy member"},
		{`{"case": []}`, "unknown field"},
	} {
		if _, err := ReadSuite([]byte(tt.doc)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.doc, err, tt.want)
		}
	}
	s, err := ReadSuite([]byte(`{"cases": [{"request": {"principal": "anonymous", "action": "s3:GetObject", "resource": "*"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Run(); r[0].OK() || r[0].Err == nil {
		t.Errorf("a case without expect passed: %+v", r[0])
	}
}
