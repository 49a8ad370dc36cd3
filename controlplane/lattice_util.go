package controlplane

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/store"
)

// awsTime encodes a time as the API's ISO 8601 timestamps, in UTC with
// milliseconds.
type awsTime time.Time

func (t awsTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

func tsp(t time.Time) *awsTime {
	if t.IsZero() {
		return nil
	}
	a := awsTime(t)
	return &a
}

// decode reads the JSON request body into v. An empty body is an empty
// object. Unknown members are ignored, as AWS services ignore them.
func (c *call) decode(v any) error {
	body := bytes.TrimSpace(c.body)
	if len(body) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &APIError{Status: 400, Type: ErrTypeValidation, Reason: model.ReasonCannotParse,
				Message: fmt.Sprintf("cannot parse the request body: %s must be a JSON %s", te.Field, jsonKind(te.Type.Kind().String())),
				Fields:  []model.FieldError{{Name: te.Field, Message: "must be a JSON " + jsonKind(te.Type.Kind().String())}}}
		}
		return errValidation(model.ReasonCannotParse, "cannot parse the request body as JSON: %v", err)
	}
	if d.More() {
		return errValidation(model.ReasonCannotParse, "cannot parse the request body: unexpected data after the JSON value")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int32", "int64":
		return "integer"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	}
	return "value of another type"
}

// An ident is a parsed resource identifier: an ID, or an ARN.
type ident struct {
	t   model.ResourceType
	id  string
	arn *model.ResourceARN
}

// parseIdent reads an identifier parameter that accepts the ID or the ARN
// of a resource of type t.
func parseIdent(field string, t model.ResourceType, s string) (ident, error) {
	if s == "" {
		return ident{}, errField(field, "is required")
	}
	id, arn, ok := model.ParseIdentifier(t, s)
	if !ok {
		return ident{}, errField(field, "must be the ID or ARN of a %s, got %q", describe(t), s)
	}
	return ident{t: t, id: id, arn: arn}, nil
}

// param reads and parses a path parameter.
func (c *call) param(name string, t model.ResourceType) (ident, error) {
	return parseIdent(name, t, c.params[name])
}

// arn returns the ARN used to authorise an action on the identified
// resource: the ARN given, or the one the ID has in the caller's account.
// parents are the service (and listener) IDs of listeners and rules.
func (c *call) arn(id ident, parents ...string) string {
	if id.arn != nil {
		return id.arn.String()
	}
	switch id.t {
	case model.TypeListener:
		return model.ListenerARN(c.api.region, c.caller.Account, parents[0], id.id)
	case model.TypeRule:
		return model.RuleARN(c.api.region, c.caller.Account, parents[0], parents[1], id.id)
	}
	return model.NewARN(c.api.region, c.caller.Account, id.t, id.id)
}

// pattern returns the ARN pattern of new resources of type t in the caller's
// account, such as "arn:aws:vpc-lattice:us-west-2:111122223333:service/*".
func (c *call) pattern(t model.ResourceType) string {
	return "arn:" + model.Partition + ":" + model.ARNService + ":" + c.api.region + ":" + c.caller.Account + ":" + t.ARNType() + "/*"
}

// owned reports whether a resource is the caller's and, when it was named
// by ARN, the ARN names it in this region and account.
func (c *call) owned(m *model.Meta, id ident) bool {
	if m.Account != c.caller.Account {
		return false
	}
	if id.arn != nil && (id.arn.Region != c.api.region || id.arn.Account != c.caller.Account) {
		return false
	}
	return true
}

type metadater interface{ Metadata() *model.Meta }

// load reads the resource an identifier names, checking it belongs to the
// caller; a missing resource is a ResourceNotFoundException.
func load[T any, PT interface {
	*T
	metadater
}](c *call, tx store.ReadTx, id ident) (PT, store.Record, error) {
	rec, err := tx.Get(store.Kind(model.KindOf(id.t)), id.id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, rec, errNotFound(id.t, id.id)
	}
	if err != nil {
		return nil, rec, err
	}
	v := PT(new(T))
	if err := json.Unmarshal(rec.Body, v); err != nil {
		return nil, rec, fmt.Errorf("decoding %s %s: %w", rec.Kind, rec.ID, err)
	}
	if !c.owned(v.Metadata(), id) {
		return nil, rec, errNotFound(id.t, id.id)
	}
	return v, rec, nil
}

// getBody reads and decodes a record; found is false if there is none.
func getBody(tx store.ReadTx, kind, id string, v any) (rec store.Record, found bool, err error) {
	rec, err = tx.Get(store.Kind(kind), id)
	if errors.Is(err, store.ErrNotFound) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	if err := json.Unmarshal(rec.Body, v); err != nil {
		return rec, false, fmt.Errorf("decoding %s %s: %w", kind, id, err)
	}
	return rec, true, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the model's types always encode
	}
	return b
}

// create stores a new record. A name already taken is a ConflictException.
func create(tx store.Tx, kind, id, parent, name string, body any, t model.ResourceType) error {
	_, err := tx.Create(store.Record{Kind: store.Kind(kind), ID: id, Parent: parent, Name: name, Body: mustJSON(body)})
	if errors.Is(err, store.ErrNameTaken) {
		return errConflict(t, name, "a %s named %s already exists", describe(t), name)
	}
	return err
}

// put replaces a record read in the same transaction.
func put(tx store.Tx, rec store.Record, body any) error {
	rec.Body = mustJSON(body)
	_, err := tx.Put(rec)
	return err
}

func del(tx store.Tx, kind, id string) error {
	err := tx.Delete(store.Kind(kind), id, 0)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// Pagination.

const defaultPageSize = 50

type page struct {
	limit int
	after string
}

// page reads maxResults (1 to 100) and nextToken from the query string.
func (c *call) page() (page, error) {
	q := c.r.URL.Query()
	p := page{limit: defaultPageSize, after: q.Get("nextToken")}
	if s := q.Get("maxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return p, errField("maxResults", "must be an integer between 1 and 100, got %q", s)
		}
		p.limit = n
	}
	if _, ok := q["nextToken"]; ok && (p.after == "" || len(p.after) > 2048) {
		return p, errField("nextToken", "must be between 1 and 2048 characters long")
	}
	return p, nil
}

// list reads one page of records of kind under parent.
func list(tx store.ReadTx, kind, parent string, p page) ([]store.Record, string, error) {
	recs, next, err := tx.List(store.Kind(kind), store.ListOptions{Parent: parent, Limit: p.limit, After: p.after})
	if errors.Is(err, store.ErrBadToken) {
		return nil, "", errField("nextToken", "is not a valid pagination token for this request")
	}
	return recs, next, err
}

// A listPage is the answer of a List call: one page of items.
type listPage[O any] struct {
	Items     []O     `json:"items"`
	NextToken *string `json:"nextToken,omitempty"`
}

// readPage reads one page of the records of kind under parent, decodes
// each as a T and turns it into an item with item, which may leave it out
// by returning false.
func readPage[T, O any](tx store.ReadTx, kind, parent string, p page, item func(*T) (O, bool, error)) (listPage[O], error) {
	out := listPage[O]{Items: []O{}}
	recs, next, err := list(tx, kind, parent, p)
	if err != nil {
		return out, err
	}
	ts, err := decodeAll[T](recs)
	if err != nil {
		return out, err
	}
	for _, t := range ts {
		o, keep, err := item(t)
		if err != nil {
			return out, err
		}
		if keep {
			out.Items = append(out.Items, o)
		}
	}
	out.NextToken = nextp(next)
	return out, nil
}

// listAll reads every record of kind under parent.
func listAll(tx store.ReadTx, kind, parent string) ([]store.Record, error) {
	var all []store.Record
	after := ""
	for {
		recs, next, err := tx.List(store.Kind(kind), store.ListOptions{Parent: parent, Limit: store.MaxListLimit, After: after})
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
		if next == "" {
			return all, nil
		}
		after = next
	}
}

func decodeAll[T any](recs []store.Record) ([]*T, error) {
	out := make([]*T, 0, len(recs))
	for _, r := range recs {
		v := new(T)
		if err := json.Unmarshal(r.Body, v); err != nil {
			return nil, fmt.Errorf("decoding %s %s: %w", r.Kind, r.ID, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nextp(s string) *string { return strp(s) }

// Idempotency: a creation with a clientToken records the token with a hash
// of the request and the response. A retry with the same token and the same
// parameters gets the recorded response without creating anything; with
// other parameters it gets a ConflictException.

const kindClientToken = "vpclattice.clienttoken"

type tokenRecord struct {
	Operation string          `json:"operation"`
	Hash      string          `json:"hash"`
	Created   time.Time       `json:"created"`
	Response  json.RawMessage `json:"response"`
}

func (c *call) tokenKey(token string) string {
	return c.caller.Account + "/" + c.op.Name + "/" + token
}

// requestHash hashes the operation, its path parameters and its input
// without the client token.
func requestHash(op string, params map[string]string, input any) string {
	h := sha256.New()
	h.Write([]byte(op))
	for _, k := range sortedKeys(params) {
		fmt.Fprintf(h, "\x00%s=%s", k, params[k])
	}
	h.Write([]byte{0})
	h.Write(mustJSON(input))
	return hex.EncodeToString(h.Sum(nil))
}

// replay looks a client token up. If it was used for this operation within
// the idempotency window it returns the recorded response (or a
// ConflictException if the parameters differ).
func (c *call) replay(tx store.ReadTx, token, hash string) (json.RawMessage, bool, error) {
	if token == "" {
		return nil, false, nil
	}
	var t tokenRecord
	_, found, err := getBody(tx, kindClientToken, c.tokenKey(token), &t)
	if err != nil || !found || c.now.Sub(t.Created) > c.api.idemTTL {
		return nil, false, err
	}
	if t.Hash != hash {
		return nil, false, errConflictType("CLIENT_TOKEN", token,
			"the client token %s was already used for a %s request with different parameters", token, c.op.Name)
	}
	return t.Response, true, nil
}

// remember records a client token with the response of the creation.
func (c *call) remember(tx store.Tx, token, hash string, response any) error {
	if token == "" {
		return nil
	}
	key := c.tokenKey(token)
	body := mustJSON(tokenRecord{Operation: c.op.Name, Hash: hash, Created: c.now, Response: mustJSON(response)})
	rec, err := tx.Get(kindClientToken, key)
	switch {
	case err == nil: // an expired record
		rec.Body = body
		_, err = tx.Put(rec)
		return err
	case errors.Is(err, store.ErrNotFound):
		_, err = tx.Create(store.Record{Kind: kindClientToken, ID: key, Parent: c.caller.Account, Body: body})
		return err
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// Tags.

func (c *call) validateTags(field string, tags map[string]string) error {
	var v model.Validator
	v.Tags(field, tags)
	return v.Err()
}

// saveTags stores the tags of a new resource.
func (c *call) saveTags(tx store.Tx, resourceID, arn string, tags map[string]string) error {
	if len(tags) == 0 {
		return nil
	}
	_, err := tx.Create(store.Record{Kind: model.KindTags, ID: resourceID, Parent: c.caller.Account,
		Body: mustJSON(model.Tags{ResourceID: resourceID, ResourceARN: arn, Account: c.caller.Account, Tags: tags})})
	return err
}

// deleteOwned removes what belongs to a deleted resource: its tags, and for
// service networks and services their policies and access-log
// subscriptions.
func deleteOwned(tx store.Tx, resourceID string) error {
	if err := del(tx, model.KindTags, resourceID); err != nil {
		return err
	}
	switch model.TypeOfID(resourceID) {
	case model.TypeServiceNetwork, model.TypeService:
		if err := del(tx, model.KindAuthPolicy, resourceID); err != nil {
			return err
		}
		if err := del(tx, model.KindResourcePolicy, resourceID); err != nil {
			return err
		}
		als, err := listAll(tx, model.KindAccessLogSubscription, resourceID)
		if err != nil {
			return err
		}
		for _, r := range als {
			if err := del(tx, model.KindAccessLogSubscription, r.ID); err != nil {
				return err
			}
			if err := del(tx, model.KindTags, r.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// view and update run a function in one store transaction.
func (c *call) view(fn func(tx store.ReadTx) error) error {
	return c.api.store.View(c.ctx, fn)
}

func (c *call) update(fn func(tx store.Tx) error) error {
	_, err := c.api.store.Update(c.ctx, fn)
	return err
}

func lower(s string) string { return strings.ToLower(s) }
