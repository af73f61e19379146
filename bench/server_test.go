package bench

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/edge/token"
	"github.com/upedge/upedge/edge/urlpath"
)

// countingListener counts every byte the server reads, so that a test can
// tell what the client really sent.
type countingListener struct {
	net.Listener
	read *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.read}, nil
}

type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// testServer is a small upload server that checks tokens as docs/protocol.md
// says, keeps files in memory and answers GET/HEAD: enough of an edge to
// test the harness against, on 127.0.0.1.
type testServer struct {
	t      *testing.T
	base   string
	prefix string
	ver    *token.Verifier

	read    atomic.Int64 // bytes the server read from all connections
	puts    atomic.Int64 // PUT requests handled (past the headers)
	gets    atomic.Int64 // GET and HEAD requests
	expects atomic.Int64 // Expect: 100-continue heads seen

	// putStatus, when set, decides the answer of the n-th PUT (from 1)
	// that carries a valid token; nil stores it and answers 201.
	putStatus func(n int64) int
	// hold, when not nil, makes every PUT wait until it is closed.
	hold chan struct{}

	mu    sync.Mutex
	files map[string][]byte
}

func newTestServer(t *testing.T, secret string, setup func(*testServer)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("cannot listen: %v", err)
	}
	s := &testServer{
		t:      t,
		base:   "http://" + ln.Addr().String() + "/upload/",
		prefix: "/upload/",
		ver:    token.NewVerifier([]byte(secret), 0, nil),
		files:  map[string][]byte{},
	}
	if setup != nil {
		setup(s)
	}
	srv := &fasthttp.Server{
		Handler:       s.serve,
		ExpectHandler: s.expect,
		// Not streamed: the bodies of these tests are small.
		MaxRequestBodySize: 64 << 20,
	}
	go srv.Serve(countingListener{ln, &s.read})
	t.Cleanup(func() {
		if s.hold != nil {
			select {
			case <-s.hold:
			default:
				close(s.hold)
			}
		}
		srv.Shutdown()
		ln.Close()
	})
	return s
}

// check verifies the token of a PUT from its head alone.
func (s *testServer) check(h *fasthttp.RequestHeader, uri *fasthttp.URI) (string, int) {
	p, err := urlpath.Relative(nil, uri.PathOriginal(), s.prefix)
	if err != nil {
		return "", fasthttp.StatusBadRequest
	}
	c := token.Claims{Path: p, Size: int64(h.ContentLength()), ContentType: h.ContentType()}
	ver, mac := token.None, []byte(nil)
	for _, v := range []token.Version{token.V3, token.V2, token.Token, token.V1} {
		if m := uri.QueryArgs().Peek(v.Param()); m != nil {
			ver, mac = v, m
			break
		}
	}
	if ver == token.V3 {
		c.Uploader = uri.QueryArgs().Peek("uploader")
		c.Timestamp = uri.QueryArgs().Peek("ts")
	}
	if _, err := s.ver.Verify(ver, mac, &c); err != nil {
		return "", fasthttp.StatusForbidden
	}
	return string(p), 0
}

func (s *testServer) expect(ctx *fasthttp.RequestCtx) int {
	s.expects.Add(1)
	if _, status := s.check(&ctx.Request.Header, ctx.URI()); status != 0 {
		return status
	}
	return fasthttp.StatusContinue
}

func (s *testServer) serve(ctx *fasthttp.RequestCtx) {
	switch {
	case ctx.IsPut():
		n := s.puts.Add(1)
		if s.hold != nil {
			<-s.hold
		}
		p, status := s.check(&ctx.Request.Header, ctx.URI())
		if status != 0 {
			ctx.SetStatusCode(status)
			return
		}
		if int64(len(ctx.Request.Body())) != int64(ctx.Request.Header.ContentLength()) {
			ctx.SetStatusCode(fasthttp.StatusBadRequest)
			return
		}
		if s.putStatus != nil {
			if st := s.putStatus(n); st != fasthttp.StatusCreated {
				ctx.SetStatusCode(st)
				return
			}
		}
		s.mu.Lock()
		s.files[p] = append([]byte(nil), ctx.Request.Body()...)
		s.mu.Unlock()
		ctx.SetStatusCode(fasthttp.StatusCreated)
	case ctx.IsGet() || ctx.IsHead():
		s.gets.Add(1)
		p, err := urlpath.Relative(nil, ctx.URI().PathOriginal(), s.prefix)
		if err != nil {
			ctx.SetStatusCode(fasthttp.StatusNotFound)
			return
		}
		s.mu.Lock()
		b, ok := s.files[string(p)]
		s.mu.Unlock()
		if !ok {
			ctx.SetStatusCode(fasthttp.StatusNotFound)
			return
		}
		ctx.SetContentType("application/octet-stream")
		ctx.SetBody(b) // fasthttp sends Content-Length, and for HEAD no body
	default:
		ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
	}
}

// stored returns the names of the stored files.
func (s *testServer) stored() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for k := range s.files {
		names = append(names, k)
	}
	return names
}

func hasPrefixAll(names []string, prefix string) bool {
	for _, n := range names {
		if !strings.HasPrefix(n, prefix) {
			return false
		}
	}
	return true
}
