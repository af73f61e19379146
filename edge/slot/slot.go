// Package slot builds upload slots the way an XMPP server does: the PUT
// and GET URLs (Prosody's mod_http_upload_external escapes each path
// segment and appends the token as a query parameter; mod_http_file_share
// puts a JWT in an Authorization header instead) and Metronome's signed
// DELETE URL. It owns the `upedge sign` subcommand (Main, in cli.go). The
// benchmark harness and the tests use it too.
package slot

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/upedge/upedge/edge/token"
)

// Request describes a slot to sign.
type Request struct {
	Version     token.Version
	Base        string // base URL with prefix, e.g. https://host/upload/
	Path        string // decoded path below the prefix, e.g. "abc123/my photo.jpg"
	Size        int64
	ContentType string // what the client will send (a JWT: filetype); "" means application/octet-stream
	Uploader    string // v3 uploader; a JWT's sub
	// Timestamp is, in UNIX seconds, the v3 timestamp, or a JWT's iat.
	Timestamp int64
	// Expires is, in UNIX seconds, the expires of HMAC File Server 3.4's
	// v3 (required), or a JWT's expires claim (0: none, the file never
	// expires).
	Expires int64
	// Exp is a JWT's exp in UNIX seconds; 0 means Timestamp +
	// token.DefaultJWTLifetime, as Prosody signs.
	Exp int64
	// Escape percent-encodes one path segment; nil is url.PathEscape.
	// ProsodyEscape encodes as Prosody does.
	Escape func(segment string) string
}

// ProsodyEscape percent-encodes a path segment as Prosody's
// util.http.urlencode does for mod_http_upload_external's slots: every
// byte but ASCII letters, digits and ".~_-", with lower-case hex digits
// ("my file+.txt" becomes "my%20file%2b.txt"). Proxies that decode and
// re-encode paths write some of these differently, which `upedge check`
// relies on to see them.
func ProsodyEscape(segment string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(segment); i++ {
		switch c := segment[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '~', c == '_', c == '-':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// Slot is a signed slot as a client receives it.
type Slot struct {
	Put, Get string
	// Authorization is the value of the header the PUT must carry
	// ("Bearer " and a JWT), or "" for the query-token schemes.
	Authorization string
}

// URLs returns the PUT and GET URLs of r signed with secret. For a JWT
// slot, which also needs its Authorization header, use Sign.
func URLs(secret []byte, r Request) (put, get string) {
	s := Sign(token.NewSigner(secret), r)
	return s.Put, s.Get
}

// URLsWith is URLs with a Signer the caller keeps, for callers that sign
// many slots.
func URLsWith(s *token.Signer, r Request) (put, get string) {
	sl := Sign(s, r)
	return sl.Put, sl.Get
}

// Sign returns the slot r describes, signed by s. A JWT slot's path must
// be SLOT/FILENAME: the token names the two.
func Sign(s *token.Signer, r Request) Slot {
	base := r.Base
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	path := strings.TrimPrefix(r.Path, "/")
	get := base + escapePath(path, r.Escape)
	c := token.Claims{Path: []byte(path), Size: r.Size, ContentType: []byte(r.ContentType)}
	var extra string
	switch r.Version {
	case token.JWT:
		slotID, file, _ := strings.Cut(path, "/")
		exp := r.Exp
		if exp == 0 {
			exp = r.Timestamp + int64(token.DefaultJWTLifetime/time.Second)
		}
		jwt := s.AppendJWT([]byte("Bearer "), &token.JWTClaims{
			Slot: []byte(slotID), Filename: []byte(file), FileSize: r.Size,
			FileType: []byte(r.ContentType), Subject: []byte(r.Uploader),
			Exp: exp, IssuedAt: r.Timestamp, Expires: r.Expires,
		})
		// Prosody's slot: the same URL for PUT and GET.
		return Slot{Put: get, Get: get, Authorization: string(jwt)}
	case token.V3:
		c.Uploader = []byte(r.Uploader)
		c.Timestamp = strconv.AppendInt(nil, r.Timestamp, 10)
		extra = "&uploader=" + url.QueryEscape(r.Uploader) + "&ts=" + string(c.Timestamp)
	case token.V3Expires:
		c.Method = []byte("PUT")
		c.Expires = strconv.AppendInt(nil, r.Expires, 10)
		c.Prefix = []byte(basePath(base))
		extra = "&expires=" + string(c.Expires)
	}
	put := get + "?" + r.Version.Param() + "=" + string(s.Append(nil, r.Version, &c)) + extra
	return Slot{Put: put, Get: get}
}

// DeleteURL returns the URL of Metronome's signed DELETE of path (decoded,
// below the prefix) on base: base + escaped path + "?token=" + HMAC of
// path NUL deleteSecret keyed with the upload secret s holds.
func DeleteURL(s *token.Signer, deleteSecret []byte, base, path string) string {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	path = strings.TrimPrefix(path, "/")
	return base + escapePath(path, nil) + "?token=" + string(s.AppendDelete(nil, []byte(path), deleteSecret))
}

// escapePath percent-encodes each segment of a decoded path with escape
// (nil: url.PathEscape).
func escapePath(path string, escape func(string) string) string {
	if escape == nil {
		escape = url.PathEscape
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	return strings.Join(segs, "/")
}

// basePath returns the decoded path of a base URL, from its leading slash
// ("/upload/"): HMAC File Server 3.4's v3 signs it with the slot path.
func basePath(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.Path
}
