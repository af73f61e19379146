package edge

import (
	"bytes"
	"errors"
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
	paramExpires  = []byte("expires")
	hdrUploader   = []byte("X-Uploader")
	hdrTimestamp  = []byte("X-Timestamp")
	hdrAuthz      = []byte("Authorization")
	hdrWWWAuth    = []byte("WWW-Authenticate")
	valBearer     = []byte("Bearer")
	defaultCT     = []byte(token.DefaultContentType)
	hdrIfMatch    = []byte("If-Match")
)

// upload is what the token of a PUT vouched for, as checkPut found it.
// Its slices alias the request or the scratch's JWT claims: valid until
// the request's handler returns.
type upload struct {
	// size is the exact body size: the Content-Length, or for a JWT the
	// filesize it signs (which a chunked body must turn out to have).
	size    int64
	chunked bool
	// contentType is what the file is stored and served with: the PUT's
	// Content-Type (query tokens), a JWT's filetype; never empty.
	contentType []byte
	// uploader is the v3 uploader or the JWT's sub; empty when the token
	// names nobody.
	uploader []byte
	// expires is a JWT's expires, UNIX seconds; 0 when there is none.
	expires int64
}

// checkPut decides a PUT on its headers alone: path, Content-Length, size
// limit and token (a JWT in the Authorization header, else the strongest
// query token). It returns 0 and fills sc.up when the upload may go on,
// or the status to refuse it with. sc.path holds the slot path afterwards.
// It does not look at the store. rh and uri are the request's, or, in
// HeaderReceived, its header and a URI parsed from it; ctx is nil there,
// and only with a ctx is the outcome recorded on the request (why a token
// failed, a previous secret, WWW-Authenticate), so that it is recorded
// once. admit asks the Admitter (quotas) too; it is false where
// HeaderReceived asked it already, so that a refusal is counted once.
func (h *Handler) checkPut(rh *fasthttp.RequestHeader, uri *fasthttp.URI, sc *scratch, admit bool, ctx *fasthttp.RequestCtx) int {
	if status := h.slotPath(uri.PathOriginal(), sc); status != 0 {
		return status
	}
	jwt, isJWT := bearer(rh.PeekBytes(hdrAuthz))
	size := int64(rh.ContentLength())
	// -1 is chunked, -2 no length; fasthttp turns -2 into 0 once it has
	// looked at the body, so the raw headers tell whether a length was
	// sent. A query token signs the length: without one there is nothing
	// to check it against. A JWT signs the size itself, so its body may
	// come chunked (Prosody's own handler takes that too).
	chunked := size == -1
	if (size < 0 && !(chunked && isJWT)) || (size == 0 && !hasContentLength(rh.RawHeaders())) {
		return fasthttp.StatusLengthRequired
	}
	if size > h.maxSize {
		return fasthttp.StatusRequestEntityTooLarge
	}
	k := h.keys.Load()
	var key token.Key
	if isJWT {
		var err error
		if key, err = k.verifier.VerifyJWT(jwt, sc.path, size, &sc.jwt); err != nil {
			if ctx != nil {
				h.tokenRefused(ctx, sc, err)
			}
			return jwtRefusal(ctx, err)
		}
		sc.up = upload{size: sc.jwt.FileSize, chunked: chunked, contentType: sc.jwt.FileType,
			uploader: sc.jwt.Subject, expires: sc.jwt.Expires}
		if sc.up.size > h.maxSize {
			return fasthttp.StatusRequestEntityTooLarge
		}
	} else {
		ct := rh.ContentType()
		if len(ct) > maxContentType {
			return fasthttp.StatusBadRequest
		}
		args := uri.QueryArgs()
		ver, mac := pickToken(args)
		c := token.Claims{Path: sc.path, Size: size, ContentType: ct}
		switch ver {
		case token.V3:
			c.Uploader = rh.PeekBytes(hdrUploader)
			if len(c.Uploader) == 0 {
				c.Uploader = args.PeekBytes(paramUploader)
			}
			c.Timestamp = rh.PeekBytes(hdrTimestamp)
			if len(c.Timestamp) == 0 {
				c.Timestamp = args.PeekBytes(paramTS)
			}
		case token.V3Expires:
			c.Method = rh.Method()
			c.Expires = args.PeekBytes(paramExpires)
			c.Prefix = h.prefixBytes
		}
		var err error
		if key, err = k.verifier.Verify(ver, mac, &c); err != nil {
			if ctx != nil {
				h.tokenRefused(ctx, sc, err)
			}
			return fasthttp.StatusForbidden
		}
		sc.up = upload{size: size, contentType: ct}
		if ver == token.V3 {
			sc.up.uploader = c.Uploader
		}
	}
	if len(sc.up.contentType) == 0 {
		sc.up.contentType = defaultCT
	} else if len(sc.up.contentType) > maxContentType {
		return fasthttp.StatusBadRequest
	}
	if key.Old() && ctx != nil {
		markOldSecret(ctx)
	}
	if admit && h.admit != nil && len(sc.up.uploader) > 0 && !h.admit.Allow(sc.up.uploader, sc.up.size) {
		return fasthttp.StatusRequestEntityTooLarge
	}
	return 0
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
// checkStore that HeaderReceived ran already (takeEarly). What checkPut
// learns is recorded on ctx.
func (h *Handler) decidePut(ctx *fasthttp.RequestCtx, sc *scratch, early int, known bool) int {
	rh := &ctx.Request.Header
	status := h.checkPut(rh, ctx.URI(), sc, !known, ctx)
	switch {
	case status != 0:
	case known:
		status = early
	default:
		status = h.checkStore(rh, sc)
	}
	return status
}

// bearer returns the token of an "Authorization: Bearer TOKEN" header
// (the scheme is case-insensitive, RFC 9110 section 11.1), and whether the
// header names that scheme at all. Other schemes (Basic, for a proxy) are
// not a JWT and leave the query tokens to be checked.
func bearer(v []byte) ([]byte, bool) {
	const scheme = "bearer"
	if len(v) < len(scheme) || !httpsem.EqualFold(v[:len(scheme)], scheme) {
		return nil, false
	}
	rest := v[len(scheme):]
	if len(rest) > 0 && rest[0] != ' ' {
		return nil, false // "Bearerx": another scheme
	}
	return bytes.TrimLeft(rest, " "), true
}

// jwtRefusal is the status of a refused JWT, as Prosody's own handler
// answers: 410 past exp, 400 for another slot or file name, 413 for
// another size, and otherwise 401 with WWW-Authenticate: Bearer (set on
// ctx's answer; ctx is nil in HeaderReceived, which only decides).
func jwtRefusal(ctx *fasthttp.RequestCtx, err error) int {
	switch err {
	case token.ErrExpired:
		return fasthttp.StatusGone
	case token.ErrWrongPath:
		return fasthttp.StatusBadRequest
	case token.ErrWrongSize:
		return fasthttp.StatusRequestEntityTooLarge
	}
	if ctx != nil {
		ctx.Response.Header.SetCanonical(hdrWWWAuth, valBearer)
	}
	return fasthttp.StatusUnauthorized
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

// pickToken returns the highest query-token scheme present and its value.
// A lower one is never tried when a higher one is present: a client that
// sends a bad v3 next to a good v1 is refused. v3 with expires is HMAC
// File Server 3.4's; the seed's v3 never carries expires.
func pickToken(args *fasthttp.Args) (token.Version, []byte) {
	if args.Len() == 0 {
		return token.None, nil
	}
	if args.HasBytes(paramV3) {
		if args.HasBytes(paramExpires) {
			return token.V3Expires, args.PeekBytes(paramV3)
		}
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
	if status := h.decidePut(ctx, sc, early, known); status != 0 {
		h.refuse(ctx, status)
		return
	}
	up := &sc.up
	name := string(sc.path)
	// Context for the store: the upload is abandoned when h.uploadCtx is
	// cancelled (at the end of a graceful shutdown). Not ctx: fasthttp
	// cancels it the moment shutdown starts.
	sctx := h.uploadCtx
	if h.admit != nil && len(up.uploader) > 0 {
		if !h.admit.Reserve(up.uploader, up.size) {
			h.refuse(ctx, fasthttp.StatusRequestEntityTooLarge)
			return
		}
	}
	info := backend.PutInfo{Size: up.size, ContentType: string(up.contentType), Uploader: string(up.uploader)}
	if up.expires != 0 {
		info.Expires = time.Unix(up.expires, 0)
	}
	u := &uploadBody{client: clientBody{r: ctx.RequestBodyStream(), conn: ctx, wait: h.bodyWait}}
	if u.client.r == nil {
		u.client.r = eofReader{}
	}
	if secs := up.size / max(h.minRate, 1); h.minRate > 0 && secs < 1<<30 {
		// The whole body must arrive by this time: a first wait, then
		// the size at the minimum rate.
		u.client.cutoff = time.Now().Add(h.bodyWait + time.Duration(secs)*time.Second)
	}
	body := u.exact.Hold(&u.client, up.size)
	markUpload(ctx, body)
	err := h.store.Put(sctx, name, info, body)
	if h.admit != nil && len(up.uploader) > 0 {
		h.admit.Done(up.uploader, up.size, err == nil)
	}
	if err != nil {
		if body.Err() != nil {
			// The client's side broke: whatever is left of the request
			// cannot be trusted to frame the next one.
			ctx.SetConnectionClose()
			if up.chunked && errors.Is(body.Err(), backend.ErrIncomplete) {
				// A chunked body that did not have the size the JWT
				// signed: Prosody's answer, and nothing is kept.
				h.fail(ctx, fasthttp.StatusRequestEntityTooLarge)
				return
			}
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
