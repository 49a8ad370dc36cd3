package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/policy"
	"github.com/trellisproject/trellis/sigv4"
)

// STSConfig configures an STSHandler.
type STSConfig struct {
	// Directory returns the current identity snapshot. The configuration
	// is swapped atomically; each request is served from the snapshot it
	// got first. Required.
	Directory func() *identity.Directory
	// Region is the region this endpoint serves: requests must be signed
	// for it (service "sts"). Required.
	Region string
	// Clock is the only clock the handler reads (signature times, session
	// issue and expiry). Nil means time.Now.
	Clock func() time.Time
	// Random supplies new credentials and request IDs. Nil means
	// crypto/rand.Reader.
	Random io.Reader
	// SaveSession persists a session AssumeRole issued. It must return
	// only once the session is durable and visible through Directory, so
	// that the very next request can use the new credentials; the
	// credentials are sent only after it succeeded. Nil disables
	// AssumeRole.
	SaveSession func(context.Context, identity.Session) error
	// Logger receives one record per request (never secrets). Nil
	// discards.
	Logger *slog.Logger
	// RateLimit, when positive, is how many requests per second each
	// account may make, with bursts of RateBurst (at least 1); more are
	// refused as AWS STS refuses them: 400 with the error code Throttling,
	// and a Retry-After header.
	RateLimit float64
	RateBurst int
	// MaxSkew is how far a request's signing time may be from the clock;
	// zero means the sigv4 default (5 minutes).
	MaxSkew time.Duration
}

// maxSTSBody bounds the body of an STS request. AssumeRole's largest
// parameters (a 2,048-character policy, 50 tags) fit many times over.
const maxSTSBody = 256 << 10

// STSHandler is an http.Handler speaking AWS STS's query protocol. It
// implements GetCallerIdentity and AssumeRole; every request must be signed
// with SigV4 (service "sts") by a key of the current identity.Directory.
type STSHandler struct {
	cfg    STSConfig
	log    *slog.Logger
	snap   atomic.Pointer[verifierSnapshot]
	nextID atomic.Uint64
	// limiter is nil without a rate limit.
	limiter *rateLimiter
}

// verifierSnapshot is the verifier of one Directory snapshot.
type verifierSnapshot struct {
	dir *identity.Directory
	v   *sigv4.Verifier
}

// NewSTSHandler returns a handler for the configuration.
func NewSTSHandler(cfg STSConfig) (*STSHandler, error) {
	if cfg.Directory == nil {
		return nil, errors.New("controlplane: STSConfig.Directory is required")
	}
	if cfg.Region == "" {
		return nil, errors.New("controlplane: STSConfig.Region is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	h := &STSHandler{cfg: cfg, log: cfg.Logger}
	if cfg.RateLimit > 0 {
		h.limiter = newRateLimiter(cfg.RateLimit, cfg.RateBurst, maxRateLimitKeys)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	// Fail now, not on the first request, if the verifier cannot be built.
	if _, err := sigv4.NewVerifier(h.verifierConfig(identityStoreless{})); err != nil {
		return nil, err
	}
	return h, nil
}

type identityStoreless struct{}

func (identityStoreless) Lookup(string) (sigv4.Credential, bool) { return sigv4.Credential{}, false }

func (h *STSHandler) verifierConfig(store sigv4.CredentialStore) sigv4.Config {
	return sigv4.Config{Region: h.cfg.Region, Credentials: store, Clock: h.cfg.Clock, MaxSkew: h.cfg.MaxSkew, MaxBodyBytes: maxSTSBody}
}

// verifier returns the verifier of a Directory snapshot, building it the
// first time the snapshot is seen.
func (h *STSHandler) verifier(d *identity.Directory) (*sigv4.Verifier, error) {
	if s := h.snap.Load(); s != nil && s.dir == d {
		return s.v, nil
	}
	v, err := sigv4.NewVerifier(h.verifierConfig(d))
	if err != nil {
		return nil, err
	}
	h.snap.Store(&verifierSnapshot{dir: d, v: v})
	return v, nil
}

// requestID returns a new request ID in AWS's UUID form.
func (h *STSHandler) requestID() string {
	var b [16]byte
	if _, err := io.ReadFull(h.cfg.Random, b[:]); err != nil {
		n := h.nextID.Add(1)
		for i := range 8 {
			b[15-i] = byte(n >> (8 * i))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b[:])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// stsError is an error answered in STS's shape.
type stsError struct {
	code, message string
	status        int
	// retryAfter, when positive, is sent as the Retry-After header.
	retryAfter int
}

func (e *stsError) Error() string { return e.code + ": " + e.message }

// The STS actions trellis does not implement, for a clearer InvalidAction.
var unimplementedActions = []string{
	"AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "AssumeRoot", "DecodeAuthorizationMessage",
	"GetAccessKeyInfo", "GetDelegatedAccessToken", "GetFederationToken", "GetSessionToken", "GetWebIdentityToken",
}

// ServeHTTP serves one STS request.
func (h *STSHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.cfg.Clock()
	reqID := h.requestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	attrs := []slog.Attr{slog.String("request_id", reqID), slog.String("remote", r.RemoteAddr)}

	status, body, err := h.serve(r, reqID, &attrs)
	if err != nil {
		var ae *stsError
		if !errors.As(err, &ae) {
			h.log.LogAttrs(r.Context(), slog.LevelError, "sts: internal error", append(attrs, slog.String("error", err.Error()))...)
			ae = &stsError{code: identity.CodeInternalFailure, message: "We encountered an internal error. Please try again.", status: http.StatusInternalServerError}
		}
		status, body = ae.status, stsErrorBody(ae, reqID)
		if ae.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(ae.retryAfter))
		}
		attrs = append(attrs, slog.String("code", ae.code), slog.String("message", ae.message))
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
	attrs = append(attrs, slog.Int("status", status), slog.Duration("duration", h.cfg.Clock().Sub(start)))
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "sts request", attrs...)
}

func stsErrorBody(e *stsError, reqID string) []byte {
	var x errorResponse
	x.Error.Type = "Sender"
	if e.status >= 500 {
		x.Error.Type = "Receiver"
	}
	x.Error.Code, x.Error.Message, x.RequestID = e.code, e.message, reqID
	return marshalXML(x)
}

func marshalXML(v any) []byte {
	b, err := xml.Marshal(v)
	if err != nil {
		panic(err) // the types are fixed; this cannot fail
	}
	return append([]byte(xml.Header[:len(xml.Header)-1]), b...)
}

// serve authenticates the request and runs its action. It returns the status
// and body of a successful answer, or an error (an *stsError for those sent
// to the client).
func (h *STSHandler) serve(r *http.Request, reqID string, attrs *[]slog.Attr) (int, []byte, error) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return 0, nil, &stsError{code: "InvalidAction", status: http.StatusBadRequest,
			message: "STS accepts GET and POST requests, not " + r.Method + "."}
	}
	d := h.cfg.Directory()
	if d == nil {
		return 0, nil, errors.New("no identity directory is loaded")
	}
	v, err := h.verifier(d)
	if err != nil {
		return 0, nil, err
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(nil, r.Body, maxSTSBody)
	}
	res, err := v.Verify(r, "sts")
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			*attrs = append(*attrs, slog.String("access_key_id", res.AccessKeyID))
			return 0, nil, &stsError{code: se.Code, message: se.Message, status: se.Status}
		}
		return 0, nil, &stsError{code: "MalformedQueryString", status: http.StatusBadRequest, message: "The request body could not be read."}
	}
	caller, ok := d.Caller(res.AccessKeyID)
	if !ok {
		return 0, nil, errors.New("verified access key " + res.AccessKeyID + " has no caller")
	}
	*attrs = append(*attrs, slog.String("access_key_id", res.AccessKeyID), slog.String("caller", caller.ARN()))
	if h.limiter != nil {
		if ok, wait := h.limiter.take(caller.Account(), h.cfg.Clock()); !ok {
			return 0, nil, &stsError{code: "Throttling", status: http.StatusBadRequest,
				message: h.limiter.message(caller.Account()), retryAfter: retryAfterSeconds(wait)}
		}
	}

	params, err := readParams(r)
	if err != nil {
		return 0, nil, err
	}
	action := params.Get("Action")
	*attrs = append(*attrs, slog.String("action", action))
	if version := params.Get("Version"); version != "" && version != stsVersion {
		return 0, nil, &stsError{code: "InvalidAction", status: http.StatusBadRequest,
			message: "Could not find operation " + action + " for version " + version}
	}
	switch action {
	case "GetCallerIdentity":
		// No permission is needed, as in AWS.
		var x getCallerIdentityResponse
		x.Result.Arn, x.Result.UserID, x.Result.Account = caller.ARN(), caller.UserID(), caller.Account()
		x.ResponseMetadata.RequestID = reqID
		return http.StatusOK, marshalXML(x), nil
	case "AssumeRole":
		return h.assumeRole(r, d, caller, params, reqID, attrs)
	case "":
		return 0, nil, &stsError{code: "MissingAction", status: http.StatusBadRequest, message: "Missing Action"}
	}
	if slices.Contains(unimplementedActions, action) {
		return 0, nil, &stsError{code: "InvalidAction", status: http.StatusBadRequest,
			message: "trellis does not implement the STS action " + action + "; it implements GetCallerIdentity and AssumeRole."}
	}
	return 0, nil, &stsError{code: "InvalidAction", status: http.StatusBadRequest,
		message: "Could not find operation " + action + " for version " + stsVersion}
}

// readParams returns the query parameters and, for a form POST, the body's.
// Body parameters come first; the X-Amz-* parameters of a presigned URL are
// left out.
func readParams(r *http.Request) (url.Values, error) {
	params := url.Values{}
	if r.Method == http.MethodPost && r.Body != nil {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || mt != "application/x-www-form-urlencoded" {
				return nil, &stsError{code: "InvalidAction", status: http.StatusBadRequest,
					message: "STS request bodies are application/x-www-form-urlencoded, not " + ct + "."}
			}
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, &stsError{code: "MalformedQueryString", status: http.StatusBadRequest, message: "The request body is too large or could not be read."}
		}
		if params, err = url.ParseQuery(string(body)); err != nil {
			return nil, &stsError{code: "MalformedQueryString", status: http.StatusBadRequest, message: "The request body is not a valid form: " + err.Error()}
		}
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &stsError{code: "MalformedQueryString", status: http.StatusBadRequest, message: "The query string is not valid: " + err.Error()}
	}
	for k, vs := range query {
		if _, ok := params[k]; !ok && !strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			params[k] = vs
		}
	}
	return params, nil
}

// memberList returns PREFIX.member.N[SUFFIX] values in the order of N.
func memberList(params url.Values, prefix, suffix string) []string {
	type item struct {
		n int
		v string
	}
	var items []item
	for k, vs := range params {
		rest, ok := strings.CutPrefix(k, prefix+".member.")
		if !ok {
			continue
		}
		num, ok := strings.CutSuffix(rest, suffix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 {
			continue
		}
		items = append(items, item{n, vs[0]})
	}
	slices.SortFunc(items, func(a, b item) int { return a.n - b.n })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	return out
}

// tagList returns the Tags.member.N.Key and Tags.member.N.Value parameters,
// paired by N and in the order of N. A tag with a key but no value, or the
// reverse, is a ValidationError, as the API model requires both.
func tagList(params url.Values) ([]identity.Tag, error) {
	type member struct {
		n              int
		key, value     string
		hasKey, hasVal bool
	}
	byN := map[int]*member{}
	for k, vs := range params {
		rest, ok := strings.CutPrefix(k, "Tags.member.")
		if !ok {
			continue
		}
		num, field, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 1 || (field != "Key" && field != "Value") {
			continue
		}
		m := byN[n]
		if m == nil {
			m = &member{n: n}
			byN[n] = m
		}
		if field == "Key" {
			m.key, m.hasKey = vs[0], true
		} else {
			m.value, m.hasVal = vs[0], true
		}
	}
	members := slices.SortedFunc(maps.Values(byN), func(a, b *member) int { return a.n - b.n })
	var tags []identity.Tag
	var vs []identity.Violation
	for i, m := range members {
		prefix := "tags." + strconv.Itoa(i+1) + ".member."
		if !m.hasKey {
			vs = append(vs, identity.Violation{Member: prefix + "key", Null: true, Constraint: "Member must not be null"})
		}
		if !m.hasVal {
			vs = append(vs, identity.Violation{Member: prefix + "value", Null: true, Constraint: "Member must not be null"})
		}
		tags = append(tags, identity.Tag{Key: m.key, Value: m.value})
	}
	if len(vs) > 0 {
		return nil, stsAPIError(identity.NewValidationError(vs...))
	}
	return tags, nil
}

func (h *STSHandler) assumeRole(r *http.Request, d *identity.Directory, caller *identity.Caller, params url.Values, reqID string, attrs *[]slog.Attr) (int, []byte, error) {
	if h.cfg.SaveSession == nil {
		return 0, nil, &stsError{code: "InvalidAction", status: http.StatusBadRequest,
			message: "AssumeRole is not enabled on this endpoint (no session store is configured)."}
	}
	in := identity.AssumeRoleInput{
		RoleARN:           params.Get("RoleArn"),
		RoleSessionName:   params.Get("RoleSessionName"),
		Policy:            params.Get("Policy"),
		PolicyARNs:        memberList(params, "PolicyArns", ".arn"),
		TransitiveTagKeys: memberList(params, "TransitiveTagKeys", ""),
		ExternalID:        params.Get("ExternalId"),
		SourceIdentity:    params.Get("SourceIdentity"),
		SerialNumber:      params.Get("SerialNumber"),
		TokenCode:         params.Get("TokenCode"),
	}
	tags, err := tagList(params)
	if err != nil {
		return 0, nil, err
	}
	in.Tags = tags
	if ds, ok := params["DurationSeconds"]; ok {
		n, err := strconv.Atoi(ds[0])
		switch {
		case err != nil:
			return 0, nil, stsAPIError(identity.NewValidationError(identity.Violation{Member: "durationSeconds", Value: ds[0], Constraint: "Member must be an integer"}))
		case n == 0:
			return 0, nil, stsAPIError(identity.NewValidationError(identity.Violation{Member: "durationSeconds", Value: "0",
				Constraint: "Member must have value greater than or equal to " + strconv.Itoa(identity.MinAssumeRoleDuration)}))
		}
		in.DurationSeconds = n
	}
	*attrs = append(*attrs, slog.String("role_arn", in.RoleARN), slog.String("role_session_name", in.RoleSessionName))

	now := h.cfg.Clock()
	s, err := d.AssumeRole(caller, requestContext(r, h.cfg.Region, now), in, now, h.cfg.Random)
	if err != nil {
		var e *identity.Error
		if errors.As(err, &e) {
			if e.Reason != "" {
				*attrs = append(*attrs, slog.String("reason", e.Reason))
			}
			if e.Result.Type != policy.NoPolicyType {
				*attrs = append(*attrs, slog.String("decision", e.Result.String()))
			}
			return 0, nil, stsAPIError(e)
		}
		return 0, nil, err
	}
	if err := h.cfg.SaveSession(r.Context(), s); err != nil {
		return 0, nil, fmt.Errorf("saving session %s: %w", s.AccessKeyID, err)
	}
	*attrs = append(*attrs, slog.String("session_access_key_id", s.AccessKeyID), slog.Time("expires", s.Expires))

	var x assumeRoleResponse
	x.Result.SourceIdentity = s.SourceIdentity
	x.Result.AssumedRoleUser = assumedRoleUser{Arn: s.PrincipalARN(), AssumedRoleID: s.AssumedRoleID()}
	x.Result.Credentials = credentialsXML{
		AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken,
		Expiration: s.Expires.UTC().Format(time.RFC3339),
	}
	if in.Policy != "" || len(in.PolicyARNs) > 0 || len(in.Tags) > 0 {
		x.Result.PackedPolicySize = &s.PackedPolicySize
	}
	x.ResponseMetadata.RequestID = reqID
	return http.StatusOK, marshalXML(x), nil
}

func stsAPIError(e *identity.Error) *stsError {
	return &stsError{code: e.Code, message: e.Message, status: e.Status}
}

// requestContext returns the condition keys of the request itself.
func requestContext(r *http.Request, region string, now time.Time) *policy.Context {
	ctx := policy.NewContext(6)
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ctx.Set("aws:SourceIp", host)
	}
	ctx.Set("aws:SecureTransport", strconv.FormatBool(r.TLS != nil))
	ctx.Set("aws:CurrentTime", now.UTC().Format(time.RFC3339))
	ctx.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	ctx.Set("aws:RequestedRegion", region)
	if ua := r.UserAgent(); ua != "" {
		ctx.Set("aws:UserAgent", ua)
	}
	return ctx
}
