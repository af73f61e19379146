//go:build !race

package edge

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend/dirstore"
)

// TestRoutingAllocatesNothing drives the handler's hot path (method
// switch, path decoding, token check, CORS and error answers) on a reused
// RequestCtx, as fasthttp does, and wants zero allocations per request.
func TestRoutingAllocatesNothing(t *testing.T) {
	store, err := dirstore.New(t.TempDir(), dirstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Secret: []byte(testSecret), Prefix: "/upload/", MaxFileSize: 64 << 10,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, store)
	if err != nil {
		t.Fatal(err)
	}
	badMAC := strings.Repeat("0", 64)
	for _, tc := range []struct {
		name, method, uri string
		length            int
		want              int
	}{
		{"PUT wrong token", "PUT", "/upload/abc123/my%20file.txt?v=" + badMAC, 10, 403},
		{"PUT wrong v3 token", "PUT", "/upload/abc123/photo.jpg?v3=" + badMAC + "&uploader=a%40b&ts=1", 10, 403},
		// Within maxDrain: a larger refused body takes the lingering
		// close, whose pooled state only returns once the hijacked
		// connection is done, which a RequestCtx without one never is.
		{"PUT too large", "PUT", "/upload/abc123/big.bin?v=" + badMAC, 100 << 10, 413},
		{"PUT bad path", "PUT", "/upload/abc/%2e%2e/x?v=" + badMAC, 10, 400},
		{"GET outside prefix", "GET", "/elsewhere/x", 0, 404},
		{"PUT too long", "PUT", "/upload/abc/" + strings.Repeat("%D1%8F", 520) + "?v=" + badMAC, 10, 414},
		{"GET too long", "GET", "/upload/abc/" + strings.Repeat("x", 1100), 0, 414},
		{"GET reserved", "GET", "/upload/abc/.upedge/x", 0, 400},
		{"GET metadata", "GET", "/upload/abc/.upedge.x", 0, 400},
		{"OPTIONS", "OPTIONS", "/upload/abc/x", 0, 204},
		{"DELETE", "DELETE", "/upload/abc/x", 0, 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req fasthttp.Request
			req.Header.SetMethod(tc.method)
			req.SetRequestURI(tc.uri)
			if tc.length > 0 {
				req.Header.SetContentLength(tc.length)
			}
			var ctx fasthttp.RequestCtx
			ctx.Init(&req, nil, nil)
			run := func() {
				ctx.Response.Reset()
				h.ServeHTTP(&ctx)
			}
			run()
			if got := ctx.Response.StatusCode(); got != tc.want {
				t.Fatalf("status: got %d; want %d", got, tc.want)
			}
			if n := testing.AllocsPerRun(500, run); n != 0 {
				t.Fatalf("%v allocations per request; want 0", n)
			}
			if tc.method == "PUT" {
				if n := testing.AllocsPerRun(500, func() { h.ExpectContinue(&ctx) }); n != 0 {
					t.Fatalf("ExpectContinue: %v allocations per request; want 0", n)
				}
			}
		})
	}
}
