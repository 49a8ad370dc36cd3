package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// This file holds what every implementation shares: checking records,
// building errors and page tokens. None of it is specific to SQL.

// checkKey checks a kind and ID.
func checkKey(kind Kind, id string) error {
	switch {
	case kind == "":
		return fmt.Errorf("store: empty kind: %w", ErrInvalid)
	case !utf8.ValidString(string(kind)):
		return fmt.Errorf("store: kind is not UTF-8: %w", ErrInvalid)
	case id == "":
		return fmt.Errorf("store: %s: empty ID: %w", kind, ErrInvalid)
	case !utf8.ValidString(id):
		return fmt.Errorf("store: %s: ID is not UTF-8: %w", kind, ErrInvalid)
	}
	return nil
}

// checkRecord checks what Create and Put need of a record. The body is
// checked but never quoted.
func checkRecord(r *Record) error {
	if err := checkKey(r.Kind, r.ID); err != nil {
		return err
	}
	switch {
	case !utf8.ValidString(r.Parent):
		return fmt.Errorf("store: %s %q: parent is not UTF-8: %w", r.Kind, r.ID, ErrInvalid)
	case !utf8.ValidString(r.Name):
		return fmt.Errorf("store: %s %q: name is not UTF-8: %w", r.Kind, r.ID, ErrInvalid)
	case len(r.Body) == 0:
		return fmt.Errorf("store: %s %q: empty body: %w", r.Kind, r.ID, ErrInvalid)
	case !json.Valid(r.Body):
		return fmt.Errorf("store: %s %q: body is not valid JSON: %w", r.Kind, r.ID, ErrInvalid)
	}
	return nil
}

func errNotFound(kind Kind, id string) error {
	return fmt.Errorf("store: %s %q: %w", kind, id, ErrNotFound)
}

func errNameNotFound(kind Kind, parent, name string) error {
	if parent == "" {
		return fmt.Errorf("store: %s named %q: %w", kind, name, ErrNotFound)
	}
	return fmt.Errorf("store: %s named %q in %q: %w", kind, name, parent, ErrNotFound)
}

func errExists(kind Kind, id string) error {
	return fmt.Errorf("store: %s %q: %w", kind, id, ErrExists)
}

func errNameTaken(kind Kind, parent, name string) error {
	if parent == "" {
		return fmt.Errorf("store: %s name %q: %w", kind, name, ErrNameTaken)
	}
	return fmt.Errorf("store: %s name %q in %q: %w", kind, name, parent, ErrNameTaken)
}

func errConflict(kind Kind, id string, want, have int64) error {
	return fmt.Errorf("store: %s %q: caller has version %d, stored version is %d: %w", kind, id, want, have, ErrConflict)
}

// listLimit returns the page size for a requested limit.
func listLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultListLimit
	case n > MaxListLimit:
		return MaxListLimit
	}
	return n
}

// pageToken is what a List token carries: the query it belongs to and the
// last ID of the page it ends. Tokens are opaque to callers but not secret:
// they hold only an ID the caller has already been given.
type pageToken struct {
	Kind   Kind   `json:"k"`
	Parent string `json:"p,omitempty"`
	After  string `json:"a"`
}

func encodeToken(kind Kind, parent, after string) string {
	b, err := json.Marshal(pageToken{Kind: kind, Parent: parent, After: after})
	if err != nil {
		panic(err) // strings always marshal
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeToken returns the ID a token continues after, checking that it
// belongs to a List of kind and parent. The empty token starts at the
// beginning.
func decodeToken(kind Kind, parent, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	var t pageToken
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil || t.After == "" {
		return "", fmt.Errorf("store: list %s: malformed token: %w", kind, ErrBadToken)
	}
	if t.Kind != kind || t.Parent != parent {
		return "", fmt.Errorf("store: list %s: token belongs to a different list: %w", kind, ErrBadToken)
	}
	return t.After, nil
}
