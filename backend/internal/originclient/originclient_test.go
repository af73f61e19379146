package originclient

import (
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httpsem"
)

func TestSingleRange(t *testing.T) {
	for v, want := range map[string]bool{
		"bytes=0-":      true,
		"bytes=2-5":     true,
		"bytes=-3":      true,
		"bytes=5-5":     true,
		"bytes=5-2":     false,
		"bytes=0-1,5-6": false,
		"bytes=x-y":     false,
		"bytes=-1-5":    false,
		"bytes=-":       false,
		"items=0-1":     false,
		"":              false,
		"bytes=-0":      true, // unsatisfiable, but one range: the origin says 416
	} {
		if got := httpsem.IsSingleRange(v); got != want {
			t.Errorf("httpsem.IsSingleRange(%q) = %v; want %v", v, got, want)
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
