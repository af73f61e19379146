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
)

// checkPut decides a PUT on its headers alone: path, Content-Length, size
// limit and token. It returns the verified size, or a non-zero status to
// refuse the request with. sc.path holds the slot path afterwards. It does
// not look at the store.
func (h *Handler) checkPut(ctx *fasthttp.RequestCtx, sc *scratch) (int64, int) {
	if status := h.slotPath(ctx, sc); status != 0 {
		return 0, status
	}
	rh := &ctx.Request.Header
	size := int64(rh.ContentLength())
	// -1 is chunked, -2 no length; fasthttp turns -2 into 0 once it has
	// looked at the body, so the raw headers tell whether a length was
	// sent. The token signs the length: without one there is nothing to
	// check it against.
	if size < 0 || (size == 0 && !hasContentLength(rh.RawHeaders())) {
		return 0, fasthttp.StatusLengthRequired
	}
	if size > h.maxSize {
		return 0, fasthttp.StatusRequestEntityTooLarge
	}
	ct := rh.ContentType()
	if len(ct) > maxContentType {
		return 0, fasthttp.StatusBadRequest
	}
	ver, mac := pickToken(ctx.QueryArgs())
	c := token.Claims{Path: sc.path, Size: size, ContentType: ct}
	if ver == token.V3 {
		c.Uploader = rh.PeekBytes(hdrUploader)
		if len(c.Uploader) == 0 {
			c.Uploader = ctx.QueryArgs().PeekBytes(paramUploader)
		}
		c.Timestamp = rh.PeekBytes(hdrTimestamp)
		if len(c.Timestamp) == 0 {
			c.Timestamp = ctx.QueryArgs().PeekBytes(paramTS)
		}
	}
	if err := h.keys.Load().verifier.Verify(ver, mac, &c); err != nil {
		h.tokenRefused(ctx, sc, err)
		return 0, fasthttp.StatusForbidden
	}
	if ver == token.V3 && len(c.Uploader) > 0 {
		sc.uploader = c.Uploader
		if h.admit != nil && !h.admit.Allow(c.Uploader, size) {
			return 0, fasthttp.StatusRequestEntityTooLarge
		}
	}
	return size, 0
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
	size, status := h.checkPut(ctx, sc)
	if status != 0 {
		h.refuse(ctx, status)
		return
	}
	name := string(sc.path)
	// Context for the store: the upload is abandoned when h.uploadCtx is
	// cancelled (at the end of a graceful shutdown). Not ctx: fasthttp
	// cancels it the moment shutdown starts.
	sctx := h.uploadCtx
	exists, err := h.store.Exists(sctx, name)
	if err != nil {
		h.refuse(ctx, h.storeStatus("exists", name, err))
		return
	}
	if exists {
		h.refuse(ctx, fasthttp.StatusConflict)
		return
	}
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
	err = h.store.Put(sctx, name, backend.PutInfo{Size: size, ContentType: ct, Uploader: string(sc.uploader)}, body)
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

// maxDrain is what fasthttp reads and discards of an unread request body
// to keep the connection (its maxUnreadStreamBodySize); past it, the
// connection must go.
const maxDrain = 256 << 10

// Lingering close of a refused upload's connection, as nginx's
// lingering_close: read and drop what the client is still sending, for at
// most lingerTime and while it pauses no longer than lingerPause.
const (
	lingerTime  = 30 * time.Second
	lingerPause = 5 * time.Second
)

// refuse answers a PUT with status without reading its body. A small
// body fasthttp drains afterwards, keeping the connection. A large one is
// not read into anything: the connection is hijacked, the answer (with
// Connection: close) written on it, and what the client still sends is
// dropped until it stops, as nginx's lingering_close does. Closing at once
// would make the kernel answer the unread bytes with a reset, which
// destroys our answer in the client's buffers before it reads it: the
// client would report "connection reset", not 413.
func (h *Handler) refuse(ctx *fasthttp.RequestCtx, status int) {
	h.fail(ctx, status)
	if cl := ctx.Request.Header.ContentLength(); cl >= 0 && cl <= maxDrain {
		return
	}
	l := h.lingers.Get().(*lingering)
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
	answer []byte // the serialised response
	buf    []byte // what the client still sends is read into it and dropped
	run    fasthttp.HijackHandler
}

func (h *Handler) newLingering() any {
	l := &lingering{h: h, buf: make([]byte, 16<<10)}
	// Made once: a method value per request would allocate.
	l.run = l.closeConn
	return l
}

func (l *lingering) closeConn(c net.Conn) {
	defer l.h.lingers.Put(l)
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(lingerPause))
	if _, err := c.Write(l.answer); err != nil {
		return
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
