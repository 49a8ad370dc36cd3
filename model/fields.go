package model

import (
	"regexp"
	"strings"
	"unicode"
)

// NameRule is the constraint the API Reference puts on the name of one type
// of resource: a length range, the characters a-z, 0-9 and hyphen, no hyphen
// first, last or after another hyphen, and for some types a reserved
// prefix.
type NameRule struct {
	Min, Max int
	// Reserved is a prefix names may not start with, such as "svc-".
	Reserved string
}

// The name rules of the API Reference (ServiceNetworkName, ServiceName,
// ListenerName, RuleName, TargetGroupName).
var (
	ServiceNetworkNameRule = NameRule{Min: 3, Max: 63}
	ServiceNameRule        = NameRule{Min: 3, Max: 40, Reserved: "svc-"}
	ListenerNameRule       = NameRule{Min: 3, Max: 63, Reserved: "listener-"}
	RuleNameRule           = NameRule{Min: 3, Max: 63, Reserved: "rule-"}
	TargetGroupNameRule    = NameRule{Min: 3, Max: 128, Reserved: "tg-"}
)

// Check returns nil if name satisfies the rule, or a message saying why
// not.
func (r NameRule) Check(name string) (msg string, ok bool) {
	if len(name) < r.Min || len(name) > r.Max {
		return "must be between " + itoa(r.Min) + " and " + itoa(r.Max) + " characters long", false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return "may contain only a-z, 0-9 and hyphens (-)", false
		}
	}
	switch {
	case name[0] == '-' || name[len(name)-1] == '-':
		return "may not start or end with a hyphen", false
	case strings.Contains(name, "--"):
		return "may not contain a hyphen immediately after another hyphen", false
	case r.Reserved != "" && strings.HasPrefix(name, r.Reserved):
		return "may not start with \"" + r.Reserved + "\"", false
	}
	return "", true
}

// Name records field as invalid unless it satisfies rule.
func (v *Validator) Name(field, name string, rule NameRule) bool {
	if msg, ok := rule.Check(name); !ok {
		v.Addf(field, "%s", msg)
		return false
	}
	return true
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// ClientToken records field as invalid unless tok is a valid client token:
// 1 to 64 printable ASCII characters without spaces ([!-~]+).
func (v *Validator) ClientToken(field, tok string) bool {
	if len(tok) < 1 || len(tok) > 64 {
		v.Addf(field, "must be between 1 and 64 characters long")
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '!' || tok[i] > '~' {
			v.Addf(field, "may contain only printable ASCII characters other than space")
			return false
		}
	}
	return true
}

// MaxTagsPerResource is how many tags one resource may carry.
const MaxTagsPerResource = 50

// TagKey records field as invalid unless k is a valid tag key: 1 to 128
// characters of Unicode letters, digits, white space and _ . : / = + - @,
// not starting with "aws:".
func (v *Validator) TagKey(field, k string) bool {
	if !v.Length(field, k, 1, 128) {
		return false
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		v.Addf(field, "tag keys may not start with \"aws:\", which is reserved for AWS use")
		return false
	}
	if !tagChars(k) {
		v.Addf(field, "may contain only Unicode letters, digits, white space and _ . : / = + - @")
		return false
	}
	return true
}

// TagValue records field as invalid unless s is a valid tag value: up to 256
// characters of the tag-key character set.
func (v *Validator) TagValue(field, s string) bool {
	if !v.Length(field, s, 0, 256) {
		return false
	}
	if !tagChars(s) {
		v.Addf(field, "may contain only Unicode letters, digits, white space and _ . : / = + - @")
		return false
	}
	return true
}

func tagChars(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r) || strings.ContainsRune("_.:/=+-@", r) {
			continue
		}
		return false
	}
	return true
}

// Tags records the invalid keys and values of a tag map, which may hold at
// most MaxTagsPerResource tags.
func (v *Validator) Tags(field string, tags map[string]string) bool {
	ok := true
	if len(tags) > MaxTagsPerResource {
		v.Addf(field, "a resource may have at most %d tags, got %d", MaxTagsPerResource, len(tags))
		ok = false
	}
	for _, k := range sortedKeys(tags) {
		ok = v.TagKey(field+"."+k, k) && ok
		ok = v.TagValue(field+"."+k, tags[k]) && ok
	}
	return ok
}

var (
	vpcIDPattern         = regexp.MustCompile(`^vpc-([0-9a-z]{8}|[0-9a-z]{17})$`)
	securityGroupPattern = regexp.MustCompile(`^sg-([0-9a-z]{8}|[0-9a-z]{17})$`)
	certificateARNRe     = regexp.MustCompile(`^arn(:[a-z0-9]+([.-][a-z0-9]+)*){2}(:([a-z0-9]+([.-][a-z0-9]+)*)?){2}:certificate/[0-9a-z-]+$`)
	destinationARNRe     = regexp.MustCompile(`^arn(:[a-z0-9]+([.-][a-z0-9]+)*){2}(:([a-z0-9]+([.-][a-z0-9]+)*)?){2}:([^/].*)?$`)
)

// VPCID records field as invalid unless s is a VPC ID (vpc- and 8 or 17
// characters of [0-9a-z]).
func (v *Validator) VPCID(field, s string) bool {
	if !vpcIDPattern.MatchString(s) {
		v.Addf(field, "must be a VPC ID such as vpc-0123456789abcdef0")
		return false
	}
	return true
}

// SecurityGroupIDs records field as invalid unless ids holds between min
// and 5 distinct security group IDs (sg- and 8 or 17 characters of [0-9a-z]).
func (v *Validator) SecurityGroupIDs(field string, ids []string, min int) bool {
	ok := true
	if len(ids) < min || len(ids) > MaxSecurityGroupsPerAssociation {
		v.Addf(field, "must list between %d and %d security groups, got %d", min, MaxSecurityGroupsPerAssociation, len(ids))
		ok = false
	}
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		f := field + "[" + itoa(i) + "]"
		switch {
		case !securityGroupPattern.MatchString(id):
			v.Addf(f, "must be a security group ID such as sg-0123456789abcdef0")
			ok = false
		case seen[id]:
			v.Addf(f, "security group %s is listed twice", id)
			ok = false
		}
		seen[id] = true
	}
	return ok
}

// MaxSecurityGroupsPerAssociation is the (not adjustable) quota of security
// groups on a service network VPC association.
const MaxSecurityGroupsPerAssociation = 5

// CertificateARN records field as invalid unless s is empty or an ACM
// certificate ARN.
func (v *Validator) CertificateARN(field, s string) bool {
	if s == "" {
		return true
	}
	if len(s) > 2048 || !certificateARNRe.MatchString(s) {
		v.Addf(field, "must be the ARN of a certificate, such as arn:aws:acm:us-west-2:111122223333:certificate/abcd-1234")
		return false
	}
	return true
}

// DomainName records field as invalid unless s is a fully qualified domain
// name of 3 to 255 characters: labels of letters, digits and hyphens (not
// first or last), separated by dots, at least two labels.
func (v *Validator) DomainName(field, s string) bool {
	if !v.Length(field, s, 3, 255) {
		return false
	}
	labels := strings.Split(strings.TrimSuffix(s, "."), ".")
	if len(labels) < 2 {
		v.Addf(field, "must be a fully qualified domain name such as orders.example.com")
		return false
	}
	for _, l := range labels {
		if !isDNSLabel(l) {
			v.Addf(field, "must be a fully qualified domain name such as orders.example.com; %q is not a valid label", l)
			return false
		}
	}
	return true
}

func isDNSLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
