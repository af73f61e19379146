package edge

import (
	"context"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httpsem"
)

var (
	hdrETag         = []byte("ETag")
	hdrContentRange = []byte("Content-Range")
	hdrLastModified = []byte("Last-Modified")
)

func (h *Handler) get(ctx *fasthttp.RequestCtx, sc *scratch) {
	if status := h.slotPath(ctx, sc); status != 0 {
		h.fail(ctx, status)
		return
	}
	// One pass over the request headers instead of a Peek per header:
	// each Peek normalises its key, which showed in profiles.
	ctx.Request.Header.VisitAll(sc.visitDL)
	d := &sc.dl
	// In the pooled scratch: a local passed to the store through the
	// interface would be allocated on every download. Absent headers
	// convert to "" without allocating.
	req := &sc.getReq
	*req = backend.GetRequest{
		Head:              ctx.IsHead(),
		Range:             string(d.rng),
		IfRange:           string(d.ifRange),
		IfMatch:           string(d.ifMatch),
		IfNoneMatch:       string(d.ifNoneMatch),
		IfModifiedSince:   string(d.ifModifiedSince),
		IfUnmodifiedSince: string(d.ifUnmodifiedSince),
	}
	obj, err := h.store.Get(context.Context(ctx), string(sc.path), req)
	if err != nil {
		h.storeFailed(ctx, "get", string(sc.path), err)
		return
	}
	if h.expired(obj) {
		// Whatever the store is and whether or not its sweeper has
		// removed the bytes yet: an expired upload is gone.
		obj.Close()
		h.fail(ctx, fasthttp.StatusGone)
		return
	}
	if !obj.Local() {
		h.passOn(ctx, sc, obj)
		return
	}
	h.serveFile(ctx, sc, obj)
}

// expired reports whether obj has an expiry (PutInfo.Expires, a JWT's
// expires claim: the time after which the file must not be served) and
// it has passed.
func (h *Handler) expired(obj *backend.Object) bool {
	return !obj.Expires.IsZero() && h.now().After(obj.Expires)
}

// cacheControl sets Cache-Control for obj: uploads never change, so caches
// may keep them for a year, but not one with an expiry past that expiry
// (a cache must not go on serving what the edge refuses with 410).
func (h *Handler) cacheControl(rh *fasthttp.ResponseHeader, sc *scratch, obj *backend.Object) {
	if obj.Expires.IsZero() {
		rh.SetCanonical(hdrCacheControl, valCacheImmutable)
		return
	}
	left := int64(obj.Expires.Sub(h.now()) / time.Second)
	sc.buf = append(sc.buf[:0], valCacheExpiring...)
	sc.buf = strconv.AppendInt(sc.buf, min(max(left, 0), maxAge), 10)
	rh.SetCanonical(hdrCacheControl, sc.buf)
}

// entityHeaders sets what every answer about obj carries, 304 included.
func (h *Handler) entityHeaders(ctx *fasthttp.RequestCtx, sc *scratch, obj *backend.Object) {
	rh := &ctx.Response.Header
	h.cacheControl(rh, sc, obj)
	if obj.ETag != "" {
		rh.SetCanonical(hdrETag, stringBytes(obj.ETag))
	}
	if !obj.ModTime.IsZero() {
		sc.buf = fasthttp.AppendHTTPDate(sc.buf[:0], obj.ModTime)
		rh.SetCanonical(hdrLastModified, sc.buf)
	}
}

// serveFile answers a download of a local object: preconditions in the
// order of RFC 9110 section 13.2.2, then a single byte range or the whole
// object, a file sent with sendfile.
func (h *Handler) serveFile(ctx *fasthttp.RequestCtx, sc *scratch, obj *backend.Object) {
	handedOver := false
	defer func() {
		if !handedOver {
			obj.Close()
		}
	}()
	d := &sc.dl
	if h.enc != nil {
		h.encode(ctx, d, obj)
	}
	h.entityHeaders(ctx, sc, obj)
	pre := httpsem.Headers[[]byte]{IfMatch: d.ifMatch, IfUnmodifiedSince: d.ifUnmodifiedSince,
		IfNoneMatch: d.ifNoneMatch, IfModifiedSince: d.ifModifiedSince}
	switch httpsem.Evaluate(pre, obj.ETag, obj.ModTime) {
	case httpsem.PreconditionFailed:
		h.fail(ctx, fasthttp.StatusPreconditionFailed)
		return
	case httpsem.NotModified:
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	rh := &ctx.Response.Header
	rh.SetContentType(obj.ContentType)
	rh.SetCanonical(hdrAcceptRanges, valBytes)
	sc.buf = applySafe(rh, obj.ContentType, sc.path, sc.buf)

	start, length, status := int64(0), obj.Size, fasthttp.StatusOK
	if rng := d.rng; len(rng) > 0 && httpsem.IfRange(d.ifRange, obj.ETag, obj.ModTime) {
		s, l, ok, satisfiable := httpsem.ParseRange(rng, obj.Size)
		switch {
		case !satisfiable:
			sc.buf = httpsem.AppendUnsatisfiedRange(sc.buf[:0], obj.Size)
			rh.SetCanonical(hdrContentRange, sc.buf)
			h.fail(ctx, fasthttp.StatusRequestedRangeNotSatisfiable)
			return
		case ok:
			start, length, status = s, l, fasthttp.StatusPartialContent
			sc.buf = httpsem.AppendContentRange(sc.buf[:0], s, l, obj.Size)
			rh.SetCanonical(hdrContentRange, sc.buf)
		}
	}
	ctx.SetStatusCode(status)
	if ctx.IsHead() {
		rh.SetContentLength(int(length))
		return
	}
	if obj.Data != nil {
		// Data is immutable (backend.Object): no copy needed.
		ctx.Response.SetBodyRaw(obj.Data[start : start+length])
		return
	}
	if start > 0 {
		if _, err := obj.File.Seek(start, 0); err != nil {
			h.storeFailed(ctx, "seek", string(sc.path), err)
			return
		}
	}
	// fasthttp sends an *os.File body with sendfile, bounded to length,
	// and closes it once sent.
	ctx.Response.SetBodyStream(obj.File, int(length))
	handedOver = true
}

// encode swaps obj's file for a compressed variant when the encoder has
// one for this client. Never for a Range request: ranges address the
// identity bytes. Answers vary by Accept-Encoding whenever the type is
// compressible, so that caches keep the variants apart.
func (h *Handler) encode(ctx *fasthttp.RequestCtx, d *downloadHeaders, obj *backend.Object) {
	if !h.enc.Applies(obj.ContentType, obj.Size) {
		return
	}
	rh := &ctx.Response.Header
	rh.SetCanonical(hdrVary, valAcceptEncoding)
	if len(d.rng) > 0 {
		return
	}
	if enc := h.enc.Encode(obj, d.acceptEncoding); enc != "" {
		rh.SetCanonical(hdrContentEncoding, stringBytes(enc))
	}
}

var (
	hdrVary            = []byte("Vary")
	valAcceptEncoding  = []byte("Accept-Encoding")
	hdrContentEncoding = []byte("Content-Encoding")
)

// passOn relays an answer an upstream origin has already shaped (status,
// range, validators), adding our own safety and CORS headers.
func (h *Handler) passOn(ctx *fasthttp.RequestCtx, sc *scratch, obj *backend.Object) {
	handedOver := false
	defer func() {
		if !handedOver {
			obj.Close()
		}
	}()
	rh := &ctx.Response.Header
	h.cacheControl(rh, sc, obj)
	if obj.ETag != "" {
		rh.SetCanonical(hdrETag, stringBytes(obj.ETag))
	}
	if obj.LastModified != "" {
		rh.SetCanonical(hdrLastModified, stringBytes(obj.LastModified))
	} else if !obj.ModTime.IsZero() {
		sc.buf = fasthttp.AppendHTTPDate(sc.buf[:0], obj.ModTime)
		rh.SetCanonical(hdrLastModified, sc.buf)
	}
	status := obj.Status
	if status == 0 {
		status = fasthttp.StatusOK
	}
	ctx.SetStatusCode(status)
	if obj.ContentRange != "" {
		rh.SetCanonical(hdrContentRange, stringBytes(obj.ContentRange))
	}
	if status == fasthttp.StatusNotModified {
		return
	}
	if status == fasthttp.StatusOK || status == fasthttp.StatusPartialContent {
		ct := obj.ContentType
		if ct == "" {
			ct = httpsem.DefaultContentType
		}
		rh.SetContentType(ct)
		rh.SetCanonical(hdrAcceptRanges, valBytes)
		sc.buf = applySafe(rh, ct, sc.path, sc.buf)
	}
	if ctx.IsHead() || obj.Body == nil {
		if obj.ContentLength >= 0 {
			rh.SetContentLength(int(obj.ContentLength))
		}
		return
	}
	ctx.Response.SetBodyStream(obj.Body, int(obj.ContentLength))
	handedOver = true
}

// downloadHeaders are the request headers a download depends on, gathered
// in one VisitAll. The slices alias the request: valid until the handler
// returns.
type downloadHeaders struct {
	rng, ifRange, ifMatch, ifNoneMatch []byte
	ifModifiedSince, ifUnmodifiedSince []byte
	acceptEncoding                     []byte
}

// visit is the VisitAll callback; fasthttp hands keys in canonical form.
func (d *downloadHeaders) visit(k, v []byte) {
	switch string(k) {
	case fasthttp.HeaderRange:
		d.rng = v
	case fasthttp.HeaderIfRange:
		d.ifRange = v
	case fasthttp.HeaderIfMatch:
		d.ifMatch = v
	case fasthttp.HeaderIfNoneMatch:
		d.ifNoneMatch = v
	case fasthttp.HeaderIfModifiedSince:
		d.ifModifiedSince = v
	case fasthttp.HeaderIfUnmodifiedSince:
		d.ifUnmodifiedSince = v
	case fasthttp.HeaderAcceptEncoding:
		d.acceptEncoding = v
	}
}
