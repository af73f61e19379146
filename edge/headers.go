package edge

import (
	"strconv"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend/httpsem"
)

// Header keys below are set with SetCanonical: they are written in
// canonical form already, and fasthttp's normalisation of each key showed
// in profiles of small downloads.

// stringBytes returns the bytes of s without copying; the caller must not
// modify them (fasthttp copies header values it is given).
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// corsHeaders are the CORS answers, built once. Browsers (Converse.js,
// Movim, JSXC) upload from the chat's origin, and hide any answer, errors
// included, that lacks Access-Control-Allow-Origin.
type corsHeaders struct {
	origin []byte
}

func newCORSHeaders(origin string) corsHeaders {
	return corsHeaders{origin: []byte(origin)}
}

var (
	hdrACAO = []byte("Access-Control-Allow-Origin")
	hdrACAM = []byte("Access-Control-Allow-Methods")
	hdrACAH = []byte("Access-Control-Allow-Headers")
	hdrACEH = []byte("Access-Control-Expose-Headers")
	hdrACMA = []byte("Access-Control-Max-Age")
	// Authorization by name: browsers send the JWT of Prosody's
	// mod_http_file_share in it, and "*" would not cover it.
	corsAllowHeaders = []byte("Authorization, Content-Type, Content-Length, X-Uploader, X-Timestamp, Range, If-Range, If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since")
	corsExpose       = []byte("Content-Length, Content-Range, Content-Disposition, ETag, Last-Modified, Accept-Ranges")
	corsMaxAge       = []byte("86400")
)

func (c *corsHeaders) apply(h *fasthttp.ResponseHeader) {
	h.SetCanonical(hdrACAO, c.origin)
	h.SetCanonical(hdrACEH, corsExpose)
}

// applyPreflight sets the preflight answer; allow lists the methods, as
// the keys in force say (DELETE only with a delete secret).
func (c *corsHeaders) applyPreflight(h *fasthttp.ResponseHeader, allow []byte) {
	h.SetCanonical(hdrACAM, allow)
	h.SetCanonical(hdrACAH, corsAllowHeaders)
	h.SetCanonical(hdrACMA, corsMaxAge)
}

// maxAge is how long caches may keep an upload, in seconds: a year, since
// uploads never change (RFC 9111 §5.2.2.1 advises no more).
const maxAge = 365 * 24 * 3600

var (
	hdrNosniff      = []byte("X-Content-Type-Options")
	valNosniff      = []byte("nosniff")
	hdrCSP          = []byte("Content-Security-Policy")
	valCSP          = []byte("default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox")
	hdrCacheControl = []byte("Cache-Control")
	// valCacheExpiring starts the Cache-Control of an upload with an
	// expiry; the seconds left until it follow.
	valCacheExpiring  = []byte("public, max-age=")
	valCacheImmutable = []byte(string(valCacheExpiring) + strconv.Itoa(maxAge) + ", immutable")
	hdrAcceptRanges   = []byte("Accept-Ranges")
	valBytes          = []byte("bytes")
	hdrDisposition    = []byte("Content-Disposition")
	valAttachment     = []byte("attachment")
	valInline         = []byte("inline")
	hdrReferrerPolicy = []byte("Referrer-Policy")
	valNoReferrer     = []byte("no-referrer")
)

// applySafe sets the headers that keep uploaded content from running as
// part of our origin: nosniff, a sandboxing CSP, and attachment for
// anything a browser would otherwise render as active content.
// buf is scratch space; the grown buffer is returned for reuse.
func applySafe(h *fasthttp.ResponseHeader, contentType string, name, buf []byte) []byte {
	h.SetCanonical(hdrNosniff, valNosniff)
	h.SetCanonical(hdrCSP, valCSP)
	h.SetCanonical(hdrReferrerPolicy, valNoReferrer)
	disp := valAttachment
	if inlineSafe(contentType) {
		disp = valInline
	}
	buf = appendDisposition(buf[:0], disp, name)
	h.SetCanonical(hdrDisposition, buf)
	return buf
}

// appendDisposition appends `disp; filename*=UTF-8”NAME` (RFC 6266, RFC
// 8187) for the last segment of name to dst.
func appendDisposition(dst, disp, name []byte) []byte {
	dst = append(dst, disp...)
	base := name
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			base = name[i+1:]
			break
		}
	}
	if len(base) == 0 {
		return dst
	}
	dst = append(dst, "; filename*=UTF-8''"...)
	const hexd = "0123456789ABCDEF"
	for _, c := range base {
		if isAttrChar(c) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', hexd[c>>4], hexd[c&15])
		}
	}
	return dst
}

// isAttrChar reports whether c may stand unescaped in an RFC 8187 value.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '&', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// inlineSafe reports whether a browser may show contentType inline: media
// and plain text, but not SVG, which is a document that runs scripts.
func inlineSafe(contentType string) bool {
	mt := httpsem.MediaType(contentType)
	switch {
	case httpsem.HasPrefixFold(mt, "image/"):
		return !httpsem.EqualFold(mt, "image/svg+xml")
	case httpsem.HasPrefixFold(mt, "video/"), httpsem.HasPrefixFold(mt, "audio/"):
		return true
	}
	return httpsem.EqualFold(mt, "text/plain")
}
