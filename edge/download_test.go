package edge

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

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
				"X-Content-Type-Options", "Content-Security-Policy", "Content-Disposition", "Accept-Ranges", "Access-Control-Allow-Origin"} {
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
			if !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP %q lacks sandbox or default-src 'none'", csp)
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

// testRanges follows the shape of net/http's ServeFileRangeTests.
func testRanges(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	body := []byte("0123456789abcdefghij") // 20 bytes
	get := e.upload("range.bin", "application/octet-stream", body)
	for _, tc := range []struct {
		r         string
		code      int
		want      string // body
		wantRange string
	}{
		{"", 200, string(body), ""},
		{"bytes=0-", 206, string(body), "bytes 0-19/20"},
		{"bytes=0-4", 206, "01234", "bytes 0-4/20"},
		{"bytes=2-", 206, string(body[2:]), "bytes 2-19/20"},
		{"bytes=-5", 206, "fghij", "bytes 15-19/20"},
		{"bytes=19-19", 206, "j", "bytes 19-19/20"},
		{"bytes=5-1000", 206, string(body[5:]), "bytes 5-19/20"},
		{"bytes=-100", 206, string(body), "bytes 0-19/20"},
		{"bytes=20-", 416, "", "bytes */20"},
		{"bytes=100-200", 416, "", "bytes */20"},
		{"bytes=-0", 416, "", "bytes */20"},
		{"bytes=0-1,5-6", 200, string(body), ""}, // several ranges: the whole file
		{"bytes=5-2", 200, string(body), ""},     // malformed: ignored
		{"bytes=x-y", 200, string(body), ""},
		{"items=0-5", 200, string(body), ""},
		{"bytes=-1-5", 200, string(body), ""},
	} {
		t.Run(tc.r, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.r != "" {
				hdr["Range"] = tc.r
			}
			resp, got := e.do(http.MethodGet, get, nil, hdr)
			if resp.StatusCode != tc.code {
				t.Fatalf("status: got %d; want %d", resp.StatusCode, tc.code)
			}
			if tc.code != 416 && string(got) != tc.want {
				t.Fatalf("body: got %q; want %q", got, tc.want)
			}
			if cr := resp.Header.Get("Content-Range"); cr != tc.wantRange {
				t.Fatalf("Content-Range: got %q; want %q", cr, tc.wantRange)
			}
			head, _ := e.do(http.MethodHead, get, nil, hdr)
			if head.StatusCode != tc.code || head.Header.Get("Content-Range") != tc.wantRange {
				t.Fatalf("HEAD: got %d %q; want %d %q", head.StatusCode, head.Header.Get("Content-Range"), tc.code, tc.wantRange)
			}
			if tc.code != 416 {
				if cl := head.Header.Get("Content-Length"); cl != strconv.Itoa(len(tc.want)) {
					t.Fatalf("HEAD Content-Length: got %q; want %d", cl, len(tc.want))
				}
			}
		})
	}
}

func testConditionals(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	body := []byte("conditional body")
	get := e.upload("cond.txt", "text/plain", body)
	resp, _ := e.do(http.MethodGet, get, nil, nil)
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lastMod == "" {
		t.Fatalf("no validators: ETag %q, Last-Modified %q", etag, lastMod)
	}
	mod, err := http.ParseTime(lastMod)
	if err != nil {
		t.Fatal(err)
	}
	past := mod.Add(-time.Hour).UTC().Format(http.TimeFormat)
	future := mod.Add(time.Hour).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		code int
		body string
	}{
		{"If-None-Match same", map[string]string{"If-None-Match": etag}, 304, ""},
		{"If-None-Match weak same", map[string]string{"If-None-Match": "W/" + etag}, 304, ""},
		{"If-None-Match in list", map[string]string{"If-None-Match": `"other", ` + etag}, 304, ""},
		{"If-None-Match star", map[string]string{"If-None-Match": "*"}, 304, ""},
		{"If-None-Match other", map[string]string{"If-None-Match": `"other"`}, 200, string(body)},
		{"If-Modified-Since same", map[string]string{"If-Modified-Since": lastMod}, 304, ""},
		{"If-Modified-Since future", map[string]string{"If-Modified-Since": future}, 304, ""},
		{"If-Modified-Since past", map[string]string{"If-Modified-Since": past}, 200, string(body)},
		{"If-None-Match wins over If-Modified-Since", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": lastMod}, 200, string(body)},
		{"If-Match same", map[string]string{"If-Match": etag}, 200, string(body)},
		{"If-Match other", map[string]string{"If-Match": `"other"`}, 412, ""},
		{"If-Match weak", map[string]string{"If-Match": "W/" + etag}, 412, ""},
		{"If-Unmodified-Since past", map[string]string{"If-Unmodified-Since": past}, 412, ""},
		{"If-Unmodified-Since same", map[string]string{"If-Unmodified-Since": lastMod}, 200, string(body)},
		{"If-Range etag match", map[string]string{"Range": "bytes=0-3", "If-Range": etag}, 206, "cond"},
		{"If-Range etag mismatch", map[string]string{"Range": "bytes=0-3", "If-Range": `"other"`}, 200, string(body)},
		{"If-Range date match", map[string]string{"Range": "bytes=0-3", "If-Range": lastMod}, 206, "cond"},
		{"If-Range date mismatch", map[string]string{"Range": "bytes=0-3", "If-Range": past}, 200, string(body)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, got := e.do(http.MethodGet, get, nil, tc.hdr)
			if resp.StatusCode != tc.code {
				t.Fatalf("got %d; want %d", resp.StatusCode, tc.code)
			}
			if tc.code != 412 && string(got) != tc.body {
				t.Fatalf("body: got %q; want %q", got, tc.body)
			}
			if tc.code == 304 {
				if resp.Header.Get("ETag") != etag {
					t.Errorf("304 ETag: got %q; want %q", resp.Header.Get("ETag"), etag)
				}
				if resp.Header.Get("Content-Disposition") != "" || resp.Header.Get("Content-Type") != "" {
					t.Errorf("304 carries entity headers: %v", resp.Header)
				}
			}
		})
	}
}
