package iamdiff

import (
	"encoding/json"
	"strings"
)

// Document is one evaluation document in trellis's format. Policy documents are kept as
// generic JSON values (map[string]any, []any, string, ...) so that every shape the policy
// language allows (a single Statement object or a list, strings or lists of strings) can be
// generated and inspected.
type Document struct {
	IdentityPolicies        []any      `json:"identityPolicies,omitempty"`
	ResourcePolicy          any        `json:"resourcePolicy,omitempty"`
	EndpointPolicies        []any      `json:"endpointPolicies,omitempty"`
	SessionPolicy           any        `json:"sessionPolicy,omitempty"`
	PermissionsBoundaries   []any      `json:"permissionsBoundaries,omitempty"`
	ServiceControlPolicies  []OrgLevel `json:"serviceControlPolicies,omitempty"`
	ResourceControlPolicies []OrgLevel `json:"resourceControlPolicies,omitempty"`
	Request                 Request    `json:"request"`
}

// OrgLevel is the set of policies attached to one level of an organization: the root, an
// OU or an account. Levels are listed root first, account last.
type OrgLevel struct {
	Target   string `json:"target"`
	Policies []any  `json:"policies"`
}

// Request is the request part of an evaluation document.
type Request struct {
	Principal       string         `json:"principal"`
	Action          string         `json:"action"`
	Resource        string         `json:"resource"`
	ResourceAccount string         `json:"resourceAccount"`
	Context         map[string]any `json:"context"`
}

// Anonymous is the request principal of an unsigned request.
const Anonymous = "anonymous"

// Marshal returns the compact JSON form of the document (one line, keys sorted).
func (d Document) Marshal() []byte {
	b, err := json.Marshal(d)
	if err != nil {
		panic("iamdiff: document does not marshal: " + err.Error())
	}
	return b
}

// ParseDocument parses an evaluation document.
func ParseDocument(b []byte) (Document, error) {
	var d Document
	err := json.Unmarshal(b, &d)
	return d, err
}

// Clone returns a deep copy of the document.
func (d Document) Clone() Document {
	c, err := ParseDocument(d.Marshal())
	if err != nil {
		panic("iamdiff: document does not round-trip: " + err.Error())
	}
	return c
}

// Statements returns the statements of a policy document, whether its Statement element is
// one object or a list.
func Statements(policy any) []map[string]any {
	p, ok := policy.(map[string]any)
	if !ok {
		return nil
	}
	switch s := p["Statement"].(type) {
	case map[string]any:
		return []map[string]any{s}
	case []any:
		out := make([]map[string]any, 0, len(s))
		for _, v := range s {
			if m, ok := v.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// Strings returns a string-or-list-of-strings JSON value as a list.
func Strings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []string:
		return t
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// PrincipalEntries flattens a Principal or NotPrincipal element into "type:value" pairs,
// e.g. "AWS:arn:aws:iam::111122223333:root", "Service:lambda.amazonaws.com"; the string
// form "*" becomes "*".
func PrincipalEntries(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case map[string]any:
		var out []string
		for _, typ := range []string{"AWS", "Service", "Federated", "CanonicalUser"} {
			for _, s := range Strings(t[typ]) {
				out = append(out, typ+":"+s)
			}
		}
		return out
	}
	return nil
}

// principalLayers returns the principal identifiers a NotPrincipal element must list for a
// request principal to be excluded from it, as AWS documents it (IAM User Guide, "AWS JSON
// policy elements: NotPrincipal"): the account and the user for IAM users; the account, the
// role and the session for role sessions. Each layer is a set of equivalent spellings.
func principalLayers(principal string) [][]string {
	if principal == Anonymous || !strings.HasPrefix(principal, "arn:") {
		if principal == Anonymous {
			return nil
		}
		return [][]string{{"Service:" + principal}}
	}
	parts := strings.SplitN(principal, ":", 6)
	if len(parts) < 6 {
		return nil
	}
	account := parts[4]
	accountLayer := []string{"AWS:" + account, "AWS:arn:aws:iam::" + account + ":root"}
	res := parts[5]
	switch {
	case res == "root":
		return [][]string{accountLayer}
	case strings.HasPrefix(res, "user/"):
		return [][]string{accountLayer, {"AWS:" + principal}}
	case strings.HasPrefix(res, "role/"):
		return [][]string{accountLayer, {"AWS:" + principal}}
	case strings.HasPrefix(res, "assumed-role/"):
		f := strings.Split(res, "/")
		if len(f) < 3 {
			return nil
		}
		return [][]string{accountLayer, roleSpellings(account, f[1]), {"AWS:" + principal}}
	}
	return nil
}

// roleSpellings returns the role ARNs the generator may use for a role name (with the path
// the generator's world gives it, if any).
func roleSpellings(account, name string) []string {
	out := []string{"AWS:arn:aws:iam::" + account + ":role/" + name}
	for _, r := range roles {
		if r.name == name && r.path != "" {
			out = append(out, "AWS:arn:aws:iam::"+account+":role/"+r.path+name)
		}
	}
	return out
}
