package edge

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Defaults of ServerOptions.
const (
	// DefaultMaxHeaderBytes bounds a whole request head (request line and
	// header fields), as nginx's default large_client_header_buffers
	// (4 buffers of 8 KiB) does: browsers with big cookies stay within it.
	DefaultMaxHeaderBytes = 32 << 10
	// DefaultMaxConns is the cap on connections when none is set:
	// fasthttp's default concurrency.
	DefaultMaxConns = fasthttp.DefaultConcurrency
)

// overloadWait bounds how long a connection over MaxConns may take to
// send the head of its request before it is answered 503 anyway, and how
// long the answer may take to go out.
const overloadWait = time.Second

// maxOverloadAnswers bounds the connections over MaxConns being answered
// at once; past it, they are closed without an answer.
const maxOverloadAnswers = 64

// ServerOptions are the connection settings of the HTTP server.
type ServerOptions struct {
	// ReadTimeout bounds the wait for request headers (and, through the
	// handler, each pause in an upload body). Default DefaultReadTimeout.
	ReadTimeout time.Duration
	// WriteTimeout bounds the writing of one whole response, a download
	// included: size it for the largest file over the slowest link you
	// serve. Zero means no limit.
	WriteTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle this long. Default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxConns caps concurrent connections, lingering ones (a refused
	// upload's, edge/put.go) included; a connection over it is answered
	// 503 by Server.Overloaded. Default DefaultMaxConns.
	MaxConns int
	// MaxHeaderBytes bounds the head of a request (request line and
	// header fields) in bytes; a longer one is answered 431. It is the
	// size of each connection's read buffer. Default
	// DefaultMaxHeaderBytes. (The handler bounds each line:
	// Options.MaxHeaderLine.)
	MaxHeaderBytes int
	// Logger receives fasthttp's connection errors (at debug level: a
	// client that hangs up is not the operator's problem). Default
	// slog.Default().
	Logger *slog.Logger
}

// fasthttpLogger adapts slog to fasthttp.Logger.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...))
}

// Server is the edge's HTTP server: fasthttp with the handler's hooks for
// every answer it makes (Handler, ExpectHandler, ErrorHandler), and a cap
// on connections that answers the ones over it itself (Overloaded), with
// CORS headers and through the same seam: the operations parts wrap
// Overloaded as they wrap Handler.
type Server struct {
	*fasthttp.Server
	// Overloaded answers a request that arrived on a connection over
	// MaxConns: 503, with a Retry-After. Its answer is written with
	// Connection: close, and the connection closed.
	Overloaded fasthttp.RequestHandler

	h        *Handler
	maxConns int64
	open     atomic.Int64  // connections fasthttp serves
	answers  chan struct{} // places for overload answers
	ctxs     sync.Pool     // of *overloadCtx
}

// NewServer returns the HTTP server for h.
func NewServer(h *Handler, opts ServerOptions) *Server {
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.MaxHeaderBytes <= 0 {
		opts.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		Overloaded: h.Overloaded,
		h:          h,
		maxConns:   int64(opts.MaxConns),
		answers:    make(chan struct{}, maxOverloadAnswers),
	}
	s.ctxs.New = func() any { return new(overloadCtx) }
	s.Server = &fasthttp.Server{
		Logger:         fasthttpLogger{opts.Logger},
		Handler:        h.ServeHTTP,
		HeaderReceived: h.HeaderReceived,
		ExpectHandler:  h.ExpectContinue,
		ErrorHandler:   h.ServeError,
		ConnState:      s.connState,
		Name:           "upedge",
		// Bodies go to the handler as a stream, so that the token is
		// checked before any of a body is read and accepted bodies are
		// never held in memory.
		StreamRequestBody: true,
		// With StreamRequestBody fasthttp reads min(MaxRequestBodySize,
		// 8 KiB) of a body before the handler runs; 1 keeps that to a
		// single byte, and HeaderReceived keeps it from refused requests
		// (edge/early.go). The real limit is the edge's own, checked on
		// Content-Length.
		MaxRequestBodySize: 1,
		// Multipart pre-parsing would read, and spool to temporary files,
		// bodies that no token has vouched for.
		DisablePreParseMultipartForm: true,
		// The read buffer holds the whole head: its size is the limit.
		ReadBufferSize: opts.MaxHeaderBytes,
		ReadTimeout:    opts.ReadTimeout,
		WriteTimeout:   opts.WriteTimeout,
		IdleTimeout:    opts.IdleTimeout,
		// The cap is the edge's (Serve): fasthttp's own answer to a
		// connection over its concurrency carries no CORS headers and
		// is neither logged nor counted, so it must never be reached.
		// Its count drops before the edge's does, by the connections
		// lingering after a refusal (counted by the handler) and by
		// those closing, so a margin keeps it below.
		Concurrency: opts.MaxConns + opts.MaxConns/4 + maxOverloadAnswers,
	}
	return s
}

// connState keeps the count of the connections fasthttp serves. A
// hijacked one leaves it: the handler counts its lingering closes.
func (s *Server) connState(_ net.Conn, st fasthttp.ConnState) {
	switch st {
	case fasthttp.StateNew:
		s.open.Add(1)
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		s.open.Add(-1)
	}
}

// Conns returns the connections open now: served, and lingering after a
// refusal.
func (s *Server) Conns() int64 { return s.open.Load() + s.h.lingeringConns.Load() }

// Serve serves ln until it fails or the server shuts down, answering 503
// to connections over MaxConns.
func (s *Server) Serve(ln net.Listener) error {
	return s.Server.Serve(&capListener{Listener: ln, s: s})
}

// ServeTLS is Serve over TLS with the certificate chain and key in the
// PEM files certFile and keyFile. The cap sits above TLS, so that an
// answer to a connection over it is sent over TLS too.
func (s *Server) ServeTLS(ln net.Listener, certFile, keyFile string) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("cannot load the TLS key pair %q, %q: %w", certFile, keyFile, err)
	}
	return s.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}}))
}

// capListener hands fasthttp the connections under the cap and answers the
// others.
type capListener struct {
	net.Listener
	s *Server
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.s.Conns() < l.s.maxConns {
			return c, nil
		}
		select {
		case l.s.answers <- struct{}{}:
			go l.s.overloaded(c)
		default:
			c.Close()
		}
	}
}

// overloadCtx is the state of one overload answer, pooled.
type overloadCtx struct {
	ctx fasthttp.RequestCtx
	br  *bufio.Reader
	bw  *bufio.Writer
}

// overloaded reads the head of the request on c (for the log, and so
// that closing does not reset the connection under the answer), answers
// it with Overloaded, shuts the sending side, drops what else arrives
// for a moment and closes c.
func (s *Server) overloaded(c net.Conn) {
	defer func() { <-s.answers }()
	defer c.Close()
	o := s.ctxs.Get().(*overloadCtx)
	defer s.ctxs.Put(o)
	if o.br == nil {
		o.br = bufio.NewReaderSize(c, 4096)
		o.bw = bufio.NewWriterSize(c, 4096)
	} else {
		o.br.Reset(c)
		o.bw.Reset(c)
	}
	_ = c.SetDeadline(time.Now().Add(overloadWait))
	ctx := &o.ctx
	ctx.Init2(c, nil, true)
	defer ctx.Request.Reset()
	defer ctx.Response.Reset()
	if ctx.Request.Header.Read(o.br) != nil {
		ctx.Request.Header.Reset()
		unknownRequest(ctx)
	}
	s.Overloaded(ctx)
	ctx.Response.Header.SetConnectionClose()
	if ctx.Response.Write(o.bw) != nil || o.bw.Flush() != nil {
		return
	}
	if cw, ok := c.(closeWriter); ok {
		_ = cw.CloseWrite()
	}
	for {
		if _, err := o.br.Discard(4096); err != nil {
			return
		}
	}
}
