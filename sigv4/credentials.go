package sigv4

import "time"

// Credential is the secret half of an access key, as the verifier needs it.
// Its String and GoString methods redact the secret and the token, so a
// Credential printed by mistake leaks nothing.
type Credential struct {
	// SecretAccessKey is the secret the client signs with.
	SecretAccessKey string
	// SessionToken is the token that must accompany a temporary access key
	// (X-Amz-Security-Token). It is empty for a long-term access key, which
	// must then be used without a token.
	SessionToken string
	// Expires is when the credential stops being valid; the zero time means
	// never.
	Expires time.Time
}

// String returns a redacted description of the credential.
func (c Credential) String() string {
	s := "sigv4.Credential{SecretAccessKey: REDACTED"
	if c.SessionToken != "" {
		s += ", SessionToken: REDACTED"
	}
	if !c.Expires.IsZero() {
		s += ", Expires: " + c.Expires.UTC().Format(time.RFC3339)
	}
	return s + "}"
}

// GoString returns the same redacted description as String, for %#v.
func (c Credential) GoString() string { return c.String() }

// CredentialStore gives the verifier the credential of an access key id.
// Implementations must be safe for concurrent use and should not allocate:
// Lookup runs once for every request verified.
type CredentialStore interface {
	// Lookup returns the credential for an access key id, or ok=false when
	// the access key id is unknown.
	Lookup(accessKeyID string) (cred Credential, ok bool)
}

// StaticCredentials is a CredentialStore backed by a map from access key id
// to credential. It must not be modified while a Verifier uses it.
type StaticCredentials map[string]Credential

// Lookup returns the credential of accessKeyID.
func (s StaticCredentials) Lookup(accessKeyID string) (Credential, bool) {
	c, ok := s[accessKeyID]
	return c, ok
}
