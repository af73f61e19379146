//go:build !race

package token

import (
	"testing"
)

func TestVerifyAllocatesNothing(t *testing.T) {
	v := NewVerifier([]byte(secret), 0, vectorClock)
	for _, tc := range vectors {
		mac := []byte(tc.hex)
		c := tc.c
		if n := testing.AllocsPerRun(1000, func() {
			if _, err := v.Verify(tc.ver, mac, &c); err != nil {
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
		if _, err := v.Verify(tc.ver, mac, &c); Reason(err) != "mismatch" {
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

// TestVerifyJWTAllocatesNothing: a JWT check with a reused JWTClaims (the
// edge pools them), accepted, signed with a previous secret, or forged.
func TestVerifyJWTAllocatesNothing(t *testing.T) {
	v, err := New(Options{Secret: []byte("new"), PreviousSecrets: [][]byte{[]byte(secret)}, Now: jwtClock(jwtIat + 10)})
	if err != nil {
		t.Fatal(err)
	}
	forged := []byte(jwtVector[:len(jwtVector)-2] + "AA")
	for _, tc := range []struct {
		name string
		tok  []byte
		want error
	}{
		{"accepted", []byte(jwtVector), nil},
		{"forged", forged, ErrMismatch},
		{"wrong size", []byte(jwtVector), ErrWrongSize},
	} {
		var c JWTClaims
		size := int64(7168)
		if tc.want == ErrWrongSize {
			size = 1
		}
		if n := testing.AllocsPerRun(1000, func() {
			if _, err := v.VerifyJWT(tc.tok, []byte(jwtPath), size, &c); err != tc.want {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per VerifyJWT; want 0", tc.name, n)
		}
	}
}

func TestVerifyDeleteAllocatesNothing(t *testing.T) {
	v, err := New(Options{Secret: []byte(secret), DeleteSecret: []byte("delete secret")})
	if err != nil {
		t.Fatal(err)
	}
	mac := []byte("c0ca8a5a65dd87173bddb5906eec1bdd2b91d30c89d6bd8d6bbdddbbcd426986")
	path := []byte("abc123/photo.jpg")
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := v.VerifyDelete(mac, path); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per VerifyDelete; want 0", n)
	}
}
