package httpsem

import "testing"

// FuzzParseRange checks that any Range header yields "ignore",
// "unsatisfiable" or a range inside the representation, and that the
// normalized single range an origin store sends on (AppendSingleRange)
// means what the header meant.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-", "bytes=-5", "bytes=5-1", "bytes=-5-3", "bytes=--1", "bytes=0-0,1-1",
		"bytes= 1 - 2 ", "bytes=999999999999999999-", "items=0-1", "bytes=-0", "bytes=18446744073709551616-",
		"BYTES=0-4", "bytes=0-4,", ",bytes=0-4", "bytes=,,3-7,,", "bytes=0-1,90-99,-3", "bytes=5-,0-0"} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 { // MinInt64
			size = 0
		}
		start, length, r := ParseRange(h, size)
		switch r {
		case RangeOK:
			if start < 0 || length < 1 || start+length > size {
				t.Fatalf("%q/%d: range %d+%d outside the representation", h, size, start, length)
			}
		case RangeIgnored, RangeUnsatisfiable:
			if start != 0 || length != 0 {
				t.Fatalf("%q/%d: %d gives a range %d+%d", h, size, r, start, length)
			}
		default:
			t.Fatalf("%q/%d: unknown result %d", h, size, r)
		}
		norm, n := AppendSingleRange(nil, h)
		if n == 0 && r != RangeIgnored {
			t.Fatalf("%q/%d: AppendSingleRange ignores it, ParseRange gives %d", h, size, r)
		}
		if n == 1 {
			s2, l2, r2 := ParseRange(norm, size)
			if s2 != start || l2 != length || r2 != r {
				t.Fatalf("%q/%d: normalized %q gives %d+%d (%d); the header %d+%d (%d)", h, size, norm, s2, l2, r2, start, length, r)
			}
		}
	})
}
