package iamdiff

import "strings"

// KnownDifference is a documented way in which iam-simulate differs from AWS, and so from
// trellis. Each entry cites the AWS documentation page that states how AWS behaves.
type KnownDifference struct {
	Kind        string // short identifier, used in reports
	Description string // what differs
	DocURL      string // the AWS documentation page
	DocFact     string // what that page states

	// Matches recognises the shape of a disagreeing case, given both decisions.
	Matches func(d Document, trellis, sim string) bool

	// Adjust rewrites the document into one on which iam-simulate, with its own
	// semantics, must reach the decision the AWS documentation describes. The comparator
	// evaluates the adjusted document with iam-simulate and counts the case as this known
	// difference only if that decision equals trellis's; otherwise the case stays a
	// disagreement. Adjust returns false when it cannot rewrite the document.
	Adjust func(d Document) (Document, bool)
}

// KnownDifferences is the table of documented differences, in the order they are tried.
var KnownDifferences = []KnownDifference{
	{
		Kind: "notprincipal-layers",
		Description: "A Deny statement with NotPrincipal in a resource policy still denies a caller when the " +
			"element lists only some of the caller's identities (for example only its account, or the account " +
			"and the role but not the session). iam-simulate exempts the caller as soon as any one entry " +
			"matches it, including an account-level match; trellis exempts it only when the account, and the " +
			"user, or the role and the session, are all listed.",
		DocURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html",
		DocFact: "When you use NotPrincipal with Deny you must also specify the account ARN of the not-denied " +
			"principal, otherwise the policy might deny access to the entire account; AWS may validate the " +
			"account first, then the role, then the assumed-role session, so the policy should list the account, " +
			"the role and the session (the page's examples list all three).",
		Matches: func(d Document, trellis, sim string) bool {
			return trellis != Allow && len(d.PermissionsBoundaries) == 0 && partialNotPrincipalDeny(d)
		},
		Adjust: adjustNotPrincipal,
	},
	{
		Kind: "session-policy-session-arn",
		Description: "A same-account resource policy that names the role session's own ARN grants access even " +
			"when the session policy does not allow it. iam-simulate always requires the session policy to allow.",
		DocURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session",
		DocFact: "A resource-based policy can specify the ARN of the session as a principal; the permissions " +
			"from the resource-based policy are then added after the session is created and are not limited by " +
			"the session policy. The session has all the permissions of the resource-based policy plus the " +
			"intersection of the identity-based policy and the session policy.",
		Matches: func(d Document, trellis, sim string) bool {
			return trellis == Allow && sim != Allow && d.SessionPolicy != nil &&
				PrincipalKind(d.Request.Principal) == "session" && sameAccount(d) &&
				len(sessionArnAllowStatements(d)) > 0
		},
		Adjust: adjustSessionArn,
	},
	{
		Kind: "root-user",
		Description: "The root user of the resource's account has full access to it without any identity " +
			"policy (it cannot have one); only explicit denies, SCPs, RCPs and endpoint policies limit it. " +
			"iam-simulate has no special case for the root user, so it finds no identity-based allow.",
		DocURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
		DocFact: "By default, all requests are implicitly denied, with the exception of the AWS account root " +
			"user, which has full access (\"Alternatively, by default, the AWS account root user has full access\"); " +
			"you cannot attach identity-based policies or a permissions boundary to the root user (IAM User Guide, " +
			"\"Policies and permissions in IAM\", Policies and the root user).",
		Matches: func(d Document, trellis, sim string) bool {
			return trellis == Allow && PrincipalKind(d.Request.Principal) == "root" && sameAccount(d)
		},
		Adjust: func(d Document) (Document, bool) {
			a := d.Clone()
			a.IdentityPolicies = append(a.IdentityPolicies, map[string]any{
				"Version":   "2012-10-17",
				"Statement": []any{map[string]any{"Sid": "RootUserFullAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}},
			})
			return a, true
		},
	},
}

// KnownDifferenceByKind returns the entry of that kind.
func KnownDifferenceByKind(kind string) (KnownDifference, bool) {
	for _, k := range KnownDifferences {
		if k.Kind == kind {
			return k, true
		}
	}
	return KnownDifference{}, false
}

func sameAccount(d Document) bool {
	a := principalAccount(d.Request.Principal)
	return a != "" && a == d.Request.ResourceAccount
}

// partialNotPrincipalDeny reports whether the resource policy has a Deny statement whose
// NotPrincipal lists some, but not all, of the caller's layers.
func partialNotPrincipalDeny(d Document) bool {
	for _, st := range Statements(d.ResourcePolicy) {
		np, ok := st["NotPrincipal"]
		if ok && st["Effect"] == "Deny" && notPrincipalCoverage(np, d.Request.Principal) == npPartial {
			return true
		}
	}
	return false
}

// adjustNotPrincipal removes, from each Deny+NotPrincipal statement that lists only some of
// the caller's layers, the entries that name the caller: as AWS documents it, such a
// statement still applies to the caller, which is what iam-simulate then computes.
func adjustNotPrincipal(d Document) (Document, bool) {
	a := d.Clone()
	layers := principalLayers(d.Request.Principal)
	changed := false
	for _, st := range Statements(a.ResourcePolicy) {
		np, ok := st["NotPrincipal"]
		if !ok || st["Effect"] != "Deny" || notPrincipalCoverage(np, d.Request.Principal) != npPartial {
			continue
		}
		var keep []string
		for _, e := range PrincipalEntries(np) {
			named := false
			for _, l := range layers {
				if contains(l, e) {
					named = true
				}
			}
			if !named {
				keep = append(keep, e)
			}
		}
		if len(keep) == 0 {
			// Nothing unrelated is left: name a principal that is not the caller.
			keep = []string{"AWS:arn:aws:iam::" + acctOutside + ":user/not-the-caller"}
		}
		obj := map[string]any{}
		for _, e := range keep {
			typ, v, _ := strings.Cut(e, ":")
			obj[typ] = append(Strings(obj[typ]), v)
		}
		st["NotPrincipal"] = obj
		changed = true
	}
	return a, changed
}

// sessionArnAllowStatements returns the Allow statements of the resource policy whose
// Principal names the request's session ARN itself.
func sessionArnAllowStatements(d Document) []map[string]any {
	var out []map[string]any
	for _, st := range Statements(d.ResourcePolicy) {
		if st["Effect"] != "Allow" {
			continue
		}
		if contains(PrincipalEntries(st["Principal"]), "AWS:"+d.Request.Principal) {
			out = append(out, st)
		}
	}
	return out
}

// adjustSessionArn adds to the session policy a copy (without Principal) of each resource
// policy statement that allows the session ARN itself. The session policy then allows
// exactly when such a statement applies, so iam-simulate no longer lets the session policy
// cap that grant, and nothing else changes.
func adjustSessionArn(d Document) (Document, bool) {
	sts := sessionArnAllowStatements(d)
	if len(sts) == 0 || d.SessionPolicy == nil {
		return d, false
	}
	a := d.Clone()
	sp, ok := a.SessionPolicy.(map[string]any)
	if !ok {
		return d, false
	}
	var list []any
	for _, st := range Statements(sp) {
		list = append(list, st)
	}
	for i, st := range sts {
		c := map[string]any{"Sid": "FromResourcePolicy" + string(rune('A'+i))}
		for k, v := range st {
			if k != "Principal" && k != "Sid" {
				c[k] = v
			}
		}
		list = append(list, c)
	}
	sp["Statement"] = list
	sp["Version"] = "2012-10-17"
	a.SessionPolicy = sp
	return a, true
}
