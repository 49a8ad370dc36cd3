package policy

import (
	"errors"
	"fmt"
	"strings"
)

// PrincipalType says what kind of caller made a request. The zero value is
// Anonymous, so a Principal nobody filled in has the least access.
type PrincipalType uint8

const (
	// Anonymous is an unsigned caller. Only Principal "*" matches it.
	Anonymous PrincipalType = iota
	// Account is the root user of an account.
	Account
	// User is an IAM user.
	User
	// Role is an IAM role named directly by its ARN (a role itself does not
	// sign requests; its sessions do).
	Role
	// AssumedRole is a role session: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
	AssumedRole
	// FederatedUser is a session from GetFederationToken:
	// arn:aws:sts::ACCOUNT:federated-user/NAME.
	FederatedUser
	// Service is an AWS service principal such as ec2.amazonaws.com.
	Service
	// CanonicalUser is an Amazon S3 canonical user ID.
	CanonicalUser
	// WebIdentity is a federated identity provider named in a
	// Federated principal, such as cognito-identity.amazonaws.com.
	WebIdentity
)

var principalTypeNames = [...]string{
	Anonymous:     "Anonymous",
	Account:       "Account",
	User:          "User",
	Role:          "Role",
	AssumedRole:   "AssumedRole",
	FederatedUser: "FederatedUser",
	Service:       "Service",
	CanonicalUser: "CanonicalUser",
	WebIdentity:   "WebIdentity",
}

// String returns the value AWS uses for aws:PrincipalType where there is
// one ("Anonymous", "Account", "User", "AssumedRole", "FederatedUser").
func (t PrincipalType) String() string {
	if int(t) < len(principalTypeNames) {
		return principalTypeNames[t]
	}
	return fmt.Sprintf("PrincipalType(%d)", t)
}

// A Principal is the caller of a request, as policies see it.
type Principal struct {
	Type PrincipalType
	// ARN is the caller's ARN: the user, role session, federated user or
	// root ARN. Empty for anonymous callers and service principals.
	ARN string
	// Account is the caller's 12-digit account ID.
	Account string
	// Partition is "aws" unless the ARN says otherwise.
	Partition string
	// Name is the user name, role name, federated user name, service
	// principal name, canonical user ID or provider, by type.
	Name string
	// Session is the role session name of an AssumedRole.
	Session string
	// RoleARN is the role behind an AssumedRole session, the value of
	// aws:PrincipalArn. ParsePrincipal derives it without the role's path;
	// callers that know the path may set it.
	RoleARN string
	// HasPermissionsBoundary is true when a permissions boundary is attached
	// to the user or role. AWS documents that a resource policy's Deny with
	// NotPrincipal always applies to such principals.
	HasPermissionsBoundary bool
}

// IsAnonymous reports whether p is an unsigned caller.
func (p Principal) IsAnonymous() bool { return p.Type == Anonymous }

// String returns the caller's ARN, service name, or "anonymous".
func (p Principal) String() string {
	switch p.Type {
	case Anonymous:
		return "anonymous"
	case Service, CanonicalUser, WebIdentity:
		return p.Name
	}
	return p.ARN
}

// PrincipalARN returns the value of aws:PrincipalArn: the role ARN for a
// role session, the caller's ARN otherwise.
func (p Principal) PrincipalARN() string {
	if p.Type == AssumedRole && p.RoleARN != "" {
		return p.RoleARN
	}
	return p.ARN
}

// ParsePrincipal parses a caller given as an ARN (user, role, assumed-role
// session, federated user, root), a 12-digit account ID (its root), a
// service principal name ("lambda.amazonaws.com"), a 64-character S3
// canonical user ID, or "anonymous".
func ParsePrincipal(s string) (Principal, error) {
	switch {
	case s == "" || s == "anonymous":
		return Principal{Type: Anonymous}, nil
	case IsAccountID(s):
		return Principal{Type: Account, Account: s, Partition: "aws", ARN: "arn:aws:iam::" + s + ":root"}, nil
	case strings.HasPrefix(s, "arn:"):
		return parsePrincipalARN(s)
	case isServiceName(s):
		return Principal{Type: Service, Name: s}, nil
	case isCanonicalUserID(s):
		return Principal{Type: CanonicalUser, Name: s}, nil
	}
	return Principal{}, fmt.Errorf("principal %q is not an ARN, account ID, service principal (such as lambda.amazonaws.com) or \"anonymous\"", s)
}

func parsePrincipalARN(s string) (Principal, error) {
	a, err := ParseARN(s)
	if err != nil {
		return Principal{}, err
	}
	if !IsAccountID(a.Account) {
		return Principal{}, fmt.Errorf("principal ARN %q: the account %q is not a 12-digit account ID", s, a.Account)
	}
	p := Principal{ARN: s, Account: a.Account, Partition: a.Partition}
	kind, rest, _ := strings.Cut(a.Resource, "/")
	switch {
	case a.Service == "iam" && a.Resource == "root":
		p.Type = Account
	case a.Service == "iam" && kind == "user" && rest != "":
		p.Type = User
		p.Name = lastSegment(rest)
	case a.Service == "iam" && kind == "role" && rest != "":
		p.Type = Role
		p.Name = lastSegment(rest)
	case a.Service == "sts" && kind == "assumed-role":
		role, session, ok := strings.Cut(rest, "/")
		if !ok || role == "" || session == "" || strings.Contains(session, "/") {
			return Principal{}, fmt.Errorf("principal ARN %q: an assumed-role ARN has the form arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION", s)
		}
		p.Type = AssumedRole
		p.Name = role
		p.Session = session
		p.RoleARN = "arn:" + a.Partition + ":iam::" + a.Account + ":role/" + role
	case a.Service == "sts" && kind == "federated-user" && rest != "":
		p.Type = FederatedUser
		p.Name = rest
	default:
		return Principal{}, fmt.Errorf("principal ARN %q is not a user, role, assumed-role, federated-user or root ARN", s)
	}
	if a.Region != "" {
		return Principal{}, fmt.Errorf("principal ARN %q: IAM and STS principal ARNs have no region", s)
	}
	return p, nil
}

func lastSegment(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// IsAccountID reports whether s is a 12-digit AWS account ID.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isServiceName(s string) bool {
	if !strings.HasSuffix(s, ".amazonaws.com") && !strings.HasSuffix(s, ".amazonaws.com.cn") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func isCanonicalUserID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// An ARN is an Amazon Resource Name split into its six parts.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	// Resource is everything after the fifth colon, colons included.
	Resource string
}

// String reassembles the ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// ErrNotARN is wrapped by ParseARN's errors.
var ErrNotARN = errors.New("not an ARN")

// ParseARN splits s into the parts of an ARN:
// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE. It checks the shape only; it
// does not know which services exist.
func ParseARN(s string) (ARN, error) {
	var parts [5]string
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return ARN{}, fmt.Errorf("%q: %w: an ARN starts with \"arn:\"", s, ErrNotARN)
	}
	for i := range 4 {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return ARN{}, fmt.Errorf("%q: %w: an ARN has six parts, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE", s, ErrNotARN)
		}
		parts[i], rest = rest[:j], rest[j+1:]
	}
	parts[4] = rest
	a := ARN{Partition: parts[0], Service: parts[1], Region: parts[2], Account: parts[3], Resource: parts[4]}
	if a.Partition == "" {
		return ARN{}, fmt.Errorf("%q: %w: the partition (such as \"aws\") is empty", s, ErrNotARN)
	}
	if a.Service == "" {
		return ARN{}, fmt.Errorf("%q: %w: the service (such as \"s3\") is empty", s, ErrNotARN)
	}
	if a.Resource == "" {
		return ARN{}, fmt.Errorf("%q: %w: the resource part is empty", s, ErrNotARN)
	}
	return a, nil
}

// splitARN is ParseARN's allocation-free core for matching: it reports the
// six parts without validating them.
func splitARN(s string) (parts [6]string, ok bool) {
	rest, found := strings.CutPrefix(s, "arn:")
	if !found {
		return parts, false
	}
	parts[0] = "arn"
	for i := 1; i < 5; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return parts, false
		}
		parts[i], rest = rest[:j], rest[j+1:]
	}
	parts[5] = rest
	return parts, true
}

// splitARNPattern splits a policy's ARN pattern like splitARN, except that a
// colon inside a ${...} policy variable (such as ${aws:username}) does not
// separate parts.
func splitARNPattern(s string) (parts [6]string, ok bool) {
	rest, found := strings.CutPrefix(s, "arn:")
	if !found {
		return parts, false
	}
	parts[0] = "arn"
	for i := 1; i < 5; i++ {
		j := colonOutsideVariable(rest)
		if j < 0 {
			return parts, false
		}
		parts[i], rest = rest[:j], rest[j+1:]
	}
	parts[5] = rest
	return parts, true
}

func colonOutsideVariable(s string) int {
	inVar := false
	for i := 0; i < len(s); i++ {
		switch {
		case !inVar && s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			if strings.IndexByte(s[i:], '}') > 0 {
				inVar = true
			}
		case inVar && s[i] == '}':
			inVar = false
		case !inVar && s[i] == ':':
			return i
		}
	}
	return -1
}
