package bench

import "testing"

// The harness signs every PUT; this is its cost per slot.
func BenchmarkSignerAppendPutURL(b *testing.B) {
	for _, ver := range []string{"v1", "v3", "jwt"} {
		b.Run(ver, func(b *testing.B) {
			s, err := NewSigner("http://127.0.0.1:5050/upload/", "secret", ver, "bench@example.org", nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var dst, authz []byte
			for b.Loop() {
				dst = s.AppendPutURL(dst[:0], "0123456789ab-put-small-3-1234", "bench file.bin", 4096, "application/octet-stream")
				authz = s.AppendAuthorization(authz[:0], "0123456789ab-put-small-3-1234", "bench file.bin", 4096, "application/octet-stream")
			}
		})
	}
}
