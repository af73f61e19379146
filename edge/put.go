package edge

import (
	"bytes"
	"io"
	"net"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httpsem"
	"github.com/upedge/upedge/edge/token"
)

// maxContentType bounds the Content-Type an upload may carry: it is stored
// with the file and sent back on every download.
const maxContentType = 255

var (
	paramV3       = []byte("v3")
	paramV2       = []byte("v2")
	paramToken    = []byte("token")
	paramV1       = []byte("v")
	paramUploader = []byte("uploader")
	paramTS       = []byte("ts")
	hdrUploader   = []byte("X-Uploader")
	hdrTimestamp  = []byte("X-Timestamp")
	hdrIfMatch    = []byte("If-Match")
)

// checkPut decides a PUT on its headers alone: path, Content-Length, size
// limit and token. It returns the verified size, or a non-zero status to
// refuse the request with, and why the token failed (nil if it did not),
// for the caller to record. sc.path holds the slot path afterwards. It
// does not look at the store. rh and uri are the request's, or, in
// HeaderReceived, its header and a URI parsed from it. admit asks the
// Admitter (quotas) too; it is false where HeaderReceived asked it
// already, so that a refusal is counted once.
func (h *Handler) checkPut(rh *fasthttp.RequestHeader, uri *fasthttp.URI, sc *scratch, admit bool) (int64, int, error) {
	if status := h.slotPath(uri.PathOriginal(), sc); status != 0 {
		return 0, status, nil
	}
	size := int64(rh.ContentLength())
	// -1 is chunked, -2 no length; fasthttp turns -2 into 0 once it has
	// looked at the body, so the raw headers tell whether a length was
	// sent. The token signs the length: without one there is nothing to
	// check it against.
	if size < 0 || (size == 0 && !hasContentLength(rh.RawHeaders())) {
		return 0, fasthttp.StatusLengthRequired, nil
	}
	if size > h.maxSize {
		return 0, fasthttp.StatusRequestEntityTooLarge, nil
	}
	ct := rh.ContentType()
	if len(ct) > maxContentType {
		return 0, fasthttp.StatusBadRequest, nil
	}
	args := uri.QueryArgs()
	ver, mac := pickToken(args)
	c := token.Claims{Path: sc.path, Size: size, ContentType: ct}
	if ver == token.V3 {
		c.Uploader = rh.PeekBytes(hdrUploader)
		if len(c.Uploader) == 0 {
			c.Uploader = args.PeekBytes(paramUploader)
		}
		c.Timestamp = rh.PeekBytes(hdrTimestamp)
		if len(c.Timestamp) == 0 {
			c.Timestamp = args.PeekBytes(paramTS)
		}
	}
	if err := h.keys.Load().verifier.Verify(ver, mac, &c); err != nil {
		return 0, fasthttp.StatusForbidden, err
	}
	if ver == token.V3 && len(c.Uploader) > 0 {
		sc.uploader = c.Uploader
		if admit && h.admit != nil && !h.admit.Allow(c.Uploader, size) {
			return 0, fasthttp.StatusRequestEntityTooLarge, nil
		}
	}
	return size, 0, nil
}

// checkStore decides a PUT that passed checkPut on what the store says of
// its name (sc.path), and on its preconditions: a taken name is 409, a
// store that cannot be asked 5xx, and an If-Match 412, since a new upload
// has no current representation to match (RFC 9110 section 13.1.1; the
// 409 comes first, section 13.2.1: preconditions are evaluated only where
// the answer would otherwise be a success).
func (h *Handler) checkStore(rh *fasthttp.RequestHeader, sc *scratch) int {
	switch exists, err := h.store.Exists(h.uploadCtx, string(sc.path)); {
	case err != nil:
		return h.storeStatus("exists", string(sc.path), err)
	case exists:
		return fasthttp.StatusConflict
	}
	pre := httpsem.Headers[[]byte]{IfMatch: rh.PeekBytes(hdrIfMatch)}
	if httpsem.EvaluateAbsent(pre) == httpsem.PreconditionFailed {
		return fasthttp.StatusPreconditionFailed
	}
	return 0
}

// decidePut runs every check of a PUT that needs no body: checkPut, then,
// when known is false, checkStore; known, early carry the answer of a
// checkStore that HeaderReceived ran already (takeEarly). The token
// refusal is recorded on ctx.
func (h *Handler) decidePut(ctx *fasthttp.RequestCtx, sc *scratch, early int, known bool) (int64, int) {
	rh := &ctx.Request.Header
	size, status, tokErr := h.checkPut(rh, ctx.URI(), sc, !known)
	if tokErr != nil {
		h.tokenRefused(ctx, sc, tokErr)
	}
	switch {
	case status != 0:
	case known:
		status = early
	default:
		status = h.checkStore(rh, sc)
	}
	return size, status
}

// hasContentLength reports whether raw request headers carry a
// Content-Length field.
func hasContentLength(raw []byte) bool {
	const name = "content-length:"
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if len(line) >= len(name) && httpsem.EqualFold(line[:len(name)], name) {
			return true
		}
	}
	return false
}

// pickToken returns the highest token version present and its value. A
// lower version is never tried when a higher one is present: a client that
// sends a bad v3 next to a good v1 is refused.
func pickToken(args *fasthttp.Args) (token.Version, []byte) {
	if args.Len() == 0 {
		return token.None, nil
	}
	if args.HasBytes(paramV3) {
		return token.V3, args.PeekBytes(paramV3)
	}
	if args.HasBytes(paramV2) {
		return token.V2, args.PeekBytes(paramV2)
	}
	if args.HasBytes(paramToken) {
		return token.Token, args.PeekBytes(paramToken)
	}
	if args.HasBytes(paramV1) {
		return token.V1, args.PeekBytes(paramV1)
	}
	return token.None, nil
}

func (h *Handler) put(ctx *fasthttp.RequestCtx, sc *scratch) {
	early, known := h.takeEarly(ctx)
	size, status := h.decidePut(ctx, sc, early, known)
	if status != 0 {
		h.refuse(ctx, status)
		return
	}
	name := string(sc.path)
	// Context for the store: the upload is abandoned when h.uploadCtx is
	// cancelled (at the end of a graceful shutdown). Not ctx: fasthttp
	// cancels it the moment shutdown starts.
	sctx := h.uploadCtx
	if h.admit != nil && len(sc.uploader) > 0 {
		if !h.admit.Reserve(sc.uploader, size) {
			h.refuse(ctx, fasthttp.StatusRequestEntityTooLarge)
			return
		}
	}
	ct := string(ctx.Request.Header.ContentType())
	if ct == "" {
		ct = token.DefaultContentType
	}
	u := &uploadBody{client: clientBody{r: ctx.RequestBodyStream(), conn: ctx, wait: h.bodyWait}}
	if u.client.r == nil {
		u.client.r = eofReader{}
	}
	if secs := size / max(h.minRate, 1); h.minRate > 0 && secs < 1<<30 {
		// The whole body must arrive by this time: a first wait, then
		// the size at the minimum rate.
		u.client.cutoff = time.Now().Add(h.bodyWait + time.Duration(secs)*time.Second)
	}
	body := u.exact.Hold(&u.client, size)
	err := h.store.Put(sctx, name, backend.PutInfo{Size: size, ContentType: ct, Uploader: string(sc.uploader)}, body)
	if h.admit != nil && len(sc.uploader) > 0 {
		h.admit.Done(sc.uploader, size, err == nil)
	}
	if err != nil {
		if body.Err() != nil {
			// The client's side broke: whatever is left of the request
			// cannot be trusted to frame the next one.
			ctx.SetConnectionClose()
		}
		h.storeFailed(ctx, "put", name, err)
		return
	}
	ctx.SetStatusCode(fasthttp.StatusCreated)
}

// Lingering close of a refused upload's connection, as nginx's
// lingering_close: read and drop what the client is still sending, for at
// most lingerTime and while it pauses no longer than lingerPause.
const (
	lingerTime  = 30 * time.Second
	lingerPause = 5 * time.Second
)

// lingerKey is the RequestCtx user value holding a refusal's lingering
// state: fasthttp resets user values, closing those that are io.Closer,
// once the hijack handler has returned, and Close puts it back in the
// pool.
const lingerKey = "upedge.linger"

// refuse answers a request with status without reading its body. A
// request without a body keeps its connection. One with a body, even a
// small one, does not: the body is not read (that is the point: decided
// on the headers, the answer goes out at once), so the connection cannot
// carry another request, and a client that stopped sending part-way would
// otherwise stall the next request on it until the read timeout.
//
// The connection is hijacked, the answer written on it with Connection:
// close, its sending side shut (the client reads the answer, then the
// end of the connection, at once), and what the client still sends is
// read and dropped until it stops, as nginx's lingering_close does.
// Closing at once would make the kernel answer the unread bytes with a
// reset, which destroys our answer in the client's buffers before it
// reads it: the client would report "connection reset", not 413.
func (h *Handler) refuse(ctx *fasthttp.RequestCtx, status int) {
	h.fail(ctx, status)
	if ctx.Request.Header.ContentLength() == 0 {
		return
	}
	l := h.lingers.Get().(*lingering)
	l.conn = ctx.Conn()
	ctx.SetUserValue(lingerKey, l)
	ctx.Response.Header.SetConnectionClose()
	ctx.Response.Header.SetContentLength(len(ctx.Response.Body()))
	l.answer = ctx.Response.Header.AppendBytes(l.answer[:0])
	l.answer = append(l.answer, ctx.Response.Body()...)
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(l.run)
}

// lingering is the state of one lingering close, pooled.
type lingering struct {
	h      *Handler
	conn   net.Conn // the connection itself, for CloseWrite; nil in tests
	answer []byte   // the serialised response
	buf    []byte   // what the client still sends is read into it and dropped
	run    fasthttp.HijackHandler
}

func (h *Handler) newLingering() any {
	l := &lingering{h: h, buf: make([]byte, 16<<10)}
	// Made once: a method value per request would allocate.
	l.run = l.closeConn
	return l
}

// Close returns l to the pool; fasthttp calls it when it resets the
// request's user values, after closeConn has returned.
func (l *lingering) Close() error {
	l.conn = nil
	l.h.lingers.Put(l)
	return nil
}

// closeWriter is a connection whose sending side can be shut alone:
// *net.TCPConn, *net.UnixConn, *tls.Conn (close_notify).
type closeWriter interface{ CloseWrite() error }

// closeConn writes the answer on c (fasthttp's wrapper of l.conn, which
// reads what fasthttp buffered first), shuts the sending side, and drops
// what arrives until the client stops.
func (l *lingering) closeConn(c net.Conn) {
	l.h.lingeringConns.Add(1)
	defer l.h.lingeringConns.Add(-1)
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(lingerPause))
	if _, err := c.Write(l.answer); err != nil {
		return
	}
	if cw, ok := l.conn.(closeWriter); ok {
		_ = cw.CloseWrite()
	}
	end := time.Now().Add(lingerTime)
	for {
		deadline := time.Now().Add(lingerPause)
		if deadline.After(end) {
			deadline = end
		}
		if c.SetReadDeadline(deadline) != nil {
			return
		}
		if _, err := c.Read(l.buf); err != nil {
			return
		}
	}
}

// uploadBody is the body of an accepted upload: the client's stream with
// its read deadlines, held to the signed length by backend.ExactReader,
// the one owner of that rule. One allocation for both.
type uploadBody struct {
	client clientBody
	exact  backend.ExactReader
}

// clientBody reads an upload from the client. Each read first pushes the
// connection's read deadline forward (at most once a second), so that an
// upload is cut when its client goes quiet, or falls behind the minimum
// rate's cutoff, not when it is merely long.
type clientBody struct {
	r      io.Reader
	conn   deadliner
	wait   time.Duration
	last   time.Time
	cutoff time.Time // zero: none
}

type deadliner interface {
	Conn() net.Conn
}

func (b *clientBody) Read(p []byte) (int, error) {
	if now := time.Now(); now.Sub(b.last) > time.Second {
		b.last = now
		deadline := now.Add(b.wait)
		if !b.cutoff.IsZero() && b.cutoff.Before(deadline) {
			deadline = b.cutoff
		}
		if c := b.conn.Conn(); c != nil {
			_ = c.SetReadDeadline(deadline)
		}
	}
	return b.r.Read(p)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
