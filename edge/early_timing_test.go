package edge

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// BenchmarkHeaderReceived is the price of deciding a request on its head
// before fasthttp reads the body (edge/early.go): a forged PUT (token
// check, refused), a good one (token check and the store's Exists, a
// stat on the directory store) and a GET (the line limits only).
func BenchmarkHeaderReceived(b *testing.B) {
	store, err := dirstore.New(b.TempDir(), dirstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	h, err := New(Options{Secret: []byte(testSecret), Prefix: "/upload/", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, store)
	if err != nil {
		b.Fatal(err)
	}
	good, _ := slot.URLs([]byte(testSecret), slot.Request{Version: token.V1, Base: "http://x/upload/", Path: "abc123/photo.jpg", Size: 1 << 20})
	for _, tc := range []struct {
		name, method, uri string
	}{
		{"PUT forged", "PUT", "/upload/abc123/photo.jpg?v=" + strings.Repeat("0", 64)},
		{"PUT good", "PUT", strings.TrimPrefix(good, "http://x")},
		{"GET", "GET", "/upload/abc123/photo.jpg"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var rh fasthttp.RequestHeader
			rh.SetMethod(tc.method)
			rh.SetRequestURI(tc.uri)
			rh.SetHost("x")
			b.ReportAllocs()
			for b.Loop() {
				if tc.method == "PUT" {
					rh.SetContentLength(1 << 20)
				}
				h.HeaderReceived(&rh)
			}
		})
	}
}
