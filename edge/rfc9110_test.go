package edge

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/token"
)

// This file table-tests RFC 9110 sections 13 (conditional requests) and
// 14 (range requests), with the status code rules of 15.3.7 (206), 15.4.5
// (304) and 15.5.17 (416), line by line: each case names the sentence it
// holds. It runs over every store (TestProtocol): local files, where the
// edge evaluates everything itself, and the nginx and S3 origins, where it
// evaluates the preconditions on the origin's validators and passes a
// range on. Go's ServeContent tests (net/http fs_test.go) are the model;
// where upedge answers differently, the case says why.

// doHeader sends a request with header lines as given: a field listed
// twice is sent on two lines.
func (e *testEdge) doHeader(method, url string, lines ...string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, ": ")
		req.Header[http.CanonicalHeaderKey(k)] = append(req.Header[http.CanonicalHeaderKey(k)], v)
	}
	// Go's transport would ask for gzip by itself.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, []byte(b.String())
}

func testRFC9110Ranges(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	body := "0123456789abcdefghij" // 20 bytes
	get := e.upload("rfc.bin", "application/octet-stream", []byte(body))
	resp, _ := e.doHeader(http.MethodGet, get)
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	mod, _ := http.ParseTime(lastMod)
	past := mod.Add(-time.Hour).UTC().Format(http.TimeFormat)
	seventeen := "bytes=" + strings.TrimSuffix(strings.Repeat("0-0,", 17), ",")
	for _, tc := range []struct {
		rule   string
		method string
		lines  []string
		code   int
		body   string // for 200 and 206
		cr     string // Content-Range
	}{
		{"14.2 no Range: the whole representation", "GET", nil, 200, body, ""},
		{"14.1.2 int-range", "GET", []string{"Range: bytes=0-4"}, 206, "01234", "bytes 0-4/20"},
		{"14.1.2 int-range to the end", "GET", []string{"Range: bytes=2-"}, 206, body[2:], "bytes 2-19/20"},
		{"14.1.2 suffix-range", "GET", []string{"Range: bytes=-5"}, 206, "fghij", "bytes 15-19/20"},
		{"14.1.2 last byte", "GET", []string{"Range: bytes=19-19"}, 206, "j", "bytes 19-19/20"},
		{"14.1.2 last-pos past the end is the remainder", "GET", []string{"Range: bytes=5-1000"}, 206, body[5:], "bytes 5-19/20"},
		{"14.1.2 suffix longer than the representation is all of it", "GET", []string{"Range: bytes=-100"}, 206, body, "bytes 0-19/20"},
		{"14.1 range unit names are case-insensitive", "GET", []string{"Range: BYTES=0-4"}, 206, "01234", "bytes 0-4/20"},
		{"14.1.1 (erratum 7306) OWS after =", "GET", []string{"Range: bytes= 0-4"}, 206, "01234", "bytes 0-4/20"},
		{"5.6.1.2 a recipient MUST accept empty list elements", "GET", []string{"Range: bytes=,0-4,"}, 206, "01234", "bytes 0-4/20"},
		{"14.2 MAY coalesce ranges separated by a small gap", "GET", []string{"Range: bytes=0-1,5-6"}, 206, body[:7], "bytes 0-6/20"},
		{"14.2 MAY coalesce overlapping ranges", "GET", []string{"Range: bytes=0-4,2-8"}, 206, body[:9], "bytes 0-8/20"},
		{"14.2 206 with the satisfiable ranges", "GET", []string{"Range: bytes=0-4,100-200"}, 206, "01234", "bytes 0-4/20"},
		{"14.1.1 int-range at the length is unsatisfiable: 416", "GET", []string{"Range: bytes=20-"}, 416, "", "bytes */20"},
		{"14.1.1 unsatisfiable", "GET", []string{"Range: bytes=100-200"}, 416, "", "bytes */20"},
		{"14.1.1 suffix-range of zero length is unsatisfiable", "GET", []string{"Range: bytes=-0"}, 416, "", "bytes */20"},
		{"14.1.1 none of several satisfiable", "GET", []string{"Range: bytes=20-,30-40"}, 416, "", "bytes */20"},
		{"14.1.1 large numerals, no overflow: unsatisfiable", "GET", []string{"Range: bytes=99999999999999999999-"}, 416, "", "bytes */20"},
		{"14.1.1 large numerals, no overflow: clipped", "GET", []string{"Range: bytes=0-99999999999999999999"}, 206, body, "bytes 0-19/20"},
		{"14.1.1 last-pos below first-pos is invalid: ignored", "GET", []string{"Range: bytes=5-2"}, 200, body, ""},
		{"14.1.1 malformed: ignored", "GET", []string{"Range: bytes=x-y"}, 200, body, ""},
		{"14.1.1 malformed suffix: ignored", "GET", []string{"Range: bytes=-1-5"}, 200, body, ""},
		{"14.2 MUST ignore a range unit it does not understand", "GET", []string{"Range: items=0-5"}, 200, body, ""},
		{"14.2 MAY ignore many small ranges", "GET", []string{"Range: " + seventeen}, 200, body, ""},
		{"14.2 a Range sent on two lines is not one ranges-specifier: ignored", "GET", []string{"Range: bytes=0-4", "Range: bytes=5-9"}, 200, body, ""},
		{"14.2 MUST ignore Range on a method other than GET (HEAD)", "HEAD", []string{"Range: bytes=0-4"}, 200, body, ""},
		{"14.2 HEAD: an unsatisfiable Range is ignored too", "HEAD", []string{"Range: bytes=20-"}, 200, body, ""},
		{"13.1.5 If-Range with the strong ETag: the range", "GET", []string{"Range: bytes=0-4", "If-Range: " + etag}, 206, "01234", "bytes 0-4/20"},
		{"13.1.5 If-Range with another ETag MUST ignore Range", "GET", []string{"Range: bytes=0-4", `If-Range: "other"`}, 200, body, ""},
		{"13.1.5 If-Range strong comparison: a weak tag never matches", "GET", []string{"Range: bytes=0-4", "If-Range: W/" + etag}, 200, body, ""},
		{"13.1.5 If-Range with the exact Last-Modified: the range", "GET", []string{"Range: bytes=0-4", "If-Range: " + lastMod}, 206, "01234", "bytes 0-4/20"},
		{"13.1.5 If-Range with another date (exact match, not earlier-or-equal)", "GET", []string{"Range: bytes=0-4", "If-Range: " + past}, 200, body, ""},
		{"13.1.5 If-Range neither tag nor date: false", "GET", []string{"Range: bytes=0-4", "If-Range: garbage"}, 200, body, ""},
		{"13.1.5 MUST ignore If-Range without Range", "GET", []string{"If-Range: " + `"other"`}, 200, body, ""},
		{"13.1.5 If-Range on two lines: not one validator, false", "GET", []string{"Range: bytes=0-4", "If-Range: " + etag, "If-Range: " + etag}, 200, body, ""},
		{"13.1.5 an If-Range with the wrong validator turns a 416 into 200", "GET", []string{"Range: bytes=20-", `If-Range: "other"`}, 200, body, ""},
		{"14.2 Range is evaluated after the preconditions: 304", "GET", []string{"Range: bytes=0-4", "If-None-Match: " + etag}, 304, "", ""},
		{"14.2 ... also when the range is unsatisfiable", "GET", []string{"Range: bytes=20-", "If-None-Match: " + etag}, 304, "", ""},
		{"13.2.2 step 1 before the range: 412", "GET", []string{"Range: bytes=0-4", `If-Match: "other"`}, 412, "", ""},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			resp, got := e.doHeader(tc.method, get, tc.lines...)
			if resp.StatusCode != tc.code {
				t.Fatalf("status: got %d; want %d", resp.StatusCode, tc.code)
			}
			if cr := resp.Header.Get("Content-Range"); cr != tc.cr {
				t.Errorf("Content-Range: got %q; want %q", cr, tc.cr)
			}
			switch tc.code {
			case 200, 206:
				want := tc.body
				if tc.method == "HEAD" {
					want = ""
				}
				if string(got) != want {
					t.Errorf("body: got %q; want %q", got, want)
				}
				// 8.6: a HEAD's Content-Length is what the GET would send.
				if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(tc.body)) {
					t.Errorf("Content-Length: got %q; want %d", cl, len(tc.body))
				}
				// 15.3.7: a 206 MUST carry what the 200 would: Date,
				// Cache-Control, ETag (and Vary, Expires when set).
				for _, h := range []string{"Date", "Cache-Control", "ETag", "Accept-Ranges", "Content-Type", "X-Content-Type-Options"} {
					if resp.Header.Get(h) == "" {
						t.Errorf("%d without %s", tc.code, h)
					}
				}
			case 416:
				// Not storable as the URL's answer: no long Cache-Control.
				if cc := resp.Header.Get("Cache-Control"); cc != "" {
					t.Errorf("416 with Cache-Control %q", cc)
				}
			}
			if resp.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Errorf("%d without CORS", tc.code)
			}
		})
	}
	t.Run("14.2 far ranges: no multipart, the whole representation", func(t *testing.T) {
		big := strings.Repeat("x", 1000)
		g := e.upload("far.bin", "application/octet-stream", []byte(big))
		resp, got := e.doHeader(http.MethodGet, g, "Range: bytes=0-0,500-500")
		if resp.StatusCode != 200 || string(got) != big || resp.Header.Get("Content-Range") != "" {
			t.Fatalf("got %d, %d bytes, Content-Range %q; want 200 with all 1000", resp.StatusCode, len(got), resp.Header.Get("Content-Range"))
		}
	})
	t.Run("14.1.1 an empty representation ignores Range", func(t *testing.T) {
		g := e.upload("empty.bin", "application/octet-stream", []byte{})
		for _, r := range []string{"bytes=0-", "bytes=-5", "bytes=0-0"} {
			resp, got := e.doHeader(http.MethodGet, g, "Range: "+r)
			if resp.StatusCode != 200 || len(got) != 0 || resp.Header.Get("Content-Length") != "0" {
				t.Errorf("Range %s on an empty file: got %d, %d bytes, Content-Length %q; want 200, 0",
					r, resp.StatusCode, len(got), resp.Header.Get("Content-Length"))
			}
		}
	})
}

func testRFC9110Conditionals(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	body := "conditional body"
	get := e.upload("cond.txt", "text/plain", []byte(body))
	resp, _ := e.doHeader(http.MethodGet, get)
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lastMod == "" {
		t.Fatalf("no validators: ETag %q, Last-Modified %q", etag, lastMod)
	}
	mod, err := http.ParseTime(lastMod)
	if err != nil {
		t.Fatal(err)
	}
	date := func(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
	past, future := date(mod.Add(-time.Hour)), date(mod.Add(time.Hour))
	rfc850 := func(t time.Time) string { return t.UTC().Format("Monday, 02-Jan-06 15:04:05 GMT") }
	asctime := func(t time.Time) string { return t.UTC().Format(time.ANSIC) }
	for _, tc := range []struct {
		rule   string
		method string
		lines  []string
		code   int
	}{
		{"13.1.1 If-Match with the current ETag", "GET", []string{"If-Match: " + etag}, 200},
		{"13.1.1 If-Match: true if any listed tag matches", "GET", []string{`If-Match: "x", ` + etag}, 200},
		{"13.1.1 If-Match list on two lines", "GET", []string{`If-Match: "x"`, "If-Match: " + etag}, 200},
		{"13.1.1 If-Match: * with a current representation", "GET", []string{"If-Match: *"}, 200},
		{"13.1.1 If-Match false: MUST NOT perform the method, 412", "GET", []string{`If-Match: "other"`}, 412},
		{"13.1.1 If-Match MUST use the strong comparison", "GET", []string{"If-Match: W/" + etag}, 412},
		{"13.1.1 If-Match malformed: false", "GET", []string{"If-Match: unquoted"}, 412},
		{"13.1.4 MUST ignore If-Unmodified-Since with If-Match", "GET", []string{"If-Match: " + etag, "If-Unmodified-Since: " + past}, 200},
		{"13.1.4 If-Unmodified-Since earlier than the date: 412", "GET", []string{"If-Unmodified-Since: " + past}, 412},
		{"13.1.4 If-Unmodified-Since equal to the date", "GET", []string{"If-Unmodified-Since: " + lastMod}, 200},
		{"13.1.4 If-Unmodified-Since later", "GET", []string{"If-Unmodified-Since: " + future}, 200},
		{"13.1.4 MUST ignore If-Unmodified-Since that is not an HTTP-date", "GET", []string{"If-Unmodified-Since: yesterday"}, 200},
		{"13.1.4 MUST ignore a list of dates (two lines)", "GET", []string{"If-Unmodified-Since: " + past, "If-Unmodified-Since: " + past}, 200},
		{"5.6.7 MUST accept rfc850-date (If-Unmodified-Since)", "GET", []string{"If-Unmodified-Since: " + rfc850(mod.Add(-time.Hour))}, 412},
		{"5.6.7 MUST accept asctime-date (If-Unmodified-Since)", "GET", []string{"If-Unmodified-Since: " + asctime(mod.Add(-time.Hour))}, 412},
		{"13.1.2 If-None-Match with the current ETag: 304", "GET", []string{"If-None-Match: " + etag}, 304},
		{"13.1.2 If-None-Match MUST use the weak comparison", "GET", []string{"If-None-Match: W/" + etag}, 304},
		{"13.1.2 If-None-Match: false if one listed tag matches", "GET", []string{`If-None-Match: "x", ` + etag}, 304},
		{"13.1.2 If-None-Match list on two lines (5.3)", "GET", []string{`If-None-Match: "x"`, "If-None-Match: " + etag}, 304},
		{"13.1.2 If-None-Match: * with a current representation", "GET", []string{"If-None-Match: *"}, 304},
		{"13.1.2 If-None-Match with other tags: true", "GET", []string{`If-None-Match: "other"`}, 200},
		{"13.1.2 If-None-Match malformed: true", "GET", []string{"If-None-Match: ,"}, 200},
		{"13.1.2 If-None-Match on HEAD: 304", "HEAD", []string{"If-None-Match: " + etag}, 304},
		{"13.1.3 If-Modified-Since equal to the date: 304", "GET", []string{"If-Modified-Since: " + lastMod}, 304},
		{"13.1.3 If-Modified-Since later than the date: 304", "GET", []string{"If-Modified-Since: " + future}, 304},
		{"13.1.3 If-Modified-Since earlier: the representation", "GET", []string{"If-Modified-Since: " + past}, 200},
		{"13.1.3 MUST ignore If-Modified-Since with If-None-Match", "GET", []string{`If-None-Match: "other"`, "If-Modified-Since: " + lastMod}, 200},
		{"13.1.3 MUST ignore If-Modified-Since that is not an HTTP-date", "GET", []string{"If-Modified-Since: now"}, 200},
		{"13.1.3 MUST ignore If-Modified-Since with more than one member", "GET", []string{"If-Modified-Since: " + lastMod, "If-Modified-Since: " + lastMod}, 200},
		{"5.6.7 MUST accept rfc850-date (If-Modified-Since)", "GET", []string{"If-Modified-Since: " + rfc850(mod)}, 304},
		{"5.6.7 MUST accept asctime-date (If-Modified-Since)", "GET", []string{"If-Modified-Since: " + asctime(mod)}, 304},
		{"13.1.3 If-Modified-Since on HEAD: 304", "HEAD", []string{"If-Modified-Since: " + lastMod}, 304},
		{"13.2.2 step 1 before step 3: If-Match fails first", "GET", []string{`If-Match: "other"`, "If-None-Match: " + etag}, 412},
		{"13.2.2 step 2 before step 4: If-Unmodified-Since fails first", "GET", []string{"If-Unmodified-Since: " + past, "If-Modified-Since: " + lastMod}, 412},
		{"13.2.2 step 1 true, step 3 false: 304", "GET", []string{"If-Match: " + etag, "If-None-Match: " + etag}, 304},
		{"13.2.2 HEAD: If-Match false, 412", "HEAD", []string{`If-Match: "other"`}, 412},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			resp, got := e.doHeader(tc.method, get, tc.lines...)
			if resp.StatusCode != tc.code {
				t.Fatalf("status: got %d; want %d", resp.StatusCode, tc.code)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Errorf("%d without CORS", tc.code)
			}
			switch tc.code {
			case 200:
				want := body
				if tc.method == "HEAD" {
					want = ""
				}
				if string(got) != want {
					t.Errorf("body: got %q; want %q", got, want)
				}
			case 304:
				check304(t, resp, got, etag)
			case 412:
				if cc := resp.Header.Get("Cache-Control"); cc != "" {
					t.Errorf("412 with Cache-Control %q", cc)
				}
			}
		})
	}
	t.Run("13.2.1 MUST ignore preconditions when the answer would be 404", func(t *testing.T) {
		for _, l := range []string{"If-Match: *", `If-Match: "x"`, "If-None-Match: *", "If-Unmodified-Since: " + past} {
			if resp, _ := e.doHeader(http.MethodGet, e.base+"nope/missing.txt", l); resp.StatusCode != 404 {
				t.Errorf("%s on a missing file: got %d; want 404", l, resp.StatusCode)
			}
		}
	})
	if b.name == "dirstore" {
		t.Run("8.8.2.1 a Last-Modified in the future is replaced by the message date", func(t *testing.T) {
			g := e.upload("future.txt", "text/plain", []byte("from the future"))
			name, err := url.PathUnescape(strings.TrimPrefix(g, e.base))
			if err != nil {
				t.Fatal(err)
			}
			later := time.Now().Add(48 * time.Hour)
			if err := os.Chtimes(filepath.Join(e.dir, filepath.FromSlash(name)), later, later); err != nil {
				t.Fatal(err)
			}
			resp, _ := e.doHeader(http.MethodGet, g)
			// fasthttp's Date is refreshed once a second, so it may lag
			// the clock Last-Modified is bounded by by that much.
			lm, err1 := http.ParseTime(resp.Header.Get("Last-Modified"))
			d, err2 := http.ParseTime(resp.Header.Get("Date"))
			if err1 != nil || err2 != nil || lm.After(d.Add(time.Second)) {
				t.Fatalf("Last-Modified %q, Date %q; want Last-Modified no later than Date",
					resp.Header.Get("Last-Modified"), resp.Header.Get("Date"))
			}
		})
	}
}

// check304 holds RFC 9110 section 15.4.5: a 304 MUST carry ETag and
// Cache-Control (as the 200 would), has no content, and SHOULD NOT carry
// representation metadata beyond them: no Content-Type, Content-Encoding,
// Content-Disposition, and no Last-Modified next to an ETag; section 8.6:
// no Content-Length unless it is the 200's.
func check304(t *testing.T, resp *http.Response, body []byte, etag string) {
	t.Helper()
	if len(body) != 0 {
		t.Errorf("304 with %d bytes of content", len(body))
	}
	if got := resp.Header.Get("ETag"); got != etag {
		t.Errorf("304 ETag: got %q; want %q", got, etag)
	}
	if resp.Header.Get("Cache-Control") == "" || resp.Header.Get("Date") == "" {
		t.Errorf("304 without Cache-Control or Date: %v", resp.Header)
	}
	for _, h := range []string{"Content-Type", "Content-Encoding", "Content-Disposition", "Last-Modified", "Content-Range", "Content-Length", "Accept-Ranges"} {
		if v := resp.Header.Get(h); v != "" {
			t.Errorf("304 carries %s: %q", h, v)
		}
	}
}

// testRFC9110Put: the preconditions of a PUT, which creates the first
// representation of its name: If-Match is false without one (13.1.1), so
// 412; If-None-Match: * is true (13.1.2), so the upload proceeds; a taken
// name is 409 whatever the preconditions (13.2.1: they are evaluated only
// where the answer would otherwise be a success).
func testRFC9110Put(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	body := []byte("precondition")
	for _, tc := range []struct {
		rule  string
		lines []string
		code  int
	}{
		{"13.1.1 If-Match on a new upload: false, 412", []string{`If-Match: "x"`}, 412},
		{"13.1.1 If-Match: * without a current representation: false, 412", []string{"If-Match: *"}, 412},
		{"13.1.2 If-None-Match: * without a current representation: true, 201", []string{"If-None-Match: *"}, 201},
		{"13.1.2 If-None-Match with a tag: true, 201", []string{`If-None-Match: "x"`}, 201},
		{"13.1.4 If-Unmodified-Since without a modification date: ignored, 201", []string{"If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT"}, 201},
		{"13.1.3 If-Modified-Since on a PUT: ignored, 201", []string{"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT"}, 201},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			put, get := e.sign(token.V1, e.slotName("pre.bin"), int64(len(body)), "")
			hdr := map[string]string{}
			for _, l := range tc.lines {
				k, v, _ := strings.Cut(l, ": ")
				hdr[k] = v
			}
			resp, _ := e.do(http.MethodPut, put, body, hdr)
			if resp.StatusCode != tc.code {
				t.Fatalf("got %d; want %d", resp.StatusCode, tc.code)
			}
			want := http.StatusNotFound
			if tc.code == 201 {
				want = http.StatusOK
			}
			if r, _ := e.do(http.MethodGet, get, nil, nil); r.StatusCode != want {
				t.Fatalf("GET after: got %d; want %d", r.StatusCode, want)
			}
			if tc.code != 201 {
				return
			}
			// 13.2.1: the name is taken now; 409 comes before the
			// preconditions.
			for _, l := range []string{"If-None-Match: *", `If-Match: "x"`} {
				k, v, _ := strings.Cut(l, ": ")
				if resp, _ := e.do(http.MethodPut, put, body, map[string]string{k: v}); resp.StatusCode != 409 {
					t.Errorf("taken name with %s: got %d; want 409", l, resp.StatusCode)
				}
			}
		})
	}
}
