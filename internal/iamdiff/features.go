package iamdiff

import (
	"fmt"
	"sort"
	"strings"
)

// Features lists what a document exercises, read from the document itself: principal kind,
// account relation, policy layers, condition operators, policy variables, wildcards and so
// on. The generator's coverage is reported as counts of these features.
func Features(d Document) []string {
	f := map[string]bool{}
	add := func(format string, args ...any) { f[fmt.Sprintf(format, args...)] = true }
	req := d.Request
	kind := PrincipalKind(req.Principal)
	add("principal:%s", kind)
	if acct := principalAccount(req.Principal); acct != "" {
		if acct == req.ResourceAccount {
			add("same-account")
		} else {
			add("cross-account")
		}
	}
	add("action:%s", req.Action)
	if ip, ok := req.Context["aws:SourceIp"].(string); ok {
		if strings.Contains(ip, ":") {
			add("request:ipv6")
		} else {
			add("request:ipv4")
		}
	}

	type layer struct {
		name     string
		policies []any
	}
	layers := []layer{{"identity", d.IdentityPolicies}, {"endpoint", d.EndpointPolicies}, {"boundary", d.PermissionsBoundaries}}
	if d.ResourcePolicy != nil {
		layers = append(layers, layer{"resource", []any{d.ResourcePolicy}})
	}
	if d.SessionPolicy != nil {
		layers = append(layers, layer{"session", []any{d.SessionPolicy}})
	}
	for _, l := range d.ServiceControlPolicies {
		layers = append(layers, layer{"scp", l.Policies})
	}
	for _, l := range d.ResourceControlPolicies {
		layers = append(layers, layer{"rcp", l.Policies})
	}
	for _, l := range layers {
		if len(l.policies) > 0 {
			add("layer:%s", l.name)
		}
		for _, pol := range l.policies {
			p, _ := pol.(map[string]any)
			if _, ok := p["Version"]; !ok {
				add("policy:no-version")
			}
			if _, ok := p["Statement"].(map[string]any); ok {
				add("policy:statement-object")
			}
			for _, st := range Statements(pol) {
				statementFeatures(st, l.name, req, add)
			}
		}
	}
	out := make([]string, 0, len(f))
	for k := range f {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func statementFeatures(st map[string]any, layer string, req Request, add func(string, ...any)) {
	add("effect:%s", st["Effect"])
	if a, ok := st["NotAction"]; ok {
		add("not-action")
		actionFeatures(Strings(a), req.Action, add)
	} else {
		actionFeatures(Strings(st["Action"]), req.Action, add)
	}
	res := Strings(st["Resource"])
	if r, ok := st["NotResource"]; ok {
		add("not-resource")
		res = Strings(r)
	}
	for _, r := range res {
		if r == "*" {
			add("resource:star")
			continue
		}
		if strings.ContainsAny(stripEscapes(r), "*?") {
			add("resource:wildcard")
		}
		varFeatures(r, "resource", add)
	}
	if p, ok := st["Principal"]; ok && layer == "resource" || ok && layer == "endpoint" && p != "*" {
		for _, e := range PrincipalEntries(p) {
			switch {
			case e == "*" || e == "AWS:*":
				add("principal-element:wildcard")
			case strings.HasPrefix(e, "Service:"):
				add("principal-element:service")
			case strings.HasSuffix(e, ":root") || len(e) == len("AWS:")+12:
				add("principal-element:account")
			case strings.Contains(e, ":role/"):
				add("principal-element:role")
			case strings.Contains(e, ":assumed-role/"):
				add("principal-element:session")
			case strings.Contains(e, ":user/"):
				add("principal-element:user")
			}
		}
		if layer == "endpoint" {
			add("endpoint-principal")
		}
	}
	if np, ok := st["NotPrincipal"]; ok {
		add("notprincipal")
		if layer == "endpoint" {
			add("endpoint-principal")
		}
		switch notPrincipalCoverage(np, req.Principal) {
		case npPartial:
			add("notprincipal:partial")
		case npComplete:
			add("notprincipal:complete")
		}
	}
	cond, _ := st["Condition"].(map[string]any)
	for op, kv := range cond {
		add("op:%s", op)
		base := op
		if i := strings.Index(base, ":"); i >= 0 {
			add("op-set:%s", base[:i])
			base = base[i+1:]
		}
		if strings.HasSuffix(base, "IfExists") {
			add("op-suffix:IfExists")
			base = strings.TrimSuffix(base, "IfExists")
		}
		add("op-base:%s", base)
		m, _ := kv.(map[string]any)
		for key, val := range m {
			v, present := lookup(req.Context, key)
			if !present {
				add("condition:key-missing")
			} else if l, ok := v.([]any); ok && len(l) == 0 {
				add("condition:multi-empty")
			} else if l, ok := v.([]string); ok && len(l) == 0 {
				add("condition:multi-empty")
			}
			if c := canonicalKeyName(key); c != key && strings.EqualFold(c, key) {
				add("condition:key-case")
			}
			switch val.(type) {
			case bool:
				add("condition:json-bool")
			case float64, int:
				add("condition:json-number")
			case []any, []string:
				if len(Strings(val)) > 1 {
					add("condition:value-list")
				}
			}
			for _, s := range Strings(val) {
				varFeatures(s, "condition", add)
			}
		}
	}
}

func actionFeatures(actions []string, request string, add func(string, ...any)) {
	for _, a := range actions {
		switch {
		case a == "*":
			add("action:star")
		case strings.ContainsAny(a, "*?"):
			add("action:wildcard")
		case a != request && strings.EqualFold(a, request):
			add("action:case-variant")
		}
	}
}

func varFeatures(s, where string, add func(string, ...any)) {
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return
		}
		inner := s[i+2 : i+j]
		s = s[i+j+1:]
		switch inner {
		case "*", "?", "$":
			add("var-escape:%s", inner)
			continue
		}
		add("var-in-%s", where)
		name, _, hasDef := strings.Cut(inner, ", ")
		if hasDef {
			add("var-default")
		}
		add("var:%s", canonicalKeyName(name))
	}
}

func stripEscapes(s string) string {
	return strings.NewReplacer("${*}", "", "${?}", "", "${$}", "").Replace(s)
}

func canonicalKeyName(name string) string {
	if k, ok := keyByNameFold(name); ok {
		return k
	}
	return name
}

func keyByNameFold(name string) (string, bool) {
	for _, list := range [][]keyDef{optionalKeys, derivedKeys} {
		for _, k := range list {
			if strings.EqualFold(k.name, name) {
				return k.name, true
			}
		}
	}
	return "", false
}

// lookup finds a context key, ignoring case as AWS does.
func lookup(ctx map[string]any, key string) (any, bool) {
	if v, ok := ctx[key]; ok {
		return v, true
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// PrincipalKind classifies a request principal: user, role, session, root, anonymous,
// service, or other.
func PrincipalKind(p string) string {
	switch {
	case p == Anonymous:
		return "anonymous"
	case !strings.HasPrefix(p, "arn:"):
		return "service"
	}
	parts := strings.SplitN(p, ":", 6)
	if len(parts) < 6 {
		return "other"
	}
	switch r := parts[5]; {
	case r == "root":
		return "root"
	case strings.HasPrefix(r, "user/"):
		return "user"
	case strings.HasPrefix(r, "role/"):
		return "role"
	case strings.HasPrefix(r, "assumed-role/"):
		return "session"
	}
	return "other"
}

func principalAccount(p string) string {
	parts := strings.SplitN(p, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

type npCoverage int

const (
	npNone     npCoverage = iota // no layer of the caller is listed
	npPartial                    // some layers listed, not all
	npComplete                   // every layer listed
)

// notPrincipalCoverage tells how many of the caller's layers (see principalLayers) a
// NotPrincipal element lists.
func notPrincipalCoverage(element any, principal string) npCoverage {
	layers := principalLayers(principal)
	entries := PrincipalEntries(element)
	listed := 0
	for _, l := range layers {
		for _, spelling := range l {
			if contains(entries, spelling) {
				listed++
				break
			}
		}
	}
	switch {
	case listed == 0:
		return npNone
	case listed < len(layers):
		return npPartial
	}
	return npComplete
}
