package origintest_test

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/origin"
	"github.com/upedge/upedge/backend/origintest"
	"github.com/upedge/upedge/edge"
	"github.com/upedge/upedge/edge/server/servertest"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

const edgeSecret = "origin test secret"

// startEdge runs an edge in this process on store and returns its base URL.
// edgeOver starts an edge (startEdge) whose store is the origin at url
// with opts, and returns its base URL.
func edgeOver(tb testing.TB, url string, opts origin.Options) string {
	tb.Helper()
	store, err := origin.New(url, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return startEdge(tb, store)
}

func startEdge(tb testing.TB, store backend.Store) string {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := edge.New(edge.Options{Secret: []byte(edgeSecret), Prefix: "/upload/", MaxFileSize: 1 << 30, Logger: log}, store)
	if err != nil {
		tb.Fatal(err)
	}
	srv := edge.NewServer(h, edge.ServerOptions{ReadTimeout: 30 * time.Second, Logger: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Serve(ln)
	tb.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String() + "/upload/"
}

func sign(base, path string, size int64) (put, get string) {
	return slot.URLs([]byte(edgeSecret), slot.Request{Version: token.V1, Base: base, Path: path, Size: size})
}

// zeros is an endless body that costs no memory.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// vmRSS returns the resident set size of this process in KiB, or -1.
func vmRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return -1
}

// heapWatch samples the heap while an upload runs.
type heapWatch struct {
	base      runtime.MemStats
	peak      atomic.Uint64
	stop      chan struct{}
	done      sync.WaitGroup
	allocated uint64
}

func watchHeap() *heapWatch {
	w := &heapWatch{stop: make(chan struct{})}
	runtime.GC()
	runtime.ReadMemStats(&w.base)
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		var m runtime.MemStats
		for {
			select {
			case <-w.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > w.peak.Load() {
				w.peak.Store(m.HeapInuse)
			}
		}
	}()
	return w
}

// finish returns the peak heap growth and the bytes allocated meanwhile.
func (w *heapWatch) finish() (growth, allocated uint64) {
	close(w.stop)
	w.done.Wait()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	peak := w.peak.Load()
	if peak < w.base.HeapInuse {
		peak = w.base.HeapInuse
	}
	return peak - w.base.HeapInuse, m.TotalAlloc - w.base.TotalAlloc
}

// TestUploadMemoryBound sends 256 MiB through an edge in this process to
// each origin: the edge streams it, so its heap grows by far less than
// the 32 MiB the issue allows (the client and the edge share this heap;
// the client allocates nothing per byte).
func TestUploadMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 512 MiB")
	}
	const size = 256 << 20
	const limit = 32 << 20
	n := origintest.StartNginx(t, false)
	v := origintest.StartVersity(t, "")
	for _, o := range []struct {
		name, url string
		opts      origin.Options
	}{
		{"nginx", n.URL, origin.Options{}},
		{"s3", v.URL, v.Options},
	} {
		t.Run(o.name, func(t *testing.T) {
			store, err := origin.New(o.url, o.opts)
			if err != nil {
				t.Fatal(err)
			}
			base := startEdge(t, store)
			put, get := sign(base, "mem/big.bin", size)
			rss0 := vmRSS()
			w := watchHeap()
			start := time.Now()
			code := servertest.StreamPut(t, put, size, io.LimitReader(zeros{}, size), make([]byte, 64<<10))
			elapsed := time.Since(start)
			growth, allocated := w.finish()
			if code != http.StatusCreated {
				t.Fatalf("PUT: got %d; want 201", code)
			}
			t.Logf("256 MiB upload via %s: peak heap growth %.1f MiB, allocated %.1f MiB, RSS %d -> %d KiB, %.0f MiB/s",
				o.name, float64(growth)/(1<<20), float64(allocated)/(1<<20), rss0, vmRSS(), float64(size)/(1<<20)/elapsed.Seconds())
			if growth > limit {
				t.Errorf("heap grew by %d bytes during the upload; want at most %d", growth, limit)
			}
			resp, err := http.Head(get)
			if err != nil || resp.StatusCode != 200 || resp.ContentLength != size {
				t.Fatalf("HEAD after upload: %v %v", resp, err)
			}
		})
	}
}
