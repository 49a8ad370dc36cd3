package identity

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trellisproject/trellis/policy"
)

// STS actions and the condition keys AssumeRole sets.
const (
	ActionAssumeRole        = "sts:AssumeRole"
	ActionTagSession        = "sts:TagSession"
	ActionSetSourceIdentity = "sts:SetSourceIdentity"

	KeyRoleSessionName   = "sts:RoleSessionName"
	KeyExternalID        = "sts:ExternalId"
	KeySTSSourceIdentity = "sts:SourceIdentity"
	KeyTransitiveTagKeys = "sts:TransitiveTagKeys"
	KeyRequestTagPrefix  = "aws:RequestTag/"
	KeyResourceTagPrefix = "aws:ResourceTag/"
	KeyTagKeys           = "aws:TagKeys"
)

// Limits of AssumeRole's parameters, from the AWS STS API reference.
const (
	MinAssumeRoleDuration  = 900
	ChainedSessionDuration = 3600 // the longest session role chaining can create
	MaxSessionPolicyChars  = 2048
	MaxPolicyARNs          = 10
)

// AssumeRoleInput holds the parameters of an AssumeRole request, named as in
// the AWS STS API.
type AssumeRoleInput struct {
	RoleARN         string
	RoleSessionName string
	// DurationSeconds is the session's duration; 0 means not given (3600).
	DurationSeconds int
	// Policy is an inline session policy (JSON).
	Policy string
	// PolicyARNs are managed session policies in the role's account (or
	// AWS managed policies).
	PolicyARNs        []string
	Tags              []Tag
	TransitiveTagKeys []string
	ExternalID        string
	SourceIdentity    string
	// SerialNumber and TokenCode identify an MFA device and its code.
	// trellis has no MFA devices: they are checked for form and otherwise
	// ignored, and the session is never MFA-authenticated (see
	// docs/identity.md).
	SerialNumber string
	TokenCode    string
}

// A Violation is one failed constraint of a request parameter, reported in
// AWS's ValidationError format.
type Violation struct {
	// Member is the parameter, in AWS's lower camel case: "roleSessionName",
	// "tags.1.member.key".
	Member string
	// Value is the value as AWS quotes it; Null means the parameter is
	// missing.
	Value string
	Null  bool
	// Constraint is the constraint, such as "Member must have length
	// greater than or equal to 2".
	Constraint string
}

// NewValidationError returns AWS's ValidationError for the violations:
// "1 validation error detected: Value 'x' at 'roleSessionName' failed to
// satisfy constraint: Member must have length greater than or equal to 2".
func NewValidationError(vs ...Violation) *Error {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(vs)))
	if len(vs) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	for i, v := range vs {
		if i > 0 {
			b.WriteString("; ")
		}
		if v.Null {
			b.WriteString("Value null")
		} else {
			b.WriteString("Value '")
			b.WriteString(v.Value)
			b.WriteString("'")
		}
		b.WriteString(" at '")
		b.WriteString(v.Member)
		b.WriteString("' failed to satisfy constraint: ")
		b.WriteString(v.Constraint)
	}
	return stsError(CodeValidationError, http.StatusBadRequest, b.String())
}

// The regular expressions of the STS API model, as AWS prints them.
const (
	patternSessionName = `[\w+=,.@-]*`
	patternExternalID  = `[\w+=,.@:\/-]*`
	patternSerial      = `[\w+=/:,.@-]*`
	patternTokenCode   = `[\d]*`
	patternTagKey      = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	patternTagValue    = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
	patternPolicy      = `[\u0009\u000A\u000D\u0020-\u00FF]+`
	patternARN         = `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`
)

// constraints checks one string parameter against its length bounds and
// pattern and appends what fails.
func constraints(vs []Violation, member, value string, min, max int, pattern string, ok func(string) bool, shown string) []Violation {
	if shown == "" {
		shown = value
	}
	n := utf8.RuneCountInString(value)
	if n < min {
		vs = append(vs, Violation{Member: member, Value: shown, Constraint: "Member must have length greater than or equal to " + strconv.Itoa(min)})
	}
	if n > max {
		vs = append(vs, Violation{Member: member, Value: shown, Constraint: "Member must have length less than or equal to " + strconv.Itoa(max)})
	}
	if ok != nil && !ok(value) {
		vs = append(vs, Violation{Member: member, Value: shown, Constraint: "Member must satisfy regular expression pattern: " + pattern})
	}
	return vs
}

func allBytes(ok func(byte) bool) func(string) bool {
	return func(s string) bool {
		for i := 0; i < len(s); i++ {
			if !ok(s[i]) {
				return false
			}
		}
		return true
	}
}

var (
	okSessionName = allBytes(isNameChar)
	okExternalID  = allBytes(func(c byte) bool { return isNameChar(c) || c == ':' || c == '/' })
	okSerial      = allBytes(func(c byte) bool { return isNameChar(c) || c == ':' || c == '/' })
	okTokenCode   = allBytes(func(c byte) bool { return c >= '0' && c <= '9' })
	okPolicyText  = func(s string) bool {
		for _, r := range s {
			if !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xff) {
				return false
			}
		}
		return true
	}
	okARNText = func(s string) bool {
		for _, r := range s {
			if !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7e || r == 0x85 || r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000) {
				return false
			}
		}
		return true
	}
	okTagKey = func(s string) bool { return s != "" && isTagText(s) }
)

// validate checks the parameters against the STS API model's constraints.
func (in *AssumeRoleInput) validate() *Error {
	var vs []Violation
	if in.RoleARN == "" {
		vs = append(vs, Violation{Member: "roleArn", Null: true, Constraint: "Member must not be null"})
	} else {
		vs = constraints(vs, "roleArn", in.RoleARN, 20, 2048, patternARN, okARNText, "")
	}
	if in.RoleSessionName == "" {
		vs = append(vs, Violation{Member: "roleSessionName", Null: true, Constraint: "Member must not be null"})
	} else {
		vs = constraints(vs, "roleSessionName", in.RoleSessionName, 2, 64, patternSessionName, okSessionName, "")
	}
	if in.DurationSeconds != 0 {
		d := strconv.Itoa(in.DurationSeconds)
		if in.DurationSeconds < MinAssumeRoleDuration {
			vs = append(vs, Violation{Member: "durationSeconds", Value: d, Constraint: "Member must have value greater than or equal to " + strconv.Itoa(MinAssumeRoleDuration)})
		}
		if in.DurationSeconds > MaxSessionDuration {
			vs = append(vs, Violation{Member: "durationSeconds", Value: d, Constraint: "Member must have value less than or equal to " + strconv.Itoa(MaxSessionDuration)})
		}
	}
	if in.Policy != "" {
		vs = constraints(vs, "policy", in.Policy, 1, MaxSessionPolicyChars, patternPolicy, okPolicyText, "")
	}
	for i, arn := range in.PolicyARNs {
		vs = constraints(vs, "policyArns."+strconv.Itoa(i+1)+".member.arn", arn, 20, 2048, patternARN, okARNText, "")
	}
	if len(in.Tags) > maxTags {
		vs = append(vs, Violation{Member: "tags", Value: tagList(in.Tags), Constraint: "Member must have length less than or equal to " + strconv.Itoa(maxTags)})
	}
	for i, t := range in.Tags {
		m := "tags." + strconv.Itoa(i+1) + ".member."
		vs = constraints(vs, m+"key", t.Key, 1, maxTagKeyLen, patternTagKey, okTagKey, "")
		vs = constraints(vs, m+"value", t.Value, 0, maxTagValueLen, patternTagValue, isTagText, "")
	}
	if len(in.TransitiveTagKeys) > maxTags {
		vs = append(vs, Violation{Member: "transitiveTagKeys", Value: "[" + strings.Join(in.TransitiveTagKeys, ", ") + "]", Constraint: "Member must have length less than or equal to " + strconv.Itoa(maxTags)})
	}
	for i, k := range in.TransitiveTagKeys {
		vs = constraints(vs, "transitiveTagKeys."+strconv.Itoa(i+1)+".member", k, 1, maxTagKeyLen, patternTagKey, okTagKey, "")
	}
	if in.ExternalID != "" {
		vs = constraints(vs, "externalId", in.ExternalID, 2, 1224, patternExternalID, okExternalID, "")
	}
	if in.SerialNumber != "" {
		vs = constraints(vs, "serialNumber", in.SerialNumber, 9, 256, patternSerial, okSerial, "")
	}
	if in.TokenCode != "" {
		// The code is a one-time secret: not echoed.
		vs = constraints(vs, "tokenCode", in.TokenCode, 6, 6, patternTokenCode, okTokenCode, "REDACTED")
	}
	if in.SourceIdentity != "" {
		vs = constraints(vs, "sourceIdentity", in.SourceIdentity, 2, 64, patternSessionName, okSessionName, "")
	}
	if len(vs) > 0 {
		return NewValidationError(vs...)
	}
	return nil
}

func tagList(tags []Tag) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, t := range tags {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("Tag(Key=" + t.Key + ", Value=" + t.Value + ")")
	}
	b.WriteByte(']')
	return b.String()
}

// notAuthorized is AWS's AccessDenied message.
func notAuthorized(caller, action, resource string) string {
	return "User: " + caller + " is not authorized to perform: " + action + " on resource: " + resource
}

// AssumeRole decides an AssumeRole request by caller and, when it is
// allowed, returns the new role session for the caller of AssumeRole to
// persist (the Directory is immutable: the session works once a Directory
// is built with it, see WithSessions). reqCtx holds the request's own
// condition keys (aws:SourceIp, aws:CurrentTime, aws:SecureTransport, ...);
// it may be nil and is not modified. now is the time of the request; random
// supplies the new credentials (use crypto/rand.Reader).
//
// It follows AWS STS: the parameters are checked against the API's
// constraints (ValidationError); the role's trust policy must allow the
// caller sts:AssumeRole, and the caller's own policies (identity policies,
// permissions boundary, session policy, service control policies) are
// combined with it as a resource-based policy: within one account a trust
// policy that names the caller's user, role or session is enough, one that
// names only the account needs the caller's identity policy too; across
// accounts both must allow. An unknown role is AccessDenied, as in AWS. Tags
// need sts:TagSession and a source identity needs sts:SetSourceIdentity,
// decided the same way. Role chaining (a role session assuming a role)
// limits the duration to one hour, passes on transitive session tags, which
// the request may not override, and keeps the source identity, which it may
// not change.
//
// Refusals are *Error values with AWS's code, message and HTTP status.
func (d *Directory) AssumeRole(caller *Caller, reqCtx *policy.Context, in AssumeRoleInput, now time.Time, random io.Reader) (Session, error) {
	if caller == nil {
		return Session{}, stsError("MissingAuthenticationToken", http.StatusForbidden, "Request is missing Authentication Token")
	}
	if e := in.validate(); e != nil {
		return Session{}, e
	}
	if caller.temporary && !now.Before(caller.expires) {
		return Session{}, stsError(CodeExpiredToken, http.StatusForbidden, "The security token included in the request is expired")
	}

	// Checks of the parameters alone.
	for i, t := range in.Tags {
		if hasFoldPrefix(t.Key, "aws:") {
			return Session{}, stsError(CodeInvalidParameterValue, http.StatusBadRequest, "Tag keys cannot start with the reserved prefix 'aws:': "+t.Key)
		}
		for _, u := range in.Tags[:i] {
			if strings.EqualFold(u.Key, t.Key) {
				return Session{}, stsError(CodeInvalidParameterValue, http.StatusBadRequest, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
			}
		}
	}
	for _, k := range in.TransitiveTagKeys {
		if !slices.ContainsFunc(in.Tags, func(t Tag) bool { return strings.EqualFold(t.Key, k) }) {
			return Session{}, stsError(CodeInvalidParameterValue, http.StatusBadRequest, "The specified transitive tag key must be included in the requested tags.")
		}
	}
	if hasFoldPrefix(in.SourceIdentity, "aws:") {
		return Session{}, stsError(CodeValidationError, http.StatusBadRequest, "SourceIdentity cannot start with the reserved prefix 'aws:'.")
	}
	if in.Policy != "" {
		if _, err := policy.Parse([]byte(in.Policy), policy.Options{Kind: policy.KindIdentity, Name: "session policy"}); err != nil {
			return Session{}, stsError(CodeMalformedPolicyDocument, http.StatusBadRequest, malformedMessage(err))
		}
	}
	if len(in.PolicyARNs) > MaxPolicyARNs {
		return Session{}, NewValidationError(Violation{Member: "policyArns", Value: "[" + strings.Join(in.PolicyARNs, ", ") + "]",
			Constraint: "Member must have length less than or equal to " + strconv.Itoa(MaxPolicyARNs)})
	}

	// Who may call AssumeRole at all.
	switch caller.principal.Type {
	case policy.Account:
		return Session{}, stsError(CodeAccessDenied, http.StatusForbidden, "Roles may not be assumed by root accounts.")
	case policy.FederatedUser:
		e := stsError(CodeAccessDenied, http.StatusForbidden, notAuthorized(caller.ARN(), ActionAssumeRole, in.RoleARN))
		e.Action, e.Reason = ActionAssumeRole, "federated-user sessions cannot call AssumeRole"
		return Session{}, e
	}
	chained := caller.principal.Type == policy.AssumedRole

	// The request context: the caller's keys first (they cannot be
	// overridden), then the request's, then AssumeRole's.
	role := d.roles[in.RoleARN]
	n := caller.ContextLen() + reqCtx.Len() + 8 + len(in.Tags)
	if role != nil {
		n += len(role.tags)
	}
	ctx := policy.NewContext(n)
	caller.AddContext(ctx)
	for k, vs := range reqCtx.All() {
		if reservedKey(k) {
			continue
		}
		if reqCtx.IsMulti(k) {
			ctx.SetMulti(k, vs)
		} else {
			ctx.Set(k, vs[0])
		}
	}
	sourceIdentity := in.SourceIdentity
	if caller.sourceIdentity != "" {
		sourceIdentity = caller.sourceIdentity
	}
	ctx.Set(KeyRoleSessionName, in.RoleSessionName)
	if in.ExternalID != "" {
		ctx.Set(KeyExternalID, in.ExternalID)
	}
	if sourceIdentity != "" {
		ctx.Set(KeySTSSourceIdentity, sourceIdentity)
	}
	if len(in.Tags) > 0 {
		keys := make([]string, len(in.Tags))
		for i, t := range in.Tags {
			ctx.Set(KeyRequestTagPrefix+t.Key, t.Value)
			keys[i] = t.Key
		}
		ctx.SetMulti(KeyTagKeys, keys)
	}
	if len(in.TransitiveTagKeys) > 0 {
		ctx.SetMulti(KeyTransitiveTagKeys, slices.Clone(in.TransitiveTagKeys))
	}
	if role != nil {
		for _, t := range role.tags {
			ctx.Set(KeyResourceTagPrefix+t.Key, t.Value)
		}
	}

	// sts:AssumeRole: the trust policy must allow, and the combination with
	// the caller's policies must allow.
	if e := d.authorize(caller, role, in.RoleARN, ActionAssumeRole, ctx); e != nil {
		return Session{}, e
	}

	// Checks that depend on the role.
	duration := in.DurationSeconds
	if duration == 0 {
		duration = DefaultSessionDuration
	}
	if duration > role.maxSession {
		return Session{}, stsError(CodeValidationError, http.StatusBadRequest, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if chained && duration > ChainedSessionDuration {
		return Session{}, stsError(CodeValidationError, http.StatusBadRequest, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	packed := 0
	if in.Policy != "" || len(in.PolicyARNs) > 0 {
		chars := policyChars([]byte(in.Policy))
		for _, arn := range in.PolicyARNs {
			mp, ok := d.policies[arn]
			if !ok || mp.kind != KindIdentity || (mp.account != "aws" && mp.account != role.account) {
				return Session{}, stsError(CodeValidationError, http.StatusBadRequest, "Policy "+arn+" does not exist or is not attachable.")
			}
			chars += mp.chars
		}
		packed = (chars*100 + MaxSessionPolicyChars - 1) / MaxSessionPolicyChars
		if packed > 100 {
			return Session{}, stsError(CodePackedPolicyTooLarge, http.StatusBadRequest, "Packed policy consumes "+strconv.Itoa(packed)+"% of allotted space, please use smaller policy.")
		}
	}
	// Role chaining: transitive tags pass on and cannot be overridden.
	tags := slices.Clone(caller.transitive)
	var transitive []string
	for _, t := range caller.transitive {
		transitive = append(transitive, t.Key)
	}
	for _, t := range in.Tags {
		if slices.ContainsFunc(caller.transitive, func(u Tag) bool { return strings.EqualFold(u.Key, t.Key) }) {
			return Session{}, stsError(CodeInvalidParameterValue, http.StatusBadRequest,
				"The session tag "+t.Key+" conflicts with a transitive tag of the calling session; transitive tags cannot be overridden in a role chain.")
		}
		tags = append(tags, t)
	}
	if len(tags) > maxTags {
		pct := (len(tags)*100 + maxTags - 1) / maxTags
		return Session{}, stsError(CodePackedPolicyTooLarge, http.StatusBadRequest, "Packed size of session tags consumes "+strconv.Itoa(pct)+"% of allotted space.")
	}
	for _, k := range in.TransitiveTagKeys {
		if !slices.ContainsFunc(transitive, func(u string) bool { return strings.EqualFold(u, k) }) {
			transitive = append(transitive, k)
		}
	}
	// The source identity of a chain cannot change.
	if caller.sourceIdentity != "" && in.SourceIdentity != "" && in.SourceIdentity != caller.sourceIdentity {
		e := stsError(CodeAccessDenied, http.StatusForbidden, notAuthorized(caller.ARN(), ActionSetSourceIdentity, role.arn))
		e.Action, e.Reason = ActionSetSourceIdentity, "the source identity of a role chain cannot change"
		return Session{}, e
	}
	if len(in.Tags) > 0 {
		if e := d.authorize(caller, role, role.arn, ActionTagSession, ctx); e != nil {
			return Session{}, e
		}
	}
	if sourceIdentity != "" {
		if e := d.authorize(caller, role, role.arn, ActionSetSourceIdentity, ctx); e != nil {
			return Session{}, e
		}
	}

	creds, err := NewSessionCredentials(random)
	if err != nil {
		return Session{}, err
	}
	issued := now.UTC().Truncate(time.Second)
	return Session{
		AccessKeyID:       creds.AccessKeyID,
		SecretAccessKey:   creds.SecretAccessKey,
		SessionToken:      creds.SessionToken,
		RoleARN:           role.arn,
		RoleID:            role.id,
		SessionName:       in.RoleSessionName,
		Issued:            issued,
		Expires:           issued.Add(time.Duration(duration) * time.Second),
		Policy:            in.Policy,
		PolicyARNs:        slices.Clone(in.PolicyARNs),
		PackedPolicySize:  packed,
		Tags:              tags,
		TransitiveTagKeys: transitive,
		SourceIdentity:    sourceIdentity,
		AssumedBy:         caller.ARN(),
	}, nil
}

// reservedKey reports whether a condition key belongs to the principal or to
// AssumeRole itself, so that a request context cannot supply it.
func reservedKey(k string) bool {
	for _, p := range []string{"aws:principal", "aws:userid", "aws:username", "aws:multifactorauth", "aws:tokenissuetime",
		"aws:sourceidentity", "aws:requesttag/", "aws:tagkeys", "aws:resourcetag/", "sts:"} {
		if hasFoldPrefix(k, p) {
			return true
		}
	}
	return false
}

// authorize decides one action of AssumeRole. The trust policy must allow
// (a role trust policy is the exception to "an identity policy alone is
// enough" within an account), and the trust policy combined with the
// caller's policies must allow.
func (d *Directory) authorize(caller *Caller, role *entity, roleARN, action string, ctx *policy.Context) *Error {
	deny := func(r policy.Result, reason string) *Error {
		e := stsError(CodeAccessDenied, http.StatusForbidden, notAuthorized(caller.ARN(), action, roleARN))
		e.Result, e.Action, e.Reason = r, action, reason
		return e
	}
	if role == nil {
		return deny(policy.Result{Statement: -1}, "no such role")
	}
	if role.trust == nil {
		return deny(policy.Result{Type: policy.ResourcePolicy, Statement: -1, Reason: policy.ReasonNoPolicy}, "the role has no trust policy")
	}
	req := policy.Request{Principal: caller.principal, Action: action, Resource: role.arn, ResourceAccount: role.account, Context: ctx}
	if r := role.trust.Evaluate(&req); r.Decision != policy.Allow {
		r.Type = policy.ResourcePolicy
		return deny(r, "the role's trust policy does not allow it")
	}
	set := caller.PolicySet()
	set.Resource = role.trust
	if r := set.Evaluate(&req); r.Decision != policy.Allow {
		return deny(r, r.String())
	}
	return nil
}

// malformedMessage turns a policy validation error into the message of
// MalformedPolicyDocument.
func malformedMessage(err error) string {
	if ve, ok := err.(*policy.ValidationError); ok {
		if errs := ve.Errors(); len(errs) > 0 {
			return "Syntax errors in policy. " + errs[0].String()
		}
	}
	return "Syntax errors in policy. " + err.Error()
}

// PrincipalARN returns the session's ARN:
// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION for a role session,
// arn:aws:sts::ACCOUNT:federated-user/NAME for a federated user.
func (s Session) PrincipalARN() string {
	if s.FederatedUser != "" {
		acct := arnAccount(s.AssumedBy)
		return "arn:aws:sts::" + acct + ":federated-user/" + s.FederatedUser
	}
	acct := arnAccount(s.RoleARN)
	name := s.RoleARN[strings.LastIndexByte(s.RoleARN, '/')+1:]
	return "arn:aws:sts::" + acct + ":assumed-role/" + name + "/" + s.SessionName
}

// AssumedRoleID returns "ROLEID:SESSION", the session's aws:userid.
func (s Session) AssumedRoleID() string { return s.RoleID + ":" + s.SessionName }

func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}
