package xmppe2e

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// checkJWTSlot takes a real JWT slot for N bytes from Prosody's
// mod_http_file_share and PUTs what a broken or malicious client might, as
// Prosody's own handler would answer it: N+1 and N-1 bytes (413), the same
// sizes chunked (413 once the body ends), no token (403), a tampered one
// (401), the slot's token on another slot (400), and N declared but only
// N-1 sent before the connection is cut. None may leave a file; the slot
// must still take the right upload afterwards, exactly once, and the file
// is served with the type declared in the slot request, whatever the PUT
// said.
func checkJWTSlot(t *testing.T, srv xmppServer, store string) {
	const ct = "application/x-upedge-test"
	before := countFiles(t, store)
	s, err := requestSlot(srv, "mismatch.bin", mismatchSize, ct)
	if err != nil {
		t.Fatalf("cannot get a slot from %s: %v", srv.name, err)
	}
	authz := s.Headers["Authorization"]
	if !strings.HasPrefix(authz, "Bearer ") || s.Put != s.Get || strings.Contains(s.Put, "?") {
		t.Fatalf("slot: PUT %q, GET %q, Authorization %q; want one URL and a Bearer token", s.Put, s.Get, authz)
	}
	other, err := requestSlot(srv, "other.bin", mismatchSize, ct)
	if err != nil {
		t.Fatalf("cannot get a second slot from %s: %v", srv.name, err)
	}
	body := make([]byte, mismatchSize+1)
	for i := range body {
		body[i] = byte(i * 7)
	}
	assertNoFile := func(after string) {
		t.Helper()
		if resp, _ := fetch(t, http.MethodHead, s.Get, false); resp.StatusCode != http.StatusNotFound {
			t.Errorf("after %s: HEAD %s: got %d; want 404 (no file)", after, s.Get, resp.StatusCode)
		}
	}
	bearer := "Authorization: " + authz
	for _, tc := range []struct {
		name string
		url  string
		n    int
		hdr  []string
		want int
	}{
		{"N+1 bytes", s.Put, mismatchSize + 1, []string{bearer}, http.StatusRequestEntityTooLarge},
		{"N-1 bytes", s.Put, mismatchSize - 1, []string{bearer}, http.StatusRequestEntityTooLarge},
		{"no token", s.Put, mismatchSize, nil, http.StatusForbidden},
		{"tampered token", s.Put, mismatchSize, []string{bearer[:len(bearer)-3] + "AAA"}, http.StatusUnauthorized},
		{"token of another slot", other.Put, mismatchSize, []string{bearer}, http.StatusBadRequest},
	} {
		if code := put(t, tc.url, body[:tc.n], ct, tc.hdr...); code != tc.want {
			t.Errorf("PUT, %s: got %d; want %d", tc.name, code, tc.want)
		}
		assertNoFile(tc.name)
	}
	for _, n := range []int{mismatchSize - 1, mismatchSize + 1} {
		if code := chunkedPut(t, s.Put, body[:n], authz); code != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked PUT of %d bytes to a slot for %d: got %d; want 413", n, mismatchSize, code)
		}
		assertNoFile(fmt.Sprintf("a chunked PUT of %d bytes", n))
	}
	status := cutPut(t, s.Put, body[:mismatchSize-1], mismatchSize, ct, bearer)
	t.Logf("PUT declaring %d bytes, cut after %d: %s", mismatchSize, mismatchSize-1, status)
	assertNoFile("a cut PUT")
	if after := countFiles(t, store); after != before {
		t.Errorf("the refused and cut PUTs changed the store: %d files before, %d after", before, after)
	}

	// The PUT's Content-Type does not count: the token's filetype does.
	if code := put(t, s.Put, body[:mismatchSize], "text/html", bearer); code != http.StatusCreated {
		t.Fatalf("the right PUT to the same slot: got %d; want 201", code)
	}
	if code := put(t, s.Put, body[:mismatchSize], ct, bearer); code != http.StatusConflict {
		t.Errorf("a second PUT to a used slot: got %d; want 409", code)
	}
	_, served := checkDownload(t, s.Get, testFile{label: "mismatch", size: mismatchSize, sum: sha256.Sum256(body[:mismatchSize])})
	if served != ct {
		t.Errorf("Content-Type: served %q; the slot was requested for %q", served, ct)
	}
	// The other slot, chunked as a browser may send it.
	if code := chunkedPut(t, other.Put, body[:mismatchSize], other.Headers["Authorization"]); code != http.StatusCreated {
		t.Errorf("chunked PUT of the right size: got %d; want 201", code)
	}
	checkDownload(t, other.Get, testFile{label: "chunked", size: mismatchSize, sum: sha256.Sum256(body[:mismatchSize])})
}

// chunkedPut uploads body with Transfer-Encoding: chunked (no
// Content-Length) and the Authorization header authz, and returns the
// status.
func chunkedPut(t *testing.T, rawURL string, body []byte, authz string) int {
	t.Helper()
	pu, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("cannot parse %q: %v", rawURL, err)
	}
	c, err := net.DialTimeout("tcp", pu.Host, 10*time.Second)
	if err != nil {
		t.Fatalf("cannot connect to the edge: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	w := bufio.NewWriter(c)
	fmt.Fprintf(w, "PUT %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nTransfer-Encoding: chunked\r\n\r\n", pu.RequestURI(), pu.Host, authz)
	for len(body) > 0 {
		n := min(len(body), 1000)
		fmt.Fprintf(w, "%x\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	fmt.Fprint(w, "0\r\n\r\n")
	if err := w.Flush(); err != nil {
		t.Fatalf("cannot send the chunked PUT: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to the chunked PUT: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// checkExpiredJWT signs two JWT slots whose token expires in two seconds,
// as Prosody would with the shared secret (`upedge sign --version jwt
// --exp`), the first with a file expiry (expires) two seconds later: the
// first, used at once, is stored and served until its expires, then
// answered 410 Gone; the second, used once its token has expired, gets 410
// and leaves nothing.
func checkExpiredJWT(t *testing.T, bin, baseURL string) {
	exp := time.Now().Unix() + 2
	expires := exp + 2
	sign := func(path string, extra ...string) (putURL, authz string) {
		t.Helper()
		args := append([]string{"sign", "--secret", sharedSecret, "--base", baseURL,
			"--version", "jwt", "--type", "text/plain", "--exp", strconv.FormatInt(exp, 10)}, extra...)
		out, errOut, err := runCommand(time.Minute, edgeEnv(), append(append([]string{bin}, args...), path, "5")...)
		if err != nil {
			t.Fatalf("upedge sign: %v\n%s", err, errOut)
		}
		lines := strings.Split(string(out), "\n")
		if len(lines) < 3 || !strings.HasPrefix(lines[2], "Authorization: ") {
			t.Fatalf("upedge sign --version jwt printed %q; want PUT URL, GET URL, Authorization", out)
		}
		return lines[0], lines[2]
	}
	fresh, freshAuthz := sign("jwt-exp-fresh/a.txt", "--expires", strconv.FormatInt(expires, 10))
	late, lateAuthz := sign("jwt-exp-late/a.txt")
	if code := put(t, fresh, []byte("hello"), "text/plain", freshAuthz); code != http.StatusCreated {
		t.Fatalf("PUT with a fresh JWT: got %d; want 201", code)
	}
	checkDownload(t, fresh, testFile{label: "expiring", size: 5, sum: sha256.Sum256([]byte("hello"))})
	// Prosody's rule: void once the clock is past exp.
	time.Sleep(time.Until(time.Unix(exp+1, 0)))
	if code := put(t, late, []byte("hello"), "text/plain", lateAuthz); code != http.StatusGone {
		t.Errorf("PUT with an expired JWT: got %d; want 410", code)
	}
	if resp, _ := fetch(t, http.MethodHead, late, false); resp.StatusCode != http.StatusNotFound {
		t.Errorf("after the expired PUT: HEAD got %d; want 404", resp.StatusCode)
	}
	// The file's expires: served until then, 410 Gone after.
	time.Sleep(time.Until(time.Unix(expires+1, 0)))
	for _, method := range []string{http.MethodHead, http.MethodGet} {
		if resp, _ := fetch(t, method, fresh, false); resp.StatusCode != http.StatusGone {
			t.Errorf("%s past the file's expires: got %d; want 410", method, resp.StatusCode)
		}
	}
}
