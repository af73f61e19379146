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

// The edge calls Reason on every rejected PUT, to log and count it.
func TestRejectionReasonAllocatesNothing(t *testing.T) {
	v := NewVerifier([]byte(secret), 0, vectorClock)
	tc := vectors[0]
	mac := []byte(tc.hex)
	c := tc.c
	c.Size++
	if n := testing.AllocsPerRun(1000, func() {
		if Reason(v.Verify(tc.ver, mac, &c)) != "mismatch" {
			t.Fatal("want mismatch")
		}
	}); n != 0 {
		t.Errorf("%v allocations per rejection and Reason; want 0", n)
	}
}

// The edge checks a probe token on every request that carries one.
func TestVerifyProbeAllocatesNothing(t *testing.T) {
	v := NewVerifier([]byte(secret), 0, vectorClock)
	value := []byte(probeVector)
	if n := testing.AllocsPerRun(1000, func() {
		if err := v.VerifyProbe(value); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per VerifyProbe; want 0", n)
	}
}
