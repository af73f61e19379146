package metrics

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

type countLog struct {
	n   int
	out int64
}

func (c *countLog) Log(_ *fasthttp.RequestCtx, _ time.Time, _ time.Duration, out int64, _ string) {
	c.n++
	c.out += out
}

func call(h fasthttp.RequestHandler, method, uri string, cl int) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	if cl > 0 {
		ctx.Request.Header.SetContentLength(cl)
	}
	h(&ctx)
	return &ctx
}

func TestCounts(t *testing.T) {
	log := &countLog{}
	m := New(Options{StoreRoot: t.TempDir(), AccessLog: log})
	status := 201
	h := m.Wrap(func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(status) })
	call(h, "PUT", "/upload/a/b", 1000)
	status = 403
	call(h, "PUT", "/upload/a/c", 10)
	status = 413
	call(h, "PUT", "/upload/a/d", 10)
	status = 200
	call(h, "GET", "/upload/a/b", 0)
	status = 299
	call(h, "BREW", "/", 0)
	exp := m.WrapExpect(func(*fasthttp.RequestCtx) int { return 413 })
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("PUT")
	exp(&ctx)

	var out bytes.Buffer
	m.WritePrometheus(&out)
	for _, want := range []string{
		`upedge_uploads_total 1`,
		`upedge_upload_bytes_total 1000`,
		`upedge_requests_total{method="PUT",status="201"} 1`,
		`upedge_requests_total{method="PUT",status="413"} 2`,
		`upedge_requests_total{method="other",status="2xx"} 1`,
		`upedge_rejections_total{method="PUT",reason="token"} 1`,
		`upedge_rejections_total{method="PUT",reason="too_large"} 2`,
		`upedge_in_flight_requests{method="PUT"} 0`,
		`upedge_request_duration_seconds_count{method="PUT"} 4`,
		`upedge_request_duration_seconds_bucket{method="PUT",le="+Inf"} 4`,
		`upedge_store_free_bytes `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
	if log.n != 6 {
		t.Errorf("access log got %d requests; want 6", log.n)
	}
}

func TestHealthz(t *testing.T) {
	m := New(Options{})
	var err error
	h := m.Handler(func() error { return err })
	if ctx := call(h, "GET", "/healthz", 0); ctx.Response.StatusCode() != 200 {
		t.Fatalf("healthy: %d", ctx.Response.StatusCode())
	}
	err = errors.New("read-only file system")
	if ctx := call(h, "GET", "/healthz", 0); ctx.Response.StatusCode() != 503 || !bytes.Contains(ctx.Response.Body(), []byte("read-only")) {
		t.Fatalf("unhealthy: %d %q", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	if ctx := call(h, "GET", "/metrics", 0); ctx.Response.StatusCode() != 200 || !bytes.Contains(ctx.Response.Body(), []byte("upedge_requests_total")) {
		t.Fatalf("/metrics: %d", ctx.Response.StatusCode())
	}
}

func BenchmarkWrap(b *testing.B) {
	m := New(Options{})
	h := m.Wrap(func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(200) })
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod("GET")
		for pb.Next() {
			h(&ctx)
		}
	})
}

// TestWatchBody: an answer with a streamed body is counted, and logged,
// when its body has ended, with the bytes written; one without counts its
// body's length, 0 for HEAD and 304 (issue 11, item 6).
func TestWatchBody(t *testing.T) {
	log := &countLog{}
	var watchers []BodyWatcher
	stream := true
	m := New(Options{AccessLog: log, WatchBody: func(_ *fasthttp.RequestCtx, w BodyWatcher) bool {
		if stream {
			watchers = append(watchers, w)
		}
		return stream
	}})
	status := 200
	h := m.Wrap(func(ctx *fasthttp.RequestCtx) {
		ctx.SetStatusCode(status)
		if !ctx.IsHead() && status != 304 {
			ctx.SetBodyString("0123456789")
		}
	})
	count := func(name string) string {
		var out bytes.Buffer
		m.WritePrometheus(&out)
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, name+" ") {
				return strings.TrimPrefix(l, name+" ")
			}
		}
		return ""
	}
	call(h, "GET", "/upload/a/b", 0)
	if got := count(`upedge_requests_total{method="GET",status="200"}`); got != "0" || log.n != 0 {
		t.Fatalf("counted before the body ended: requests %s, log lines %d", got, log.n)
	}
	watchers[0].BodySent(1234) // cut short: 1234 of more went out
	if got := count("upedge_download_bytes_total"); got != "1234" || log.n != 1 || log.out != 1234 {
		t.Fatalf("after BodySent(1234): download bytes %s, log lines %d out %d; want 1234, 1, 1234", got, log.n, log.out)
	}
	stream = false
	call(h, "GET", "/upload/a/c", 0) // a body from memory: 10 bytes
	call(h, "HEAD", "/upload/a/c", 0)
	status = 304
	call(h, "GET", "/upload/a/c", 0)
	if got := count("upedge_download_bytes_total"); got != "1244" || log.n != 4 || log.out != 1244 {
		t.Fatalf("download bytes %s, log lines %d out %d; want 1244, 4, 1244", got, log.n, log.out)
	}
}

// TestOldSecretAndStoredBytes: stored uploads and deletes signed with a
// previous secret are counted; a chunked upload counts the bytes stored,
// not its Content-Length of -1.
func TestOldSecretAndStoredBytes(t *testing.T) {
	old := false
	stored, known := int64(0), false
	m := New(Options{
		OldSecret:     func(*fasthttp.RequestCtx) bool { return old },
		UploadedBytes: func(*fasthttp.RequestCtx) (int64, bool) { return stored, known },
	})
	status := 201
	h := m.Wrap(func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(status) })
	call(h, "PUT", "/upload/a/1", 100) // current secret, length from the header
	old, stored, known = true, 7168, true
	var chunked fasthttp.RequestCtx
	chunked.Request.Header.SetMethod("PUT")
	chunked.Request.Header.SetContentLength(-1)
	h(&chunked)
	status = 403
	call(h, "PUT", "/upload/a/2", 10) // refused: not counted as old
	status = 401                      // a refused JWT: a token rejection too
	call(h, "PUT", "/upload/a/3", 10)
	status = 204
	call(h, "DELETE", "/upload/a/1", 0)
	old = false
	call(h, "DELETE", "/upload/a/2", 0)
	var out bytes.Buffer
	m.WritePrometheus(&out)
	for _, want := range []string{
		`upedge_uploads_total 2`,
		`upedge_upload_bytes_total 7268`,
		`upedge_uploads_old_secret_total 1`,
		`upedge_deletes_total 2`,
		`upedge_deletes_old_secret_total 1`,
		`upedge_requests_total{method="DELETE",status="204"} 2`,
		`upedge_requests_total{method="PUT",status="401"} 1`,
		`upedge_rejections_total{method="PUT",reason="token"} 2`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
}
