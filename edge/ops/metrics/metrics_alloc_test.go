//go:build !race

package metrics

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// Counting a request must not allocate: it runs on every request.
func TestWrapAllocs(t *testing.T) {
	m := New(Options{})
	h := m.Wrap(func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(201) })
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("PUT")
	ctx.Request.SetRequestURI("/upload/a/b")
	if n := testing.AllocsPerRun(1000, func() { h(&ctx) }); n != 0 {
		t.Fatalf("%v allocations per request; want 0", n)
	}
}

// Nor must counting a streamed answer once its body has ended.
func TestWrapWatchAllocs(t *testing.T) {
	var w BodyWatcher
	m := New(Options{WatchBody: func(_ *fasthttp.RequestCtx, pw BodyWatcher) bool { w = pw; return true }})
	h := m.Wrap(func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(200) })
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("GET")
	ctx.Request.SetRequestURI("/upload/a/b")
	if n := testing.AllocsPerRun(1000, func() { h(&ctx); w.BodySent(4096) }); n != 0 {
		t.Fatalf("%v allocations per request; want 0", n)
	}
}
