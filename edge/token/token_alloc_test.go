//go:build !race

package token

import "testing"

func TestVerifyAllocatesNothing(t *testing.T) {
	v := NewVerifier([]byte(secret), 0, vectorClock)
	for _, tc := range vectors {
		mac := []byte(tc.hex)
		c := tc.c
		if n := testing.AllocsPerRun(1000, func() {
			if err := v.Verify(tc.ver, mac, &c); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per Verify; want 0", tc.name, n)
		}
	}
}
