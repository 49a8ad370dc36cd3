package identity

import (
	"strings"

	"github.com/trellisproject/trellis/policy"
)

// An InputError is one problem New found in an Input. New returns every
// problem it found, joined with errors.Join; use errors.As to get the first,
// or range over the Unwrap() []error of the joined error for all of them.
// Messages never contain secret access keys or session tokens.
type InputError struct {
	// Entity names what is wrong: the ARN of a user, role or policy, an
	// account or organization ID, an access key ID, or, when those are
	// themselves invalid, the list and index ("users[3]").
	Entity string
	// Field is the field of the entity, in JSON names ("managedPolicies[1]",
	// "trustPolicy"); empty when the entity as a whole is wrong.
	Field string
	// Message says what is wrong.
	Message string
	// Err is the underlying error, such as a *policy.ValidationError.
	Err error
}

// Error returns "ENTITY: FIELD: MESSAGE".
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Entity)
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// STS error codes, as AWS STS returns them.
const (
	CodeAccessDenied            = "AccessDenied"
	CodeValidationError         = "ValidationError"
	CodeMalformedPolicyDocument = "MalformedPolicyDocument"
	CodePackedPolicyTooLarge    = "PackedPolicyTooLarge"
	CodeInvalidParameterValue   = "InvalidParameterValue"
	CodeExpiredToken            = "ExpiredToken"
	CodeInternalFailure         = "InternalFailure"
)

// An Error is a refused STS request: an AWS error code, AWS's message and the
// HTTP status AWS returns with it. The STS endpoint sends Code and Message to
// the client; Result is for the operator's logs.
type Error struct {
	Code    string
	Message string
	Status  int
	// Result says which policy decided, when a policy evaluation refused
	// the request (Code AccessDenied); it is not sent to clients.
	Result policy.Result
	// Action is the action that was refused, such as "sts:TagSession",
	// when a policy evaluation refused the request.
	Action string
	// Reason says, for the operator, why the request was refused when the
	// message AWS defines does not; it is not sent to clients.
	Reason string
}

// Error returns "Code: Message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

func stsError(code string, status int, msg string) *Error {
	return &Error{Code: code, Message: msg, Status: status}
}
