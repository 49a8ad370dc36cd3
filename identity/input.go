package identity

import (
	"encoding/json"
	"time"
)

// Input describes every identity trellis knows: organizations, accounts,
// managed policies, users, roles, access keys and role sessions. It is plain
// data with JSON tags, in the shape the store keeps and a declarative
// configuration embeds (see docs/identity.md). New validates it and builds a
// Directory.
type Input struct {
	Organizations []Organization  `json:"organizations,omitempty"`
	Accounts      []Account       `json:"accounts,omitempty"`
	Policies      []ManagedPolicy `json:"policies,omitempty"`
	Users         []User          `json:"users,omitempty"`
	Roles         []Role          `json:"roles,omitempty"`
	AccessKeys    []AccessKey     `json:"accessKeys,omitempty"`
	Sessions      []Session       `json:"sessions,omitempty"`
}

// An Organization is an AWS Organizations organization: its ID, its root and
// its organizational units. Accounts say which organization and which node
// (the root or an OU) they belong to.
type Organization struct {
	// ID is "o-" followed by 10 to 32 lowercase letters or digits.
	ID string `json:"id"`
	// RootID is "r-" followed by 4 to 32 lowercase letters or digits.
	RootID string `json:"rootId"`
	// ManagementAccount is the 12-digit ID of the organization's management
	// account, if declared. Service control policies do not apply to it.
	ManagementAccount string `json:"managementAccount,omitempty"`
	// OrganizationalUnits are the OUs, in any order.
	OrganizationalUnits []OrganizationalUnit `json:"organizationalUnits,omitempty"`
	// ServiceControlPolicies are the ARNs of the SCPs attached to the root.
	// Empty means the AWS managed FullAWSAccess policy (see
	// FullAWSAccessARN), as AWS attaches it by default.
	ServiceControlPolicies []string `json:"serviceControlPolicies,omitempty"`
}

// An OrganizationalUnit is an OU of an organization.
type OrganizationalUnit struct {
	// ID is "ou-", the root ID without "r-", "-", and 8 to 32 lowercase
	// letters or digits: "ou-ab12-cd34ef56" in the root "r-ab12".
	ID string `json:"id"`
	// Name is for people; it is not checked for uniqueness.
	Name string `json:"name,omitempty"`
	// Parent is the root ID or the ID of another OU of the same
	// organization. Empty means the root.
	Parent string `json:"parent,omitempty"`
	// ServiceControlPolicies are the ARNs of the SCPs attached to the OU.
	// Empty means FullAWSAccess.
	ServiceControlPolicies []string `json:"serviceControlPolicies,omitempty"`
}

// An Account is an AWS account.
type Account struct {
	// ID is the 12-digit account ID.
	ID string `json:"id"`
	// Name is for people.
	Name string `json:"name,omitempty"`
	// Organization is the ID of the organization the account belongs to;
	// empty for a standalone account (then Parent must be empty too).
	Organization string `json:"organization,omitempty"`
	// Parent is the root ID or OU ID the account sits under. Empty means
	// the organization's root.
	Parent string `json:"parent,omitempty"`
	// ServiceControlPolicies are the ARNs of the SCPs attached to the
	// account. Empty means FullAWSAccess.
	ServiceControlPolicies []string `json:"serviceControlPolicies,omitempty"`
}

// PolicyKind says what a managed policy is for.
type PolicyKind string

const (
	// KindIdentity is a customer (or AWS) managed policy that can be
	// attached to users and roles, used as a permissions boundary, or passed
	// as a managed session policy. It is the default.
	KindIdentity PolicyKind = "identity"
	// KindServiceControl is an AWS Organizations service control policy.
	KindServiceControl PolicyKind = "service-control"
)

// A ManagedPolicy is a standalone policy with an ARN.
type ManagedPolicy struct {
	// ARN is arn:aws:iam::ACCOUNT:policy/PATH/NAME, where ACCOUNT is a
	// declared account or "aws" (an AWS managed policy, whose document you
	// supply). A service control policy may instead have an AWS
	// Organizations ARN:
	// arn:aws:organizations::ACCOUNT:policy/o-ORG/service_control_policy/p-ID.
	ARN string `json:"arn"`
	// Kind is KindIdentity (the default when empty) or KindServiceControl.
	Kind PolicyKind `json:"kind,omitempty"`
	// Description is for people.
	Description string `json:"description,omitempty"`
	// Document is the policy document: a JSON object, or a JSON string
	// holding the document (as AWS APIs return it).
	Document json.RawMessage `json:"document"`
}

// An InlinePolicy is a policy embedded in a user or role.
type InlinePolicy struct {
	// Name is 1 to 128 characters of [A-Za-z0-9+=,.@_-], unique (without
	// case) within its user or role.
	Name string `json:"name"`
	// Document is the policy document, as for ManagedPolicy.
	Document json.RawMessage `json:"document"`
}

// A Tag is a key and a value attached to a user, a role or a session. Keys of
// users, roles and sessions compare without case.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// A User is an IAM user.
type User struct {
	// Account is the 12-digit ID of a declared account.
	Account string `json:"account"`
	// Name is 1 to 64 characters of [A-Za-z0-9+=,.@_-], unique without case
	// within the account.
	Name string `json:"name"`
	// Path is "/" (the default) or "/a/b/": 1 to 512 printable ASCII
	// characters starting and ending with "/".
	Path string `json:"path,omitempty"`
	// ID is the unique ID: "AIDA" and 16 characters of [A-Z2-7]. When
	// empty, it is derived from the account and name, so it is stable from
	// one configuration to the next.
	ID string `json:"id,omitempty"`
	// Tags become aws:PrincipalTag keys.
	Tags []Tag `json:"tags,omitempty"`
	// ManagedPolicies are the ARNs of the attached identity policies.
	ManagedPolicies []string `json:"managedPolicies,omitempty"`
	// InlinePolicies are the user's inline policies.
	InlinePolicies []InlinePolicy `json:"inlinePolicies,omitempty"`
	// PermissionsBoundary is the ARN of an identity managed policy used as
	// the user's permissions boundary, if any.
	PermissionsBoundary string `json:"permissionsBoundary,omitempty"`
}

// A Role is an IAM role.
type Role struct {
	// Account, Name, Path, Tags, ManagedPolicies, InlinePolicies and
	// PermissionsBoundary are as for User.
	Account string `json:"account"`
	Name    string `json:"name"`
	Path    string `json:"path,omitempty"`
	// ID is "AROA" and 16 characters of [A-Z2-7]; derived from the account
	// and name when empty.
	ID string `json:"id,omitempty"`
	// Description is for people.
	Description string `json:"description,omitempty"`
	// TrustPolicy is the role's trust policy (AWS's
	// AssumeRolePolicyDocument): who may assume the role. Every statement
	// needs a Principal or NotPrincipal and may not have Resource. Without a
	// trust policy nobody can assume the role.
	TrustPolicy json.RawMessage `json:"trustPolicy,omitempty"`
	// MaxSessionDuration is the longest session, in seconds, from 3600 (the
	// default) to 43200.
	MaxSessionDuration  int            `json:"maxSessionDuration,omitempty"`
	Tags                []Tag          `json:"tags,omitempty"`
	ManagedPolicies     []string       `json:"managedPolicies,omitempty"`
	InlinePolicies      []InlinePolicy `json:"inlinePolicies,omitempty"`
	PermissionsBoundary string         `json:"permissionsBoundary,omitempty"`
}

// Access key statuses.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// An AccessKey is a long-term access key of an IAM user or of an account's
// root user. Its String and GoString methods do not show the secret.
type AccessKey struct {
	// ID is "AKIA" and 16 characters of [A-Z2-7].
	ID string `json:"id"`
	// Secret is the 40-character secret access key.
	Secret string `json:"secret,omitempty"`
	// User is the ARN of the owner: an IAM user
	// (arn:aws:iam::ACCOUNT:user/PATH/NAME) or an account's root user
	// (arn:aws:iam::ACCOUNT:root).
	User string `json:"user"`
	// Status is StatusActive (the default when empty) or StatusInactive.
	// Inactive keys are unknown to the verifier.
	Status string `json:"status,omitempty"`
	// Created is when the key was created; informational.
	Created time.Time `json:"created,omitzero"`
}

// String describes the key without its secret.
func (k AccessKey) String() string {
	status := k.Status
	if status == "" {
		status = StatusActive
	}
	return "identity.AccessKey{ID: " + k.ID + ", Secret: REDACTED, User: " + k.User + ", Status: " + status + "}"
}

// GoString is String, so that %#v does not show the secret either.
func (k AccessKey) GoString() string { return k.String() }

// A Session is a set of temporary credentials: a role session from
// AssumeRole, or a federated-user session (GetFederationToken). AssumeRole
// returns one for the caller to persist; the Directory built with it then
// knows its access key. Its String and GoString methods do not show the
// secret or the token.
type Session struct {
	// AccessKeyID is "ASIA" and 16 characters of [A-Z2-7].
	AccessKeyID string `json:"accessKeyId"`
	// SecretAccessKey is the 40-character secret.
	SecretAccessKey string `json:"secretAccessKey"`
	// SessionToken must accompany every request signed with the key.
	SessionToken string `json:"sessionToken"`

	// RoleARN is the role of a role session (with its path).
	RoleARN string `json:"roleArn,omitempty"`
	// RoleID is the unique ID of the role when the session was issued. If
	// the role has since been deleted and re-created with another ID, the
	// session is no longer valid, as in AWS. Empty: not checked.
	RoleID string `json:"roleId,omitempty"`
	// FederatedUser is the name of a federated-user session, for which
	// RoleARN is empty and AssumedBy is the IAM user who federated.
	FederatedUser string `json:"federatedUser,omitempty"`
	// SessionName is the role session name (2 to 64 characters of
	// [A-Za-z0-9+=,.@_-]); empty for a federated-user session.
	SessionName string `json:"sessionName,omitempty"`

	// Issued and Expires bound the session's validity.
	Issued  time.Time `json:"issued"`
	Expires time.Time `json:"expires"`

	// Policy is the inline session policy, as passed.
	Policy string `json:"policy,omitempty"`
	// PolicyARNs are the managed session policies.
	PolicyARNs []string `json:"policyArns,omitempty"`
	// PackedPolicySize is the percentage of the allowed size the session
	// policies use (see docs/identity.md); informational.
	PackedPolicySize int `json:"packedPolicySize,omitempty"`

	// Tags are the session tags: those passed and those inherited as
	// transitive from the calling session. They override role tags of the
	// same key, without case.
	Tags []Tag `json:"tags,omitempty"`
	// TransitiveTagKeys are the keys of Tags that pass on to sessions this
	// session creates (role chaining).
	TransitiveTagKeys []string `json:"transitiveTagKeys,omitempty"`
	// SourceIdentity, once set, stays with every session in the chain.
	SourceIdentity string `json:"sourceIdentity,omitempty"`
	// MFA says whether the session was authenticated with MFA
	// (aws:MultiFactorAuthPresent).
	MFA bool `json:"mfa,omitempty"`
	// AssumedBy is the ARN of the principal that created the session: an
	// IAM user, a role session (role chaining), or the user who federated.
	AssumedBy string `json:"assumedBy,omitempty"`
}

// String describes the session without its secret or token.
func (s Session) String() string {
	who := s.RoleARN
	if s.FederatedUser != "" {
		who = "federated-user/" + s.FederatedUser
	}
	return "identity.Session{AccessKeyID: " + s.AccessKeyID + ", SecretAccessKey: REDACTED, SessionToken: REDACTED, Principal: " +
		who + ", SessionName: " + s.SessionName + ", Expires: " + s.Expires.UTC().Format(time.RFC3339) + "}"
}

// GoString is String, so that %#v does not show the secret either.
func (s Session) GoString() string { return s.String() }
