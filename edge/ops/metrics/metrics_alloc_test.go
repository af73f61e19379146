//go:build !race

package metrics

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// Counting a request must not allocate: it runs on every request.
func TestWrapAllocs(t *testing.T) {
	m := New("", nil)
	h := m.Wrap(func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(201) })
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("PUT")
	ctx.Request.SetRequestURI("/upload/a/b")
	if n := testing.AllocsPerRun(1000, func() { h(&ctx) }); n != 0 {
		t.Fatalf("%v allocations per request; want 0", n)
	}
}
