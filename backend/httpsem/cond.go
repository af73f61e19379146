package httpsem

// Preconditions (RFC 9110 section 13.2.2) for a GET or HEAD of an existing
// representation. The edge applies them to local files; the origin stores
// apply them to an origin's validators, since not every origin gets them
// right. Header values may be strings or byte slices (fasthttp's, without
// copying).

import (
	"time"

	"github.com/valyala/fasthttp"
)

// Result is the outcome of Evaluate.
type Result int

const (
	Proceed            Result = iota // serve the representation
	NotModified                      // answer 304
	PreconditionFailed               // answer 412
)

// Headers are the precondition headers of a request, as sent ("" or nil
// when absent).
type Headers[S ~string | ~[]byte] struct {
	IfMatch, IfUnmodifiedSince, IfNoneMatch, IfModifiedSince S
}

// Evaluate applies If-Match, If-Unmodified-Since, If-None-Match and
// If-Modified-Since, in that order, to the representation with etag (quoted,
// or "") and modification time mod (zero if unknown).
func Evaluate[S ~string | ~[]byte](h Headers[S], etag string, mod time.Time) Result {
	mod = mod.Truncate(time.Second) // HTTP dates have whole seconds
	if len(h.IfMatch) > 0 {
		if !ETagListMatch(h.IfMatch, etag, true) {
			return PreconditionFailed
		}
	} else if len(h.IfUnmodifiedSince) > 0 && !mod.IsZero() {
		if t, err := fasthttp.ParseHTTPDate([]byte(h.IfUnmodifiedSince)); err == nil && mod.After(t) {
			return PreconditionFailed
		}
	}
	if len(h.IfNoneMatch) > 0 {
		if ETagListMatch(h.IfNoneMatch, etag, false) {
			return NotModified
		}
	} else if len(h.IfModifiedSince) > 0 && !mod.IsZero() {
		if t, err := fasthttp.ParseHTTPDate([]byte(h.IfModifiedSince)); err == nil && !mod.After(t) {
			return NotModified
		}
	}
	return Proceed
}

// EvaluateAbsent applies the preconditions of a request that would create
// the target's first representation (a PUT to a free name): If-Match is
// false without a current representation, "*" included (section
// 13.1.1), so it fails (412); If-Unmodified-Since is ignored without a
// modification date (section 13.1.4); If-None-Match is true without a
// current representation (section 13.1.2); If-Modified-Since applies to
// GET and HEAD only (section 13.1.3).
func EvaluateAbsent[S ~string | ~[]byte](h Headers[S]) Result {
	if len(h.IfMatch) > 0 {
		return PreconditionFailed
	}
	return Proceed
}

// LastModified returns the Last-Modified date to send for a representation
// modified at mod, when the message originates at now: whole seconds (an
// HTTP-date has no more), never later than now (section 8.8.2.1: a date in
// the future MUST be replaced with the message origination date), and
// zero, for "none", when mod is zero or the Unix epoch (a file system's
// "unknown", as Go's ServeContent treats it).
func LastModified(mod, now time.Time) time.Time {
	if mod.IsZero() || mod.Unix() == 0 {
		return time.Time{}
	}
	mod = mod.Truncate(time.Second)
	if now = now.Truncate(time.Second); mod.After(now) {
		return now
	}
	return mod
}

// IfRange reports whether a Range request with this If-Range value (""
// or nil: none) may be served as a range (section 13.1.5): the validator
// must still name the current representation, by a strong ETag (strong
// comparison: a weak tag never matches) or by its exact date. Anything
// else, a malformed value included, is false: the Range is ignored.
//
// A date counts as a strong validator (section 8.8.2.2) because an
// upload never changes in place: only a delete and a new upload within
// the same second could present two representations with one date, the
// window nginx and Go's ServeContent accept too.
func IfRange[S ~string | ~[]byte](ifRange S, etag string, mod time.Time) bool {
	v := TrimSpace(ifRange)
	if len(v) == 0 {
		return true
	}
	if v[0] == '"' || (len(v) > 2 && v[0] == 'W' && v[1] == '/') {
		// Strong comparison: a weak tag never matches.
		return etag != "" && etag[0] == '"' && string(v) == etag
	}
	t, err := fasthttp.ParseHTTPDate([]byte(v))
	return err == nil && !mod.IsZero() && mod.Truncate(time.Second).Equal(t)
}

// ETagListMatch reports whether an If-Match / If-None-Match list matches
// etag: "*" matches any existing representation; strong comparison refuses
// weak tags, weak comparison ignores the W/ prefix.
func ETagListMatch[S ~string | ~[]byte](list S, etag string, strong bool) bool {
	l := TrimSpace(list)
	if len(l) == 1 && l[0] == '*' {
		return true
	}
	if etag == "" {
		return false
	}
	etagWeak := len(etag) > 2 && etag[0] == 'W' && etag[1] == '/'
	if etagWeak {
		if strong {
			return false
		}
		etag = etag[2:]
	}
	for len(l) > 0 {
		l = TrimSpace(l)
		if len(l) > 0 && l[0] == ',' {
			l = l[1:]
			continue
		}
		weak := false
		if len(l) >= 2 && l[0] == 'W' && l[1] == '/' {
			weak = true
			l = l[2:]
		}
		if len(l) == 0 || l[0] != '"' {
			return false
		}
		end := 1
		for end < len(l) && l[end] != '"' {
			end++
		}
		if end == len(l) {
			return false
		}
		tag := l[:end+1]
		l = l[end+1:]
		if strong && weak {
			continue
		}
		if string(tag) == etag {
			return true
		}
	}
	return false
}
