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
	if status := h.slotPath(ctx.URI().PathOriginal(), sc); status != 0 {
		h.fail(ctx, status)
		return
	}
	// One pass over the request headers instead of a Peek per header:
	// each Peek normalises its key, which showed in profiles.
	ctx.Request.Header.VisitAll(sc.visitDL)
	d := &sc.dl
	if ctx.IsHead() {
		// RFC 9110 section 14.2: a server MUST ignore Range on any
		// method but GET, and If-Range goes with it (section 13.1.5):
		// a HEAD is answered as the GET without them.
		d.rng, d.ifRange = nil, nil
	}
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

// validators sets ETag and Last-Modified (mod, zero: none). On a 304
// (notModified) Last-Modified is left out when there is an ETag: RFC 9110
// section 15.4.5 rules out metadata beyond ETag, Cache-Control, Expires,
// Vary, Content-Location and Date "unless said metadata exists for the
// purpose of guiding cache updates (e.g., Last-Modified might be useful if
// the response does not have an ETag field)".
func (h *Handler) validators(ctx *fasthttp.RequestCtx, sc *scratch, etag string, mod time.Time, notModified bool) {
	rh := &ctx.Response.Header
	if etag != "" {
		rh.SetCanonical(hdrETag, stringBytes(etag))
	}
	if !mod.IsZero() && (etag == "" || !notModified) {
		sc.buf = fasthttp.AppendHTTPDate(sc.buf[:0], mod)
		rh.SetCanonical(hdrLastModified, sc.buf)
	}
}

// notModified answers 304 with what section 15.4.5 requires of it (ETag,
// Cache-Control; Vary is set already) and nothing that describes a body:
// no Content-Type, Content-Encoding, Content-Length, Content-Disposition.
func (h *Handler) notModified(ctx *fasthttp.RequestCtx, sc *scratch, obj *backend.Object, mod time.Time) {
	h.cacheControl(&ctx.Response.Header, sc, obj)
	h.validators(ctx, sc, obj.ETag, mod, true)
	ctx.SetStatusCode(fasthttp.StatusNotModified)
}

// serveFile answers a download of a local object: preconditions in the
// order of RFC 9110 section 13.2.2, then a byte range (section 14) or the
// whole object, a file sent with sendfile. Only 200, 206 and 304 carry
// the long Cache-Control: with it, a cache could keep a 412 or a 416 as
// the answer for the URL.
func (h *Handler) serveFile(ctx *fasthttp.RequestCtx, sc *scratch, obj *backend.Object) {
	handedOver := false
	defer func() {
		if !handedOver {
			obj.Close()
		}
	}()
	d := &sc.dl
	enc := ""
	if h.enc != nil {
		// Before the preconditions: a compressed variant has an ETag of
		// its own, which they must compare against.
		enc = h.encode(ctx, d, obj)
	}
	mod := httpsem.LastModified(obj.ModTime, sc.now)
	pre := httpsem.Headers[[]byte]{IfMatch: d.ifMatch, IfUnmodifiedSince: d.ifUnmodifiedSince,
		IfNoneMatch: d.ifNoneMatch, IfModifiedSince: d.ifModifiedSince}
	switch httpsem.Evaluate(pre, obj.ETag, mod) {
	case httpsem.PreconditionFailed:
		h.fail(ctx, fasthttp.StatusPreconditionFailed)
		return
	case httpsem.NotModified:
		h.notModified(ctx, sc, obj, mod)
		return
	}
	rh := &ctx.Response.Header
	start, length, status := int64(0), obj.Size, fasthttp.StatusOK
	if len(d.rng) > 0 && httpsem.IfRange(d.ifRange, obj.ETag, mod) {
		s, l, r := httpsem.ParseRange(d.rng, obj.Size)
		switch r {
		case httpsem.RangeUnsatisfiable:
			// Section 15.5.17: the current length, for the client to
			// ask again.
			sc.buf = httpsem.AppendUnsatisfiedRange(sc.buf[:0], obj.Size)
			rh.SetCanonical(hdrContentRange, sc.buf)
			h.fail(ctx, fasthttp.StatusRequestedRangeNotSatisfiable)
			return
		case httpsem.RangeOK:
			start, length, status = s, l, fasthttp.StatusPartialContent
			sc.buf = httpsem.AppendContentRange(sc.buf[:0], s, l, obj.Size)
			rh.SetCanonical(hdrContentRange, sc.buf)
		}
	}
	// A 206 carries the headers of the 200, representation metadata
	// included, also when answering If-Range, where section 15.3.7 says
	// it SHOULD NOT: the safety headers and the type must reach a client
	// that does not merge them with a stored answer.
	h.cacheControl(rh, sc, obj)
	h.validators(ctx, sc, obj.ETag, mod, false)
	if enc != "" {
		rh.SetCanonical(hdrContentEncoding, stringBytes(enc))
	}
	rh.SetContentType(obj.ContentType)
	rh.SetCanonical(hdrAcceptRanges, valBytes)
	sc.buf = applySafe(rh, obj.ContentType, sc.path, sc.buf)
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
	// and closes it once sent; sent counts what went out.
	ctx.Response.SetBodyStream(h.sent(obj.File, obj.File), int(length))
	handedOver = true
}

// encode swaps obj's file for a compressed variant when the encoder has
// one for this client and returns its Content-Encoding token ("" for none),
// which the caller sets on a 200 only. Never for a Range request: ranges
// address the identity bytes. Answers vary by Accept-Encoding whenever the
// type is compressible, so that caches keep the variants apart.
func (h *Handler) encode(ctx *fasthttp.RequestCtx, d *downloadHeaders, obj *backend.Object) string {
	if !h.enc.Applies(obj.ContentType, obj.Size) {
		return ""
	}
	ctx.Response.Header.SetCanonical(hdrVary, valAcceptEncoding)
	if len(d.rng) > 0 {
		return ""
	}
	return h.enc.Encode(obj, d.acceptEncoding)
}

var (
	hdrVary            = []byte("Vary")
	valAcceptEncoding  = []byte("Accept-Encoding")
	hdrContentEncoding = []byte("Content-Encoding")
)

// passOn relays an answer an upstream origin has already shaped (status,
// range, validators), adding our own safety and CORS headers, by the rules
// serveFile follows for local files.
func (h *Handler) passOn(ctx *fasthttp.RequestCtx, sc *scratch, obj *backend.Object) {
	handedOver := false
	defer func() {
		if !handedOver {
			obj.Close()
		}
	}()
	rh := &ctx.Response.Header
	status := obj.Status
	if status == 0 {
		status = fasthttp.StatusOK
	}
	switch status {
	case fasthttp.StatusNotModified:
		h.cacheControl(rh, sc, obj)
		if obj.ETag != "" {
			rh.SetCanonical(hdrETag, stringBytes(obj.ETag))
		} else {
			h.originDate(ctx, sc, obj)
		}
		ctx.SetStatusCode(status)
		return
	case fasthttp.StatusPreconditionFailed:
		h.fail(ctx, status)
		return
	case fasthttp.StatusRequestedRangeNotSatisfiable:
		if obj.ContentRange != "" {
			rh.SetCanonical(hdrContentRange, stringBytes(obj.ContentRange))
		}
		h.fail(ctx, status)
		return
	}
	ctx.SetStatusCode(status)
	h.cacheControl(rh, sc, obj)
	if obj.ETag != "" {
		rh.SetCanonical(hdrETag, stringBytes(obj.ETag))
	}
	h.originDate(ctx, sc, obj)
	if status == fasthttp.StatusPartialContent && obj.ContentRange != "" {
		rh.SetCanonical(hdrContentRange, stringBytes(obj.ContentRange))
	}
	ct := obj.ContentType
	if ct == "" {
		ct = httpsem.DefaultContentType
	}
	rh.SetContentType(ct)
	rh.SetCanonical(hdrAcceptRanges, valBytes)
	sc.buf = applySafe(rh, ct, sc.path, sc.buf)
	if ctx.IsHead() || obj.Body == nil {
		if obj.ContentLength >= 0 {
			rh.SetContentLength(int(obj.ContentLength))
		}
		return
	}
	ctx.Response.SetBodyStream(h.sent(obj.Body, obj.Body), int(obj.ContentLength))
	handedOver = true
}

// originDate sets the origin's Last-Modified, as it sent it.
func (h *Handler) originDate(ctx *fasthttp.RequestCtx, sc *scratch, obj *backend.Object) {
	rh := &ctx.Response.Header
	if obj.LastModified != "" {
		rh.SetCanonical(hdrLastModified, stringBytes(obj.LastModified))
	} else if !obj.ModTime.IsZero() {
		sc.buf = fasthttp.AppendHTTPDate(sc.buf[:0], obj.ModTime)
		rh.SetCanonical(hdrLastModified, sc.buf)
	}
}

// downloadHeaders are the request headers a download depends on, gathered
// in one VisitAll. The slices alias the request, or lists: valid until the
// handler returns.
type downloadHeaders struct {
	rng, ifRange, ifMatch, ifNoneMatch []byte
	ifModifiedSince, ifUnmodifiedSince []byte
	acceptEncoding                     []byte
	// seen has a bit per field above that was sent, to tell a field sent
	// on two lines.
	seen uint8
	// lists holds If-Match and If-None-Match joined from several lines;
	// kept across requests by putScratch.
	lists [2][]byte
}

const (
	seenRange = 1 << iota
	seenIfRange
	seenIfMatch
	seenIfNoneMatch
	seenIfModifiedSince
	seenIfUnmodifiedSince
)

// twice stands for a field that may appear once but was sent on two
// lines: it parses as nothing, so the field is ignored. RFC 9110: an
// If-Modified-Since or If-Unmodified-Since with more than one member MUST
// be ignored (sections 13.1.3, 13.1.4); a Range that is not one
// ranges-specifier, and an If-Range that is not one validator, are
// ignored likewise (sections 14.2, 13.1.5).
var twice = []byte{0}

// visit is the VisitAll callback; fasthttp hands keys in canonical form.
func (d *downloadHeaders) visit(k, v []byte) {
	switch string(k) {
	case fasthttp.HeaderRange:
		d.rng = d.single(seenRange, v)
	case fasthttp.HeaderIfRange:
		d.ifRange = d.single(seenIfRange, v)
	case fasthttp.HeaderIfMatch:
		d.ifMatch = d.list(seenIfMatch, 0, d.ifMatch, v)
	case fasthttp.HeaderIfNoneMatch:
		d.ifNoneMatch = d.list(seenIfNoneMatch, 1, d.ifNoneMatch, v)
	case fasthttp.HeaderIfModifiedSince:
		d.ifModifiedSince = d.single(seenIfModifiedSince, v)
	case fasthttp.HeaderIfUnmodifiedSince:
		d.ifUnmodifiedSince = d.single(seenIfUnmodifiedSince, v)
	case fasthttp.HeaderAcceptEncoding:
		d.acceptEncoding = v
	}
}

func (d *downloadHeaders) single(bit uint8, v []byte) []byte {
	if d.seen&bit != 0 {
		return twice
	}
	d.seen |= bit
	return v
}

// list joins a list field sent on several lines with ", " (RFC 9110
// section 5.3: the same as one line with the members of all).
func (d *downloadHeaders) list(bit uint8, i int, old, v []byte) []byte {
	if d.seen&bit == 0 {
		d.seen |= bit
		return v
	}
	if len(old) == 0 {
		return v
	}
	if len(v) == 0 {
		return old
	}
	l := append(d.lists[i][:0], old...)
	l = append(append(l, ", "...), v...)
	d.lists[i] = l
	return l
}

// reset clears d for the next request, keeping the lists' memory.
func (d *downloadHeaders) reset() {
	lists := d.lists
	*d = downloadHeaders{}
	d.lists = [2][]byte{lists[0][:0], lists[1][:0]}
}
