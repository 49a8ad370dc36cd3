package iamdiff

import (
	"strconv"
	"strings"
	"time"
)

// KnownDifference is a documented way in which iam-simulate differs from AWS, and so from
// trellis. Each entry cites the AWS documentation page that states how AWS behaves.
type KnownDifference struct {
	Kind        string // short identifier, used in reports
	Description string // what differs
	DocURL      string // the AWS documentation page
	DocFact     string // what that page states

	// Matches recognises the shape of a disagreeing case, given both decisions.
	Matches func(d Document, trellis, sim string) bool

	// Example is a minimal evaluation document that shows the difference, and Expected
	// the decision AWS documents for it (trellis's). Tests check both evaluators on it.
	Example  string
	Expected string

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
		Kind:     "notprincipal-layers",
		Expected: "ExplicitDeny",
		Example: `{
  "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}],
  "resourcePolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::examplebucket/*"}]},
  "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::examplebucket/a.txt", "resourceAccount": "111122223333",
    "context": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice", "aws:PrincipalAccount": "111122223333"}}
}`,
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
		Kind:     "session-policy-session-arn",
		Expected: "Allow",
		Example: `{
  "sessionPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]},
  "resourcePolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:sts::111122223333:assumed-role/Reader/sess-01"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::examplebucket/*"}]},
  "request": {"principal": "arn:aws:sts::111122223333:assumed-role/Reader/sess-01", "action": "s3:GetObject", "resource": "arn:aws:s3:::examplebucket/a.txt", "resourceAccount": "111122223333",
    "context": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Reader", "aws:PrincipalAccount": "111122223333"}}
}`,
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
		Kind:     "root-user",
		Expected: "Allow",
		Example: `{
  "request": {"principal": "arn:aws:iam::111122223333:root", "action": "s3:GetObject", "resource": "arn:aws:s3:::examplebucket/a.txt", "resourceAccount": "111122223333",
    "context": {"aws:PrincipalArn": "arn:aws:iam::111122223333:root", "aws:PrincipalAccount": "111122223333"}}
}`,
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

func init() {
	KnownDifferences = append(KnownDifferences,
		KnownDifference{
			Kind:     "resource-variable-before-separator",
			Expected: "Allow",
			Example: `{
  "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:${aws:username}-queue"}]}],
  "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "sqs:SendMessage", "resource": "arn:aws:sqs:us-east-1:111122223333:alice-queue", "resourceAccount": "111122223333",
    "context": {"aws:username": "alice"}}
}`,
			Description: "A Resource whose resource part starts with a policy variable, before any '/' (such as " +
				"arn:aws:sqs:us-east-1:111122223333:${aws:username}-queue), never matches in iam-simulate: it takes " +
				"the ':' inside the variable name for the end of a resource-type segment, which then differs from " +
				"the request's. trellis substitutes the variable and matches.",
			DocURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-resourceelement",
			DocFact: "You can use a policy variable in the Resource element, in the resource portion of the ARN (after " +
				"the fifth colon); the page's example gives each user access to the queues named after them with " +
				"\"Resource\": \"arn:aws:sqs:us-east-2:*:${aws:username}-queue\".",
			Matches: func(d Document, trellis, sim string) bool {
				return len(variableBeforeSeparator(d)) > 0
			},
			Adjust: adjustResourceVariables,
		},
		KnownDifference{
			Kind:     "arn-condition-variable",
			Expected: "Allow",
			Example: `{
  "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
    "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:user/alice"}}}]}],
  "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::examplebucket/a.txt", "resourceAccount": "111122223333",
    "context": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice", "aws:PrincipalAccount": "111122223333"}}
}`,
			Description: "An Arn* condition value with a policy variable (such as " +
				"arn:aws:iam::${aws:PrincipalAccount}:role/Reader): iam-simulate splits the value into ARN fields " +
				"at every ':' before substituting the variable, so the ':' inside the variable name breaks the " +
				"fields and the value never matches; trellis substitutes the variable and compares.",
			DocURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-conditionelement",
			DocFact: "You can use a policy variable for Condition values in any condition that involves the string " +
				"operators or the ARN operators (ArnEquals, ArnLike, ...).",
			Matches: func(d Document, trellis, sim string) bool {
				return len(arnConditionVariables(d)) > 0
			},
			Adjust: adjustArnConditionVariables,
		},
		KnownDifference{
			Kind:     "escape-in-exact-string-operator",
			Expected: "Allow",
			Example: `{
  "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalTag/team": "a${*}b"}}}]}],
  "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::examplebucket/a.txt", "resourceAccount": "111122223333",
    "context": {"aws:PrincipalTag/team": "a*b"}}
}`,
			Description: "The special variables ${*}, ${?} and ${$} in the value of a StringEquals, StringNotEquals, " +
				"StringEqualsIgnoreCase or StringNotEqualsIgnoreCase condition stand for the characters *, ? and $; " +
				"iam-simulate substitutes them only in operators that take wildcards, and elsewhere compares the " +
				"four characters \"${*}\" literally.",
			DocURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-specialchars",
			DocFact: "The special predefined policy variables ${*}, ${?} and ${$} stand for the *, ? and $ characters and " +
				"can be used in any string where you can use regular policy variables, which includes the values of " +
				"every string condition operator.",
			Matches: func(d Document, trellis, sim string) bool {
				return len(exactStringEscapes(d)) > 0
			},
			Adjust: adjustExactStringEscapes,
		},
		KnownDifference{
			Kind:     "lattice-key-case",
			Expected: "ImplicitDeny",
			Example: `{
  "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*",
    "Condition": {"StringEquals": {"vpc-lattice-svcs:requestmethod": "GET"}}}]}],
  "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "vpc-lattice-svcs:Invoke", "resource": "arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-0123456789abcdef0/orders", "resourceAccount": "111122223333",
    "context": {"vpc-lattice-svcs:RequestMethod": "GET"}}
}`,
			Description: "A vpc-lattice-svcs: condition key written in a different case from the request's key (such " +
				"as vpc-lattice-svcs:requestpath for vpc-lattice-svcs:RequestPath): trellis follows the VPC Lattice " +
				"guide, for which these keys are case-sensitive, and finds the key missing; iam-simulate matches key " +
				"names without case, as the IAM User Guide says of condition keys in general. The two AWS documents " +
				"disagree; trellis follows the VPC Lattice one (docs/iam-differential.md).",
			DocURL: "https://docs.aws.amazon.com/vpc-lattice/latest/ug/auth-policies.html#auth-policies-condition-keys",
			DocFact: "Condition keys that can be used in auth policies: \"Condition keys are case sensitive.\" (The IAM " +
				"User Guide, \"IAM JSON policy elements: Condition\", says context key names are not case-sensitive.)",
			Matches: func(d Document, trellis, sim string) bool {
				return len(latticeKeyCaseVariants(d)) > 0
			},
			Adjust: adjustLatticeKeyCase,
		},
		KnownDifference{
			Kind:     "ifexists-set-operator",
			Expected: "Allow",
			Example: `{
  "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
    "Condition": {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "team"}}}]}],
  "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::examplebucket/a.txt", "resourceAccount": "111122223333",
    "context": {}}
}`,
			Description: "ForAnyValue:...IfExists on a key the request does not have: the IfExists suffix makes the " +
				"condition true, as on any operator but Null; iam-simulate ignores the suffix after a set operator " +
				"and evaluates ForAnyValue on a missing key as false.",
			DocURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists",
			DocFact: "You can add IfExists to the end of any condition operator name except the Null condition; if the " +
				"key is not present in the request context, the condition element evaluates as true.",
			Matches: func(d Document, trellis, sim string) bool {
				return len(missingForAnyValueIfExists(d)) > 0
			},
			Adjust: adjustForAnyValueIfExists,
		},
		KnownDifference{
			Kind:     "ipv4-zero-prefix",
			Expected: "Allow",
			Example: `{
  "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
    "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}]}],
  "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::examplebucket/a.txt", "resourceAccount": "111122223333",
    "context": {"aws:SourceIp": "10.1.2.3"}}
}`,
			Description: "An IPv4 range with prefix length 0 (0.0.0.0/0) contains every IPv4 address; iam-simulate " +
				"computes the mask with a 32-bit shift by 32, which JavaScript reduces to a shift by 0, and so " +
				"matches only the address itself.",
			DocURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress",
			DocFact: "IpAddress matches \"the specified IP address or range\"; the value must be in the standard CIDR " +
				"format (for example, 203.0.113.0/24), in which a /0 prefix is the range of all addresses (RFC 4632, " +
				"section 3.1).",
			Matches: func(d Document, trellis, sim string) bool {
				return hasZeroPrefixV4(d)
			},
			Adjust: adjustZeroPrefix,
		},
		KnownDifference{
			Kind:     "date-epoch-vs-iso",
			Expected: "Allow",
			Example: `{
  "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
    "Condition": {"DateLessThan": {"aws:CurrentTime": "1800000000"}}}]}],
  "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::examplebucket/a.txt", "resourceAccount": "111122223333",
    "context": {"aws:CurrentTime": "2024-06-01T12:00:00Z"}}
}`,
			Description: "A Date condition that compares an epoch (UNIX time) value with an ISO 8601 one: " +
				"iam-simulate reads the epoch number as milliseconds against ISO dates parsed to milliseconds " +
				"since 1970, so it compares seconds with milliseconds; trellis compares the instants.",
			DocURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date",
			DocFact: "Date condition operators compare a key to a date/time value; you must specify date/time values " +
				"with one of the W3C implementations of the ISO 8601 date formats or in epoch (UNIX) time, and either " +
				"form names an instant (epoch time counts seconds since 1970-01-01T00:00:00Z).",
			Matches: func(d Document, trellis, sim string) bool {
				return len(mixedDateConditions(d)) > 0
			},
			Adjust: adjustMixedDates,
		},
	)
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

// allPolicies returns every policy document of d, with a callback-friendly list.
func allPolicies(d Document) []any {
	var out []any
	out = append(out, d.IdentityPolicies...)
	out = append(out, d.EndpointPolicies...)
	out = append(out, d.PermissionsBoundaries...)
	if d.ResourcePolicy != nil {
		out = append(out, d.ResourcePolicy)
	}
	if d.SessionPolicy != nil {
		out = append(out, d.SessionPolicy)
	}
	for _, l := range d.ServiceControlPolicies {
		out = append(out, l.Policies...)
	}
	for _, l := range d.ResourceControlPolicies {
		out = append(out, l.Policies...)
	}
	return out
}

// variableBeforeSeparator returns the Resource and NotResource values whose resource part
// has a policy variable containing ':' before the first '/' (S3 bucket and object ARNs,
// which have no region and account, excepted: iam-simulate treats them apart).
func variableBeforeSeparator(d Document) []string {
	var out []string
	for _, pol := range allPolicies(d) {
		for _, st := range Statements(pol) {
			for _, el := range []string{"Resource", "NotResource"} {
				for _, r := range Strings(st[el]) {
					if resourceVariableBeforeSeparator(r) {
						out = append(out, r)
					}
				}
			}
		}
	}
	return out
}

func resourceVariableBeforeSeparator(r string) bool {
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return false
	}
	if parts[2] == "s3" && parts[3] == "" && parts[4] == "" {
		return false
	}
	rp := parts[5]
	colon := strings.Index(rp, ":")
	slash := strings.Index(rp, "/")
	if colon < 0 || (slash >= 0 && slash < colon) {
		return false
	}
	open := strings.LastIndex(rp[:colon], "${")
	return open >= 0 && !strings.Contains(rp[open:colon], "}")
}

// substituteVariables replaces the policy variables of s with their values from the
// request context (or their defaults), as AWS does; characters that are wildcards are
// written as the escapes ${*} and ${?}. Variables without a value are left alone.
func substituteVariables(s string, ctx map[string]any) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		whole := s[i : i+j+1]
		inner := s[i+2 : i+j]
		s = s[i+j+1:]
		name, def, hasDef := strings.Cut(inner, ", ")
		val := ""
		if v, ok := lookup(ctx, strings.TrimSpace(name)); ok {
			val, _ = v.(string)
		}
		if val == "" && hasDef && len(def) >= 2 && def[0] == '\'' && def[len(def)-1] == '\'' {
			val = def[1 : len(def)-1]
		}
		if val == "" || inner == "*" || inner == "?" || inner == "$" {
			b.WriteString(whole)
			continue
		}
		b.WriteString(strings.NewReplacer("*", "${*}", "?", "${?}", "$", "${$}").Replace(val))
	}
}

// adjustResourceVariables substitutes the variables of those Resource and NotResource
// values. A variable without a value cannot be substituted: in Resource the entry then
// matches nothing, which iam-simulate computes too; a NotResource element with such an
// entry does not apply (iam-simulate's own rule for unresolvable variables, and trellis's),
// so its statement is removed.
func adjustResourceVariables(d Document) (Document, bool) {
	a := d.Clone()
	ctx := d.Request.Context
	changed := false
	adjust := func(pol any) any {
		p, ok := pol.(map[string]any)
		if !ok {
			return pol
		}
		kept := []any{}
		for _, st := range Statements(p) {
			drop := false
			for _, el := range []string{"Resource", "NotResource"} {
				v, ok := st[el]
				if !ok {
					continue
				}
				vals := Strings(v)
				for i, r := range vals {
					if !resourceVariableBeforeSeparator(r) {
						continue
					}
					changed = true
					vals[i] = substituteVariables(r, ctx)
					if el == "NotResource" && hasNamedVariable(vals[i]) {
						drop = true
					}
				}
				st[el] = vals
			}
			if !drop {
				kept = append(kept, st)
			}
		}
		p["Statement"] = kept
		return p
	}
	for i := range a.IdentityPolicies {
		a.IdentityPolicies[i] = adjust(a.IdentityPolicies[i])
	}
	for i := range a.EndpointPolicies {
		a.EndpointPolicies[i] = adjust(a.EndpointPolicies[i])
	}
	for i := range a.PermissionsBoundaries {
		a.PermissionsBoundaries[i] = adjust(a.PermissionsBoundaries[i])
	}
	if a.ResourcePolicy != nil {
		a.ResourcePolicy = adjust(a.ResourcePolicy)
	}
	if a.SessionPolicy != nil {
		a.SessionPolicy = adjust(a.SessionPolicy)
	}
	for _, levels := range [][]OrgLevel{a.ServiceControlPolicies, a.ResourceControlPolicies} {
		for i := range levels {
			for j := range levels[i].Policies {
				levels[i].Policies[j] = adjust(levels[i].Policies[j])
			}
		}
	}
	return a, changed
}

// conditionValues calls f for each condition of each statement of every policy; f may
// replace the value.
func forEachCondition(d Document, f func(op, key string, val any) (any, bool)) bool {
	changed := false
	for _, pol := range allPolicies(d) {
		for _, st := range Statements(pol) {
			cond, _ := st["Condition"].(map[string]any)
			for op, kv := range cond {
				m, _ := kv.(map[string]any)
				for key, val := range m {
					if nv, ok := f(op, key, val); ok {
						m[key] = nv
						changed = true
					}
				}
			}
		}
	}
	return changed
}

func isIPOperator(op string) bool {
	base := strings.TrimSuffix(op[strings.Index(op, ":")+1:], "IfExists")
	return base == "IpAddress" || base == "NotIpAddress"
}

func isZeroPrefixV4(v string) bool {
	return strings.HasSuffix(v, "/0") && !strings.Contains(v, ":")
}

func hasZeroPrefixV4(d Document) bool {
	found := false
	forEachCondition(d, func(op, key string, val any) (any, bool) {
		if isIPOperator(op) {
			for _, v := range Strings(val) {
				if isZeroPrefixV4(v) {
					found = true
				}
			}
		}
		return nil, false
	})
	return found
}

// adjustZeroPrefix writes each IPv4 /0 range as its two /1 halves, the same addresses.
func adjustZeroPrefix(d Document) (Document, bool) {
	a := d.Clone()
	changed := forEachCondition(a, func(op, key string, val any) (any, bool) {
		if !isIPOperator(op) {
			return nil, false
		}
		var out []string
		hit := false
		for _, v := range Strings(val) {
			if isZeroPrefixV4(v) {
				out = append(out, "0.0.0.0/1", "128.0.0.0/1")
				hit = true
			} else {
				out = append(out, v)
			}
		}
		return out, hit
	})
	return a, changed
}

func isDateOperator(op string) bool {
	return strings.HasPrefix(op[strings.Index(op, ":")+1:], "Date")
}

func isEpoch(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// mixedDateConditions returns the Date conditions whose values are not in the same form
// (epoch or ISO 8601) as the request's value for their key.
func mixedDateConditions(d Document) []string {
	var out []string
	forEachCondition(d, func(op, key string, val any) (any, bool) {
		if !isDateOperator(op) {
			return nil, false
		}
		rv, ok := lookup(d.Request.Context, key)
		rs, _ := rv.(string)
		if !ok || rs == "" {
			return nil, false
		}
		for _, v := range Strings(val) {
			if isEpoch(v) != isEpoch(rs) {
				out = append(out, op+" "+key+" "+v)
			}
		}
		return nil, false
	})
	return out
}

// adjustMixedDates writes each Date condition value in the form of the request's value.
func adjustMixedDates(d Document) (Document, bool) {
	a := d.Clone()
	changed := forEachCondition(a, func(op, key string, val any) (any, bool) {
		if !isDateOperator(op) {
			return nil, false
		}
		rv, _ := lookup(d.Request.Context, key)
		rs, _ := rv.(string)
		if rs == "" {
			return nil, false
		}
		var out []string
		hit := false
		for _, v := range Strings(val) {
			if isEpoch(v) == isEpoch(rs) {
				out = append(out, v)
				continue
			}
			t, ok := parseInstant(v)
			if !ok {
				out = append(out, v)
				continue
			}
			hit = true
			if isEpoch(rs) {
				out = append(out, strconv.FormatInt(t.Unix(), 10))
			} else {
				out = append(out, t.UTC().Format(time.RFC3339))
			}
		}
		return out, hit
	})
	return a, changed
}

func parseInstant(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// latticeKeyCaseVariants returns the vpc-lattice-svcs: condition keys of d that are not
// spelled exactly as a key of the request context but equal one without case.
func latticeKeyCaseVariants(d Document) []string {
	var out []string
	forEachCondition(d, func(op, key string, val any) (any, bool) {
		if latticeCaseVariant(key, d.Request.Context) {
			out = append(out, key)
		}
		return nil, false
	})
	return out
}

func latticeCaseVariant(key string, ctx map[string]any) bool {
	if !strings.HasPrefix(strings.ToLower(key), "vpc-lattice-svcs:") {
		return false
	}
	if _, exact := ctx[key]; exact {
		return false
	}
	_, folded := lookup(ctx, key)
	return folded
}

// adjustLatticeKeyCase renames each such key to one the request does not have, which is
// what a case-sensitive lookup sees.
func adjustLatticeKeyCase(d Document) (Document, bool) {
	a := d.Clone()
	changed := false
	for _, pol := range allPolicies(a) {
		for _, st := range Statements(pol) {
			cond, _ := st["Condition"].(map[string]any)
			for _, kv := range cond {
				m, _ := kv.(map[string]any)
				for key, val := range m {
					if latticeCaseVariant(key, d.Request.Context) {
						delete(m, key)
						m["vpc-lattice-svcs:RequestHeader/x-absent-"+strings.ToLower(strings.ReplaceAll(key, "/", "-"))] = val
						changed = true
					}
				}
			}
		}
	}
	return a, changed
}

func isForAnyValueIfExists(op string) bool {
	return strings.HasPrefix(strings.ToLower(op), "foranyvalue:") && strings.HasSuffix(op, "IfExists")
}

// missingForAnyValueIfExists returns the ForAnyValue:...IfExists conditions on keys the
// request does not have.
func missingForAnyValueIfExists(d Document) []string {
	var out []string
	forEachCondition(d, func(op, key string, val any) (any, bool) {
		if _, ok := lookup(d.Request.Context, key); !ok && isForAnyValueIfExists(op) {
			out = append(out, op+" "+key)
		}
		return nil, false
	})
	return out
}

// adjustForAnyValueIfExists removes those conditions: they hold.
func adjustForAnyValueIfExists(d Document) (Document, bool) {
	a := d.Clone()
	changed := false
	for _, pol := range allPolicies(a) {
		for _, st := range Statements(pol) {
			cond, _ := st["Condition"].(map[string]any)
			for op, kv := range cond {
				if !isForAnyValueIfExists(op) {
					continue
				}
				m, _ := kv.(map[string]any)
				for key := range m {
					if _, ok := lookup(d.Request.Context, key); !ok {
						delete(m, key)
						changed = true
					}
				}
				if len(m) == 0 {
					delete(cond, op)
				}
			}
			if cond != nil && len(cond) == 0 {
				delete(st, "Condition")
			}
		}
	}
	return a, changed
}

func isArnOperator(op string) bool {
	return strings.HasPrefix(op[strings.Index(op, ":")+1:], "Arn")
}

// hasNamedVariable reports whether s has a policy variable other than the escapes.
func hasNamedVariable(s string) bool {
	return strings.Contains(strings.NewReplacer("${*}", "", "${?}", "", "${$}", "").Replace(s), "${")
}

// arnConditionVariables returns the Arn* condition values that use a policy variable.
func arnConditionVariables(d Document) []string {
	var out []string
	forEachCondition(d, func(op, key string, val any) (any, bool) {
		if isArnOperator(op) {
			for _, v := range Strings(val) {
				if hasNamedVariable(v) {
					out = append(out, v)
				}
			}
		}
		return nil, false
	})
	return out
}

// adjustArnConditionVariables substitutes the variables of Arn* condition values.
func adjustArnConditionVariables(d Document) (Document, bool) {
	a := d.Clone()
	changed := forEachCondition(a, func(op, key string, val any) (any, bool) {
		if !isArnOperator(op) {
			return nil, false
		}
		vals := Strings(val)
		hit := false
		for i, v := range vals {
			if hasNamedVariable(v) {
				vals[i] = substituteVariables(v, d.Request.Context)
				hit = true
			}
		}
		return vals, hit
	})
	return a, changed
}

// isExactStringOperator reports whether op is a string operator without wildcards:
// String(Not)Equals(IgnoreCase), possibly with a set operator or IfExists.
func isExactStringOperator(op string) bool {
	base := strings.TrimSuffix(op[strings.Index(op, ":")+1:], "IfExists")
	return strings.HasPrefix(base, "String") && !strings.HasSuffix(base, "Like")
}

var escapes = strings.NewReplacer("${*}", "*", "${?}", "?", "${$}", "$")

func exactStringEscapes(d Document) []string {
	var out []string
	forEachCondition(d, func(op, key string, val any) (any, bool) {
		if isExactStringOperator(op) {
			for _, v := range Strings(val) {
				if escapes.Replace(v) != v {
					out = append(out, v)
				}
			}
		}
		return nil, false
	})
	return out
}

// adjustExactStringEscapes writes those escapes as the characters they stand for, which
// operators without wildcards compare literally.
func adjustExactStringEscapes(d Document) (Document, bool) {
	a := d.Clone()
	changed := forEachCondition(a, func(op, key string, val any) (any, bool) {
		if !isExactStringOperator(op) {
			return nil, false
		}
		vals := Strings(val)
		hit := false
		for i, v := range vals {
			if r := escapes.Replace(v); r != v {
				vals[i] = r
				hit = true
			}
		}
		return vals, hit
	})
	return a, changed
}
