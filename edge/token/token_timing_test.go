package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"
)

// BenchmarkVerify measures the per-request cost of checking a token.
// Goal: 0 allocs/op and at most 300 ns/op.
func BenchmarkVerify(b *testing.B) {
	v := NewVerifier([]byte(secret), 0, vectorClock)
	for _, tc := range vectors {
		b.Run(tc.name, func(b *testing.B) {
			mac := []byte(tc.hex)
			c := tc.c
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := v.Verify(tc.ver, mac, &c); err != nil {
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

// BenchmarkVerifySerial is BenchmarkVerify on one goroutine: the latency
// one request pays, where BenchmarkVerify shows the throughput of all cores.
func BenchmarkVerifySerial(b *testing.B) {
	v := NewVerifier([]byte(secret), 0, vectorClock)
	for _, tc := range []int{0, 5} { // v1 and v3
		tc := vectors[tc]
		b.Run(tc.name, func(b *testing.B) {
			mac := []byte(tc.hex)
			c := tc.c
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(tc.ver, mac, &c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
