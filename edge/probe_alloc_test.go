//go:build !race

package edge

import (
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge/token"
)

// TestProbeAllocatesNothing: answering upedge check's probe token with
// Upedge-Received allocates nothing, in the handler and in the Expect
// handler, as the rest of the routing does (TestRoutingAllocatesNothing).
func TestProbeAllocatesNothing(t *testing.T) {
	h, _ := newQuietHandler(t, Options{MaxFileSize: 64 << 10}, dirstore.Options{})
	var req fasthttp.Request
	req.Header.SetMethod(fasthttp.MethodPut)
	req.SetRequestURI("/upload/abc123/my%20file.txt?v=" + strings.Repeat("0", 64))
	req.Header.SetContentLength(10)
	req.Header.Set(ProbeHeader, string(token.NewSigner([]byte(testSecret)).AppendProbe(nil, time.Now().Unix())))
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, nil, nil)
	rh := &ctx.Request.Header
	// As fasthttp runs them (TestRoutingAllocatesNothing): HeaderReceived
	// on the header, which refuses this PUT and sets its length aside,
	// then the handler, then the reset of the user values.
	run := func() {
		ctx.Response.Reset()
		rh.SetContentLength(10)
		h.HeaderReceived(rh)
		h.ServeHTTP(&ctx)
		ctx.ResetUserValues()
	}
	run()
	if got := ctx.Response.StatusCode(); got != fasthttp.StatusForbidden {
		t.Fatalf("status: got %d; want 403", got)
	}
	if got := string(ctx.Response.Header.Peek(ReceivedHeader)); !strings.HasPrefix(got, "length=10;") {
		t.Fatalf("%s: got %q; want it to start with %q", ReceivedHeader, got, "length=10;")
	}
	if n := testing.AllocsPerRun(500, run); n != 0 {
		t.Errorf("%v allocations per request with a probe; want 0", n)
	}
	if n := testing.AllocsPerRun(500, func() {
		rh.SetContentLength(10)
		h.ExpectContinue(&ctx)
	}); n != 0 {
		t.Errorf("ExpectContinue: %v allocations per request with a probe; want 0", n)
	}
}
