package bench

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// The reject and slow scenarios need control over what goes on the wire
// (headers now, body never or bit by bit), which fasthttp's client does not
// give; they speak HTTP/1.1 on plain connections.

// dial opens a connection to t that must be done by deadline.
func (t *Target) dial(deadline time.Time) (net.Conn, error) {
	d := net.Dialer{Deadline: deadline}
	var c net.Conn
	var err error
	if t.tls {
		host, _, _ := net.SplitHostPort(t.addr)
		c, err = tls.DialWithDialer(&d, "tcp", t.addr, &tls.Config{ServerName: host})
	} else {
		c, err = d.Dial("tcp", t.addr)
	}
	if err != nil {
		return nil, err
	}
	if err := c.SetDeadline(deadline); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// appendPutHead appends the request line and headers of a PUT of size
// bytes to the slot URL url (which starts with t's origin), with the
// Authorization header authz when it is not empty (a JWT slot).
func (t *Target) appendPutHead(dst, url, authz []byte, size int64, expect bool) []byte {
	dst = append(dst, "PUT "...)
	dst = append(dst, url[len(t.origin):]...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, t.host...)
	dst = append(dst, "\r\nUser-Agent: upedge-bench\r\n"...)
	if len(authz) > 0 {
		dst = append(dst, "Authorization: "...)
		dst = append(dst, authz...)
		dst = append(dst, "\r\n"...)
	}
	if t.ContentType != "" {
		dst = append(dst, "Content-Type: "...)
		dst = append(dst, t.ContentType...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, size, 10)
	if expect {
		dst = append(dst, "\r\nExpect: 100-continue"...)
	}
	return append(dst, "\r\n\r\n"...)
}

// rawWorker is the per-goroutine state of the raw scenarios.
type rawWorker struct {
	head []byte
	br   *bufio.Reader
	rh   fasthttp.ResponseHeader
	slotMaker
}

func newRawWorkers(n int) []*rawWorker {
	ws := make([]*rawWorker, n)
	for i := range ws {
		ws[i] = &rawWorker{br: bufio.NewReaderSize(nil, 4<<10)}
	}
	return ws
}

// readAnswer reads one response head from c and skips its body; it returns
// the status code.
func (w *rawWorker) readAnswer(c net.Conn) (int, error) {
	w.br.Reset(c)
	w.rh.Reset()
	if err := w.rh.Read(w.br); err != nil {
		return 0, fmt.Errorf("cannot read the response head: %w", err)
	}
	status := w.rh.StatusCode()
	if status >= 200 {
		if cl := w.rh.ContentLength(); cl > 0 {
			if _, err := io.CopyN(io.Discard, w.br, int64(cl)); err != nil {
				return status, fmt.Errorf("cannot read the response body: %w", err)
			}
		}
	}
	return status, nil
}

// dial connects worker i to the target for a request that started at
// start. When it cannot, it records the failed request and returns nil.
func (r *run) dial(i int, start, deadline time.Time) net.Conn {
	c, err := r.t.dial(deadline)
	if err != nil {
		r.record(i, start, 0, 0, err)
		return nil
	}
	return c
}

// reject sends the head of a PUT with a wrong token, Expect: 100-continue
// and a large Content-Length, and waits for the final answer without ever
// sending the body. A server that answers 100 Continue has asked for the
// body: that is counted (Result.Continues, status 100) and the connection
// is dropped, still without a body byte.
func (w *rawWorker) reject(r *run, i int) {
	t := r.t
	// Signed for one byte more than announced: a well-formed token that
	// does not match, the commonest forgery (a client lying about size).
	w.nextSlot(r, i, r.sc.Size+1)
	w.head = t.appendPutHead(w.head[:0], w.url, w.authz, r.sc.Size, true)
	start := time.Now()
	c := r.dial(i, start, r.requestDeadline())
	if c == nil {
		return
	}
	defer c.Close()
	k, err := c.Write(w.head)
	r.headerBytes.Add(int64(k))
	if err != nil {
		r.record(i, start, 0, 0, err)
		return
	}
	status, err := w.readAnswer(c)
	if err == nil && status == fasthttp.StatusContinue {
		r.continues.Add(1)
	}
	r.record(i, start, status, 0, err)
}

func runReject(ctx context.Context, t *Target, sc Scenario, opt Options) (*Result, error) {
	ws := newRawWorkers(sc.Conns)
	// Any 4xx is a rejection before the body (403 for the token, 413 when
	// the size is over the server's limit); 100 means the body was wanted.
	r := newRun(ctx, t, sc, func(s int) bool { return s >= 400 && s < 500 })
	return r.measure(opt, func() {
		r.workers(sc.Conns, func(i int) { ws[i].reject(r, i) })
	}), nil
}

// slow uploads one file of sc.Size bytes at sc.Rate bytes per second, as a
// client on a bad mobile link does, starting after delay.
func (w *rawWorker) slow(r *run, i int, body []byte, delay time.Duration) {
	t := r.t
	sc := r.sc
	w.nextSlot(r, i, sc.Size)
	w.head = t.appendPutHead(w.head[:0], w.url, w.authz, sc.Size, false)
	time.Sleep(delay)
	deadline := minTime(time.Now().Add(t.timeout()+time.Duration(sc.Size/int64(sc.Rate)+1)*time.Second), r.deadline)
	start := time.Now()
	c := r.dial(i, start, deadline)
	if c == nil {
		return
	}
	defer c.Close()
	if _, err := c.Write(w.head); err != nil {
		r.record(i, start, 0, 0, err)
		return
	}
	// A quarter of the rate four times a second: closer to a real trickle
	// than one burst a second.
	const ticks = 4
	chunk := max(int64(sc.Rate)/ticks, 1)
	next := time.Now()
	for sent := int64(0); sent < sc.Size; {
		next = next.Add(time.Second / ticks)
		time.Sleep(time.Until(next))
		if r.ctx.Err() != nil {
			r.record(i, start, 0, 0, r.ctx.Err())
			return
		}
		k := min(chunk, sc.Size-sent)
		if _, err := c.Write(body[sent : sent+k]); err != nil {
			r.record(i, start, 0, 0, err)
			return
		}
		sent += k
	}
	status, err := w.readAnswer(c)
	var n int64
	if err == nil && is2xx(status) {
		n = sc.Size
	}
	r.record(i, start, status, n, err)
}

func runSlow(ctx context.Context, t *Target, sc Scenario, opt Options) (*Result, error) {
	sc.Count = int64(sc.Conns) // one upload per connection
	body := makeBody(sc.Size)
	ws := newRawWorkers(sc.Conns)
	r := newRun(ctx, t, sc, is2xx)
	return r.measure(opt, func() {
		r.workers(sc.Conns, func(i int) {
			// Spread the connects over the first second, as clients
			// that do not arrive in lockstep would.
			ws[i].slow(r, i, body, time.Duration(i)*time.Second/time.Duration(sc.Conns))
		})
	}), nil
}
