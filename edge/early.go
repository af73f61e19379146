package edge

import (
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend/httpsem"
)

// Requests decided on their headers alone are decided in HeaderReceived,
// before fasthttp reads a byte of their body. With StreamRequestBody,
// fasthttp reads the first byte of a body (MaxRequestBodySize, at least 1)
// before it calls the handler, so a client that sends the headers of a
// doomed upload and waits, without Expect: 100-continue, would otherwise
// get no answer until it sends a byte or its request times out; nginx
// answers it at once. HeaderReceived sees only the header, so it hands its
// decision to the handler in the header itself (hdrEarly), and it makes
// fasthttp skip the body: a refused request's Content-Length is set aside
// there (0 makes fasthttp read nothing) and its Expect dropped, so that
// the handler, not fasthttp's Expect handling, answers and closes the
// connection (refuse). takeEarly restores both.

// hdrEarly carries HeaderReceived's decision to the handler: "STATUS HELD",
// STATUS the refusal (0: the PUT passed every check, the store's
// included) and HELD the Content-Length set aside (0: none). A client
// cannot forge one: HeaderReceived replaces it on every PUT, and the
// handler trusts it only as far as checkPut agrees (decidePut).
var hdrEarly = []byte("X-Upedge-Early")

var hdrExpect = []byte(fasthttp.HeaderExpect)

// HeaderReceived is the fasthttp HeaderReceived hook (NewServer sets it):
// it decides a PUT on its headers, path, length, size, token, quota,
// store and preconditions, before any of its body is read, and holds the
// body of a refused PUT, of a request with a method the edge does not
// serve (405) or of one with a head line too long (414, 431) back from
// fasthttp. It changes no RequestConfig.
func (h *Handler) HeaderReceived(rh *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if status := h.headStatus(rh); status != 0 {
		// Refused whatever the method (ServeHTTP).
		held := max(rh.ContentLength(), 0)
		h.setEarly(rh, status, held)
		return fasthttp.RequestConfig{}
	}
	switch {
	case rh.IsPut():
		h.decideEarly(rh)
	case rh.IsGet(), rh.IsHead(), rh.IsOptions(), rh.IsDelete() && h.keys.Load().verifier.DeleteEnabled():
		// Served whatever their body, which fasthttp drains.
	default:
		if cl := rh.ContentLength(); cl > 0 {
			h.setEarly(rh, fasthttp.StatusMethodNotAllowed, cl)
		}
	}
	return fasthttp.RequestConfig{}
}

func (h *Handler) decideEarly(rh *fasthttp.RequestHeader) {
	rh.DelBytes(hdrEarly)
	sc := h.scratch.Get().(*scratch)
	defer h.putScratch(sc)
	if sc.uri.Parse(rh.Host(), rh.RequestURI()) != nil {
		return // fasthttp answers 400 itself
	}
	status := h.checkPut(rh, &sc.uri, sc, true, nil)
	if status == 0 {
		status = h.checkStore(rh, sc)
	}
	held := 0
	if cl := rh.ContentLength(); status != 0 && cl > 0 {
		held = cl
	}
	h.setEarly(rh, status, held)
}

// setEarly records status and, when held > 0, sets the Content-Length
// aside and drops Expect.
func (h *Handler) setEarly(rh *fasthttp.RequestHeader, status, held int) {
	var b [32]byte
	v := strconv.AppendInt(b[:0], int64(status), 10)
	v = strconv.AppendInt(append(v, ' '), int64(held), 10)
	rh.SetCanonical(hdrEarly, v)
	if status != 0 {
		rh.DelBytes(hdrExpect)
	}
	if held > 0 {
		rh.SetContentLength(0)
	}
}

// takeEarly returns HeaderReceived's decision on ctx's request, if any
// (known), and puts back what it set aside: the request is as the client
// sent it again, but for Expect.
func (h *Handler) takeEarly(ctx *fasthttp.RequestCtx) (status int, known bool) {
	rh := &ctx.Request.Header
	v := rh.PeekBytes(hdrEarly)
	if v == nil {
		return 0, false
	}
	st, held, ok := parseEarly(v)
	rh.DelBytes(hdrEarly)
	// Only a held length fasthttp has seen as 0 is put back: a value the
	// client sent itself cannot change the framing of its body.
	if !ok || (held > 0 && rh.ContentLength() != 0) {
		return 0, false
	}
	if held > 0 {
		rh.SetContentLength(int(held))
	}
	return int(st), true
}

// peekEarly is takeEarly for the Expect handler, which runs before the
// handler and must leave the decision to it.
func (h *Handler) peekEarly(ctx *fasthttp.RequestCtx) (status int, known bool) {
	st, held, ok := parseEarly(ctx.Request.Header.PeekBytes(hdrEarly))
	if !ok || held != 0 {
		return 0, false
	}
	return int(st), true
}

func parseEarly(v []byte) (status, held int64, ok bool) {
	i := httpsem.IndexByte(v, ' ')
	if i < 0 {
		return 0, 0, false
	}
	status, ok1 := httpsem.ParseDigits(v[:i])
	held, ok2 := httpsem.ParseDigits(v[i+1:])
	return status, held, ok1 && ok2 && held <= 1<<62
}
