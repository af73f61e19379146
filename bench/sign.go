package bench

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/upedge/upedge/edge/token"
)

// Signer builds upload slots the way an XMPP server does (Prosody's
// mod_http_upload_external and mod_http_file_share, Metronome, HMAC File
// Server): the GET URL is base + escape(random) + "/" + escape(name), the
// PUT URL adds the token as one query parameter, or, for a JWT, is the GET
// URL and the token goes in an Authorization header
// (AppendAuthorization). The MAC comes from edge/token, so the harness
// signs exactly what the edge verifies.
type Signer struct {
	base     string // ends with "/"
	prefix   []byte // the base URL's path ("/upload/"), which v3-expires signs
	ver      token.Version
	mac      *token.Signer
	uploader string // v3; a JWT's sub
	now      func() time.Time
}

// v3ExpiresAhead is how far ahead the harness puts a v3-expires token's
// expires: far beyond any run.
const v3ExpiresAhead = time.Hour

// NewSigner returns a Signer for slots below base. ver names the token
// scheme ("v1", "v2", "token", "v3", "v3-expires", "jwt"); uploader is
// signed by v3 (and sent) and by a JWT (as sub). now may be nil
// (time.Now); it gives the v3 timestamp, a JWT's iat and v3-expires'
// expires.
func NewSigner(base, secret, ver, uploader string, now func() time.Time) (*Signer, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("cannot parse base URL %q: %w", base, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("cannot use base URL %q: want http://host[:port]/[prefix/]", base)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("cannot use base URL %q: it must not carry a query or fragment", base)
	}
	v, err := token.ParseVersion(ver)
	if err != nil {
		return nil, fmt.Errorf("cannot sign slots: %w", err)
	}
	if v == token.V3 && uploader == "" {
		return nil, fmt.Errorf("cannot sign v3 slots without an uploader")
	}
	if now == nil {
		now = time.Now
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	prefix := u.Path
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &Signer{
		base:     base,
		prefix:   []byte(prefix),
		ver:      v,
		mac:      token.NewSigner([]byte(secret)),
		uploader: uploader,
		now:      now,
	}, nil
}

// Version returns the token version the Signer signs with.
func (s *Signer) Version() token.Version { return s.ver }

// Base returns the base URL, ending with "/".
func (s *Signer) Base() string { return s.base }

// AppendGetURL appends the GET URL of the slot random/name to dst.
func (s *Signer) AppendGetURL(dst []byte, random, name string) []byte {
	dst = append(dst, s.base...)
	dst = appendPathEscape(dst, random)
	dst = append(dst, '/')
	return appendPathEscape(dst, name)
}

// AppendPutURL appends the signed PUT URL of the slot random/name for a body
// of size bytes sent with Content-Type ctype ("" means the PUT carries no
// Content-Type and is signed as application/octet-stream) to dst. For a
// JWT that is the GET URL: the token goes in AppendAuthorization's header.
//
// Only random and name are escaped; the MAC covers their decoded form
// random + "/" + name, as docs/protocol.md says.
func (s *Signer) AppendPutURL(dst []byte, random, name string, size int64, ctype string) []byte {
	dst = s.AppendGetURL(dst, random, name)
	if s.ver == token.JWT {
		return dst
	}
	c := token.Claims{Size: size, ContentType: []byte(ctype)}
	c.Path = make([]byte, 0, len(random)+1+len(name))
	c.Path = append(append(append(c.Path, random...), '/'), name...)
	var ts []byte
	switch s.ver {
	case token.V3:
		ts = strconv.AppendInt(nil, s.now().Unix(), 10)
		c.Uploader = []byte(s.uploader)
		c.Timestamp = ts
	case token.V3Expires:
		ts = strconv.AppendInt(nil, s.now().Add(v3ExpiresAhead).Unix(), 10)
		c.Method = []byte("PUT")
		c.Expires = ts
		c.Prefix = s.prefix
	}
	dst = append(dst, '?')
	dst = append(dst, s.ver.Param()...)
	dst = append(dst, '=')
	dst = s.mac.Append(dst, s.ver, &c)
	switch s.ver {
	case token.V3:
		dst = append(dst, "&uploader="...)
		dst = append(dst, url.QueryEscape(s.uploader)...)
		dst = append(dst, "&ts="...)
		dst = append(dst, ts...)
	case token.V3Expires:
		dst = append(dst, "&expires="...)
		dst = append(dst, ts...)
	}
	return dst
}

// AppendAuthorization appends the value of the Authorization header of a
// PUT of the slot random/name ("Bearer " and a JWT signed as Prosody's
// mod_http_file_share does: filetype ctype, sub the uploader, valid for
// token.DefaultJWTLifetime) to dst; for the query-token schemes it returns
// dst as it is.
func (s *Signer) AppendAuthorization(dst []byte, random, name string, size int64, ctype string) []byte {
	if s.ver != token.JWT {
		return dst
	}
	now := s.now().Unix()
	dst = append(dst, "Bearer "...)
	return s.mac.AppendJWT(dst, &token.JWTClaims{
		Slot: []byte(random), Filename: []byte(name), FileSize: size,
		FileType: []byte(ctype), Subject: []byte(s.uploader),
		IssuedAt: now, Exp: now + int64(token.DefaultJWTLifetime/time.Second),
	})
}

// appendPathEscape escapes one path segment like url.PathEscape: '/' and
// everything outside the unreserved and sub-delims sets is percent-encoded,
// '+' stays '+' (the edge decodes paths with "+ stays +").
func appendPathEscape(dst []byte, seg string) []byte {
	return append(dst, url.PathEscape(seg)...)
}
