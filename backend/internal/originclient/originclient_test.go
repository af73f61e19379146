package originclient

import (
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httpsem"
)

// TestSingleRange: what is passed on to an origin as one range, before
// the size is known; the rest is httpsem's (TestParseRange).
func TestSingleRange(t *testing.T) {
	for v, want := range map[string]int{
		"bytes=0-":      1,
		"bytes=2-5":     1,
		"bytes=-3":      1,
		"bytes=5-5":     1,
		"bytes=5-2":     0,
		"bytes=0-1,5-6": 2, // the HEAD's size decides
		"bytes=x-y":     0,
		"bytes=-1-5":    0,
		"bytes=-":       0,
		"items=0-1":     0,
		"":              0,
		"bytes=-0":      1, // unsatisfiable, but one range: the origin says 416
	} {
		if _, got := httpsem.AppendSingleRange(nil, v); got != want {
			t.Errorf("httpsem.AppendSingleRange(%q): %d range-specs; want %d", v, got, want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	mod := time.Date(2026, 11, 22, 0, 19, 44, 0, time.UTC)
	lm := mod.Format(time.RFC1123)
	lm = lm[:len(lm)-3] + "GMT"
	before := "Sun, 22 Nov 2026 00:00:00 GMT"
	after := "Mon, 23 Nov 2026 00:00:00 GMT"
	o := &backend.Object{ETag: `"abc"`, ModTime: mod, LastModified: lm}
	for _, tc := range []struct {
		gr   backend.GetRequest
		want int
	}{
		{backend.GetRequest{}, 0},
		{backend.GetRequest{IfMatch: `"abc"`}, 0},
		{backend.GetRequest{IfMatch: `"x", "abc"`}, 0},
		{backend.GetRequest{IfMatch: `W/"abc"`}, 412},
		{backend.GetRequest{IfMatch: `"x"`}, 412},
		{backend.GetRequest{IfMatch: `*`}, 0},
		{backend.GetRequest{IfUnmodifiedSince: lm}, 0},
		{backend.GetRequest{IfUnmodifiedSince: before}, 412},
		{backend.GetRequest{IfNoneMatch: `W/"abc"`}, 304},
		{backend.GetRequest{IfNoneMatch: `*`}, 304},
		{backend.GetRequest{IfNoneMatch: `"x"`, IfModifiedSince: after}, 0},
		{backend.GetRequest{IfModifiedSince: lm}, 304},
		{backend.GetRequest{IfModifiedSince: after}, 304},
		{backend.GetRequest{IfModifiedSince: before}, 0},
		{backend.GetRequest{IfModifiedSince: "garbage"}, 0},
	} {
		if got := evaluate(&tc.gr, o); got != tc.want {
			t.Errorf("evaluate(%+v) = %d; want %d", tc.gr, got, tc.want)
		}
	}
	for v, want := range map[string]bool{`"abc"`: true, `W/"abc"`: false, `"x"`: false, lm: true, before: false} {
		if got := ifRangeHolds(v, o); got != want {
			t.Errorf("ifRangeHolds(%q) = %v; want %v", v, got, want)
		}
	}
}

func TestRangeTotal(t *testing.T) {
	for v, want := range map[string]int64{"bytes 2-5/20": 20, "bytes */7": 7, "bytes 0-1/*": -1, "": -1} {
		if got := httpsem.CompleteLength(v); got != want {
			t.Errorf("httpsem.CompleteLength(%q) = %d; want %d", v, got, want)
		}
	}
}
