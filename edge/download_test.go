package edge

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/upedge/upedge/edge/token"
)

// upload stores body under a fresh slot and returns its GET URL.
func (e *testEdge) upload(name, ctype string, body []byte) string {
	e.t.Helper()
	put, get := e.sign(token.V2, e.slotName(name), int64(len(body)), ctype)
	if code := e.put(put, body, ctype); code != http.StatusCreated {
		e.t.Fatalf("PUT %s: got %d; want 201", name, code)
	}
	return get
}

func testDownloads(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	for _, tc := range []struct {
		name, ctype, disposition string
	}{
		{"photo.jpg", "image/jpeg", "inline"},
		{"clip.mp4", "video/mp4", "inline"},
		{"voice.ogg", "audio/ogg", "inline"},
		{"notes.txt", "text/plain", "inline"},
		{"page.html", "text/html", "attachment"},
		{"drawing.svg", "image/svg+xml", "attachment"},
		{"tool.js", "application/javascript", "attachment"},
		{"data.bin", "application/octet-stream", "attachment"},
		{"shout.HTML", "TEXT/HTML; charset=utf-8", "attachment"},
		{"été 日本.png", "image/png", "inline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte("<html><script>alert(1)</script></html>")
			get := e.upload(tc.name, tc.ctype, body)
			resp, got := e.do(http.MethodGet, get, nil, nil)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
				t.Fatalf("GET: got %d %q", resp.StatusCode, got)
			}
			head, hbody := e.do(http.MethodHead, get, nil, nil)
			if head.StatusCode != http.StatusOK || len(hbody) != 0 {
				t.Fatalf("HEAD: got %d with %d body bytes", head.StatusCode, len(hbody))
			}
			if cl := head.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
				t.Fatalf("HEAD Content-Length: got %q; want %d", cl, len(body))
			}
			for _, h := range []string{"Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control",
				"X-Content-Type-Options", "Content-Security-Policy", "X-Frame-Options", "Content-Disposition", "Accept-Ranges", "Access-Control-Allow-Origin"} {
				if g, hd := resp.Header.Get(h), head.Header.Get(h); g == "" || g != hd {
					t.Errorf("%s: GET %q, HEAD %q; want equal and set", h, g, hd)
				}
			}
			if ct := resp.Header.Get("Content-Type"); ct != tc.ctype {
				t.Errorf("Content-Type: got %q; want %q", ct, tc.ctype)
			}
			if v := resp.Header.Get("X-Content-Type-Options"); v != "nosniff" {
				t.Errorf("X-Content-Type-Options: got %q; want nosniff", v)
			}
			csp := resp.Header.Get("Content-Security-Policy")
			for _, d := range []string{"sandbox", "default-src 'none'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP %q lacks %s", csp, d)
				}
			}
			// XEP-0363, Security Considerations: never framed.
			if v := resp.Header.Get("X-Frame-Options"); v != "DENY" {
				t.Errorf("X-Frame-Options: got %q; want DENY", v)
			}
			if d := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(d, tc.disposition) || !strings.Contains(d, "filename*=UTF-8''") {
				t.Errorf("Content-Disposition: got %q; want %s with filename*", d, tc.disposition)
			}
			if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
				t.Errorf("Cache-Control: got %q; want a long max-age", cc)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			resp, _ := e.do(m, e.base+"nope/none.txt", nil, nil)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s missing: got %d; want 404", m, resp.StatusCode)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Errorf("%s 404 without CORS", m)
			}
		}
	})
	t.Run("directory", func(t *testing.T) {
		get := e.upload("in-dir.txt", "text/plain", []byte("x"))
		dir := get[:strings.LastIndex(get, "/")]
		if resp, _ := e.do(http.MethodGet, dir, nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET of a slot directory: got %d; want 404", resp.StatusCode)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		get := e.upload("empty.txt", "text/plain", []byte{})
		resp, got := e.do(http.MethodGet, get, nil, nil)
		if resp.StatusCode != http.StatusOK || len(got) != 0 || resp.Header.Get("Content-Length") != "0" {
			t.Fatalf("GET empty: got %d, %d bytes, Content-Length %q", resp.StatusCode, len(got), resp.Header.Get("Content-Length"))
		}
		head, _ := e.do(http.MethodHead, get, nil, nil)
		if head.Header.Get("Content-Length") != "0" {
			t.Fatalf("HEAD empty: Content-Length %q; want 0", head.Header.Get("Content-Length"))
		}
	})
}
