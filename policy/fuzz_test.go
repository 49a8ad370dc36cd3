package policy

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets run their seeds in every `go test`; run one for longer with
// e.g. go test -run '^$' -fuzz FuzzParse -fuzztime 10m ./policy

func FuzzParse(f *testing.F) {
	for _, bc := range benchCases {
		f.Add([]byte(bc.doc))
	}
	for _, s := range []string{
		`{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333"]},"NotAction":"s3:*","NotResource":"arn:aws:s3:::b/${aws:username, 'x'}"}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*"]},"Null":{"aws:SourceVpc":true},"NumericLessThan":{"s3:max-keys":1.5},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"},"IpAddress":{"aws:SourceIp":"::/0"},"ArnLike":{"aws:SourceArn":"arn:*:*:*:*:*"},"BinaryEquals":{"k:v":"AA=="}}}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"execute-api:/*","Principal":"*"}]}`,
		`{"a":"\ud800\udc00\u0041"}`, `[[[[`, `{"Statement":` + strings.Repeat("[", 40), "{\"Id\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	r := benchRequest(f, "/orders")
	f.Fuzz(func(t *testing.T, doc []byte) {
		diags := Validate(doc, Options{Kind: KindAny})
		hasErr := false
		for _, d := range diags {
			if d.Message == "" || d.Severity == 0 {
				t.Fatalf("empty diagnostic %+v", d)
			}
			if d.Severity == Error {
				hasErr = true
			}
		}
		p, err := Parse(doc, Options{Kind: KindAny})
		if (err != nil) != hasErr {
			t.Fatalf("Parse error %v but Validate errors %v", err, hasErr)
		}
		if err != nil {
			return
		}
		set := &Set{Resource: p, Identity: []*Policy{p}}
		got := set.Evaluate(r)
		if e := set.Explain(r); e.Decision != got.Decision {
			t.Fatalf("Explain %v, Evaluate %v", e.Decision, got.Decision)
		}
	})
}

func FuzzEvaluate(f *testing.F) {
	policies := []*Policy{}
	for _, bc := range benchCases {
		policies = append(policies, MustParse(bc.doc, Options{Kind: KindResource}))
	}
	cond := MustParse(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"*","Resource":"arn:*:*:*:*:${aws:username}/*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["a*","${aws:PrincipalTag/x}"]}}},
		{"Effect":"Deny","Action":"s3:Put*","Resource":"*","Condition":{"NumericGreaterThanIfExists":{"s3:max-keys":"10"},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","fd00::/8"]}}},
		{"Effect":"Allow","Action":"s3:Get*","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:*:*:${aws:PrincipalAccount}:*"},"Bool":{"aws:SecureTransport":"${aws:x, 'true'}"},"Null":{"aws:SourceVpc":"false"}}}]}`,
		Options{Kind: KindIdentity})
	f.Add("arn:aws:sts::123456789012:assumed-role/rolename/w", "vpc-lattice-svcs:Invoke", benchService+"/orders", "aws:username", "alice", "aws:TagKeys", "a,b")
	f.Add("anonymous", "s3:PutObject", "arn:aws:s3:::b/k", "s3:max-keys", "11", "aws:SourceIp", "10.1.1.1")
	f.Add("arn:aws:iam::111122223333:user/u", "s3:GetObject", "*", "aws:CurrentTime", "2020-01-01", "aws:SourceArn", "arn:aws:sns:x:111122223333:t")
	f.Add("lambda.amazonaws.com", "x:y", "arn::::::", "aws:SecureTransport", "TRUE", "aws:PrincipalTag/x", "a")
	f.Fuzz(func(t *testing.T, principal, action, resource, k1, v1, k2, v2 string) {
		p, err := ParsePrincipal(principal)
		if err != nil {
			return
		}
		ctx := NewContext(4)
		ctx.Set(k1, v1)
		ctx.SetMulti(k2, strings.Split(v2, ","))
		r := &Request{Principal: p, Action: action, Resource: resource, ResourceAccount: p.Account, Context: ctx}
		for _, pol := range append(policies, cond) {
			set := &Set{Resource: pol, Identity: []*Policy{cond}, Endpoint: []*Policy{pol}}
			got := set.Evaluate(r)
			if e := set.Explain(r); e.Decision != got.Decision || e.Summary == "" {
				t.Fatalf("Explain %v, Evaluate %v", e.Decision, got.Decision)
			}
		}
	})
}

// FuzzGlob checks the wildcard matcher against a regular expression built
// from the same pattern.
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{{"a*b?c", "axxbyc"}, {"*", ""}, {"?", "é"}, {"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaa"}, {"*.*", "a.b.c"}, {"abc", "ABC"}} {
		f.Add(s[0], s[1], false)
		f.Add(s[0], s[1], true)
	}
	f.Fuzz(func(t *testing.T, pat, s string, fold bool) {
		if !utf8.ValidString(pat) || !utf8.ValidString(s) || len(pat) > 64 {
			return
		}
		p := compilePattern(pat, true, false)
		got, ok := p.match(s, fold, nil)
		if !ok {
			t.Fatalf("pattern %q without variables reported unresolved", pat)
		}
		var re strings.Builder
		re.WriteString(`^(?s)`)
		if fold {
			// ASCII-only folding: fold ASCII letters by hand.
			for _, r := range pat {
				switch {
				case r == '*':
					re.WriteString(".*")
				case r == '?':
					re.WriteString(".")
				case r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
					lower, upper := strings.ToLower(string(r)), strings.ToUpper(string(r))
					re.WriteString("[" + lower + upper + "]")
				default:
					re.WriteString(regexp.QuoteMeta(string(r)))
				}
			}
		} else {
			for _, r := range pat {
				switch r {
				case '*':
					re.WriteString(".*")
				case '?':
					re.WriteString(".")
				default:
					re.WriteString(regexp.QuoteMeta(string(r)))
				}
			}
		}
		re.WriteString("$")
		want := regexp.MustCompile(re.String()).MatchString(s)
		if got != want {
			t.Fatalf("pattern %q (fold %v) on %q: got %v, regexp %s says %v", pat, fold, s, got, re.String(), want)
		}
	})
}
