package policy

import (
	"errors"
	"strings"
	"testing"
)

// TestValidateErrors checks that each kind of mistake is reported with its
// code, JSON path, and position.
func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
		code string
		path string
		// at is the text the diagnostic must point at: its last occurrence
		// in the document; when empty, the document's start.
		at string
	}{
		{"syntax", KindAny, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n}", "syntax", "", `}`},
		{"trailing comma", KindAny, `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",}]}`, "syntax", "", `}]}`},
		{"not an object", KindAny, `[1]`, "not-object", "", `[1]`},
		{"empty document", KindAny, ``, "syntax", "", ``},
		{"invalid utf8", KindAny, "{\"Id\":\"\xff\"}", "syntax", "", "\xff\"}"},
		{"deep nesting", KindAny, strings.Repeat("[", 32) + "{}", "syntax", "", `{}`},
		{"bad version", KindAny, `{"Version":"2012-10-18","Statement":[]}`, "bad-version", "Version", `"2012-10-18"`},
		{"unknown top element", KindAny, `{"Version":"2012-10-17","Statment":[]}`, "unknown-element", "Statment", `"Statment"`},
		{"duplicate top key", KindAny, `{"Version":"2012-10-17","Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "duplicate-key", "Version", `"Version":"2012-10-17","Statement"`},
		{"missing statement", KindAny, `{"Version":"2012-10-17"}`, "missing-element", "", `{"Version"`},
		{"empty statement list", KindAny, `{"Version":"2012-10-17","Statement":[]}`, "empty", "Statement", `[]}`},
		{"statement not object", KindAny, `{"Version":"2012-10-17","Statement":["x"]}`, "bad-type", "Statement[0]", `"x"`},
		{"lowercase element", KindAny, `{"Version":"2012-10-17","Statement":[{"effect":"Allow","Action":"s3:*","Resource":"*"}]}`, "unknown-element", "Statement[0].effect", `"effect"`},
		{"misspelt element", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Actions":"s3:*","Resource":"*"}]}`, "unknown-element", "Statement[0].Actions", `"Actions"`},
		{"bad effect", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`, "bad-effect", "Statement[0].Effect", `"allow"`},
		{"missing effect", KindAny, `{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}`, "missing-element", "Statement[0]", `{"Action"`},
		{"missing action", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`, "missing-element", "Statement[0]", `{"Effect"`},
		{"action and notaction", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}]}`, "conflicting-elements", "Statement[0].NotAction", `"s3:Get*"`},
		{"action without prefix", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`, "bad-action", "Statement[0].Action", `"GetObject"`},
		{"action prefix case", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","S3:PutObject"],"Resource":"*"}]}`, "bad-action", "Statement[0].Action[1]", `"S3:PutObject"`},
		{"action empty name", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:","Resource":"*"}]}`, "bad-action", "Statement[0].Action", `"s3:"`},
		{"empty action list", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, "empty", "Statement[0].Action", `[],`},
		{"action not string", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[7],"Resource":"*"}]}`, "bad-type", "Statement[0].Action[0]", `7]`},
		{"malformed arn", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3"}]}`, "bad-resource", "Statement[0].Resource", `"arn:aws:s3"`},
		{"non-arn resource", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}`, "bad-resource", "Statement[0].Resource", `"bucket"`},
		{"identity missing resource", KindIdentity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`, "missing-element", "Statement[0]", `{"Effect"`},
		{"identity with principal", KindIdentity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, "principal-not-allowed", "Statement[0]", `{"Effect"`},
		{"resource without principal", KindResource, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, "missing-element", "Statement[0]", `{"Effect"`},
		{"scp with principal", KindServiceControl, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, "principal-not-allowed", "Statement[0]", `{"Effect"`},
		{"principal string", KindResource, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"s3:*","Resource":"*"}]}`, "bad-principal", "Statement[0].Principal", `"arn:aws:iam::111122223333:root"`},
		{"principal wildcard part", KindResource, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/*"},"Action":"s3:*","Resource":"*"}]}`, "bad-principal", "Statement[0].Principal.AWS", `"arn:aws:iam::111122223333:role/*"`},
		{"principal bad arn", KindResource, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::12:root"]},"Action":"s3:*","Resource":"*"}]}`, "bad-principal", "Statement[0].Principal.AWS[1]", `"arn:aws:iam::12:root"`},
		{"principal unknown kind", KindResource, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"IAM":"x"},"Action":"s3:*","Resource":"*"}]}`, "unknown-element", "Statement[0].Principal.IAM", `"IAM"`},
		{"service principal", KindResource, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda"},"Action":"s3:*","Resource":"*"}]}`, "bad-principal", "Statement[0].Principal.Service", `"lambda"`},
		{"notprincipal allow", KindResource, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}]}`, "notprincipal-allow", "Statement[0].NotPrincipal", `{"AWS":"111122223333"}`},
		{"duplicate sid", KindAny, `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, "duplicate-sid", "Statement[1].Sid", `"A","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`},
		{"identity sid characters", KindIdentity, `{"Version":"2012-10-17","Statement":[{"Sid":"allow all","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, "bad-sid", "Statement[0].Sid", `"allow all"`},
		{"condition not object", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":"x"}]}`, "bad-type", "Statement[0].Condition", `"x"}`},
		{"unknown operator", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqual":{"aws:SourceVpc":"v"}}}]}`, "unknown-operator", "Statement[0].Condition.StringEqual", `"StringEqual"`},
		{"unknown qualifier", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"aws:TagKeys":"v"}}}]}`, "unknown-operator", "Statement[0].Condition.ForSomeValues:StringEquals", `"ForSomeValues:StringEquals"`},
		{"null if exists", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:SourceVpc":"true"}}}]}`, "unknown-operator", "Statement[0].Condition.NullIfExists", `"NullIfExists"`},
		{"key without prefix", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"SourceVpc":"v"}}}]}`, "bad-key", "Statement[0].Condition.StringEquals.SourceVpc", `"SourceVpc"`},
		{"duplicate key", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"v","aws:sourcevpc":"w"}}}]}`, "duplicate-key", "Statement[0].Condition.StringEquals.aws:sourcevpc", `"aws:sourcevpc"`},
		{"duplicate operator", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, "duplicate-key", "Statement[0].Condition.Bool", `"Bool":{"aws:MultiFactorAuthPresent"`},
		{"numeric value", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}]}`, "bad-value", "Statement[0].Condition.NumericLessThan.s3:max-keys", `"ten"`},
		{"date value", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}]}`, "bad-value", "Statement[0].Condition.DateLessThan.aws:CurrentTime", `"tomorrow"`},
		{"bool value", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}]}`, "bad-value", "Statement[0].Condition.Bool.aws:SecureTransport", `"yes"`},
		{"ip value", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","10.0.0.0/33"]}}}]}`, "bad-value", "Statement[0].Condition.IpAddress.aws:SourceIp[1]", `"10.0.0.0/33"`},
		{"binary value", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"BinaryEquals":{"d:k":"!!"}}}]}`, "bad-value", "Statement[0].Condition.BinaryEquals.d:k", `"!!"`},
		{"arn value", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"*"}}}]}`, "bad-value", "Statement[0].Condition.ArnLike.aws:SourceArn", `"*"}}}]}`},
		{"null value", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Null":{"aws:SourceVpc":"maybe"}}}]}`, "bad-value", "Statement[0].Condition.Null.aws:SourceVpc", `"maybe"`},
		{"condition value object", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":{"a":1}}}}]}`, "bad-type", "Statement[0].Condition.StringEquals.aws:SourceVpc", `{"a":1}`},
		{"empty condition values", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":[]}}}]}`, "empty", "Statement[0].Condition.StringEquals.aws:SourceVpc", `[]}}}]}`},
		{"bad variable default", KindAny, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"${aws:username, nobody}"}}}]}`, "bad-value", "Statement[0].Condition.StringEquals.s3:prefix", `"${aws:username, nobody}"`},
		{"single statement object path", KindAny, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3","Resource":"*"}}`, "bad-action", "Statement.Action", `"s3"`},
		{"multiline position", KindAny, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:*\",\n      \"Resource\": \"*\",\n      \"Condition\": {\"StringEquals\": {\"aws:SourceVpc\": 12, \"aws:username\": null}}\n    }\n  ]\n}", "bad-type", "Statement[0].Condition.StringEquals.aws:username", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := Validate([]byte(tt.doc), Options{Kind: tt.kind})
			var found *Diagnostic
			for i := range diags {
				if diags[i].Code == tt.code && diags[i].Path == tt.path {
					found = &diags[i]
					break
				}
			}
			if found == nil {
				t.Fatalf("no %s diagnostic at %q; got:\n%s", tt.code, tt.path, diagList(diags))
			}
			if found.Severity != Error {
				t.Errorf("severity %v, want error", found.Severity)
			}
			wantLine, wantCol := 1, 1
			if tt.at != "" {
				off := strings.LastIndex(tt.doc, tt.at)
				if off < 0 {
					t.Fatalf("marker %q is not in the document", tt.at)
				}
				wantLine, wantCol = lineCol([]byte(tt.doc), off)
			}
			if found.Line != wantLine || found.Column != wantCol {
				t.Errorf("position %d:%d, want %d:%d at %q (%s)", found.Line, found.Column, wantLine, wantCol, tt.at, found)
			}
			if found.Message == "" {
				t.Error("empty message")
			}
			_, err := Parse([]byte(tt.doc), Options{Kind: tt.kind})
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse returned %v, want a *ValidationError", err)
			}
			if !strings.Contains(err.Error(), found.Message) && !strings.Contains(err.Error(), "more errors") {
				t.Errorf("Parse error %q does not mention the first error", err)
			}
		})
	}
}

func diagList(ds []Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString("  " + d.Code + " " + d.String() + "\n")
	}
	return b.String()
}

// TestValidateWarnings checks findings that are valid but risky or
// probably mistaken.
func TestValidateWarnings(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
		code string
	}{
		{"missing version", KindAny, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, "missing-version"},
		{"wildcard principal", KindResource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`, "wildcard-principal"},
		{"wildcard principal AWS", KindResource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*"}}`, "wildcard-principal"},
		{"wildcard action", KindIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "wildcard-action"},
		{"allow notaction", KindIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`, "allow-notaction"},
		{"forallvalues allow", KindIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}}}`, "forallvalues-allow"},
		{"unknown global key", KindIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpcc":"v"}}}}`, "unknown-key"},
		{"set operator on single-valued", KindIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:SourceVpc":"v"}}}}`, "set-operator-single-valued"},
		{"multivalued without set operator", KindIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"v"}}}}`, "multivalued-without-set"},
		{"lattice key case", KindResource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*","Condition":{"StringEquals":{"vpc-lattice-svcs:requestMethod":"GET"}}}}`, "key-case"},
		{"operator case", KindIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"stringequals":{"aws:SourceVpc":"v"}}}}`, "operator-case"},
		{"unique id principal", KindResource, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"AROAEXAMPLEID1234567"},"Action":"s3:GetObject","Resource":"*"}}`, "unique-id-principal"},
		{"resource sid characters", KindResource, `{"Version":"2012-10-17","Statement":{"Sid":"a b","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`, "bad-sid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc), Options{Kind: tt.kind})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ws := p.Warnings()
			if !hasCode(ws, tt.code) {
				t.Fatalf("no %s warning; got:\n%s", tt.code, diagList(ws))
			}
			for _, w := range ws {
				if w.Severity != Warning {
					t.Errorf("%s has severity %v", w.Code, w.Severity)
				}
			}
		})
	}
}

func TestValidateClean(t *testing.T) {
	doc := `{
  "Version": "2012-10-17",
  "Id": "orders",
  "Statement": [
    {
      "Sid": "ReadOrders",
      "Effect": "Allow",
      "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:role/app"]},
      "Action": ["vpc-lattice-svcs:Invoke"],
      "Resource": "arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-0123456789abcdef0/orders*",
      "Condition": {"StringEquals": {"vpc-lattice-svcs:RequestMethod": ["GET", "HEAD"]}}
    }
  ]
}`
	if ds := Validate([]byte(doc), Options{Kind: KindResource}); len(ds) != 0 {
		t.Errorf("unexpected diagnostics:\n%s", diagList(ds))
	}
}

// TestSizeLimits checks the limits callers choose: bytes for VPC Lattice
// auth policies, characters for endpoint policies.
func TestSizeLimits(t *testing.T) {
	stmt := `{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-123"}}}`
	build := func(n int) []byte {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = stmt
		}
		return []byte(`{"Version":"2012-10-17","Statement":[` + strings.Join(parts, ",") + `]}`)
	}
	small, big := build(60), build(80)
	if len(small) > LatticeAuthPolicyMaxBytes || len(big) <= LatticeAuthPolicyMaxBytes {
		t.Fatalf("test documents are %d and %d bytes", len(small), len(big))
	}
	lattice := Options{Kind: KindResource, MaxBytes: LatticeAuthPolicyMaxBytes}
	if _, err := Parse(small, lattice); err != nil {
		t.Errorf("%d-byte policy rejected: %v", len(small), err)
	}
	if !hasCode(Validate(big, lattice), "too-large") {
		t.Errorf("%d-byte policy accepted under a %d-byte limit", len(big), LatticeAuthPolicyMaxBytes)
	}
	// Characters, not bytes: a document of multi-byte characters.
	multi := []byte(`{"Version":"2012-10-17","Statement":{"Sid":"x","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"` + strings.Repeat("é", 100) + `"}}}}`)
	n := len([]rune(string(multi)))
	if _, err := Parse(multi, Options{MaxChars: n}); err != nil {
		t.Errorf("document of exactly %d characters rejected: %v", n, err)
	}
	if !hasCode(Validate(multi, Options{MaxChars: n - 1}), "too-large") {
		t.Errorf("document of %d characters accepted under a limit of %d", n, n-1)
	}
}

// TestStatementForms checks the shapes AWS accepts: Statement as an object
// or a list, strings or lists for every list element.
func TestStatementForms(t *testing.T) {
	docs := []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}`,
		`{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"1","Effect":"Allow","NotAction":"s3:PutObject","NotResource":"arn:aws:s3:::other/*"}]}`,
	}
	r := &Request{Principal: Principal{Type: User, ARN: "arn:aws:iam::1:user/u"}, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/key"}
	for _, d := range docs {
		p, err := Parse([]byte(d), Options{Kind: KindIdentity})
		if err != nil {
			t.Errorf("%s: %v", d, err)
			continue
		}
		if got := p.Evaluate(r).Decision; got != Allow {
			t.Errorf("%s: %v, want Allow", d, got)
		}
	}
}

func TestExecuteAPIShorthand(t *testing.T) {
	doc := []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/prod/GET/pets"}}`)
	r := func(res string) *Request { return &Request{Action: "execute-api:Invoke", Resource: res} }
	const api = "arn:aws:execute-api:us-east-1:111122223333:a1b2c3d4e5"
	anyAPI := MustParse(string(doc), Options{Kind: KindResource})
	oneAPI := MustParse(string(doc), Options{Kind: KindResource, APIARN: api})
	tests := []struct {
		p    *Policy
		res  string
		want Decision
	}{
		{anyAPI, api + "/prod/GET/pets", Allow},
		{anyAPI, "arn:aws:execute-api:eu-west-1:444455556666:zzz/prod/GET/pets", Allow},
		{anyAPI, api + "/prod/POST/pets", ImplicitDeny},
		{oneAPI, api + "/prod/GET/pets", Allow},
		{oneAPI, "arn:aws:execute-api:us-east-1:111122223333:other/prod/GET/pets", ImplicitDeny},
	}
	for _, tt := range tests {
		if got := tt.p.Evaluate(r(tt.res)).Decision; got != tt.want {
			t.Errorf("%s: %v, want %v", tt.res, got, tt.want)
		}
	}
}
