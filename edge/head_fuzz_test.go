package edge

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// FuzzHeaderReceived runs any request head through what the server does
// with it before and in the handler: HeaderReceived (the decision on the
// head, the line limits, the body held back), the Expect handler, then
// ServeHTTP (routing, the download headers, duplicate fields, ranges and
// preconditions against a stored file). The answer must be a known
// status with the CORS headers, and a Content-Length HeaderReceived held
// back must be the client's again once the handler has run.
func FuzzHeaderReceived(f *testing.F) {
	store, err := dirstore.New(f.TempDir(), dirstore.Options{})
	if err != nil {
		f.Fatal(err)
	}
	body := strings.Repeat("0123456789", 10)
	h, err := New(Options{Secret: []byte(testSecret), Prefix: "/upload/", MaxFileSize: 1 << 20, MaxHeaderLine: 1024,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, store)
	if err != nil {
		f.Fatal(err)
	}
	if err := store.Put(context.Background(), "abc/file.txt", backend.PutInfo{Size: int64(len(body)), ContentType: "text/plain"}, strings.NewReader(body)); err != nil {
		f.Fatal(err)
	}
	// A good token for the stored name: refused as taken (409).
	put, _ := slot.URLs([]byte(testSecret), slot.Request{Version: token.V1, Base: "http://x/upload/", Path: "abc/file.txt", Size: int64(len(body))})
	target := strings.TrimPrefix(put, "http://x")
	for _, s := range []string{
		"GET /upload/abc/file.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-4,\r\nIf-None-Match: \"x\"\r\nIf-None-Match: *\r\n\r\n",
		"HEAD /upload/abc/file.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=5-\r\nIf-Range: \"x\"\r\n\r\n",
		"GET /upload/abc/file.txt HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nIf-Modified-Since: x\r\n\r\n",
		"PUT " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
		"PUT /upload/abc/new.txt?v=00 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\nX-Upedge-Early: 0 5\r\n\r\n",
		"PUT /upload/abc/new.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST /upload/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
		"GET /upload/x HTTP/1.1\r\nHost: x\r\nCookie: " + strings.Repeat("c", 1100) + "\r\n\r\n",
		"GET /upload/" + strings.Repeat("a", 1100) + " HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		var req fasthttp.Request
		if req.Header.Read(bufio.NewReader(bytes.NewReader(head))) != nil {
			return
		}
		sent := req.Header.ContentLength()
		h.HeaderReceived(&req.Header)
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, nil, nil)
		if ctx.Request.MayContinue() {
			if st := h.ExpectContinue(&ctx); st != fasthttp.StatusContinue {
				checkAnswer(t, &ctx, head)
				return
			}
		}
		h.ServeHTTP(&ctx)
		checkAnswer(t, &ctx, head)
		if got := ctx.Request.Header.ContentLength(); got != sent && !(sent == -2 && got == 0) {
			t.Fatalf("%q: Content-Length %d after the handler; the client sent %d", head, got, sent)
		}
		ctx.Response.Reset()
		ctx.ResetUserValues()
	})
}

func checkAnswer(t *testing.T, ctx *fasthttp.RequestCtx, head []byte) {
	t.Helper()
	switch st := ctx.Response.StatusCode(); st {
	case 200, 201, 204, 206, 304, 400, 403, 404, 405, 409, 411, 412, 413, 414, 416, 431:
	default:
		t.Fatalf("%q: status %d", head, st)
	}
	if len(ctx.Response.Header.Peek("Access-Control-Allow-Origin")) == 0 {
		t.Fatalf("%q: %d without CORS", head, ctx.Response.StatusCode())
	}
}
