// Package accesslog writes one JSON line per request, off the request
// path: handlers format a line into a pooled buffer and hand it to a
// buffered channel; one goroutine writes the lines out. When the writer
// falls behind and the channel is full, lines are dropped and counted
// rather than slowing requests down.
//
// A line carries the path without its query: the query holds the upload
// token, which must not end up in logs.
package accesslog

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// DefaultQueue is the number of lines that may wait for the writer.
const DefaultQueue = 4096

// flushEvery bounds how long a written line may sit in the write buffer.
const flushEvery = time.Second

// Logger is safe for concurrent use.
type Logger struct {
	ch      chan *[]byte
	stop    chan struct{}
	done    chan struct{}
	out     io.Writer
	closer  io.Closer
	bufs    sync.Pool
	dropped atomic.Uint64
	once    sync.Once
	path    string          // file to reopen, or "" for a stream
	reopen  chan chan error // served by run
}

// Open returns a Logger writing to spec: "stderr", "stdout" or a file
// path (opened for appending). It returns nil for "" (off).
func Open(spec string, stderr io.Writer) (*Logger, error) {
	switch spec {
	case "":
		return nil, nil
	case "stderr":
		return New(stderr, nil, DefaultQueue), nil
	case "stdout":
		return New(os.Stdout, nil, DefaultQueue), nil
	}
	f, err := openFile(spec)
	if err != nil {
		return nil, err
	}
	l := New(f, f, DefaultQueue)
	l.path = spec
	return l, nil
}

func openFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("cannot open access log %q: %w", path, err)
	}
	return f, nil
}

// Reopen makes a file log write to a new file at its path, after the old
// one was moved away by log rotation (send SIGHUP). For stderr it does
// nothing. Should the new file not open, logging goes on to the old one.
func (l *Logger) Reopen() error {
	if l.path == "" {
		return nil
	}
	errc := make(chan error, 1)
	select {
	case l.reopen <- errc:
		return <-errc
	case <-l.done:
		return nil
	}
}

// New starts a Logger writing to out; closer, if not nil, is closed by
// Close.
func New(out io.Writer, closer io.Closer, queue int) *Logger {
	l := &Logger{
		ch:     make(chan *[]byte, queue),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		out:    out,
		closer: closer,
		reopen: make(chan chan error),
	}
	l.bufs.New = func() any { b := make([]byte, 0, 256); return &b }
	go l.run()
	return l
}

// Dropped returns how many lines were dropped because the writer was
// behind.
func (l *Logger) Dropped() uint64 { return l.dropped.Load() }

// Log queues the line for a finished request. dur is the handler's time;
// out the body bytes written to the client; refusal, when not "", is why
// its upload token was refused.
func (l *Logger) Log(ctx *fasthttp.RequestCtx, start time.Time, dur time.Duration, out int64, refusal string) {
	bp := l.bufs.Get().(*[]byte)
	*bp = AppendLine((*bp)[:0], ctx, start, dur, out, refusal)
	select {
	case l.ch <- bp:
	default:
		l.dropped.Add(1)
		l.bufs.Put(bp)
	}
}

// AppendLine appends the JSON line for a request to dst: "in" is the
// announced Content-Length, "out" the body bytes written (out); refusal,
// when not "", is written as "refusal" (why the upload token was refused).
func AppendLine(dst []byte, ctx *fasthttp.RequestCtx, start time.Time, dur time.Duration, out int64, refusal string) []byte {
	dst = append(dst, `{"time":"`...)
	dst = start.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	dst = append(dst, `","remote":"`...)
	dst = appendRemote(dst, ctx)
	dst = append(dst, `","method":`...)
	dst = appendString(dst, ctx.Method())
	dst = append(dst, `,"path":`...)
	dst = appendString(dst, ctx.URI().PathOriginal())
	dst = append(dst, `,"status":`...)
	dst = strconv.AppendInt(dst, int64(ctx.Response.StatusCode()), 10)
	dst = append(dst, `,"in":`...)
	dst = strconv.AppendInt(dst, max(int64(ctx.Request.Header.ContentLength()), 0), 10)
	dst = append(dst, `,"out":`...)
	dst = strconv.AppendInt(dst, out, 10)
	dst = append(dst, `,"ms":`...)
	dst = strconv.AppendFloat(dst, float64(dur.Microseconds())/1000, 'f', 3, 64)
	if refusal != "" {
		dst = append(dst, `,"refusal":`...)
		dst = appendString(dst, refusal)
	}
	if ua := ctx.Request.Header.UserAgent(); len(ua) > 0 {
		dst = append(dst, `,"ua":`...)
		dst = appendString(dst, ua)
	}
	return append(dst, "}\n"...)
}

func appendRemote(dst []byte, ctx *fasthttp.RequestCtx) []byte {
	ip := ctx.RemoteIP()
	if ip == nil || ip.IsUnspecified() {
		return append(dst, "local"...)
	}
	// net.IP.AppendText does not allocate.
	b, _ := ip.AppendText(dst)
	return b
}

// appendString appends s as a JSON string; bytes that are not printable
// ASCII are escaped, so that a line is always one valid line.
func appendString[S ~string | ~[]byte](dst []byte, s S) []byte {
	const hexd = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c >= 0x7f:
			dst = append(dst, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

func (l *Logger) run() {
	defer close(l.done)
	w := bufio.NewWriterSize(l.out, 64<<10)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	write := func(bp *[]byte) {
		_, _ = w.Write(*bp)
		if cap(*bp) <= 4<<10 {
			l.bufs.Put(bp)
		}
	}
	for {
		select {
		case bp := <-l.ch:
			write(bp)
		case <-t.C:
			_ = w.Flush()
		case errc := <-l.reopen:
			// Lines logged before the rotation go to the old file.
			for drained := false; !drained; {
				select {
				case bp := <-l.ch:
					write(bp)
				default:
					drained = true
				}
			}
			_ = w.Flush()
			f, err := openFile(l.path)
			if err == nil {
				if l.closer != nil {
					_ = l.closer.Close()
				}
				l.out, l.closer = f, f
				w.Reset(f)
			}
			errc <- err
		case <-l.stop:
			for {
				select {
				case bp := <-l.ch:
					write(bp)
				default:
					_ = w.Flush()
					return
				}
			}
		}
	}
}

// Close writes out the queued lines and stops the writer. Lines logged
// afterwards are dropped.
func (l *Logger) Close() error {
	l.once.Do(func() { close(l.stop) })
	<-l.done
	if l.closer != nil {
		return l.closer.Close()
	}
	return nil
}
