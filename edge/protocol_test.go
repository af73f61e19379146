package edge

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
	"github.com/upedge/upedge/edge/urlpath"
)

// TestProtocol runs the answers table of docs/protocol.md over every backend.
func TestProtocol(t *testing.T) {
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			b := b.started(t)
			t.Run("versions", func(t *testing.T) { testVersions(t, b) })
			t.Run("rejections", func(t *testing.T) { testRejections(t, b) })
			t.Run("conflict", func(t *testing.T) { testConflict(t, b) })
			t.Run("too large", func(t *testing.T) { testTooLarge(t, b) })
			t.Run("length required", func(t *testing.T) { testLengthRequired(t, b) })
			t.Run("cut upload", func(t *testing.T) { testCutUpload(t, b) })
			t.Run("longer body", func(t *testing.T) { testLongerBody(t, b) })
			t.Run("large refused body", func(t *testing.T) { testLargeRefusedBody(t, b) })
			t.Run("bad paths", func(t *testing.T) { testBadPaths(t, b) })
			t.Run("methods", func(t *testing.T) { testMethods(t, b) })
			t.Run("expect continue", func(t *testing.T) { testExpectContinue(t, b) })
			t.Run("decided on headers", func(t *testing.T) { testDecidedOnHeaders(t, b) })
			t.Run("connection after refusal", func(t *testing.T) { testConnectionAfterRefusal(t, b) })
			t.Run("concurrent", func(t *testing.T) { testConcurrentPuts(t, b) })
			t.Run("downloads", func(t *testing.T) { testDownloads(t, b) })
			t.Run("rfc9110 ranges", func(t *testing.T) { testRFC9110Ranges(t, b) })
			t.Run("rfc9110 conditionals", func(t *testing.T) { testRFC9110Conditionals(t, b) })
			t.Run("rfc9110 put", func(t *testing.T) { testRFC9110Put(t, b) })
			t.Run("large round trip", func(t *testing.T) { testLargeRoundTrip(t, b) })
			t.Run("long names", func(t *testing.T) { testLongNames(t, b) })
			t.Run("expiry", func(t *testing.T) { testExpiry(t, b) })
		})
	}
}

func testVersions(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	for _, tc := range []struct {
		ver   token.Version
		ctype string
		name  string
	}{
		{token.V1, "", "photo.jpg"},
		{token.V1, "image/jpeg", "my file.txt"},
		{token.V2, "image/jpeg", "photo.jpg"},
		{token.V2, "", "no type.bin"},
		{token.Token, "text/plain; charset=utf-8", "notes.txt"},
		{token.V3, "image/png", "été ✓ 日本.png"},
		{token.V3, "", "a+b=c&d.bin"},
	} {
		t.Run(tc.ver.String()+" "+tc.name, func(t *testing.T) {
			body := []byte("content of " + tc.name)
			put, get := e.sign(tc.ver, e.slotName(tc.name), int64(len(body)), tc.ctype)
			hdr := map[string]string{}
			if tc.ctype != "" {
				hdr["Content-Type"] = tc.ctype
			}
			if resp, _ := e.do(http.MethodPut, put, body, hdr); resp.StatusCode != http.StatusCreated {
				t.Fatalf("PUT %s: got %d; want 201", put, resp.StatusCode)
			}
			resp, got := e.do(http.MethodGet, get, nil, nil)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
				t.Fatalf("GET: got %d %q; want 200 %q", resp.StatusCode, got, body)
			}
			wantType := tc.ctype
			if wantType == "" {
				wantType = "application/octet-stream"
			}
			if ct := resp.Header.Get("Content-Type"); ct != wantType {
				t.Fatalf("Content-Type: got %q; want %q", ct, wantType)
			}
		})
	}
}

func testRejections(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	body := []byte("0123456789")
	size := int64(len(body))
	path := e.slotName("x.bin")
	putV1, _ := e.sign(token.V1, path, size, "")
	putV2, _ := e.sign(token.V2, path, size, "")
	get := e.base + path
	mac := func(u string) string { return u[strings.Index(u, "=")+1:] }
	stale := slot.Request{Version: token.V3, Base: e.base, Path: path, Size: size, Uploader: "alice@example.org", Timestamp: time.Now().Add(-10 * time.Minute).Unix()}
	putStale, _ := slot.URLs([]byte(testSecret), stale)
	future := stale
	future.Timestamp = time.Now().Add(10 * time.Minute).Unix()
	putFuture, _ := slot.URLs([]byte(testSecret), future)
	v3 := stale
	v3.Timestamp = time.Now().Unix()
	putV3, _ := slot.URLs([]byte(testSecret), v3)
	otherSize, _ := e.sign(token.V1, path, size+1, "")
	otherPath, _ := e.sign(token.V1, path+"x", size, "")
	for _, tc := range []struct {
		name  string
		url   string
		ctype string
		hdr   map[string]string
	}{
		{"no token", get, "", nil},
		{"empty token", get + "?v=", "", nil},
		{"malformed token", get + "?v=xyz", "", nil},
		{"short token", get + "?v=" + mac(putV1)[:63], "", nil},
		{"wrong token", get + "?v=" + strings.Repeat("0", 64), "", nil},
		{"token for another size", get + "?v=" + mac(otherSize), "", nil},
		{"token for another path", get + "?v=" + mac(otherPath), "", nil},
		{"v2 with other content type", putV2, "image/png", nil},
		{"v1 token sent as v2", get + "?v2=" + mac(putV1), "", nil},
		{"good v1 next to bad v2", putV1 + "&v2=" + strings.Repeat("0", 64), "", nil},
		{"good v1 next to bad token", putV1 + "&token=" + strings.Repeat("0", 64), "", nil},
		{"good v2 next to bad v3", putV2 + "&v3=" + strings.Repeat("0", 64), "", nil},
		{"stale v3", putStale, "", nil},
		{"future v3", putFuture, "", nil},
		{"v3 other uploader header", putV3, "", map[string]string{"X-Uploader": "mallory@example.org"}},
		{"v3 other timestamp header", putV3, "", map[string]string{"X-Timestamp": strconv.FormatInt(time.Now().Unix()+1, 10)}},
		{"v3 without uploader", strings.Split(putV3, "&")[0] + "&ts=" + strconv.FormatInt(v3.Timestamp, 10), "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			for k, v := range tc.hdr {
				hdr[k] = v
			}
			if tc.ctype != "" {
				hdr["Content-Type"] = tc.ctype
			}
			resp, _ := e.do(http.MethodPut, tc.url, body, hdr)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("got %d; want 403", resp.StatusCode)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Error("403 without Access-Control-Allow-Origin")
			}
		})
	}
	// Nothing of it reached the store, and the path is still free.
	if r, _ := e.do(http.MethodGet, get, nil, nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("after rejections GET: got %d; want 404", r.StatusCode)
	}
	if code := e.put(putV1, body, ""); code != http.StatusCreated {
		t.Fatalf("good PUT after rejections: got %d; want 201", code)
	}
	// The v3 token with headers instead of query parameters.
	path3 := e.slotName("hdr.bin")
	v3.Path = path3
	put3, _ := slot.URLs([]byte(testSecret), v3)
	bare := put3[:strings.Index(put3, "&")]
	if resp, _ := e.do(http.MethodPut, bare, body, map[string]string{"X-Uploader": v3.Uploader, "X-Timestamp": strconv.FormatInt(v3.Timestamp, 10)}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("v3 with X-Uploader/X-Timestamp headers: got %d; want 201", resp.StatusCode)
	}
}

func testConflict(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	path := e.slotName("c.txt")
	first, second := []byte("first!"), []byte("second")
	put, get := e.sign(token.V1, path, 6, "")
	if code := e.put(put, first, ""); code != http.StatusCreated {
		t.Fatalf("first PUT: got %d; want 201", code)
	}
	if code := e.put(put, second, ""); code != http.StatusConflict {
		t.Fatalf("second PUT: got %d; want 409", code)
	}
	if _, got := e.do(http.MethodGet, get, nil, nil); !bytes.Equal(got, first) {
		t.Fatalf("after conflict: got %q; want %q", got, first)
	}
	// A slot below an existing file can never be created.
	below, _ := e.sign(token.V1, path+"/under", 6, "")
	if code := e.put(below, second, ""); code != http.StatusConflict {
		t.Fatalf("PUT below a file: got %d; want 409", code)
	}
}

func testTooLarge(t *testing.T, b testBackend) {
	e := startEdge(t, b, func(o *Options) { o.MaxFileSize = 1000 })
	path := e.slotName("big.bin")
	put, get := e.sign(token.V1, path, 1001, "")
	// Headers and the first body byte only (fasthttp peeks at one byte
	// before the handler runs): the answer must come before the rest.
	c, br := e.rawConn()
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\nx", strings.TrimPrefix(put, "http://"+e.addr))
	resp := readResponse(t, br)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("got %d; want 413", resp.StatusCode)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Error("413 without Access-Control-Allow-Origin: browsers hide it")
	}
	if r, _ := e.do(http.MethodGet, get, nil, nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("GET after 413: got %d; want 404", r.StatusCode)
	}
	// Exactly at the limit is fine.
	put, _ = e.sign(token.V1, e.slotName("limit.bin"), 1000, "")
	if code := e.put(put, make([]byte, 1000), ""); code != http.StatusCreated {
		t.Fatalf("PUT at the limit: got %d; want 201", code)
	}
}

func testLengthRequired(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	put, get := e.sign(token.V1, e.slotName("chunked.bin"), 5, "")
	c, br := e.rawConn()
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", strings.TrimPrefix(put, "http://"+e.addr))
	if resp := readResponse(t, br); resp.StatusCode != http.StatusLengthRequired {
		t.Fatalf("chunked PUT: got %d; want 411", resp.StatusCode)
	}
	c2, br2 := e.rawConn()
	fmt.Fprintf(c2, "PUT %s HTTP/1.1\r\nHost: x\r\n\r\n", strings.TrimPrefix(put, "http://"+e.addr))
	if resp := readResponse(t, br2); resp.StatusCode != http.StatusLengthRequired {
		t.Fatalf("PUT without length: got %d; want 411", resp.StatusCode)
	}
	if r, _ := e.do(http.MethodGet, get, nil, nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("GET after 411: got %d; want 404", r.StatusCode)
	}
}

func testCutUpload(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	const size = 3 << 20
	body := make([]byte, size)
	rand.Read(body)
	put, get := e.sign(token.V1, e.slotName("cut.bin"), size, "")
	c, _ := e.rawConn()
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", strings.TrimPrefix(put, "http://"+e.addr), size)
	if _, err := c.Write(body[:size/2]); err != nil {
		t.Fatal(err)
	}
	c.Close()
	// The edge notices the cut asynchronously; wait until it has let go.
	waitFor(t, func() bool {
		r, _ := e.do(http.MethodGet, get, nil, nil)
		return r.StatusCode == http.StatusNotFound && len(storeFiles(t, e.dir)) == 0
	}, "no file and no temporary after a cut upload")
	// The path stays free: the retry succeeds.
	if code := e.put(put, body, ""); code != http.StatusCreated {
		t.Fatalf("retry after cut: got %d; want 201", code)
	}
	if _, got := e.do(http.MethodGet, get, nil, nil); !bytes.Equal(got, body) {
		t.Fatal("retried upload differs from what was sent")
	}
}

// testLongerBody: a body that goes on after Content-Length is the next
// request on the connection, not part of the upload.
func testLongerBody(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	put, get := e.sign(token.V1, e.slotName("exact.bin"), 5, "")
	c, br := e.rawConn()
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGARBAGE", strings.TrimPrefix(put, "http://"+e.addr))
	if resp := readResponse(t, br); resp.StatusCode != http.StatusCreated {
		t.Fatalf("got %d; want 201", resp.StatusCode)
	}
	if _, got := e.do(http.MethodGet, get, nil, nil); string(got) != "hello" {
		t.Fatalf("stored %q; want %q", got, "hello")
	}
}

func testBadPaths(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	outside := t.TempDir()
	type badPath struct {
		raw  string
		want int
	}
	for _, tc := range []badPath{
		{"/upload/.upedge/tmp/x", http.StatusBadRequest},
		{"/upload/a/.upedge/x", http.StatusBadRequest},
		{"/upload/a/.upedge.x", http.StatusBadRequest}, // an HTTP origin's metadata
		{"/upload/a/%2Eupedge/x", http.StatusBadRequest},
		{"/upload/a/" + strings.Repeat("x", urlpath.MaxPath-1), http.StatusRequestURITooLong},
		{"/upload/a/" + strings.Repeat("%C3%A9", urlpath.MaxPath/2), http.StatusRequestURITooLong},
		{"/upload/a/../../" + filepath.Base(outside) + "/x", http.StatusBadRequest},
		{"/upload/a/%2e%2e/%2e%2e/x", http.StatusBadRequest},
		{"/upload/a/%2E%2E%2Fb", http.StatusBadRequest},
		{"/upload/..%2f..%2fetc%2fpasswd", http.StatusBadRequest},
		{"/upload/a//b", http.StatusBadRequest},
		{"/upload//etc/passwd", http.StatusBadRequest},
		{"/upload/a/b%00.jpg", http.StatusBadRequest},
		{"/upload/a/./b", http.StatusBadRequest},
		{"/upload/a/", http.StatusBadRequest},
		{"/upload/a/b%zz", http.StatusBadRequest},
		{"/elsewhere/a/b", http.StatusNotFound},
		{"/a/b", http.StatusNotFound},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			// Sign the decoded path so the token itself is right: only the
			// path may be refused.
			dec := strings.TrimPrefix(tc.raw, "/upload/")
			dec = strings.NewReplacer("%2e", ".", "%2E", ".", "%2f", "/", "%2F", "/", "%00", "\x00").Replace(dec)
			mac, _ := e.sign(token.V1, dec, 1, "")
			q := mac[strings.Index(mac, "?"):]
			c, br := e.rawConn()
			fmt.Fprintf(c, "PUT %s%s HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx", tc.raw, q)
			if resp := readResponse(t, br); resp.StatusCode != tc.want {
				t.Fatalf("PUT: got %d; want %d", resp.StatusCode, tc.want)
			}
			c2, br2 := e.rawConn()
			fmt.Fprintf(c2, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", tc.raw)
			if resp := readResponse(t, br2); resp.StatusCode != tc.want {
				t.Fatalf("GET: got %d; want %d", resp.StatusCode, tc.want)
			}
		})
	}
	if files := storeFiles(t, outside); len(files) != 0 {
		t.Fatalf("files created outside the store: %v", files)
	}
	if files := storeFiles(t, e.dir); len(files) != 0 {
		t.Fatalf("refused uploads left files: %v", files)
	}
}

func testMethods(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	for _, m := range []string{"POST", "DELETE", "PATCH", "PROPFIND", "MKCOL", "TRACE"} {
		resp, _ := e.do(m, e.base+"a/b", nil, nil)
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: got %d; want 405", m, resp.StatusCode)
		}
		if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "PUT") || !strings.Contains(allow, "GET") {
			t.Errorf("%s: Allow %q; want GET, HEAD, PUT, OPTIONS", m, allow)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") == "" {
			t.Errorf("%s: 405 without CORS", m)
		}
	}
	resp, _ := e.do(http.MethodOptions, e.base+"a/b", nil, map[string]string{
		"Origin": "https://chat.example.org", "Access-Control-Request-Method": "PUT",
		"Access-Control-Request-Headers": "content-type",
	})
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		t.Fatalf("OPTIONS: got %d; want 204", resp.StatusCode)
	}
	for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("OPTIONS: no %s", h)
		}
	}
	if m := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "PUT") {
		t.Errorf("Access-Control-Allow-Methods %q lacks PUT", m)
	}
	if h := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")); !strings.Contains(h, "content-type") {
		t.Errorf("Access-Control-Allow-Headers %q lacks Content-Type", h)
	}
}

// testExpectContinue: a refused upload is answered on its headers, and the
// client, which waits for 100 Continue, never sends the body.
func testExpectContinue(t *testing.T, b testBackend) {
	e := startEdge(t, b, func(o *Options) { o.MaxFileSize = 1 << 30 })
	path := e.slotName("e.bin")
	put, get := e.sign(token.V1, path, 100<<20, "")
	bad := put[:len(put)-4] + "0000"
	target := func(u string) string { return strings.TrimPrefix(u, "http://"+e.addr) }
	for _, tc := range []struct {
		name, url string
		length    int64
		want      int
	}{
		{"bad token", bad, 100 << 20, http.StatusForbidden},
		{"too large", put, 2 << 30, http.StatusRequestEntityTooLarge},
		{"bad path", e.base + "a/%2e%2e/b?v=00", 10, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, br := e.rawConn()
			fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", target(tc.url), tc.length)
			resp := readResponse(t, br)
			if resp.StatusCode != tc.want {
				t.Fatalf("got %d; want %d (no 100 Continue)", resp.StatusCode, tc.want)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Error("refusal without CORS headers")
			}
		})
	}
	// A taken name is refused before the body too.
	taken, _ := e.sign(token.V1, e.slotName("taken.bin"), 3, "")
	if code := e.put(taken, []byte("abc"), ""); code != http.StatusCreated {
		t.Fatalf("first upload: got %d; want 201", code)
	}
	c0, br0 := e.rawConn()
	fmt.Fprintf(c0, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", target(taken))
	if resp := readResponse(t, br0); resp.StatusCode != http.StatusConflict {
		t.Fatalf("taken name with Expect: got %d; want 409 (no 100 Continue)", resp.StatusCode)
	}
	// A good one gets 100 Continue and then 201.
	small := []byte("12345")
	put, get = e.sign(token.V1, e.slotName("ok.bin"), 5, "")
	c, br := e.rawConn()
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", target(put))
	if resp := readResponse(t, br); resp.StatusCode != http.StatusContinue {
		t.Fatalf("good upload: got %d; want 100", resp.StatusCode)
	}
	c.Write(small)
	if resp := readResponse(t, br); resp.StatusCode != http.StatusCreated {
		t.Fatalf("good upload after 100: got %d; want 201", resp.StatusCode)
	}
	if _, got := e.do(http.MethodGet, get, nil, nil); !bytes.Equal(got, small) {
		t.Fatalf("got %q; want %q", got, small)
	}
}

func testConcurrentPuts(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	const n = 10
	const size = 256 << 10
	path := e.slotName("race.bin")
	put, get := e.sign(token.V1, path, size, "")
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = bytes.Repeat([]byte{byte('a' + i)}, size)
	}
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest(http.MethodPut, put, bytes.NewReader(bodies[i]))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("PUT %d: %v", i, err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}(i)
	}
	close(start)
	wg.Wait()
	winner, created, conflicts := -1, 0, 0
	for i, c := range codes {
		switch c {
		case http.StatusCreated:
			created++
			winner = i
		case http.StatusConflict:
			conflicts++
		}
	}
	if b.racyCreate {
		// Only whole uploads may be stored, and the last to finish wins.
		if created < 1 || created+conflicts != n {
			t.Fatalf("statuses %v: want 201s and 409s only", codes)
		}
		_, got := e.do(http.MethodGet, get, nil, nil)
		for _, body := range bodies {
			if bytes.Equal(got, body) {
				return
			}
		}
		t.Fatal("stored body is none of the uploads whole")
	}
	if created != 1 || conflicts != n-1 {
		t.Fatalf("statuses %v: want one 201 and %d 409", codes, n-1)
	}
	if _, got := e.do(http.MethodGet, get, nil, nil); !bytes.Equal(got, bodies[winner]) {
		t.Fatal("stored body is not the winner's, or is mixed")
	}
}

func testLargeRoundTrip(t *testing.T, b testBackend) {
	if testing.Short() {
		t.Skip("64 MiB round trip skipped in -short mode")
	}
	e := startEdge(t, b)
	const size = 64 << 20
	body := make([]byte, size)
	rand.Read(body)
	put, get := e.sign(token.V2, e.slotName("big video.mp4"), size, "video/mp4")
	if code := e.put(put, body, "video/mp4"); code != http.StatusCreated {
		t.Fatalf("PUT 64 MiB: got %d; want 201", code)
	}
	resp, got := e.do(http.MethodGet, get, nil, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("GET 64 MiB: got %d, %d bytes, equal=%v", resp.StatusCode, len(got), bytes.Equal(got, body))
	}
}

// testLargeRefusedBody: a client that sends a large body without Expect
// still reads the refusal (lingering close), rather than a reset.
func testLargeRefusedBody(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	body := make([]byte, 8<<20)
	for i := 0; i < 5; i++ {
		put, _ := e.sign(token.V1, e.slotName("big.bin"), int64(len(body)), "")
		bad := put[:len(put)-4] + "0000"
		if code := e.put(bad, body, ""); code != http.StatusForbidden {
			t.Fatalf("attempt %d: got %d; want 403", i, code)
		}
	}
	if files := storeFiles(t, e.dir); len(files) != 0 {
		t.Fatalf("refused uploads left files: %v", files)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testLongNames: every name up to the store's limit is stored and served
// with its Content-Type, segments past NAME_MAX (255 bytes) included;
// one byte more is refused with 414 on PUT and GET, and nothing is kept.
func testLongNames(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	limit := urlpath.MaxPath
	if b.maxName != nil {
		limit = b.maxName(e.dir)
	}
	// ofLength returns a fresh slot path of n bytes filled with fill, in
	// segments of at most 200 bytes: none is mapped to a shorter form,
	// so that the store's own limit is what is tested.
	ofLength := func(n int, fill string) string {
		var sb strings.Builder
		sb.WriteString(e.slotName(""))
		seg := 0
		for sb.Len() < n {
			switch {
			case seg >= 200 && sb.Len() < n-1:
				sb.WriteByte('/')
				seg = 0
			case sb.Len()+len(fill) <= n:
				sb.WriteString(fill)
				seg += len(fill)
			default:
				sb.WriteByte('x')
				seg++
			}
		}
		return sb.String()
	}
	type longName struct {
		label string
		path  string
		want  int
	}
	cases := []longName{
		{"the issue's name: 127 Cyrillic letters .txt", e.slotName(strings.Repeat("я", 127) + ".txt"), 201},
		{"segment 254", e.slotName(strings.Repeat("a", 254)), 201},
		{"segment 255", e.slotName(strings.Repeat("b", 255)), 201},
		{"segment 256", e.slotName(strings.Repeat("c", 256)), 201},
		{"two long segments", e.slotName(strings.Repeat("d", 300) + "/" + strings.Repeat("é", 200) + ".jpg"), 201},
	}
	for _, n := range []int{limit - 1, limit, limit + 1} {
		want := 201
		if n > limit {
			want = http.StatusRequestURITooLong
		}
		cases = append(cases,
			longName{fmt.Sprintf("path %d of limit %d", n, limit), ofLength(n, "p"), want},
			longName{fmt.Sprintf("non-ASCII path %d of limit %d", n, limit), ofLength(n, "ж"), want})
	}
	for _, tc := range cases {
		t.Run(tc.label, func(t *testing.T) {
			body := []byte("content of a long name\n")
			const ctype = "text/plain; charset=utf-8"
			put, get := e.sign(token.V2, tc.path, int64(len(body)), ctype)
			if st := e.put(put, body, ctype); st != tc.want {
				t.Fatalf("PUT of %d bytes: got %d; want %d", len(tc.path), st, tc.want)
			}
			resp, got := e.do(http.MethodGet, get, nil, nil)
			if tc.want != 201 {
				if resp.StatusCode != tc.want {
					t.Errorf("GET: got %d; want %d", resp.StatusCode, tc.want)
				}
				return
			}
			if resp.StatusCode != 200 || !bytes.Equal(got, body) {
				t.Fatalf("GET: got %d %q; want 200 %q", resp.StatusCode, got, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != ctype {
				t.Errorf("Content-Type: got %q; want %q", ct, ctype)
			}
			if st := e.put(put, body, ctype); st != http.StatusConflict {
				t.Errorf("second PUT: got %d; want 409", st)
			}
		})
	}
}
