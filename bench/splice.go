package bench

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/valyala/fasthttp"
)

// spliceMin is the file size from which GET bodies are spliced into
// /dev/null rather than read: reading a 64 MiB body costs the client about
// as much CPU as sending it costs the server, and on a small machine the
// two share the cores, so a copying client would lower what it measures.
// On Linux, (*os.File).ReadFrom of a TCP connection splices through a pipe
// without copying the data to user space.
const spliceMin = 1 << 20

// spliceGetter fetches whole files over one kept-alive HTTP/1.1 connection
// and drops their bodies in /dev/null.
type spliceGetter struct {
	t    *Target
	null *os.File
	conn net.Conn
	br   *bufio.Reader
	rh   fasthttp.ResponseHeader
	head []byte
}

func newSpliceGetter(t *Target) (*spliceGetter, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", os.DevNull, err)
	}
	return &spliceGetter{t: t, null: null, br: bufio.NewReaderSize(nil, 4<<10)}, nil
}

func (g *spliceGetter) close() {
	if g.conn != nil {
		g.conn.Close()
		g.conn = nil
	}
	g.null.Close()
}

// get fetches url and records it as worker i; like httpWorker.get, a 200
// must carry want bytes.
func (g *spliceGetter) get(r *run, i int, url string, want int64) {
	deadline := r.requestDeadline()
	start := time.Now()
	status, n, err := g.fetch(url, deadline)
	if err != nil && g.conn != nil {
		g.conn.Close()
		g.conn = nil
	}
	if err == nil && status == fasthttp.StatusOK && n != want {
		err = fmt.Errorf("GET answered %d bytes, not the file's %d", n, want)
	}
	r.record(i, start, status, n, err)
}

func (g *spliceGetter) fetch(url string, deadline time.Time) (int, int64, error) {
	if g.conn == nil {
		c, err := g.t.dial(deadline)
		if err != nil {
			return 0, 0, err
		}
		g.conn = c
		g.br.Reset(c)
	} else if err := g.conn.SetDeadline(deadline); err != nil {
		return 0, 0, err
	}
	g.head = append(g.head[:0], "GET "...)
	g.head = append(g.head, url[len(g.t.origin):]...)
	g.head = append(g.head, " HTTP/1.1\r\nHost: "...)
	g.head = append(g.head, g.t.host...)
	g.head = append(g.head, "\r\nUser-Agent: upedge-bench\r\n\r\n"...)
	if _, err := g.conn.Write(g.head); err != nil {
		return 0, 0, err
	}
	g.rh.Reset()
	if err := g.rh.Read(g.br); err != nil {
		return 0, 0, fmt.Errorf("cannot read the response head: %w", err)
	}
	status := g.rh.StatusCode()
	cl := int64(g.rh.ContentLength())
	if cl < 0 {
		return status, 0, fmt.Errorf("response without Content-Length (%d) is not supported here", cl)
	}
	// Part of the body may sit in the reader's buffer already.
	k := min(int64(g.br.Buffered()), cl)
	if _, err := g.br.Discard(int(k)); err != nil {
		return status, k, err
	}
	m, err := g.null.ReadFrom(io.LimitReader(g.conn, cl-k))
	n := k + m
	if err == nil && n < cl {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && g.rh.ConnectionClose() {
		g.conn.Close()
		g.conn = nil
	}
	return status, n, err
}
