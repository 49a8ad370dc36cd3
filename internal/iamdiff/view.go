package iamdiff

import "strings"

// SimulatorView returns the document to give iam-simulate for a trellis document, and
// whether it had to be rewritten.
//
// iam-simulate accepts only Principal "*" in VPC endpoint policies (and no NotPrincipal),
// while interface endpoint policies may name principals (AWS PrivateLink, "Control access
// to VPC endpoints using endpoint policies"; API Gateway, "Use VPC endpoint policies for
// private APIs"). For such documents each endpoint statement that names principals is
// resolved against the request principal, the way a Principal element of a resource-based
// policy is (IAM User Guide, "AWS JSON policy elements: Principal"): a statement that
// names the caller gets Principal "*", one that does not is removed. The caller is named
// by "*" or {"AWS": "*"}; by its own ARN; for a role session, by the role's ARN; for an
// IAM principal, by its account (12-digit ID or root ARN); for a service principal, by
// its service name.
func SimulatorView(d Document) (Document, bool) {
	if !endpointNamesPrincipals(d) {
		return d, false
	}
	v := d.Clone()
	for i, pol := range v.EndpointPolicies {
		p, ok := pol.(map[string]any)
		if !ok {
			continue
		}
		var kept []any
		for _, st := range Statements(p) {
			pr, has := st["Principal"]
			if !has || pr == "*" {
				kept = append(kept, st)
				continue
			}
			if PrincipalNames(pr, d.Request.Principal) {
				st["Principal"] = "*"
				kept = append(kept, st)
			}
		}
		if kept == nil {
			kept = []any{}
		}
		p["Statement"] = kept
		v.EndpointPolicies[i] = p
	}
	return v, true
}

func endpointNamesPrincipals(d Document) bool {
	for _, pol := range d.EndpointPolicies {
		for _, st := range Statements(pol) {
			if pr, ok := st["Principal"]; ok && pr != "*" {
				return true
			}
			if _, ok := st["NotPrincipal"]; ok {
				return true
			}
		}
	}
	return false
}

// PrincipalNames reports whether a Principal element names the request principal, with
// the semantics SimulatorView documents.
func PrincipalNames(element any, principal string) bool {
	for _, e := range PrincipalEntries(element) {
		if e == "*" || e == "AWS:*" {
			return true
		}
		typ, val, _ := strings.Cut(e, ":")
		if principal == Anonymous {
			continue
		}
		if !strings.HasPrefix(principal, "arn:") {
			if typ == "Service" && val == principal {
				return true
			}
			continue
		}
		if typ != "AWS" {
			continue
		}
		if val == principal {
			return true
		}
		parts := strings.SplitN(principal, ":", 6)
		if len(parts) < 6 {
			continue
		}
		account := parts[4]
		if val == account || val == "arn:aws:iam::"+account+":root" {
			return true
		}
		if strings.HasPrefix(parts[5], "assumed-role/") {
			f := strings.Split(parts[5], "/")
			if len(f) >= 3 && contains(roleSpellings(account, f[1]), "AWS:"+val) {
				return true
			}
		}
	}
	return false
}
