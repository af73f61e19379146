package edge

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge/token"
)

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
