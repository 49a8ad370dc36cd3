package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/trellisproject/trellis/policy"
)

// APIsConfig is the `apis` section of the native configuration document:
// the API Gateway REST APIs trellis serves. BuildAPIs validates and
// compiles it.
type APIsConfig struct {
	RestAPIs []RestAPIConfig `json:"restApis,omitempty"`
}

// A RestAPIConfig declares one private REST API.
type RestAPIConfig struct {
	// ID is API Gateway's API ID: 10 characters, lower-case letters and
	// digits, such as "a1b2c3d4e5".
	ID   string `json:"id"`
	Name string `json:"name"`
	// Account and Region own the API; with ID they make its ARN
	// arn:aws:execute-api:REGION:ACCOUNT:ID.
	Account string `json:"account"`
	Region  string `json:"region"`
	// EndpointType is "PRIVATE", the only type trellis serves.
	EndpointType string `json:"endpointType"`
	// VPCEndpointIDs are the interface endpoints the API is associated
	// with; a call must come through one of them.
	VPCEndpointIDs []string `json:"vpcEndpointIds,omitempty"`
	// Policy is the resource policy, as a JSON object or a string holding
	// one. Resources may use API Gateway's "execute-api:/STAGE/METHOD/PATH"
	// shorthand. A private API without one denies every call.
	Policy    json.RawMessage  `json:"policy,omitempty"`
	Stages    []StageConfig    `json:"stages"`
	Resources []ResourceConfig `json:"resources"`
}

// A StageConfig is a deployed stage of an API.
type StageConfig struct {
	// Name is 1 to 128 letters, digits, hyphens and underscores.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// A ResourceConfig is one resource of an API's path tree, written as its
// full path: "/", "/orders", "/orders/{id}" or "/files/{proxy+}". Parents
// are implied. A segment in braces is a path parameter matching one
// segment; "{NAME+}", last only, matches one or more segments.
type ResourceConfig struct {
	Path    string         `json:"path"`
	Methods []MethodConfig `json:"methods"`
}

// A MethodConfig is a method of a resource.
type MethodConfig struct {
	// HTTPMethod is GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY.
	HTTPMethod string `json:"httpMethod"`
	// AuthorizationType is "NONE" or "AWS_IAM" (callers must sign with
	// SigV4 for service execute-api).
	AuthorizationType string            `json:"authorizationType"`
	Integration       IntegrationConfig `json:"integration"`
}

// An IntegrationConfig says where a method's requests go.
type IntegrationConfig struct {
	// Type is "HTTP_PROXY" or "HTTP". trellis has no mapping templates, so
	// both pass the request and the response through unchanged.
	Type string `json:"type"`
	// HTTPMethod is the method used toward the backend; empty or "ANY"
	// keeps the request's.
	HTTPMethod string `json:"httpMethod,omitempty"`
	// URI is the backend's URL, such as "http://127.0.0.1:8081/orders/{id}".
	// "{NAME}" is replaced by the path parameter of that name. The request's
	// query string is passed on.
	URI string `json:"uri"`
}

// Authorization types of a method.
const (
	AuthorizationNone   = "NONE"
	AuthorizationAWSIAM = "AWS_IAM"
)

// EndpointTypePrivate is the endpoint type of a private API.
const EndpointTypePrivate = "PRIVATE"

// MethodAny is the HTTP method that matches every method.
const MethodAny = "ANY"

var httpMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", MethodAny}

// APIs is a compiled, immutable APIsConfig: APIs by ID, each with its
// resource tree and compiled resource policy. It is safe for concurrent
// use.
type APIs struct {
	byID  map[string]*RestAPI
	order []*RestAPI
}

// API returns the API with the given ID.
func (a *APIs) API(id string) (*RestAPI, bool) {
	if a == nil {
		return nil, false
	}
	r, ok := a.byID[id]
	return r, ok
}

// All returns the APIs in configuration order.
func (a *APIs) All() []*RestAPI {
	if a == nil {
		return nil
	}
	return slices.Clone(a.order)
}

// A RestAPI is one compiled API.
type RestAPI struct {
	ID, Name, Account, Region string
	// ARN is arn:aws:execute-api:REGION:ACCOUNT:ID.
	ARN string
	// EndpointIDs are the associated interface endpoints.
	EndpointIDs []string
	// Policy is the compiled resource policy; nil when there is none.
	Policy *policy.Policy
	stages []string
	root   *resourceNode
}

// AllowsEndpoint reports whether the API is associated with the endpoint.
func (r *RestAPI) AllowsEndpoint(vpce string) bool { return slices.Contains(r.EndpointIDs, vpce) }

// HasStage reports whether the API has a stage of that name.
func (r *RestAPI) HasStage(name string) bool { return slices.Contains(r.stages, name) }

// InvokeARN returns the execute-api ARN of a call:
// arn:aws:execute-api:REGION:ACCOUNT:ID/STAGE/METHOD/PATH, where PATH is the
// request path without its leading slash.
func (r *RestAPI) InvokeARN(stage, method, path string) string {
	return r.ARN + "/" + stage + "/" + method + "/" + strings.TrimPrefix(path, "/")
}

// A Method is a compiled method of a resource.
type Method struct {
	// Resource is the path of the resource, such as "/orders/{id}".
	Resource          string
	HTTPMethod        string
	AuthorizationType string
	Integration       Integration
}

// RequiresIAM reports whether callers must sign requests to the method.
func (m *Method) RequiresIAM() bool { return m.AuthorizationType == AuthorizationAWSIAM }

// An Integration is a compiled integration.
type Integration struct {
	Type       string
	HTTPMethod string
	// URI is the configured URI, with its placeholders.
	URI string
}

// A PathParam is one path parameter of a matched request.
type PathParam struct {
	Name, Value string
	// Greedy marks a {NAME+} parameter, whose value holds slashes.
	Greedy bool
}

// BackendURL returns the URL a call is forwarded to: the integration's URI
// with the path parameters substituted and the request's raw query.
func (in *Integration) BackendURL(params []PathParam, rawQuery string) (*url.URL, error) {
	s := in.URI
	for _, p := range params {
		v := p.Value
		if !p.Greedy {
			v = url.PathEscape(v)
		}
		s = strings.ReplaceAll(s, "{"+p.Name+"}", v)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if rawQuery != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += rawQuery
	}
	return u, nil
}

// find returns the method for an HTTP method: its own, else ANY.
func (m methodSet) find(httpMethod string) *Method {
	for _, x := range m {
		if x.HTTPMethod == httpMethod {
			return x
		}
	}
	for _, x := range m {
		if x.HTTPMethod == MethodAny {
			return x
		}
	}
	return nil
}

// methodSet holds the methods of one resource.
type methodSet []*Method

// resourceNode is one segment of the path tree.
type resourceNode struct {
	literal map[string]*resourceNode
	// param is the one variable child ({name} or {name+}), if any.
	param     *resourceNode
	paramName string
	greedy    bool
	methods   methodSet
	declared  bool
}

// Match finds the method a request reaches, as API Gateway matches paths:
// a literal segment before a path parameter, a path parameter before a
// greedy {proxy+}, and an exact HTTP method before ANY. path is the path
// after the stage, starting with "/". It returns nil when no resource with
// such a method matches.
func (r *RestAPI) Match(httpMethod, path string) (*Method, []PathParam) {
	path = strings.TrimPrefix(path, "/")
	path = strings.TrimSuffix(path, "/")
	var segs []string
	if path != "" {
		segs = strings.Split(path, "/")
	}
	var params []PathParam
	m := r.root.match(httpMethod, segs, &params)
	if m == nil {
		return nil, nil
	}
	return m, params
}

func (n *resourceNode) match(httpMethod string, segs []string, params *[]PathParam) *Method {
	if len(segs) == 0 {
		return n.methods.find(httpMethod)
	}
	if segs[0] == "" {
		return nil
	}
	if c, ok := n.literal[segs[0]]; ok {
		if m := c.match(httpMethod, segs[1:], params); m != nil {
			return m
		}
	}
	c := n.param
	if c == nil {
		return nil
	}
	mark := len(*params)
	if c.greedy {
		m := c.methods.find(httpMethod)
		if m != nil {
			*params = append(*params, PathParam{Name: c.paramName, Value: strings.Join(segs, "/"), Greedy: true})
		}
		return m
	}
	v, err := url.PathUnescape(segs[0])
	if err != nil {
		v = segs[0]
	}
	*params = append(*params, PathParam{Name: c.paramName, Value: v})
	if m := c.match(httpMethod, segs[1:], params); m != nil {
		return m
	}
	*params = (*params)[:mark]
	return nil
}

// apiBuilder collects the problems of one BuildAPIs.
type apiBuilder struct{ errs []error }

func (b *apiBuilder) addf(path, format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

// BuildAPIs validates an APIsConfig and compiles it. It reports every
// problem at once (joined with errors.Join), each naming the JSON path of
// the value at fault within the section, such as
// `restApis[0].resources[1].path: "/orders/{id" has an unclosed "{"`.
func BuildAPIs(c APIsConfig) (*APIs, error) {
	b := &apiBuilder{}
	out := &APIs{byID: map[string]*RestAPI{}}
	for i, ac := range c.RestAPIs {
		path := fmt.Sprintf("restApis[%d]", i)
		api := b.api(path, ac)
		if api == nil {
			continue
		}
		if _, dup := out.byID[api.ID]; dup {
			b.addf(path+".id", "API %s is declared twice", api.ID)
			continue
		}
		out.byID[api.ID] = api
		out.order = append(out.order, api)
	}
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	return out, nil
}

func isAPIID(s string) bool {
	if len(s) != 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isEndpointID reports whether s is "vpce-" and 8 or 17 lower-case
// hexadecimal digits.
func isEndpointID(s string) bool {
	h, ok := strings.CutPrefix(s, "vpce-")
	if !ok || (len(h) != 8 && len(h) != 17) {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !isHexLower(h[i]) {
			return false
		}
	}
	return true
}

func isHexLower(c byte) bool { return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') }

func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	for i, p := range parts {
		last := i == len(parts)-1
		if p == "" || strings.IndexFunc(p, func(c rune) bool {
			return (last && (c < '0' || c > '9')) || (!last && (c < 'a' || c > 'z'))
		}) >= 0 {
			return false
		}
	}
	return true
}

func isStageName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnumByte(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlnumByte(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// isPathPart reports whether s is a literal path segment API Gateway
// accepts.
func isPathPart(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnumByte(c) && !strings.ContainsRune("._-:~@", rune(c)) {
			return false
		}
	}
	return s != ""
}

func (b *apiBuilder) api(path string, ac RestAPIConfig) *RestAPI {
	before := len(b.errs)
	if !isAPIID(ac.ID) {
		b.addf(path+".id", "%q is not an API ID: write 10 lower-case letters and digits, such as a1b2c3d4e5", ac.ID)
	}
	if ac.Name == "" {
		b.addf(path+".name", "the API needs a name")
	}
	if !policy.IsAccountID(ac.Account) {
		b.addf(path+".account", "%q is not an account ID: write 12 digits, quoted in YAML", ac.Account)
	}
	if !isRegion(ac.Region) {
		b.addf(path+".region", "%q is not a region such as us-east-1", ac.Region)
	}
	if ac.EndpointType != EndpointTypePrivate {
		b.addf(path+".endpointType", "%q is not supported: trellis serves PRIVATE APIs", ac.EndpointType)
	}
	for j, e := range ac.VPCEndpointIDs {
		p := fmt.Sprintf("%s.vpcEndpointIds[%d]", path, j)
		switch {
		case !isEndpointID(e):
			b.addf(p, "%q is not an interface endpoint ID such as vpce-0123456789abcdef0", e)
		case slices.Contains(ac.VPCEndpointIDs[:j], e):
			b.addf(p, "%s is listed twice", e)
		}
	}
	api := &RestAPI{
		ID: ac.ID, Name: ac.Name, Account: ac.Account, Region: ac.Region,
		ARN:         "arn:aws:execute-api:" + ac.Region + ":" + ac.Account + ":" + ac.ID,
		EndpointIDs: slices.Clone(ac.VPCEndpointIDs),
		root:        &resourceNode{},
	}
	api.Policy = b.policy(path+".policy", ac.Policy, api)
	if len(ac.Stages) == 0 {
		b.addf(path+".stages", "the API needs a stage to be invoked")
	}
	for j, s := range ac.Stages {
		p := fmt.Sprintf("%s.stages[%d].name", path, j)
		switch {
		case !isStageName(s.Name):
			b.addf(p, "%q is not a stage name: write 1 to 128 letters, digits, hyphens and underscores", s.Name)
		case api.HasStage(s.Name):
			b.addf(p, "stage %s is declared twice", s.Name)
		default:
			api.stages = append(api.stages, s.Name)
		}
	}
	for j, rc := range ac.Resources {
		b.resource(fmt.Sprintf("%s.resources[%d]", path, j), rc, api.root)
	}
	if len(b.errs) > before {
		return nil
	}
	return api
}

func (b *apiBuilder) policy(path string, raw json.RawMessage, api *RestAPI) *policy.Policy {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	doc := []byte(raw)
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			b.addf(path, "not a JSON string: %v", err)
			return nil
		}
		doc = []byte(s)
	}
	p, err := policy.Parse(doc, policy.Options{Kind: policy.KindResource, Name: "resource policy of " + api.ID, APIARN: api.ARN})
	var ve *policy.ValidationError
	switch {
	case errors.As(err, &ve):
		for _, d := range ve.Errors() {
			where := path
			if d.Path != "" {
				where += "." + d.Path
			}
			b.addf(where, "%s (line %d, column %d of the policy)", d.Message, d.Line, d.Column)
		}
	case err != nil:
		b.addf(path, "%v", err)
	}
	return p
}

// resource adds one resource to the tree.
func (b *apiBuilder) resource(path string, rc ResourceConfig, root *resourceNode) {
	pp := path + ".path"
	if !strings.HasPrefix(rc.Path, "/") {
		b.addf(pp, "%q does not start with \"/\"", rc.Path)
		return
	}
	n := root
	trimmed := strings.TrimPrefix(rc.Path, "/")
	var segs []string
	if trimmed != "" {
		segs = strings.Split(trimmed, "/")
	}
	for k, s := range segs {
		name, isParam := strings.CutPrefix(s, "{")
		if !isParam {
			if !isPathPart(s) {
				b.addf(pp, "segment %q of %q is not a path part: use letters, digits and ._-:~@, or {name} for a parameter", s, rc.Path)
				return
			}
			c := n.literal[s]
			if c == nil {
				c = &resourceNode{}
				if n.literal == nil {
					n.literal = map[string]*resourceNode{}
				}
				n.literal[s] = c
			}
			n = c
			continue
		}
		name, closed := strings.CutSuffix(name, "}")
		greedy := false
		if closed {
			name, greedy = strings.CutSuffix(name, "+")
		}
		switch {
		case !closed:
			b.addf(pp, "segment %q of %q has an unclosed \"{\"", s, rc.Path)
			return
		case !isPathPart(name) || strings.ContainsAny(name, ":~@"):
			b.addf(pp, "segment %q of %q is not a parameter: write {name} or, last, {name+}", s, rc.Path)
			return
		case greedy && k != len(segs)-1:
			b.addf(pp, "the greedy parameter %q of %q must be the last segment", s, rc.Path)
			return
		case n.param != nil && (n.param.paramName != name || n.param.greedy != greedy):
			b.addf(pp, "%q: a sibling already has the variable path part {%s}; one level has at most one", rc.Path, n.param.paramName+map[bool]string{true: "+"}[n.param.greedy])
			return
		}
		if n.param == nil {
			n.param = &resourceNode{paramName: name, greedy: greedy}
		}
		n = n.param
	}
	if n.declared {
		b.addf(pp, "resource %s is declared twice", rc.Path)
		return
	}
	n.declared = true
	for j, mc := range rc.Methods {
		mp := fmt.Sprintf("%s.methods[%d]", path, j)
		m := &Method{Resource: rc.Path, HTTPMethod: mc.HTTPMethod, AuthorizationType: mc.AuthorizationType}
		ok := true
		if !slices.Contains(httpMethods, mc.HTTPMethod) {
			b.addf(mp+".httpMethod", "%q is not one of %s", mc.HTTPMethod, strings.Join(httpMethods, ", "))
			ok = false
		} else if slices.ContainsFunc(n.methods, func(x *Method) bool { return x.HTTPMethod == mc.HTTPMethod }) {
			b.addf(mp+".httpMethod", "%s %s is declared twice", mc.HTTPMethod, rc.Path)
			ok = false
		}
		if mc.AuthorizationType != AuthorizationNone && mc.AuthorizationType != AuthorizationAWSIAM {
			b.addf(mp+".authorizationType", "%q is not supported: write NONE or AWS_IAM", mc.AuthorizationType)
			ok = false
		}
		in, iok := b.integration(mp+".integration", mc.Integration)
		m.Integration = in
		if ok && iok {
			n.methods = append(n.methods, m)
		}
	}
}

func (b *apiBuilder) integration(path string, ic IntegrationConfig) (Integration, bool) {
	ok := true
	if ic.Type != "HTTP" && ic.Type != "HTTP_PROXY" {
		b.addf(path+".type", "%q is not supported: write HTTP_PROXY or HTTP", ic.Type)
		ok = false
	}
	if ic.HTTPMethod != "" && !slices.Contains(httpMethods, ic.HTTPMethod) {
		b.addf(path+".httpMethod", "%q is not one of %s", ic.HTTPMethod, strings.Join(httpMethods, ", "))
		ok = false
	}
	u, err := url.Parse(ic.URI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		b.addf(path+".uri", "%q is not an http or https URL such as http://127.0.0.1:8081/orders", ic.URI)
		ok = false
	}
	return Integration{Type: ic.Type, HTTPMethod: ic.HTTPMethod, URI: ic.URI}, ok
}
