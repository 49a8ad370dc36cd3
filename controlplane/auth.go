package controlplane

import (
	"errors"
	"fmt"
	"net/http"
)

// A Caller is who made a control-plane request, as the Authorizer
// established it.
type Caller struct {
	// Account is the caller's 12-digit AWS account ID. The resources the
	// caller creates belong to it, and it is the account of their ARNs.
	Account string
	// ARN is the caller's ARN (a user, a role session, a root user), for
	// logs and messages.
	ARN string
	// AccessKeyID is the access key that signed the request.
	AccessKeyID string
}

// An Authorizer authenticates and authorises control-plane requests. The
// API calls Authenticate once per request, before anything else, then
// Authorize once for every IAM action and resource the operation needs,
// before it reads or changes anything.
//
// Action is the IAM action of the Service Authorization Reference for VPC
// Lattice, such as "vpc-lattice:CreateService" (BatchUpdateRule is
// "vpc-lattice:UpdateRule"; creating a resource with tags also needs
// "vpc-lattice:TagResource"). ResourceARN is the ARN of the resource acted
// on, in the caller's account and the server's region; for creations it is
// the ARN pattern of the new resource ("...:service/*",
// "...:service/svc-0123456789abcdef0/listener/*") and for listings without
// a parent "*".
//
// Errors: an error wrapping ErrAccessDenied becomes an
// AccessDeniedException (403); a *sigv4.Error becomes the error its Code and
// Status name (InvalidSignatureException, MissingAuthenticationToken, ...);
// any other error is an InternalServerException. Implementations must be
// safe for concurrent use.
type Authorizer interface {
	// Authenticate verifies the request's signature (SigV4 for the service
	// "vpc-lattice" and the server's region) and returns the caller.
	Authenticate(r *http.Request) (Caller, error)
	// Authorize decides whether caller may perform action on resourceARN.
	Authorize(r *http.Request, caller Caller, action, resourceARN string) error
}

// ErrAccessDenied is wrapped by the errors Authorizers return for requests
// that are authenticated but not allowed.
var ErrAccessDenied = errors.New("access denied")

// AccessDenied returns the error an Authorizer returns when caller may not
// perform action on resource, worded as IAM words it.
func AccessDenied(caller Caller, action, resource, why string) error {
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", caller.ARN, action, resource)
	if why != "" {
		msg += " " + why
	}
	return &accessDeniedError{msg}
}

type accessDeniedError struct{ msg string }

func (e *accessDeniedError) Error() string { return e.msg }
func (e *accessDeniedError) Unwrap() error { return ErrAccessDenied }
