//go:build !race

package longname

import (
	"strings"
	"testing"
)

// TestFitsAllocatesNothing: the check every request of a store pays is
// free of allocations, and so is Map of a name that fits.
func TestFitsAllocatesNothing(t *testing.T) {
	name := "abc123/" + strings.Repeat("a", 200) + "/photo.jpg"
	if n := testing.AllocsPerRun(100, func() {
		if !Fits(name, NameMax) || Map(name, NameMax) != name {
			t.Fatal("does not fit")
		}
	}); n != 0 {
		t.Errorf("Fits and Map allocate %v times; want 0", n)
	}
}
