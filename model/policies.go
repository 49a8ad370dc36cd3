package model

import (
	"errors"
	"fmt"

	"github.com/trellisproject/trellis/policy"
)

// MaxResourcePolicyChars is the size limit of a resource policy
// (PolicyString: 1 to 10,000 characters).
const MaxResourcePolicyChars = 10000

// ParseAuthPolicy validates and compiles an auth policy: a resource-based
// IAM policy of at most policy.LatticeAuthPolicyMaxBytes bytes (the 10 KB
// quota). Its errors are *ValidationError values on the field "policy",
// one per problem, each with its line and column.
func ParseAuthPolicy(doc, name string) (*policy.Policy, error) {
	p, err := policy.Parse([]byte(doc), policy.Options{Kind: policy.KindResource, MaxBytes: policy.LatticeAuthPolicyMaxBytes, Name: name})
	if err != nil {
		return nil, policyError(err)
	}
	return p, nil
}

// ParseResourcePolicy validates a resource policy of at most
// MaxResourcePolicyChars characters.
func ParseResourcePolicy(doc, name string) (*policy.Policy, error) {
	p, err := policy.Parse([]byte(doc), policy.Options{Kind: policy.KindResource, MaxChars: MaxResourcePolicyChars, Name: name})
	if err != nil {
		return nil, policyError(err)
	}
	return p, nil
}

func policyError(err error) error {
	var v Validator
	var ve *policy.ValidationError
	if errors.As(err, &ve) {
		for _, d := range ve.Errors() {
			msg := d.Message
			if d.Line > 0 {
				msg = fmt.Sprintf("%d:%d: %s", d.Line, d.Column, d.Message)
			}
			if d.Path != "" {
				msg += " (at " + d.Path + ")"
			}
			v.Addf("policy", "%s", msg)
		}
	}
	if v.OK() {
		v.Addf("policy", "%s", err.Error())
	}
	return v.Err()
}
