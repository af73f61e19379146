//go:build !race

package urlpath

import "testing"

func TestRelativeAllocatesNothing(t *testing.T) {
	raw := []byte("/upload/abc123/my%20file%C3%A9.txt")
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := Relative(buf[:0], raw, "/upload/"); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per Relative; want 0", n)
	}
}
