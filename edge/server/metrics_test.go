package server_test

// What the metrics and the access log record of requests: bytes sent,
// why a token was refused, which secret signed an upload.

import (
	"bufio"
	"bytes"
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
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
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

// waitLog waits up to 10s for n lines in the access log file (written off
// the request path, flushed once a second) and returns what it holds.
func waitLog(file string, n int) []byte {
	var b []byte
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		b, _ = os.ReadFile(file)
		if bytes.Count(b, []byte("\n")) >= n {
			break
		}
	}
	return b
}

// waitLines waits for n lines in the access log (written off the request
// path, flushed once a second) and parses them.
func waitLines(t *testing.T, file string, n int) []logLine {
	t.Helper()
	b := waitLog(file, n)
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

// TestTokenRefusalReasons: logs and metrics tell a forged token from a
// malformed one and a stale v3 timestamp (issue 9: the reason a token
// failed reaches the log and the rejection metric).
func TestTokenRefusalReasons(t *testing.T) {
	dir := t.TempDir()
	accessLog := filepath.Join(dir, "access.log")
	p := servertest.Start(t, filepath.Join(dir, "store"), "--access-log", accessLog)
	base := "http://" + p.Addr + "/upload/"
	put := func(query string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, base+"abc/f.txt?"+query, strings.NewReader("hello"))
		return servertest.Status(t, req)
	}
	mismatch := "v=" + strings.Repeat("0", 64)
	for _, tc := range []struct{ query, reason string }{
		{mismatch, "mismatch"},
		{mismatch, "mismatch"},
		{"v=xyz", "malformed"},
		{"", "missing"},
		{"v3=" + strings.Repeat("0", 64) + "&uploader=a@b&ts=1", "stale"},
	} {
		if got := put(tc.query); got != http.StatusForbidden {
			t.Fatalf("PUT ?%s: got %d; want 403", tc.query, got)
		}
	}
	for reason, want := range map[string]float64{"mismatch": 2, "malformed": 1, "missing": 1, "stale": 1, "bad-claims": 0} {
		if got := p.Metric(`upedge_token_rejections_total{reason="` + reason + `"}`); got != want {
			t.Errorf("upedge_token_rejections_total{reason=%q} = %v; want %v", reason, got, want)
		}
	}
	log := string(waitLog(accessLog, 5))
	for _, want := range []string{`"refusal":"mismatch"`, `"refusal":"malformed"`, `"refusal":"missing"`, `"refusal":"stale"`} {
		if !strings.Contains(log, want) {
			t.Errorf("access log lacks %s:\n%s", want, log)
		}
	}
}

// TestOldSecretCounted: with --previous-secret, uploads signed with the old
// secret are stored and counted, those with the current one are not, and
// so for Metronome's DELETE (--delete-secret); a chunked JWT upload counts
// the bytes stored.
func TestOldSecretCounted(t *testing.T) {
	dir := t.TempDir()
	p := servertest.Start(t, filepath.Join(dir, "store"), "--previous-secret", "old secret", "--delete-secret", "del")
	base := "http://" + p.Addr + "/upload/"
	do := func(method, url, authz string, body []byte) int {
		t.Helper()
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		if body == nil {
			req.Body = nil
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		return servertest.Status(t, req)
	}
	old, cur := token.NewSigner([]byte("old secret")), token.NewSigner([]byte(servertest.Secret))
	now := time.Now().Unix()
	for _, s := range []slot.Slot{
		slot.Sign(old, slot.Request{Version: token.V2, Base: base, Path: "a/old.txt", Size: 3}),
		slot.Sign(old, slot.Request{Version: token.JWT, Base: base, Path: "b/old.txt", Size: 3, Timestamp: now}),
		slot.Sign(cur, slot.Request{Version: token.V1, Base: base, Path: "c/new.txt", Size: 3}),
	} {
		if got := do(http.MethodPut, s.Put, s.Authorization, []byte("abc")); got != http.StatusCreated {
			t.Fatalf("PUT %s: got %d; want 201", s.Put, got)
		}
	}
	// A chunked JWT upload: net/http sends a body of unknown length chunked.
	chunked := slot.Sign(cur, slot.Request{Version: token.JWT, Base: base, Path: "d/chunked.bin", Size: 5000, Timestamp: now})
	req, _ := http.NewRequest(http.MethodPut, chunked.Put, struct{ *bytes.Reader }{bytes.NewReader(make([]byte, 5000))})
	req.Header.Set("Authorization", chunked.Authorization)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || len(req.TransferEncoding) == 0 && req.ContentLength > 0 {
		t.Fatalf("chunked JWT PUT: got %d (transfer encoding %q); want 201, chunked", resp.StatusCode, req.TransferEncoding)
	}
	if got := do(http.MethodDelete, slot.DeleteURL(old, []byte("del"), base, "a/old.txt"), "", nil); got != http.StatusNoContent {
		t.Errorf("DELETE signed with the old secret: got %d; want 204", got)
	}
	if got := do(http.MethodDelete, slot.DeleteURL(cur, []byte("del"), base, "c/new.txt"), "", nil); got != http.StatusNoContent {
		t.Errorf("DELETE signed with the current secret: got %d; want 204", got)
	}
	for name, want := range map[string]float64{
		"upedge_uploads_total":            4,
		"upedge_uploads_old_secret_total": 2,
		"upedge_upload_bytes_total":       3*3 + 5000,
		"upedge_deletes_total":            2,
		"upedge_deletes_old_secret_total": 1,
	} {
		if got := p.Metric(name); got != want {
			t.Errorf("%s = %v; want %v", name, got, want)
		}
	}
}
