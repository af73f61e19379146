// Package originclient is the HTTP machinery shared by the upstream origin
// stores (backend/httporigin and backend/s3origin): it streams uploads to
// an origin with fasthttp, proxies downloads back, and maps the origin's
// answers and failures onto the backend errors. It knows no store: how a
// name becomes a request path, how a request is authorized (static headers
// and basic auth, or an S3 signature) and where an origin hides an
// object's size come in through Config.
//
// Files: client.go (connections, request preparation, error and status
// mapping), upload.go (the streaming PUT), get.go (GET and HEAD with
// preconditions and ranges), download.go (the download connections),
// options.go (the options shared by the stores).
package originclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
)

// Config configures a Client: what the store that owns it knows about its
// origin.
type Config struct {
	// Options are the operator's settings; New applies their defaults.
	Options Options
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
	// MetaPrefix, when set, is the header prefix of user metadata the
	// origin keeps with an object ("x-amz-meta-" for S3): the uploader
	// and the expiry of uploads are sent with the PUT and read back (see
	// meta.go). Empty: the origin keeps none.
	MetaPrefix string
	// UnsatisfiableSize, when set, reads the size of the whole object
	// from the body of a 416 answer that has no Content-Range (S3 puts
	// it in its XML error), or returns -1. Without it, or when it finds
	// none, the size is asked for with a HEAD.
	UnsatisfiableSize func(body io.Reader) int64
}

// userAgent names the edge to the origin.
const userAgent = "upedge"

// copyBufSize is the piece size of downloads relayed from the origin:
// large enough for few syscalls, small enough for thousands of downloads.
const copyBufSize = 128 << 10

// HealthProbe is the name Check asks the origin about (HEAD): whether it
// exists does not matter, only that the origin answers.
const HealthProbe = ".upedge-healthz"

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

// New returns a Client for cfg. It only fails on options that cannot be
// used; it does not connect.
func New(cfg Config) (*Client, error) {
	if err := cfg.Options.checkLimits(); err != nil {
		return nil, err
	}
	cfg.Options = cfg.Options.WithDefaults()
	c := &Client{cfg: cfg, scheme: "http://"}
	if cfg.TLS {
		c.scheme = "https://"
	}
	timeout := cfg.Options.Timeout
	c.hc = &fasthttp.HostClient{
		Addr:  cfg.Addr,
		Name:  userAgent,
		IsTLS: cfg.TLS,
		// A nil TLSClientConfig makes fasthttp set ServerName from Addr.
		TLSConfig: cfg.Options.TLSConfig,
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
		MaxConns:           cfg.Options.MaxConns,
		MaxConnWaitTimeout: timeout,
		// Shorter than the keep-alive timeouts of common origins (nginx 75 s,
		// S3 about 20 s), so that an upload rarely starts on a connection
		// the origin is closing: a streamed body cannot be retried.
		MaxIdleConnDuration: idleKeep,
		// The path is escaped by AppendPath and, for S3, signed as it is.
		DisablePathNormalizing: true,
		ReadBufferSize:         16 << 10,
		MaxResponseBodySize:    maxSmallBody,
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
	return c, nil
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

// Exists implements backend.Store's Exists with a HEAD, or answers false
// at once with Options.SkipExistsCheck.
func (c *Client) Exists(ctx context.Context, name string) (bool, error) {
	if c.cfg.Options.SkipExistsCheck {
		return false, nil
	}
	return c.head(ctx, name)
}

// Check reports whether the origin answers (a HEAD), for health checks.
func (c *Client) Check(ctx context.Context) error {
	_, err := c.head(ctx, HealthProbe)
	return err
}

// head asks the origin whether name exists, with HEAD.
func (c *Client) head(ctx context.Context, name string) (bool, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.prepare(req, fasthttp.MethodHead, name)
	if err := c.finish(req, name); err != nil {
		return false, err
	}
	if err := c.do(ctx, req, resp); err != nil {
		return false, c.failed(fasthttp.MethodHead, name, err)
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
		return false, c.status(fasthttp.MethodHead, name, st)
	}
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
