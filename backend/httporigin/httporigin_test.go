package httporigin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/internal/originclient"
)

func TestAppendEscapedPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"abc/photo.jpg", "abc/photo.jpg"},
		{"abc/my file.txt", "abc/my%20file.txt"},
		{"a/b+c=d&e?f#g%h", "a/b%2Bc%3Dd%26e%3Ff%23g%25h"},
		{"x/été", "x/%C3%A9t%C3%A9"},
		{"x/\xff", "x/%FF"},
	} {
		if got := string(AppendEscapedPath(nil, tc.in)); got != tc.want {
			t.Errorf("AppendEscapedPath(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		url string
		h   []string
	}{
		{"ftp://host/", nil},
		{"http:///path", nil},
		{"http://host/?q=1", nil},
		{"http://host/", []string{"Connection: close"}},
		{"http://host/", []string{"Transfer-Encoding: chunked"}},
		{"http://host/", []string{"X-Bad: a\r\nb"}},
		{"http://host/", []string{"no colon"}},
	} {
		if _, err := New(tc.url, originclient.Options{Headers: tc.h}); err == nil {
			t.Errorf("New(%q, %v) succeeded; want an error", tc.url, tc.h)
		}
	}
}

// fakeOrigin serves h on 127.0.0.1 and records the last request's headers.
func fakeOrigin(t *testing.T, h fasthttp.RequestHandler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: h, StreamRequestBody: true}
	go srv.Serve(ln)
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String() + "/base/"
}

// TestHeadersSent: an upload is the object (If-None-Match: *, its type
// and length), then its metadata beside it (replacing, JSON), both with
// the configured headers and credentials.
func TestHeadersSent(t *testing.T) {
	type request struct {
		hdr  fasthttp.RequestHeader
		path string
		body []byte
	}
	var (
		mu  sync.Mutex
		got []*request
	)
	u := fakeOrigin(t, func(ctx *fasthttp.RequestCtx) {
		r := &request{path: string(ctx.Request.Header.RequestURI())}
		ctx.Request.Header.CopyTo(&r.hdr)
		r.body, _ = io.ReadAll(ctx.RequestBodyStream())
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
		ctx.SetStatusCode(fasthttp.StatusCreated)
	})
	s, err := New(u, originclient.Options{Headers: []string{"X-Origin-Secret: s3cret"}, User: "edge", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	expires := time.Unix(1717689600, 0)
	if err := s.Put(context.Background(), "r/my file.txt", backend.PutInfo{Size: 5, ContentType: "text/plain", Uploader: "alice@example.org", Expires: expires}, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d requests; want the object and its metadata", len(got))
	}
	for i, want := range []struct {
		path string
		hdr  map[string]string
		body string
	}{
		{"/base/r/my%20file.txt", map[string]string{"If-None-Match": "*", "Content-Type": "text/plain", "Content-Length": "5"}, "hello"},
		{"/base/r/.upedge.my%20file.txt", map[string]string{"If-None-Match": "", "Content-Type": "application/json"},
			`{"name":"r/my file.txt","size":5,"content_type":"text/plain","uploader":"alice@example.org","expires":1717689600}`},
	} {
		r := got[i]
		want.hdr["X-Origin-Secret"] = "s3cret"
		want.hdr["Authorization"] = "Basic ZWRnZTpwdw=="
		for k, v := range want.hdr {
			if g := string(r.hdr.Peek(k)); g != v {
				t.Errorf("request %d: %s: got %q; want %q", i, k, g, v)
			}
		}
		if r.path != want.path || string(r.body) != want.body || string(r.hdr.Method()) != "PUT" {
			t.Errorf("request %d: %s %s %q; want PUT %s %q", i, r.hdr.Method(), r.path, r.body, want.path, want.body)
		}
	}
}

func TestFailureMapping(t *testing.T) {
	status := func(code int) fasthttp.RequestHandler {
		return func(ctx *fasthttp.RequestCtx) {
			if b := ctx.RequestBodyStream(); b != nil {
				io.Copy(io.Discard, b)
			}
			ctx.SetStatusCode(code)
		}
	}
	// A port nothing listens on.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()
	// An origin that takes the connection and never answers.
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c)
		}
	}()
	for _, tc := range []struct {
		name    string
		url     string
		wantPut error
		wantGet error
	}{
		{"unreachable", closed, backend.ErrUnavailable, backend.ErrUnavailable},
		{"silent", "http://" + silent.Addr().String() + "/", backend.ErrTimeout, backend.ErrTimeout},
		{"503", fakeOrigin(t, status(503)), backend.ErrUnavailable, backend.ErrUnavailable},
		{"500", fakeOrigin(t, status(500)), backend.ErrUnavailable, backend.ErrUnavailable},
		{"403", fakeOrigin(t, status(403)), backend.ErrUnavailable, backend.ErrUnavailable},
		{"412", fakeOrigin(t, status(412)), backend.ErrExists, nil},
		{"409", fakeOrigin(t, status(409)), backend.ErrExists, backend.ErrUnavailable},
		{"404", fakeOrigin(t, status(404)), backend.ErrUnavailable, backend.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.url, originclient.Options{Timeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Put(context.Background(), "a/b", backend.PutInfo{Size: 3, ContentType: "x/y"}, bytes.NewReader([]byte("abc")))
			if !errors.Is(err, tc.wantPut) {
				t.Errorf("Put: got %v; want %v", err, tc.wantPut)
			}
			o, err := s.Get(context.Background(), "a/b", &backend.GetRequest{})
			if o != nil {
				o.Close()
			}
			if tc.wantGet != nil && !errors.Is(err, tc.wantGet) {
				t.Errorf("Get: got %v; want %v", err, tc.wantGet)
			}
		})
	}
}

// TestAnswerBeforeBody: an origin that answers 201 without reading the
// body has not stored it.
func TestAnswerBeforeBody(t *testing.T) {
	u := fakeOrigin(t, func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(fasthttp.StatusCreated) })
	s, _ := New(u, originclient.Options{})
	body := bytes.NewReader(make([]byte, 8<<20))
	if err := s.Put(context.Background(), "a", backend.PutInfo{Size: 8 << 20, ContentType: "x/y"}, body); err == nil {
		t.Fatal("Put succeeded although the origin never read the body")
	}
}

// memOrigin is a tiny PUT/GET origin on net/http, honouring If-None-Match: *.
type memOrigin struct {
	mu    sync.Mutex
	files map[string][]byte
	conns atomic.Int64
}

func (m *memOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[r.URL.Path]
	switch r.Method {
	case http.MethodPut:
		if ok && r.Header.Get("If-None-Match") == "*" {
			w.WriteHeader(http.StatusPreconditionFailed)
			return
		}
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		m.files[r.URL.Path] = data
		w.WriteHeader(http.StatusCreated)
	case http.MethodGet, http.MethodHead:
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "", time.Unix(1700000000, 0), bytes.NewReader(b))
	}
}

// TestHTTPSOrigin runs uploads and downloads against an https origin, and
// checks that downloads reuse their connections.
func TestHTTPSOrigin(t *testing.T) {
	m := &memOrigin{files: map[string][]byte{}}
	srv := httptest.NewUnstartedServer(m)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			m.conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	tlsCfg := srv.Client().Transport.(*http.Transport).TLSClientConfig
	s, err := New(srv.URL+"/files/", originclient.Options{TLSConfig: tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	body := bytes.Repeat([]byte("0123456789"), 100000)
	if err := s.Put(ctx, "a/b c", backend.PutInfo{Size: int64(len(body)), ContentType: "x/y"}, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "a/b c", backend.PutInfo{Size: 1, ContentType: "x/y"}, strings.NewReader("x")); !errors.Is(err, backend.ErrExists) {
		t.Fatalf("second Put: got %v; want ErrExists", err)
	}
	before := m.conns.Load()
	for i := range 5 {
		o, err := s.Get(ctx, "a/b c", &backend.GetRequest{Range: "bytes=10-19"})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(o.Body)
		o.Close()
		if o.Status != 206 || string(got) != "0123456789" || o.Size != int64(len(body)) {
			t.Fatalf("Get %d: %d %q size %d", i, o.Status, got, o.Size)
		}
		o, err = s.Get(ctx, "a/b c", &backend.GetRequest{})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = io.ReadAll(o.Body)
		o.Close()
		if !bytes.Equal(got, body) {
			t.Fatalf("Get %d: %d bytes; want %d", i, len(got), len(body))
		}
	}
	if n := m.conns.Load() - before; n > 1 {
		t.Errorf("10 downloads opened %d connections; want 1 kept alive", n)
	}
}

// TestStaleConnection: a kept connection the origin has closed meanwhile
// is replaced, not reported as a failure.
func TestStaleConnection(t *testing.T) {
	m := &memOrigin{files: map[string][]byte{"/f/x": []byte("hello")}}
	srv := httptest.NewUnstartedServer(m)
	srv.Config.IdleTimeout = 20 * time.Millisecond
	srv.Start()
	defer srv.Close()
	s, _ := New(srv.URL+"/f/", originclient.Options{})
	for i := range 3 {
		o, err := s.Get(context.Background(), "x", &backend.GetRequest{})
		if err != nil {
			t.Fatalf("Get %d: %v", i, err)
		}
		got, _ := io.ReadAll(o.Body)
		o.Close()
		if string(got) != "hello" {
			t.Fatalf("Get %d: %q", i, got)
		}
		if err := s.Put(context.Background(), "y"+strconv.Itoa(i), backend.PutInfo{Size: 2, ContentType: "x/y"}, strings.NewReader("hi")); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
		time.Sleep(100 * time.Millisecond) // the origin drops the idle connections
	}
}

// TestMetadataFailures: the failure modes of the package doc on an origin
// that fails exactly where asked.
func TestMetadataFailures(t *testing.T) {
	type origin struct {
		metaPut, metaGet, del int // statuses; 0: 201/200/204
	}
	start := func(t *testing.T, o origin) (*Store, *[]string) {
		var mu sync.Mutex
		var log []string
		files := map[string][]byte{}
		u := fakeOrigin(t, func(ctx *fasthttp.RequestCtx) {
			p := string(ctx.Path())
			m := string(ctx.Method())
			mu.Lock()
			defer mu.Unlock()
			log = append(log, m+" "+p)
			meta := strings.Contains(p, "/.upedge.")
			switch {
			case m == "PUT":
				b, _ := io.ReadAll(ctx.RequestBodyStream())
				if meta && o.metaPut != 0 {
					ctx.SetStatusCode(o.metaPut)
					return
				}
				files[p] = b
				ctx.SetStatusCode(201)
			case m == "DELETE":
				if o.del != 0 {
					ctx.SetStatusCode(o.del)
					return
				}
				if _, ok := files[p]; !ok {
					ctx.SetStatusCode(404)
					return
				}
				delete(files, p)
				ctx.SetStatusCode(204)
			default:
				if meta && o.metaGet != 0 {
					ctx.SetStatusCode(o.metaGet)
					return
				}
				b, ok := files[p]
				if !ok {
					ctx.SetStatusCode(404)
					return
				}
				ctx.Response.Header.SetContentType("application/octet-stream")
				ctx.Response.Header.Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
				ctx.SetBody(b)
			}
		})
		s, err := New(u, originclient.Options{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return s, &log
	}
	ctx := context.Background()
	info := backend.PutInfo{Size: 5, ContentType: "text/x-kept"}
	put := func(s *Store) error { return s.Put(ctx, "d/f.txt", info, strings.NewReader("hello")) }

	t.Run("round trip", func(t *testing.T) {
		s, _ := start(t, origin{})
		if err := put(s); err != nil {
			t.Fatal(err)
		}
		o, err := s.Get(ctx, "d/f.txt", &backend.GetRequest{})
		if err != nil {
			t.Fatal(err)
		}
		o.Close()
		if o.ContentType != "text/x-kept" {
			t.Errorf("Content-Type %q; want text/x-kept", o.ContentType)
		}
		if err := s.Delete(ctx, "d/f.txt"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "d/f.txt", &backend.GetRequest{}); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("Get after Delete: %v; want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "d/f.txt"); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("second Delete: %v; want ErrNotFound", err)
		}
	})
	t.Run("remembered per version", func(t *testing.T) {
		s, log := start(t, origin{})
		if err := put(s); err != nil {
			t.Fatal(err)
		}
		get := func() string {
			t.Helper()
			*log = nil
			o, err := s.Get(ctx, "d/f.txt", &backend.GetRequest{})
			if err != nil {
				t.Fatal(err)
			}
			o.Close()
			return o.ContentType + " " + strings.Join(*log, ",")
		}
		if got, want := get(), "text/x-kept GET /base/d/.upedge.f.txt,GET /base/d/f.txt"; got != want && got != "text/x-kept GET /base/d/f.txt,GET /base/d/.upedge.f.txt" {
			t.Errorf("first GET: %q; want the object and its sidecar", got)
		}
		if got, want := get(), "text/x-kept GET /base/d/f.txt"; got != want {
			t.Errorf("second GET: %q; want %q (the sidecar remembered)", got, want)
		}
	})
	t.Run("sidecar write fails", func(t *testing.T) {
		s, log := start(t, origin{metaPut: 500})
		if err := put(s); !errors.Is(err, backend.ErrUnavailable) {
			t.Fatalf("Put: %v; want ErrUnavailable", err)
		}
		want := []string{"PUT /base/d/f.txt", "PUT /base/d/.upedge.f.txt", "PUT /base/d/.upedge.f.txt", "DELETE /base/d/f.txt"}
		if got := *log; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("requests %q; want %q", got, want)
		}
		if _, err := s.Get(ctx, "d/f.txt", &backend.GetRequest{}); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("Get after the undone upload: %v; want ErrNotFound", err)
		}
	})
	t.Run("sidecar write and delete fail", func(t *testing.T) {
		s, _ := start(t, origin{metaPut: 500, del: 405})
		err := put(s)
		if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "nor delete") {
			t.Fatalf("Put: %v; want ErrUnavailable saying the object stays", err)
		}
		o, err := s.Get(ctx, "d/f.txt", &backend.GetRequest{})
		if err != nil {
			t.Fatal(err)
		}
		o.Close()
		if o.ContentType != "application/octet-stream" {
			t.Errorf("object without metadata served as %q; want the origin's type", o.ContentType)
		}
	})
	t.Run("sidecar read fails", func(t *testing.T) {
		s, _ := start(t, origin{metaGet: 503})
		if err := put(s); err != nil {
			t.Fatal(err)
		}
		if o, err := s.Get(ctx, "d/f.txt", &backend.GetRequest{}); !errors.Is(err, backend.ErrUnavailable) {
			if o != nil {
				o.Close()
			}
			t.Errorf("Get with an unreadable sidecar: %v; want ErrUnavailable", err)
		}
	})
}
