// Package identity knows who can sign a request: AWS Organizations
// organizations and their OUs, accounts, IAM users and roles with their
// policies, long-term access keys, and temporary sessions issued by STS.
//
// An Input is plain data (with JSON tags, as the store keeps it and a
// declarative configuration embeds it). New validates it, compiles every
// policy once and returns a Directory: immutable, safe for concurrent use,
// swapped whole when the configuration changes.
//
// Per request, a Directory answers two questions without allocating:
//
//   - Lookup (sigv4.CredentialStore): the secret of an access key, with the
//     session token and expiry of a temporary key, for the SigV4 verifier;
//   - Caller: the principal behind the key, whose AddContext adds the
//     condition keys it brings (aws:PrincipalArn, aws:PrincipalOrgID,
//     aws:PrincipalTag/..., aws:userid, ...) and whose PolicySet gives its
//     identity policies, permissions boundary, session policy and service
//     control policies for the policy engine.
//
// Directory.AssumeRole implements STS AssumeRole as pure logic: the role's
// trust policy and the caller's policies are evaluated with package policy,
// parameters are checked as AWS STS checks them, and the new Session is
// returned for the caller to persist; WithSessions (or New) then makes it
// usable. Errors carry AWS's code, message and HTTP status.
//
// The package does no I/O, reads no clock and keeps no global state: times
// and randomness are parameters. Secret access keys and session tokens never
// appear in errors or in the String and GoString of any type.
//
// See docs/identity.md for the input format and how trellis follows (and
// where it departs from) AWS.
package identity
