package origintest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend/origin"
	"github.com/upedge/upedge/backend/origintest"
)

// BenchmarkNginxSmall measures what the metadata sidecar costs small
// files behind nginx: a PUT of 4 KiB (the object, then its sidecar) and a
// GET of 4 KiB (the object and its sidecar, read in parallel) through the
// edge, each against the same request sent to nginx directly, one of
// each per iteration. Metrics: µs per request each way and their ratio.
func BenchmarkNginxSmall(b *testing.B) {
	n := origintest.StartNginx(b, false)
	store, err := origin.New(n.URL, origin.Options{})
	if err != nil {
		b.Fatal(err)
	}
	base := startEdge(b, store)
	client := &fasthttp.Client{}
	do := func(b *testing.B, method, url string, body []byte, want int) {
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
	}
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
			do(b, fasthttp.MethodPut, fmt.Sprintf("%sd%d/f.bin", n.URL, seq), body, 201)
			t1 := time.Now()
			do(b, fasthttp.MethodPut, u, body, 201)
			direct += t1.Sub(t0)
			edge += time.Since(t1)
		}
		report(b, direct, edge)
	})
	put, get := sign(base, "small/get.bin", int64(len(body)))
	do(b, fasthttp.MethodPut, put, body, 201)
	b.Run("GET 4KiB", func(b *testing.B) {
		var direct, edge time.Duration
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			do(b, fasthttp.MethodGet, n.URL+"small/get.bin", nil, 200)
			t1 := time.Now()
			do(b, fasthttp.MethodGet, get, nil, 200)
			direct += t1.Sub(t0)
			edge += time.Since(t1)
		}
		report(b, direct, edge)
	})
}
