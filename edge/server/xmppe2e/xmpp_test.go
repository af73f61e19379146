package xmppe2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// httpClient downloads as an XMPP client would. Compression is off so that
// the bytes compared are the bytes the edge sent.
var httpClient = &http.Client{
	Transport: &http.Transport{DisableCompression: true},
	Timeout:   2 * time.Minute,
}

// result is one line of the summary the suite logs at the end.
type result struct {
	server, client, file string
	size                 int64
	took                 time.Duration
	outcome              string
}

// TestXMPPServersAndClients runs Prosody (mod_http_upload_external with
// token v1, then v2; the built-in mod_http_file_share with JWTs) and
// ejabberd against one upedge, uploads every fixture with go-sendxmpp and
// slixmpp through the slots those servers hand out, downloads each with
// HEAD and GET from the GET URL and compares it byte for byte, and its
// Content-Type with the one the client declared. Then a slot for N bytes
// is tried with N+1, N-1 and a cut body, which must all leave no file.
// Prosody's file share serving the uploads itself runs the same uploads
// as a control.
func TestXMPPServersAndClients(t *testing.T) {
	ts := needTools(t)
	began := time.Now()
	root := t.TempDir()
	bin := buildEdge(t, root)
	baseURL, store := startEdge(t, bin, root)
	certPath, keyPath := makeCert(t, root)
	filesDir := filepath.Join(root, "files")
	if err := os.Mkdir(filesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := makeFiles(t, filesDir)

	servers := []struct {
		name  string
		start func(t *testing.T, dir string) xmppServer
	}{
		{"prosody-v1", func(t *testing.T, dir string) xmppServer {
			return startProsody(t, dir, baseURL, "v1", certPath, keyPath)
		}},
		{"prosody-v2", func(t *testing.T, dir string) xmppServer {
			return startProsody(t, dir, baseURL, "v2", certPath, keyPath)
		}},
		{"prosody-share", func(t *testing.T, dir string) xmppServer {
			return startProsodyFileShare(t, dir, baseURL, certPath, keyPath)
		}},
		{"prosody-share-own", func(t *testing.T, dir string) xmppServer {
			return startProsodyFileShare(t, dir, "", certPath, keyPath)
		}},
		{"ejabberd", func(t *testing.T, dir string) xmppServer {
			return startEjabberd(t, dir, baseURL, certPath, keyPath, ts)
		}},
	}
	var results []result
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			dir := t.TempDir()
			srv := s.start(t, dir)
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("%s log:\n%s", srv.name, logTail(srv.logPath, 40))
				}
			})
			for _, u := range uploaders {
				for _, f := range files {
					t.Run(u.name+"/"+f.label, func(t *testing.T) {
						r := result{server: srv.name, client: u.name, file: f.label, size: f.size}
						defer func() {
							if r.outcome == "" {
								r.outcome = "FAILED"
							}
							results = append(results, r)
						}()
						start := time.Now()
						getURL, declared, err := u.upload(srv, dir, f.path)
						r.took = time.Since(start)
						if f.size == 0 && srv.refusesEmpty {
							if err == nil {
								t.Fatalf("%s gave a slot for an empty file and %s uploaded it to %s; the suite expected a refusal", srv.name, u.name, getURL)
							}
							if !refusalOfEmpty.MatchString(err.Error()) {
								t.Fatalf("%s with an empty file failed, but not with the expected slot refusal: %v", u.name, err)
							}
							t.Logf("as expected, %s refuses a slot for 0 bytes: %s", srv.name, refusalOfEmpty.FindString(err.Error()))
							r.outcome = "slot refused by server (size 0)"
							return
						}
						if err != nil {
							t.Fatalf("upload of %s with %s through %s: %v", f.label, u.name, srv.name, err)
						}
						t.Logf("uploaded %d bytes in %s; GET URL %s", f.size, r.took.Round(time.Millisecond), getURL)
						checkSlotName(t, srv, u, getURL, filepath.Base(f.path))
						if !srv.own && !strings.HasPrefix(getURL, baseURL) {
							t.Errorf("GET URL %q is not on the edge (%s)", getURL, baseURL)
						}
						served, ctype := checkDownload(t, getURL, f)
						// What a client declared is known from slixmpp
						// always, from go-sendxmpp through a JWT slot.
						switch {
						case declared == "" && srv.jwt:
							t.Errorf("%s declared no Content-Type that the test could read", u.name)
						case declared != "" && ctype != declared:
							t.Errorf("Content-Type: served %q; the client declared %q", ctype, declared)
						}
						if !t.Failed() {
							r.outcome = "ok (" + served + ")"
						}
					})
				}
			}
			if srv.own {
				return // the control: Prosody's own handler, not the edge
			}
			t.Run("slixmpp/size-mismatch", func(t *testing.T) {
				start := time.Now()
				defer func() {
					outcome := "ok"
					if t.Failed() {
						outcome = "FAILED"
					}
					results = append(results, result{server: srv.name, client: "slixmpp slot, Go PUT", file: "N+1/N-1/cut",
						size: mismatchSize, took: time.Since(start), outcome: outcome})
				}()
				if srv.jwt {
					checkJWTSlot(t, srv, store)
					return
				}
				checkSizeMismatch(t, srv, store)
			})
			if srv.jwt {
				t.Run("upedge-sign/expired-jwt", func(t *testing.T) {
					start := time.Now()
					defer func() {
						outcome := "ok (201, GET 200; late PUT 410; GET 410 past expires)"
						if t.Failed() {
							outcome = "FAILED"
						}
						results = append(results, result{server: srv.name, client: "upedge sign, Go PUT", file: "JWT exp+2s expires+4s",
							size: 5, took: time.Since(start), outcome: outcome})
					}()
					checkExpiredJWT(t, bin, baseURL)
				})
			}
		})
	}

	var sum strings.Builder
	fmt.Fprintf(&sum, "suite wall time %s (build, setup and all servers)\n", time.Since(began).Round(time.Millisecond))
	fmt.Fprintf(&sum, "%-17s %-22s %-22s %9s %8s  %s\n", "server", "client", "file", "bytes", "upload", "result (as served)")
	for _, r := range results {
		fmt.Fprintf(&sum, "%-17s %-22s %-22s %9d %8s  %s\n", r.server, r.client, r.file, r.size, r.took.Round(time.Millisecond), r.outcome)
	}
	t.Log("\n" + sum.String())
}

// refusalOfEmpty is ejabberd 23.01's answer to a slot request for 0 bytes:
// its XEP-0363 codec wants a positive size, so the request bounces with
// bad-request before mod_http_upload sees it.
var refusalOfEmpty = regexp.MustCompile(`Bad value of attribute (?:'|&apos;)size(?:'|&apos;)`)

// checkSlotName checks that the file name survived into the GET URL the way
// the server is documented to pass it on. Only slixmpp sends names as they
// are; go-sendxmpp replaces spaces and non-ASCII letters with "_" itself.
func checkSlotName(t *testing.T, srv xmppServer, u uploader, getURL, name string) {
	t.Helper()
	if u.name != "slixmpp" {
		return
	}
	want := name
	if srv.slotName != nil {
		want = srv.slotName(name)
	}
	pu, err := url.Parse(getURL)
	if err != nil {
		t.Fatalf("cannot parse GET URL %q: %v", getURL, err)
	}
	if got := path.Base(pu.Path); got != want {
		t.Errorf("file name in the GET URL: got %q; want %q", got, want)
	}
}

// checkDownload fetches getURL with HEAD and GET and compares with f. It
// returns how the edge served it (Content-Type, and whether as attachment)
// for the summary, and the Content-Type.
func checkDownload(t *testing.T, getURL string, f testFile) (served, contentType string) {
	t.Helper()
	head, _ := fetch(t, http.MethodHead, getURL, false)
	get, sum := fetch(t, http.MethodGet, getURL, true)
	for _, r := range []*http.Response{head, get} {
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: got status %d; want 200", r.Request.Method, getURL, r.StatusCode)
		}
		if got, want := r.Header.Get("Content-Length"), strconv.FormatInt(f.size, 10); got != want {
			t.Errorf("%s Content-Length: got %q; want %q", r.Request.Method, got, want)
		}
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s X-Content-Type-Options: got %q; want nosniff", r.Request.Method, got)
		}
		if cd := r.Header.Get("Content-Disposition"); f.html && !strings.HasPrefix(cd, "attachment") {
			t.Errorf("%s of an HTML file: Content-Disposition %q; want attachment", r.Request.Method, cd)
		}
	}
	for _, h := range []string{"Content-Type", "Content-Length", "Content-Disposition", "X-Content-Type-Options", "Content-Security-Policy", "ETag", "Last-Modified"} {
		if hv, gv := head.Header.Get(h), get.Header.Get(h); hv != gv {
			t.Errorf("HEAD and GET differ in %s: %q vs %q", h, hv, gv)
		}
	}
	if sum.n != f.size || sum.sum != f.sum {
		t.Errorf("GET body: %d bytes, sha256 %x; want %d bytes, sha256 %x", sum.n, sum.sum, f.size, f.sum)
	}
	contentType = get.Header.Get("Content-Type")
	served = contentType
	if strings.HasPrefix(get.Header.Get("Content-Disposition"), "attachment") {
		served += ", attachment"
	}
	return served, contentType
}

type bodySum struct {
	n   int64
	sum [sha256.Size]byte
}

// fetch does one request; with hash it reads the body into a SHA-256 (the
// 40 MiB file is not held in memory twice).
func fetch(t *testing.T, method, rawURL string, hash bool) (*http.Response, bodySum) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatalf("cannot make %s %s: %v", method, rawURL, err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	var s bodySum
	h := sha256.New()
	s.n, err = io.Copy(h, resp.Body)
	if err != nil {
		t.Fatalf("cannot read the body of %s %s: %v", method, rawURL, err)
	}
	copy(s.sum[:], h.Sum(nil))
	return resp, s
}

const mismatchSize = 4096

// checkSizeMismatch takes a real slot for N bytes and PUTs what a broken or
// malicious client might: N+1 and N-1 bytes (honest Content-Length, so the
// token does not match), for v2 a different Content-Type, and N declared
// but only N-1 sent before the connection is cut. None may leave a file;
// the slot must still take the right upload afterwards, exactly once.
func checkSizeMismatch(t *testing.T, srv xmppServer, store string) {
	const ct = "application/octet-stream"
	before := countFiles(t, store)
	s, err := requestSlot(srv, "mismatch.bin", mismatchSize, ct)
	if err != nil {
		t.Fatalf("cannot get a slot from %s: %v", srv.name, err)
	}
	pu, err := url.Parse(s.Put)
	if err != nil || !pu.Query().Has(srv.tokenParam) {
		t.Fatalf("PUT URL %q: want a %q token (err %v)", s.Put, srv.tokenParam, err)
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

	for _, n := range []int{mismatchSize + 1, mismatchSize - 1} {
		if code := put(t, s.Put, body[:n], ct); code != http.StatusForbidden {
			t.Errorf("PUT of %d bytes to a slot for %d: got %d; want 403", n, mismatchSize, code)
		}
		assertNoFile(fmt.Sprintf("a PUT of %d bytes", n))
	}
	if srv.signsType {
		if code := put(t, s.Put, body[:mismatchSize], "text/html"); code != http.StatusForbidden {
			t.Errorf("PUT with a Content-Type other than the slot's (v2 signs it): got %d; want 403", code)
		}
		assertNoFile("a PUT with another Content-Type")
	}
	status := cutPut(t, s.Put, body[:mismatchSize-1], mismatchSize, ct)
	t.Logf("PUT declaring %d bytes, cut after %d: %s", mismatchSize, mismatchSize-1, status)
	assertNoFile("a cut PUT")
	// Not even a temporary or a half-written file may stay behind.
	if after := countFiles(t, store); after != before {
		t.Errorf("the refused and cut PUTs changed the store: %d files before, %d after", before, after)
	}

	if code := put(t, s.Put, body[:mismatchSize], ct); code != http.StatusCreated {
		t.Fatalf("the right PUT to the same slot: got %d; want 201", code)
	}
	if code := put(t, s.Put, body[:mismatchSize], ct); code != http.StatusConflict {
		t.Errorf("a second PUT to a used slot: got %d; want 409", code)
	}
	checkDownload(t, s.Get, testFile{label: "mismatch", size: mismatchSize, sum: sha256.Sum256(body[:mismatchSize])})
}

// countFiles counts everything but directories below the edge's store,
// its own temporaries included.
func countFiles(t *testing.T, root string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("cannot walk the edge store %q: %v", root, err)
	}
	return n
}

// put uploads body with an honest Content-Length and returns the status;
// hdr are more headers ("Name: value"), e.g. a slot's Authorization.
func put(t *testing.T, rawURL string, body []byte, contentType string, hdr ...string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("cannot make PUT %s: %v", rawURL, err)
	}
	req.Header.Set("Content-Type", contentType)
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", rawURL, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// cutPut declares declared bytes, sends body (shorter) and closes its side,
// like a client whose connection drops mid-upload. It returns what the edge
// answered, if anything; the test only cares that nothing was stored.
// hdr are more header lines ("Name: value").
func cutPut(t *testing.T, rawURL string, body []byte, declared int, contentType string, hdr ...string) string {
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
	extra := ""
	for _, h := range hdr {
		extra += h + "\r\n"
	}
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n", pu.RequestURI(), pu.Host, contentType, declared, extra)
	_, _ = c.Write(body)
	_ = c.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return fmt.Sprintf("connection closed without an answer (%v)", err)
	}
	resp.Body.Close()
	return "answered " + resp.Status
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
