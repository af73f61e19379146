package token

import "errors"

// Error is why a token was refused. Every kind means 403 to the client; they
// are kept apart so that logs and metrics can tell a forgery (mismatch) from
// a clock problem (stale) or a broken XMPP server (bad-claims).
type Error struct {
	reason string
	msg    string
}

// Error returns a sentence for logs.
func (e *Error) Error() string { return e.msg }

// Reason returns a short stable name for the kind of failure, fit for a log
// field or a metric label: one of the strings Reasons returns.
func (e *Error) Reason() string { return e.reason }

// The errors Verifier.Verify returns. Compare with == or errors.Is.
var (
	ErrNoToken   = &Error{"missing", "no upload token in the request"}
	ErrMalformed = &Error{"malformed", "upload token is not 64 hex digits"}
	ErrMismatch  = &Error{"mismatch", "upload token does not match the request"}
	ErrStale     = &Error{"stale", "v3 timestamp is outside the allowed window"}
	ErrBadClaims = &Error{"bad-claims", "v3 token without uploader or with a malformed timestamp"}
)

// ReasonOther is what Reason says of a non-nil error that is not a token
// error.
const ReasonOther = "other"

// Reasons returns every string Reason may return for a non-nil error, for
// callers that register one metric series per reason up front.
func Reasons() []string {
	return []string{
		ErrNoToken.reason, ErrMalformed.reason, ErrMismatch.reason,
		ErrStale.reason, ErrBadClaims.reason, ReasonOther,
	}
}

// Reason returns the short stable name of err's failure kind: "" for nil,
// Error.Reason for a token error, ReasonOther for anything else. It does not
// allocate for the errors Verify returns; a wrapped token error costs an
// errors.As.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := err.(*Error); ok {
		return e.reason
	}
	var e *Error
	if errors.As(err, &e) {
		return e.reason
	}
	return ReasonOther
}
