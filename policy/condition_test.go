package policy

import (
	"fmt"
	"strings"
	"testing"
)

// ctxKV builds a context from alternating keys and values; a value of type
// []string is a multivalued key.
func ctxKV(kv ...any) *Context {
	c := NewContext(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		switch v := kv[i+1].(type) {
		case string:
			c.Set(k, v)
		case []string:
			c.SetMulti(k, v)
		}
	}
	return c
}

// condPolicy is an identity policy whose one Allow statement has the given
// Condition block.
func condPolicy(t *testing.T, condition string) *Policy {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":` + condition + `}}`
	p, err := Parse([]byte(doc), Options{Kind: KindIdentity})
	if err != nil {
		t.Fatalf("parse %s: %v", condition, err)
	}
	return p
}

func condHolds(t *testing.T, condition string, ctx *Context) bool {
	t.Helper()
	p := condPolicy(t, condition)
	r := &Request{Principal: Principal{Type: User, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"},
		Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: "111122223333", Context: ctx}
	return p.Evaluate(r).Decision == Allow
}

func TestConditionOperators(t *testing.T) {
	tests := []struct {
		cond string
		ctx  *Context
		want bool
	}{
		// String operators.
		{`{"StringEquals":{"aws:username":"alice"}}`, ctxKV("aws:username", "alice"), true},
		{`{"StringEquals":{"aws:username":"alice"}}`, ctxKV("aws:username", "Alice"), false},
		{`{"StringEquals":{"aws:username":["bob","alice"]}}`, ctxKV("aws:username", "alice"), true},
		{`{"StringEquals":{"aws:username":"ali*"}}`, ctxKV("aws:username", "alice"), false},
		{`{"StringEquals":{"aws:username":"ali*"}}`, ctxKV("aws:username", "ali*"), true},
		{`{"StringNotEquals":{"aws:username":"alice"}}`, ctxKV("aws:username", "bob"), true},
		{`{"StringNotEquals":{"aws:username":["bob","alice"]}}`, ctxKV("aws:username", "alice"), false},
		{`{"StringNotEquals":{"aws:username":["bob","alice"]}}`, ctxKV("aws:username", "carol"), true},
		{`{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctxKV("aws:username", "alice"), true},
		{`{"StringEqualsIgnoreCase":{"aws:username":"ÅSA"}}`, ctxKV("aws:username", "åsa"), true},
		{`{"StringNotEqualsIgnoreCase":{"aws:PrincipalType":"anonymous"}}`, ctxKV("aws:PrincipalType", "Anonymous"), false},
		{`{"StringNotEqualsIgnoreCase":{"aws:PrincipalType":"anonymous"}}`, ctxKV("aws:PrincipalType", "AssumedRole"), true},
		{`{"StringLike":{"aws:username":"ali*"}}`, ctxKV("aws:username", "alice"), true},
		{`{"StringLike":{"aws:username":"a?ice"}}`, ctxKV("aws:username", "alice"), true},
		{`{"StringLike":{"aws:username":"a?ice"}}`, ctxKV("aws:username", "aice"), false},
		{`{"StringLike":{"aws:username":"A*"}}`, ctxKV("aws:username", "alice"), false},
		{`{"StringLike":{"aws:username":"*"}}`, ctxKV("aws:username", ""), true},
		{`{"StringLike":{"aws:username":"a*b*c"}}`, ctxKV("aws:username", "aXXbYYbZc"), true},
		{`{"StringLike":{"aws:username":"a*b*c"}}`, ctxKV("aws:username", "aXXbYYbZ"), false},
		{`{"StringLike":{"aws:username":"é?"}}`, ctxKV("aws:username", "éü"), true},
		{`{"StringNotLike":{"aws:username":["a*","b*"]}}`, ctxKV("aws:username", "carol"), true},
		{`{"StringNotLike":{"aws:username":["a*","b*"]}}`, ctxKV("aws:username", "bob"), false},

		// Numeric operators.
		{`{"NumericEquals":{"s3:max-keys":"10"}}`, ctxKV("s3:max-keys", "10"), true},
		{`{"NumericEquals":{"s3:max-keys":10}}`, ctxKV("s3:max-keys", "10.0"), true},
		{`{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctxKV("s3:max-keys", "11"), true},
		{`{"NumericLessThan":{"s3:max-keys":"10"}}`, ctxKV("s3:max-keys", "9"), true},
		{`{"NumericLessThan":{"s3:max-keys":"10"}}`, ctxKV("s3:max-keys", "10"), false},
		{`{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctxKV("s3:max-keys", "10"), true},
		{`{"NumericGreaterThan":{"s3:max-keys":"10"}}`, ctxKV("s3:max-keys", "10.5"), true},
		{`{"NumericGreaterThanEquals":{"s3:max-keys":"-1"}}`, ctxKV("s3:max-keys", "-1"), true},
		{`{"NumericGreaterThanEquals":{"s3:max-keys":"-1"}}`, ctxKV("s3:max-keys", "-2"), false},
		// A request value that is not a number fails positive and negated operators alike.
		{`{"NumericEquals":{"s3:max-keys":"10"}}`, ctxKV("s3:max-keys", "ten"), false},
		{`{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctxKV("s3:max-keys", "ten"), false},

		// Date operators, with ISO 8601 and epoch seconds.
		{`{"DateEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctxKV("aws:CurrentTime", "2026-01-01T00:00:00Z"), true},
		{`{"DateEquals":{"aws:CurrentTime":"2026-01-01"}}`, ctxKV("aws:CurrentTime", "2026-01-01T00:00:00Z"), true},
		{`{"DateEquals":{"aws:CurrentTime":"2026-01-01T01:00:00+01:00"}}`, ctxKV("aws:CurrentTime", "2026-01-01T00:00:00Z"), true},
		{`{"DateEquals":{"aws:CurrentTime":"1767225600"}}`, ctxKV("aws:CurrentTime", "2026-01-01T00:00:00Z"), true},
		{`{"DateNotEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctxKV("aws:CurrentTime", "2026-01-02T00:00:00Z"), true},
		{`{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctxKV("aws:CurrentTime", "2025-12-31T23:59:59Z"), true},
		{`{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctxKV("aws:CurrentTime", "2026-01-01T00:00:00Z"), false},
		{`{"DateLessThanEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctxKV("aws:CurrentTime", "2026-01-01T00:00:00Z"), true},
		{`{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctxKV("aws:CurrentTime", "2026-01-01T00:00:00.5Z"), true},
		{`{"DateGreaterThanEquals":{"aws:EpochTime":"1767225600"}}`, ctxKV("aws:EpochTime", "1767225599"), false},
		{`{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctxKV("aws:CurrentTime", "yesterday"), false},
		{`{"DateNotEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctxKV("aws:CurrentTime", "yesterday"), false},

		// Bool.
		{`{"Bool":{"aws:SecureTransport":"true"}}`, ctxKV("aws:SecureTransport", "true"), true},
		{`{"Bool":{"aws:SecureTransport":true}}`, ctxKV("aws:SecureTransport", "TRUE"), true},
		{`{"Bool":{"aws:SecureTransport":"true"}}`, ctxKV("aws:SecureTransport", "false"), false},
		{`{"Bool":{"aws:SecureTransport":"false"}}`, ctxKV("aws:SecureTransport", "no"), false},

		// BinaryEquals compares the base64 text.
		{`{"BinaryEquals":{"dynamodb:Key":"QmluYXJ5"}}`, ctxKV("dynamodb:Key", "QmluYXJ5"), true},
		{`{"BinaryEquals":{"dynamodb:Key":"QmluYXJ5"}}`, ctxKV("dynamodb:Key", "QmluYXJ6"), false},

		// IP addresses, IPv4 and IPv6.
		{`{"IpAddress":{"aws:SourceIp":"10.0.0.0/16"}}`, ctxKV("aws:SourceIp", "10.0.255.1"), true},
		{`{"IpAddress":{"aws:SourceIp":"10.0.0.0/16"}}`, ctxKV("aws:SourceIp", "10.1.0.1"), false},
		{`{"IpAddress":{"aws:SourceIp":"10.0.0.7"}}`, ctxKV("aws:SourceIp", "10.0.0.7"), true},
		{`{"IpAddress":{"aws:SourceIp":"10.0.0.9/16"}}`, ctxKV("aws:SourceIp", "10.0.3.3"), true},
		{`{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}`, ctxKV("aws:SourceIp", "2001:db8:1::5"), true},
		{`{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctxKV("aws:SourceIp", "2001:db9::5"), false},
		{`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxKV("aws:SourceIp", "not-an-ip"), false},
		{`{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxKV("aws:SourceIp", "192.168.1.1"), true},
		{`{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxKV("aws:SourceIp", "10.2.3.4"), false},
		{`{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxKV("aws:SourceIp", "2001:db8::1"), true},
		{`{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxKV("aws:SourceIp", "not-an-ip"), false},

		// ARN operators match part by part, with case, wildcards in both.
		{`{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:topic"}}`, ctxKV("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"), true},
		{`{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"}}`, ctxKV("aws:SourceArn", "arn:aws:sns:eu-west-1:111122223333:topic"), true},
		{`{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"}}`, ctxKV("aws:SourceArn", "arn:aws:sns:eu-west-1:444455556666:topic"), false},
		{`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/app-*"}}`, ctxKV("aws:PrincipalArn", "arn:aws:iam::111122223333:role/app-web"), true},
		{`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/app-*"}}`, ctxKV("aws:PrincipalArn", "arn:aws:iam::111122223333:role/App-web"), false},
		// A wildcard in one part never reaches into the next.
		{`{"ArnLike":{"aws:SourceArn":"arn:aws:s*:us-east-1:111122223333:x"}}`, ctxKV("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:x"), true},
		{`{"ArnLike":{"aws:SourceArn":"arn:aws:s*:111122223333:x:y"}}`, ctxKV("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:x"), false},
		{`{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, ctxKV("aws:SourceArn", "not-an-arn"), false},
		{`{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, ctxKV("aws:SourceArn", "not-an-arn"), false},
		{`{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/admin"}}`, ctxKV("aws:PrincipalArn", "arn:aws:iam::111122223333:role/dev"), true},
		{`{"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::*:role/a*","arn:aws:iam::*:role/b*"]}}`, ctxKV("aws:PrincipalArn", "arn:aws:iam::111122223333:role/b1"), false},

		// Null.
		{`{"Null":{"aws:TokenIssueTime":"true"}}`, ctxKV(), true},
		{`{"Null":{"aws:TokenIssueTime":"true"}}`, ctxKV("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), false},
		{`{"Null":{"aws:TokenIssueTime":"false"}}`, ctxKV("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), true},
		{`{"Null":{"aws:TokenIssueTime":false}}`, ctxKV(), false},
		{`{"Null":{"aws:TagKeys":"false"}}`, ctxKV("aws:TagKeys", []string{}), true},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			if got := condHolds(t, tt.cond, tt.ctx); got != tt.want {
				t.Errorf("condition %s with %v: got %v, want %v", tt.cond, contextString(tt.ctx), got, tt.want)
			}
		})
	}
}

func contextString(c *Context) string {
	var parts []string
	for k, v := range c.All() {
		if c.IsMulti(k) {
			parts = append(parts, fmt.Sprintf("%s=%q", k, v))
		} else {
			parts = append(parts, fmt.Sprintf("%s=%q", k, v[0]))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// TestConditionMissingKeys covers AWS's rules for a key the request does
// not carry: positive operators fail, negated operators hold, IfExists
// holds, ForAllValues holds, ForAnyValue fails.
func TestConditionMissingKeys(t *testing.T) {
	empty := ctxKV()
	tests := []struct {
		cond string
		want bool
	}{
		{`{"StringEquals":{"aws:SourceVpc":"vpc-1"}}`, false},
		{`{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}`, true},
		{`{"StringNotEqualsIgnoreCase":{"aws:SourceVpc":"vpc-1"}}`, true},
		{`{"StringLike":{"aws:SourceVpc":"*"}}`, false},
		{`{"StringNotLike":{"aws:SourceVpc":"*"}}`, true},
		{`{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}`, true},
		{`{"NumericLessThanIfExists":{"s3:max-keys":"5"}}`, true},
		{`{"NumericNotEquals":{"s3:max-keys":"5"}}`, true},
		{`{"NumericEquals":{"s3:max-keys":"5"}}`, false},
		{`{"DateNotEquals":{"aws:CurrentTime":"2026-01-01"}}`, true},
		{`{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01"}}`, false},
		{`{"Bool":{"aws:SecureTransport":"false"}}`, false},
		{`{"BoolIfExists":{"aws:SecureTransport":"false"}}`, true},
		{`{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, false},
		{`{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, true},
		{`{"ArnLike":{"aws:SourceArn":"arn:*:*:*:*:*"}}`, false},
		{`{"ArnNotLike":{"aws:SourceArn":"arn:*:*:*:*:*"}}`, true},
		{`{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::b"}}`, true},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, true},
		{`{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a"]}}`, true},
		{`{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, false},
		{`{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, false},
		{`{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["a"]}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			if got := condHolds(t, tt.cond, empty); got != tt.want {
				t.Errorf("condition %s with no keys: got %v, want %v", tt.cond, got, tt.want)
			}
		})
	}
}

// TestConditionSetOperators covers ForAllValues and ForAnyValue over
// multivalued keys, including an empty set, and plain operators on them.
func TestConditionSetOperators(t *testing.T) {
	tags := func(v ...string) *Context { return ctxKV("aws:TagKeys", v) }
	tests := []struct {
		cond string
		ctx  *Context
		want bool
	}{
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, tags("a"), true},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, tags("a", "b"), true},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, tags("a", "c"), false},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, tags(), true}, // the empty set
		{`{"ForAllValues:StringLike":{"aws:TagKeys":["team-*"]}}`, tags("team-a", "team-b"), true},
		{`{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, tags("a", "b"), true},
		{`{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, tags("a", "secret"), false},
		{`{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, tags("c", "b"), true},
		{`{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, tags("c", "d"), false},
		{`{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, tags(), false},
		{`{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, tags("a", "b"), true},
		{`{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, tags("a"), false},
		{`{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":["o-a1/r-ab12/ou-ab12-11111111/*"]}}`,
			ctxKV("aws:PrincipalOrgPaths", []string{"o-a1/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"}), true},
		// A set operator on a single-valued key treats it as a one-element set.
		{`{"ForAnyValue:StringEquals":{"aws:username":["alice"]}}`, ctxKV("aws:username", "alice"), true},
		{`{"ForAllValues:StringEquals":{"aws:username":["bob"]}}`, ctxKV("aws:username", "alice"), false},
		// Without a set operator, a multivalued key never matches, even with a
		// negated operator.
		{`{"StringEquals":{"aws:TagKeys":"a"}}`, tags("a"), false},
		{`{"StringNotEquals":{"aws:TagKeys":"z"}}`, tags("a"), false},
		{`{"StringEqualsIfExists":{"aws:TagKeys":"a"}}`, tags("a"), false},
		// Numeric and IP operators under set operators.
		{`{"ForAllValues:NumericLessThan":{"ec2:Port":"1024"}}`, ctxKV("ec2:Port", []string{"80", "443"}), true},
		{`{"ForAnyValue:IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxKV("aws:SourceIp", []string{"192.0.2.1", "10.1.1.1"}), true},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			if got := condHolds(t, tt.cond, tt.ctx); got != tt.want {
				t.Errorf("condition %s with %s: got %v, want %v", tt.cond, contextString(tt.ctx), got, tt.want)
			}
		})
	}
}

// TestConditionBlocks covers how a Condition block combines: operators and
// keys are ANDed, values are ORed.
func TestConditionBlocks(t *testing.T) {
	cond := `{"StringEquals":{"aws:username":["alice","bob"],"aws:SourceVpc":"vpc-1"},"Bool":{"aws:SecureTransport":"true"}}`
	tests := []struct {
		ctx  *Context
		want bool
	}{
		{ctxKV("aws:username", "bob", "aws:SourceVpc", "vpc-1", "aws:SecureTransport", "true"), true},
		{ctxKV("aws:username", "bob", "aws:SourceVpc", "vpc-2", "aws:SecureTransport", "true"), false},
		{ctxKV("aws:username", "bob", "aws:SourceVpc", "vpc-1", "aws:SecureTransport", "false"), false},
		{ctxKV("aws:username", "carol", "aws:SourceVpc", "vpc-1", "aws:SecureTransport", "true"), false},
	}
	for _, tt := range tests {
		if got := condHolds(t, cond, tt.ctx); got != tt.want {
			t.Errorf("%s: got %v, want %v", contextString(tt.ctx), got, tt.want)
		}
	}
}

// TestConditionKeyCase covers key-name case rules: global keys compare
// without case; VPC Lattice keys compare with case, as its guide documents.
func TestConditionKeyCase(t *testing.T) {
	tests := []struct {
		cond string
		ctx  *Context
		want bool
	}{
		{`{"StringEquals":{"AWS:SOURCEVPC":"vpc-1"}}`, ctxKV("aws:SourceVpc", "vpc-1"), true},
		{`{"StringEquals":{"aws:PrincipalTag/Team":"blue"}}`, ctxKV("aws:principaltag/team", "blue"), true},
		{`{"StringEquals":{"vpc-lattice-svcs:RequestMethod":"GET"}}`, ctxKV("vpc-lattice-svcs:RequestMethod", "GET"), true},
		{`{"StringEquals":{"vpc-lattice-svcs:requestmethod":"GET"}}`, ctxKV("vpc-lattice-svcs:RequestMethod", "GET"), false},
		{`{"StringEquals":{"vpc-lattice-svcs:RequestHeader/x-team":"blue"}}`, ctxKV("vpc-lattice-svcs:RequestHeader/x-team", "blue"), true},
		{`{"StringEquals":{"vpc-lattice-svcs:RequestHeader/X-Team":"blue"}}`, ctxKV("vpc-lattice-svcs:RequestHeader/x-team", "blue"), false},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			if got := condHolds(t, tt.cond, tt.ctx); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPolicyVariables covers substitution in condition values and
// resources, the escapes, defaults, and keys without a value.
func TestPolicyVariables(t *testing.T) {
	tests := []struct {
		cond string
		ctx  *Context
		want bool
	}{
		{`{"StringEquals":{"s3:prefix":"home/${aws:username}/"}}`, ctxKV("aws:username", "alice", "s3:prefix", "home/alice/"), true},
		{`{"StringEquals":{"s3:prefix":"home/${aws:username}/"}}`, ctxKV("aws:username", "alice", "s3:prefix", "home/bob/"), false},
		{`{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, ctxKV("aws:PrincipalTag/team", "blue", "aws:ResourceTag/team", "blue"), true},
		{`{"StringEquals":{"aws:SourceVpc":"${aws:SourceVpc}"}}`, ctxKV("aws:SourceVpc", "vpc-1"), true},
		// A variable's value is matched literally, even under StringLike.
		{`{"StringLike":{"s3:prefix":"${aws:username}"}}`, ctxKV("aws:username", "a*", "s3:prefix", "abc"), false},
		{`{"StringLike":{"s3:prefix":"${aws:username}/*"}}`, ctxKV("aws:username", "a*", "s3:prefix", "a*/x"), true},
		// Escapes produce the literal characters.
		{`{"StringEquals":{"s3:prefix":"${*}${?}${$}"}}`, ctxKV("s3:prefix", "*?$"), true},
		{`{"StringLike":{"s3:prefix":"a${*}"}}`, ctxKV("s3:prefix", "abc"), false},
		{`{"StringLike":{"s3:prefix":"a${*}"}}`, ctxKV("s3:prefix", "a*"), true},
		// Defaults apply when the key is missing.
		{`{"StringEquals":{"s3:prefix":"${aws:username, 'nobody'}"}}`, ctxKV("s3:prefix", "nobody"), true},
		{`{"StringEquals":{"s3:prefix":"${aws:username,'nobody'}"}}`, ctxKV("s3:prefix", "nobody"), true},
		{`{"StringEquals":{"s3:prefix":"${aws:username, 'nobody'}"}}`, ctxKV("aws:username", "alice", "s3:prefix", "nobody"), false},
		// A variable with no value and no default matches nothing; it also
		// fails a negated operator.
		{`{"StringEquals":{"s3:prefix":"${aws:username}"}}`, ctxKV("s3:prefix", "${aws:username}"), false},
		{`{"StringNotEquals":{"s3:prefix":"${aws:username}"}}`, ctxKV("s3:prefix", "x"), false},
		// A multivalued key cannot be substituted.
		{`{"StringEquals":{"s3:prefix":"${aws:TagKeys}"}}`, ctxKV("aws:TagKeys", []string{"a"}, "s3:prefix", "a"), false},
		// An unterminated "${" is text.
		{`{"StringEquals":{"s3:prefix":"a${b"}}`, ctxKV("s3:prefix", "a${b"), true},
		// ARN operators substitute too.
		{`{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}`, ctxKV("aws:PrincipalAccount", "111122223333", "aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:t"), true},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			if got := condHolds(t, tt.cond, tt.ctx); got != tt.want {
				t.Errorf("condition %s with %s: got %v, want %v", tt.cond, contextString(tt.ctx), got, tt.want)
			}
		})
	}
}

// TestVariablesNeedVersion checks that a 2008-10-17 policy treats ${...} as
// text, as AWS does.
func TestVariablesNeedVersion(t *testing.T) {
	doc := `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}"}}`
	p, err := Parse([]byte(doc), Options{Kind: KindIdentity})
	if err != nil {
		t.Fatal(err)
	}
	if !hasCode(p.Warnings(), "variables-need-version") {
		t.Errorf("no variables-need-version warning: %v", p.Warnings())
	}
	req := func(res string) *Request {
		return &Request{Principal: Principal{Type: User, ARN: "arn:aws:iam::1:user/alice"}, Action: "s3:GetObject", Resource: res, Context: ctxKV("aws:username", "alice")}
	}
	if p.Evaluate(req("arn:aws:s3:::b/alice")).Decision == Allow {
		t.Error("2008-10-17 policy substituted a variable")
	}
	if p.Evaluate(req("arn:aws:s3:::b/${aws:username}")).Decision != Allow {
		t.Error("2008-10-17 policy did not match the literal text")
	}
}

func hasCode(ds []Diagnostic, code string) bool {
	for _, d := range ds {
		if d.Code == code {
			return true
		}
	}
	return false
}

func TestContext(t *testing.T) {
	c := NewContext(2)
	c.Add("aws:SourceVpc", "vpc-1")
	c.Add("aws:sourcevpc", "vpc-2")
	if v, _, _ := c.Get("AWS:SOURCEVPC"); v[0] != "vpc-1" {
		t.Errorf("Add: the first value should stay in effect, got %q", v)
	}
	c.Set("aws:SourceVpc", "vpc-3")
	if v, _, _ := c.Get("aws:sourcevpc"); v[0] != "vpc-3" {
		t.Errorf("Set did not replace: %q", v)
	}
	c.SetMulti("aws:TagKeys", []string{"a", "b"})
	if v, multi, ok := c.Get("aws:tagkeys"); !ok || !multi || len(v) != 2 {
		t.Errorf("SetMulti: %v %v %v", v, multi, ok)
	}
	c.Delete("aws:TagKeys")
	if _, _, ok := c.Get("aws:TagKeys"); ok {
		t.Error("Delete left the key")
	}
	c.Set("vpc-lattice-svcs:Port", "443")
	if _, _, ok := c.Get("vpc-lattice-svcs:port"); ok {
		t.Error("VPC Lattice keys must compare with case")
	}
	n := c.Len()
	c.Reset()
	if c.Len() != 0 || n == 0 {
		t.Errorf("Reset: %d keys before, %d after", n, c.Len())
	}
	var nilCtx *Context
	if _, _, ok := nilCtx.Get("aws:SourceVpc"); ok || nilCtx.Len() != 0 {
		t.Error("a nil context must be empty")
	}
}
