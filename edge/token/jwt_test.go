package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// jwtVector is docs/protocol.md's token, checked there with Prosody's own
// util.jwt.
const jwtVector = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE2MTIxMTM0NjAsImV4cGlyZXMiOjE2MTI3MTc5NjAsImZpbGVuYW1lIjoicGljdHVyZS5wbmciLCJmaWxlc2l6ZSI6NzE2OCwiZmlsZXR5cGUiOiJpbWFnZS9wbmciLCJpYXQiOjE2MTIxMTMxNjAsInNsb3QiOiJSVmJLQWdXUGNyVVlBb2RqIiwic3ViIjoidXNlckBleGFtcGxlLmNvbSJ9.w4WuLb8FewGFIsqsQytS6uj734bDUg1hw1LgCH1-oSs"

const (
	jwtPath = "RVbKAgWPcrUYAodj/picture.png"
	jwtIat  = 1612113160
	jwtExp  = 1612113460
)

func jwtClock(at int64) func() time.Time { return func() time.Time { return time.Unix(at, 0) } }

// signRaw signs header and payload JSON as given, for tokens no honest
// issuer makes.
func signRaw(key, header, payload string) string {
	enc := base64.RawURLEncoding
	msg := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return msg + "." + enc.EncodeToString(m.Sum(nil))
}

const jwtHdr = `{"alg":"HS256","typ":"JWT"}`

func TestJWTVector(t *testing.T) {
	v, err := New(Options{Secret: []byte(secret), Now: jwtClock(jwtIat + 10)})
	if err != nil {
		t.Fatal(err)
	}
	var c JWTClaims
	key, err := v.VerifyJWT([]byte(jwtVector), []byte(jwtPath), 7168, &c)
	if err != nil || key.Old() {
		t.Fatalf("VerifyJWT: got key %d, %v; want 0, nil", key, err)
	}
	for _, f := range []struct{ name, got, want string }{
		{"slot", string(c.Slot), "RVbKAgWPcrUYAodj"},
		{"filename", string(c.Filename), "picture.png"},
		{"filetype", string(c.FileType), "image/png"},
		{"sub", string(c.Subject), "user@example.com"},
	} {
		if f.got != f.want {
			t.Errorf("%s: got %q; want %q", f.name, f.got, f.want)
		}
	}
	if c.FileSize != 7168 || c.Exp != jwtExp || c.IssuedAt != jwtIat || c.Expires != 1612717960 {
		t.Errorf("numbers: got filesize %d exp %d iat %d expires %d; want 7168 1612113460 1612113160 1612717960", c.FileSize, c.Exp, c.IssuedAt, c.Expires)
	}
	// A chunked body: the size is not known yet, the claims say it.
	if _, err := v.VerifyJWT([]byte(jwtVector), []byte(jwtPath), -1, &c); err != nil {
		t.Errorf("unknown size: got %v; want nil", err)
	}
	// The Signer writes the same bytes as Prosody.
	got := NewSigner([]byte(secret)).AppendJWT(nil, &JWTClaims{
		Slot: []byte("RVbKAgWPcrUYAodj"), Filename: []byte("picture.png"), FileSize: 7168,
		FileType: []byte("image/png"), Subject: []byte("user@example.com"),
		Exp: jwtExp, IssuedAt: jwtIat, Expires: 1612717960,
	})
	if string(got) != jwtVector {
		t.Errorf("AppendJWT:\n got %q\nwant %q", got, jwtVector)
	}
}

func TestJWTRejections(t *testing.T) {
	v, err := New(Options{Secret: []byte(secret), Now: jwtClock(jwtIat + 10)})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(jwtVector, ".")
	claims := func(extra string) string {
		return `{"exp":1612113460,"filename":"picture.png","filesize":7168,"filetype":"image/png","iat":1612113160,"slot":"RVbKAgWPcrUYAodj","sub":"user@example.com"` + extra + `}`
	}
	without := func(key string) string {
		var kept []string
		for _, kv := range strings.Split(strings.Trim(claims(""), "{}"), ",") {
			if !strings.HasPrefix(kv, `"`+key+`"`) {
				kept = append(kept, kv)
			}
		}
		return "{" + strings.Join(kept, ",") + "}"
	}
	replace := func(old, new string) string { return strings.Replace(claims(""), old, new, 1) }
	cases := []struct {
		name string
		tok  string
		path string
		size int64
		now  int64 // 0: jwtIat+10
		want error
	}{
		{"empty", "", jwtPath, 7168, 0, ErrNoToken},
		{"two parts", parts[0] + "." + parts[1], jwtPath, 7168, 0, ErrMalformed},
		{"four parts", jwtVector + ".x", jwtPath, 7168, 0, ErrMalformed},
		{"empty payload", parts[0] + ".." + parts[2], jwtPath, 7168, 0, ErrMalformed},
		{"padded signature", jwtVector + "=", jwtPath, 7168, 0, ErrMalformed},
		{"signature not base64url", parts[0] + "." + parts[1] + "." + strings.Repeat("*", 43), jwtPath, 7168, 0, ErrMalformed},
		{"standard base64 signature", parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]), jwtPath, 7168, 0, ErrMalformed},
		{"too long", jwtVector[:len(parts[0])+1] + strings.Repeat("A", maxJWT) + "." + parts[2], jwtPath, 7168, 0, ErrMalformed},
		{"bad signature", parts[0] + "." + parts[1] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", jwtPath, 7168, 0, ErrMismatch},
		{"other secret", signRaw("another secret", jwtHdr, claims("")), jwtPath, 7168, 0, ErrMismatch},
		{"alg none", signRaw(secret, `{"alg":"none","typ":"JWT"}`, claims("")), jwtPath, 7168, 0, ErrAlgorithm},
		{"alg none unsigned", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", jwtPath, 7168, 0, ErrMalformed},
		{"alg HS512", signRaw(secret, `{"alg":"HS512","typ":"JWT"}`, claims("")), jwtPath, 7168, 0, ErrAlgorithm},
		{"no alg", signRaw(secret, `{"typ":"JWT"}`, claims("")), jwtPath, 7168, 0, ErrAlgorithm},
		{"header not JSON", signRaw(secret, `HS256`, claims("")), jwtPath, 7168, 0, ErrMalformed},
		{"payload not JSON", signRaw(secret, jwtHdr, `exp=1`), jwtPath, 7168, 0, ErrMalformed},
		{"payload an array", signRaw(secret, jwtHdr, `[1612113460]`), jwtPath, 7168, 0, ErrMalformed},
		{"no exp", signRaw(secret, jwtHdr, without("exp")), jwtPath, 7168, 0, ErrBadClaims},
		{"exp a string", signRaw(secret, jwtHdr, replace(`"exp":1612113460`, `"exp":"1612113460"`)), jwtPath, 7168, 0, ErrBadClaims},
		{"exp not integral", signRaw(secret, jwtHdr, replace(`"exp":1612113460`, `"exp":1612113460.5`)), jwtPath, 7168, 0, ErrBadClaims},
		{"no slot", signRaw(secret, jwtHdr, without("slot")), jwtPath, 7168, 0, ErrBadClaims},
		{"no filename", signRaw(secret, jwtHdr, without("filename")), jwtPath, 7168, 0, ErrBadClaims},
		{"no filesize", signRaw(secret, jwtHdr, without("filesize")), jwtPath, 7168, 0, ErrBadClaims},
		{"negative filesize", signRaw(secret, jwtHdr, replace(`"filesize":7168`, `"filesize":-1`)), jwtPath, 7168, 0, ErrBadClaims},
		{"slash in filename", signRaw(secret, jwtHdr, replace(`"picture.png"`, `"a/picture.png"`)), "RVbKAgWPcrUYAodj/a/picture.png", 7168, 0, ErrBadClaims},
		{"CR LF in filetype", signRaw(secret, jwtHdr, replace(`"image/png"`, `"image/png\r\nSet-Cookie: x=1"`)), jwtPath, 7168, 0, ErrBadClaims},
		{"sub a number", signRaw(secret, jwtHdr, replace(`"user@example.com"`, `42`)), jwtPath, 7168, 0, ErrBadClaims},
		{"expired", jwtVector, jwtPath, 7168, jwtExp + 1, ErrExpired},
		{"expired long ago", jwtVector, jwtPath, 7168, jwtExp + 86400, ErrExpired},
		{"other slot", jwtVector, "RVbKAgWPcrUYAodk/picture.png", 7168, 0, ErrWrongPath},
		{"other file name", jwtVector, "RVbKAgWPcrUYAodj/picture.jpg", 7168, 0, ErrWrongPath},
		{"slot only", jwtVector, "RVbKAgWPcrUYAodj", 7168, 0, ErrWrongPath},
		{"deeper path", jwtVector, "RVbKAgWPcrUYAodj/picture.png/x", 7168, 0, ErrWrongPath},
		{"prefix of the slot", jwtVector, "RVbKAgWPcrUYAod/picture.png", 7168, 0, ErrWrongPath},
		{"one byte more", jwtVector, jwtPath, 7169, 0, ErrWrongSize},
		{"one byte less", jwtVector, jwtPath, 7167, 0, ErrWrongSize},
		{"empty body", jwtVector, jwtPath, 0, 0, ErrWrongSize},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now == 0 {
				now = jwtIat + 10
			}
			v.now = jwtClock(now)
			var c JWTClaims
			if _, err := v.VerifyJWT([]byte(tc.tok), []byte(tc.path), tc.size, &c); !errors.Is(err, tc.want) {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
		})
	}
}

// TestJWTAccepted: what Prosody may send besides the vector.
func TestJWTAccepted(t *testing.T) {
	v, err := New(Options{Secret: []byte(secret), Now: jwtClock(jwtExp)})
	if err != nil {
		t.Fatal(err)
	}
	base := `"filename":"été ✓ \"q\".png","filesize":7168,"slot":"s1"`
	path := `s1/été ✓ "q".png`
	for _, tc := range []struct {
		name, header, payload string
		check                 func(c *JWTClaims) string
	}{
		{"at exp", jwtHdr, `{"exp":1612113460,` + base + `}`, nil},
		{"Lua 5.4 floats", jwtHdr, `{"exp":1612113460.0,` + base + `,"iat":1.61211316e9}`, func(c *JWTClaims) string {
			if c.Exp != jwtExp || c.IssuedAt != jwtIat {
				return "exp/iat not read"
			}
			return ""
		}},
		{"minimal claims", jwtHdr, `{"exp":1612113460,` + base + `}`, func(c *JWTClaims) string {
			if len(c.FileType) != 0 || len(c.Subject) != 0 || c.Expires != 0 || c.IssuedAt != 0 {
				return "absent claims not empty"
			}
			return ""
		}},
		{"null expires", jwtHdr, `{"exp":1612113460,"expires":null,` + base + `}`, nil},
		{"header without typ, other order", `{"typ":"JWT","alg":"HS256","kid":"k"}`, `{"exp":1612113460,` + base + `}`, nil},
		{"escaped slash and unicode", jwtHdr, `{"exp":1612113460,"filename":"\u00e9t\u00e9 \u2713 \"q\".png","filesize":7168,"slot":"s1","filetype":"image\/png"}`, func(c *JWTClaims) string {
			if string(c.FileType) != "image/png" {
				return "filetype " + string(c.FileType)
			}
			return ""
		}},
		{"unknown claims", jwtHdr, `{"exp":1612113460,` + base + `,"x":{"y":[1,2]}}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c JWTClaims
			if _, err := v.VerifyJWT([]byte(signRaw(secret, tc.header, tc.payload)), []byte(path), 7168, &c); err != nil {
				t.Fatalf("got %v; want nil", err)
			}
			if tc.check != nil {
				if msg := tc.check(&c); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}

// FuzzVerifyJWT: whatever the token, VerifyJWT does not panic, accepts
// only what the secret signed, and what it accepts, signed again from its
// claims, is accepted again.
func FuzzVerifyJWT(f *testing.F) {
	f.Add(jwtVector, jwtPath, int64(7168))
	f.Add(signRaw(secret, jwtHdr, `{"exp":1612113460.0,"filename":"a b","filesize":0,"slot":"s","sub":null}`), "s/a b", int64(-1))
	f.Add(signRaw(secret, `{"alg":"none"}`, `{}`), "s/a", int64(0))
	f.Add("a.b.c", "a/b", int64(1))
	f.Add("..", "", int64(-1))
	v, err := New(Options{Secret: []byte(secret), Now: jwtClock(jwtIat)})
	if err != nil {
		f.Fatal(err)
	}
	s := NewSigner([]byte(secret))
	var c, again JWTClaims
	f.Fuzz(func(t *testing.T, tok, path string, size int64) {
		_, err := v.VerifyJWT([]byte(tok), []byte(path), size, &c)
		if err != nil {
			return
		}
		j := strings.LastIndexByte(tok, '.')
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(tok[:j]))
		if base64.RawURLEncoding.EncodeToString(m.Sum(nil)) != tok[j+1:] {
			t.Fatalf("accepted %q, which the secret did not sign", tok)
		}
		resigned := s.AppendJWT(nil, &c)
		if _, err := v.VerifyJWT(resigned, []byte(path), size, &again); err != nil {
			t.Fatalf("accepted %q but not its claims signed again (%q): %v", tok, resigned, err)
		}
	})
}
