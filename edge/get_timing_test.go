package edge

import (
	"context"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/dirstore"
)

// BenchmarkGetSmall serves a 4 KiB file from the directory store through
// the handler on a reused RequestCtx, with and without the small-file
// cache, and reports the allocations a download costs.
func BenchmarkGetSmall(b *testing.B) {
	for _, cache := range []int64{0, 1 << 20} {
		name := "cache off"
		if cache > 0 {
			name = "cache on"
		}
		b.Run(name, func(b *testing.B) {
			h, store := newQuietHandler(b, Options{}, dirstore.Options{SmallCacheBytes: cache})
			body := strings.Repeat("x", 4096)
			if err := store.Put(context.Background(), "abc123/sticker.webp", backend.PutInfo{Size: 4096, ContentType: "image/webp"}, strings.NewReader(body)); err != nil {
				b.Fatal(err)
			}
			var req fasthttp.Request
			req.SetRequestURI("/upload/abc123/sticker.webp")
			var ctx fasthttp.RequestCtx
			ctx.Init(&req, nil, nil)
			b.ReportAllocs()
			b.SetBytes(4096)
			for b.Loop() {
				ctx.Response.Reset()
				h.ServeHTTP(&ctx)
				if ctx.Response.StatusCode() != 200 || len(ctx.Response.Body()) != 4096 {
					b.Fatalf("got %d, %d bytes", ctx.Response.StatusCode(), len(ctx.Response.Body()))
				}
			}
		})
	}
}
