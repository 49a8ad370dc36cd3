package iamdiff

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Case is one generated evaluation document.
type Case struct {
	Seed  uint64   // generator seed
	Index int      // index of the case for that seed
	Tags  []string // features the case exercises (sorted, see Features)
	Doc   Document
}

// Name identifies the case: "seed/index".
func (c *Case) Name() string { return fmt.Sprintf("%d/%d", c.Seed, c.Index) }

// HasTag reports whether the case carries the tag.
func (c *Case) HasTag(tag string) bool {
	i := sort.SearchStrings(c.Tags, tag)
	return i < len(c.Tags) && c.Tags[i] == tag
}

// Generate returns n cases for the seed: cases 0 to n-1.
func Generate(seed uint64, n int) []Case {
	out := make([]Case, n)
	for i := range out {
		out[i] = GenerateCase(seed, i)
	}
	return out
}

// GenerateCase returns case i of the seed. It does not depend on any other case.
func GenerateCase(seed uint64, i int) Case {
	g := &gen{
		r: rand.New(rand.NewPCG(seed, uint64(i)*0x9E3779B97F4A7C15+0x632BE59BD9B4E019)),
	}
	doc := g.document()
	return Case{Seed: seed, Index: i, Tags: Features(doc), Doc: doc}
}

// principal is the caller of a generated request.
type principal struct {
	kind    string // user, role, session, root, anonymous, service
	value   string // request principal: ARN, "anonymous" or service name
	account string
	name    string // user or role name
	path    string // user or role path
	roleARN string // sessions and roles
	session string
	service string
}

func (p principal) iam() bool { return p.kind != "anonymous" && p.kind != "service" }

type gen struct {
	r *rand.Rand

	t        target
	action   string
	region   string
	resAcct  string
	prefix   string // ARN up to and including the fifth colon
	product  string // resource-type segment, kept literal in patterns
	id       string // rest of the resource
	resource string
	p        principal
	ctx      map[string]any
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) intn(n int) int { return g.r.IntN(n) }

func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

// document builds one evaluation document.
func (g *gen) document() Document {
	g.pickTarget()
	g.pickPrincipal()
	g.buildContext()

	d := Document{Request: Request{
		Principal:       g.p.value,
		Action:          g.action,
		Resource:        g.resource,
		ResourceAccount: g.resAcct,
		Context:         g.ctx,
	}}
	cross := g.p.account != "" && g.p.account != g.resAcct

	if g.p.iam() {
		pIdentity := 0.9
		if g.p.kind == "root" {
			pIdentity = 0 // the root user cannot have identity policies
		}
		if g.chance(pIdentity) {
			n := 1 + g.intn(2)
			for i := 0; i < n; i++ {
				d.IdentityPolicies = append(d.IdentityPolicies, g.identityPolicy(0.8))
			}
		}
		if g.p.kind != "root" && g.chance(0.22) {
			d.PermissionsBoundaries = []any{g.identityPolicy(0.85)}
		}
		if g.p.kind == "session" && g.chance(0.35) {
			d.SessionPolicy = g.identityPolicy(0.85)
		}
		if g.p.account != acctOutside && g.chance(0.3) {
			d.ServiceControlPolicies = g.scps()
		}
	}
	pResource := 0.45
	if cross || !g.p.iam() || g.p.kind == "root" {
		pResource = 0.85
	}
	if g.chance(pResource) {
		d.ResourcePolicy = g.resourcePolicy()
	}
	if g.p.kind != "service" && g.chance(0.22) {
		n := 1
		if g.chance(0.2) {
			n = 2
		}
		for i := 0; i < n; i++ {
			d.EndpointPolicies = append(d.EndpointPolicies, g.endpointPolicy())
		}
	}
	if g.t.rcp && g.chance(0.15) {
		d.ResourceControlPolicies = g.rcps()
	}
	return d
}

func (g *gen) pickTarget() {
	total := 0
	for _, t := range targets {
		total += t.weight
	}
	n := g.intn(total)
	for _, t := range targets {
		if n < t.weight {
			g.t = t
			break
		}
		n -= t.weight
	}
	g.action = pick(g, g.t.actions)
	g.region = pick(g, regions)
	g.resAcct = acctHome
	if g.chance(0.15) {
		g.resAcct = acctOther
	}
}

func (g *gen) pickPrincipal() {
	kinds := []string{"user", "user", "user", "session", "session", "session", "session", "role", "anonymous", "service", "service"}
	kind := pick(g, kinds)
	if g.chance(0.02) {
		kind = "root"
	}
	account := g.resAcct
	if kind != "root" && g.chance(0.35) {
		others := []string{acctHome, acctOther, acctOutside}
		for account == g.resAcct {
			account = pick(g, others)
		}
	}
	p := principal{kind: kind, account: account}
	switch kind {
	case "user":
		u := pick(g, users)
		p.name, p.path = u.name, u.path
		p.value = "arn:aws:iam::" + account + ":user/" + u.path + u.name
	case "role", "session":
		r := pick(g, roles)
		p.name, p.path = r.name, r.path
		p.roleARN = "arn:aws:iam::" + account + ":role/" + r.path + r.name
		p.value = p.roleARN
		if kind == "session" {
			p.session = pick(g, sessionNames)
			p.value = "arn:aws:sts::" + account + ":assumed-role/" + r.name + "/" + p.session
		}
	case "root":
		p.value = "arn:aws:iam::" + account + ":root"
	case "anonymous":
		p.account = ""
		p.value = Anonymous
	case "service":
		p.account = ""
		p.service = pick(g, servicesPr)
		p.value = p.service
	}
	g.p = p
	g.buildResource()
}

// ownerName is a name that resources and tags of the caller may contain.
func (g *gen) ownerName() string {
	switch g.p.kind {
	case "user":
		return g.p.name
	case "session":
		if g.p.session == "alice" {
			return "alice"
		}
	}
	return pick(g, []string{"alice", "bob"})
}

func (g *gen) buildResource() {
	owner := g.ownerName()
	if g.t.regional {
		g.prefix = "arn:aws:" + g.t.arnService + ":" + g.region + ":" + g.resAcct + ":"
	} else {
		g.prefix = "arn:aws:" + g.t.arnService + ":::"
	}
	switch g.t.service {
	case "s3":
		bucket := pick(g, []string{"examplebucket", "logs-bucket"})
		if g.action == "s3:ListBucket" {
			g.id = bucket
		} else {
			key := pick(g, []string{"reports/2024/q1.csv", owner + "/notes.txt", "payments/data.json", "public/what?.txt", "price$list/a.txt", "Docs/Readme.md"})
			g.id = bucket + "/" + key
		}
	case "execute-api":
		g.product = "a1b2c3d4e5/"
		g.id = pick(g, []string{"prod", "dev"}) + "/" + pick(g, []string{"GET", "POST", "DELETE"}) + "/" +
			pick(g, []string{"pets", "pets/42", owner + "/profile"})
	case "vpc-lattice-svcs":
		g.product = "service/"
		g.id = "svc-0123456789abcdef0/" + pick(g, []string{"orders", "orders/123", owner + "/cart"})
	case "sqs":
		g.id = pick(g, []string{"orders-queue", owner + "-queue"})
	case "dynamodb":
		g.product = "table/"
		g.id = pick(g, []string{"Orders", owner + "-data"})
	case "sns":
		g.id = pick(g, []string{"alerts-topic", owner + "-topic"})
	case "lambda":
		g.product = "function:"
		g.id = pick(g, []string{"process-orders", owner + "-fn"})
	}
	g.resource = g.prefix + g.product + g.id
}

// buildContext sets the keys AWS derives from the principal and the resource, and a random
// selection of the other keys the action supports.
func (g *gen) buildContext() {
	c := map[string]any{}
	p := g.p
	switch p.kind {
	case "user":
		c["aws:PrincipalArn"] = p.value
		c["aws:PrincipalType"] = "User"
		c["aws:username"] = p.name
	case "session":
		c["aws:PrincipalArn"] = p.roleARN
		c["aws:PrincipalType"] = "AssumedRole"
	case "role":
		c["aws:PrincipalArn"] = p.roleARN
	case "root":
		c["aws:PrincipalArn"] = p.value
		c["aws:PrincipalType"] = "Account"
	case "service":
		c["aws:PrincipalIsAWSService"] = "true"
		c["aws:PrincipalServiceName"] = p.service
	case "anonymous":
		c["aws:PrincipalType"] = "Anonymous"
	}
	if p.iam() {
		c["aws:PrincipalAccount"] = p.account
		c["aws:PrincipalIsAWSService"] = "false"
		if _, ok := accountOU[p.account]; ok {
			c["aws:PrincipalOrgID"] = orgID
			c["aws:PrincipalOrgPaths"] = []string{orgPath(p.account)}
		}
	}
	c["aws:ResourceAccount"] = g.resAcct

	for _, k := range optionalKeys {
		if !k.validFor(g.action, p.kind) {
			continue
		}
		pr := 0.3
		if len(k.actions) > 0 {
			pr = 0.5
		}
		if !g.chance(pr) {
			continue
		}
		c[k.name] = g.requestValue(k)
	}
	// Tags that name the caller make policy variables resolve to resource parts.
	if v, ok := c["aws:PrincipalTag/owner"]; ok && g.chance(0.6) && v != nil {
		c["aws:PrincipalTag/owner"] = g.ownerName()
	}
	g.ctx = c
}

func (g *gen) requestValue(k keyDef) any {
	if k.multi {
		n := g.intn(len(k.pool) + 1)
		if g.chance(0.15) {
			n = 0
		}
		perm := g.r.Perm(len(k.pool))
		vals := make([]string, 0, n)
		for _, i := range perm[:n] {
			vals = append(vals, k.pool[i])
		}
		if n == 0 {
		}
		return vals
	}
	return pick(g, k.pool)
}

// ---- policies ----

func policy(statements []any, g *gen) map[string]any {
	p := map[string]any{}
	usesVars := strings.Contains(fmt.Sprint(statements), "${")
	if usesVars || !g.chance(0.05) {
		p["Version"] = "2012-10-17"
	}
	// Statement IDs must be unique within a policy.
	for i, st := range statements {
		if m, ok := st.(map[string]any); ok {
			if _, has := m["Sid"]; has {
				m["Sid"] = fmt.Sprintf("S%d", i)
			}
		}
	}
	if len(statements) == 1 && g.chance(0.3) {
		p["Statement"] = statements[0]
	} else {
		p["Statement"] = statements
	}
	return p
}

// identityPolicy builds an identity policy, permissions boundary or session policy: one or
// more statements, the first an Allow that matches the request with probability pMatch.
func (g *gen) identityPolicy(pMatch float64) map[string]any {
	n := 1 + g.intn(3)
	sts := make([]any, 0, n)
	for i := 0; i < n; i++ {
		effect := "Allow"
		pm := pMatch
		if i > 0 {
			pm = 0.5
			if g.chance(0.35) {
				effect = "Deny"
				pm = 0.45
			}
		}
		st := g.statement(effect, pm, true)
		sts = append(sts, st)
	}
	return policy(sts, g)
}

// statement builds the Effect, Action/NotAction, Resource/NotResource and Condition
// elements of a statement.
func (g *gen) statement(effect string, pMatch float64, allowNotResource bool) map[string]any {
	st := map[string]any{"Effect": effect}
	if g.chance(0.2) {
		st["Sid"] = fmt.Sprintf("S%d", g.intn(100))
	}
	want := g.chance(pMatch)
	if g.chance(0.1) {
		st["NotAction"] = g.actionElement(!want)
	} else {
		st["Action"] = g.actionElement(want)
	}
	want = g.chance(pMatch + (1-pMatch)/2)
	if allowNotResource && g.chance(0.1) {
		st["NotResource"] = g.resourceElement(!want)
	} else {
		st["Resource"] = g.resourceElement(want)
	}
	if g.chance(0.5) {
		pc := 0.75
		if effect == "Deny" {
			pc = 0.5
		}
		if c := g.conditionBlock(1+g.intn(3), pc); len(c) > 0 {
			st["Condition"] = c
		}
	}
	return st
}

// ---- actions ----

func (g *gen) actionElement(match bool) any {
	n := 1
	if g.chance(0.3) {
		n = 2 + g.intn(2)
	}
	vals := make([]string, n)
	hit := g.intn(n)
	for i := range vals {
		vals[i] = g.actionPattern(match && i == hit)
	}
	if n == 1 && g.chance(0.7) {
		return vals[0]
	}
	return vals
}

func (g *gen) actionPattern(match bool) string {
	svc, name, _ := strings.Cut(g.action, ":")
	for tries := 0; tries < 20; tries++ {
		var s string
		if match {
			switch g.intn(9) {
			case 0, 1:
				s = g.action
			case 2:
				s = strings.ToLower(g.action)
			case 3:
				// The service prefix is case-insensitive too; kept rare.
				s = g.action
				if g.chance(0.2) {
					s = strings.ToUpper(svc) + ":" + name
				}
			case 4:
				s = svc + ":*"
			case 5:
				s = "*"
			case 6:
				s = svc + ":" + name[:1+g.intn(len(name)-1)] + "*"
			case 7:
				s = svc + ":*" + name[1+g.intn(len(name)-1):]
			case 8:
				i := g.intn(len(name))
				s = svc + ":" + name[:i] + "?" + name[i+1:]
			}
		} else {
			switch g.intn(6) {
			case 0, 1:
				s = pick(g, g.t.nearMiss)
			case 2:
				nm := pick(g, g.t.nearMiss)
				_, n2, _ := strings.Cut(nm, ":")
				s = svc + ":" + n2[:1+g.intn(len(n2)-1)] + "*"
			case 3:
				s = g.action + "s"
			case 4:
				other := pick(g, targets)
				s = other.actions[0]
			case 5:
				s = svc + ":" + name + "?"
			}
		}
		if strings.ContainsAny(s, "*?") {
		}
		if globMatch(strings.ToLower(s), strings.ToLower(g.action)) == match || s == "*" && match {
			return s
		}
	}
	if match {
		return g.action
	}
	return pick(g, g.t.nearMiss)
}

// ---- resources ----

func (g *gen) resourceElement(match bool) any {
	n := 1
	if g.chance(0.25) {
		n = 2
	}
	vals := make([]string, n)
	hit := g.intn(n)
	for i := range vals {
		vals[i] = g.resourcePattern(match && i == hit)
	}
	if n == 1 && g.chance(0.7) {
		return vals[0]
	}
	return vals
}

// resourcePattern returns a Resource value that matches the request resource (or does not).
// Wildcards are never put in the resource-type segment (g.product): iam-simulate requires
// it literal.
func (g *gen) resourcePattern(match bool) string {
	for tries := 0; tries < 30; tries++ {
		var s string
		if match {
			switch g.intn(10) {
			case 0, 1:
				s = g.resource
			case 2:
				s = "*"
			case 3, 4:
				s = g.prefix + g.product + g.idWildcard()
			case 5:
				if !g.t.regional {
					continue
				}
				s = g.wildPrefix() + g.product + pick(g, []string{g.id, g.idWildcard()})
			case 6, 7:
				v, ok := g.idWithVariables(g.id)
				if !ok {
					continue
				}
				s = g.prefix + g.product + v
			case 8:
				id := g.id
				if !strings.ContainsAny(id, "?$") {
					continue
				}
				id = strings.ReplaceAll(id, "$", "${$}")
				id = strings.ReplaceAll(id, "?", "${?}")
				s = g.prefix + g.product + id
			case 9:
				s = g.prefix + g.product + "*"
			}
		} else {
			switch g.intn(7) {
			case 0:
				s = g.prefix + g.product + mutateChar(g, g.id)
			case 1:
				s = g.prefix + g.product + flipCase(g.id)
			case 2:
				if i := strings.LastIndex(g.id, "/"); i > 0 {
					s = g.prefix + g.product + g.id[:i]
				} else {
					s = g.prefix + g.product + g.id + "/x"
				}
			case 3:
				if !g.t.regional {
					s = "arn:aws:s3:::other-bucket/*"
					break
				}
				s = strings.Replace(g.prefix, g.resAcct, acctOutside, 1) + g.product + "*"
			case 4:
				s = "arn:aws:sqs:" + g.region + ":" + g.resAcct + ":other-queue"
			case 5:
				v, ok := g.idWithVariables(g.id)
				if !ok || !strings.Contains(v, "${") {
					continue
				}
				// A variable whose value differs from the resource part.
				s = g.prefix + g.product + strings.Replace(v, "${aws:username}", "${aws:PrincipalTag/cost-center}", 1)
			case 6:
				s = g.prefix + g.product + g.idWildcard() + "x"
			}
		}
		if s == "" {
			continue
		}
		if strings.ContainsAny(strings.ReplaceAll(strings.ReplaceAll(s, "${?}", ""), "${*}", ""), "*?") {
		}
		if r, ok := resolveVars(s, g.ctx); ok && globMatch(r, g.resource) == match {
			return s
		} else if !ok && !match {
			return s
		}
	}
	if match {
		return g.resource
	}
	return "arn:aws:sqs:" + g.region + ":" + g.resAcct + ":other-queue"
}

func (g *gen) idWildcard() string {
	id := g.id
	switch g.intn(4) {
	case 0:
		if i := strings.Index(id, "/"); i >= 0 {
			return id[:i+1] + "*"
		}
		return id[:len(id)/2] + "*"
	case 1:
		if len(id) == 0 {
			return "*"
		}
		i := g.intn(len(id))
		return id[:i] + "?" + id[i+1:]
	case 2:
		if len(id) < 3 {
			return "*"
		}
		i := 1 + g.intn(len(id)-2)
		j := i + g.intn(len(id)-i)
		return id[:i] + "*" + id[j:]
	default:
		return "*"
	}
}

func (g *gen) wildPrefix() string {
	region := pick(g, []string{g.region, "*", g.region[:len(g.region)-1] + "?", "*-" + strings.SplitN(g.region, "-", 2)[1]})
	acct := pick(g, []string{g.resAcct, "*"})
	return "arn:aws:" + g.t.arnService + ":" + region + ":" + acct + ":"
}

// varSources are the single-valued keys whose values may be substituted by variables.
var varSources = []string{"aws:username", "aws:PrincipalTag/owner", "aws:PrincipalTag/team", "aws:PrincipalAccount", "aws:SourceVpc", "aws:ResourceAccount", "aws:PrincipalTag/cost-center"}

// idWithVariables replaces a part of s equal to the value of a context key with a policy
// variable for that key (sometimes with a default value, sometimes through a key that is
// missing and whose default supplies the value).
func (g *gen) idWithVariables(s string) (string, bool) {
	type cand struct{ key, val string }
	var cands []cand
	for _, k := range varSources {
		if v, ok := g.ctx[k].(string); ok && len(v) >= 3 && strings.Contains(s, v) {
			cands = append(cands, cand{k, v})
		}
	}
	if len(cands) == 0 {
		// A missing key with a default value that supplies the part.
		for _, v := range []string{"alice", "bob", "payments", "orders"} {
			if strings.Contains(s, v) {
				return strings.Replace(s, v, "${aws:PrincipalTag/absent, '"+v+"'}", 1), true
			}
		}
		return "", false
	}
	c := pick(g, cands)
	key := c.key
	if g.chance(0.15) {
		key = strings.ToLower(key)
	}
	var v string
	switch g.intn(5) {
	case 0:
		v = "${" + key + ", 'zzz'}"
	default:
		v = "${" + key + "}"
	}
	return strings.Replace(s, c.val, v, 1), true
}

// ---- principals ----

// principalElement returns a Principal element that names the caller (or not).
func (g *gen) principalElement(match bool) any {
	var hits, misses []string
	p := g.p
	if p.iam() {
		hits = append(hits, "AWS:"+p.value)
		if p.kind == "session" {
			hits = append(hits, "AWS:"+p.roleARN)
		}
		// Account principals match only at the account level; on their own they grant
		// nothing in the same account, but count as "naming" the caller here.
		hits = append(hits, "AWS:"+p.account, "AWS:arn:aws:iam::"+p.account+":root")
		for _, a := range []string{acctHome, acctOther, acctOutside} {
			if a != p.account {
				misses = append(misses, "AWS:"+a, "AWS:arn:aws:iam::"+a+":user/alice", "AWS:arn:aws:iam::"+a+":role/Reader")
			}
		}
		misses = append(misses, "AWS:arn:aws:iam::"+p.account+":user/dave", "AWS:arn:aws:iam::"+p.account+":role/Other",
			"AWS:arn:aws:sts::"+p.account+":assumed-role/"+firstNonEmpty(p.name, "Reader")+"/other-session", "Service:lambda.amazonaws.com")
		if p.kind == "session" {
			misses = append(misses, "AWS:arn:aws:sts::"+p.account+":assumed-role/"+p.name+"/other-session")
		}
	} else if p.kind == "service" {
		hits = append(hits, "Service:"+p.service)
		for _, s := range servicesPr {
			if s != p.service {
				misses = append(misses, "Service:"+s)
			}
		}
		misses = append(misses, "AWS:"+acctHome)
	} else {
		misses = append(misses, "AWS:"+acctHome, "AWS:arn:aws:iam::"+acctHome+":user/alice", "Service:lambda.amazonaws.com")
	}
	if match && (len(hits) == 0 || g.chance(0.35)) {
		if g.chance(0.5) {
			return "*"
		}
		return map[string]any{"AWS": "*"}
	}
	var entries []string
	if match {
		entries = append(entries, pick(g, hits))
	}
	if !match || g.chance(0.4) {
		entries = append(entries, pick(g, misses))
	}
	return principalObject(g, entries)
}

func principalObject(g *gen, entries []string) any {
	byType := map[string][]string{}
	var order []string
	for _, e := range entries {
		typ, v, _ := strings.Cut(e, ":")
		if _, ok := byType[typ]; !ok {
			order = append(order, typ)
		}
		if !contains(byType[typ], v) {
			byType[typ] = append(byType[typ], v)
		}
	}
	obj := map[string]any{}
	for _, typ := range order {
		vs := byType[typ]
		if len(vs) == 1 && g.chance(0.6) {
			obj[typ] = vs[0]
		} else {
			obj[typ] = vs
		}
	}
	return obj
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// notPrincipalElement returns a NotPrincipal element that lists some of the caller's
// layers (account, role, session or user) and some unrelated principals.
func (g *gen) notPrincipalElement() any {
	layers := principalLayers(g.p.value)
	var entries []string
	listed := 0
	for _, l := range layers {
		if g.chance(0.6) {
			entries = append(entries, pick(g, l))
			listed++
		}
	}
	if listed > 0 && listed < len(layers) {
	} else if listed > 0 {
	}
	if len(entries) == 0 || g.chance(0.4) {
		entries = append(entries, pick(g, []string{"AWS:arn:aws:iam::" + acctOutside + ":root", "AWS:arn:aws:iam::" + acctHome + ":user/dave", "Service:cloudtrail.amazonaws.com"}))
	}
	return principalObject(g, entries)
}

func (g *gen) resourcePolicy() map[string]any {
	n := 1 + g.intn(3)
	sts := make([]any, 0, n)
	for i := 0; i < n; i++ {
		effect := "Allow"
		pm := 0.75
		if i > 0 && g.chance(0.4) {
			effect = "Deny"
			pm = 0.45
		}
		st := g.statement(effect, pm, true)
		if effect == "Deny" && g.chance(0.3) {
			st["NotPrincipal"] = g.notPrincipalElement()
		} else {
			st["Principal"] = g.principalElement(g.chance(pm + 0.1))
		}
		sts = append(sts, st)
	}
	return policy(sts, g)
}

// endpointPolicy builds a VPC endpoint policy. Most name every principal ("*"), the only
// form iam-simulate accepts; some name principals, which interface endpoint policies may
// do; those cases are tagged "endpoint-principal" and compared after the runner resolves
// the principals (see simulatorView).
func (g *gen) endpointPolicy() map[string]any {
	n := 1 + g.intn(2)
	sts := make([]any, 0, n)
	for i := 0; i < n; i++ {
		effect := "Allow"
		pm := 0.8
		if i > 0 && g.chance(0.35) {
			effect = "Deny"
			pm = 0.4
		}
		st := g.statement(effect, pm, true)
		if g.chance(0.12) {
			st["Principal"] = g.principalElement(g.chance(0.7))
			if st["Principal"] != "*" {
			}
		} else {
			st["Principal"] = "*"
		}
		sts = append(sts, st)
	}
	return policy(sts, g)
}

var fullAWSAccess = map[string]any{
	"Version":   "2012-10-17",
	"Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}},
}

// RCPFullAWSAccess is the AWS-managed resource control policy attached to every root, OU
// and account; it cannot be detached. The runner drops it (iam-simulate adds it itself).
var rcpFullAWSAccess = map[string]any{
	"Version":   "2012-10-17",
	"Statement": []any{map[string]any{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}},
}

// orgTargets returns the organization levels above an account, root first.
func orgTargets(account string) []string {
	ou, ok := accountOU[account]
	if !ok {
		return nil
	}
	return []string{orgRoot, ou, account}
}

func (g *gen) scps() []OrgLevel {
	var levels []OrgLevel
	for _, target := range orgTargets(g.p.account) {
		var pols []any
		if g.chance(0.85) {
			pols = append(pols, fullAWSAccess)
		} else {
			pols = append(pols, policy([]any{g.statement("Allow", 0.8, false)}, g))
		}
		if g.chance(0.25) {
			pols = append(pols, policy([]any{g.statement("Deny", 0.45, false)}, g))
		}
		levels = append(levels, OrgLevel{Target: target, Policies: pols})
	}
	return levels
}

func (g *gen) rcps() []OrgLevel {
	var levels []OrgLevel
	for _, target := range orgTargets(g.resAcct) {
		pols := []any{rcpFullAWSAccess}
		if g.chance(0.5) {
			st := g.statement("Deny", 0.5, false)
			// RCPs take neither NotAction nor the action "*".
			delete(st, "NotAction")
			var acts []string
			for _, a := range Strings(st["Action"]) {
				if a != "*" {
					acts = append(acts, a)
				}
			}
			if len(acts) == 0 {
				acts = []string{g.t.service + ":*"}
			}
			st["Action"] = acts
			st["Principal"] = "*"
			pol := policy([]any{st}, g)
			pol["Version"] = "2012-10-17" // required in RCPs
			pols = append(pols, pol)
		}
		levels = append(levels, OrgLevel{Target: target, Policies: pols})
	}
	return levels
}

// ---- conditions ----

// conditionBlock builds a Condition element with n conditions; each holds with
// probability about pTrue (as far as the generator can tell).
func (g *gen) conditionBlock(n int, pTrue float64) map[string]any {
	block := map[string]any{}
	for i := 0; i < n; i++ {
		op, key, val, ok := g.condition(g.chance(pTrue))
		if !ok {
			continue
		}
		m, _ := block[op].(map[string]any)
		if m == nil {
			m = map[string]any{}
			block[op] = m
		}
		// Condition key names are case-insensitive: one key per operator.
		dup := false
		for k := range m {
			if strings.EqualFold(k, key) {
				dup = true
			}
		}
		if dup {
			continue
		}
		m[key] = val
	}
	return block
}

// condKey picks the key of a condition: usually one the request carries.
func (g *gen) condKey() keyDef {
	var present, absent []keyDef
	for _, list := range [][]keyDef{optionalKeys, derivedKeys} {
		for _, k := range list {
			if k.actions != nil && !contains(k.actions, g.action) {
				continue
			}
			if k.noS3 && g.t.service == "s3" {
				continue
			}
			if _, ok := g.ctx[k.name]; ok {
				present = append(present, k)
			} else {
				absent = append(absent, k)
			}
		}
	}
	if len(present) > 0 && g.chance(0.75) {
		return pick(g, present)
	}
	return pick(g, absent)
}

func (g *gen) condition(want bool) (op, key string, val any, ok bool) {
	k := g.condKey()
	key = k.name
	if g.chance(0.08) {
		key = strings.ToLower(key)
	}
	raw, present := g.ctx[k.name]
	if !present {
	}
	if g.chance(0.07) {
		op = "Null"
		v := !present
		if !want {
			v = present
		}
		if g.chance(0.4) {
			return op, key, v, true
		}
		return op, key, strconv.FormatBool(v), true
	}
	if k.multi {
		vals, _ := raw.([]string)
		op, val = g.multiCondition(k, vals, present, want)
		return op, key, val, true
	}
	v, _ := raw.(string)
	switch k.typ {
	case tString:
		op, val = g.stringCondition(k, v, present, want)
	case tARN:
		if g.chance(0.2) {
			op, val = g.stringCondition(k, v, present, want)
		} else {
			op, val = g.arnCondition(k, v, present, want)
		}
	case tIP:
		op, val = g.ipCondition(v, present, want)
	case tNumeric:
		op, val = g.numericCondition(k, v, present)
	case tDate:
		op, val = g.dateCondition(k, v, present)
	case tBool:
		op = "Bool"
		b := v == "true"
		if !present {
			b = g.chance(0.5)
		} else if !want {
			b = !b
		}
		if g.chance(0.3) {
			val = b
		} else {
			val = strconv.FormatBool(b)
		}
	case tBinary:
		op = "BinaryEquals"
		if want && present {
			val = v
		} else {
			val = pick(g, []string{"QUJD", "eHl6", "Zm9v"})
		}
	}
	if g.chance(0.15) {
		op += "IfExists"
	}
	return op, key, val, true
}

func listOrOne(g *gen, vals []string) any {
	if len(vals) == 1 && g.chance(0.6) {
		return vals[0]
	}
	return vals
}

// stringCondition builds a String* condition.
func (g *gen) stringCondition(k keyDef, v string, present, want bool) (string, any) {
	ops := []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"}
	op := pick(g, ops)
	negated := strings.Contains(op, "Not")
	like := strings.HasSuffix(op, "Like")
	fold := strings.HasSuffix(op, "IgnoreCase")
	holds := func(pattern string) bool { // does the policy value equal/match v?
		r, ok := resolveVars(pattern, g.ctx)
		if !ok {
			return false
		}
		switch {
		case like:
			return globMatch(r, v)
		case fold:
			return strings.EqualFold(unescape(r), v)
		default:
			return unescape(r) == v
		}
	}
	var hits, misses []string
	pool := append([]string{}, k.pool...)
	if k.name == "aws:PrincipalArn" {
		pool = principalArnPool()
	}
	if present {
		hits = append(hits, v)
		if fold {
			hits = append(hits, flipCase(v))
		}
		if like {
			hits = append(hits, likePatterns(g, v)...)
		}
		if s, ok := g.valueWithVariables(v); ok {
			hits = append(hits, s)
		}
		misses = append(misses, v+"-x", flipCase(v))
		if len(v) > 1 {
			misses = append(misses, v[:len(v)-1])
		}
		if like && len(v) > 2 {
			misses = append(misses, v[:len(v)-1]+"?x", "x*"+v[1:])
		}
	}
	misses = append(misses, pool...)
	if !present && g.chance(0.3) {
		// A variable with a default, for a missing key.
		misses = append(misses, "${aws:PrincipalTag/absent, 'x-default'}")
	}
	var hs, ms []string
	for _, h := range hits {
		if holds(h) {
			hs = append(hs, h)
		}
	}
	for _, m := range misses {
		if !holds(m) && !isUnresolved(m, g.ctx) {
			ms = append(ms, m)
		}
	}
	// want means "the condition holds": for negated operators it holds when no value
	// matches.
	wantMatch := want != negated
	var vals []string
	if wantMatch && len(hs) > 0 {
		vals = append(vals, pick(g, hs))
		if g.chance(0.3) && len(ms) > 0 {
			vals = append(vals, pick(g, ms))
		}
	} else if len(ms) > 0 {
		vals = append(vals, pick(g, ms))
		if g.chance(0.25) {
			vals = append(vals, pick(g, ms))
		}
	} else {
		vals = append(vals, "unmatched-value")
	}
	vals = dedupe(vals)
	for _, s := range vals {
		if strings.Contains(s, "${") {
		}
	}
	return op, listOrOne(g, vals)
}

// valueWithVariables rewrites v with a policy variable standing for a part of it.
func (g *gen) valueWithVariables(v string) (string, bool) {
	if strings.ContainsAny(v, "*?") && g.chance(0.5) {
		return strings.NewReplacer("*", "${*}", "?", "${?}").Replace(v), true
	}
	for _, k := range g.r.Perm(len(varSources)) {
		key := varSources[k]
		w, ok := g.ctx[key].(string)
		if !ok || len(w) < 3 || !strings.Contains(v, w) {
			continue
		}
		if g.chance(0.2) {
			return strings.Replace(v, w, "${"+key+", 'zzz'}", 1), true
		}
		return strings.Replace(v, w, "${"+key+"}", 1), true
	}
	if strings.Contains(v, "*") {
		return strings.ReplaceAll(v, "*", "${*}"), true
	}
	if strings.Contains(v, "?") {
		return strings.ReplaceAll(v, "?", "${?}"), true
	}
	return "", false
}

func likePatterns(g *gen, v string) []string {
	if v == "" {
		return []string{"*"}
	}
	i := g.intn(len(v))
	out := []string{"*", v[:i] + "*", "*" + v[i:], v[:i] + "?" + v[i+1:]}
	if strings.Contains(v, "*") {
		out = append(out, strings.ReplaceAll(v, "*", "${*}"))
	}
	return out
}

func principalArnPool() []string {
	var out []string
	for _, a := range []string{acctHome, acctOther} {
		out = append(out, "arn:aws:iam::"+a+":user/alice", "arn:aws:iam::"+a+":role/Reader", "arn:aws:iam::"+a+":role/app/Deployer", "arn:aws:iam::"+a+":root")
	}
	return out
}

func (g *gen) arnCondition(k keyDef, v string, present, want bool) (string, any) {
	op := pick(g, []string{"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"})
	negated := strings.Contains(op, "Not")
	pool := append([]string{}, k.pool...)
	if k.name == "aws:PrincipalArn" {
		pool = principalArnPool()
	}
	var hits []string
	if present {
		parts := strings.SplitN(v, ":", 6)
		hits = append(hits, v)
		if len(parts) == 6 {
			acctWild := strings.Join([]string{parts[0], parts[1], parts[2], parts[3], "*", parts[5]}, ":")
			resWild := strings.Join(parts[:5], ":") + ":" + wildTail(g, parts[5])
			hits = append(hits, acctWild, resWild, "arn:aws:"+parts[2]+":*:*:*")
			if parts[3] != "" {
				hits = append(hits, strings.Join([]string{parts[0], parts[1], parts[2], "*", parts[4], parts[5]}, ":"))
			}
		}
		if s, ok := g.valueWithVariables(v); ok {
			hits = append(hits, s)
		}
	}
	var misses []string
	for _, p := range pool {
		if !arnLikeMatch(p, v) {
			misses = append(misses, p)
		}
	}
	if present {
		misses = append(misses, strings.Replace(v, acctHome, acctOutside, 1), strings.Replace(v, acctOther, acctOutside, 1), v+"x")
	}
	var hs, ms []string
	for _, h := range hits {
		if r, ok := resolveVars(h, g.ctx); ok && arnLikeMatch(r, v) {
			hs = append(hs, h)
		}
	}
	for _, m := range misses {
		if !present || !arnLikeMatch(m, v) {
			ms = append(ms, m)
		}
	}
	wantMatch := want != negated
	var vals []string
	if wantMatch && len(hs) > 0 {
		vals = append(vals, pick(g, hs))
	} else if len(ms) > 0 {
		vals = append(vals, pick(g, ms))
	} else {
		vals = append(vals, "arn:aws:iam::"+acctOutside+":user/nobody")
	}
	if g.chance(0.25) && len(ms) > 0 {
		vals = append(vals, pick(g, ms))
	}
	return op, listOrOne(g, dedupe(vals))
}

func wildTail(g *gen, res string) string {
	if i := strings.LastIndex(res, "/"); i >= 0 {
		return res[:i+1] + "*"
	}
	if len(res) == 0 {
		return "*"
	}
	i := g.intn(len(res))
	return res[:i] + "?" + res[i+1:]
}

func (g *gen) ipCondition(v string, present, want bool) (string, any) {
	op := "IpAddress"
	if g.chance(0.4) {
		op = "NotIpAddress"
	}
	v6 := strings.Contains(v, ":")
	var hits, misses []string
	switch {
	case !present:
		misses = []string{"10.0.0.0/8", "2001:db8::/32"}
	case v6:
		hits = []string{"2001:db8::/32", v + "/128", "::/0"}
		misses = []string{"2001:db9::/32", "10.0.0.0/8", "0.0.0.0/0", "fd00::/8"}
		if v == "2001:db8:1::5" {
			hits = append(hits, "2001:db8:1::/48")
		} else {
			misses = append(misses, "2001:db8:1::/48")
		}
	default:
		o := strings.Split(v, ".")
		hits = []string{v + "/32", o[0] + "." + o[1] + ".0.0/16", o[0] + ".0.0.0/8", "0.0.0.0/0", v}
		misses = []string{"172.16.0.0/12", o[0] + "." + o[1] + ".255.0/24", "2001:db8::/32"}
	}
	wantMatch := want != (op == "NotIpAddress")
	var vals []string
	if wantMatch && len(hits) > 0 {
		vals = append(vals, pick(g, hits))
	} else {
		vals = append(vals, pick(g, misses))
	}
	if g.chance(0.3) {
		vals = append(vals, pick(g, misses))
	}
	return op, listOrOne(g, dedupe(vals))
}

func (g *gen) numericCondition(k keyDef, v string, present bool) (string, any) {
	op := pick(g, []string{"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"})
	base := v
	if !present {
		base = pick(g, k.pool)
	}
	var val string
	if strings.Contains(base, ".") {
		f, _ := strconv.ParseFloat(base, 64)
		val = strconv.FormatFloat(f+float64(g.intn(3)-1)/10, 'f', 1, 64)
	} else {
		n, _ := strconv.Atoi(base)
		val = strconv.Itoa(n + pick(g, []int{-1, 0, 0, 1, 100}))
	}
	if g.chance(0.3) && !strings.Contains(val, ".") {
		n, _ := strconv.Atoi(val)
		return op, n
	}
	return op, val
}

func (g *gen) dateCondition(k keyDef, v string, present bool) (string, any) {
	op := pick(g, []string{"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"})
	base := v
	if !present {
		base = pick(g, k.pool)
	}
	epoch := !strings.Contains(base, "T")
	var t time.Time
	if epoch {
		n, _ := strconv.ParseInt(base, 10, 64)
		t = time.Unix(n, 0).UTC()
	} else {
		t, _ = time.Parse(time.RFC3339, base)
	}
	t = t.Add(pick(g, []time.Duration{0, 0, -time.Second, time.Second, -24 * time.Hour, 24 * time.Hour, 400 * 24 * time.Hour}))
	if present && g.chance(0.07) {
		epoch = !epoch // the other form of the same instant
	}
	var val string
	if epoch {
		val = strconv.FormatInt(t.Unix(), 10)
	} else {
		switch g.intn(4) {
		case 0:
			val = t.Format("2006-01-02T15:04:05Z")
		case 1:
			val = t.Format("2006-01-02T15:04:05.000Z")
		case 2:
			val = t.Format("2006-01-02T15:04:05-07:00")
		default:
			val = t.Format("2006-01-02T15:04:05Z")
		}
	}
	return op, val
}

// multiCondition builds a ForAllValues:/ForAnyValue: condition on a multivalued key.
func (g *gen) multiCondition(k keyDef, vals []string, present, want bool) (string, any) {
	set := pick(g, []string{"ForAllValues", "ForAnyValue"})
	base := pick(g, []string{"StringEquals", "StringEquals", "StringLike", "StringNotEquals", "StringNotLike", "StringEqualsIgnoreCase"})
	if !present {
	}
	pool := append([]string{}, k.pool...)
	pool = append(pool, "zz-other")
	var out []string
	n := 1 + g.intn(3)
	for i := 0; i < n; i++ {
		switch {
		case len(vals) > 0 && g.chance(0.5):
			out = append(out, pick(g, vals))
		default:
			out = append(out, pick(g, pool))
		}
	}
	if strings.HasSuffix(base, "Like") && len(out) > 0 && g.chance(0.5) {
		s := out[0]
		if len(s) > 1 {
			out[0] = s[:1] + "*"
		}
	}
	if base == "StringEqualsIgnoreCase" && len(out) > 0 {
		out[0] = flipCase(out[0])
	}
	op := set + ":" + base
	if g.chance(0.05) {
		op += "IfExists"
	}
	return op, listOrOne(g, dedupe(out))
}

// ---- helpers ----

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func flipCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 32
			return string(b)
		case 'A' <= c && c <= 'Z':
			b[i] = c + 32
			return string(b)
		}
	}
	return s + "X"
}

func mutateChar(g *gen, s string) string {
	if s == "" {
		return "x"
	}
	i := g.intn(len(s))
	c := s[i]
	r := byte('x')
	if c == 'x' {
		r = 'y'
	}
	return s[:i] + string(r) + s[i+1:]
}

// globMatch reports whether s matches the IAM pattern p, where * matches any run of
// characters and ? any one character. The generator uses it only to steer its choices.
func globMatch(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := 0; i <= len(s); i++ {
				if globMatch(p[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			p, s = p[1:], s[1:]
		default:
			c := p[0]
			switch c {
			case '\x01':
				c = '*'
			case '\x02':
				c = '?'
			}
			if len(s) == 0 || c != s[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return len(s) == 0
}

// arnLikeMatch matches ARN patterns component by component.
func arnLikeMatch(p, s string) bool {
	pp := strings.SplitN(p, ":", 6)
	sp := strings.SplitN(s, ":", 6)
	if len(pp) != 6 || len(sp) != 6 {
		return false
	}
	for i := range pp {
		if !globMatch(pp[i], sp[i]) {
			return false
		}
	}
	return true
}

// resolveVars substitutes policy variables from the context, for the generator's own
// bookkeeping. Escapes become placeholders that unescape turns back into the characters.
// It returns false when a variable has no value and no default.
func resolveVars(s string, ctx map[string]any) (string, bool) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		inner := s[i+2 : i+j]
		s = s[i+j+1:]
		switch inner {
		case "*":
			b.WriteString("\x01")
			continue
		case "?":
			b.WriteString("\x02")
			continue
		case "$":
			b.WriteString("$")
			continue
		}
		name, def, hasDef := strings.Cut(inner, ", ")
		val := ""
		found := false
		for k, v := range ctx {
			if strings.EqualFold(k, strings.TrimSpace(name)) {
				if sv, ok := v.(string); ok {
					val, found = sv, true
				}
			}
		}
		if found && val != "" {
			b.WriteString(val)
		} else if hasDef && len(def) >= 2 && def[0] == '\'' && def[len(def)-1] == '\'' {
			b.WriteString(def[1 : len(def)-1])
		} else {
			return "", false
		}
	}
}

// unescape turns the escape placeholders of resolveVars back into characters for exact
// comparisons; globMatch treats the placeholders as literal characters that never equal a
// wildcard, which is close enough for steering.
func unescape(s string) string {
	return strings.NewReplacer("\x01", "*", "\x02", "?").Replace(s)
}

func isUnresolved(s string, ctx map[string]any) bool {
	_, ok := resolveVars(s, ctx)
	return !ok
}
