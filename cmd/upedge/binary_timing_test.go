package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/upedge/upedge/backend/origintest"
	"github.com/upedge/upedge/edge/server/servertest"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// The benchmarks here run the real binary as a separate process, so that
// its memory (VmHWM, VmRSS) is measured apart from the client's.

// startEdgeProc builds the real binary and runs it with extra flags.
func startEdgeProc(tb testing.TB, extra ...string) *edgeProcess {
	tb.Helper()
	bin := buildUpedge(tb)
	args := append([]string{"--listen", "127.0.0.1:0", "--secret", "bench", "--store", filepath.Join(tb.TempDir(), "data"),
		"--max-file-size", "1GiB", "--log-level", "error"}, extra...)
	return startEdgeProcess(tb, bin, args, nil)
}

// patternReader yields n bytes cut from a preallocated buffer, so the
// client spends nothing on making data.
type patternReader struct {
	buf  []byte
	left int64
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	if int64(n) > r.left {
		n = int(r.left)
	}
	r.left -= int64(n)
	return n, nil
}

// BenchmarkUpload256MiB uploads 256 MiB per op to the edge binary and
// reports throughput and the growth of the server's peak RSS (VmHWM).
// Goal: >= 1 GB/s on loopback, growth <= 16 MiB.
func BenchmarkUpload256MiB(b *testing.B) {
	for _, fsync := range []string{"never", "always"} {
		b.Run("fsync="+fsync, func(b *testing.B) {
			const size = 256 << 20
			e := startEdgeProc(b, "--fsync", fsync)
			buf := make([]byte, 1<<20)
			for i := range buf {
				buf[i] = byte(i * 7)
			}
			before := servertest.ProcStatusKiB(b, e.cmd.Process.Pid, "VmHWM")
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				put, _ := slot.URLs([]byte("bench"), slot.Request{Version: token.V1, Base: e.Base, Path: fmt.Sprintf("big-%d-%d/file.bin", time.Now().UnixNano(), i), Size: size})
				if code := servertest.StreamPut(b, put, size, &patternReader{buf: buf, left: size}, make([]byte, 1<<20)); code != http.StatusCreated {
					b.Fatalf("PUT: got %d; want 201", code)
				}
			}
			b.StopTimer()
			after := servertest.ProcStatusKiB(b, e.cmd.Process.Pid, "VmHWM")
			b.ReportMetric(float64(after-before)/1024, "server-hwm-growth-MiB")
			b.ReportMetric(float64(after)/1024, "server-hwm-MiB")
		})
	}
}

// chunkDiscard drops what it is given; unlike io.Discard it has no
// ReadFrom, so io.CopyBuffer reads through our 1 MiB buffer.
type chunkDiscard struct{}

func (chunkDiscard) Write(p []byte) (int, error) { return len(p), nil }

func download(tb testing.TB, client *http.Client, url string, buf []byte) int64 {
	resp, err := client.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	n, err := io.CopyBuffer(chunkDiscard{}, resp.Body, buf)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkDownload64MiBVsNginx downloads one 64 MiB file alternately from
// the edge and from nginx (sendfile on, same machine, same client) and
// reports both rates and their ratio. Goal: edge/nginx >= 0.9.
func BenchmarkDownload64MiBVsNginx(b *testing.B) {
	const size = 64 << 20
	e := startEdgeProc(b, "--fsync", "never")
	n := origintest.StartNginx(b, true)
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*31 + i>>9)
	}
	put, get := slot.URLs([]byte("bench"), slot.Request{Version: token.V1, Base: e.Base, Path: "dl/video.mp4", Size: size})
	if code := servertest.StreamPut(b, put, size, &patternReader{buf: data, left: size}, make([]byte, 1<<20)); code != http.StatusCreated {
		b.Fatalf("seeding PUT: %d", code)
	}
	os.MkdirAll(filepath.Join(n.Root, "dl"), 0o755)
	if err := os.WriteFile(filepath.Join(n.Root, "dl", "video.mp4"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}}
	buf := make([]byte, 1<<20)
	// Warm both page caches and connections.
	download(b, client, get, buf)
	download(b, client, n.URL+"dl/video.mp4", buf)
	var edgeTime, nginxTime time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		download(b, client, get, buf)
		t1 := time.Now()
		download(b, client, n.URL+"dl/video.mp4", buf)
		edgeTime += t1.Sub(t0)
		nginxTime += time.Since(t1)
	}
	b.StopTimer()
	mb := float64(size) * float64(b.N) / 1e6
	b.ReportMetric(mb/edgeTime.Seconds(), "upedge-MB/s")
	b.ReportMetric(mb/nginxTime.Seconds(), "nginx-MB/s")
	b.ReportMetric(nginxTime.Seconds()/edgeTime.Seconds(), "upedge/nginx")
}
