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

// IfRange reports whether a Range request with this If-Range value (""
// or nil: none) may be served as a range: the validator must still name the
// current representation, by a strong ETag or by its exact date.
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
