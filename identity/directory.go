package identity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/trellisproject/trellis/policy"
	"github.com/trellisproject/trellis/sigv4"
)

// Size limits of IAM and AWS Organizations that New enforces. Adjustable AWS
// quotas take their highest value, so that a configuration valid in some AWS
// account is valid here.
const (
	// MaxManagedPolicyChars is the size of a managed identity policy,
	// white space excluded.
	MaxManagedPolicyChars = 6144
	// MaxUserInlineChars is the combined size of a user's inline policies.
	MaxUserInlineChars = 2048
	// MaxRoleInlineChars is the combined size of a role's inline policies.
	MaxRoleInlineChars = 10240
	// MaxTrustPolicyChars is the size of a role trust policy (AWS's default
	// quota is 2048, adjustable to 8192).
	MaxTrustPolicyChars = 8192
	// MaxSCPChars is the size of a service control policy.
	MaxSCPChars = 5120
	// MinSessionDuration and MaxSessionDuration bound a role's
	// MaxSessionDuration, in seconds; DefaultSessionDuration is its default.
	MinSessionDuration     = 3600
	MaxSessionDuration     = 43200
	DefaultSessionDuration = 3600
)

// A Directory is the validated, compiled form of an Input: every principal
// that can sign a request, with its policies compiled and its request-context
// keys precomputed. It is immutable and safe for concurrent use; a changed
// configuration builds a new Directory.
//
// It implements sigv4.CredentialStore.
type Directory struct {
	keys     map[string]*keyEntry
	accounts map[string]*account
	policies map[string]*managed
	users    map[string]*entity
	roles    map[string]*entity
	dropped  []string
}

type keyEntry struct {
	cred   sigv4.Credential
	caller *Caller
	active bool
}

type account struct {
	id       string
	orgID    string
	orgPaths []string
	scps     []policy.Level
}

type managed struct {
	arn     string
	account string // the account in the ARN, or "aws"
	kind    PolicyKind
	doc     []byte
	chars   int
	p       *policy.Policy
}

// entity is an IAM user or role.
type entity struct {
	arn, account, name, path, id string
	tags                         []Tag
	identity                     []*policy.Policy
	boundary                     *policy.Policy
	isRole                       bool
	trust                        *policy.Policy
	maxSession                   int
	keys                         int
}

var fullAWSAccess = policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	policy.Options{Kind: policy.KindServiceControl, Name: FullAWSAccessARN})

// builder accumulates problems while New runs.
type builder struct {
	d    *Directory
	errs []error
}

func (b *builder) fail(entity, field, format string, args ...any) {
	b.errs = append(b.errs, &InputError{Entity: entity, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (b *builder) failErr(entity, field string, err error) {
	b.errs = append(b.errs, &InputError{Entity: entity, Field: field, Message: err.Error(), Err: err})
}

// New validates in and builds a Directory. It returns every problem found
// (see InputError), naming the entity and field of each; no message contains
// a secret.
//
// Sessions whose role no longer exists, or was re-created with another ID,
// are not errors: they are left out (their keys are unknown) and listed by
// Dropped, so that the store can delete them.
func New(in Input) (*Directory, error) {
	b := &builder{d: &Directory{
		keys:     make(map[string]*keyEntry, len(in.AccessKeys)+len(in.Sessions)),
		accounts: make(map[string]*account, len(in.Accounts)),
		policies: make(map[string]*managed, len(in.Policies)),
		users:    make(map[string]*entity, len(in.Users)),
		roles:    make(map[string]*entity, len(in.Roles)),
	}}
	b.policies(in.Policies)
	orgs := b.organizations(in.Organizations)
	b.accounts(in.Accounts, orgs)
	b.users(in.Users)
	b.roles(in.Roles)
	b.accessKeys(in.AccessKeys)
	for i := range in.Sessions {
		b.session(i, &in.Sessions[i])
	}
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	return b.d, nil
}

// WithSessions returns a Directory that also knows the given sessions, such
// as one AssumeRole just issued. It reuses everything already compiled, so it
// is much cheaper than New. The receiver is unchanged.
func (d *Directory) WithSessions(sessions ...Session) (*Directory, error) {
	nd := &Directory{
		keys:     maps.Clone(d.keys),
		accounts: d.accounts,
		policies: d.policies,
		users:    d.users,
		roles:    d.roles,
		dropped:  slices.Clone(d.dropped),
	}
	b := &builder{d: nd}
	for i := range sessions {
		b.session(i, &sessions[i])
	}
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	return nd, nil
}

// Dropped returns the access key IDs of the sessions New left out because
// their role no longer exists or was re-created.
func (d *Directory) Dropped() []string { return slices.Clone(d.dropped) }

// Lookup implements sigv4.CredentialStore: the secret of an active access
// key or of a session (with its token and expiry, so that the verifier
// requires the token and reports ExpiredToken once it has expired). Inactive
// and unknown keys are not found. It does not allocate.
func (d *Directory) Lookup(accessKeyID string) (sigv4.Credential, bool) {
	e, ok := d.keys[accessKeyID]
	if !ok || !e.active {
		return sigv4.Credential{}, false
	}
	return e.cred, true
}

// Caller returns the principal behind an access key, with everything policy
// evaluation needs, computed when the Directory was built. Inactive and
// unknown keys are not found; expired sessions are (the verifier refuses
// them first).
func (d *Directory) Caller(accessKeyID string) (*Caller, bool) {
	e, ok := d.keys[accessKeyID]
	if !ok || !e.active {
		return nil, false
	}
	return e.caller, true
}

// RoleID returns the unique ID of a role, given its ARN.
func (d *Directory) RoleID(roleARN string) (string, bool) {
	r, ok := d.roles[roleARN]
	if !ok {
		return "", false
	}
	return r.id, true
}

// UserID returns the unique ID of a user, given its ARN.
func (d *Directory) UserID(userARN string) (string, bool) {
	u, ok := d.users[userARN]
	if !ok {
		return "", false
	}
	return u.id, true
}

// rawDocument returns the policy document of a json.RawMessage that holds
// either the document or a JSON string containing it.
func rawDocument(raw json.RawMessage) ([]byte, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil, errors.New("the policy document is missing")
	}
	if t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return nil, fmt.Errorf("the policy document is not a valid JSON string: %v", err)
		}
		return []byte(s), nil
	}
	return raw, nil
}

// parseIAMPolicyARN splits arn:aws:iam::ACCOUNT:policy/PATH/NAME.
func parseIAMPolicyARN(arn string) (acct string, ok bool) {
	rest, found := strings.CutPrefix(arn, "arn:aws:iam::")
	if !found {
		return "", false
	}
	acct, res, found := strings.Cut(rest, ":")
	if !found || (acct != "aws" && !policy.IsAccountID(acct)) {
		return "", false
	}
	p, found := strings.CutPrefix(res, "policy")
	if !found || !strings.HasPrefix(p, "/") {
		return "", false
	}
	i := strings.LastIndexByte(p, '/')
	path, name := p[:i+1], p[i+1:]
	if !isPath(path) || !isName(name, 1, maxPolicyNameLen) {
		return "", false
	}
	return acct, true
}

// parseOrgPolicyARN splits
// arn:aws:organizations::ACCOUNT:policy/o-ORG/service_control_policy/p-ID.
func parseOrgPolicyARN(arn string) (acct string, ok bool) {
	rest, found := strings.CutPrefix(arn, "arn:aws:organizations::")
	if !found {
		return "", false
	}
	acct, res, found := strings.Cut(rest, ":")
	if !found || !policy.IsAccountID(acct) {
		return "", false
	}
	parts := strings.Split(res, "/")
	if len(parts) != 4 || parts[0] != "policy" || !isOrgID(parts[1]) || parts[2] != "service_control_policy" {
		return "", false
	}
	id, found := strings.CutPrefix(parts[3], "p-")
	return acct, found && isLowerAlnum(id, 8, 128)
}

func (b *builder) policies(ps []ManagedPolicy) {
	for i := range ps {
		mp := &ps[i]
		ent := "policies[" + strconv.Itoa(i) + "]"
		kind := mp.Kind
		if kind == "" {
			kind = KindIdentity
		}
		if kind != KindIdentity && kind != KindServiceControl {
			b.fail(ent, "kind", "kind %q is not %q or %q", mp.Kind, KindIdentity, KindServiceControl)
			continue
		}
		acct, ok := parseIAMPolicyARN(mp.ARN)
		if !ok && kind == KindServiceControl {
			acct, ok = parseOrgPolicyARN(mp.ARN)
		}
		if !ok {
			b.fail(ent, "arn", "%q is not a policy ARN (arn:aws:iam::ACCOUNT:policy/PATH/NAME%s)", mp.ARN,
				map[bool]string{true: ", or arn:aws:organizations::ACCOUNT:policy/o-ORG/service_control_policy/p-ID", false: ""}[kind == KindServiceControl])
			continue
		}
		if mp.ARN == FullAWSAccessARN {
			b.fail(ent, "arn", "%s is built in and cannot be redeclared", FullAWSAccessARN)
			continue
		}
		if _, dup := b.d.policies[mp.ARN]; dup {
			b.fail(mp.ARN, "", "the policy is declared twice")
			continue
		}
		doc, err := rawDocument(mp.Document)
		if err != nil {
			b.failErr(mp.ARN, "document", err)
			continue
		}
		opts := policy.Options{Kind: policy.KindIdentity, Name: mp.ARN}
		limit := MaxManagedPolicyChars
		if kind == KindServiceControl {
			opts.Kind, limit = policy.KindServiceControl, MaxSCPChars
		}
		chars := policyChars(doc)
		if chars > limit {
			b.fail(mp.ARN, "document", "the policy has %d characters (white space excluded); the limit is %d", chars, limit)
			continue
		}
		p, err := policy.Parse(doc, opts)
		if err != nil {
			b.failErr(mp.ARN, "document", err)
			continue
		}
		b.d.policies[mp.ARN] = &managed{arn: mp.ARN, account: acct, kind: kind, doc: doc, chars: chars, p: p}
	}
}

// org is an organization while New runs.
type org struct {
	id, rootID, mgmt string
	rootSCPs         []*policy.Policy
	ous              map[string]*ou
}

type ou struct {
	id, parent string
	scps       []*policy.Policy
	path       string // "o-x/r-y/ou-a/ou-b/", computed lazily
	state      uint8  // 0 unvisited, 1 in progress, 2 done
}

// scpList resolves the SCP ARNs attached to a node; nil means FullAWSAccess.
func (b *builder) scpList(ent, field string, arns []string) []*policy.Policy {
	if len(arns) == 0 {
		return nil
	}
	if len(arns) > maxSCPsPerTarget {
		b.fail(ent, field, "%d service control policies are attached; at most %d are allowed", len(arns), maxSCPsPerTarget)
	}
	out := make([]*policy.Policy, 0, len(arns))
	for j, arn := range arns {
		f := field + "[" + strconv.Itoa(j) + "]"
		if arn == FullAWSAccessARN {
			out = append(out, fullAWSAccess)
			continue
		}
		mp, ok := b.d.policies[arn]
		switch {
		case !ok:
			b.fail(ent, f, "unknown policy %q", arn)
		case mp.kind != KindServiceControl:
			b.fail(ent, f, "policy %q is an identity policy, not a service control policy", arn)
		default:
			out = append(out, mp.p)
		}
	}
	return out
}

func (b *builder) organizations(in []Organization) map[string]*org {
	orgs := make(map[string]*org, len(in))
	roots := make(map[string]*org, len(in))
	for i := range in {
		o := &in[i]
		ent := "organizations[" + strconv.Itoa(i) + "]"
		if !isOrgID(o.ID) {
			b.fail(ent, "id", "%q is not an organization ID (o- and 10 to 32 lowercase letters or digits)", o.ID)
			continue
		}
		ent = "organization " + o.ID
		if _, dup := orgs[o.ID]; dup {
			b.fail(ent, "", "the organization is declared twice")
			continue
		}
		if !isRootID(o.RootID) {
			b.fail(ent, "rootId", "%q is not a root ID (r- and 4 to 32 lowercase letters or digits)", o.RootID)
			continue
		}
		if other, dup := roots[o.RootID]; dup {
			b.fail(ent, "rootId", "root %s is also the root of organization %s", o.RootID, other.id)
			continue
		}
		if o.ManagementAccount != "" && !policy.IsAccountID(o.ManagementAccount) {
			b.fail(ent, "managementAccount", "%q is not a 12-digit account ID", o.ManagementAccount)
		}
		g := &org{id: o.ID, rootID: o.RootID, mgmt: o.ManagementAccount, ous: make(map[string]*ou, len(o.OrganizationalUnits))}
		g.rootSCPs = b.scpList(ent, "serviceControlPolicies", o.ServiceControlPolicies)
		for j := range o.OrganizationalUnits {
			u := &o.OrganizationalUnits[j]
			field := "organizationalUnits[" + strconv.Itoa(j) + "]"
			if !isOUID(u.ID, o.RootID) {
				b.fail(ent, field+".id", "%q is not an OU ID of root %s (ou-%s- and 8 to 32 lowercase letters or digits)", u.ID, o.RootID, strings.TrimPrefix(o.RootID, "r-"))
				continue
			}
			if _, dup := g.ous[u.ID]; dup {
				b.fail(ent, field+".id", "OU %s is declared twice", u.ID)
				continue
			}
			parent := u.Parent
			if parent == "" {
				parent = o.RootID
			}
			g.ous[u.ID] = &ou{id: u.ID, parent: parent, scps: b.scpList(ent, field+".serviceControlPolicies", u.ServiceControlPolicies)}
		}
		for _, u := range g.ous {
			if u.parent != g.rootID {
				if _, ok := g.ous[u.parent]; !ok {
					b.fail(ent, "organizationalUnits", "the parent %q of OU %s is neither the root nor an OU of the organization", u.parent, u.id)
					u.state = 2
					continue
				}
			}
			if b.ouPath(g, u) == "" {
				b.fail(ent, "organizationalUnits", "OU %s is its own ancestor", u.id)
			}
		}
		orgs[o.ID] = g
		roots[o.RootID] = g
	}
	return orgs
}

// ouPath computes the organization path of an OU ("o-x/r-y/ou-a/"), or ""
// when the OUs form a cycle.
func (b *builder) ouPath(g *org, u *ou) string {
	switch u.state {
	case 2:
		return u.path
	case 1:
		return ""
	}
	u.state = 1
	var parent string
	if u.parent == g.rootID {
		parent = g.id + "/" + g.rootID + "/"
	} else if p, ok := g.ous[u.parent]; ok {
		parent = b.ouPath(g, p)
	}
	if parent != "" {
		u.path = parent + u.id + "/"
	}
	u.state = 2
	return u.path
}

func (b *builder) accounts(in []Account, orgs map[string]*org) {
	for i := range in {
		a := &in[i]
		ent := "accounts[" + strconv.Itoa(i) + "]"
		if !policy.IsAccountID(a.ID) {
			b.fail(ent, "id", "%q is not a 12-digit account ID", a.ID)
			continue
		}
		ent = "account " + a.ID
		if _, dup := b.d.accounts[a.ID]; dup {
			b.fail(ent, "", "the account is declared twice")
			continue
		}
		acct := &account{id: a.ID}
		b.d.accounts[a.ID] = acct
		if a.Organization == "" {
			if a.Parent != "" {
				b.fail(ent, "parent", "a parent is set but no organization")
			}
			if len(a.ServiceControlPolicies) > 0 {
				b.fail(ent, "serviceControlPolicies", "service control policies need an organization")
			}
			continue
		}
		g, ok := orgs[a.Organization]
		if !ok {
			b.fail(ent, "organization", "unknown organization %q", a.Organization)
			continue
		}
		acct.orgID = g.id
		// The SCP levels, root first.
		var levels []policy.Level
		addLevel := func(target string, ps []*policy.Policy) {
			if len(ps) == 0 || (len(ps) == 1 && ps[0] == fullAWSAccess) {
				return // FullAWSAccess alone allows everything
			}
			levels = append(levels, policy.Level{Target: target, Policies: ps})
		}
		addLevel(g.rootID, g.rootSCPs)
		parent := a.Parent
		if parent == "" {
			parent = g.rootID
		}
		if parent == g.rootID {
			acct.orgPaths = []string{g.id + "/" + g.rootID + "/"}
		} else {
			u, ok := g.ous[parent]
			if !ok || u.path == "" {
				b.fail(ent, "parent", "%q is neither the root nor an OU of organization %s", a.Parent, g.id)
				continue
			}
			acct.orgPaths = []string{u.path}
			// The OUs from the root down.
			var chain []*ou
			for x := u; x != nil; x = g.ous[x.parent] {
				chain = append(chain, x)
			}
			for j := len(chain) - 1; j >= 0; j-- {
				addLevel(chain[j].id, chain[j].scps)
			}
		}
		addLevel(a.ID, b.scpList(ent, "serviceControlPolicies", a.ServiceControlPolicies))
		// SCPs do not apply to the management account.
		if a.ID != g.mgmt {
			acct.scps = levels
		}
	}
	for _, g := range orgs {
		if g.mgmt != "" {
			if a, ok := b.d.accounts[g.mgmt]; !ok || a.orgID != g.id {
				b.fail("organization "+g.id, "managementAccount", "account %s is not an account of the organization", g.mgmt)
			}
		}
	}
}

// newEntity validates what users and roles have in common and returns the
// entity, or nil.
func (b *builder) newEntity(list string, i int, acct, name, path, id string, isRole bool) *entity {
	ent := list + "[" + strconv.Itoa(i) + "]"
	if !policy.IsAccountID(acct) {
		b.fail(ent, "account", "%q is not a 12-digit account ID", acct)
		return nil
	}
	if _, ok := b.d.accounts[acct]; !ok {
		b.fail(ent, "account", "unknown account %s", acct)
		return nil
	}
	if !isName(name, 1, maxNameLen) {
		b.fail(ent, "name", "%q is not a valid name (1 to %d characters of A-Z a-z 0-9 + = , . @ _ -)", name, maxNameLen)
		return nil
	}
	if path == "" {
		path = "/"
	}
	if !isPath(path) {
		b.fail(ent, "path", "%q is not a valid path (\"/\" or \"/a/b/\", printable ASCII, at most %d characters)", path, maxPathLen)
		return nil
	}
	kind, prefix := "user", PrefixUser
	if isRole {
		kind, prefix = "role", PrefixRole
	}
	e := &entity{arn: "arn:aws:iam::" + acct + ":" + kind + path + name, account: acct, name: name, path: path, isRole: isRole}
	if id == "" {
		id = derivedID(prefix, acct, kind, strings.ToLower(name))
	} else if !isPrefixedID(id, prefix) {
		b.fail(e.arn, "id", "%q is not a %s ID (%s and 16 characters of A-Z 2-7)", id, kind, prefix)
		return nil
	}
	e.id = id
	return e
}

// attach resolves the policies of a user or role.
func (b *builder) attach(e *entity, tags []Tag, managedARNs []string, inline []InlinePolicy, boundary string, inlineLimit int) bool {
	ok := true
	if err := checkTags(tags); err != nil {
		b.failErr(e.arn, "tags", err)
		ok = false
	}
	e.tags = slices.Clone(tags)
	if len(managedARNs) > maxAttachedPolicies {
		b.fail(e.arn, "managedPolicies", "%d policies are attached; at most %d are allowed", len(managedARNs), maxAttachedPolicies)
		ok = false
	}
	for j, arn := range managedARNs {
		f := "managedPolicies[" + strconv.Itoa(j) + "]"
		mp, found := b.d.policies[arn]
		switch {
		case !found:
			b.fail(e.arn, f, "unknown policy %q", arn)
			ok = false
		case mp.kind != KindIdentity:
			b.fail(e.arn, f, "policy %q is a service control policy; attach it to an organization, OU or account", arn)
			ok = false
		case slices.Contains(managedARNs[:j], arn):
			b.fail(e.arn, f, "policy %q is attached twice", arn)
			ok = false
		default:
			e.identity = append(e.identity, mp.p)
		}
	}
	total := 0
	for j, ip := range inline {
		f := "inlinePolicies[" + strconv.Itoa(j) + "]"
		if !isName(ip.Name, 1, maxPolicyNameLen) {
			b.fail(e.arn, f+".name", "%q is not a valid policy name (1 to %d characters of A-Z a-z 0-9 + = , . @ _ -)", ip.Name, maxPolicyNameLen)
			ok = false
			continue
		}
		if slices.ContainsFunc(inline[:j], func(o InlinePolicy) bool { return strings.EqualFold(o.Name, ip.Name) }) {
			b.fail(e.arn, f+".name", "inline policy %q is declared twice", ip.Name)
			ok = false
			continue
		}
		doc, err := rawDocument(ip.Document)
		if err != nil {
			b.failErr(e.arn, f+".document", err)
			ok = false
			continue
		}
		total += policyChars(doc)
		p, err := policy.Parse(doc, policy.Options{Kind: policy.KindIdentity, Name: "inline policy " + ip.Name + " of " + e.arn})
		if err != nil {
			b.failErr(e.arn, f+".document", err)
			ok = false
			continue
		}
		e.identity = append(e.identity, p)
	}
	if total > inlineLimit {
		b.fail(e.arn, "inlinePolicies", "the inline policies have %d characters together (white space excluded); the limit is %d", total, inlineLimit)
		ok = false
	}
	if boundary != "" {
		mp, found := b.d.policies[boundary]
		switch {
		case !found:
			b.fail(e.arn, "permissionsBoundary", "unknown policy %q", boundary)
			ok = false
		case mp.kind != KindIdentity:
			b.fail(e.arn, "permissionsBoundary", "policy %q is a service control policy, not an identity policy", boundary)
			ok = false
		default:
			e.boundary = mp.p
		}
	}
	return ok
}

// nameKey is how IAM tells names apart: without case, within an account.
func nameKey(acct, name string) string { return acct + "/" + strings.ToLower(name) }

// unique records e's name (without case) and ID in seen and ids, and
// reports whether neither was taken by an earlier entity of the kind.
func (b *builder) unique(e *entity, kind string, seen, ids map[string]string) bool {
	if other, dup := seen[nameKey(e.account, e.name)]; dup {
		b.fail(e.arn, "name", "%s names compare without case: %s is already declared", kind, other)
		return false
	}
	seen[nameKey(e.account, e.name)] = e.arn
	if other, dup := ids[e.id]; dup {
		b.fail(e.arn, "id", "ID %s is also the ID of %s", e.id, other)
		return false
	}
	ids[e.id] = e.arn
	return true
}

func (b *builder) users(users []User) {
	seen := make(map[string]string, len(users))
	ids := make(map[string]string, len(users))
	for i := range users {
		u := &users[i]
		e := b.newEntity("users", i, u.Account, u.Name, u.Path, u.ID, false)
		if e == nil {
			continue
		}
		if !b.unique(e, "user", seen, ids) {
			continue
		}
		if b.attach(e, u.Tags, u.ManagedPolicies, u.InlinePolicies, u.PermissionsBoundary, MaxUserInlineChars) {
			b.d.users[e.arn] = e
		}
	}
}

func (b *builder) roles(roles []Role) {
	seen := make(map[string]string, len(roles))
	ids := make(map[string]string, len(roles))
	for i := range roles {
		r := &roles[i]
		e := b.newEntity("roles", i, r.Account, r.Name, r.Path, r.ID, true)
		if e == nil {
			continue
		}
		if !b.unique(e, "role", seen, ids) {
			continue
		}
		ok := b.attach(e, r.Tags, r.ManagedPolicies, r.InlinePolicies, r.PermissionsBoundary, MaxRoleInlineChars)
		e.maxSession = r.MaxSessionDuration
		if e.maxSession == 0 {
			e.maxSession = DefaultSessionDuration
		}
		if e.maxSession < MinSessionDuration || e.maxSession > MaxSessionDuration {
			b.fail(e.arn, "maxSessionDuration", "%d seconds is not between %d and %d", r.MaxSessionDuration, MinSessionDuration, MaxSessionDuration)
			ok = false
		}
		if len(bytes.TrimSpace(r.TrustPolicy)) > 0 {
			p, err := parseTrustPolicy(r.TrustPolicy, e.arn)
			if err != nil {
				b.failErr(e.arn, "trustPolicy", err)
				ok = false
			}
			e.trust = p
		}
		if ok {
			b.d.roles[e.arn] = e
		}
	}
}

// parseTrustPolicy parses a role trust policy: a resource-based policy whose
// statements name a principal and no resource (the role is the resource).
func parseTrustPolicy(raw json.RawMessage, roleARN string) (*policy.Policy, error) {
	doc, err := rawDocument(raw)
	if err != nil {
		return nil, err
	}
	if n := policyChars(doc); n > MaxTrustPolicyChars {
		return nil, fmt.Errorf("the trust policy has %d characters (white space excluded); the limit is %d", n, MaxTrustPolicyChars)
	}
	p, err := policy.Parse(doc, policy.Options{Kind: policy.KindAny, Name: "trust policy of " + roleARN})
	if err != nil {
		return nil, err
	}
	// The grammar is valid; check the elements a trust policy must and must
	// not have.
	var top struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, err
	}
	var stmts []map[string]json.RawMessage
	if t := bytes.TrimSpace(top.Statement); len(t) > 0 && t[0] == '{' {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(t, &one); err != nil {
			return nil, err
		}
		stmts = append(stmts, one)
	} else if err := json.Unmarshal(top.Statement, &stmts); err != nil {
		return nil, err
	}
	for i, s := range stmts {
		_, hasP := s["Principal"]
		_, hasNP := s["NotPrincipal"]
		if !hasP && !hasNP {
			return nil, fmt.Errorf("Statement[%d]: a trust policy statement needs a Principal (who may assume the role)", i)
		}
		if _, ok := s["Resource"]; ok {
			return nil, fmt.Errorf("Statement[%d]: a trust policy has no Resource element (the role is the resource)", i)
		}
		if _, ok := s["NotResource"]; ok {
			return nil, fmt.Errorf("Statement[%d]: a trust policy has no NotResource element (the role is the resource)", i)
		}
	}
	return p, nil
}

// accessKeys validates the long-term access keys and adds them.
func (b *builder) accessKeys(keys []AccessKey) {
	for i := range keys {
		k := &keys[i]
		ent := "accessKeys[" + strconv.Itoa(i) + "]"
		if !isPrefixedID(k.ID, PrefixAccessKey) {
			b.fail(ent, "id", "%q is not an access key ID (%s and 16 characters of A-Z 2-7)", k.ID, PrefixAccessKey)
			continue
		}
		ent = "access key " + k.ID
		if _, dup := b.d.keys[k.ID]; dup {
			b.fail(ent, "", "the access key is declared twice")
			continue
		}
		if !isSecret(k.Secret) {
			b.fail(ent, "secret", "the secret is not 40 characters of A-Z a-z 0-9 + /")
			continue
		}
		active := true
		switch k.Status {
		case "", StatusActive:
		case StatusInactive:
			active = false
		default:
			b.fail(ent, "status", "status %q is not %q or %q", k.Status, StatusActive, StatusInactive)
			continue
		}
		var c *Caller
		if acct, ok := strings.CutPrefix(k.User, "arn:aws:iam::"); ok && strings.HasSuffix(acct, ":root") {
			acct = strings.TrimSuffix(acct, ":root")
			a, found := b.d.accounts[acct]
			if !found {
				b.fail(ent, "user", "unknown account in %q", k.User)
				continue
			}
			c = rootCaller(k.ID, a)
		} else {
			u, found := b.d.users[k.User]
			if !found {
				b.fail(ent, "user", "unknown user %q (give the user's ARN, with its path, or an account's root ARN)", k.User)
				continue
			}
			u.keys++
			if u.keys > maxKeysPerUser {
				b.fail(ent, "user", "user %s has more than %d access keys", u.arn, maxKeysPerUser)
				continue
			}
			c = userCaller(k.ID, u, b.d.accounts[u.account])
		}
		b.d.keys[k.ID] = &keyEntry{cred: sigv4.Credential{SecretAccessKey: k.Secret}, caller: c, active: active}
	}
}

// session validates one session and adds its key.
func (b *builder) session(i int, s *Session) {
	ent := "sessions[" + strconv.Itoa(i) + "]"
	if !isPrefixedID(s.AccessKeyID, PrefixTemporaryKey) {
		b.fail(ent, "accessKeyId", "%q is not a temporary access key ID (%s and 16 characters of A-Z 2-7)", s.AccessKeyID, PrefixTemporaryKey)
		return
	}
	ent = "session " + s.AccessKeyID
	if _, dup := b.d.keys[s.AccessKeyID]; dup {
		b.fail(ent, "accessKeyId", "the access key ID is already in use")
		return
	}
	if !isSecret(s.SecretAccessKey) {
		b.fail(ent, "secretAccessKey", "the secret is not 40 characters of A-Z a-z 0-9 + /")
		return
	}
	if s.SessionToken == "" {
		b.fail(ent, "sessionToken", "the session token is missing")
		return
	}
	if s.Issued.IsZero() || s.Expires.IsZero() || !s.Expires.After(s.Issued) {
		b.fail(ent, "expires", "a session needs an issue time and a later expiry")
		return
	}
	if err := checkTags(s.Tags); err != nil {
		b.failErr(ent, "tags", err)
		return
	}
	for j, k := range s.TransitiveTagKeys {
		if !slices.ContainsFunc(s.Tags, func(t Tag) bool { return strings.EqualFold(t.Key, k) }) {
			b.fail(ent, "transitiveTagKeys["+strconv.Itoa(j)+"]", "%q is not the key of a session tag", k)
			return
		}
	}
	if s.SourceIdentity != "" && !isSourceIdentity(s.SourceIdentity) {
		b.fail(ent, "sourceIdentity", "%q is not a valid source identity", s.SourceIdentity)
		return
	}
	var (
		owner *entity
		a     *account
		c     *Caller
	)
	switch {
	case s.RoleARN != "" && s.FederatedUser != "":
		b.fail(ent, "federatedUser", "a session is a role session (roleArn) or a federated-user session (federatedUser), not both")
		return
	case s.RoleARN != "":
		if !isName(s.SessionName, 2, maxNameLen) {
			b.fail(ent, "sessionName", "%q is not a valid role session name (2 to 64 characters of A-Z a-z 0-9 + = , . @ _ -)", s.SessionName)
			return
		}
		r, ok := b.d.roles[s.RoleARN]
		if !ok || (s.RoleID != "" && s.RoleID != r.id) {
			b.d.dropped = append(b.d.dropped, s.AccessKeyID)
			return
		}
		owner, a = r, b.d.accounts[r.account]
	case s.FederatedUser != "":
		if !isName(s.FederatedUser, 2, 32) {
			b.fail(ent, "federatedUser", "%q is not a valid federated user name (2 to 32 characters of A-Z a-z 0-9 + = , . @ _ -)", s.FederatedUser)
			return
		}
		u, ok := b.d.users[s.AssumedBy]
		if !ok {
			b.d.dropped = append(b.d.dropped, s.AccessKeyID)
			return
		}
		if s.Policy == "" && len(s.PolicyARNs) == 0 {
			b.fail(ent, "policy", "a federated-user session needs a session policy (without one AWS gives it no permissions)")
			return
		}
		owner, a = u, b.d.accounts[u.account]
	default:
		b.fail(ent, "roleArn", "a session needs a role ARN or a federated user name")
		return
	}
	sp, err := sessionPolicy(s.Policy, s.PolicyARNs, b.d.policies, owner.account)
	if err != nil {
		b.failErr(ent, "policy", err)
		return
	}
	c = sessionCaller(s, owner, a, sp)
	b.d.keys[s.AccessKeyID] = &keyEntry{
		cred:   sigv4.Credential{SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken, Expires: s.Expires},
		caller: c, active: true,
	}
}

func isSourceIdentity(s string) bool {
	return isName(s, 2, 64) && !hasFoldPrefix(s, "aws:")
}

// sessionPolicy compiles the session policies of a session: the inline
// policy and the managed session policies. Together they cap the session's
// permissions: a request is within the cap when one of them allows it and
// none denies it, so they are combined into one policy.
func sessionPolicy(inline string, arns []string, policies map[string]*managed, roleAccount string) (*policy.Policy, error) {
	if inline == "" && len(arns) == 0 {
		return nil, nil
	}
	var docs [][]byte
	var names []string
	if inline != "" {
		if _, err := policy.Parse([]byte(inline), policy.Options{Kind: policy.KindIdentity, Name: "session policy"}); err != nil {
			return nil, err
		}
		docs = append(docs, []byte(inline))
		names = append(names, "inline")
	}
	var only *policy.Policy
	for _, arn := range arns {
		mp, ok := policies[arn]
		if !ok || mp.kind != KindIdentity || (mp.account != "aws" && mp.account != roleAccount) {
			return nil, fmt.Errorf("Policy %s does not exist or is not attachable.", arn)
		}
		docs = append(docs, mp.doc)
		names = append(names, arn)
		only = mp.p
	}
	if inline == "" && len(arns) == 1 {
		return only, nil // one managed policy: use it as compiled
	}
	if len(docs) == 1 {
		return policy.Parse(docs[0], policy.Options{Kind: policy.KindIdentity, Name: "session policy"})
	}
	merged, err := mergePolicies(docs)
	if err != nil {
		return nil, err
	}
	return policy.Parse(merged, policy.Options{Kind: policy.KindIdentity, Name: "session policies (" + strings.Join(names, ", ") + ")"})
}

// mergePolicies combines valid policy documents into one with all their
// statements. Repeated Sids get a numeric suffix. The Version is the
// documents' common one, else 2012-10-17.
func mergePolicies(docs [][]byte) ([]byte, error) {
	version := ""
	var stmts []map[string]json.RawMessage
	sids := map[string]bool{}
	for i, doc := range docs {
		var top struct {
			Version   string
			Statement json.RawMessage
		}
		if err := json.Unmarshal(doc, &top); err != nil {
			return nil, err
		}
		if top.Version == "" {
			top.Version = "2008-10-17"
		}
		if i == 0 {
			version = top.Version
		} else if version != top.Version {
			version = "2012-10-17"
		}
		var list []map[string]json.RawMessage
		if t := bytes.TrimSpace(top.Statement); len(t) > 0 && t[0] == '{' {
			var one map[string]json.RawMessage
			if err := json.Unmarshal(t, &one); err != nil {
				return nil, err
			}
			list = append(list, one)
		} else if err := json.Unmarshal(top.Statement, &list); err != nil {
			return nil, err
		}
		for _, s := range list {
			if raw, ok := s["Sid"]; ok {
				var sid string
				if json.Unmarshal(raw, &sid) == nil && sid != "" {
					base, n := sid, 2
					for sids[sid] {
						sid = base + strconv.Itoa(n)
						n++
					}
					sids[sid] = true
					s["Sid"], _ = json.Marshal(sid)
				}
			}
			stmts = append(stmts, s)
		}
	}
	return json.Marshal(map[string]any{"Version": version, "Statement": stmts})
}
