// Package slot builds the PUT and GET URLs of an upload slot the way an
// XMPP server does (Prosody's mod_http_upload_external escapes each path
// segment and appends the token as a query parameter), and owns the
// `upedge sign` subcommand (Main, in cli.go). The benchmark harness and the
// tests use it too.
package slot

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/upedge/upedge/edge/token"
)

// Request describes a slot to sign.
type Request struct {
	Version     token.Version
	Base        string // base URL with prefix, e.g. https://host/upload/
	Path        string // decoded path below the prefix, e.g. "abc123/my photo.jpg"
	Size        int64
	ContentType string // what the client will send; "" means application/octet-stream
	Uploader    string // v3
	Timestamp   int64  // v3, UNIX seconds
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

// URLs returns the PUT and GET URLs of r signed with secret.
func URLs(secret []byte, r Request) (put, get string) {
	return URLsWith(token.NewSigner(secret), r)
}

// URLsWith is URLs with a Signer the caller keeps, for callers that sign
// many slots.
func URLsWith(s *token.Signer, r Request) (put, get string) {
	base := r.Base
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	escape := r.Escape
	if escape == nil {
		escape = url.PathEscape
	}
	segs := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	get = base + strings.Join(segs, "/")
	c := token.Claims{Path: []byte(strings.TrimPrefix(r.Path, "/")), Size: r.Size, ContentType: []byte(r.ContentType)}
	var extra string
	if r.Version == token.V3 {
		c.Uploader = []byte(r.Uploader)
		c.Timestamp = strconv.AppendInt(nil, r.Timestamp, 10)
		extra = "&uploader=" + url.QueryEscape(r.Uploader) + "&ts=" + string(c.Timestamp)
	}
	put = get + "?" + r.Version.String() + "=" + string(s.Append(nil, r.Version, &c)) + extra
	return put, get
}
