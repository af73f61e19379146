package httpsem

import "testing"

// FuzzParseRange checks that any Range header yields either "ignore",
// "unsatisfiable" or a range that lies inside the file.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-", "bytes=-5", "bytes=5-1", "bytes=-5-3", "bytes=--1", "bytes=0-0,1-1",
		"bytes= 1 - 2 ", "bytes=999999999999999999-", "items=0-1", "bytes=-0", "bytes=18446744073709551616-"} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 { // MinInt64
			size = 0
		}
		start, length, ok, satisfiable := ParseRange([]byte(h), size)
		if ok && !satisfiable {
			t.Fatalf("%q/%d: ok but unsatisfiable", h, size)
		}
		if ok && (start < 0 || length < 1 || start+length > size) {
			t.Fatalf("%q/%d: range %d+%d outside the file", h, size, start, length)
		}
	})
}
