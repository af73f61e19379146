package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/server/servertest"
)

// TestDownloadBytes: upedge_download_bytes_total and the access log's
// "out" count the body bytes written: files from the small-file cache as
// from disk (sendfile), ranges by their length, HEAD and 304 as 0, and a
// download the client cut short by what went out (issue 11, item 6).
func TestDownloadBytes(t *testing.T) {
	for _, cache := range []string{"32MiB", "0"} {
		t.Run("small_file_cache="+cache, func(t *testing.T) {
			dir := t.TempDir()
			accessLog := filepath.Join(dir, "access.log")
			p := servertest.Start(t, filepath.Join(dir, "store"), "--access-log", accessLog, "--small-file-cache", cache)
			small, big := servertest.RandomBytes(1000), servertest.RandomBytes(100<<10)
			for name, body := range map[string][]byte{"b/small.bin": small, "b/big.bin": big} {
				if st := p.Upload(name, body); st != 201 {
					t.Fatalf("upload %s: %d", name, st)
				}
			}
			_, getSmall := p.Slot("b/small.bin", 0)
			_, getBig := p.Slot("b/big.bin", 0)
			etag := ""
			total := 0.0
			lines := 2 // the uploads
			for _, tc := range []struct {
				method, url, hdr string
				want             int
			}{
				{"GET", getSmall, "", 1000},
				{"GET", getSmall, "", 1000}, // from the cache, when on
				{"HEAD", getSmall, "", 0},
				{"GET", getSmall, "Range: bytes=0-99", 100},
				{"HEAD", getSmall, "Range: bytes=0-99", 0},
				{"GET", getBig, "", 100 << 10},
				{"GET", getBig, "Range: bytes=-1000", 1000},
				{"HEAD", getBig, "", 0},
				{"GET", getBig, "If-None-Match: ETAG", 0},
			} {
				req, _ := http.NewRequest(tc.method, tc.url, nil)
				if k, v, ok := strings.Cut(tc.hdr, ": "); ok {
					req.Header.Set(k, strings.ReplaceAll(v, "ETAG", etag))
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if etag == "" && tc.url == getBig {
					etag = resp.Header.Get("ETag")
				}
				if int(n) != tc.want {
					t.Fatalf("%s %s %s: %d body bytes; want %d", tc.method, tc.url, tc.hdr, n, tc.want)
				}
				total += float64(tc.want)
				lines++
				// Counted once the body has gone out: wait for it.
				p.WaitMetric("upedge_download_bytes_total", total)
				if got := p.Metric("upedge_download_bytes_total"); got != total {
					t.Fatalf("after %s %s %s: upedge_download_bytes_total %v; want %v", tc.method, tc.url, tc.hdr, got, total)
				}
			}
			// The access log has each request's own count.
			want := []int{0, 0, 1000, 1000, 0, 100, 0, 100 << 10, 1000, 0, 0}
			got := waitLines(t, accessLog, lines)
			for i, w := range want {
				if got[i].Out != w {
					t.Errorf("access log line %d (%s %s %d): out %d; want %d", i, got[i].Method, got[i].Path, got[i].Status, got[i].Out, w)
				}
			}
		})
	}
	t.Run("cut short", func(t *testing.T) {
		p := servertest.Start(t, t.TempDir())
		const size = 32 << 20
		if st := p.Upload("c/huge.bin", servertest.RandomBytes(size)); st != 201 {
			t.Fatalf("upload: %d", st)
		}
		_, get := p.Slot("c/huge.bin", 0)
		c, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", strings.TrimPrefix(get, "http://"+p.Addr))
		// The head and the first byte of the body, then a reset.
		resp, err := http.ReadResponse(bufio.NewReaderSize(c, 1), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := resp.Body.Read(make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
		p.WaitMetric(`upedge_requests_total{method="GET",status="200"}`, 1)
		got := p.Metric("upedge_download_bytes_total")
		t.Logf("a download of %d bytes cut after its first byte counted %v", size, got)
		if got <= 0 || got >= size {
			t.Fatalf("a download cut after the first byte counts %v bytes; want more than 0, less than %d", got, size)
		}
	})
}

type logLine struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
	Out    int    `json:"out"`
}

// waitLines waits for n lines in the access log (written off the request
// path, flushed once a second) and parses them.
func waitLines(t *testing.T, file string, n int) []logLine {
	t.Helper()
	var b []byte
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		b, _ = os.ReadFile(file)
		if strings.Count(string(b), "\n") >= n {
			break
		}
	}
	var lines []logLine
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var ll logLine
		if err := json.Unmarshal([]byte(l), &ll); err != nil {
			t.Fatalf("access log line %q: %v", l, err)
		}
		lines = append(lines, ll)
	}
	if len(lines) < n {
		t.Fatalf("access log has %d lines; want %d", len(lines), n)
	}
	return lines
}
