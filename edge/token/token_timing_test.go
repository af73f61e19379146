package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"
)

// BenchmarkVerify measures the per-request cost of checking a query token
// on all cores. Goal: 0 allocs/op and at most 300 ns/op.
func BenchmarkVerify(b *testing.B) {
	v := NewVerifier([]byte(secret), 0, vectorClock)
	for _, tc := range vectors {
		b.Run(tc.name, func(b *testing.B) {
			mac := []byte(tc.hex)
			c := tc.c
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := v.Verify(tc.ver, mac, &c); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkNaiveVerify is the peer: what most upload servers do per request
// (hmac.New, a concatenated string, hex.EncodeToString).
func BenchmarkNaiveVerify(b *testing.B) {
	tc := vectors[0]
	b.ReportAllocs()
	for b.Loop() {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(string(tc.c.Path) + " " + strconv.FormatInt(tc.c.Size, 10)))
		if hex.EncodeToString(m.Sum(nil)) != tc.hex {
			b.Fatal("mismatch")
		}
	}
}

// BenchmarkVerifySerial is the latency one request pays for its token on
// one core, for every scheme: the query tokens, the JWT (goal: 0 allocs,
// at most 1.5 µs) and Metronome's DELETE. "old secret" is a token signed
// with the first previous secret, which costs a second MAC.
func BenchmarkVerifySerial(b *testing.B) {
	v, err := New(Options{Secret: []byte(secret), PreviousSecrets: [][]byte{[]byte("old")},
		DeleteSecret: []byte("delete secret"), Now: jwtClock(jwtIat + 10)})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range vectors {
		b.Run(tc.name, func(b *testing.B) {
			mac := []byte(tc.hex)
			c := tc.c
			v.now = vectorClock
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(tc.ver, mac, &c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	old := NewSigner([]byte("old"))
	jwts := []struct {
		name string
		tok  []byte
	}{
		{"jwt vector", []byte(jwtVector)},
		{"jwt old secret", old.AppendJWT(nil, &JWTClaims{Slot: []byte("RVbKAgWPcrUYAodj"), Filename: []byte("picture.png"),
			FileSize: 7168, FileType: []byte("image/png"), Subject: []byte("user@example.com"), Exp: jwtExp, IssuedAt: jwtIat, Expires: 1612717960})},
	}
	for _, tc := range jwts {
		b.Run(tc.name, func(b *testing.B) {
			v.now = jwtClock(jwtIat + 10)
			var c JWTClaims
			path := []byte(jwtPath)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.VerifyJWT(tc.tok, path, 7168, &c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("jwt forged", func(b *testing.B) {
		tok := []byte(jwtVector[:len(jwtVector)-2] + "AA")
		path := []byte(jwtPath)
		var c JWTClaims
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.VerifyJWT(tok, path, 7168, &c); err != ErrMismatch {
				b.Fatal(err)
			}
		}
	})
	b.Run("delete", func(b *testing.B) {
		mac := []byte("c0ca8a5a65dd87173bddb5906eec1bdd2b91d30c89d6bd8d6bbdddbbcd426986")
		path := []byte("abc123/photo.jpg")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.VerifyDelete(mac, path); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyJWT is the JWT check on all cores, each goroutine with
// its own JWTClaims (as the edge's pooled request scratch has).
func BenchmarkVerifyJWT(b *testing.B) {
	v, err := New(Options{Secret: []byte(secret), Now: jwtClock(jwtIat + 10)})
	if err != nil {
		b.Fatal(err)
	}
	tok, path := []byte(jwtVector), []byte(jwtPath)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var c JWTClaims
		for pb.Next() {
			if _, err := v.VerifyJWT(tok, path, 7168, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSignJWT is what the harness and `upedge sign` pay per token.
func BenchmarkSignJWT(b *testing.B) {
	s := NewSigner([]byte(secret))
	c := &JWTClaims{Slot: []byte("RVbKAgWPcrUYAodj"), Filename: []byte("picture.png"), FileSize: 7168,
		FileType: []byte("image/png"), Subject: []byte("user@example.com"), Exp: jwtExp, IssuedAt: jwtIat, Expires: 1612717960}
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst = s.AppendJWT(dst[:0], c)
	}
}
