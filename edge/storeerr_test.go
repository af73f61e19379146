package edge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// downStore is an origin that cannot be reached.
type downStore struct{}

var errDown = fmt.Errorf("dial: %w", backend.ErrUnavailable)

func (downStore) Exists(context.Context, string) (bool, error) { return false, errDown }
func (downStore) Put(context.Context, string, backend.PutInfo, io.Reader) error {
	return errDown
}
func (downStore) Get(context.Context, string, *backend.GetRequest) (*backend.Object, error) {
	return nil, errDown
}
func (downStore) Delete(context.Context, string) error { return errDown }

// TestStoreUnreachable: a store failure is answered once, with its status,
// on the plain path and on the Expect path alike.
func TestStoreUnreachable(t *testing.T) {
	h, err := New(Options{Secret: []byte(testSecret), Prefix: "/upload/",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, downStore{})
	if err != nil {
		t.Fatal(err)
	}
	put, get := slot.URLs([]byte(testSecret), slot.Request{Version: token.V1, Base: "http://x/upload/", Path: "a/b.txt", Size: 5})
	for _, tc := range []struct{ method, uri string }{{"PUT", put}, {"GET", get}} {
		var req fasthttp.Request
		req.Header.SetMethod(tc.method)
		req.SetRequestURI(tc.uri)
		if tc.method == "PUT" {
			req.Header.SetContentLength(5)
		}
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, nil, nil)
		h.ServeHTTP(&ctx)
		if got, want := string(ctx.Response.Body()), "Bad Gateway\n"; ctx.Response.StatusCode() != 502 || got != want {
			t.Errorf("%s: got %d %q; want 502 %q", tc.method, ctx.Response.StatusCode(), got, want)
		}
		if tc.method == "PUT" {
			if got := h.ExpectContinue(&ctx); got != 502 {
				t.Errorf("Expect: got %d; want 502", got)
			}
		}
	}
	if !errors.Is(errDown, backend.ErrUnavailable) {
		t.Fatal("test store error does not wrap ErrUnavailable")
	}
}
