package identity

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/trellisproject/trellis/policy"
)

// Condition keys a principal brings to the request context, as AWS names
// them.
const (
	KeyPrincipalArn            = "aws:PrincipalArn"
	KeyPrincipalAccount        = "aws:PrincipalAccount"
	KeyPrincipalOrgID          = "aws:PrincipalOrgID"
	KeyPrincipalOrgPaths       = "aws:PrincipalOrgPaths"
	KeyPrincipalType           = "aws:PrincipalType"
	KeyPrincipalTagPrefix      = "aws:PrincipalTag/"
	KeyPrincipalIsAWSService   = "aws:PrincipalIsAWSService"
	KeyUserID                  = "aws:userid"
	KeyUsername                = "aws:username"
	KeyMultiFactorAuthPresent  = "aws:MultiFactorAuthPresent"
	KeyTokenIssueTime          = "aws:TokenIssueTime"
	KeySourceIdentity          = "aws:SourceIdentity"
	principalTypeAnonymous     = "Anonymous"
	anonymousUserID            = "anonymous"
	tokenIssueTimeLayout       = "2006-01-02T15:04:05Z"
	principalIsAWSServiceFalse = "false"
)

// A Caller is the principal behind one access key, as policy evaluation
// needs it: the policy.Principal, its policies by type, and the condition
// keys it brings, all computed when the Directory was built. A Caller is
// immutable and safe for concurrent use.
type Caller struct {
	principal      policy.Principal
	accessKeyID    string
	userID         string
	username       string
	orgID          string
	orgPaths       []string
	tags           []Tag
	transitive     []Tag
	temporary      bool
	mfa            bool
	issued         time.Time
	expires        time.Time
	sourceIdentity string
	roleID         string

	identity   []*policy.Policy
	boundaries []*policy.Policy
	session    *policy.Policy
	scps       []policy.Level

	pairs []kv
}

type kv struct{ k, v string }

func newCaller(keyID string, a *account) *Caller {
	c := &Caller{accessKeyID: keyID, orgID: a.orgID, orgPaths: a.orgPaths, scps: a.scps}
	c.principal.Account = a.id
	c.principal.Partition = "aws"
	return c
}

func rootCaller(keyID string, a *account) *Caller {
	c := newCaller(keyID, a)
	c.principal.Type = policy.Account
	c.principal.ARN = "arn:aws:iam::" + a.id + ":root"
	c.userID = a.id
	c.finish()
	return c
}

func userCaller(keyID string, u *entity, a *account) *Caller {
	c := newCaller(keyID, a)
	c.principal.Type = policy.User
	c.principal.ARN = u.arn
	c.principal.Name = u.name
	c.userID = u.id
	c.username = u.name
	c.tags = u.tags
	c.setPolicies(u)
	c.finish()
	return c
}

func (c *Caller) setPolicies(e *entity) {
	c.identity = e.identity
	if e.boundary != nil {
		c.boundaries = []*policy.Policy{e.boundary}
		c.principal.HasPermissionsBoundary = true
	}
}

// sessionCaller builds the caller of a role session (owner is the role) or a
// federated-user session (owner is the user who federated).
func sessionCaller(s *Session, owner *entity, a *account, sessionPolicy *policy.Policy) *Caller {
	c := newCaller(s.AccessKeyID, a)
	c.temporary = true
	c.mfa = s.MFA
	c.issued = s.Issued
	c.expires = s.Expires
	c.sourceIdentity = s.SourceIdentity
	c.session = sessionPolicy
	c.setPolicies(owner)
	if owner.isRole {
		c.principal.Type = policy.AssumedRole
		c.principal.ARN = "arn:aws:sts::" + owner.account + ":assumed-role/" + owner.name + "/" + s.SessionName
		c.principal.Name = owner.name
		c.principal.Session = s.SessionName
		c.principal.RoleARN = owner.arn
		c.roleID = owner.id
		c.userID = owner.id + ":" + s.SessionName
	} else {
		c.principal.Type = policy.FederatedUser
		c.principal.ARN = "arn:aws:sts::" + owner.account + ":federated-user/" + s.FederatedUser
		c.principal.Name = s.FederatedUser
		c.userID = owner.account + ":" + s.FederatedUser
	}
	// Session tags override the role's (or user's) tags of the same key,
	// without case.
	tags := slices.Clone(s.Tags)
	for _, t := range owner.tags {
		if !slices.ContainsFunc(s.Tags, func(u Tag) bool { return strings.EqualFold(u.Key, t.Key) }) {
			tags = append(tags, t)
		}
	}
	c.tags = tags
	for _, k := range s.TransitiveTagKeys {
		if i := slices.IndexFunc(s.Tags, func(t Tag) bool { return strings.EqualFold(t.Key, k) }); i >= 0 {
			c.transitive = append(c.transitive, s.Tags[i])
		}
	}
	c.finish()
	return c
}

// finish sorts the tags and precomputes the condition keys.
func (c *Caller) finish() {
	c.tags = slices.Clone(c.tags)
	slices.SortFunc(c.tags, func(a, b Tag) int { return cmp.Compare(strings.ToLower(a.Key), strings.ToLower(b.Key)) })
	p := make([]kv, 0, 10+len(c.tags))
	p = append(p,
		kv{KeyPrincipalArn, c.principal.PrincipalARN()},
		kv{KeyPrincipalAccount, c.principal.Account},
		kv{KeyPrincipalType, c.principal.Type.String()},
		kv{KeyUserID, c.userID},
		kv{KeyPrincipalIsAWSService, principalIsAWSServiceFalse},
	)
	if c.username != "" {
		p = append(p, kv{KeyUsername, c.username})
	}
	if c.orgID != "" {
		p = append(p, kv{KeyPrincipalOrgID, c.orgID})
	}
	for _, t := range c.tags {
		p = append(p, kv{KeyPrincipalTagPrefix + t.Key, t.Value})
	}
	if c.temporary {
		mfa := "false"
		if c.mfa {
			mfa = "true"
		}
		p = append(p, kv{KeyMultiFactorAuthPresent, mfa}, kv{KeyTokenIssueTime, c.issued.UTC().Format(tokenIssueTimeLayout)})
	}
	if c.sourceIdentity != "" {
		p = append(p, kv{KeySourceIdentity, c.sourceIdentity})
	}
	c.pairs = p
}

// AddContext adds every condition key the principal brings to ctx:
// aws:PrincipalArn (the role's ARN, with its path, for a role session),
// aws:PrincipalAccount, aws:PrincipalType, aws:userid,
// aws:PrincipalIsAWSService (false), and when they apply aws:username (IAM
// users), aws:PrincipalOrgID and aws:PrincipalOrgPaths (accounts in an
// organization), aws:PrincipalTag/KEY (one per tag), and for temporary
// credentials aws:MultiFactorAuthPresent and aws:TokenIssueTime, and
// aws:SourceIdentity once a source identity is set.
//
// Keys are added with policy.Context.Add, which keeps an earlier value of a
// key, so call AddContext before adding any key that comes from the request.
// It does not allocate when ctx has room.
func (c *Caller) AddContext(ctx *policy.Context) {
	for i := range c.pairs {
		ctx.Add(c.pairs[i].k, c.pairs[i].v)
	}
	if len(c.orgPaths) > 0 {
		ctx.SetMulti(KeyPrincipalOrgPaths, c.orgPaths)
	}
}

// ContextLen returns the number of keys AddContext adds, to size a context.
func (c *Caller) ContextLen() int {
	n := len(c.pairs)
	if len(c.orgPaths) > 0 {
		n++
	}
	return n
}

// AddAnonymousContext adds the condition keys of an unsigned request:
// aws:PrincipalType "Anonymous" and aws:userid "anonymous".
func AddAnonymousContext(ctx *policy.Context) {
	ctx.Add(KeyPrincipalType, principalTypeAnonymous)
	ctx.Add(KeyUserID, anonymousUserID)
}

// PolicySet returns the policies that apply to the caller: its identity
// policies (attached managed and inline), its permissions boundary, its
// session policy and the service control policies of its account, from the
// organization's root down to the account. The caller of PolicySet adds the
// resource and endpoint policies. It does not allocate.
func (c *Caller) PolicySet() policy.Set {
	return policy.Set{Identity: c.identity, Boundaries: c.boundaries, Session: c.session, ServiceControl: c.scps}
}

// Principal returns the principal as policies see it.
func (c *Caller) Principal() policy.Principal { return c.principal }

// ARN returns the caller's ARN: a user, root, assumed-role or federated-user
// ARN (what GetCallerIdentity returns).
func (c *Caller) ARN() string { return c.principal.ARN }

// Account returns the caller's account ID.
func (c *Caller) Account() string { return c.principal.Account }

// AccessKeyID returns the access key the caller signs with.
func (c *Caller) AccessKeyID() string { return c.accessKeyID }

// UserID returns the value of aws:userid: the user's ID ("AIDA..."),
// "AROA...:SESSION" for a role session, "ACCOUNT:NAME" for a federated user,
// the account ID for the root user.
func (c *Caller) UserID() string { return c.userID }

// Username returns the IAM user name; empty for other principals.
func (c *Caller) Username() string { return c.username }

// OrgID returns the ID of the caller's organization; empty outside one.
func (c *Caller) OrgID() string { return c.orgID }

// OrgPaths returns the values of aws:PrincipalOrgPaths.
func (c *Caller) OrgPaths() []string { return slices.Clone(c.orgPaths) }

// Tags returns the principal tags, sorted by key: a user's or role's tags,
// with a session's tags in place of those with the same key.
func (c *Caller) Tags() []Tag { return slices.Clone(c.tags) }

// TransitiveTags returns the session tags that pass on to a session this
// caller creates by assuming a role.
func (c *Caller) TransitiveTags() []Tag { return slices.Clone(c.transitive) }

// Temporary reports whether the caller uses temporary credentials (a
// session).
func (c *Caller) Temporary() bool { return c.temporary }

// MFA reports whether the session was authenticated with MFA.
func (c *Caller) MFA() bool { return c.mfa }

// TokenIssueTime returns when the session was issued; zero for long-term
// keys.
func (c *Caller) TokenIssueTime() time.Time { return c.issued }

// Expires returns when the session expires; zero for long-term keys.
func (c *Caller) Expires() time.Time { return c.expires }

// SourceIdentity returns the session's source identity, if set.
func (c *Caller) SourceIdentity() string { return c.sourceIdentity }

// RoleARN returns the role of a role session (with its path); empty
// otherwise.
func (c *Caller) RoleARN() string {
	if c.principal.Type == policy.AssumedRole {
		return c.principal.RoleARN
	}
	return ""
}

// AssumedRoleID returns "AROA...:SESSION" for a role session (the
// AssumedRoleId of AssumeRole's answer); empty otherwise.
func (c *Caller) AssumedRoleID() string {
	if c.principal.Type == policy.AssumedRole {
		return c.userID
	}
	return ""
}

// String returns the caller's ARN and access key ID.
func (c *Caller) String() string { return c.principal.ARN + " (" + c.accessKeyID + ")" }
