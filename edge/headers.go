package edge

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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

// answerHeaders are the headers every answer carries, built once: CORS,
// since browsers (Converse.js, Movim, JSXC) upload from the chat's origin
// and hide any answer, errors included, that lacks
// Access-Control-Allow-Origin; and, over TLS, Strict-Transport-Security.
type answerHeaders struct {
	origin []byte
	hsts   []byte // nil: none
}

func newAnswerHeaders(origin, hsts string) answerHeaders {
	a := answerHeaders{origin: []byte(origin)}
	if hsts != "" {
		a.hsts = []byte(hsts)
	}
	return a
}

var (
	hdrACAO = []byte("Access-Control-Allow-Origin")
	hdrACAM = []byte("Access-Control-Allow-Methods")
	hdrACAH = []byte("Access-Control-Allow-Headers")
	hdrACEH = []byte("Access-Control-Expose-Headers")
	hdrACMA = []byte("Access-Control-Max-Age")
	hdrHSTS = []byte("Strict-Transport-Security")
	// Authorization by name: browsers send the JWT of Prosody's
	// mod_http_file_share in it, and "*" would not cover it.
	corsAllowHeaders = []byte("Authorization, Content-Type, Content-Length, X-Uploader, X-Timestamp, Range, If-Range, If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since")
	corsExpose       = []byte("Content-Length, Content-Range, Content-Disposition, ETag, Last-Modified, Accept-Ranges")
	corsMaxAge       = []byte("86400")
)

// apply sets the headers of every answer on ctx's response. HSTS goes
// only on answers over TLS: RFC 6797 section 7.2 forbids it over plain
// HTTP, where a man in the middle could forge it.
func (a *answerHeaders) apply(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	h.SetCanonical(hdrACAO, a.origin)
	h.SetCanonical(hdrACEH, corsExpose)
	if a.hsts != nil && ctx.IsTLS() {
		h.SetCanonical(hdrHSTS, a.hsts)
	}
}

// applyPreflight sets the preflight answer; allow lists the methods, as
// the keys in force say (DELETE only with a delete secret).
func (a *answerHeaders) applyPreflight(h *fasthttp.ResponseHeader, allow []byte) {
	h.SetCanonical(hdrACAM, allow)
	h.SetCanonical(hdrACAH, corsAllowHeaders)
	h.SetCanonical(hdrACMA, corsMaxAge)
}

// maxAge is how long caches may keep an upload, in seconds: a year, since
// uploads never change (RFC 9111 §5.2.2.1 advises no more).
const maxAge = 365 * 24 * 3600

var (
	hdrNosniff = []byte("X-Content-Type-Options")
	valNosniff = []byte("nosniff")
	hdrCSP     = []byte("Content-Security-Policy")
	// frame-ancestors 'none' and X-Frame-Options: DENY keep an upload
	// from being framed by another page (clickjacking), as XEP-0363's
	// security considerations show; X-Frame-Options is for browsers that
	// predate CSP level 2.
	valCSP          = []byte("default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox")
	hdrFrameOptions = []byte("X-Frame-Options")
	valDeny         = []byte("DENY")
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
// part of our origin: nosniff, a sandboxing CSP that also forbids framing,
// X-Frame-Options, and attachment for anything a browser would otherwise
// render as active content.
// buf is scratch space; the grown buffer is returned for reuse.
func applySafe(h *fasthttp.ResponseHeader, contentType string, name, buf []byte) []byte {
	h.SetCanonical(hdrNosniff, valNosniff)
	h.SetCanonical(hdrCSP, valCSP)
	h.SetCanonical(hdrFrameOptions, valDeny)
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

// ValidHSTS checks a Strict-Transport-Security value against RFC 6797
// section 6.1: directives separated by ";", each a token with an optional
// token or quoted-string value, none twice, and exactly one max-age of
// decimal seconds. The error names what is wrong.
func ValidHSTS(v string) error {
	seen := map[string]bool{}
	for _, d := range strings.Split(v, ";") {
		d = httpsem.TrimSpace(d)
		if d == "" {
			continue
		}
		name, value, hasValue := strings.Cut(d, "=")
		name, value = httpsem.TrimSpace(name), httpsem.TrimSpace(value)
		if !isToken(name) {
			return fmt.Errorf("directive %q is not a token", name)
		}
		key := strings.ToLower(name)
		if seen[key] {
			return fmt.Errorf("directive %q appears twice", name)
		}
		seen[key] = true
		if hasValue {
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			for i := 0; i < len(value); i++ {
				if c := value[i]; c < 0x20 || c == 0x7f || c == '"' || c == '\\' {
					return fmt.Errorf("directive %q has a value with %q", name, c)
				}
			}
		}
		if key == "max-age" {
			if _, ok := httpsem.ParseDigits(value); !ok {
				return fmt.Errorf("max-age %q is not a number of seconds", value)
			}
		}
	}
	if !seen["max-age"] {
		return errors.New("no max-age directive")
	}
	return nil
}

// isToken reports whether s is an RFC 9110 token (section 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
