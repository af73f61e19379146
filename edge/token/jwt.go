package token

import (
	"bytes"
	"encoding/base64"
	"math"
	"strconv"
	"time"

	sha256 "github.com/minio/sha256-simd"
	"github.com/valyala/fastjson"
)

// The JWT of Prosody 0.12's mod_http_file_share with an external service
// (http_file_share_base_url): a compact JWS, HS256 only, whose claims name
// the slot and the file. util/jwt.lua and mod_http_file_share.lua beside
// it are the reference; docs/protocol.md has the rules and a vector.

// jwtHeaderJSON is the header Prosody's util.jwt puts on every token.
const jwtHeaderJSON = `{"alg":"HS256","typ":"JWT"}`

// b64 decodes the three parts: base64url without padding, and only the
// canonical encoding, so that one token has exactly one spelling.
var b64 = base64.RawURLEncoding.Strict()

// jwtHeaderB64 is jwtHeaderJSON as it appears in a token: a token that
// carries exactly it skips the JSON parse of its header.
var jwtHeaderB64 = []byte(base64.RawURLEncoding.EncodeToString([]byte(jwtHeaderJSON)))

// DefaultJWTLifetime is how long Prosody's mod_http_file_share makes its
// tokens valid (exp = iat + 300): signers here do the same by default.
const DefaultJWTLifetime = 300 * time.Second

// maxJWT bounds the length of a token the Verifier looks at. Prosody's
// are about 400 bytes with a long file name; fasthttp's default 4 KiB read
// buffer bounds the request head anyway.
const maxJWT = 8 << 10

// sigLen is the length of an HS256 signature in base64url.
var sigLen = base64.RawURLEncoding.EncodedLen(sha256.Size)

// JWTClaims are the claims of a JWT upload token. VerifyJWT fills them;
// Signer.AppendJWT signs them.
//
// A JWTClaims holds the parser and buffer its byte slices point into, so
// verifying with one that is reused (pooled) allocates nothing. The slices
// are valid until the next VerifyJWT with the same JWTClaims. It is not
// safe for concurrent use.
type JWTClaims struct {
	Slot     []byte // "slot": the first path segment
	Filename []byte // "filename": the rest of the path, decoded
	FileSize int64  // "filesize": the exact body size in bytes
	// FileType ("filetype") is the Content-Type to store and serve the
	// file with, whatever the PUT says; empty when absent, which means
	// DefaultContentType.
	FileType []byte
	// Subject ("sub") is the uploader's bare JID; empty when absent.
	Subject []byte
	Exp     int64 // "exp": UNIX seconds after which the token is void
	// IssuedAt ("iat") and Expires ("expires", after which the file must
	// not be served) are UNIX seconds, or 0 when absent.
	IssuedAt int64
	Expires  int64

	buf []byte          // the decoded header or payload
	p   fastjson.Parser // the claims' bytes live in its copy of buf
}

// VerifyJWT checks tok, a compact JWS from an "Authorization: Bearer"
// header, against the secrets in force and the request it came with: path
// (decoded, below the prefix, no leading slash) must be Slot "/" Filename,
// and size, when known (the Content-Length; negative for a chunked body),
// must be FileSize. On success c holds the claims and the caller must hold
// the body to c.FileSize bytes (backend.ExactReader) when size was unknown.
//
// Errors, in the order they are checked (Prosody's): ErrDisabled (jwt
// switched off), ErrNoToken, ErrMalformed (not three base64url parts, a
// header or payload that is not a JSON object), ErrAlgorithm (not HS256),
// ErrMismatch (signed with none of the secrets), ErrBadClaims (exp,
// slot, filename or filesize missing or of the wrong type; control bytes
// in filetype or sub), ErrExpired (now past exp), ErrWrongPath,
// ErrWrongSize. A refusal before the signature is checked allocates nothing
// unless the header is not Prosody's canonical one.
func (v *Verifier) VerifyJWT(tok, path []byte, size int64, c *JWTClaims) (Key, error) {
	if !v.schemes.Has(JWT) {
		return 0, ErrDisabled
	}
	if len(tok) == 0 {
		return 0, ErrNoToken
	}
	if len(tok) > maxJWT {
		return 0, ErrMalformed
	}
	i := bytes.IndexByte(tok, '.')
	j := bytes.LastIndexByte(tok, '.')
	if i <= 0 || j <= i+1 || bytes.IndexByte(tok[i+1:j], '.') >= 0 || len(tok)-j-1 != sigLen {
		return 0, ErrMalformed
	}
	if hdr := tok[:i]; !bytes.Equal(hdr, jwtHeaderB64) {
		if err := c.checkHeader(hdr); err != nil {
			return 0, err
		}
	}
	var want [sha256.Size]byte
	if n, err := b64.Decode(want[:], tok[j+1:]); err != nil || n != len(want) {
		return 0, ErrMalformed
	}
	key, ok := v.matchRaw(tok[:j], want[:])
	if !ok {
		return 0, ErrMismatch
	}
	if err := c.parse(tok[i+1 : j]); err != nil {
		return key, err
	}
	// Prosody's rule: void once now is past exp, not at it.
	if v.now().Unix() > c.Exp {
		return key, ErrExpired
	}
	if !c.matches(path) {
		return key, ErrWrongPath
	}
	if size >= 0 && size != c.FileSize {
		return key, ErrWrongSize
	}
	return key, nil
}

// decode base64url-decodes part into c.buf and returns it.
func (c *JWTClaims) decode(part []byte) ([]byte, bool) {
	n := b64.DecodedLen(len(part))
	if cap(c.buf) < n {
		c.buf = make([]byte, n, max(n, 512))
	}
	m, err := b64.Decode(c.buf[:n], part)
	if err != nil {
		return nil, false
	}
	return c.buf[:m], true
}

// checkHeader checks a header other than Prosody's canonical one: a JSON
// object whose alg is HS256.
func (c *JWTClaims) checkHeader(part []byte) error {
	js, ok := c.decode(part)
	if !ok {
		return ErrMalformed
	}
	h, err := c.p.ParseBytes(js)
	if err != nil || h.Type() != fastjson.TypeObject {
		return ErrMalformed
	}
	alg := h.Get("alg")
	if alg == nil || alg.Type() != fastjson.TypeString {
		return ErrAlgorithm
	}
	if b, _ := alg.StringBytes(); string(b) != "HS256" {
		return ErrAlgorithm
	}
	return nil
}

// parse decodes and reads the payload's claims.
func (c *JWTClaims) parse(part []byte) error {
	c.Slot, c.Filename, c.FileType, c.Subject = nil, nil, nil, nil
	c.FileSize, c.Exp, c.IssuedAt, c.Expires = 0, 0, 0, 0
	js, ok := c.decode(part)
	if !ok {
		return ErrMalformed
	}
	val, err := c.p.ParseBytes(js)
	if err != nil {
		return ErrMalformed
	}
	if val.Type() != fastjson.TypeObject {
		return ErrMalformed
	}
	o, _ := val.Object()
	var okExp, okSlot, okName, okSize bool
	c.Exp, okExp = claimInt(o.Get("exp"))
	c.Slot, okSlot = claimString(o.Get("slot"))
	c.Filename, okName = claimString(o.Get("filename"))
	c.FileSize, okSize = claimInt(o.Get("filesize"))
	if !okExp || !okSlot || !okName || !okSize || c.FileSize < 0 ||
		len(c.Slot) == 0 || len(c.Filename) == 0 ||
		bytes.IndexByte(c.Slot, '/') >= 0 || bytes.IndexByte(c.Filename, '/') >= 0 {
		return ErrBadClaims
	}
	var okType, okSub, okIat, okExpires bool
	c.FileType, okType = optString(o.Get("filetype"))
	c.Subject, okSub = optString(o.Get("sub"))
	c.IssuedAt, okIat = optInt(o.Get("iat"))
	c.Expires, okExpires = optInt(o.Get("expires"))
	if !okType || !okSub || !okIat || !okExpires || hasCTL(c.FileType) || hasCTL(c.Subject) {
		return ErrBadClaims
	}
	return nil
}

// matches reports whether path is Slot "/" Filename.
func (c *JWTClaims) matches(path []byte) bool {
	s := len(c.Slot)
	return len(path) == s+1+len(c.Filename) && path[s] == '/' &&
		bytes.Equal(path[:s], c.Slot) && bytes.Equal(path[s+1:], c.Filename)
}

// claimString returns a required string claim.
func claimString(v *fastjson.Value) ([]byte, bool) {
	if v == nil || v.Type() != fastjson.TypeString {
		return nil, false
	}
	b, _ := v.StringBytes()
	return b, true
}

// optString returns an optional string claim: absent and null are empty.
func optString(v *fastjson.Value) ([]byte, bool) {
	if v == nil || v.Type() == fastjson.TypeNull {
		return nil, true
	}
	return claimString(v)
}

// claimInt returns a required integral number claim. Prosody runs on Lua
// 5.4, whose integral floats print as "7168.0": those are taken too.
func claimInt(v *fastjson.Value) (int64, bool) {
	if v == nil || v.Type() != fastjson.TypeNumber {
		return 0, false
	}
	if n, err := v.Int64(); err == nil {
		return n, true
	}
	f, err := v.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// optInt returns an optional integral number claim: absent and null are 0.
func optInt(v *fastjson.Value) (int64, bool) {
	if v == nil || v.Type() == fastjson.TypeNull {
		return 0, true
	}
	return claimInt(v)
}

// AppendJWT appends to dst the token Prosody's util.jwt would sign for c:
// header {"alg":"HS256","typ":"JWT"}, the claims in key order (as Prosody's
// util.json writes tables), expires omitted when 0, sub when empty, and
// filetype DefaultContentType when empty.
func (s *Signer) AppendJWT(dst []byte, c *JWTClaims) []byte {
	st := s.k.get()
	defer s.k.put(st)
	js := append(st.json[:0], `{"exp":`...)
	js = strconv.AppendInt(js, c.Exp, 10)
	if c.Expires != 0 {
		js = append(js, `,"expires":`...)
		js = strconv.AppendInt(js, c.Expires, 10)
	}
	js = append(js, `,"filename":`...)
	js = appendJSONString(js, c.Filename)
	js = append(js, `,"filesize":`...)
	js = strconv.AppendInt(js, c.FileSize, 10)
	js = append(js, `,"filetype":`...)
	if len(c.FileType) == 0 {
		js = appendJSONString(js, stringBytes(DefaultContentType))
	} else {
		js = appendJSONString(js, c.FileType)
	}
	js = append(js, `,"iat":`...)
	js = strconv.AppendInt(js, c.IssuedAt, 10)
	js = append(js, `,"slot":`...)
	js = appendJSONString(js, c.Slot)
	if len(c.Subject) > 0 {
		js = append(js, `,"sub":`...)
		js = appendJSONString(js, c.Subject)
	}
	js = append(js, '}')
	st.json = js
	start := len(dst)
	dst = append(dst, jwtHeaderB64...)
	dst = append(dst, '.')
	dst = base64.RawURLEncoding.AppendEncode(dst, js)
	sum := st.sumRaw(dst[start:])
	dst = append(dst, '.')
	return base64.RawURLEncoding.AppendEncode(dst, sum)
}

// appendJSONString appends s as a JSON string escaped as Prosody's
// util.json escapes it: \" \\ \b \f \n \r \t, other control bytes as
// \u00XX, everything else (UTF-8, '/') as it is.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789ABCDEF"
	dst = append(dst, '"')
	for _, c := range s {
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}
