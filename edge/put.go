package edge

import (
	"io"
	"net"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
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
	if size < 0 {
		// -1: chunked, -2: no length at all. The token signs the
		// length, so there is nothing to check it against.
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
	if err := h.verifier.Verify(ver, mac, &c); err != nil {
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
		h.refuseBody(ctx)
		h.fail(ctx, status)
		return
	}
	name := string(sc.path)
	// Context for the store: the upload is abandoned when h.uploadCtx is
	// cancelled (at the end of a graceful shutdown). Not ctx: fasthttp
	// cancels it the moment shutdown starts.
	sctx := h.uploadCtx
	exists, err := h.store.Exists(sctx, name)
	if err != nil {
		h.refuseBody(ctx)
		h.storeFailed(ctx, "exists", name, err)
		return
	}
	if exists {
		h.refuseBody(ctx)
		h.fail(ctx, fasthttp.StatusConflict)
		return
	}
	if h.admit != nil && len(sc.uploader) > 0 {
		if !h.admit.Reserve(sc.uploader, size) {
			h.refuseBody(ctx)
			h.fail(ctx, fasthttp.StatusRequestEntityTooLarge)
			return
		}
	}
	ct := string(ctx.Request.Header.ContentType())
	if ct == "" {
		ct = token.DefaultContentType
	}
	body := &exactBody{r: ctx.RequestBodyStream(), left: size, conn: ctx, wait: h.bodyWait}
	if body.r == nil {
		body.r = eofReader{}
	}
	if secs := size / max(h.minRate, 1); h.minRate > 0 && secs < 1<<30 {
		// The whole body must arrive by this time: a first wait, then
		// the size at the minimum rate.
		body.cutoff = time.Now().Add(h.bodyWait + time.Duration(secs)*time.Second)
	}
	err = h.store.Put(sctx, name, backend.PutInfo{Size: size, ContentType: ct}, body)
	if h.admit != nil && len(sc.uploader) > 0 {
		h.admit.Done(sc.uploader, size, err == nil)
	}
	if err != nil {
		if body.failed {
			// The client's side broke: whatever is left of the request
			// cannot be trusted to frame the next one.
			ctx.SetConnectionClose()
		}
		h.storeFailed(ctx, "put", name, err)
		return
	}
	ctx.SetStatusCode(fasthttp.StatusCreated)
}

// refuseBody makes sure that the body of a refused upload is not read:
// fasthttp would drain a large one to keep the connection, so the
// connection is closed instead unless there is no body to speak of.
func (h *Handler) refuseBody(ctx *fasthttp.RequestCtx) {
	if ctx.Request.Header.ContentLength() != 0 {
		ctx.SetConnectionClose()
	}
}

// exactBody reads exactly left bytes from r: it reports an early end as
// io.ErrUnexpectedEOF and never reads past left. Each read first pushes the
// connection's read deadline forward, so that an upload is cut when its
// client goes quiet, not when it is merely long.
type exactBody struct {
	r      io.Reader
	left   int64
	conn   deadliner
	wait   time.Duration
	last   time.Time
	cutoff time.Time // zero: none
	failed bool
}

type deadliner interface {
	Conn() net.Conn
}

func (b *exactBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
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
	n, err := b.r.Read(p)
	b.left -= int64(n)
	switch {
	case err == io.EOF && b.left > 0:
		b.failed = true
		return n, io.ErrUnexpectedEOF
	case err != nil && err != io.EOF:
		b.failed = true
		return n, err
	case b.left == 0:
		return n, io.EOF
	}
	return n, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
