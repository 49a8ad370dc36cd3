package controlplane

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/sigv4"
	"github.com/trellisproject/trellis/store"
)

// The error types of the VPC Lattice API, sent in the x-amzn-ErrorType
// header as the restJson1 protocol expects, with their HTTP statuses.
const (
	ErrTypeValidation   = "ValidationException"           // 400
	ErrTypeAccessDenied = "AccessDeniedException"         // 403
	ErrTypeNotFound     = "ResourceNotFoundException"     // 404
	ErrTypeConflict     = "ConflictException"             // 409
	ErrTypeQuota        = "ServiceQuotaExceededException" // 402
	ErrTypeThrottling   = "ThrottlingException"           // 429
	ErrTypeInternal     = "InternalServerException"       // 500
)

// An APIError is an error the API returns to the client: its HTTP status,
// its type (the x-amzn-ErrorType header) and the members of its JSON body.
type APIError struct {
	Status  int
	Type    string
	Message string

	// Reason and Fields are the reason and fieldList of a
	// ValidationException.
	Reason string
	Fields []model.FieldError
	// ResourceID and ResourceType name the resource of a
	// ResourceNotFoundException, ConflictException or
	// ServiceQuotaExceededException.
	ResourceID   string
	ResourceType string
	// QuotaCode and ServiceCode name the quota of a
	// ServiceQuotaExceededException or ThrottlingException.
	QuotaCode   string
	ServiceCode string
	// RetryAfterSeconds is sent as the Retry-After header of a
	// ThrottlingException or InternalServerException when positive.
	RetryAfterSeconds int
}

// Error returns "Type: Message".
func (e *APIError) Error() string { return e.Type + ": " + e.Message }

type errorBody struct {
	Message      string             `json:"message"`
	Reason       string             `json:"reason,omitempty"`
	FieldList    []model.FieldError `json:"fieldList,omitempty"`
	ResourceID   string             `json:"resourceId,omitempty"`
	ResourceType string             `json:"resourceType,omitempty"`
	QuotaCode    string             `json:"quotaCode,omitempty"`
	ServiceCode  string             `json:"serviceCode,omitempty"`
}

func (e *APIError) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.Type)
	if e.RetryAfterSeconds > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfterSeconds))
	}
	b, _ := json.Marshal(errorBody{
		Message: e.Message, Reason: e.Reason, FieldList: e.Fields,
		ResourceID: e.ResourceID, ResourceType: e.ResourceType,
		QuotaCode: e.QuotaCode, ServiceCode: e.ServiceCode,
	})
	w.WriteHeader(e.Status)
	w.Write(b)
}

func errValidation(reason, format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: ErrTypeValidation, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

func errField(field, format string, args ...any) *APIError {
	return fromValidation(model.FieldErrorf(field, format, args...))
}

func fromValidation(v *model.ValidationError) *APIError {
	reason := v.Reason
	if reason == "" {
		reason = model.ReasonOther
	}
	return &APIError{Status: http.StatusBadRequest, Type: ErrTypeValidation, Reason: reason, Message: v.Message, Fields: v.Fields}
}

func errNotFound(t model.ResourceType, id string) *APIError {
	return &APIError{Status: http.StatusNotFound, Type: ErrTypeNotFound,
		Message:    fmt.Sprintf("%s %s does not exist", describe(t), id),
		ResourceID: id, ResourceType: t.String()}
}

// errNotFoundf reports a missing resource that is not one of the model's
// resource types (an auth policy, a resource policy).
func errNotFoundf(resourceType, id, format string, args ...any) *APIError {
	return &APIError{Status: http.StatusNotFound, Type: ErrTypeNotFound,
		Message: fmt.Sprintf(format, args...), ResourceID: id, ResourceType: resourceType}
}

func errConflict(t model.ResourceType, id, format string, args ...any) *APIError {
	return errConflictType(t.String(), id, format, args...)
}

func errConflictType(resourceType, id, format string, args ...any) *APIError {
	return &APIError{Status: http.StatusConflict, Type: ErrTypeConflict,
		Message: fmt.Sprintf(format, args...), ResourceID: id, ResourceType: resourceType}
}

func errQuota(q model.Quota, resourceID string) *APIError {
	return &APIError{Status: http.StatusPaymentRequired, Type: ErrTypeQuota,
		Message:    fmt.Sprintf("quota exceeded: %s is %d (%s)", q.Name, q.Value, q.Code),
		ResourceID: resourceID, ResourceType: q.ResourceType.String(),
		QuotaCode: q.Code, ServiceCode: model.ServiceCode}
}

func errThrottling(format string, args ...any) *APIError {
	return &APIError{Status: http.StatusTooManyRequests, Type: ErrTypeThrottling,
		Message: fmt.Sprintf(format, args...), ServiceCode: model.ServiceCode, RetryAfterSeconds: 1}
}

func errInternal() *APIError {
	return &APIError{Status: http.StatusInternalServerError, Type: ErrTypeInternal,
		Message: "an internal error occurred; it has been logged"}
}

func describe(t model.ResourceType) string {
	switch t {
	case model.TypeServiceNetwork:
		return "service network"
	case model.TypeService:
		return "service"
	case model.TypeServiceNetworkServiceAssociation:
		return "service network service association"
	case model.TypeServiceNetworkVPCAssociation:
		return "service network VPC association"
	case model.TypeListener:
		return "listener"
	case model.TypeRule:
		return "rule"
	case model.TypeTargetGroup:
		return "target group"
	case model.TypeAccessLogSubscription:
		return "access log subscription"
	}
	return "resource"
}

// toAPIError turns any error a handler or authorizer returned into the
// error the client sees. internal reports whether it is an internal error
// that must be logged.
func toAPIError(err error) (e *APIError, internal bool) {
	var ae *APIError
	var ve *model.ValidationError
	var se *sigv4.Error
	switch {
	case errors.As(err, &ae):
		return ae, ae.Status >= 500
	case errors.As(err, &ve):
		return fromValidation(ve), false
	case errors.As(err, &se):
		return &APIError{Status: se.Status, Type: se.Code, Message: se.Message}, se.Status >= 500
	case errors.Is(err, ErrAccessDenied):
		return &APIError{Status: http.StatusForbidden, Type: ErrTypeAccessDenied, Message: err.Error()}, false
	case errors.Is(err, store.ErrBusy):
		return errThrottling("the configuration store is busy; retry the request"), false
	}
	return errInternal(), true
}
