package edge

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/backend/origin"
	"github.com/upedge/upedge/backend/origintest"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
	"github.com/upedge/upedge/edge/urlpath"
)

const testSecret = "secret string"

// testBackend names a store the protocol tests run against. dir is the
// local directory that holds the objects, when there is one, so tests can
// look for leftovers.
type testBackend struct {
	name string
	open func(t *testing.T) (store backend.Store, dir string)

	// What an origin cannot do (see the README, "Upstream origins"):
	// racyCreate: concurrent uploads to one new name may all succeed
	// (nginx ignores If-None-Match: *).
	racyCreate bool
	// maxName, when set, is the longest name the store holds, given the
	// directory open returned; urlpath.MaxPath otherwise.
	maxName func(dir string) int
	// shared, when set, starts a server once for many edges and returns
	// open (see started).
	shared func(parent *testing.T) func(t *testing.T) (backend.Store, string)
}

// testBackends lists every store the protocol table runs over.
func testBackends() []testBackend {
	return []testBackend{{
		name: "dirstore",
		open: func(t *testing.T) (backend.Store, string) {
			dir := t.TempDir()
			s, err := dirstore.New(dir, dirstore.Options{Fsync: false})
			if err != nil {
				t.Fatal(err)
			}
			return s, dir
		},
	}, originBackends[0], originBackends[1]}
}

// originBackends are the upstream origins of backend/origintest: nginx
// (WebDAV PUT) and Versity (S3). Starting one costs about a second, so
// each is started once per backend run (shared) and every edge gets a
// prefix of its own on it; the directory returned is where that prefix's
// objects land, so a test still sees only its own leftovers.
var originBackends = [...]testBackend{{
	name: "nginx", racyCreate: true,
	shared: func(parent *testing.T) func(t *testing.T) (backend.Store, string) {
		n := origintest.StartNginx(parent, false)
		var seq atomic.Int64
		return func(t *testing.T) (backend.Store, string) {
			p := fmt.Sprintf("e%d", seq.Add(1))
			s, err := origin.New(n.URL+p+"/", origin.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s, filepath.Join(n.Root, p)
		}
	},
}, {
	name: "s3",
	// S3 keys are 1024 bytes at most, the prefix "eN/" included.
	maxName: func(dir string) int { return urlpath.MaxPath - len(filepath.Base(dir)) - 1 },
	shared: func(parent *testing.T) func(t *testing.T) (backend.Store, string) {
		v := origintest.StartVersity(parent, "")
		var seq atomic.Int64
		return func(t *testing.T) (backend.Store, string) {
			p := fmt.Sprintf("e%d", seq.Add(1))
			s, err := origin.New(v.URL+"/"+p, v.Options)
			if err != nil {
				t.Fatal(err)
			}
			return s, filepath.Join(v.Data, origintest.S3Bucket, p)
		}
	},
}}

// started returns b ready for its subtests: a shared origin is started
// once, under parent.
func (b testBackend) started(parent *testing.T) testBackend {
	if b.shared != nil {
		b.open, b.shared = b.shared(parent), nil
	}
	return b
}

// testEdge is an edge listening on 127.0.0.1 for one test.
type testEdge struct {
	t       *testing.T
	base    string // http://127.0.0.1:PORT/upload/
	addr    string
	dir     string
	store   backend.Store
	handler *Handler
	seq     int
}

type edgeOption func(*Options)

func startEdge(t *testing.T, b testBackend, opts ...edgeOption) *testEdge {
	t.Helper()
	store, dir := b.open(t)
	o := Options{
		Secret:      []byte(testSecret),
		Prefix:      "/upload/",
		MaxFileSize: 80 << 20,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, f := range opts {
		f(&o)
	}
	h, err := New(o, store)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, ServerOptions{ReadTimeout: 10 * time.Second, Logger: o.Logger})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { _ = srv.Shutdown() })
	return &testEdge{t: t, base: "http://" + ln.Addr().String() + "/upload/", addr: ln.Addr().String(), dir: dir, store: store, handler: h}
}

// slotName returns a fresh slot path "test-N/name".
func (e *testEdge) slotName(name string) string {
	e.seq++
	return fmt.Sprintf("%s-%d/%s", strings.ReplaceAll(e.t.Name(), "/", "_"), e.seq, name)
}

func (e *testEdge) sign(ver token.Version, path string, size int64, ctype string) (put, get string) {
	return slot.URLs([]byte(testSecret), slot.Request{
		Version: ver, Base: e.base, Path: path, Size: size, ContentType: ctype,
		Uploader: "alice@example.org", Timestamp: time.Now().Unix(),
	})
}

// do sends a request with net/http (a client that is not ours).
func (e *testEdge) do(method, url string, body []byte, hdr map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp, got
}

func (e *testEdge) put(url string, body []byte, ctype string) int {
	e.t.Helper()
	hdr := map[string]string{}
	if ctype != "" {
		hdr["Content-Type"] = ctype
	}
	resp, _ := e.do(http.MethodPut, url, body, hdr)
	return resp.StatusCode
}

// raw sends req on a fresh connection and returns the first response's
// status line and headers, without reading a body.
func (e *testEdge) rawConn() (net.Conn, *bufio.Reader) {
	e.t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func readResponse(t *testing.T, br *bufio.Reader) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	return resp
}

// storeFiles lists every regular file below dir, relative, temporaries in
// the reserved directory included.
func storeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil // an origin prefix nothing was ever stored under
	}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
