package origintest_test

// Benchmarks of an edge whose store is nginx against nginx itself.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend/origin"
	"github.com/upedge/upedge/backend/origintest"
)

// send makes a request of method to url with client, body (if not nil)
// sent whole, and fails b unless the answer has status want.
func send(b *testing.B, client *fasthttp.Client, method, url string, body []byte, want int) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	req.Header.SetMethod(method)
	if body != nil {
		req.SetBodyRaw(body)
	}
	if err := client.Do(req, resp); err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode() != want {
		b.Fatalf("%s %s: %d; want %d", method, url, resp.StatusCode(), want)
	}
	_ = resp.CloseBodyStream()
}

// BenchmarkNginx compares requests sent to nginx directly with the same
// requests sent through an edge whose store is that nginx. Each iteration
// does one of each, alternately, so that a busy machine slows both alike;
// the metrics are the two throughputs and their ratio (goals: PUT 1 MiB
// ≥ 0.8, GET 64 MiB ≥ 0.7).
func BenchmarkNginx(b *testing.B) {
	n := origintest.StartNginx(b, false)
	base := edgeOver(b, n.URL, origin.Options{})
	// The same without the HEAD before each upload (origin_exists_check =
	// false), which nginx with configs/nginx-origin.conf allows.
	base2 := edgeOver(b, n.URL, origin.Options{SkipExistsCheck: true})
	client := &fasthttp.Client{StreamResponseBody: true, ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	put := func(b *testing.B, url string, body []byte) {
		send(b, client, fasthttp.MethodPut, url, body, fasthttp.StatusCreated)
	}
	get := func(b *testing.B, url string, size int64, buf []byte) {
		req := fasthttp.AcquireRequest()
		resp := fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(url)
		if err := client.Do(req, resp); err != nil {
			b.Fatal(err)
		}
		got, err := io.CopyBuffer(io.Discard, resp.BodyStream(), buf)
		if err != nil || got != size || resp.StatusCode() != 200 {
			b.Fatalf("GET %s: %d, %d bytes, %v", url, resp.StatusCode(), got, err)
		}
		_ = resp.CloseBodyStream()
	}
	report := func(b *testing.B, size int64, direct, edge time.Duration) {
		mbs := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / 1e6 }
		b.ReportMetric(mbs(direct), "direct-MB/s")
		b.ReportMetric(mbs(edge), "edge-MB/s")
		b.ReportMetric(direct.Seconds()/edge.Seconds(), "ratio")
		b.ReportMetric(0, "ns/op")
	}
	var seq int
	body := make([]byte, 1<<20)
	b.Run("PUT 1MiB", func(b *testing.B) {
		var direct, edge, nocheck time.Duration
		for i := 0; i < b.N; i++ {
			seq++
			u, _ := sign(base, fmt.Sprintf("e%d/f.bin", seq), int64(len(body)))
			u2, _ := sign(base2, fmt.Sprintf("n%d/f.bin", seq), int64(len(body)))
			d := fmt.Sprintf("%sd%d/f.bin", n.URL, seq)
			t0 := time.Now()
			put(b, d, body)
			t1 := time.Now()
			put(b, u, body)
			t2 := time.Now()
			put(b, u2, body)
			direct += t1.Sub(t0)
			edge += t2.Sub(t1)
			nocheck += time.Since(t2)
			// Untimed: removed before the kernel writes them back, the
			// files cost no disk I/O that would slow a later request.
			for _, p := range []string{"d", "e", "n"} {
				os.RemoveAll(filepath.Join(n.Root, fmt.Sprintf("%s%d", p, seq)))
			}
		}
		report(b, int64(len(body)), direct, edge)
		b.ReportMetric(direct.Seconds()/nocheck.Seconds(), "ratio-no-exists-check")
	})
	const big = 64 << 20
	bigPut, bigGet := sign(base, "get/big.bin", big)
	put(b, bigPut, make([]byte, big))
	buf := make([]byte, 128<<10)
	b.Run("GET 64MiB", func(b *testing.B) {
		var direct, edge time.Duration
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			get(b, n.URL+"get/big.bin", big, buf)
			t1 := time.Now()
			get(b, bigGet, big, buf)
			direct += t1.Sub(t0)
			edge += time.Since(t1)
		}
		report(b, big, direct, edge)
	})
}

// BenchmarkNginxSmall measures what the metadata sidecar costs small
// files behind nginx: a PUT of 4 KiB (the object, then its sidecar) and a
// GET of 4 KiB (the object and its sidecar, read in parallel) through the
// edge, each against the same request sent to nginx directly, one of
// each per iteration. Metrics: µs per request each way and their ratio.
func BenchmarkNginxSmall(b *testing.B) {
	n := origintest.StartNginx(b, false)
	base := edgeOver(b, n.URL, origin.Options{})
	client := &fasthttp.Client{}
	report := func(b *testing.B, direct, edge time.Duration) {
		b.ReportMetric(float64(direct.Microseconds())/float64(b.N), "direct-µs/req")
		b.ReportMetric(float64(edge.Microseconds())/float64(b.N), "edge-µs/req")
		b.ReportMetric(direct.Seconds()/edge.Seconds(), "ratio")
		b.ReportMetric(0, "ns/op")
	}
	body := make([]byte, 4<<10)
	var seq int
	b.Run("PUT 4KiB", func(b *testing.B) {
		var direct, edge time.Duration
		for i := 0; i < b.N; i++ {
			seq++
			u, _ := sign(base, fmt.Sprintf("s%d/f.bin", seq), int64(len(body)))
			t0 := time.Now()
			send(b, client, fasthttp.MethodPut, fmt.Sprintf("%sd%d/f.bin", n.URL, seq), body, 201)
			t1 := time.Now()
			send(b, client, fasthttp.MethodPut, u, body, 201)
			direct += t1.Sub(t0)
			edge += time.Since(t1)
		}
		report(b, direct, edge)
	})
	put, get := sign(base, "small/get.bin", int64(len(body)))
	send(b, client, fasthttp.MethodPut, put, body, 201)
	b.Run("GET 4KiB", func(b *testing.B) {
		var direct, edge time.Duration
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			send(b, client, fasthttp.MethodGet, n.URL+"small/get.bin", nil, 200)
			t1 := time.Now()
			send(b, client, fasthttp.MethodGet, get, nil, 200)
			direct += t1.Sub(t0)
			edge += time.Since(t1)
		}
		report(b, direct, edge)
	})
}
