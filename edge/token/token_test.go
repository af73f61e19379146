package token

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

const secret = "secret string"

// The vectors of docs/protocol.md; each can be checked with
// printf '...' | openssl dgst -sha256 -hmac 'secret string'.
var vectors = []struct {
	name string
	ver  Version
	c    Claims
	hex  string
}{
	{"v1 photo", V1, Claims{Path: []byte("abc123/photo.jpg"), Size: 1048576}, "5e61822e277cd94381e9d0a4cab427ca11dc19f7f95c1a9f5727d56fbcb17317"},
	{"v2 photo", V2, Claims{Path: []byte("abc123/photo.jpg"), Size: 1048576, ContentType: []byte("image/jpeg")}, "5a125bb9091086823f6e63ad03cbb4116bc129a7af2feab7353586f98bc843a0"},
	{"token photo", Token, Claims{Path: []byte("abc123/photo.jpg"), Size: 1048576, ContentType: []byte("image/jpeg")}, "5a125bb9091086823f6e63ad03cbb4116bc129a7af2feab7353586f98bc843a0"},
	{"v1 space", V1, Claims{Path: []byte("abc123/my file.txt"), Size: 1048576}, "3195e7d961f30a376477568d2a103ec6f57be64375398af1e7b2293656ea1d73"},
	{"v2 space", V2, Claims{Path: []byte("abc123/my file.txt"), Size: 1048576, ContentType: []byte("text/plain")}, "60a6499a4e66141d616c11abac4f2d049c5f70401550129684412e686a37e1a3"},
	{"v3 photo", V3, Claims{Path: []byte("abc123/photo.jpg"), Size: 1048576, ContentType: []byte("image/jpeg"), Uploader: []byte("alice@example.org"), Timestamp: []byte("1717689600")}, "83f8ec0ccc3b18292ec5e1457c760eab7d4b89ed3425bbaf6548c195cd26ffc4"},
	// HMAC File Server 3.4: PUT\n1717690000\n/upload/abc123/photo.jpg; size
	// and type are not signed.
	{"v3-expires photo", V3Expires, Claims{Path: []byte("abc123/photo.jpg"), Size: 1048576, Method: []byte("PUT"), Expires: []byte("1717690000"), Prefix: []byte("/upload/")}, "cbc295e9c0758ae3c64b6d0975c5f936ce53f77b1d91d6c8fb4afc91c5b251dc"},
}

func vectorClock() time.Time { return time.Unix(1717689600+10, 0) }

func TestVectors(t *testing.T) {
	s := NewSigner([]byte(secret))
	v := NewVerifier([]byte(secret), 0, vectorClock)
	for _, tc := range vectors {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(s.Append(nil, tc.ver, &tc.c)); got != tc.hex {
				t.Fatalf("Append: got %q; want %q", got, tc.hex)
			}
			if _, err := v.Verify(tc.ver, []byte(tc.hex), &tc.c); err != nil {
				t.Fatalf("Verify: got %v; want nil", err)
			}
		})
	}
}

func TestRejections(t *testing.T) {
	v := NewVerifier([]byte(secret), 0, vectorClock)
	good := vectors[0]
	v3 := vectors[5]
	mutate := func(c Claims, f func(*Claims)) *Claims { f(&c); return &c }
	cases := []struct {
		name string
		ver  Version
		hex  string
		c    *Claims
		want error
	}{
		{"no token", None, good.hex, &good.c, ErrNoToken},
		{"short", V1, good.hex[:63], &good.c, ErrMalformed},
		{"non-hex", V1, "zz" + good.hex[2:], &good.c, ErrMalformed},
		{"wrong size", V1, good.hex, mutate(good.c, func(c *Claims) { c.Size++ }), ErrMismatch},
		{"wrong path", V1, good.hex, mutate(good.c, func(c *Claims) { c.Path = []byte("abc123/photo.jpeg") }), ErrMismatch},
		{"v1 token as v2", V2, good.hex, &good.c, ErrMismatch},
		{"v2 wrong type", V2, vectors[1].hex, mutate(vectors[1].c, func(c *Claims) { c.ContentType = []byte("image/png") }), ErrMismatch},
		{"v2 default type differs", V2, vectors[1].hex, mutate(vectors[1].c, func(c *Claims) { c.ContentType = nil }), ErrMismatch},
		{"v3 other uploader", V3, v3.hex, mutate(v3.c, func(c *Claims) { c.Uploader = []byte("mallory@example.org") }), ErrMismatch},
		{"v3 no uploader", V3, v3.hex, mutate(v3.c, func(c *Claims) { c.Uploader = nil }), ErrBadClaims},
		{"v3 bad timestamp", V3, v3.hex, mutate(v3.c, func(c *Claims) { c.Timestamp = []byte("17176896OO") }), ErrBadClaims},
		{"v3 negative timestamp", V3, v3.hex, mutate(v3.c, func(c *Claims) { c.Timestamp = []byte("-1") }), ErrBadClaims},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := v.Verify(tc.ver, []byte(tc.hex), tc.c); !errors.Is(err, tc.want) {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
		})
	}
}

func TestReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{ErrNoToken, "missing"},
		{ErrMalformed, "malformed"},
		{ErrMismatch, "mismatch"},
		{ErrStale, "stale"},
		{ErrBadClaims, "bad-claims"},
		{fmt.Errorf("cannot upload: %w", ErrStale), "stale"},
		{errors.New("disk full"), ReasonOther},
	} {
		if got := Reason(tc.err); got != tc.want {
			t.Errorf("Reason(%v) = %q; want %q", tc.err, got, tc.want)
		}
		if tc.err != nil && !slices.Contains(Reasons(), Reason(tc.err)) {
			t.Errorf("Reasons() lacks %q", Reason(tc.err))
		}
	}
	// Each kind has its own reason, or the metric would merge two of them.
	if r := Reasons(); len(slices.Compact(slices.Sorted(slices.Values(r)))) != len(r) {
		t.Errorf("Reasons() has duplicates: %q", r)
	}
}

func TestUppercaseHexAccepted(t *testing.T) {
	v := NewVerifier([]byte(secret), 0, nil)
	up := []byte(vectors[0].hex)
	for i, c := range up {
		if c >= 'a' && c <= 'f' {
			up[i] = c - 32
		}
	}
	if _, err := v.Verify(V1, up, &vectors[0].c); err != nil {
		t.Fatalf("got %v; want nil", err)
	}
}

func TestV3Window(t *testing.T) {
	v3 := vectors[5]
	for _, tc := range []struct {
		skew time.Duration
		want error
	}{
		{0, nil}, {300 * time.Second, nil}, {-300 * time.Second, nil},
		{301 * time.Second, ErrStale}, {-301 * time.Second, ErrStale},
		{-24 * time.Hour, ErrStale},
	} {
		now := func() time.Time { return time.Unix(1717689600, 0).Add(tc.skew) }
		v := NewVerifier([]byte(secret), 300*time.Second, now)
		if _, err := v.Verify(V3, []byte(v3.hex), &v3.c); !errors.Is(err, tc.want) {
			t.Errorf("skew %v: got %v; want %v", tc.skew, err, tc.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{"v1": V1, "v": V1, "v2": V2, "token": Token, "v3": V3, "v3-expires": V3Expires, "jwt": JWT} {
		if got, err := ParseVersion(in); err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", in, got, err, want)
		}
		if in != "v1" && want.String() != in {
			t.Errorf("%v.String() = %q; want %q", want, want.String(), in)
		}
	}
	for _, bad := range []string{"v4", "none", "", "JWT"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q): got nil error", bad)
		}
	}
	for v, want := range map[Version]string{V1: "v", Token: "token", V2: "v2", V3: "v3", V3Expires: "v3", JWT: "", None: ""} {
		if got := v.Param(); got != want {
			t.Errorf("%v.Param() = %q; want %q", v, got, want)
		}
	}
}

func TestParseSchemes(t *testing.T) {
	all, err := ParseSchemes(SchemeNames())
	if err != nil || all != AllSchemes {
		t.Fatalf("ParseSchemes(SchemeNames()) = %b, %v; want %b", all, err, AllSchemes)
	}
	if got, want := SchemeNames(), []string{"v", "token", "v2", "v3", "v3-expires", "jwt"}; !slices.Equal(got, want) {
		t.Errorf("SchemeNames() = %q; want %q", got, want)
	}
	s, err := ParseSchemes([]string{"v1", " jwt"})
	if err != nil || !s.Has(V1) || !s.Has(JWT) || s.Has(V2) || s.Has(None) {
		t.Errorf("ParseSchemes(v1, jwt) = %v, %v; want v and jwt only", s.Names(), err)
	}
	for _, bad := range [][]string{nil, {}, {"v5"}} {
		if _, err := ParseSchemes(bad); err == nil {
			t.Errorf("ParseSchemes(%q): got nil error", bad)
		}
	}
}

func FuzzVerify(f *testing.F) {
	for _, tc := range vectors {
		ts := tc.c.Timestamp
		if tc.ver == V3Expires {
			ts = tc.c.Expires
		}
		f.Add(uint8(tc.ver), []byte(tc.hex), tc.c.Path, tc.c.Size, tc.c.ContentType, tc.c.Uploader, ts)
	}
	v := NewVerifier([]byte(secret), 0, vectorClock)
	s := NewSigner([]byte(secret))
	f.Fuzz(func(t *testing.T, ver uint8, hexMAC, path []byte, size int64, ct, up, ts []byte) {
		c := &Claims{Path: path, Size: size, ContentType: ct, Uploader: up, Timestamp: ts,
			Method: []byte("PUT"), Expires: ts, Prefix: []byte("/upload/")}
		ver %= uint8(JWT) // the query-token schemes
		_, err := v.Verify(Version(ver), hexMAC, c)
		if Version(ver) == None {
			return
		}
		// Whatever Verify says, the MAC it would accept must be the one
		// Signer computes.
		want := s.Append(nil, Version(ver), c)
		if err == nil && string(want) != string(hexMAC) && !equalFoldHex(want, hexMAC) {
			t.Fatalf("accepted %q; the MAC is %q", hexMAC, want)
		}
		if errors.Is(err, ErrMismatch) && string(want) == string(hexMAC) {
			t.Fatalf("rejected its own MAC %q", hexMAC)
		}
	})
}

func equalFoldHex(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}
