package token

import "errors"

// Error is why a token was refused. The edge answers the query-token
// schemes' refusals with 403 and the JWT's with 401, 410, 400 or 413 (see
// docs/protocol.md); the kinds are kept apart so that logs and metrics can
// tell a forgery (mismatch) from a clock problem (stale) or a broken XMPP
// server (bad-claims).
type Error struct {
	reason string
	msg    string
}

// Error returns a sentence for logs.
func (e *Error) Error() string { return e.msg }

// Reason returns a short stable name for the kind of failure, fit for a log
// field or a metric label: one of the strings Reasons returns.
func (e *Error) Reason() string { return e.reason }

// The errors the Verifier returns. Compare with == or errors.Is.
var (
	ErrNoToken   = &Error{"missing", "no upload token in the request"}
	ErrMalformed = &Error{"malformed", "token is not well-formed (64 hex digits, or a compact JWS of three base64url parts)"}
	ErrMismatch  = &Error{"mismatch", "token does not match the request"}
	ErrStale     = &Error{"stale", "v3 timestamp is outside the allowed window"}
	ErrBadClaims = &Error{"bad-claims", "token claims are missing or malformed (v3 uploader or timestamp, v3 expires, JWT claims)"}
	// ErrExpired: a JWT past its exp, or an HMAC File Server 3.4 v3 token
	// past its expires (no grace).
	ErrExpired = &Error{"expired", "token has expired"}
	// ErrAlgorithm: a JWT whose header names another algorithm than HS256
	// ("none" included).
	ErrAlgorithm = &Error{"algorithm", "JWT algorithm is not HS256"}
	// ErrWrongPath: a JWT for another slot or file name than the request's
	// path.
	ErrWrongPath = &Error{"wrong-path", "JWT slot and filename do not match the request path"}
	// ErrWrongSize: a JWT whose filesize is not the request's
	// Content-Length.
	ErrWrongSize = &Error{"wrong-size", "JWT filesize does not match the request's Content-Length"}
	// ErrDisabled: a token of a scheme the operator switched off
	// (token_schemes), or a DELETE while no delete secret is set.
	ErrDisabled = &Error{"disabled", "token scheme is switched off"}
)

// ReasonOther is what Reason says of a non-nil error that is not a token
// error.
const ReasonOther = "other"

// Reasons returns every string Reason may return for a non-nil error, for
// callers that register one metric series per reason up front.
func Reasons() []string {
	return []string{
		ErrNoToken.reason, ErrMalformed.reason, ErrMismatch.reason,
		ErrStale.reason, ErrBadClaims.reason, ErrExpired.reason,
		ErrAlgorithm.reason, ErrWrongPath.reason, ErrWrongSize.reason,
		ErrDisabled.reason, ReasonOther,
	}
}

// Reason returns the short stable name of err's failure kind: "" for nil,
// Error.Reason for a token error, ReasonOther for anything else. It does not
// allocate for the errors the Verifier returns; a wrapped token error costs
// an errors.As.
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
