package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/policy"
	"github.com/trellisproject/trellis/store"
)

// LatticeConfig configures the VPC Lattice API.
type LatticeConfig struct {
	// Store keeps the resources. Required.
	Store store.Store
	// Authorizer authenticates and authorises every request. Required.
	Authorizer Authorizer
	// Region is the region the API serves; it is the region of every ARN
	// and DNS name it issues. Required.
	Region string
	// Rand supplies the randomness of resource IDs. Nil means
	// crypto/rand.Reader.
	Rand io.Reader
	// Clock gives the time of createdAt and lastUpdatedAt. Nil means
	// time.Now.
	Clock func() time.Time
	// Quotas are the service quotas enforced. Nil means
	// model.DefaultQuotas().
	Quotas *model.Quotas
	// DNSSuffix is the suffix of the DNS names given to services (see
	// model.ServiceDNSName). Empty means "vpc-lattice-svcs.REGION.on.aws".
	DNSSuffix string
	// Logger receives internal errors. Nil means slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies. Zero means 1 MiB.
	MaxBodyBytes int64
	// RateLimit, when positive, is how many requests per second each account
	// may make, with bursts of RateBurst (at least 1); more are refused with
	// ThrottlingException (429) and a Retry-After header. The limit is per
	// account, as AWS throttles its APIs, and not per caller ARN: anyone
	// allowed to assume a role can mint new session ARNs at will, so a
	// per-ARN limit would bound nothing.
	RateLimit float64
	RateBurst int
	// IdempotencyWindow is how long a clientToken is remembered. Zero means
	// 24 hours.
	IdempotencyWindow time.Duration
	// TargetHealth, when not nil, reports the health of a registered
	// target of a target group in use, for ListTargets; see
	// TargetHealthFunc.
	TargetHealth TargetHealthFunc
}

// A TargetHealthFunc returns the status (HEALTHY, UNHEALTHY or INITIAL)
// and reason code of a registered target, named by target group ID, IP
// address and port; ok is false when the target is not health checked,
// and ListTargets then reports it UNAVAILABLE. The gateway's
// HealthChecker.TargetHealth is one.
type TargetHealthFunc func(targetGroupID, ip string, port int) (status, reason string, ok bool)

// LatticeAPI serves the VPC Lattice control-plane API (REST JSON, the same
// paths, methods, status codes and JSON shapes as Amazon VPC Lattice) so
// that the AWS SDKs, the AWS CLI and Terraform can manage trellis. It is an
// http.Handler; every request is one store transaction.
type LatticeAPI struct {
	store     store.Store
	authz     Authorizer
	region    string
	rand      io.Reader
	randMu    sync.Mutex
	clock     func() time.Time
	quotas    model.Quotas
	dnsSuffix string
	log       *slog.Logger
	maxBody   int64
	idemTTL   time.Duration
	limiter   *rateLimiter
	health    TargetHealthFunc
}

// NewLatticeAPI returns the API for a configuration.
func NewLatticeAPI(c LatticeConfig) (*LatticeAPI, error) {
	switch {
	case c.Store == nil:
		return nil, errors.New("controlplane: LatticeConfig.Store is required")
	case c.Authorizer == nil:
		return nil, errors.New("controlplane: LatticeConfig.Authorizer is required")
	case c.Region == "":
		return nil, errors.New("controlplane: LatticeConfig.Region is required")
	}
	a := &LatticeAPI{
		store: c.Store, authz: c.Authorizer, region: c.Region,
		rand: c.Rand, clock: c.Clock, dnsSuffix: c.DNSSuffix, log: c.Logger,
		maxBody: c.MaxBodyBytes, idemTTL: c.IdempotencyWindow, health: c.TargetHealth,
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	if a.clock == nil {
		a.clock = time.Now
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.maxBody <= 0 {
		a.maxBody = 1 << 20
	}
	if a.idemTTL <= 0 {
		a.idemTTL = 24 * time.Hour
	}
	if c.Quotas != nil {
		a.quotas = *c.Quotas
	} else {
		a.quotas = model.DefaultQuotas()
	}
	if c.RateLimit > 0 {
		a.limiter = newRateLimiter(c.RateLimit, c.RateBurst, maxRateLimitKeys)
	}
	return a, nil
}

// Region returns the region the API serves.
func (a *LatticeAPI) Region() string { return a.region }

// call is one request being served.
type call struct {
	api        *LatticeAPI
	ctx        context.Context
	r          *http.Request
	op         *operation
	caller     Caller
	params     map[string]string
	body       []byte
	now        time.Time
	authorized bool
}

// ServeHTTP serves one API request.
func (a *LatticeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := a.requestID()
	w.Header().Set("X-Amzn-RequestId", reqID)
	status, out, err := a.serve(r)
	if err != nil {
		e, internal := toAPIError(err)
		if internal {
			a.log.Error("vpc-lattice API: internal error", "requestId", reqID, "method", r.Method, "path", r.URL.EscapedPath(), "error", err)
		}
		e.write(w)
		return
	}
	if out == nil || status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		a.log.Error("vpc-lattice API: encoding a response", "requestId", reqID, "error", err)
		errInternal().write(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func (a *LatticeAPI) serve(r *http.Request) (int, any, error) {
	caller, err := a.authz.Authenticate(r)
	if err != nil {
		return 0, nil, err
	}
	if !policy.IsAccountID(caller.Account) {
		return 0, nil, fmt.Errorf("controlplane: the authorizer returned the account %q, which is not a 12-digit account ID", caller.Account)
	}
	if a.limiter != nil {
		if ok, wait := a.limiter.take(caller.Account, a.clock()); !ok {
			e := errThrottling("%s", a.limiter.message(caller.Account))
			e.RetryAfterSeconds = retryAfterSeconds(wait)
			return 0, nil, e
		}
	}
	op, params, err := route(r)
	if err != nil {
		return 0, nil, err
	}
	c := &call{api: a, ctx: r.Context(), r: r, op: op, caller: caller, params: params,
		now: a.clock().UTC().Truncate(time.Millisecond)}
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, a.maxBody+1))
		if err != nil {
			return 0, nil, errValidation(model.ReasonCannotParse, "reading the request body: %v", err)
		}
		if int64(len(b)) > a.maxBody {
			return 0, nil, errValidation(model.ReasonOther, "the request body is larger than %d bytes", a.maxBody)
		}
		c.body = b
	}
	out, err := op.handle(c)
	if err != nil {
		return 0, nil, err
	}
	if !c.authorized {
		return 0, nil, fmt.Errorf("controlplane: %s completed without an authorization check", op.Name)
	}
	return op.Status, out, nil
}

// authorize asks the Authorizer whether the caller may perform action (the
// name after "vpc-lattice:") on each of resources.
func (c *call) authorize(action string, resources ...string) error {
	for _, res := range resources {
		if err := c.api.authz.Authorize(c.r, c.caller, "vpc-lattice:"+action, res); err != nil {
			return err
		}
	}
	c.authorized = true
	return nil
}

// authorizeTags also asks for TagResource when a creation carries tags.
func (c *call) authorizeTags(tags map[string]string, resource string) error {
	if len(tags) == 0 {
		return nil
	}
	return c.authorize("TagResource", resource)
}

func (a *LatticeAPI) newID(t model.ResourceType) (string, error) {
	a.randMu.Lock()
	defer a.randMu.Unlock()
	return model.NewID(a.rand, t)
}

func (a *LatticeAPI) requestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "00000000-0000-0000-0000-000000000000"
	}
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
