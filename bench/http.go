package bench

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// hostClient returns a fasthttp client for t with room for conns
// connections. It never retries (a retried request would be counted as one
// with the latency of both) and sends the path exactly as signed.
func (t *Target) hostClient(conns int) *fasthttp.HostClient {
	return &fasthttp.HostClient{
		Addr:                      t.addr,
		IsTLS:                     t.tls,
		Name:                      "upedge-bench",
		MaxConns:                  conns,
		MaxConnWaitTimeout:        t.timeout(),
		MaxIdemponentCallAttempts: 1,
		RetryIfErr:                func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
		DisablePathNormalizing:    true,
		StreamResponseBody:        true,
		ReadBufferSize:            16 << 10,
		WriteBufferSize:           64 << 10,
		MaxIdleConnDuration:       time.Minute,
	}
}

func (t *Target) timeout() time.Duration {
	if t.Timeout <= 0 {
		return time.Minute
	}
	return t.Timeout
}

// httpWorker is the per-goroutine state of the fasthttp scenarios: one
// request, one response, scratch for URLs and a sink for response bodies,
// all reused.
type httpWorker struct {
	hc   *fasthttp.HostClient
	req  fasthttp.Request
	resp fasthttp.Response
	sink []byte
	slotMaker
}

func newHTTPWorkers(hc *fasthttp.HostClient, n int) []*httpWorker {
	ws := make([]*httpWorker, n)
	for i := range ws {
		ws[i] = &httpWorker{hc: hc, sink: make([]byte, 256<<10)}
	}
	return ws
}

// put uploads body to a fresh slot and records it as worker i. When the
// upload is stored and keep is not nil, keep gets the slot's GET URL.
func (w *httpWorker) put(r *run, i int, body []byte, keep func(getURL string)) {
	t := r.t
	w.nextSlot(r, i, int64(len(body)))
	req := &w.req
	req.Reset()
	req.Header.SetMethod(fasthttp.MethodPut)
	req.SetRequestURIBytes(w.url)
	if len(w.authz) > 0 {
		req.Header.SetBytesV(fasthttp.HeaderAuthorization, w.authz)
	}
	// The Content-Type sent must be the one signed: without one, fasthttp
	// would send its form default, which the token does not cover.
	if t.ContentType == "" {
		req.Header.SetNoDefaultContentType(true)
	} else {
		req.Header.SetContentType(t.ContentType)
	}
	req.SetBodyRaw(body)
	start, status, _, err := w.do(r)
	var n int64
	if err == nil && is2xx(status) {
		n = int64(len(body))
		if keep != nil {
			keep(string(t.Signer.AppendGetURL(nil, string(w.id), t.fileName())))
		}
	}
	r.record(i, start, status, n, err)
}

// do sends w.req within the run's request deadline and reads the answer:
// its status and the body bytes read. start is when the request left.
func (w *httpWorker) do(r *run) (start time.Time, status int, n int64, err error) {
	w.resetResp()
	start = time.Now()
	if err = w.hc.DoDeadline(&w.req, &w.resp, r.requestDeadline()); err != nil {
		return start, 0, 0, err
	}
	n, err = w.drain()
	return start, w.resp.StatusCode(), n, err
}

// get fetches url (HEAD when head is set) and records it as worker i. A
// 200 must carry the whole file of want bytes (for HEAD: announce it in
// Content-Length, which clients need to decide on auto-download).
func (w *httpWorker) get(r *run, i int, url string, head bool, want int64) {
	req := &w.req
	req.Reset()
	if head {
		req.Header.SetMethod(fasthttp.MethodHead)
	} else {
		req.Header.SetMethod(fasthttp.MethodGet)
	}
	req.SetRequestURI(url)
	start, status, n, err := w.do(r)
	if err == nil && status == fasthttp.StatusOK {
		switch {
		case head && int64(w.resp.Header.ContentLength()) != want:
			err = fmt.Errorf("HEAD answered Content-Length %d, not the file's %d", w.resp.Header.ContentLength(), want)
		case !head && n != want:
			err = fmt.Errorf("GET answered %d bytes, not the file's %d", n, want)
		}
	}
	r.record(i, start, status, n, err)
}

// resetResp readies the response for the next request: fasthttp's client
// sets SkipBody for a HEAD and leaves it set, which would make the next GET
// leave its body on the connection.
func (w *httpWorker) resetResp() {
	w.resp.Reset()
	w.resp.SkipBody = false
}

// drain reads the response body and returns its length; a streamed body
// is read into the sink and closed, which frees the connection.
func (w *httpWorker) drain() (int64, error) {
	s := w.resp.BodyStream()
	if s == nil {
		return int64(len(w.resp.Body())), nil
	}
	var n int64
	var err error
	for {
		var k int
		k, err = s.Read(w.sink)
		n += int64(k)
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		err = nil
	}
	if cerr := w.resp.CloseBodyStream(); err == nil && cerr != nil {
		err = cerr
	}
	return n, err
}

// makeBody returns size bytes of a non-constant pattern: the bodies of all
// PUTs are slices of it, so no PUT allocates or fills a body.
func makeBody(size int64) []byte {
	b := make([]byte, size)
	var x uint32 = 2463534242
	for i := range b {
		// xorshift: cheap, and nothing between client and disk can
		// shrink it the way it could a run of zeros.
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func runPut(ctx context.Context, t *Target, sc Scenario, opt Options) (*Result, error) {
	body := makeBody(sc.Size)
	hc := t.hostClient(sc.Conns)
	defer hc.CloseIdleConnections()
	ws := newHTTPWorkers(hc, sc.Conns)
	r := newRun(ctx, t, sc, is2xx)
	return r.measure(opt, func() {
		r.workers(sc.Conns, func(i int) { ws[i].put(r, i, body, nil) })
	}), nil
}

// seed uploads sc.Files files of sc.Size bytes and returns their GET URLs.
func seed(ctx context.Context, t *Target, sc Scenario, hc *fasthttp.HostClient) ([]string, error) {
	conns := min(sc.Conns, 16, sc.Files)
	ss := Scenario{Name: sc.Name + "-seed", Conns: conns, Count: int64(sc.Files), Duration: 10 * time.Minute, Size: sc.Size}
	body := makeBody(sc.Size)
	ws := newHTTPWorkers(hc, conns)
	r := newRun(ctx, t, ss, is2xx)
	var mu sync.Mutex
	urls := make([]string, 0, sc.Files)
	keep := func(u string) {
		mu.Lock()
		urls = append(urls, u)
		mu.Unlock()
	}
	r.begin()
	r.workers(conns, func(i int) { ws[i].put(r, i, body, keep) })
	if len(urls) < sc.Files {
		res := r.result(time.Since(r.start), 0)
		return nil, fmt.Errorf("cannot seed %s on %s: %d of %d uploads stored (statuses %v, errors %v)",
			sc.Name, t.Name, len(urls), sc.Files, res.Statuses, res.ErrorKinds)
	}
	return urls, nil
}

func runGet(ctx context.Context, t *Target, sc Scenario, opt Options, mixed bool) (*Result, error) {
	if sc.Files <= 0 {
		return nil, fmt.Errorf("cannot run %s: it needs at least one seeded file", sc.Name)
	}
	hc := t.hostClient(sc.Conns)
	defer hc.CloseIdleConnections()
	var urls []string
	var err error
	if t.Seed != nil {
		urls, err = t.Seed(ctx, sc.Size, sc.Files)
	} else {
		urls, err = seed(ctx, t, sc, hc)
	}
	if err != nil {
		return nil, err
	}
	ws := newHTTPWorkers(hc, sc.Conns)
	var gs []*spliceGetter
	if !mixed && sc.Size >= spliceMin && !t.tls {
		for range sc.Conns {
			g, err := newSpliceGetter(t)
			if err != nil {
				return nil, fmt.Errorf("cannot run %s: %w", sc.Name, err)
			}
			defer g.close()
			gs = append(gs, g)
		}
	}
	r := newRun(ctx, t, sc, func(s int) bool { return s == fasthttp.StatusOK })
	var next atomic.Uint64
	return r.measure(opt, func() {
		r.workers(sc.Conns, func(i int) {
			u := urls[(next.Add(1)-1)%uint64(len(urls))]
			if gs != nil {
				gs[i].get(r, i, u, sc.Size)
				return
			}
			if mixed {
				// Conversations asks HEAD first to decide on the
				// download, then GETs the file.
				ws[i].get(r, i, u, true, sc.Size)
			}
			ws[i].get(r, i, u, false, sc.Size)
		})
	}), nil
}
