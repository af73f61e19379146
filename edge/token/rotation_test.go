package token

import (
	"errors"
	"testing"
	"time"
)

// TestPreviousSecrets: a token of any scheme signed with a previous secret
// is accepted and reported as old; one signed with a secret that is
// neither is refused.
func TestPreviousSecrets(t *testing.T) {
	const old1, old2 = "old secret", "older secret"
	v, err := New(Options{
		Secret: []byte("new secret"), PreviousSecrets: [][]byte{[]byte(old1), []byte(old2)},
		DeleteSecret: []byte("delete secret"), Now: vectorClock,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, key := range []string{"new secret", old1, old2, "stranger"} {
		s := NewSigner([]byte(key))
		check := func(name string, k Key, err error) {
			t.Helper()
			switch {
			case key == "stranger" && !errors.Is(err, ErrMismatch):
				t.Errorf("%s signed with an unknown secret: got %v; want %v", name, err, ErrMismatch)
			case key != "stranger" && (err != nil || int(k) != i || k.Old() != (i > 0)):
				t.Errorf("%s signed with %q: got key %d (old %v), %v; want %d, nil", name, key, k, k.Old(), err, i)
			}
		}
		for _, tc := range vectors {
			k, err := v.Verify(tc.ver, s.Append(nil, tc.ver, &tc.c), &tc.c)
			check(tc.name, k, err)
		}
		tok := s.AppendJWT(nil, &JWTClaims{Slot: []byte("s"), Filename: []byte("f"), FileSize: 1, Exp: vectorClock().Unix()})
		var c JWTClaims
		k, err := v.VerifyJWT(tok, []byte("s/f"), 1, &c)
		check("jwt", k, err)
		k, err = v.VerifyDelete(s.AppendDelete(nil, []byte("abc123/photo.jpg"), []byte("delete secret")), []byte("abc123/photo.jpg"))
		check("delete", k, err)
	}
	if _, err := New(Options{Secret: []byte("s"), PreviousSecrets: [][]byte{nil}}); err == nil {
		t.Error("an empty previous secret: got nil error")
	}
	if _, err := New(Options{}); err == nil {
		t.Error("no secret: got nil error")
	}
}

// TestDeleteVector is docs/protocol.md's Metronome DELETE vector; an
// upload token for the same path never deletes.
func TestDeleteVector(t *testing.T) {
	const (
		path = "abc123/photo.jpg"
		hex  = "c0ca8a5a65dd87173bddb5906eec1bdd2b91d30c89d6bd8d6bbdddbbcd426986"
	)
	if got := string(NewSigner([]byte(secret)).AppendDelete(nil, []byte(path), []byte("delete secret"))); got != hex {
		t.Fatalf("AppendDelete: got %q; want %q", got, hex)
	}
	v, err := New(Options{Secret: []byte(secret), DeleteSecret: []byte("delete secret")})
	if err != nil {
		t.Fatal(err)
	}
	if !v.DeleteEnabled() {
		t.Fatal("DeleteEnabled: got false with a delete secret")
	}
	for _, tc := range []struct {
		name, mac, path string
		want            error
	}{
		{"vector", hex, path, nil},
		{"other path", hex, "abc123/photo.jpeg", ErrMismatch},
		{"v1 upload token", vectors[0].hex, path, ErrMismatch},
		{"v2 and Metronome upload token", vectors[1].hex, path, ErrMismatch},
		{"v3 upload token", vectors[5].hex, path, ErrMismatch},
		{"no token", "", path, ErrNoToken},
		{"short", hex[:63], path, ErrMalformed},
	} {
		if _, err := v.VerifyDelete([]byte(tc.mac), []byte(tc.path)); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v; want %v", tc.name, err, tc.want)
		}
	}
	off := NewVerifier([]byte(secret), 0, nil)
	if _, err := off.VerifyDelete([]byte(hex), []byte(path)); !errors.Is(err, ErrDisabled) || off.DeleteEnabled() {
		t.Errorf("without a delete secret: got %v; want %v", err, ErrDisabled)
	}
}

// TestV3ExpiresNoGrace: HMAC File Server 3.4's token holds until its
// expires second and not one second longer.
func TestV3ExpiresNoGrace(t *testing.T) {
	tc := vectors[6]
	for _, d := range []struct {
		now  int64
		want error
	}{
		{1717689000, nil}, {1717690000, nil}, {1717690001, ErrExpired}, {1717690000 + 3600, ErrExpired},
	} {
		v := NewVerifier([]byte(secret), 0, func() time.Time { return time.Unix(d.now, 0) })
		if _, err := v.Verify(V3Expires, []byte(tc.hex), &tc.c); !errors.Is(err, d.want) {
			t.Errorf("at %d: got %v; want %v", d.now, err, d.want)
		}
	}
	v := NewVerifier([]byte(secret), 0, vectorClock)
	for name, mutate := range map[string]func(c *Claims){
		"other method":        func(c *Claims) { c.Method = []byte("POST") },
		"other prefix":        func(c *Claims) { c.Prefix = []byte("/") },
		"later expires":       func(c *Claims) { c.Expires = []byte("1717690001") },
		"expires with a sign": func(c *Claims) { c.Expires = []byte("+1717690000") },
	} {
		c := tc.c
		mutate(&c)
		var want error = ErrMismatch
		if name == "expires with a sign" {
			want = ErrBadClaims
		}
		if _, err := v.Verify(V3Expires, []byte(tc.hex), &c); !errors.Is(err, want) {
			t.Errorf("%s: got %v; want %v", name, err, want)
		}
	}
}

// TestSchemesOff: a scheme switched off refuses its own valid tokens.
func TestSchemesOff(t *testing.T) {
	only, err := ParseSchemes([]string{"v2"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(Options{Secret: []byte(secret), Schemes: only, Now: vectorClock})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range vectors {
		var want error = ErrDisabled
		if tc.ver == V2 {
			want = nil
		}
		if _, err := v.Verify(tc.ver, []byte(tc.hex), &tc.c); !errors.Is(err, want) {
			t.Errorf("%s: got %v; want %v", tc.name, err, want)
		}
	}
	var c JWTClaims
	if _, err := v.VerifyJWT([]byte(jwtVector), []byte(jwtPath), 7168, &c); !errors.Is(err, ErrDisabled) {
		t.Errorf("jwt: got %v; want %v", err, ErrDisabled)
	}
}
