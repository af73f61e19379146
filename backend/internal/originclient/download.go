package originclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Downloads (GETs with a body) do not go through fasthttp.HostClient: it
// hides the connection behind its buffered reader, so every byte would be
// copied into the edge and out again. Here the connection is ours: the
// request is written and the response header parsed with fasthttp, the
// bytes already buffered are sent, and the rest of the body goes from the
// origin's socket to the client's with splice(2) when the edge's writer
// allows it (plain TCP on both sides), copied in large pieces otherwise.

// spliceChunk is how much is spliced between two refreshes of the origin
// read deadline: a download to a slow client is bounded by the pace of
// the client, not by the timeout.
const spliceChunk = 4 << 20

// maxDrain is the largest body of an unused answer read off a connection
// to keep it; a larger one costs the connection instead.
const maxDrain = 64 << 10

// dlConn is one connection of the download pool.
type dlConn struct {
	conn      net.Conn
	raw       *net.TCPConn // conn itself when plain TCP, for splice; nil under TLS
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time
}

// dlPool keeps idle download connections to the origin and limits how
// many are open.
type dlPool struct {
	c     *Client
	mu    sync.Mutex
	idle  []*dlConn
	slots chan struct{} // one token per open connection
}

func newDLPool(c *Client) *dlPool {
	return &dlPool{c: c, slots: make(chan struct{}, c.cfg.Options.MaxConns)}
}

// get returns an idle connection, or a new one (always with fresh);
// reused reports which.
func (p *dlPool) get(fresh bool) (dc *dlConn, reused bool, err error) {
	cutoff := time.Now().Add(-idleKeep)
	p.mu.Lock()
	for len(p.idle) > 0 && !fresh {
		dc = p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if dc.idleSince.After(cutoff) {
			p.mu.Unlock()
			return dc, true, nil
		}
		p.mu.Unlock()
		p.discard(dc)
		p.mu.Lock()
	}
	p.mu.Unlock()
	select {
	case p.slots <- struct{}{}:
	case <-time.After(p.c.cfg.Options.Timeout):
		return nil, false, fmt.Errorf("%w: all %d connections busy", fasthttp.ErrTimeout, p.c.cfg.Options.MaxConns)
	}
	conn, err := fasthttp.DialTimeout(p.c.cfg.Addr, p.c.cfg.Options.Timeout)
	if err != nil {
		<-p.slots
		return nil, false, err
	}
	dc = &dlConn{conn: conn}
	if tc, ok := conn.(*net.TCPConn); ok {
		dc.raw = tc
	}
	if p.c.cfg.TLS {
		cfg := p.c.cfg.Options.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{}
		} else {
			cfg = cfg.Clone()
		}
		if cfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(p.c.cfg.Addr)
			cfg.ServerName = host
		}
		tc := tls.Client(conn, cfg)
		_ = conn.SetDeadline(time.Now().Add(p.c.cfg.Options.Timeout))
		if err := tc.Handshake(); err != nil {
			_ = conn.Close()
			<-p.slots
			return nil, false, err
		}
		dc.conn, dc.raw = tc, nil
	}
	dc.br = bufio.NewReaderSize(dc.conn, 64<<10)
	dc.bw = bufio.NewWriterSize(dc.conn, 4<<10)
	return dc, false, nil
}

// idleKeep is how long an idle connection is kept: shorter than the
// keep-alive timeout of common origins, so a reused one is rarely dead.
const idleKeep = 5 * time.Second

func (p *dlPool) put(dc *dlConn) {
	dc.idleSince = time.Now()
	cutoff := dc.idleSince.Add(-idleKeep)
	p.mu.Lock()
	// The oldest are at the front: close those past their time, so that
	// idle connections do not hold descriptors and slots for long.
	var stale []*dlConn
	for len(p.idle) > 0 && p.idle[0].idleSince.Before(cutoff) {
		stale = append(stale, p.idle[0])
		p.idle = p.idle[1:]
	}
	p.idle = append(p.idle, dc)
	p.mu.Unlock()
	for _, s := range stale {
		p.discard(s)
	}
}

func (p *dlPool) discard(dc *dlConn) {
	_ = dc.conn.Close()
	<-p.slots
}

// download sends a GET with an optional Range on a pool connection and
// returns the answer's header; for 200 and 206 the connection stays with
// the returned body, otherwise it is back in the pool or closed.
func (c *Client) download(ctx context.Context, name, rng string, resp *fasthttp.Response) (*dlBody, error) {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	c.prepare(req, fasthttp.MethodGet, name)
	setIf(req, fasthttp.HeaderRange, rng)
	req.Header.SetUserAgent(userAgent)
	if err := c.finish(req, name); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dc, reused, err := c.dl.get(attempt > 0)
		if err != nil {
			return nil, err
		}
		b, err := c.exchange(dc, req, resp)
		if err != nil {
			c.dl.discard(dc)
			// A kept connection the origin closed meanwhile fails at
			// once; a GET is safe to send again on a fresh one.
			if reused && attempt == 0 && !isTimeout(err) {
				continue
			}
			return nil, err
		}
		return b, nil
	}
}

func (c *Client) exchange(dc *dlConn, req *fasthttp.Request, resp *fasthttp.Response) (*dlBody, error) {
	_ = dc.conn.SetDeadline(time.Now().Add(c.cfg.Options.Timeout))
	if err := req.Write(dc.bw); err != nil {
		return nil, err
	}
	if err := dc.bw.Flush(); err != nil {
		return nil, err
	}
	resp.Header.SetNoDefaultContentType(true)
	if err := resp.Header.Read(dc.br); err != nil {
		return nil, err
	}
	n := int64(resp.Header.ContentLength())
	if n < 0 {
		// Chunked or close-delimited: not worth a second body reader for
		// origins that serve files; refuse rather than misframe.
		return nil, errors.New("origin answered a download without Content-Length")
	}
	b := &dlBody{c: c, dc: dc, left: n, keep: !resp.Header.ConnectionClose()}
	st := resp.Header.StatusCode()
	if st != fasthttp.StatusOK && st != fasthttp.StatusPartialContent {
		// The answer's body (an error page) is not passed on.
		if n > maxDrain {
			b.keep = false
		}
		if st == fasthttp.StatusRequestedRangeNotSatisfiable && b.keep {
			return b, nil // for Config.UnsatisfiableSize; Close drains the rest
		}
		b.Close()
		return nil, nil
	}
	return b, nil
}

// dlBody is a download's body streaming from its origin connection.
type dlBody struct {
	c      *Client
	dc     *dlConn
	left   int64
	keep   bool // the connection may serve another request once read
	failed bool
	closed bool
}

func (b *dlBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	_ = b.dc.conn.SetReadDeadline(time.Now().Add(b.c.cfg.Options.Timeout))
	n, err := b.dc.br.Read(p)
	b.left -= int64(n)
	if err != nil {
		b.failed = true
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return n, err
	}
	if b.left == 0 {
		return n, io.EOF
	}
	return n, nil
}

// WriteTo sends what the reader has buffered, then splices the rest from
// the origin's socket when w can take it (fasthttp's response writer
// hands a LimitedReader over a TCP connection on to the client socket's
// ReadFrom, which splices), copying in large pieces otherwise.
func (b *dlBody) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if k := b.dc.br.Buffered(); k > 0 && b.left > 0 {
		if int64(k) > b.left {
			k = int(b.left)
		}
		buf, _ := b.dc.br.Peek(k)
		n, err := w.Write(buf)
		_, _ = b.dc.br.Discard(n)
		b.left -= int64(n)
		total += int64(n)
		if err != nil {
			b.failed = true
			return total, err
		}
	}
	if rf, ok := w.(io.ReaderFrom); ok && b.dc.raw != nil && b.dc.br.Buffered() == 0 {
		for b.left > 0 {
			_ = b.dc.raw.SetReadDeadline(time.Now().Add(b.c.cfg.Options.Timeout))
			lr := io.LimitedReader{R: b.dc.raw, N: min(b.left, spliceChunk)}
			n, err := rf.ReadFrom(&lr)
			b.left -= n
			total += n
			if err != nil {
				b.failed = true
				return total, err
			}
			if n == 0 {
				b.failed = true
				return total, io.ErrUnexpectedEOF
			}
		}
		return total, nil
	}
	bp := b.c.copyBufs.Get().(*[]byte)
	defer b.c.copyBufs.Put(bp)
	buf := *bp
	for b.left > 0 {
		n, rerr := b.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				b.failed = true
				return total, werr
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return total, rerr
		}
	}
	return total, nil
}

// Close gives the connection back when the body was read whole, drains a
// small unread rest, and closes the connection otherwise.
func (b *dlBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if !b.failed && b.keep && b.left > 0 && b.left <= maxDrain {
		_ = b.dc.conn.SetReadDeadline(time.Now().Add(b.c.cfg.Options.Timeout))
		n, _ := b.dc.br.Discard(int(b.left))
		b.left -= int64(n)
	}
	if b.failed || !b.keep || b.left > 0 {
		b.c.dl.discard(b.dc)
		return nil
	}
	b.c.dl.put(b.dc)
	return nil
}
