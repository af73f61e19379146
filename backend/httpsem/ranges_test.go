package httpsem

import (
	"fmt"
	"testing"
)

// TestParseRange follows the shape of net/http's ServeFileRangeTests (a
// representation of 11 bytes, as Go's testdata/file), plus the RFC 9110
// section 14 cases Go does not cover. Go answers several ranges with
// multipart/byteranges; upedge sends them as one when they are close
// (section 14.2 lets a server coalesce them) and the whole representation
// otherwise.
func TestParseRange(t *testing.T) {
	const size = 11
	for _, tc := range []struct {
		h         string
		r         Range
		start, n  int64
		rfcReason string
	}{
		{"", RangeIgnored, 0, 0, "no Range"},
		{"bytes=0-4", RangeOK, 0, 5, ""},
		{"bytes=2-", RangeOK, 2, 9, ""},
		{"bytes=-5", RangeOK, 6, 5, ""},
		{"bytes=3-7", RangeOK, 3, 5, ""},
		{"bytes=0-0,-2", RangeOK, 0, 11, "14.2: coalesced, the gap is 8 bytes"},
		{"bytes=0-1,5-8", RangeOK, 0, 9, "14.2: coalesced"},
		{"bytes=0-1,5-", RangeOK, 0, 11, "14.2: coalesced"},
		{"bytes=5-1000", RangeOK, 5, 6, "14.1.2: last-pos clipped"},
		{"bytes=0-,1-,2-,3-,4-", RangeOK, 0, 11, "14.2: overlapping, coalesced"},
		{"bytes=0-9", RangeOK, 0, 10, ""},
		{"bytes=0-10", RangeOK, 0, 11, ""},
		{"bytes=0-11", RangeOK, 0, 11, ""},
		{"bytes=10-11", RangeOK, 10, 1, ""},
		{"bytes=10-", RangeOK, 10, 1, ""},
		{"bytes=11-", RangeUnsatisfiable, 0, 0, "14.1.1: first-pos not below the length"},
		{"bytes=11-12", RangeUnsatisfiable, 0, 0, ""},
		{"bytes=12-12", RangeUnsatisfiable, 0, 0, ""},
		{"bytes=11-100", RangeUnsatisfiable, 0, 0, ""},
		{"bytes=12-100", RangeUnsatisfiable, 0, 0, ""},
		{"bytes=100-", RangeUnsatisfiable, 0, 0, ""},
		{"bytes=100-1000", RangeUnsatisfiable, 0, 0, ""},
		// Beyond Go's table.
		{"bytes=-0", RangeUnsatisfiable, 0, 0, "14.1.1: a suffix-range needs a non-zero length"},
		{"bytes=-100", RangeOK, 0, 11, "14.1.2: a longer suffix is the whole representation"},
		{"bytes=-0,-0", RangeUnsatisfiable, 0, 0, "14.1.1: none satisfiable"},
		{"bytes=11-,20-30", RangeUnsatisfiable, 0, 0, "14.1.1: none satisfiable"},
		{"bytes=0-4,20-30", RangeOK, 0, 5, "14.2: the satisfiable one"},
		{"BYTES=0-4", RangeOK, 0, 5, "14.1: range units are case-insensitive"},
		{"Bytes=0-4", RangeOK, 0, 5, "14.1"},
		{"bytes= 0-4", RangeOK, 0, 5, "14.1.1, erratum 7306: OWS after ="},
		{"bytes=0-4,", RangeOK, 0, 5, "5.6.1.2: empty list elements"},
		{"bytes=,0-4", RangeOK, 0, 5, "5.6.1.2"},
		{"bytes= , 0-4 ,, ", RangeOK, 0, 5, "5.6.1.2"},
		{"bytes=,", RangeIgnored, 0, 0, "14.1.1: range-set needs one range-spec"},
		{"bytes=", RangeIgnored, 0, 0, "14.1.1"},
		{"bytes=5-2", RangeIgnored, 0, 0, "14.1.1: last-pos below first-pos is invalid"},
		{"bytes=0-4,5-2", RangeIgnored, 0, 0, "14.1.1: one invalid range-spec spoils the value"},
		{"bytes=x-y", RangeIgnored, 0, 0, "14.1.1"},
		{"bytes=-1-5", RangeIgnored, 0, 0, ""},
		{"bytes=--1", RangeIgnored, 0, 0, ""},
		{"bytes=5", RangeIgnored, 0, 0, ""},
		{"bytes=+1-2", RangeIgnored, 0, 0, ""},
		{"items=0-5", RangeIgnored, 0, 0, "14.2: MUST ignore a unit it does not understand"},
		{"bytes 0-5", RangeIgnored, 0, 0, ""},
		{"bytes=0-0,10-10", RangeOK, 0, 11, "14.2: a gap of 9 bytes is coalesced"},
		{"bytes=99999999999999999999-", RangeUnsatisfiable, 0, 0, "14.1.1: large numerals without overflow"},
		{"bytes=0-99999999999999999999", RangeOK, 0, 11, "14.1.1"},
		{"bytes=-99999999999999999999", RangeOK, 0, 11, "14.1.1"},
		{"bytes=0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0", RangeOK, 0, 1, "16 range-specs: read"},
		{"bytes=0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0", RangeIgnored, 0, 0, "14.2: many small ranges"},
	} {
		start, n, r := ParseRange(tc.h, size)
		if r != tc.r || start != tc.start || n != tc.n {
			t.Errorf("ParseRange(%q, %d) = %d+%d (%d); want %d+%d (%d) (%s)", tc.h, size, start, n, r, tc.start, tc.n, tc.r, tc.rfcReason)
		}
		// The same from a []byte, as the edge hands it in.
		if s2, n2, r2 := ParseRange([]byte(tc.h), size); s2 != start || n2 != n || r2 != r {
			t.Errorf("ParseRange([]byte %q) differs from the string", tc.h)
		}
	}
	// Far ranges are not coalesced: no multipart answers, the whole
	// representation instead.
	if _, _, r := ParseRange("bytes=0-0,1000-1000", 2000); r != RangeIgnored {
		t.Errorf("far ranges: got %d; want RangeIgnored", r)
	}
	// An empty representation ignores Range (200 with nothing).
	for _, h := range []string{"bytes=0-", "bytes=-5", "bytes=0-0"} {
		if _, _, r := ParseRange(h, 0); r != RangeIgnored {
			t.Errorf("ParseRange(%q, 0) = %d; want RangeIgnored", h, r)
		}
	}
}

func TestAppendSingleRange(t *testing.T) {
	for _, tc := range []struct {
		h    string
		want string
		n    int
	}{
		{"bytes=0-4", "bytes=0-4", 1},
		{"BYTES= 0 - 4 ,", "bytes=0-4", 1},
		{"bytes=5-", "bytes=5-", 1},
		{"bytes=-5", "bytes=-5", 1},
		{"bytes=-0", "bytes=-0", 1},
		{"bytes=99999999999999999999-", fmt.Sprintf("bytes=%d-", int64(9223372036854775807)), 1},
		{"bytes=0-1,5-6", "", 2},
		{"bytes=5-2", "", 0},
		{"items=0-1", "", 0},
		{"bytes=,", "", 0},
	} {
		got, n := AppendSingleRange(nil, tc.h)
		if string(got) != tc.want || n != tc.n {
			t.Errorf("AppendSingleRange(%q) = %q, %d; want %q, %d", tc.h, got, n, tc.want, tc.n)
		}
	}
	if got := AppendRangeRequest(nil, 5, 10); string(got) != "bytes=5-14" {
		t.Errorf("AppendRangeRequest(5, 10) = %q; want bytes=5-14", got)
	}
}
