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

func TestHeadersSent(t *testing.T) {
	var got fasthttp.RequestHeader
	var path string
	u := fakeOrigin(t, func(ctx *fasthttp.RequestCtx) {
		ctx.Request.Header.CopyTo(&got)
		path = string(ctx.Request.Header.RequestURI())
		io.Copy(io.Discard, ctx.RequestBodyStream())
		ctx.SetStatusCode(fasthttp.StatusCreated)
	})
	s, err := New(u, originclient.Options{Headers: []string{"X-Origin-Secret: s3cret"}, User: "edge", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), "r/my file.txt", backend.PutInfo{Size: 5, ContentType: "text/plain"}, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"If-None-Match":   "*",
		"Content-Type":    "text/plain",
		"Content-Length":  "5",
		"X-Origin-Secret": "s3cret",
		"Authorization":   "Basic ZWRnZTpwdw==",
	} {
		if v := string(got.Peek(k)); v != want {
			t.Errorf("%s: got %q; want %q", k, v, want)
		}
	}
	if path != "/base/r/my%20file.txt" {
		t.Errorf("path: got %q; want /base/r/my%%20file.txt", path)
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
