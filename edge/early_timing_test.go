package edge

import (
	"strings"
	"testing"
	"time"

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
	h, _ := newQuietHandler(b, Options{}, dirstore.Options{})
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

// BenchmarkProbe measures what the probe of upedge check costs a request:
// without the header (every client's request) and with a valid probe
// token (upedge check's), on a PUT refused on its head, through
// HeaderReceived and the handler.
func BenchmarkProbe(b *testing.B) {
	h, _ := newQuietHandler(b, Options{}, dirstore.Options{})
	probe := string(token.NewSigner([]byte(testSecret)).AppendProbe(nil, time.Now().Unix()))
	for _, tc := range []struct{ name, probe string }{{"no probe", ""}, {"probe", probe}} {
		b.Run(tc.name, func(b *testing.B) {
			var req fasthttp.Request
			req.Header.SetMethod(fasthttp.MethodPut)
			req.SetRequestURI("/upload/abc123/my%20file.txt?v=0000000000000000000000000000000000000000000000000000000000000000")
			req.Header.SetContentLength(10)
			if tc.probe != "" {
				req.Header.Set(ProbeHeader, tc.probe)
			}
			var ctx fasthttp.RequestCtx
			ctx.Init(&req, nil, nil)
			rh := &ctx.Request.Header
			b.ReportAllocs()
			// As fasthttp runs them: HeaderReceived, the handler, the
			// reset of the user values.
			for b.Loop() {
				ctx.Response.Reset()
				rh.SetContentLength(10)
				h.HeaderReceived(rh)
				h.ServeHTTP(&ctx)
				ctx.ResetUserValues()
				if ctx.Response.StatusCode() != fasthttp.StatusForbidden {
					b.Fatalf("status %d", ctx.Response.StatusCode())
				}
			}
		})
	}
}
