// Package metrics counts what the edge does, for Prometheus, and serves
// /metrics and /healthz on a listener of their own (never on the public
// one). It uses github.com/VictoriaMetrics/metrics: atomic counters and
// histograms without reflection or allocation per request.
//
// Request durations are a Prometheus histogram with fixed le buckets
// (histogram.go), which Prometheus and VictoriaMetrics both read.
package metrics

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"
	"golang.org/x/sys/unix"

	"github.com/upedge/upedge/backend/httpsem"
)

// AccessLog receives every finished request (accesslog.Logger): dur is
// the handler's time, out the body bytes written to the client, refusal
// why its upload token was refused, or "".
type AccessLog interface {
	Log(ctx *fasthttp.RequestCtx, start time.Time, dur time.Duration, out int64, refusal string)
}

// BodyWatcher is told how many body bytes of an answer were written, once
// its streamed body has ended.
type BodyWatcher interface {
	BodySent(n int64)
}

// Options configure Metrics. The zero value counts requests and nothing
// else.
type Options struct {
	// StoreRoot, if not empty, is the directory whose file system's free
	// space is reported.
	StoreRoot string
	// AccessLog, when set, is given every finished request.
	AccessLog AccessLog
	// TokenRefusal, when set, says why the upload token of a request was
	// refused ("" when it was not); TokenReasons lists every answer it
	// gives, so that each gets its upedge_token_rejections_total series
	// up front.
	TokenRefusal func(ctx *fasthttp.RequestCtx) string
	TokenReasons []string
	// OldSecret, when set, says whether the accepted token of a request
	// was signed with a previous secret: stored uploads and deletes so
	// signed are counted, so that operators see when a previous secret
	// is no longer used and can be dropped.
	OldSecret func(ctx *fasthttp.RequestCtx) bool
	// UploadedBytes, when set, says how many bytes a stored upload had
	// (false: unknown, the Content-Length is counted); a chunked body's
	// size is in no header.
	UploadedBytes func(ctx *fasthttp.RequestCtx) (int64, bool)
	// WatchBody, when set, is asked after the handler whether the answer
	// has a streamed body; if so (true), it calls w.BodySent with the
	// bytes written once the stream ends, and the request is counted and
	// logged then, with what was sent (edge.WatchBody). Answers without a
	// stream count the length of their body, 0 for HEAD and 304.
	WatchBody func(ctx *fasthttp.RequestCtx, w BodyWatcher) bool
}

const (
	mPut = iota
	mGet
	mHead
	mOptions
	mDelete
	mOther
	nMethods
)

var methodNames = [nMethods]string{"PUT", "GET", "HEAD", "OPTIONS", "DELETE", "other"}

// statuses are the codes counted by their own label; others count as
// their class ("2xx", "4xx", ...).
var statuses = []int{200, 201, 204, 206, 304, 400, 401, 403, 404, 405, 408, 409, 410, 411, 412, 413, 414, 416, 431, 500, 502, 503, 504, 507}

// reasons names why an upload or download was refused, by status: 401 is
// a JWT's refusal (Prosody's mod_http_file_share answers so), 403 a query
// token's; 410 a download past its expiry or a JWT past its exp.
var reasons = map[int]string{
	400: "bad_request", 401: "token", 403: "token", 404: "not_found", 405: "method", 408: "timeout", 409: "exists", 410: "expired",
	411: "no_length", 412: "precondition", 413: "too_large", 414: "too_long", 416: "range", 431: "header_too_large",
	500: "internal", 502: "upstream", 503: "overloaded", 504: "upstream_timeout", 507: "no_space",
}

// Metrics is safe for concurrent use.
type Metrics struct {
	set     *vm.Set
	log     AccessLog
	refusal func(ctx *fasthttp.RequestCtx) string
	old     func(ctx *fasthttp.RequestCtx) bool
	stored  func(ctx *fasthttp.RequestCtx) (int64, bool)
	// tokenRejections by reason; read only after New.
	tokenRejections map[string]*vm.Counter

	requests    [nMethods][600]*vm.Counter // by method and status
	rejections  [nMethods][600]*vm.Counter
	duration    [nMethods]*histogram
	inFlight    [nMethods]atomic.Int64
	uploads     *vm.Counter
	uploadBytes *vm.Counter
	sentBytes   *vm.Counter
	deletes     *vm.Counter
	uploadsOld  *vm.Counter // stored uploads signed with a previous secret
	deletesOld  *vm.Counter

	watch   func(ctx *fasthttp.RequestCtx, w BodyWatcher) bool
	pending sync.Pool // of *pending
}

// pending is a request whose counting waits for the end of its streamed
// body.
type pending struct {
	m     *Metrics
	ctx   *fasthttp.RequestCtx
	mi    int
	start time.Time
	dur   time.Duration
}

// BodySent finishes the request's counting. fasthttp ends the stream
// while it writes the answer, before it resets the request, so ctx still
// holds it.
func (p *pending) BodySent(n int64) {
	p.m.done(p.ctx, p.mi, p.start, p.dur, n)
	p.ctx = nil
	p.m.pending.Put(p)
}

// New registers the edge's metrics.
func New(opts Options) *Metrics {
	m := &Metrics{set: vm.NewSet(), log: opts.AccessLog, refusal: opts.TokenRefusal,
		old: opts.OldSecret, stored: opts.UploadedBytes, tokenRejections: map[string]*vm.Counter{},
		watch: opts.WatchBody}
	m.pending.New = func() any { return &pending{m: m} }
	for _, r := range opts.TokenReasons {
		m.tokenRejections[r] = m.set.NewCounter(fmt.Sprintf(`upedge_token_rejections_total{reason=%q}`, r))
	}
	storeRoot := opts.StoreRoot
	for mi, method := range methodNames {
		byStatus := map[string]*vm.Counter{}
		rejByStatus := map[string]*vm.Counter{}
		for code := 100; code < 600; code++ {
			label := strconv.Itoa(code/100) + "xx"
			for _, s := range statuses {
				if s == code {
					label = strconv.Itoa(code)
				}
			}
			c := byStatus[label]
			if c == nil {
				c = m.set.NewCounter(fmt.Sprintf(`upedge_requests_total{method=%q,status=%q}`, method, label))
				byStatus[label] = c
			}
			m.requests[mi][code] = c
			if reason, ok := reasons[code]; ok {
				r := rejByStatus[reason]
				if r == nil {
					r = m.set.NewCounter(fmt.Sprintf(`upedge_rejections_total{method=%q,reason=%q}`, method, reason))
					rejByStatus[reason] = r
				}
				m.rejections[mi][code] = r
			}
		}
		m.duration[mi] = newHistogram("upedge_request_duration_seconds", fmt.Sprintf("method=%q", method))
		m.set.NewGauge(fmt.Sprintf(`upedge_in_flight_requests{method=%q}`, method), func() float64 {
			return float64(m.inFlight[mi].Load())
		})
	}
	m.set.RegisterMetricsWriter(func(w io.Writer) {
		io.WriteString(w, "# TYPE upedge_request_duration_seconds histogram\n")
		for _, h := range m.duration {
			h.write(w)
		}
	})
	m.uploads = m.set.NewCounter("upedge_uploads_total")
	m.uploadBytes = m.set.NewCounter("upedge_upload_bytes_total")
	m.sentBytes = m.set.NewCounter("upedge_download_bytes_total")
	m.deletes = m.set.NewCounter("upedge_deletes_total")
	m.uploadsOld = m.set.NewCounter("upedge_uploads_old_secret_total")
	m.deletesOld = m.set.NewCounter("upedge_deletes_old_secret_total")
	if storeRoot != "" {
		m.set.NewGauge("upedge_store_free_bytes", func() float64 {
			free, _ := space(storeRoot)
			return float64(free)
		})
		m.set.NewGauge("upedge_store_size_bytes", func() float64 {
			_, size := space(storeRoot)
			return float64(size)
		})
	}
	return m
}

// Set returns the metric set, for other parts (quota, retention, access
// log, compression) to register their counters in.
func (m *Metrics) Set() *vm.Set { return m.set }

func space(dir string) (free, size uint64) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize)
}

func methodIndex(ctx *fasthttp.RequestCtx) int {
	switch {
	case ctx.IsPut():
		return mPut
	case ctx.IsGet():
		return mGet
	case ctx.IsHead():
		return mHead
	case ctx.IsOptions():
		return mOptions
	case ctx.IsDelete():
		return mDelete
	}
	return mOther
}

// Wrap returns next counting every request (and logging it, with an
// access log), once its answer's body is written when it is streamed.
func (m *Metrics) Wrap(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		start := time.Now()
		mi := methodIndex(ctx)
		m.inFlight[mi].Add(1)
		next(ctx)
		m.inFlight[mi].Add(-1)
		dur := time.Since(start)
		if m.watch != nil {
			p := m.pending.Get().(*pending)
			p.ctx, p.mi, p.start, p.dur = ctx, mi, start, dur
			if m.watch(ctx, p) {
				return
			}
			p.ctx = nil
			m.pending.Put(p)
		}
		m.done(ctx, mi, start, dur, bodyLen(ctx))
	}
}

// WrapExpect returns the fasthttp ExpectHandler next, counting the
// uploads it refuses on their headers (the request handler never sees
// them).
func (m *Metrics) WrapExpect(next func(*fasthttp.RequestCtx) int) func(*fasthttp.RequestCtx) int {
	return func(ctx *fasthttp.RequestCtx) int {
		start := time.Now()
		status := next(ctx)
		if status != fasthttp.StatusContinue {
			ctx.Response.SetStatusCode(status)
			m.done(ctx, methodIndex(ctx), start, time.Since(start), 0)
		}
		return status
	}
}

// WrapError returns the fasthttp ErrorHandler next, counting (and
// logging) the answers it makes to requests fasthttp could not read: a
// head too large (431), too slow (408), malformed (400).
func (m *Metrics) WrapError(next func(*fasthttp.RequestCtx, error)) func(*fasthttp.RequestCtx, error) {
	return func(ctx *fasthttp.RequestCtx, err error) {
		start := time.Now()
		next(ctx, err)
		m.done(ctx, methodIndex(ctx), start, time.Since(start), bodyLen(ctx))
	}
}

// bodyLen is what an answer without a streamed body writes of its body.
func bodyLen(ctx *fasthttp.RequestCtx) int64 {
	switch st := ctx.Response.StatusCode(); {
	case ctx.IsHead(), st == fasthttp.StatusNotModified, st == fasthttp.StatusNoContent, st < 200:
		return 0
	}
	return int64(len(ctx.Response.Body()))
}

func (m *Metrics) done(ctx *fasthttp.RequestCtx, mi int, start time.Time, dur time.Duration, out int64) {
	status := ctx.Response.StatusCode()
	if status < 100 || status >= 600 {
		status = 500
	}
	m.requests[mi][status].Inc()
	m.duration[mi].update(dur)
	if r := m.rejections[mi][status]; r != nil {
		r.Inc()
	}
	switch {
	case mi == mPut && status == fasthttp.StatusCreated:
		m.uploads.Inc()
		n, ok := int64(0), false
		if m.stored != nil {
			n, ok = m.stored(ctx)
		}
		if !ok {
			n = max(int64(ctx.Request.Header.ContentLength()), 0)
		}
		m.uploadBytes.AddInt64(n)
		if m.old != nil && m.old(ctx) {
			m.uploadsOld.Inc()
		}
	case mi == mDelete && status == fasthttp.StatusNoContent:
		m.deletes.Inc()
		if m.old != nil && m.old(ctx) {
			m.deletesOld.Inc()
		}
	case mi == mGet && (status == fasthttp.StatusOK || status == fasthttp.StatusPartialContent):
		m.sentBytes.AddInt64(out)
	}
	refusal := ""
	if m.refusal != nil {
		if refusal = m.refusal(ctx); refusal != "" {
			if c := m.tokenRejections[refusal]; c != nil {
				c.Inc()
			}
		}
	}
	if m.log != nil {
		m.log.Log(ctx, start, dur, out, refusal)
	}
}

// WritePrometheus writes all metrics, process metrics included.
func (m *Metrics) WritePrometheus(w io.Writer) {
	m.set.WritePrometheus(w)
	vm.WriteProcessMetrics(w)
}

// Handler serves GET /metrics and GET /healthz; healthy is asked on each
// /healthz and its error makes the answer 503.
func (m *Metrics) Handler(healthy func() error) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/metrics":
			ctx.SetContentType("text/plain; version=0.0.4; charset=utf-8")
			m.WritePrometheus(ctx)
		case "/healthz":
			ctx.SetContentType(httpsem.TextPlain)
			if healthy != nil {
				if err := healthy(); err != nil {
					ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
					fmt.Fprintf(ctx, "unhealthy: %v\n", err)
					return
				}
			}
			ctx.WriteString("ok\n")
		default:
			ctx.Error("not found: try /metrics or /healthz\n", fasthttp.StatusNotFound)
		}
	}
}

// NewServer returns the fasthttp server of the metrics listener.
func (m *Metrics) NewServer(healthy func() error) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:      m.Handler(healthy),
		Name:         "upedge-metrics",
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
		IdleTimeout:  60 * time.Second,
		Concurrency:  64,
	}
}
