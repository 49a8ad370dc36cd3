package model

import (
	"fmt"
	"strings"
)

// The reasons of a ValidationError, as VPC Lattice's ValidationException
// names them.
const (
	ReasonUnknownOperation      = "unknownOperation"
	ReasonCannotParse           = "cannotParse"
	ReasonFieldValidationFailed = "fieldValidationFailed"
	ReasonOther                 = "other"
)

// A FieldError says what is wrong with one field of a request. Name is the
// field's JSON path, such as "name" or "action.forward.targetGroups[1].weight".
type FieldError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

// A ValidationError reports a request that does not satisfy VPC Lattice's
// constraints. The control plane returns it as a ValidationException with
// the same reason, message and field list.
type ValidationError struct {
	// Reason is one of the Reason* constants.
	Reason string
	// Message sums up the failure.
	Message string
	// Fields lists the fields that failed, in the order they were checked.
	Fields []FieldError
}

// Error returns the message.
func (e *ValidationError) Error() string { return e.Message }

// Validationf returns a ValidationError with reason "other" and no fields.
func Validationf(format string, args ...any) *ValidationError {
	return &ValidationError{Reason: ReasonOther, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns a ValidationError about one field.
func FieldErrorf(field, format string, args ...any) *ValidationError {
	var v Validator
	v.Addf(field, format, args...)
	return v.Err().(*ValidationError)
}

// A Validator collects field errors. The zero value is ready to use.
type Validator struct {
	fields []FieldError
}

// Addf records that field is invalid.
func (v *Validator) Addf(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Name: field, Message: fmt.Sprintf(format, args...)})
}

// Merge adds the fields of err, which must be nil or a *ValidationError.
func (v *Validator) Merge(err error) {
	if e, ok := err.(*ValidationError); ok && e != nil {
		if len(e.Fields) == 0 {
			v.fields = append(v.fields, FieldError{Name: "", Message: e.Message})
			return
		}
		v.fields = append(v.fields, e.Fields...)
	}
}

// OK reports whether no error has been recorded.
func (v *Validator) OK() bool { return len(v.fields) == 0 }

// Err returns nil, or a ValidationError with reason fieldValidationFailed
// listing every field recorded.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	var b strings.Builder
	for i, f := range v.fields {
		if i > 0 {
			b.WriteString("; ")
		}
		if f.Name != "" {
			b.WriteString(f.Name)
			b.WriteString(": ")
		}
		b.WriteString(f.Message)
	}
	return &ValidationError{Reason: ReasonFieldValidationFailed, Message: b.String(), Fields: v.fields}
}

// Required records field as missing when present is false, and returns
// present.
func (v *Validator) Required(field string, present bool) bool {
	if !present {
		v.Addf(field, "is required")
	}
	return present
}

// IntRange records field as invalid unless min <= n <= max.
func (v *Validator) IntRange(field string, n, min, max int) bool {
	if n < min || n > max {
		v.Addf(field, "must be between %d and %d, got %d", min, max, n)
		return false
	}
	return true
}

// Length records field as invalid unless its length in characters is
// between min and max.
func (v *Validator) Length(field, s string, min, max int) bool {
	n := len([]rune(s))
	if n < min || n > max {
		if min == max {
			v.Addf(field, "must be %d characters long, got %d", min, n)
		} else {
			v.Addf(field, "must be between %d and %d characters long, got %d", min, max, n)
		}
		return false
	}
	return true
}

// Enum records field as invalid unless s is one of values.
func (v *Validator) Enum(field, s string, values ...string) bool {
	for _, x := range values {
		if s == x {
			return true
		}
	}
	v.Addf(field, "must be one of %s, got %q", strings.Join(values, ", "), s)
	return false
}
