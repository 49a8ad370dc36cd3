package controlplane

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/policy"
	"github.com/trellisproject/trellis/sigv4"
)

// IAMAuthorizer is the Authorizer of a running trellis: it verifies SigV4
// signatures against the current identities and decides with the caller's
// own policies (identity-based policies, permissions boundary, session
// policy, service control policies), as AWS decides calls to its APIs.
type IAMAuthorizer struct {
	verifier  *sigv4.Verifier
	directory func() *identity.Directory
	service   string
	region    string
	clock     func() time.Time
}

// directoryCredentials looks up access keys in the current Directory, so
// one verifier serves every configuration.
type directoryCredentials func() *identity.Directory

func (d directoryCredentials) Lookup(id string) (sigv4.Credential, bool) { return d().Lookup(id) }

// NewIAMAuthorizer returns an Authorizer for requests signed for service
// (such as "vpc-lattice") in region.
func NewIAMAuthorizer(region, service string, directory func() *identity.Directory, clock func() time.Time) (*IAMAuthorizer, error) {
	if clock == nil {
		clock = time.Now
	}
	v, err := sigv4.NewVerifier(sigv4.Config{Region: region, Credentials: directoryCredentials(directory), Clock: clock})
	if err != nil {
		return nil, err
	}
	return &IAMAuthorizer{verifier: v, directory: directory, service: service, region: region, clock: clock}, nil
}

// Authenticate verifies the signature and returns the caller.
func (a *IAMAuthorizer) Authenticate(r *http.Request) (Caller, error) {
	res, err := a.verifier.Verify(r, a.service)
	if err != nil {
		return Caller{}, err
	}
	c, ok := a.directory().Caller(res.AccessKeyID)
	if !ok {
		// The key was removed between verification and now.
		return Caller{}, &sigv4.Error{Code: sigv4.CodeInvalidClientTokenID, Message: "The security token included in the request is invalid.", Status: http.StatusForbidden}
	}
	return Caller{Account: c.Account(), ARN: c.ARN(), AccessKeyID: res.AccessKeyID}, nil
}

// Authorize evaluates the caller's policies for action on resourceARN.
func (a *IAMAuthorizer) Authorize(r *http.Request, caller Caller, action, resourceARN string) error {
	c, ok := a.directory().Caller(caller.AccessKeyID)
	if !ok {
		return AccessDenied(caller, action, resourceARN, "because the caller's credentials no longer exist")
	}
	ctx := policy.NewContext(c.ContextLen() + 8)
	c.AddContext(ctx)
	addRequestContext(ctx, r, a.region, a.clock())
	set := c.PolicySet()
	res := set.Evaluate(&policy.Request{
		Principal:       c.Principal(),
		Action:          action,
		Resource:        resourceARN,
		ResourceAccount: caller.Account,
		Context:         ctx,
	})
	switch res.Decision {
	case policy.Allow:
		return nil
	case policy.ExplicitDeny:
		return AccessDenied(caller, action, resourceARN, fmt.Sprintf("with an explicit deny in a %s", res.Type))
	}
	return AccessDenied(caller, action, resourceARN, fmt.Sprintf("because no %s allows the %s action", denyLayer(res.Type), action))
}

func denyLayer(t policy.PolicyType) string {
	switch t {
	case policy.ServiceControlPolicy:
		return "service control policy"
	case policy.PermissionsBoundary:
		return "permissions boundary"
	case policy.SessionPolicy:
		return "session policy"
	}
	return "identity-based policy"
}

// addRequestContext adds the global keys of the request itself: where it
// came from (the TCP peer, never a header), whether it used TLS, when and
// for which region.
func addRequestContext(ctx *policy.Context, r *http.Request, region string, now time.Time) {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ctx.Add("aws:SourceIp", host)
	}
	ctx.Add("aws:SecureTransport", strconv.FormatBool(r.TLS != nil))
	ctx.Add("aws:CurrentTime", now.UTC().Format(time.RFC3339))
	ctx.Add("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	ctx.Add("aws:RequestedRegion", region)
}
