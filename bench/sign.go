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
// mod_http_upload_external, Metronome, HMAC File Server v3): the GET URL is
// base + escape(random) + "/" + escape(name), the PUT URL adds the token as
// one query parameter. The MAC comes from edge/token, so the harness signs
// exactly what the edge verifies.
type Signer struct {
	base     string // ends with "/"
	ver      token.Version
	mac      *token.Signer
	uploader string // v3 only
	now      func() time.Time
}

// NewSigner returns a Signer for slots below base. ver names the token
// version ("v1", "v2", "token", "v3"); uploader is signed and sent by v3 only.
// now may be nil (time.Now); it gives the v3 timestamp.
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
	return &Signer{
		base:     base,
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
// Content-Type and is signed as application/octet-stream) to dst.
//
// Only random and name are escaped; the MAC covers their decoded form
// random + "/" + name, as docs/protocol.md says.
func (s *Signer) AppendPutURL(dst []byte, random, name string, size int64, ctype string) []byte {
	dst = s.AppendGetURL(dst, random, name)
	c := token.Claims{Size: size, ContentType: []byte(ctype)}
	c.Path = make([]byte, 0, len(random)+1+len(name))
	c.Path = append(append(append(c.Path, random...), '/'), name...)
	var ts []byte
	if s.ver == token.V3 {
		ts = strconv.AppendInt(nil, s.now().Unix(), 10)
		c.Uploader = []byte(s.uploader)
		c.Timestamp = ts
	}
	dst = append(dst, '?')
	dst = append(dst, s.ver.String()...)
	dst = append(dst, '=')
	dst = s.mac.Append(dst, s.ver, &c)
	if s.ver == token.V3 {
		dst = append(dst, "&uploader="...)
		dst = append(dst, url.QueryEscape(s.uploader)...)
		dst = append(dst, "&ts="...)
		dst = append(dst, ts...)
	}
	return dst
}

// appendPathEscape escapes one path segment like url.PathEscape: '/' and
// everything outside the unreserved and sub-delims sets is percent-encoded,
// '+' stays '+' (the edge decodes paths with "+ stays +").
func appendPathEscape(dst []byte, seg string) []byte {
	return append(dst, url.PathEscape(seg)...)
}
