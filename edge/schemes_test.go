package edge

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// TestSchemes runs the second round's schemes of docs/protocol.md over
// every backend: Prosody's JWT, HMAC File Server 3.4's v3, Metronome's
// signed DELETE.
func TestSchemes(t *testing.T) {
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			b := b.started(t)
			t.Run("jwt", func(t *testing.T) { testJWT(t, b) })
			t.Run("jwt chunked", func(t *testing.T) { testJWTChunked(t, b) })
			t.Run("jwt expect", func(t *testing.T) { testJWTExpect(t, b) })
			t.Run("v3-expires", func(t *testing.T) { testV3Expires(t, b) })
			t.Run("delete", func(t *testing.T) { testDelete(t, b) })
		})
	}
}

// jwtSlot signs a JWT slot for path on e, as Prosody's mod_http_file_share
// would, valid from now for the usual 300 s.
func (e *testEdge) jwtSlot(path string, size int64, filetype string, mod func(r *slot.Request)) slot.Slot {
	r := slot.Request{Version: token.JWT, Base: e.base, Path: path, Size: size, ContentType: filetype,
		Uploader: "alice@example.org", Timestamp: time.Now().Unix()}
	if mod != nil {
		mod(&r)
	}
	return slot.Sign(token.NewSigner([]byte(testSecret)), r)
}

// recorder wraps a store and keeps what each Put was told.
type recorder struct {
	backend.Store
	mu    sync.Mutex
	infos map[string]backend.PutInfo
}

func (r *recorder) Put(ctx context.Context, name string, info backend.PutInfo, body io.Reader) error {
	r.mu.Lock()
	r.infos[name] = info
	r.mu.Unlock()
	return r.Store.Put(ctx, name, info, body)
}

func (r *recorder) info(name string) backend.PutInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.infos[name]
}

// recorded returns b with its stores wrapped in recorders, and where to
// find the recorder of the last edge started.
func recorded(b testBackend) (testBackend, *recorder) {
	rec := &recorder{infos: map[string]backend.PutInfo{}}
	open := b.open
	b.open = func(t *testing.T) (backend.Store, string) {
		s, dir := open(t)
		rec.Store = s
		return rec, dir
	}
	return b, rec
}

// admitLog is an Admitter that allows everything and records who asked.
type admitLog struct {
	mu        sync.Mutex
	uploaders []string
}

func (a *admitLog) Allow(u []byte, _ int64) bool { return true }
func (a *admitLog) Reserve(u []byte, _ int64) bool {
	a.mu.Lock()
	a.uploaders = append(a.uploaders, string(u))
	a.mu.Unlock()
	return true
}
func (a *admitLog) Done([]byte, int64, bool) {}

func testJWT(t *testing.T, b testBackend) {
	b, rec := recorded(b)
	admit := &admitLog{}
	e := startEdge(t, b, func(o *Options) { o.Admitter = admit })
	body := []byte("a picture, as far as this test cares")
	size := int64(len(body))

	// The file is kept with filetype, whatever the PUT says, and with the
	// uploader (sub) and expiry of the token.
	path := e.slotName("été ✓ 日本.png")
	expires := time.Now().Add(7 * 24 * time.Hour).Unix()
	s := e.jwtSlot(path, size, "image/png", func(r *slot.Request) { r.Expires = expires })
	if s.Put != s.Get || strings.Contains(s.Put, "?") {
		t.Fatalf("a JWT slot: PUT %q, GET %q; want one URL without a query", s.Put, s.Get)
	}
	resp, _ := e.do(http.MethodPut, s.Put, body, map[string]string{"Authorization": s.Authorization, "Content-Type": "text/html"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: got %d; want 201", resp.StatusCode)
	}
	resp, got := e.do(http.MethodGet, s.Get, nil, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("GET: got %d %q; want 200 %q", resp.StatusCode, got, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
		t.Errorf("Content-Type: got %q; want %q (the filetype claim)", ct, "image/png")
	}
	info := rec.info(path)
	if info.Uploader != "alice@example.org" || info.Expires.Unix() != expires || info.ContentType != "image/png" || info.Size != size {
		t.Errorf("PutInfo: got %+v; want uploader alice@example.org, expires %d, image/png, %d bytes", info, expires, size)
	}
	if len(admit.uploaders) != 1 || admit.uploaders[0] != "alice@example.org" {
		t.Errorf("quota asked for %q; want [alice@example.org] (the sub)", admit.uploaders)
	}
	// The same slot again: taken.
	if resp, _ := e.do(http.MethodPut, s.Put, body, map[string]string{"Authorization": s.Authorization}); resp.StatusCode != http.StatusConflict {
		t.Errorf("second PUT: got %d; want 409", resp.StatusCode)
	}

	// No filetype, no sub, no expires: application/octet-stream, nobody,
	// never.
	path2 := e.slotName("plain.bin")
	s2 := e.jwtSlot(path2, size, "", func(r *slot.Request) { r.Uploader = "" })
	if resp, _ := e.do(http.MethodPut, s2.Put, body, map[string]string{"Authorization": s2.Authorization}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT without optional claims: got %d; want 201", resp.StatusCode)
	}
	if info := rec.info(path2); info.Uploader != "" || !info.Expires.IsZero() || info.ContentType != token.DefaultContentType {
		t.Errorf("PutInfo without optional claims: got %+v", info)
	}

	path3 := e.slotName("refused.bin")
	good := e.jwtSlot(path3, size, "", nil)
	other := e.jwtSlot(e.slotName("other.bin"), size, "", nil)
	expired := e.jwtSlot(path3, size, "", func(r *slot.Request) { r.Timestamp = time.Now().Add(-10 * time.Minute).Unix() })
	oldSecret := slot.Sign(token.NewSigner([]byte("not the secret")), slot.Request{Version: token.JWT, Base: e.base, Path: path3, Size: size, Timestamp: time.Now().Unix()})
	v1put, _ := e.sign(token.V1, path3, size, "")
	for _, tc := range []struct {
		name  string
		url   string
		authz string
		body  []byte
		want  int
	}{
		{"bad signature", good.Put, good.Authorization[:len(good.Authorization)-2] + "AA", body, http.StatusUnauthorized},
		{"other secret", good.Put, oldSecret.Authorization, body, http.StatusUnauthorized},
		{"empty bearer", good.Put, "Bearer", body, http.StatusUnauthorized},
		{"not a JWT", good.Put, "Bearer abc", body, http.StatusUnauthorized},
		{"expired", good.Put, expired.Authorization, body, http.StatusGone},
		{"token for another slot", good.Put, other.Authorization, body, http.StatusBadRequest},
		{"one byte more", good.Put, good.Authorization, append(append([]byte(nil), body...), '!'), http.StatusRequestEntityTooLarge},
		{"one byte less", good.Put, good.Authorization, body[1:], http.StatusRequestEntityTooLarge},
		// The JWT is the strongest token: a good query token next to a
		// bad JWT does not help.
		{"good v1 next to a bad JWT", v1put, "Bearer x.y.z", body, http.StatusUnauthorized},
		{"no token at all", good.Put, "", body, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.authz != "" {
				hdr["Authorization"] = tc.authz
			}
			resp, _ := e.do(http.MethodPut, tc.url, tc.body, hdr)
			if resp.StatusCode != tc.want {
				t.Fatalf("got %d; want %d", resp.StatusCode, tc.want)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Error("refusal without CORS headers")
			}
			if wa := resp.Header.Get("WWW-Authenticate"); (tc.want == http.StatusUnauthorized) != (wa == "Bearer") {
				t.Errorf("WWW-Authenticate %q with %d; want Bearer exactly on 401", wa, tc.want)
			}
		})
	}
	if resp, _ := e.do(http.MethodHead, good.Get, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("after the refused PUTs: HEAD got %d; want 404 (nothing kept)", resp.StatusCode)
	}
	// Another Authorization scheme (a proxy's Basic) leaves the query
	// token to be checked.
	if resp, _ := e.do(http.MethodPut, v1put, body, map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}); resp.StatusCode != http.StatusCreated {
		t.Errorf("v1 token with Authorization: Basic: got %d; want 201", resp.StatusCode)
	}
	// A failed attempt may be retried; the upload then succeeds once.
	path4 := e.slotName("retry.bin")
	retry := e.jwtSlot(path4, size, "", nil)
	if resp, _ := e.do(http.MethodPut, retry.Put, body, map[string]string{"Authorization": retry.Authorization}); resp.StatusCode != http.StatusCreated {
		t.Errorf("retry after refusals: got %d; want 201", resp.StatusCode)
	}
}

// putChunked sends body chunked (no Content-Length) with the JWT of s and
// returns the status.
func (e *testEdge) putChunked(s slot.Slot, chunks ...[]byte) int {
	e.t.Helper()
	c, br := e.rawConn()
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nTransfer-Encoding: chunked\r\n\r\n",
		strings.TrimPrefix(s.Put, "http://"+e.addr), s.Authorization)
	for _, ch := range chunks {
		fmt.Fprintf(c, "%x\r\n%s\r\n", len(ch), ch)
	}
	fmt.Fprintf(c, "0\r\n\r\n")
	return readResponse(e.t, br).StatusCode
}

// testJWTChunked: the JWT signs the size, so a chunked body is taken, and
// one whose final size differs leaves nothing (413, as Prosody answers).
func testJWTChunked(t *testing.T, b testBackend) {
	e := startEdge(t, b, func(o *Options) { o.MaxFileSize = 1 << 20 })
	part := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	size := int64(3 * len(part))
	path := e.slotName("chunked.bin")
	s := e.jwtSlot(path, size, "application/octet-stream", nil)
	before := storeFiles(t, e.dir)
	for _, tc := range []struct {
		name   string
		chunks [][]byte
	}{
		{"shorter", [][]byte{part, part}},
		{"longer", [][]byte{part, part, part, []byte("x")}},
		{"empty", nil},
	} {
		if got := e.putChunked(s, tc.chunks...); got != http.StatusRequestEntityTooLarge {
			t.Errorf("%s chunked body: got %d; want 413", tc.name, got)
		}
		if resp, _ := e.do(http.MethodHead, s.Get, nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("after the %s chunked body: HEAD got %d; want 404", tc.name, resp.StatusCode)
		}
	}
	if after := storeFiles(t, e.dir); len(after) != len(before) {
		t.Errorf("the refused chunked bodies left files: %q", after)
	}
	if got := e.putChunked(s, part, part[:100], part[100:], part); got != http.StatusCreated {
		t.Fatalf("chunked body of the signed size: got %d; want 201", got)
	}
	_, got := e.do(http.MethodGet, s.Get, nil, nil)
	if want := bytes.Repeat(part, 3); !bytes.Equal(got, want) {
		t.Errorf("GET: %d bytes; want %d, byte-exact", len(got), len(want))
	}
	// A JWT for more than the edge takes: 413 on the headers, whatever
	// the body.
	big := e.jwtSlot(e.slotName("big.bin"), 2<<20, "", nil)
	if got := e.putChunked(big, part); got != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body for a filesize over the limit: got %d; want 413", got)
	}
	// A query token still needs a Content-Length.
	v1, _ := e.sign(token.V1, e.slotName("v1.bin"), 1, "")
	c, br := e.rawConn()
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", strings.TrimPrefix(v1, "http://"+e.addr))
	if resp := readResponse(t, br); resp.StatusCode != http.StatusLengthRequired {
		t.Errorf("chunked v1 upload: got %d; want 411", resp.StatusCode)
	}
}

// testJWTExpect: a JWT is decided on the headers; with Expect:
// 100-continue a refused client never sends its body.
func testJWTExpect(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	target := func(u string) string { return strings.TrimPrefix(u, "http://"+e.addr) }
	size := int64(10 << 20)
	s := e.jwtSlot(e.slotName("expect.bin"), size, "", nil)
	expired := e.jwtSlot(e.slotName("expired.bin"), size, "", func(r *slot.Request) { r.Exp = time.Now().Unix() - 1 })
	for _, tc := range []struct {
		name, url, authz, length string
		want                     int
	}{
		{"bad token", s.Put, s.Authorization + "x", "Content-Length: 10485760", http.StatusUnauthorized},
		{"expired", expired.Put, expired.Authorization, "Content-Length: 10485760", http.StatusGone},
		{"other size", s.Put, s.Authorization, "Content-Length: 10485761", http.StatusRequestEntityTooLarge},
		{"chunked, bad token", s.Put, s.Authorization + "x", "Transfer-Encoding: chunked", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, br := e.rawConn()
			fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n%s\r\nExpect: 100-continue\r\n\r\n", target(tc.url), tc.authz, tc.length)
			resp := readResponse(t, br)
			if resp.StatusCode != tc.want {
				t.Fatalf("got %d; want %d (no 100 Continue)", resp.StatusCode, tc.want)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Error("refusal without CORS headers")
			}
			if tc.want == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("WWW-Authenticate %q; want Bearer", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// A good one, chunked: 100 Continue, then 201.
	small := e.jwtSlot(e.slotName("small.bin"), 5, "text/plain", nil)
	c, br := e.rawConn()
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n", target(small.Put), small.Authorization)
	if resp := readResponse(t, br); resp.StatusCode != http.StatusContinue {
		t.Fatalf("good chunked upload: got %d; want 100", resp.StatusCode)
	}
	fmt.Fprintf(c, "5\r\nhello\r\n0\r\n\r\n")
	if resp := readResponse(t, bufio.NewReader(br)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after 100: got %d; want 201", resp.StatusCode)
	}
}

func testV3Expires(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	body := []byte("from HMAC File Server 3.4")
	size := int64(len(body))
	sign := func(path string, expires int64, base string) string {
		put, _ := slot.URLs([]byte(testSecret), slot.Request{Version: token.V3Expires, Base: base, Path: path, Size: size, Expires: expires})
		return put
	}
	path := e.slotName("hfs 3.4.txt")
	// Signed for /upload/: the base URL path is part of the message.
	otherPrefix := strings.Replace(sign(path, time.Now().Add(time.Hour).Unix(), strings.TrimSuffix(e.base, "upload/")+"other/"), "/other/", "/upload/", 1)
	for _, tc := range []struct {
		name string
		url  string
		want int
	}{
		{"expired a second ago", sign(path, time.Now().Unix()-1, e.base), http.StatusForbidden},
		{"signed for another prefix", otherPrefix, http.StatusForbidden},
		{"expires changed", strings.Replace(sign(path, 2000000000, e.base), "expires=2000000000", "expires=2000000001", 1), http.StatusForbidden},
		{"seed v3 fields instead of expires", strings.Replace(sign(path, 2000000000, e.base), "expires=2000000000", "uploader=a&ts=1", 1), http.StatusForbidden},
		{"valid", sign(path, time.Now().Add(time.Hour).Unix(), e.base), http.StatusCreated},
	} {
		if got := e.put(tc.url, body, "text/plain"); got != tc.want {
			t.Errorf("%s: got %d; want %d", tc.name, got, tc.want)
		}
	}
	resp, got := e.do(http.MethodGet, e.base+path, nil, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Errorf("GET: got %d %q; want 200 %q", resp.StatusCode, got, body)
	}
}

// testDelete: Metronome's signed DELETE, with docs/protocol.md's vector
// path; without a delete secret, DELETE is 405.
func testDelete(t *testing.T, b testBackend) {
	const deleteSecret = "delete secret"
	e := startEdge(t, b, func(o *Options) { o.DeleteSecret = []byte(deleteSecret) })
	signer := token.NewSigner([]byte(testSecret))
	path := e.slotName("photo.jpg")
	body := []byte("to be deleted")
	put, get := e.sign(token.V1, path, int64(len(body)), "")
	if code := e.put(put, body, ""); code != http.StatusCreated {
		t.Fatalf("upload: got %d; want 201", code)
	}
	del := slot.DeleteURL(signer, []byte(deleteSecret), e.base, path)
	v1mac := put[strings.Index(put, "?v=")+3:]
	tokenPut, _ := e.sign(token.Token, path, int64(len(body)), "")
	for _, tc := range []struct {
		name, url string
		want      int
	}{
		{"no token", get, http.StatusForbidden},
		{"upload token as token", get + "?token=" + v1mac, http.StatusForbidden},
		{"Metronome's own upload URL", tokenPut, http.StatusForbidden},
		{"delete token of another path", get + "?token=" + string(signer.AppendDelete(nil, []byte(path+"x"), []byte(deleteSecret))), http.StatusForbidden},
		{"other delete secret", slot.DeleteURL(signer, []byte("guess"), e.base, path), http.StatusForbidden},
		{"malformed", get + "?token=zz", http.StatusForbidden},
	} {
		if resp, _ := e.do(http.MethodDelete, tc.url, nil, nil); resp.StatusCode != tc.want {
			t.Errorf("DELETE, %s: got %d; want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	if resp, _ := e.do(http.MethodHead, get, nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the refused DELETEs: HEAD got %d; want 200", resp.StatusCode)
	}
	resp, _ := e.do(http.MethodDelete, del, nil, nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: got %d; want 204", resp.StatusCode)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Error("204 without CORS headers")
	}
	if resp, _ := e.do(http.MethodGet, get, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET after DELETE: got %d; want 404", resp.StatusCode)
	}
	if resp, _ := e.do(http.MethodDelete, del, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("second DELETE: got %d; want 404", resp.StatusCode)
	}
	if resp, _ := e.do(http.MethodDelete, slot.DeleteURL(signer, []byte(deleteSecret), e.base, e.slotName("never.bin")), nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("DELETE of a name never uploaded: got %d; want 404", resp.StatusCode)
	}
	for _, m := range []string{http.MethodOptions, "POST"} {
		resp, _ := e.do(m, get, nil, nil)
		if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "DELETE") {
			t.Errorf("%s with a delete secret: Allow %q; want DELETE in it", m, allow)
		}
	}
	// The slot is free again.
	if code := e.put(put, body, ""); code != http.StatusCreated {
		t.Errorf("upload after DELETE: got %d; want 201", code)
	}

	// Off without a delete secret, and Allow does not offer it.
	off := startEdge(t, b)
	resp, _ = off.do(http.MethodDelete, slot.DeleteURL(signer, []byte(deleteSecret), off.base, path), nil, nil)
	if resp.StatusCode != http.StatusMethodNotAllowed || strings.Contains(resp.Header.Get("Allow"), "DELETE") {
		t.Errorf("DELETE without a delete secret: got %d, Allow %q; want 405 without DELETE", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestPreflightAllowsAuthorization: a browser's preflight for a PUT with
// the JWT's Authorization header gets it allowed by name ("*" would not
// cover it).
func TestPreflightAllowsAuthorization(t *testing.T) {
	e := startEdge(t, testBackends()[0])
	resp, _ := e.do(http.MethodOptions, e.base+"a/b.png", nil, map[string]string{
		"Origin": "https://chat.example.org", "Access-Control-Request-Method": "PUT",
		"Access-Control-Request-Headers": "authorization,content-type",
	})
	var names []string
	for _, n := range strings.Split(resp.Header.Get("Access-Control-Allow-Headers"), ",") {
		names = append(names, strings.ToLower(strings.TrimSpace(n)))
	}
	if !strings.Contains(","+strings.Join(names, ",")+",", ",authorization,") {
		t.Errorf("Access-Control-Allow-Headers %q; want Authorization by name", resp.Header.Get("Access-Control-Allow-Headers"))
	}
}

// TestRotationAndSchemes: previous secrets are accepted for every scheme
// and a reload swaps them with the delete secret and the schemes at once.
func TestRotationAndSchemes(t *testing.T) {
	b := testBackends()[0]
	e := startEdge(t, b, func(o *Options) {
		o.Secret = []byte("new secret")
		o.PreviousSecrets = [][]byte{[]byte(testSecret)}
		o.DeleteSecret = []byte("d")
	})
	body := []byte("xy")
	old := token.NewSigner([]byte(testSecret))
	for _, ver := range []token.Version{token.V1, token.V2, token.Token, token.V3, token.V3Expires, token.JWT} {
		path := e.slotName(ver.String() + ".bin")
		s := slot.Sign(old, slot.Request{Version: ver, Base: e.base, Path: path, Size: 2,
			Uploader: "a@example.org", Timestamp: time.Now().Unix(), Expires: time.Now().Add(time.Hour).Unix()})
		hdr := map[string]string{}
		if s.Authorization != "" {
			hdr["Authorization"] = s.Authorization
		}
		if resp, _ := e.do(http.MethodPut, s.Put, body, hdr); resp.StatusCode != http.StatusCreated {
			t.Errorf("%v signed with the previous secret: got %d; want 201", ver, resp.StatusCode)
		}
	}
	path := e.slotName("v.bin")
	if resp, _ := e.do(http.MethodDelete, slot.DeleteURL(old, []byte("d"), e.base, e.slotName("x")), nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("DELETE signed with the previous secret: got %d; want 404 (accepted, nothing there)", resp.StatusCode)
	}
	// Reload: the previous secret and DELETE are gone, and only jwt is on.
	if err := e.handler.Reload(Options{Secret: []byte("new secret"), TokenSchemes: token.Schemes(0).With(token.JWT)}); err != nil {
		t.Fatal(err)
	}
	if err := e.handler.Reload(Options{Secret: []byte("x"), PreviousSecrets: [][]byte{nil}}); err == nil {
		t.Error("Reload with an empty previous secret: got nil error")
	}
	put, _ := slot.URLs([]byte("new secret"), slot.Request{Version: token.V1, Base: e.base, Path: path, Size: 2})
	if code := e.put(put, body, ""); code != http.StatusForbidden {
		t.Errorf("v1 with only jwt on: got %d; want 403", code)
	}
	oldJWT := slot.Sign(old, slot.Request{Version: token.JWT, Base: e.base, Path: path, Size: 2, Timestamp: time.Now().Unix()})
	if resp, _ := e.do(http.MethodPut, oldJWT.Put, body, map[string]string{"Authorization": oldJWT.Authorization}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("JWT of the dropped secret: got %d; want 401", resp.StatusCode)
	}
	newJWT := slot.Sign(token.NewSigner([]byte("new secret")), slot.Request{Version: token.JWT, Base: e.base, Path: path, Size: 2, Timestamp: time.Now().Unix()})
	if resp, _ := e.do(http.MethodPut, newJWT.Put, body, map[string]string{"Authorization": newJWT.Authorization}); resp.StatusCode != http.StatusCreated {
		t.Errorf("JWT of the new secret: got %d; want 201", resp.StatusCode)
	}
	if resp, _ := e.do(http.MethodDelete, e.base+path+"?token=00", nil, nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE after a reload without delete secret: got %d; want 405", resp.StatusCode)
	}
}
