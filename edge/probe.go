package edge

import (
	"errors"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

// A request that carries a valid probe token (token.Signer.AppendProbe)
// in ProbeHeader gets ReceivedHeader on its answer: what reached the edge
// of the request line and the framing, as whatever stands in front passed
// them on. `upedge check` compares it with what it sent, to tell a proxy
// that rewrites paths or re-sends bodies chunked from one that does not.
// Only holders of the secret get it; to anyone else the edge says nothing
// more than it always does.
const (
	ProbeHeader    = "Upedge-Check"
	ReceivedHeader = "Upedge-Received"
)

var (
	hdrProbe    = []byte(ProbeHeader)
	hdrReceived = []byte(ReceivedHeader)
)

// applyReceived sets ReceivedHeader when the request carries a valid probe
// token. Its value is `length=N|chunked|none; type="CONTENT-TYPE";
// uri=RAW`: the Content-Type as a quoted string ("" when there is none),
// and the request URI exactly as received, last, so that nothing in it can
// be taken for a field.
func (h *Handler) applyReceived(ctx *fasthttp.RequestCtx, sc *scratch) {
	rh := &ctx.Request.Header
	probe := rh.PeekBytes(hdrProbe)
	if len(probe) == 0 || h.keys.Load().verifier.VerifyProbe(probe) != nil {
		return
	}
	b := append(sc.buf[:0], "length="...)
	n := rh.ContentLength()
	if _, held, ok := parseEarly(rh.PeekBytes(hdrEarly)); ok && held > 0 && n == 0 {
		// HeaderReceived set the length of a refused request aside
		// (early.go); it is what the request came with.
		n = int(held)
	}
	switch {
	case n == -1:
		b = append(b, "chunked"...)
	case n < 0 || (n == 0 && !hasContentLength(rh.RawHeaders())):
		b = append(b, "none"...)
	default:
		b = strconv.AppendInt(b, int64(n), 10)
	}
	b = append(b, "; type=\""...)
	for _, c := range rh.ContentType() {
		if c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	b = append(b, "\"; uri="...)
	b = append(b, rh.RequestURI()...)
	ctx.Response.Header.SetCanonical(hdrReceived, b)
	sc.buf = b
}

// Received is what ReceivedHeader says the edge received.
type Received struct {
	// Length is the request's Content-Length, or LengthChunked or
	// LengthNone.
	Length int64
	// ContentType is the request's Content-Type, "" when it had none.
	ContentType string
	// URI is the request URI as received: path and query, raw.
	URI string
}

// Length values of Received that are no Content-Length.
const (
	LengthChunked = -1
	LengthNone    = -2
)

// ParseReceived parses a ReceivedHeader value.
func ParseReceived(v string) (Received, error) {
	var r Received
	bad := func(why string) (Received, error) {
		return Received{}, errors.New("cannot parse " + ReceivedHeader + " " + strconv.Quote(v) + ": " + why)
	}
	rest, after, ok := strings.Cut(v, "; type=\"")
	if !ok {
		return bad("no type")
	}
	var ct []byte
	i := 0
	for ; i < len(after) && after[i] != '"'; i++ {
		if after[i] == '\\' && i+1 < len(after) {
			i++
		}
		ct = append(ct, after[i])
	}
	uri, ok := strings.CutPrefix(after[min(i+1, len(after)):], "; uri=")
	if i == len(after) || !ok {
		return bad("no uri after the type")
	}
	r.ContentType, r.URI = string(ct), uri
	for _, f := range strings.Split(rest, "; ") {
		k, val, _ := strings.Cut(f, "=")
		switch k {
		case "length":
			switch val {
			case "chunked":
				r.Length = LengthChunked
			case "none":
				r.Length = LengthNone
			default:
				n, err := strconv.ParseInt(val, 10, 64)
				if err != nil || n < 0 {
					return bad("bad length")
				}
				r.Length = n
			}
		}
	}
	return r, nil
}
