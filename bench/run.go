package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"
)

// Latency histograms track 1 µs to 1 h with 3 significant digits.
const (
	histMin    = 1
	histMax    = int64(time.Hour / time.Microsecond)
	histDigits = 3
)

// histShard is one of the histograms that workers record into. A histogram
// per worker would cost ~200 KB each (too much for 1000 slow uploads), one
// shared histogram would serialise 64 busy workers; a few locked shards
// keep both small.
type histShard struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
	_  [64]byte // keep shards on separate cache lines
}

// run is the state of one measured phase.
type run struct {
	ctx      context.Context
	sc       Scenario
	t        *Target
	ok       func(status int) bool // the answer the scenario wants
	start    time.Time
	deadline time.Time

	issued   atomic.Int64 // operations handed out
	answered atomic.Int64 // requests with a final status
	okN      atomic.Int64
	bytes    atomic.Int64
	cut      atomic.Int64
	errs     atomic.Int64
	statuses [600]atomic.Int64

	// Only the reject scenario counts these.
	headerBytes atomic.Int64
	bodyBytes   atomic.Int64
	continues   atomic.Int64

	shards []histShard

	errMu    sync.Mutex
	errKinds map[string]int64
}

func newRun(ctx context.Context, t *Target, sc Scenario, ok func(int) bool) *run {
	r := &run{ctx: ctx, sc: sc, t: t, ok: ok, errKinds: map[string]int64{}}
	r.shards = make([]histShard, 4*runtime.GOMAXPROCS(0))
	for i := range r.shards {
		r.shards[i].h = hdrhistogram.New(histMin, histMax, histDigits)
	}
	return r
}

// begin starts the clock of the measured phase.
func (r *run) begin() {
	r.start = time.Now()
	r.deadline = r.start.Add(r.sc.Duration)
}

// take hands out one operation; false means the phase is over (count
// reached, duration bound passed or ctx cancelled).
func (r *run) take() bool {
	if r.sc.Count > 0 && r.issued.Add(1) > r.sc.Count {
		return false
	}
	if r.ctx.Err() != nil {
		return false
	}
	return time.Now().Before(r.deadline)
}

// done is the work done so far, in the unit given to Options.Progress.
func (r *run) done() int64 {
	if r.sc.Count > 0 {
		// Operations handed out, not requests answered: a mixed
		// operation is two requests.
		return min(r.issued.Load(), r.sc.Count)
	}
	return int64(time.Since(r.start) / time.Millisecond)
}

// requestDeadline is when a request started now must be answered.
func (r *run) requestDeadline() time.Time {
	to := r.t.Timeout
	if to <= 0 {
		to = time.Minute
	}
	return minTime(time.Now().Add(to), r.deadline)
}

// record counts one request that started at start: an answer with status
// that moved n payload bytes, or a failure err. A failure once the
// deadline has passed was cut off by it and is not an error.
func (r *run) record(shard int, start time.Time, status int, n int64, err error) {
	if err != nil {
		if !time.Now().Before(r.deadline) || r.ctx.Err() != nil {
			r.cut.Add(1)
			return
		}
		r.fail(errKind(err))
		return
	}
	us := time.Since(start).Microseconds()
	s := &r.shards[shard%len(r.shards)]
	s.mu.Lock()
	_ = s.h.RecordValue(min(max(us, histMin), histMax)) // clamped, cannot fail
	s.mu.Unlock()
	r.answered.Add(1)
	if status >= 0 && status < len(r.statuses) {
		r.statuses[status].Add(1)
	}
	if r.ok(status) {
		r.okN.Add(1)
	}
	r.bytes.Add(n)
}

// fail counts a failed request of the given kind.
func (r *run) fail(kind string) {
	r.errs.Add(1)
	r.errMu.Lock()
	r.errKinds[kind]++
	r.errMu.Unlock()
}

// errKind names the class of a transport error, so that a report shows a
// few counted kinds rather than thousands of messages.
func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return "no free connections"
	}
	s := err.Error()
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// workers runs op on n goroutines while take allows; worker i passes i to
// op. It returns when all have stopped.
func (r *run) workers(n int, op func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r.take() {
				op(i)
			}
		}()
	}
	wg.Wait()
}

// measure runs the measured phase: it starts the clock, the process
// watcher and the progress display, calls phase, and gathers the result.
func (r *run) measure(opt Options, phase func()) *Result {
	var pw *procWatch
	if r.t.Pid > 0 {
		pw = watchProc(r.t.Pid, 50*time.Millisecond)
	}
	cpu0 := clientCPU()
	r.begin()
	stop := make(chan struct{})
	var pwg sync.WaitGroup
	if opt.Progress != nil {
		total, unit := r.sc.Count, "ops"
		if total <= 0 {
			total, unit = int64(r.sc.Duration/time.Millisecond), "ms"
		}
		p := opt.Progress(r.sc.Name+" "+r.t.Name, total, unit)
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					p.Set(total)
					p.Finish()
					return
				case <-tick.C:
					p.Set(min(r.done(), total))
				}
			}
		}()
	}
	phase()
	elapsed := time.Since(r.start)
	close(stop)
	pwg.Wait()
	res := r.result(elapsed, clientCPU()-cpu0)
	if pw != nil {
		res.Server = pw.stop()
	}
	res.notes()
	return res
}

// result gathers the counters into a Result.
func (r *run) result(elapsed time.Duration, cpu float64) *Result {
	res := &Result{
		Scenario:        r.sc.Name,
		Target:          r.t.Name,
		Conns:           r.sc.Conns,
		Size:            r.sc.Size,
		Count:           r.sc.Count,
		Bound:           r.sc.Duration.Seconds(),
		Elapsed:         elapsed.Seconds(),
		Requests:        r.answered.Load(),
		OK:              r.okN.Load(),
		Errors:          r.errs.Load(),
		Cut:             r.cut.Load(),
		Bytes:           r.bytes.Load(),
		HeaderBytesSent: r.headerBytes.Load(),
		BodyBytesSent:   r.bodyBytes.Load(),
		Continues:       r.continues.Load(),
		Statuses:        map[string]int64{},
		ClientCPU:       cpu,
	}
	for code := range r.statuses {
		if n := r.statuses[code].Load(); n > 0 {
			res.Statuses[strconv.Itoa(code)] = n
		}
	}
	r.errMu.Lock()
	if len(r.errKinds) > 0 {
		res.ErrorKinds = make(map[string]int64, len(r.errKinds))
		for k, n := range r.errKinds {
			res.ErrorKinds[k] = n
		}
	}
	r.errMu.Unlock()
	h := hdrhistogram.New(histMin, histMax, histDigits)
	for i := range r.shards {
		h.Merge(r.shards[i].h)
	}
	res.Latency = latencyOf(h)
	if elapsed > 0 {
		res.OKPerSec = float64(res.OK) / elapsed.Seconds()
		res.MBPerSec = float64(res.Bytes) / 1e6 / elapsed.Seconds()
	}
	return res
}

// latencyOf reads the percentiles of h in milliseconds.
func latencyOf(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1e3 }
	return Latency{
		P50:  ms(h.ValueAtQuantile(50)),
		P90:  ms(h.ValueAtQuantile(90)),
		P99:  ms(h.ValueAtQuantile(99)),
		Max:  ms(h.Max()),
		Mean: h.Mean() / 1e3,
	}
}

// clientCPU is the CPU time (user + system) this process has used so far.
func clientCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// slotID appends the random part of a fresh slot for worker w's n-th PUT.
func (t *Target) slotID(dst []byte, scenario string, w int, n uint64) []byte {
	dst = append(dst, t.runID...)
	dst = append(dst, '-')
	dst = append(dst, scenario...)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, int64(w), 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, n, 10)
}

// slotMaker signs the fresh upload slots of one worker in buffers it
// reuses.
type slotMaker struct {
	id    []byte // random part of the last slot
	url   []byte // signed PUT URL of the last slot
	authz []byte // its Authorization header value (a JWT), or empty
	n     uint64 // slots made, for fresh paths
}

// nextSlot signs the PUT URL of a fresh slot of worker i for a body of size
// bytes. The slot is in s.id, s.url and s.authz until the next call.
func (s *slotMaker) nextSlot(r *run, i int, size int64) {
	t := r.t
	s.n++
	s.id = t.slotID(s.id[:0], r.sc.Name, i, s.n)
	s.url = t.Signer.AppendPutURL(s.url[:0], string(s.id), t.fileName(), size, t.ContentType)
	s.authz = t.Signer.AppendAuthorization(s.authz[:0], string(s.id), t.fileName(), size, t.ContentType)
}

// DefaultFileName is the name part of the slots when Target.FileName is
// empty.
const DefaultFileName = "bench file.bin"

// fileName is the name part of the slots.
func (t *Target) fileName() string {
	if t.FileName == "" {
		return DefaultFileName
	}
	return t.FileName
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func is2xx(s int) bool { return s >= 200 && s < 300 }

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var errShortBody = fmt.Errorf("response body shorter than its Content-Length")
