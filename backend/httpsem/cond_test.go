package httpsem

import (
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	mod := time.Date(2026, 11, 22, 0, 19, 44, 500_000_000, time.UTC) // sub-second part is ignored
	lm := "Sun, 22 Nov 2026 00:19:44 GMT"
	before := "Sun, 22 Nov 2026 00:00:00 GMT"
	after := "Mon, 23 Nov 2026 00:00:00 GMT"
	const etag = `"abc"`
	for _, tc := range []struct {
		h    Headers[string]
		want Result
	}{
		{Headers[string]{}, Proceed},
		{Headers[string]{IfMatch: etag}, Proceed},
		{Headers[string]{IfMatch: `"x", "abc"`}, Proceed},
		{Headers[string]{IfMatch: `"x,y", "abc"`}, Proceed},
		{Headers[string]{IfMatch: `W/"abc"`}, PreconditionFailed},
		{Headers[string]{IfMatch: `"x"`}, PreconditionFailed},
		{Headers[string]{IfMatch: `*`}, Proceed},
		{Headers[string]{IfMatch: `"x"`, IfUnmodifiedSince: after}, PreconditionFailed}, // If-Match wins
		{Headers[string]{IfUnmodifiedSince: lm}, Proceed},
		{Headers[string]{IfUnmodifiedSince: before}, PreconditionFailed},
		{Headers[string]{IfNoneMatch: etag}, NotModified},
		{Headers[string]{IfNoneMatch: `W/"abc"`}, NotModified},
		{Headers[string]{IfNoneMatch: `*`}, NotModified},
		{Headers[string]{IfNoneMatch: `"x"`, IfModifiedSince: after}, Proceed}, // If-None-Match wins
		{Headers[string]{IfModifiedSince: lm}, NotModified},
		{Headers[string]{IfModifiedSince: after}, NotModified},
		{Headers[string]{IfModifiedSince: before}, Proceed},
		{Headers[string]{IfModifiedSince: "garbage"}, Proceed},
		{Headers[string]{IfNoneMatch: `"abc`}, Proceed}, // unterminated
	} {
		if got := Evaluate(tc.h, etag, mod); got != tc.want {
			t.Errorf("Evaluate(%+v) = %d; want %d", tc.h, got, tc.want)
		}
		b := Headers[[]byte]{[]byte(tc.h.IfMatch), []byte(tc.h.IfUnmodifiedSince), []byte(tc.h.IfNoneMatch), []byte(tc.h.IfModifiedSince)}
		if got := Evaluate(b, etag, mod); got != tc.want {
			t.Errorf("Evaluate([]byte %+v) = %d; want %d", tc.h, got, tc.want)
		}
	}
	if got := Evaluate(Headers[string]{IfMatch: `"abc"`}, `W/"abc"`, mod); got != PreconditionFailed {
		t.Errorf("If-Match against a weak ETag: got %d; want 412", got)
	}
	if got := Evaluate(Headers[string]{IfNoneMatch: `"abc"`}, `W/"abc"`, mod); got != NotModified {
		t.Errorf("If-None-Match against a weak ETag: got %d; want 304", got)
	}
}

func TestIfRange(t *testing.T) {
	mod := time.Date(2026, 11, 22, 0, 19, 44, 0, time.UTC)
	for v, want := range map[string]bool{
		"": true, `"abc"`: true, ` "abc" `: true, `W/"abc"`: false, `"x"`: false,
		"Sun, 22 Nov 2026 00:19:44 GMT": true, "Sun, 22 Nov 2026 00:00:00 GMT": false, "junk": false,
	} {
		if got := IfRange(v, `"abc"`, mod); got != want {
			t.Errorf("IfRange(%q) = %v; want %v", v, got, want)
		}
	}
	if IfRange(`W/"abc"`, `W/"abc"`, mod) {
		t.Error("IfRange with a weak ETag: matched")
	}
}

// TestDateFormats: a recipient MUST accept all three HTTP-date formats
// (RFC 9110 section 5.6.7) in If-Modified-Since, If-Unmodified-Since and
// If-Range.
func TestDateFormats(t *testing.T) {
	mod := time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)
	for _, d := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
		"Sunday, 06-Nov-94 08:49:37 GMT", // obsolete RFC 850
		"Sun Nov  6 08:49:37 1994",       // ANSI C asctime()
	} {
		if got := Evaluate(Headers[string]{IfModifiedSince: d}, `"x"`, mod); got != NotModified {
			t.Errorf("If-Modified-Since %q: got %d; want 304", d, got)
		}
		if got := Evaluate(Headers[string]{IfUnmodifiedSince: d}, `"x"`, mod.Add(time.Second)); got != PreconditionFailed {
			t.Errorf("If-Unmodified-Since %q: got %d; want 412", d, got)
		}
		if !IfRange(d, `"x"`, mod) {
			t.Errorf("If-Range %q: false; want true", d)
		}
	}
}

func TestEvaluateAbsent(t *testing.T) {
	for _, tc := range []struct {
		h    Headers[string]
		want Result
	}{
		{Headers[string]{}, Proceed},
		{Headers[string]{IfMatch: "*"}, PreconditionFailed},
		{Headers[string]{IfMatch: `"a"`}, PreconditionFailed},
		{Headers[string]{IfNoneMatch: "*"}, Proceed},
		{Headers[string]{IfNoneMatch: `"a"`}, Proceed},
		{Headers[string]{IfUnmodifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT"}, Proceed},
		{Headers[string]{IfModifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT"}, Proceed},
	} {
		if got := EvaluateAbsent(tc.h); got != tc.want {
			t.Errorf("EvaluateAbsent(%+v) = %d; want %d", tc.h, got, tc.want)
		}
	}
}

func TestLastModified(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 700, time.UTC)
	for _, tc := range []struct {
		mod, want time.Time
	}{
		{time.Time{}, time.Time{}},
		{time.Unix(0, 0), time.Time{}},
		{now.Add(-time.Hour), now.Add(-time.Hour).Truncate(time.Second)},
		{now.Add(time.Hour), now.Truncate(time.Second)}, // section 8.8.2.1: never in the future
	} {
		if got := LastModified(tc.mod, now); !got.Equal(tc.want) {
			t.Errorf("LastModified(%v) = %v; want %v", tc.mod, got, tc.want)
		}
	}
}
