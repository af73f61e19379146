//go:build !race

package edge

import (
	"bufio"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// TestRoutingAllocatesNothing drives the handler's hot path (method
// switch, path decoding, token check, CORS and error answers) on a reused
// RequestCtx, as fasthttp does, and wants zero allocations per request.
func TestRoutingAllocatesNothing(t *testing.T) {
	store, err := dirstore.New(t.TempDir(), dirstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Secret: []byte(testSecret), Prefix: "/upload/", MaxFileSize: 64 << 10,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h, err := New(opts, store)
	if err != nil {
		t.Fatal(err)
	}
	opts.DeleteSecret = []byte("d")
	withDelete, err := New(opts, store)
	if err != nil {
		t.Fatal(err)
	}
	badMAC := strings.Repeat("0", 64)
	jwt := func(path string, exp int64) string {
		return slot.Sign(token.NewSigner([]byte(testSecret)), slot.Request{Version: token.JWT, Base: "http://x/upload/",
			Path: path, Size: 10, Timestamp: time.Now().Unix(), Exp: exp}).Authorization
	}
	future := time.Now().Add(time.Hour).Unix()
	good := jwt("abc123/photo.jpg", future)
	for _, tc := range []struct {
		name, method, uri string
		length            int
		want              int
		authz             string
		deleteOn          bool
	}{
		{"PUT forged JWT", "PUT", "/upload/abc123/photo.jpg", 10, 401, good[:len(good)-2] + "AA", false},
		{"PUT expired JWT", "PUT", "/upload/abc123/photo.jpg", 10, 410, jwt("abc123/photo.jpg", 1), false},
		{"PUT JWT for another slot", "PUT", "/upload/abc124/photo.jpg", 10, 400, good, false},
		{"PUT JWT for another size", "PUT", "/upload/abc123/photo.jpg", 11, 413, good, false},
		{"PUT wrong v3-expires token", "PUT", "/upload/abc123/photo.jpg?v3=" + badMAC + "&expires=4000000000", 10, 403, "", false},
		{"DELETE wrong token", "DELETE", "/upload/abc123/photo.jpg?token=" + badMAC, 0, 403, "", true},
		{"PUT wrong token", "PUT", "/upload/abc123/my%20file.txt?v=" + badMAC, 10, 403, "", false},
		{"PUT wrong v3 token", "PUT", "/upload/abc123/photo.jpg?v3=" + badMAC + "&uploader=a%40b&ts=1", 10, 403, "", false},
		// A refused body takes the lingering close, whose pooled state
		// returns when fasthttp resets the request after the hijacked
		// connection is done (run does it with ResetUserValues).
		{"PUT too large", "PUT", "/upload/abc123/big.bin?v=" + badMAC, 100 << 10, 413, "", false},
		{"PUT too large, no body yet", "PUT", "/upload/abc123/big.bin?v=" + badMAC, 1 << 30, 413, "", false},
		{"PUT without a length", "PUT", "/upload/abc123/empty.bin?v=" + badMAC, 0, 411, "", false},
		{"POST with a body", "POST", "/upload/abc/x", 10, 405, "", false},
		{"PUT bad path", "PUT", "/upload/abc/%2e%2e/x?v=" + badMAC, 10, 400, "", false},
		{"GET outside prefix", "GET", "/elsewhere/x", 0, 404, "", false},
		{"PUT too long", "PUT", "/upload/abc/" + strings.Repeat("%D1%8F", 520) + "?v=" + badMAC, 10, 414, "", false},
		{"GET too long", "GET", "/upload/abc/" + strings.Repeat("x", 1100), 0, 414, "", false},
		{"GET a header line too long", "GET", "/upload/abc/x", 0, 431, "", false},
		{"GET reserved", "GET", "/upload/abc/.upedge/x", 0, 400, "", false},
		{"GET metadata", "GET", "/upload/abc/.upedge.x", 0, 400, "", false},
		{"OPTIONS", "OPTIONS", "/upload/abc/x", 0, 204, "", false},
		{"DELETE", "DELETE", "/upload/abc/x", 0, 405, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req fasthttp.Request
			req.Header.SetMethod(tc.method)
			req.SetRequestURI(tc.uri)
			if tc.length > 0 {
				req.Header.SetContentLength(tc.length)
			}
			if tc.authz != "" {
				req.Header.Set("Authorization", tc.authz)
			}
			h := h
			if tc.deleteOn {
				h = withDelete
			}
			if tc.name == "GET a header line too long" {
				// The line limit reads the raw head, which only a
				// parsed request has.
				raw := "GET " + tc.uri + " HTTP/1.1\r\nHost: x\r\nCookie: " + strings.Repeat("c", DefaultMaxHeaderLine) + "\r\n\r\n"
				if err := req.Header.Read(bufio.NewReaderSize(strings.NewReader(raw), 2*len(raw))); err != nil {
					t.Fatal(err)
				}
			}
			var ctx fasthttp.RequestCtx
			ctx.Init(&req, nil, nil)
			// Init copies req: the header the handler sees is ctx's.
			rh := &ctx.Request.Header
			// As fasthttp runs them: HeaderReceived on the header, then
			// the handler, then the reset of the user values.
			run := func() {
				ctx.Response.Reset()
				if tc.length > 0 {
					rh.SetContentLength(tc.length)
				}
				h.HeaderReceived(rh)
				h.ServeHTTP(&ctx)
				if got := rh.ContentLength(); tc.length > 0 && got != tc.length {
					t.Fatalf("Content-Length %d after the handler; want %d", got, tc.length)
				}
				ctx.ResetUserValues()
			}
			run()
			if got := ctx.Response.StatusCode(); got != tc.want {
				t.Fatalf("status: got %d; want %d", got, tc.want)
			}
			if n := testing.AllocsPerRun(500, run); n != 0 {
				t.Fatalf("%v allocations per request; want 0", n)
			}
			if tc.method == "PUT" {
				// Without HeaderReceived (the Expect handler decides
				// alone) and with it (it confirms what was decided).
				if n := testing.AllocsPerRun(500, func() { h.ExpectContinue(&ctx) }); n != 0 {
					t.Fatalf("ExpectContinue: %v allocations per request; want 0", n)
				}
				if n := testing.AllocsPerRun(500, func() {
					rh.SetContentLength(tc.length)
					h.HeaderReceived(rh)
					h.ExpectContinue(&ctx)
					h.takeEarly(&ctx)
				}); n != 0 {
					t.Fatalf("ExpectContinue: %v allocations per request; want 0", n)
				}
			}
		})
	}
}
