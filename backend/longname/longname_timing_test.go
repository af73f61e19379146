package longname

import (
	"strings"
	"testing"
)

// BenchmarkMap: the cost a store pays per request for a name that fits
// (the common case: a scan of the name) and for one that does not (a
// SHA-256 of the long segment and a new string).
func BenchmarkMap(b *testing.B) {
	for _, tc := range []struct{ label, name string }{
		{"fits", "c2d8f8e2-0b7a-4d8e-9a43-9d5c7e0b1a11/IMG_20240607_123456.jpg"},
		{"long", "c2d8f8e2-0b7a-4d8e-9a43-9d5c7e0b1a11/" + strings.Repeat("я", 127) + ".txt"},
	} {
		b.Run(tc.label, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.name)))
			for b.Loop() {
				_ = Map(tc.name, NameMax)
			}
		})
	}
}
