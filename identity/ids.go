package identity

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Prefixes of the IDs AWS uses, which trellis uses the same way.
const (
	PrefixUser          = "AIDA" // IAM user unique ID
	PrefixRole          = "AROA" // IAM role unique ID
	PrefixAccessKey     = "AKIA" // long-term access key ID
	PrefixTemporaryKey  = "ASIA" // temporary (session) access key ID
	idSuffixLen         = 16
	secretLen           = 40
	sessionTokenBytes   = 96
	maxNameLen          = 64
	maxPathLen          = 512
	maxPolicyNameLen    = 128
	maxTagKeyLen        = 128
	maxTagValueLen      = 256
	maxTags             = 50
	maxKeysPerUser      = 2
	maxAttachedPolicies = 20
	maxSCPsPerTarget    = 5
)

// FullAWSAccessARN is the AWS managed service control policy that allows
// everything. It is built in: nodes of an organization with no SCPs listed
// have it, and it may be listed with others.
const FullAWSAccessARN = "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// derivedID returns prefix + 16 characters of [A-Z2-7] derived from parts, so
// that an entity declared without an ID keeps the same one from one
// configuration to the next.
func derivedID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	return prefix + b32.EncodeToString(sum[:10])
}

// randomID returns prefix + 16 random characters of [A-Z2-7].
func randomID(random io.Reader, prefix string) (string, error) {
	var b [10]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("identity: reading random bytes: %w", err)
	}
	return prefix + b32.EncodeToString(b[:]), nil
}

// randomSecret returns a 40-character secret of [A-Za-z0-9+/].
func randomSecret(random io.Reader) (string, error) {
	var b [30]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("identity: reading random bytes: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b[:]), nil
}

// NewAccessKey returns a new active long-term access key for user (the ARN
// of an IAM user or of an account's root user), with an ID and secret drawn
// from random (use crypto/rand.Reader). The key takes effect when a
// Directory is built with it.
func NewAccessKey(random io.Reader, user string, created time.Time) (AccessKey, error) {
	id, err := randomID(random, PrefixAccessKey)
	if err != nil {
		return AccessKey{}, err
	}
	secret, err := randomSecret(random)
	if err != nil {
		return AccessKey{}, err
	}
	return AccessKey{ID: id, Secret: secret, User: user, Status: StatusActive, Created: created}, nil
}

// Credentials are temporary security credentials. String and GoString
// redact the secret and the token.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// String describes the credentials without the secret or the token.
func (c Credentials) String() string {
	return "identity.Credentials{AccessKeyID: " + c.AccessKeyID + ", SecretAccessKey: REDACTED, SessionToken: REDACTED}"
}

// GoString is String.
func (c Credentials) GoString() string { return c.String() }

// NewSessionCredentials returns a new temporary access key ("ASIA..."),
// secret and session token drawn from random (use crypto/rand.Reader).
func NewSessionCredentials(random io.Reader) (Credentials, error) {
	id, err := randomID(random, PrefixTemporaryKey)
	if err != nil {
		return Credentials{}, err
	}
	secret, err := randomSecret(random)
	if err != nil {
		return Credentials{}, err
	}
	tok := make([]byte, sessionTokenBytes)
	if _, err := io.ReadFull(random, tok); err != nil {
		return Credentials{}, fmt.Errorf("identity: reading random bytes: %w", err)
	}
	return Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: base64.StdEncoding.EncodeToString(tok)}, nil
}

// isPrefixedID reports whether s is prefix followed by 16 characters of
// [A-Z2-7].
func isPrefixedID(s, prefix string) bool {
	if len(s) != len(prefix)+idSuffixLen || !strings.HasPrefix(s, prefix) {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func isSecret(s string) bool {
	if len(s) != secretLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

func isLowerAlnum(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isOrgID(s string) bool {
	rest, ok := strings.CutPrefix(s, "o-")
	return ok && isLowerAlnum(rest, 10, 32)
}

func isRootID(s string) bool {
	rest, ok := strings.CutPrefix(s, "r-")
	return ok && isLowerAlnum(rest, 4, 32)
}

// isOUID reports whether s is an OU ID of the root rootID.
func isOUID(s, rootID string) bool {
	rest, ok := strings.CutPrefix(s, "ou-")
	if !ok {
		return false
	}
	mid, tail, ok := strings.Cut(rest, "-")
	return ok && "r-"+mid == rootID && isLowerAlnum(tail, 8, 32)
}

// isNameChar reports whether c may appear in IAM user, role, policy and
// session names: [\w+=,.@-].
func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '-'
}

func isName(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

// isPath reports whether s is an IAM path: "/" or "/a/b/", printable ASCII.
func isPath(s string) bool {
	if len(s) < 1 || len(s) > maxPathLen || s[0] != '/' || s[len(s)-1] != '/' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return !strings.Contains(s, "//")
}

// isTagText reports whether s has only the characters AWS allows in tag keys
// and values: letters, digits, spaces and _ . : / = + - @.
func isTagText(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.IsNumber(r), unicode.Is(unicode.Zs, r):
		case strings.ContainsRune("_.:/=+-@", r):
		default:
			return false
		}
	}
	return true
}

// checkTag validates one tag; it returns a message without the tag's value.
func checkTag(t Tag) string {
	n := utf8.RuneCountInString(t.Key)
	switch {
	case n < 1 || n > maxTagKeyLen:
		return fmt.Sprintf("tag key %q must be 1 to %d characters", t.Key, maxTagKeyLen)
	case !isTagText(t.Key):
		return fmt.Sprintf("tag key %q may contain only letters, digits, spaces and _ . : / = + - @", t.Key)
	case hasFoldPrefix(t.Key, "aws:"):
		return fmt.Sprintf("tag key %q: the prefix aws: is reserved for AWS", t.Key)
	case utf8.RuneCountInString(t.Value) > maxTagValueLen:
		return fmt.Sprintf("the value of tag %q is longer than %d characters", t.Key, maxTagValueLen)
	case !isTagText(t.Value):
		return fmt.Sprintf("the value of tag %q may contain only letters, digits, spaces and _ . : / = + - @", t.Key)
	}
	return ""
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// checkTags validates a tag list: each tag, the count, and keys unique
// without case.
func checkTags(tags []Tag) error {
	if len(tags) > maxTags {
		return fmt.Errorf("%d tags; at most %d are allowed", len(tags), maxTags)
	}
	for i, t := range tags {
		if msg := checkTag(t); msg != "" {
			return errors.New(msg)
		}
		for _, u := range tags[:i] {
			if strings.EqualFold(u.Key, t.Key) {
				return fmt.Errorf("tag keys %q and %q are the same (tag keys of users, roles and sessions compare without case)", u.Key, t.Key)
			}
		}
	}
	return nil
}

// policyChars counts the characters of a policy document the way IAM's size
// quotas do: white space does not count.
func policyChars(doc []byte) int {
	n := 0
	for _, r := range string(doc) {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
