// Package originclient is the HTTP machinery shared by the upstream origin
// stores (backend/httporigin and backend/s3origin): it streams uploads to
// an origin with fasthttp, proxies downloads back, and maps the origin's
// answers and failures onto the backend errors.
//
// The stores differ only in how a name becomes a request path and in how a
// request is authorized (static headers and basic auth, or an S3
// signature); both come in through Config.
package originclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httpsem"
)

// Header is one static request header sent to the origin.
type Header struct {
	Name, Value string
}

// Config configures a Client.
type Config struct {
	// Label names the origin in error messages; it must not carry
	// credentials.
	Label string
	// TLS selects https.
	TLS bool
	// Addr is the host:port to connect to.
	Addr string
	// Host is the Host header to send.
	Host string
	// AppendPath appends the request path (escaped, from the leading slash
	// on) of name to dst.
	AppendPath func(dst []byte, name string) []byte
	// Header are sent with every request, after the request's own.
	Header []Header
	// ProbeParents: a PUT failing with 5xx may mean that a leading part of
	// the name is a file (nginx answers 500); check with HEAD and report
	// ErrExists then.
	ProbeParents bool
	// Sign, when set, authorizes a request whose headers are all set,
	// just before it is sent; name is the object name it is about.
	Sign func(req *fasthttp.Request, name string) error

	// Timeout bounds every wait on the origin: connecting, each write of
	// the upload and each read of the answer. An upload from a slow
	// client is not limited as a whole, only a stalled origin is.
	Timeout time.Duration
	// MaxConns limits the connections to the origin, once for uploads and
	// HEADs and once for downloads; 0 means 512 each.
	MaxConns int
	// TLSConfig for https origins; nil means the system roots.
	TLSConfig *tls.Config
}

// copyBufSize is the piece size of downloads relayed from the origin:
// large enough for few syscalls, small enough for thousands of downloads.
const copyBufSize = 128 << 10

// HealthProbe is the name health checks ask the origin about (HEAD):
// whether it exists does not matter, only that the origin answers.
const HealthProbe = ".upedge-healthz"

// DefaultTimeout is used when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Client talks to one origin. It is safe for concurrent use.
type Client struct {
	cfg      Config
	hc       *fasthttp.HostClient
	scheme   string
	uploads  sync.Pool // *upload
	paths    sync.Pool // *[]byte
	copyBufs sync.Pool // *[]byte of copyBufSize
	dl       *dlPool
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 512
	}
	c := &Client{cfg: cfg, scheme: "http://"}
	if cfg.TLS {
		c.scheme = "https://"
	}
	timeout := cfg.Timeout
	c.hc = &fasthttp.HostClient{
		Addr:  cfg.Addr,
		Name:  "upedge",
		IsTLS: cfg.TLS,
		// A nil TLSClientConfig makes fasthttp set ServerName from Addr.
		TLSConfig: cfg.TLSConfig,
		// Per-operation deadlines instead of fasthttp's Read/WriteTimeout:
		// those bound a whole request, body included, which would cut a
		// slow but healthy upload or download.
		Dial: func(addr string) (net.Conn, error) {
			conn, err := fasthttp.DialTimeout(addr, timeout)
			if err != nil {
				return nil, err
			}
			ic := &idleConn{Conn: conn, timeout: timeout}
			if sc, ok := conn.(syscall.Conn); ok {
				ic.raw, _ = sc.SyscallConn()
			}
			return ic, nil
		},
		MaxConns:           cfg.MaxConns,
		MaxConnWaitTimeout: timeout,
		// Shorter than the keep-alive timeouts of common origins (nginx 75 s,
		// S3 about 20 s), so that an upload rarely starts on a connection
		// the origin is closing: a streamed body cannot be retried.
		MaxIdleConnDuration: 5 * time.Second,
		// The path is escaped by AppendPath and, for S3, signed as it is.
		DisablePathNormalizing: true,
		ReadBufferSize:         16 << 10,
		WriteBufferSize:        64 << 10,
		// A HEAD on a connection found stale is sent again; a PUT with
		// its body stream never is (fasthttp's rule; Put retries itself
		// when nothing of the body was taken).
		MaxIdemponentCallAttempts: 2,
	}
	c.uploads.New = func() any { return new(upload) }
	c.paths.New = func() any { b := make([]byte, 0, 256); return &b }
	c.copyBufs.New = func() any { b := make([]byte, copyBufSize); return &b }
	c.dl = newDLPool(c)
	return c
}

// idleConn sets a fresh deadline before every read and write, so that
// only an origin that makes no progress for the timeout fails.
type idleConn struct {
	net.Conn
	timeout time.Duration
	raw     syscall.RawConn // for the liveness probe; nil if not a socket
}

// errStale reports a pooled connection the origin has closed.
var errStale = errors.New("origin closed the kept-alive connection")

// SetWriteDeadline is the first thing fasthttp does with a pooled
// connection for a request that has a timeout (every request here): it
// is where a connection the origin has closed while idle is detected,
// before the request's body is read. A streamed upload body cannot be
// read twice, so it must not be spent on a dead connection.
func (c *idleConn) SetWriteDeadline(t time.Time) error {
	if !t.IsZero() && !c.alive() {
		return errStale
	}
	return c.Conn.SetWriteDeadline(t)
}

// alive peeks at the socket without blocking: an idle HTTP/1.1 connection
// has nothing to read, so EOF or any byte means the origin has closed it.
func (c *idleConn) alive() bool {
	if c.raw == nil {
		return true
	}
	var buf [1]byte
	dead := false
	err := c.raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		dead = n > 0 || (n == 0 && err == nil) || (err != nil && err != syscall.EAGAIN && err != syscall.EINTR)
		return true // never wait
	})
	return err == nil && !dead
}

func (c *idleConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// prepare sets method, URI and the common headers of req.
func (c *Client) prepare(req *fasthttp.Request, method, name string) {
	bp := c.paths.Get().(*[]byte)
	b := append((*bp)[:0], c.scheme...)
	b = append(b, c.cfg.Host...)
	b = c.cfg.AppendPath(b, name)
	req.SetRequestURIBytes(b)
	*bp = b
	c.paths.Put(bp)
	req.Header.SetMethod(method)
	req.Header.SetHost(c.cfg.Host)
	req.UseHostHeader = true
	// Makes fasthttp set deadlines on the connection, which is when
	// idleConn checks it is alive; the real bounds are idleConn's
	// per-operation ones.
	req.SetTimeout(requestCap)
}

// requestCap bounds one request to the origin as a whole: an upload of
// the largest object over a slow client link fits in it.
const requestCap = 24 * time.Hour

func (c *Client) finish(req *fasthttp.Request, name string) error {
	for _, h := range c.cfg.Header {
		req.Header.Set(h.Name, h.Value)
	}
	if c.cfg.Sign != nil {
		if err := c.cfg.Sign(req, name); err != nil {
			return fmt.Errorf("cannot sign the request for %q to origin %s: %w", name, c.cfg.Label, err)
		}
	}
	return nil
}

// Exists asks the origin with HEAD.
func (c *Client) Exists(ctx context.Context, name string) (bool, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.prepare(req, fasthttp.MethodHead, name)
	if err := c.finish(req, name); err != nil {
		return false, err
	}
	if err := c.do(ctx, req, resp); err != nil {
		return false, c.failed("HEAD", name, err)
	}
	switch st := resp.StatusCode(); {
	case st >= 200 && st < 300:
		return true, nil
	case st == fasthttp.StatusNotFound || st == fasthttp.StatusGone:
		return false, nil
	case st >= 300 && st < 400:
		// nginx answers a directory so: the name cannot hold a file.
		return true, nil
	default:
		return false, c.status("HEAD", name, st)
	}
}

// Put streams exactly info.Size bytes of body to the origin with
// If-None-Match: *, so that an origin which honours it refuses to replace
// an object (412), and succeeds only once the origin confirmed the object.
//
// If body fails or ends early, or ctx is cancelled, the connection to the
// origin is closed before the last byte is sent: the origin sees a short
// request body and keeps nothing.
func (c *Client) Put(ctx context.Context, name string, info backend.PutInfo, body io.Reader) error {
	if info.Size > int64(int(^uint(0)>>1)) || info.Size < 0 {
		return fmt.Errorf("%w: size %d out of range", backend.ErrIncomplete, info.Size)
	}
	u := c.uploads.Get().(*upload)
	defer func() {
		*u = upload{}
		c.uploads.Put(u)
	}()
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	for attempt := 0; ; attempt++ {
		*u = upload{ctx: ctx, r: body, remaining: info.Size, size: info.Size, bufs: &c.copyBufs}
		req.Reset()
		c.prepare(req, fasthttp.MethodPut, name)
		req.Header.SetContentType(info.ContentType)
		req.Header.Set(fasthttp.HeaderIfNoneMatch, "*")
		// SetBodyStream sets Content-Length; fasthttp then copies the body
		// through upload.WriteTo in 128 KiB pieces: nothing is held.
		req.SetBodyStream(u, int(info.Size))
		if err := c.finish(req, name); err != nil {
			return err
		}
		if info.Size == 0 {
			// The last-read check in upload.Read never runs for an empty
			// body: check here that there is nothing.
			if _, err := u.Read(nil); err != nil && err != io.EOF {
				return u.err
			}
		}
		err := c.do(ctx, req, resp)
		if u.err != nil {
			// The client's body failed, not the origin.
			return u.err
		}
		if err != nil {
			// A pooled connection the origin had just closed fails before
			// anything of the body was taken: that one is safe to retry.
			if attempt == 0 && u.sent == 0 && !isTimeout(err) && ctx.Err() == nil {
				continue
			}
			// An origin that refuses a taken name may answer 412 before
			// the body and reset the connection (Versity does), which
			// fasthttp reports as a failed write: a name that is taken
			// now was not ours to take.
			if !isTimeout(err) {
				if ok, herr := c.Exists(ctx, name); herr == nil && ok {
					return backend.ErrExists
				}
			}
			return c.failed("PUT", name, err)
		}
		break
	}
	switch st := resp.StatusCode(); st {
	case fasthttp.StatusCreated, fasthttp.StatusNoContent, fasthttp.StatusOK:
		if u.remaining != 0 {
			// An origin that answers before it read the body (or a
			// proxy in between) did not store this upload.
			return fmt.Errorf("%w: origin %s answered %d to the upload of %q before reading it", backend.ErrUnavailable, c.cfg.Label, st, name)
		}
		return nil
	case fasthttp.StatusPreconditionFailed, fasthttp.StatusConflict:
		return backend.ErrExists
	default:
		if st >= 500 && c.cfg.ProbeParents && c.parentIsObject(ctx, name) {
			return backend.ErrExists
		}
		return c.status("PUT", name, st)
	}
}

// parentIsObject reports whether a leading part of name is an object, so
// that name can never be one (a file where a directory would have to be).
func (c *Client) parentIsObject(ctx context.Context, name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] != '/' {
			continue
		}
		if ok, err := c.Exists(ctx, name[:i]); err == nil && ok {
			return true
		}
	}
	return false
}

// upload is the body as the origin request reads it: exactly size bytes,
// the last of them handed out only once body is known to end there.
type upload struct {
	ctx       context.Context
	r         io.Reader
	size      int64
	remaining int64
	sent      int64
	err       error // why the body failed; set once
	probe     [1]byte
	bufs      *sync.Pool
}

func (u *upload) fail(err error) (int, error) {
	u.err = err
	return 0, err
}

func (u *upload) Read(p []byte) (int, error) {
	if u.err != nil {
		return 0, u.err
	}
	if err := u.ctx.Err(); err != nil {
		return u.fail(fmt.Errorf("upload abandoned after %d of %d bytes: %w", u.sent, u.size, err))
	}
	if u.remaining == 0 {
		if err := u.checkEnd(); err != nil {
			return 0, err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > u.remaining {
		p = p[:u.remaining]
	}
	n, err := u.r.Read(p)
	u.remaining -= int64(n)
	if err != nil && err != io.EOF {
		return u.fail(fmt.Errorf("%w: reading the body failed after %d of %d bytes: %v", backend.ErrIncomplete, u.sent+int64(n), u.size, err))
	}
	if err == io.EOF && u.remaining > 0 {
		return u.fail(fmt.Errorf("%w: got %d of %d bytes", backend.ErrIncomplete, u.sent+int64(n), u.size))
	}
	if u.remaining == 0 && err == nil {
		// Once the origin has all size bytes it stores the object, so a
		// body that goes on past size must fail before they are sent.
		if err := u.checkEnd(); err != nil {
			return 0, err
		}
	}
	u.sent += int64(n)
	return n, nil
}

// WriteTo sends the body in large pieces: fasthttp would otherwise fill
// its write buffer through many small reads.
func (u *upload) WriteTo(w io.Writer) (int64, error) {
	bp := u.bufs.Get().(*[]byte)
	defer u.bufs.Put(bp)
	buf := *bp
	var total int64
	for {
		n, err := u.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// checkEnd makes sure the body has nothing after the announced size.
func (u *upload) checkEnd() error {
	for i := 0; i < 100; i++ {
		n, err := u.r.Read(u.probe[:])
		if n > 0 {
			_, err := u.fail(fmt.Errorf("%w: body is longer than %d bytes", backend.ErrIncomplete, u.size))
			return err
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			_, err := u.fail(fmt.Errorf("%w: reading the body failed at its end: %v", backend.ErrIncomplete, err))
			return err
		}
	}
	_, err := u.fail(fmt.Errorf("%w: body reader makes no progress", backend.ErrIncomplete))
	return err
}

// Get answers a download from the origin.
//
// Preconditions are evaluated here, on the validators of a HEAD sent
// first, and never passed on: origins differ too much (Versity ignores
// If-Modified-Since and If-Range and refuses If-Unmodified-Since of the
// very Last-Modified it sent; S3 documents no If-Range; some 304s carry no
// ETag). Uploads are immutable, so the HEAD and the GET that follows see
// the same object. Downloads without preconditions, the common case, take
// one request.
//
// Range is passed on only when it is a single well-formed range, the only
// kind the edge serves; anything else gets the whole object, as from a
// local file.
func (c *Client) Get(ctx context.Context, name string, gr *backend.GetRequest) (*backend.Object, error) {
	var none backend.GetRequest
	if gr == nil {
		gr = &none
	}
	method := fasthttp.MethodGet
	if gr.Head {
		method = fasthttp.MethodHead
	}
	rng := gr.Range
	if !singleRange(rng) {
		rng = ""
	}
	var meta *backend.Object
	if gr.IfMatch != "" || gr.IfNoneMatch != "" || gr.IfModifiedSince != "" || gr.IfUnmodifiedSince != "" || (rng != "" && gr.IfRange != "") {
		var err error
		if meta, err = c.fetch(ctx, name, fasthttp.MethodHead, ""); err != nil {
			return nil, err
		}
		if cond := evaluate(gr, meta); cond != 0 {
			meta.Status = cond
			meta.ContentLength = 0
			return meta, nil
		}
		if rng != "" && gr.IfRange != "" && !ifRangeHolds(gr.IfRange, meta) {
			rng = "" // the client's copy is stale: it gets the whole object
		}
		if method == fasthttp.MethodHead && rng == "" {
			return meta, nil
		}
	}
	o, err := c.fetch(ctx, name, method, rng)
	if err != nil {
		return nil, err
	}
	if o.Status == fasthttp.StatusRequestedRangeNotSatisfiable && o.ContentRange == "" {
		// S3 tells the size of the object only in the XML body of a GET's
		// 416, and a HEAD's 416 has none: ask.
		size := int64(-1)
		if meta != nil {
			size = meta.Size
		} else if m, err := c.fetch(ctx, name, fasthttp.MethodHead, ""); err == nil {
			size = m.Size
		}
		if size >= 0 {
			o.ContentRange = "bytes */" + strconv.FormatInt(size, 10)
			o.Size = size
		}
	}
	return o, nil
}

// fetch sends one GET or HEAD with an optional Range and turns the answer
// into an Object: 200 and 206 with Body for a GET, 416 without.
func (c *Client) fetch(ctx context.Context, name, method, rng string) (*backend.Object, error) {
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	var body *dlBody
	if method == fasthttp.MethodGet {
		b, err := c.download(ctx, name, rng, resp)
		if err != nil {
			return nil, c.failed(method, name, err)
		}
		body = b
	} else {
		req := fasthttp.AcquireRequest()
		defer fasthttp.ReleaseRequest(req)
		c.prepare(req, method, name)
		setIf(req, fasthttp.HeaderRange, rng)
		if err := c.finish(req, name); err != nil {
			return nil, err
		}
		resp.Header.SetNoDefaultContentType(true)
		if err := c.do(ctx, req, resp); err != nil {
			return nil, c.failed(method, name, err)
		}
	}
	closeBody := func() {
		if body != nil {
			body.Close()
		}
	}
	st := resp.StatusCode()
	switch {
	case st == fasthttp.StatusOK || st == fasthttp.StatusPartialContent || st == fasthttp.StatusRequestedRangeNotSatisfiable:
	case st == fasthttp.StatusNotFound || st == fasthttp.StatusGone:
		closeBody()
		return nil, backend.ErrNotFound
	case st >= 300 && st < 400:
		// A directory on an HTTP origin: not an upload.
		closeBody()
		return nil, backend.ErrNotFound
	default:
		closeBody()
		return nil, c.status(method, name, st)
	}
	h := &resp.Header
	o := &backend.Object{
		Status:        st,
		ContentLength: int64(h.ContentLength()),
		ContentRange:  string(h.Peek(fasthttp.HeaderContentRange)),
		ETag:          string(h.Peek(fasthttp.HeaderETag)),
		LastModified:  string(h.Peek(fasthttp.HeaderLastModified)),
		ContentType:   string(h.ContentType()),
		Size:          -1,
	}
	if o.ContentType == "" {
		o.ContentType = "application/octet-stream"
	}
	if o.LastModified != "" {
		if t, err := fasthttp.ParseHTTPDate([]byte(o.LastModified)); err == nil {
			o.ModTime = t
		}
	}
	switch st {
	case fasthttp.StatusOK:
		o.Size = o.ContentLength
	case fasthttp.StatusPartialContent:
		o.Size = rangeTotal(o.ContentRange)
	case fasthttp.StatusRequestedRangeNotSatisfiable:
		if o.ContentRange == "" && body != nil {
			if n := actualObjectSize(body); n >= 0 {
				o.ContentRange = "bytes */" + strconv.FormatInt(n, 10)
			}
		}
		closeBody()
		body = nil
		o.Size = rangeTotal(o.ContentRange)
		// Sent without the origin's error page.
		o.ContentLength = 0
	}
	if body == nil {
		return o, nil
	}
	if o.ContentLength == 0 {
		closeBody()
		return o, nil
	}
	o.Body = body
	return o, nil
}

// singleRange reports whether v is one byte range the edge serves:
// "bytes=A-B" with A <= B, "bytes=A-" or "bytes=-N".
func singleRange(v string) bool {
	r, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return false
	}
	first, last, ok := strings.Cut(strings.TrimSpace(r), "-")
	if !ok || (first == "" && last == "") {
		return false
	}
	num := func(s string) (int64, bool) {
		if s == "" || len(s) > 18 {
			return 0, false
		}
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	switch {
	case first == "":
		_, ok := num(last)
		return ok
	case last == "":
		_, ok := num(first)
		return ok
	}
	a, ok1 := num(first)
	b, ok2 := num(last)
	return ok1 && ok2 && a <= b
}

// actualObjectSize reads N from S3's <ActualObjectSize>N</ActualObjectSize>
// in a small error body, or returns -1.
func actualObjectSize(r io.Reader) int64 {
	var buf [2048]byte
	n, _ := io.ReadFull(r, buf[:])
	b := buf[:n]
	const open, end = "<ActualObjectSize>", "</ActualObjectSize>"
	i := bytes.Index(b, []byte(open))
	if i < 0 {
		return -1
	}
	b = b[i+len(open):]
	j := bytes.Index(b, []byte(end))
	if j < 0 {
		return -1
	}
	v, err := strconv.ParseInt(string(b[:j]), 10, 64)
	if err != nil {
		return -1
	}
	return v
}

// evaluate applies the preconditions of gr (RFC 9110 §13.2.2) to the
// object's validators and returns 412, 304 or 0 (serve it).
func evaluate(gr *backend.GetRequest, o *backend.Object) int {
	h := httpsem.Headers[string]{IfMatch: gr.IfMatch, IfUnmodifiedSince: gr.IfUnmodifiedSince,
		IfNoneMatch: gr.IfNoneMatch, IfModifiedSince: gr.IfModifiedSince}
	switch httpsem.Evaluate(h, o.ETag, o.ModTime) {
	case httpsem.PreconditionFailed:
		return fasthttp.StatusPreconditionFailed
	case httpsem.NotModified:
		return fasthttp.StatusNotModified
	}
	return 0
}

// ifRangeHolds reports whether the If-Range validator names the object's
// current version: a strong ETag equal to ours, or its Last-Modified date.
func ifRangeHolds(v string, o *backend.Object) bool {
	return httpsem.IfRange(v, o.ETag, o.ModTime)
}

func setIf(req *fasthttp.Request, name, value string) {
	if value != "" {
		req.Header.Set(name, value)
	}
}

// rangeTotal returns N from "bytes a-b/N" or "bytes */N", or -1.
func rangeTotal(cr string) int64 {
	for i := len(cr) - 1; i >= 0; i-- {
		if cr[i] == '/' {
			n, err := strconv.ParseInt(cr[i+1:], 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// do runs req, giving up when ctx is done before the origin answers.
func (c *Client) do(ctx context.Context, req *fasthttp.Request, resp *fasthttp.Response) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		return c.hc.DoDeadline(req, resp, dl)
	}
	return c.hc.Do(req, resp)
}

func isTimeout(err error) bool {
	if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) ||
		errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// failed maps a failure to talk to the origin.
func (c *Client) failed(method, name string, err error) error {
	if isTimeout(err) {
		return fmt.Errorf("%w: %s %q on origin %s: %v", backend.ErrTimeout, method, name, c.cfg.Label, err)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s %q on origin %s abandoned: %w", method, name, c.cfg.Label, err)
	}
	return fmt.Errorf("%w: cannot %s %q on origin %s: %v", backend.ErrUnavailable, method, name, c.cfg.Label, err)
}

// status maps an origin's answer the store cannot use. 4xx other than the
// expected ones mean the origin refuses the edge (credentials, permissions,
// configuration), which the client cannot fix either: 502 as well.
func (c *Client) status(method, name string, st int) error {
	return fmt.Errorf("%w: origin %s answered %s %q with %d", backend.ErrUnavailable, c.cfg.Label, method, name, st)
}
