package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/upedge/upedge/edge/server/servertest"
)

// TestCompressedNotModified: a 304 about a compressed variant carries its
// ETag and Vary but no Content-Encoding (RFC 9110 section 15.4.5 rules out
// representation metadata other than ETag, Cache-Control, Expires, Vary,
// Content-Location and Date), and neither Content-Type nor Content-Length
// nor Last-Modified; the 200 it stands for does carry Content-Encoding.
func TestCompressedNotModified(t *testing.T) {
	p := servertest.Start(t, t.TempDir(), "--compress")
	text := []byte(strings.Repeat("compressible text, ", 200))
	put, get := p.Slot("z/notes.txt", int64(len(text)))
	req, _ := http.NewRequest(http.MethodPut, put, strings.NewReader(string(text)))
	req.Header.Set("Content-Type", "text/plain") // v1 does not sign the type
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("upload: %v %v", resp, err)
	}
	do := func(hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, get, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := do("Accept-Encoding", "zstd")
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "zstd" || len(body) >= len(text) || !strings.Contains(etag, "zstd") {
		t.Fatalf("GET with Accept-Encoding: zstd: %d, Content-Encoding %q, ETag %q, %d bytes",
			resp.StatusCode, resp.Header.Get("Content-Encoding"), etag, len(body))
	}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequest(method, get, nil)
		req.Header.Set("Accept-Encoding", "zstd")
		req.Header.Set("If-None-Match", etag)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 304 {
			t.Fatalf("%s If-None-Match %s: got %d; want 304", method, etag, resp.StatusCode)
		}
		if resp.Header.Get("ETag") != etag || resp.Header.Get("Vary") != "Accept-Encoding" || resp.Header.Get("Cache-Control") == "" {
			t.Errorf("%s 304: ETag %q, Vary %q, Cache-Control %q; want %q, Accept-Encoding, set",
				method, resp.Header.Get("ETag"), resp.Header.Get("Vary"), resp.Header.Get("Cache-Control"), etag)
		}
		for _, h := range []string{"Content-Encoding", "Content-Type", "Content-Length", "Last-Modified", "Content-Disposition"} {
			if v := resp.Header.Get(h); v != "" {
				t.Errorf("%s 304 carries %s: %q", method, h, v)
			}
		}
	}
}
