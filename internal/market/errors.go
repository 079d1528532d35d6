package market

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the HTTP layer's table and
// nowhere else.
const (
	EBADREQUEST   = "bad_request"  // malformed input: not JSON, wrong shape
	EINVALID      = "invalid"      // a field fails validation
	EUNAUTHORIZED = "unauthorized" // no, bad, expired or revoked credentials
	EFORBIDDEN    = "forbidden"    // authenticated but not allowed
	ENOTFOUND     = "not_found"    // no such resource, or not visible to the caller
	ECONFLICT     = "conflict"     // duplicate or wrong state
	ETOOLARGE     = "too_large"    // body or upload over its limit
	ERATELIMIT    = "rate_limited" // too many requests
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retry later
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// FieldError names one field at fault and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type the domain returns to its callers. Its
// message is safe to show to a client; internal failures carry EINTERNAL and
// their cause stays in Err for the logs.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// RetryAfter is set on ERATELIMIT, in seconds.
	RetryAfter int
	// Reasons are coded causes a client can act on, such as why a deal is
	// not eligible for a subsidy; problem+json carries them as "reasons".
	Reasons []Reason
	// CurrentPriceFen is the auction's current price on a refused bid
	// (problem+json "current_price_fen").
	CurrentPriceFen *int64
	// Err is the underlying cause, logged but never shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Reason is a coded cause with words for people.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Errorf returns an Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Conflict returns an ECONFLICT error: a duplicate, or a resource in a
// state that refuses the action. Every conflict is built here; On and
// Because add the field at fault and coded reasons.
func Conflict(format string, args ...any) *Error {
	return &Error{Code: ECONFLICT, Message: fmt.Sprintf(format, args...)}
}

// On names a field at fault and why, and returns e.
func (e *Error) On(field, message string) *Error {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: message})
	return e
}

// Because attaches coded causes a client can act on, and returns e.
func (e *Error) Because(reasons ...Reason) *Error {
	e.Reasons = append(e.Reasons, reasons...)
	return e
}

// Invalid returns an EINVALID error naming one field.
func Invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: EINVALID, Message: field + ": " + msg, Fields: []FieldError{{Field: field, Message: msg}}}
}

// ErrorCode returns the code of err, EINTERNAL for errors that are not ours
// and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// Problems collects field errors during validation so a client learns about
// every bad field at once.
type Problems []FieldError

// Add records a problem with field.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when there were no problems and an EINVALID error otherwise.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	msg := p[0].Field + ": " + p[0].Message
	if len(p) > 1 {
		msg = fmt.Sprintf("%s (and %d more)", msg, len(p)-1)
	}
	return &Error{Code: EINVALID, Message: msg, Fields: p}
}

// FieldNames returns the fields an error names (Error.Fields), in order;
// nil for an error that is not an *Error or names none.
func FieldNames(err error) []string {
	var me *Error
	if !errors.As(err, &me) {
		return nil
	}
	var out []string
	for _, f := range me.Fields {
		out = append(out, f.Field)
	}
	return out
}
