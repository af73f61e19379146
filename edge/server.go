package edge

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/valyala/fasthttp"
)

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
	// MaxConns caps concurrent connections; zero is fasthttp's default.
	MaxConns int
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

// NewServer returns the fasthttp server for h.
func NewServer(h *Handler, opts ServerOptions) *fasthttp.Server {
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &fasthttp.Server{
		Logger:         fasthttpLogger{opts.Logger},
		Handler:        h.ServeHTTP,
		HeaderReceived: h.HeaderReceived,
		ExpectHandler:  h.ExpectContinue,
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
		ReadTimeout:                  opts.ReadTimeout,
		WriteTimeout:                 opts.WriteTimeout,
		IdleTimeout:                  opts.IdleTimeout,
		Concurrency:                  opts.MaxConns,
	}
}
