package model

import (
	"strings"
	"testing"
)

func TestNameRules(t *testing.T) {
	for _, tc := range []struct {
		rule NameRule
		name string
		ok   bool
	}{
		{ServiceNameRule, "billing", true},
		{ServiceNameRule, "a1-b2", true},
		{ServiceNameRule, "ab", false},
		{ServiceNameRule, strings.Repeat("a", 40), true},
		{ServiceNameRule, strings.Repeat("a", 41), false},
		{ServiceNameRule, "Billing", false},
		{ServiceNameRule, "bill_ing", false},
		{ServiceNameRule, "-billing", false},
		{ServiceNameRule, "billing-", false},
		{ServiceNameRule, "bill--ing", false},
		{ServiceNameRule, "svc-billing", false},
		{ServiceNameRule, "svcbilling", true},
		{ServiceNetworkNameRule, strings.Repeat("a", 63), true},
		{ServiceNetworkNameRule, strings.Repeat("a", 64), false},
		{ServiceNetworkNameRule, "sn-ok", true},
		{ListenerNameRule, "listener-1", false},
		{ListenerNameRule, "http-listener", true},
		{RuleNameRule, "rule-1", false},
		{RuleNameRule, "api-rule", true},
		{TargetGroupNameRule, "tg-web", false},
		{TargetGroupNameRule, strings.Repeat("a", 128), true},
		{TargetGroupNameRule, strings.Repeat("a", 129), false},
		{TargetGroupNameRule, "wéb", false},
	} {
		msg, ok := tc.rule.Check(tc.name)
		if ok != tc.ok || !ok && msg == "" {
			t.Errorf("%+v.Check(%q) = %q, %v", tc.rule, tc.name, msg, ok)
		}
	}
}

func TestFieldValidators(t *testing.T) {
	check := func(name string, f func(v *Validator) bool, want bool) {
		t.Helper()
		var v Validator
		got := f(&v)
		if got != want || v.OK() != want {
			t.Errorf("%s: got %v, errors %v", name, got, v.Err())
		}
		if err := v.Err(); err != nil {
			ve := err.(*ValidationError)
			if ve.Reason != ReasonFieldValidationFailed || len(ve.Fields) == 0 || ve.Fields[0].Name == "" {
				t.Errorf("%s: %+v", name, ve)
			}
		}
	}
	check("token", func(v *Validator) bool { return v.ClientToken("clientToken", "abc-123_!~") }, true)
	check("token with space", func(v *Validator) bool { return v.ClientToken("clientToken", "a b") }, false)
	check("long token", func(v *Validator) bool { return v.ClientToken("clientToken", strings.Repeat("a", 65)) }, false)
	check("tag", func(v *Validator) bool { return v.TagKey("tags.k", "team:cost-center/été") }, true)
	check("aws tag", func(v *Validator) bool { return v.TagKey("tags.k", "AWS:x") }, false)
	check("tag chars", func(v *Validator) bool { return v.TagKey("tags.k", "a*b") }, false)
	check("tag value", func(v *Validator) bool { return v.TagValue("tags.k", "") }, true)
	check("long tag value", func(v *Validator) bool { return v.TagValue("tags.k", strings.Repeat("x", 257)) }, false)
	check("vpc", func(v *Validator) bool { return v.VPCID("vpc", "vpc-0123456789abcdef0") }, true)
	check("short vpc", func(v *Validator) bool { return v.VPCID("vpc", "vpc-01234567") }, true)
	check("bad vpc", func(v *Validator) bool { return v.VPCID("vpc", "vpc-0123") }, false)
	check("sgs", func(v *Validator) bool {
		return v.SecurityGroupIDs("sg", []string{"sg-01234567", "sg-0123456789abcdef0"}, 0)
	}, true)
	check("dup sgs", func(v *Validator) bool { return v.SecurityGroupIDs("sg", []string{"sg-01234567", "sg-01234567"}, 0) }, false)
	check("no sgs", func(v *Validator) bool { return v.SecurityGroupIDs("sg", nil, 1) }, false)
	check("cert", func(v *Validator) bool {
		return v.CertificateARN("c", "arn:aws:acm:us-west-2:111122223333:certificate/12345678-abcd")
	}, true)
	check("bad cert", func(v *Validator) bool { return v.CertificateARN("c", "arn:aws:acm:us-west-2:111122223333:cert/x") }, false)
	check("domain", func(v *Validator) bool { return v.DomainName("d", "orders.example.com") }, true)
	check("one label", func(v *Validator) bool { return v.DomainName("d", "localhost") }, false)
	check("bad label", func(v *Validator) bool { return v.DomainName("d", "-x.example.com") }, false)
}

func TestTagsLimit(t *testing.T) {
	tags := map[string]string{}
	for i := 0; i <= MaxTagsPerResource; i++ {
		tags["k"+itoa(i)] = "v"
	}
	var v Validator
	if v.Tags("tags", tags) {
		t.Errorf("%d tags accepted", len(tags))
	}
}
