package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/internal/yamljson"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/network"
	"github.com/trellisproject/trellis/sigv4"
	"github.com/trellisproject/trellis/snapshot"
	"github.com/trellisproject/trellis/store"
)

// A Document is trellis's native configuration: everything that has no AWS
// API here: the identities (organizations, accounts, managed policies,
// users, roles and access keys), the network (VPCs, subnets, security
// groups, network ACLs, interfaces and interface endpoints) and the private
// REST APIs. `trellis apply` sends one, `trellis export` prints one.
//
// A section that is present replaces what is configured in full: an entity
// the document does not list is deleted. A section that is absent is left
// alone.
type Document struct {
	// Identity is the identity section (identity.Input without sessions,
	// which STS issues at run time).
	Identity *identity.Input `json:"identity,omitempty" yaml:"identity,omitempty"`
	// Network is the network section, network.Config as is.
	Network *network.Config `json:"network,omitempty" yaml:"network,omitempty"`
	// APIs is the private REST APIs section.
	APIs *model.APIsConfig `json:"apis,omitempty" yaml:"apis,omitempty"`
}

// Overlay returns d with the sections next has replacing d's, as applying
// next after d would leave the configuration.
func (d *Document) Overlay(next *Document) *Document {
	out := *d
	if next.Identity != nil {
		out.Identity = next.Identity
	}
	if next.Network != nil {
		out.Network = next.Network
	}
	if next.APIs != nil {
		out.APIs = next.APIs
	}
	return &out
}

// DecodeDocument reads a Document written as JSON or YAML. Unknown fields
// are errors, so a misspelt key does not silently do nothing.
func DecodeDocument(data []byte) (*Document, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("the document is empty")
	}
	if trimmed[0] != '{' {
		var generic any
		if err := yaml.Unmarshal(data, &generic); err != nil {
			return nil, fmt.Errorf("not valid YAML or JSON: %w", err)
		}
		j, err := yamljson.Marshal(generic)
		if err != nil {
			return nil, fmt.Errorf("YAML that JSON cannot represent: %w", err)
		}
		data = j
	}
	var d Document
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, describeDecodeError(err)
	}
	if dec.More() {
		return nil, errors.New("unexpected data after the document")
	}
	if d.Identity != nil && len(d.Identity.Sessions) > 0 {
		return nil, errors.New("identity.sessions cannot be declared: STS issues sessions (AssumeRole)")
	}
	return &d, nil
}

func describeDecodeError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Errorf("%s: expected %s, found a %s", te.Field, te.Type, te.Value)
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, err)
	}
	return err
}

// A Change is one difference a document makes.
type Change struct {
	// Op is "create", "update" or "delete".
	Op string `json:"op"`
	// Kind is the kind of entity: "organization", "account", "policy",
	// "user", "role", "accessKey"; "vpc", "subnet", "routeTable",
	// "networkAcl", "securityGroup", "prefixList", "networkInterface",
	// "interfaceEndpoint", "endpointService", "peeringConnection";
	// "restApi".
	Kind string `json:"kind"`
	// Name identifies the entity: an ID or an ARN.
	Name string `json:"name"`
}

func (c Change) String() string {
	mark := map[string]string{"create": "+", "update": "~", "delete": "-"}[c.Op]
	return fmt.Sprintf("%s %s %s", mark, c.Kind, c.Name)
}

// A NewAccessKey is an access key that applying a document created. Its
// secret is shown this once and never again.
type NewAccessKey struct {
	ID     string `json:"accessKeyId"`
	User   string `json:"user"`
	Secret string `json:"secretAccessKey"`
}

// ApplyResult says what applying a document changed (or, in a dry run,
// would change).
type ApplyResult struct {
	Changes []Change `json:"changes"`
	// Applied is false for a dry run and when nothing changed.
	Applied bool `json:"applied"`
	// NewAccessKeys lists keys created without a secret in the document.
	NewAccessKeys []NewAccessKey `json:"newAccessKeys,omitempty"`
	// Seq is the store sequence number of the change.
	Seq uint64 `json:"seq,omitempty"`
}

// Applier applies native documents to a store.
type Applier struct {
	Store store.Store
	// Random supplies new access keys.
	Random io.Reader
	// Clock stamps new access keys.
	Clock func() time.Time
}

// errNoChange ends a transaction that would write nothing.
var errNoChange = errors.New("no change")

// ApplyOptions say how to apply a document.
type ApplyOptions struct {
	// DryRun reports the changes without making them.
	DryRun bool
	// SigningKey is the access key that signed the request, if any. A
	// document that deletes or deactivates it is refused, so that one apply
	// cannot lock its caller out.
	SigningKey string
}

// declared is the configuration of every section, with the versions of
// their records.
type declared struct {
	identity               identity.Input
	network                network.Config
	apis                   model.APIsConfig
	idVer, netVer, apisVer int64
	hasNetwork, hasAPIs    bool
}

func readDeclared(tx store.ReadTx) (declared, error) {
	var d declared
	var err error
	if d.identity, d.idVer, err = snapshot.ReadDeclared(tx); err != nil {
		return d, err
	}
	if d.netVer, err = snapshot.ReadSection(tx, snapshot.KindNetwork, &d.network); err != nil {
		return d, err
	}
	if d.apisVer, err = snapshot.ReadSection(tx, snapshot.KindAPIs, &d.apis); err != nil {
		return d, err
	}
	d.hasNetwork, d.hasAPIs = d.netVer != 0, d.apisVer != 0
	return d, nil
}

// Apply validates d against the current configuration and, unless
// o.DryRun, applies it in one transaction: every section the document has
// is written, or none. The network and APIs sections are built together
// (an API may only list endpoints of the network), so a document that
// leaves them inconsistent is refused.
func (a *Applier) Apply(ctx context.Context, d *Document, o ApplyOptions) (ApplyResult, error) {
	var res ApplyResult
	if d.Identity == nil && d.Network == nil && d.APIs == nil {
		return res, nil
	}
	var cur declared
	fn := func(tx store.ReadTx) (declared, error) {
		var err error
		if cur, err = readDeclared(tx); err != nil {
			return cur, err
		}
		res = ApplyResult{}
		next := cur
		if d.Identity != nil {
			desired, keys, err := a.resolveKeys(*d.Identity, cur.identity)
			if err != nil {
				return next, err
			}
			if _, err := identity.New(desired); err != nil {
				return next, &DocumentError{Err: err}
			}
			if err := keepsKey(cur.identity, desired, o.SigningKey); err != nil {
				return next, &DocumentError{Err: err}
			}
			res.Changes = diffIdentity(cur.identity, desired)
			res.NewAccessKeys = keys
			next.identity = desired
		}
		if d.Network != nil {
			next.network, next.hasNetwork = *d.Network, true
		}
		if d.APIs != nil {
			next.apis, next.hasAPIs = *d.APIs, true
		}
		if d.Network != nil || d.APIs != nil {
			if _, _, err := snapshot.BuildPrivateAPIs(next.network, next.apis); err != nil {
				return next, &DocumentError{Err: err}
			}
		}
		if d.Network != nil {
			res.Changes = append(res.Changes, diffNetwork(cur.network, next.network)...)
		}
		if d.APIs != nil {
			res.Changes = append(res.Changes, diffAPIs(cur.apis, next.apis)...)
		}
		return next, nil
	}
	if o.DryRun {
		err := a.Store.View(ctx, func(tx store.ReadTx) error {
			_, err := fn(tx)
			return err
		})
		res.NewAccessKeys = nil // nothing was created
		return res, err
	}
	seq, err := a.Store.Update(ctx, func(tx store.Tx) error {
		next, err := fn(tx)
		if err != nil {
			return err
		}
		if len(res.Changes) == 0 {
			return errNoChange
		}
		if d.Identity != nil && !sameJSON(cur.identity, next.identity) {
			if err := snapshot.WriteDeclared(tx, next.identity, cur.idVer); err != nil {
				return err
			}
		}
		if d.Network != nil && !sameJSON(cur.network, next.network) {
			if err := snapshot.WriteSection(tx, snapshot.KindNetwork, next.network, cur.netVer); err != nil {
				return err
			}
		}
		if d.APIs != nil && !sameJSON(cur.apis, next.apis) {
			if err := snapshot.WriteSection(tx, snapshot.KindAPIs, next.apis, cur.apisVer); err != nil {
				return err
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errNoChange):
		return res, nil
	case err != nil:
		return res, err
	}
	res.Applied, res.Seq = true, seq
	return res, nil
}

// keepsKey returns an error when key is an active access key of cur that
// next deletes or deactivates.
func keepsKey(cur, next identity.Input, key string) error {
	active := func(in identity.Input) (found, isActive bool) {
		for _, k := range in.AccessKeys {
			if k.ID == key {
				return true, k.Status != identity.StatusInactive
			}
		}
		return false, false
	}
	if key == "" {
		return nil
	}
	if _, was := active(cur); !was {
		return nil
	}
	switch found, is := active(next); {
	case !found:
		return fmt.Errorf("accessKeys: the document deletes access key %s, which signed this request; list it (its id and user are enough) to keep it, or apply the document with another key", key)
	case !is:
		return fmt.Errorf("accessKeys: the document deactivates access key %s, which signed this request; apply the document with another key", key)
	}
	return nil
}

// A DocumentError is a document that does not make a valid configuration.
type DocumentError struct{ Err error }

func (e *DocumentError) Error() string { return e.Err.Error() }
func (e *DocumentError) Unwrap() error { return e.Err }

// resolveKeys fills in access keys: a key listed with its ID and no secret
// keeps the secret it has; a key with neither is created.
func (a *Applier) resolveKeys(in identity.Input, cur identity.Input) (identity.Input, []NewAccessKey, error) {
	have := map[string]identity.AccessKey{}
	for _, k := range cur.AccessKeys {
		have[k.ID] = k
	}
	var created []NewAccessKey
	keys := make([]identity.AccessKey, len(in.AccessKeys))
	for i, k := range in.AccessKeys {
		switch {
		case k.ID == "" && k.Secret == "":
			nk, err := identity.NewAccessKey(a.Random, k.User, a.Clock())
			if err != nil {
				return in, nil, err
			}
			nk.Status = k.Status
			k = nk
			created = append(created, NewAccessKey{ID: k.ID, User: k.User, Secret: k.Secret})
		case k.Secret == "":
			old, ok := have[k.ID]
			if !ok {
				return in, nil, &DocumentError{Err: fmt.Errorf("accessKeys[%d]: access key %s has no secret and does not exist; leave out both id and secret to create a key", i, k.ID)}
			}
			k.Secret = old.Secret
			if k.Created.IsZero() {
				k.Created = old.Created
			}
		}
		keys[i] = k
	}
	in.AccessKeys = keys
	return in, created, nil
}

// diffIndexed appends to out the entities of a kind created, changed and
// deleted between a and b (entities by name), in name order.
func diffIndexed(out []Change, kind string, a, b map[string]any) []Change {
	names := map[string]bool{}
	for n := range a {
		names[n] = true
	}
	for n := range b {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		x, inA := a[n]
		y, inB := b[n]
		switch {
		case !inA:
			out = append(out, Change{"create", kind, n})
		case !inB:
			out = append(out, Change{"delete", kind, n})
		case !sameJSON(x, y):
			out = append(out, Change{"update", kind, n})
		}
	}
	return out
}

// diffIdentity lists the entities created, changed and deleted.
func diffIdentity(cur, next identity.Input) []Change {
	var out []Change
	diff := func(kind string, a, b map[string]any) { out = diffIndexed(out, kind, a, b) }
	index := func(f func(identity.Input) map[string]any) (map[string]any, map[string]any) { return f(cur), f(next) }
	diff("organization", indexBy(cur.Organizations, func(o identity.Organization) string { return o.ID }), indexBy(next.Organizations, func(o identity.Organization) string { return o.ID }))
	diff("account", indexBy(cur.Accounts, func(a identity.Account) string { return a.ID }), indexBy(next.Accounts, func(a identity.Account) string { return a.ID }))
	diff("policy", indexBy(cur.Policies, func(p identity.ManagedPolicy) string { return p.ARN }), indexBy(next.Policies, func(p identity.ManagedPolicy) string { return p.ARN }))
	a, b := index(func(in identity.Input) map[string]any {
		return indexBy(in.Users, func(u identity.User) string { return iamARN(u.Account, "user", u.Path, u.Name) })
	})
	diff("user", a, b)
	a, b = index(func(in identity.Input) map[string]any {
		return indexBy(in.Roles, func(r identity.Role) string { return iamARN(r.Account, "role", r.Path, r.Name) })
	})
	diff("role", a, b)
	diff("accessKey", indexBy(cur.AccessKeys, func(k identity.AccessKey) string { return k.ID }), indexBy(next.AccessKeys, func(k identity.AccessKey) string { return k.ID }))
	return out
}

// diffNetwork lists the network components created, changed and deleted.
func diffNetwork(cur, next network.Config) []Change {
	var out []Change
	diff := func(kind string, a, b map[string]any) { out = diffIndexed(out, kind, a, b) }
	diff("vpc", indexBy(cur.VPCs, func(v network.VPC) string { return v.ID }), indexBy(next.VPCs, func(v network.VPC) string { return v.ID }))
	diff("subnet", indexBy(cur.Subnets, func(v network.Subnet) string { return v.ID }), indexBy(next.Subnets, func(v network.Subnet) string { return v.ID }))
	diff("routeTable", indexBy(cur.RouteTables, func(v network.RouteTable) string { return v.ID }), indexBy(next.RouteTables, func(v network.RouteTable) string { return v.ID }))
	diff("networkAcl", indexBy(cur.NetworkACLs, func(v network.NetworkACL) string { return v.ID }), indexBy(next.NetworkACLs, func(v network.NetworkACL) string { return v.ID }))
	diff("securityGroup", indexBy(cur.SecurityGroups, func(v network.SecurityGroup) string { return v.ID }), indexBy(next.SecurityGroups, func(v network.SecurityGroup) string { return v.ID }))
	diff("prefixList", indexBy(cur.PrefixLists, func(v network.PrefixList) string { return v.ID }), indexBy(next.PrefixLists, func(v network.PrefixList) string { return v.ID }))
	diff("networkInterface", indexBy(cur.NetworkInterfaces, func(v network.NetworkInterface) string { return v.ID }), indexBy(next.NetworkInterfaces, func(v network.NetworkInterface) string { return v.ID }))
	diff("interfaceEndpoint", indexBy(cur.InterfaceEndpoints, func(v network.InterfaceEndpoint) string { return v.ID }), indexBy(next.InterfaceEndpoints, func(v network.InterfaceEndpoint) string { return v.ID }))
	diff("endpointService", indexBy(cur.EndpointServices, func(v network.EndpointService) string { return v.ID }), indexBy(next.EndpointServices, func(v network.EndpointService) string { return v.ID }))
	diff("peeringConnection", indexBy(cur.PeeringConnections, func(v network.PeeringConnection) string { return v.ID }), indexBy(next.PeeringConnections, func(v network.PeeringConnection) string { return v.ID }))
	return out
}

// diffAPIs lists the REST APIs created, changed and deleted.
func diffAPIs(cur, next model.APIsConfig) []Change {
	key := func(a model.RestAPIConfig) string { return a.ID }
	return diffIndexed(nil, "restApi", indexBy(cur.RestAPIs, key), indexBy(next.RestAPIs, key))
}

func indexBy[T any](xs []T, key func(T) string) map[string]any {
	m := make(map[string]any, len(xs))
	for _, x := range xs {
		m[key(x)] = x
	}
	return m
}

func iamARN(account, kind, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + account + ":" + kind + path + name
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return reflect.DeepEqual(a, b)
	}
	var u, v any
	_ = json.Unmarshal(x, &u)
	_ = json.Unmarshal(y, &v)
	return reflect.DeepEqual(u, v)
}

// Export returns the configured Document, with secret access keys removed.
// Sections that were never applied are left out, except the identities.
func Export(ctx context.Context, st store.Store) (*Document, error) {
	var cur declared
	err := st.View(ctx, func(tx store.ReadTx) error {
		var err error
		cur, err = readDeclared(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	for i := range cur.identity.AccessKeys {
		cur.identity.AccessKeys[i].Secret = ""
	}
	d := &Document{Identity: &cur.identity}
	if cur.hasNetwork {
		d.Network = &cur.network
	}
	if cur.hasAPIs {
		d.APIs = &cur.apis
	}
	return d, nil
}

// The native API's paths and IAM actions.
const (
	NativeConfigurationPath = "/trellis/v1/configuration"
	// NativeSigningService is the SigV4 service name of the native API.
	NativeSigningService     = "trellis"
	ActionGetConfiguration   = "trellis:GetConfiguration"
	ActionApplyConfiguration = "trellis:ApplyConfiguration"
)

// nativeAPI serves the native configuration API.
type nativeAPI struct {
	authz   Authorizer
	applier *Applier
	region  string
	// wait blocks until the configuration reflects seq.
	wait    func(context.Context, uint64) error
	maxBody int64
	// limiter is nil without a rate limit; clock is its clock.
	limiter *rateLimiter
	clock   func() time.Time
}

func (n *nativeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != NativeConfigurationPath {
		writeNativeError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("no trellis API at %s; the configuration is at %s", r.URL.Path, NativeConfigurationPath), nil)
		return
	}
	caller, err := n.authz.Authenticate(r)
	if err != nil {
		writeAuthError(w, err)
		return
	}
	if n.limiter != nil {
		if ok, wait := n.limiter.take(caller.Account, n.clock()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
			w.Header().Set("X-Amzn-ErrorType", ErrTypeThrottling)
			writeNativeError(w, http.StatusTooManyRequests, ErrTypeThrottling, n.limiter.message(caller.Account), nil)
			return
		}
	}
	resource := "arn:aws:trellis:" + n.region + ":" + caller.Account + ":configuration"
	switch r.Method {
	case http.MethodGet:
		if err := n.authz.Authorize(r, caller, ActionGetConfiguration, resource); err != nil {
			writeAuthError(w, err)
			return
		}
		d, err := Export(r.Context(), n.applier.Store)
		if err != nil {
			writeNativeError(w, http.StatusInternalServerError, "InternalError", "the configuration could not be read", nil)
			return
		}
		writeJSON(w, http.StatusOK, d)
	case http.MethodPost, http.MethodPut:
		if err := n.authz.Authorize(r, caller, ActionApplyConfiguration, resource); err != nil {
			writeAuthError(w, err)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, n.maxBody+1))
		if err != nil || int64(len(body)) > n.maxBody {
			writeNativeError(w, http.StatusRequestEntityTooLarge, "RequestTooLarge", fmt.Sprintf("the document is larger than %d bytes", n.maxBody), nil)
			return
		}
		d, err := DecodeDocument(body)
		if err != nil {
			writeNativeError(w, http.StatusBadRequest, "ValidationException", "the document is not valid: "+err.Error(), nil)
			return
		}
		dry := r.URL.Query().Get("dryRun") == "true"
		res, err := n.applier.Apply(r.Context(), d, ApplyOptions{DryRun: dry, SigningKey: caller.AccessKeyID})
		var de *DocumentError
		switch {
		case errors.As(err, &de):
			writeNativeError(w, http.StatusBadRequest, "ValidationException", "the document does not make a valid configuration", splitErrors(de.Err))
			return
		case errors.Is(err, store.ErrConflict):
			writeNativeError(w, http.StatusConflict, "ConflictException", "the configuration changed while this document was applied; apply it again", nil)
			return
		case err != nil:
			writeNativeError(w, http.StatusInternalServerError, "InternalError", "the document could not be applied", nil)
			return
		}
		if res.Applied && n.wait != nil {
			if err := n.wait(r.Context(), res.Seq); err != nil {
				writeNativeError(w, http.StatusInternalServerError, "InternalError", "the change was stored but is not in effect yet", nil)
				return
			}
		}
		writeJSON(w, http.StatusOK, res)
	default:
		w.Header().Set("Allow", "GET, POST, PUT")
		writeNativeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not supported; use GET to read the configuration and POST to apply one", nil)
	}
}

func splitErrors(err error) []string {
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return strings.Split(err.Error(), "\n")
}

// nativeError is the JSON error shape of the native API.
type nativeError struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Errors  []string `json:"errors,omitempty"`
}

func writeNativeError(w http.ResponseWriter, status int, code, msg string, details []string) {
	writeJSON(w, status, nativeError{Code: code, Message: msg, Errors: details})
}

func writeAuthError(w http.ResponseWriter, err error) {
	var se *sigv4.Error
	if errors.As(err, &se) {
		writeNativeError(w, se.Status, se.Code, se.Message, nil)
		return
	}
	writeNativeError(w, http.StatusForbidden, "AccessDeniedException", err.Error(), nil)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
