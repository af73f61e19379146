// Package httporigin keeps uploads on an upstream HTTP/WebDAV origin
// (nginx with dav_methods PUT, Apache mod_dav, another HTTP server that
// accepts PUT): the edge verifies the token, then streams the body to
// origin+name and proxies downloads back.
//
// An upload is sent with If-None-Match: *, and the origin's 412 (or 409)
// becomes backend.ErrExists. Only an origin that honours the header makes
// "never overwrite" and "one of concurrent uploads wins" hold; nginx does
// not (see the README, "Upstream origins"), so behind nginx the edge's Exists check is the
// only guard and two uploads racing for one name may both succeed.
package httporigin

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/internal/originclient"
)

// Store is a backend.Store on an HTTP origin. Its methods are the
// client's: Exists (HEAD), Put (a PUT with If-None-Match: * that succeeds
// only on the origin's 200, 201 or 204), Get (the origin evaluates Range;
// the returned Object has Status set and, for a GET with a body, Body
// streaming from the origin until Close), and Check for health checks.
type Store struct {
	*originclient.Client
}

var _ backend.Store = (*Store)(nil)

// New returns a Store that keeps uploads below rawURL, an http:// or
// https:// URL whose path (if any) is the directory on the origin. It
// reads opts.Headers, User, Password and the connection settings.
func New(rawURL string, opts originclient.Options) (*Store, error) {
	scheme, err := originclient.Scheme(rawURL)
	if err != nil {
		return nil, err
	}
	if scheme != "http" && scheme != "https" {
		return nil, badURL(fmt.Errorf("cannot use origin URL with scheme %q: want http or https", scheme))
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, badURL(fmt.Errorf("cannot parse origin URL: %w", err))
	}
	if u.Host == "" {
		return nil, badURL(fmt.Errorf("cannot use origin URL %q: no host", rawURL))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, badURL(fmt.Errorf("cannot use origin URL %q: query or fragment not allowed", rawURL))
	}
	hdrs, err := originclient.ParseHeaders(opts.Headers)
	if err != nil {
		return nil, err
	}
	user, pass := opts.User, opts.Password
	if user == "" && u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	if user != "" {
		hdrs = append(hdrs, originclient.Header{
			Name:  "Authorization",
			Value: "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)),
		})
	}
	base := u.EscapedPath()
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	tlsOn := u.Scheme == "https"
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if tlsOn {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	label := u.Scheme + "://" + u.Host + base
	c, err := originclient.New(originclient.Config{
		Options: opts,
		Label:   label,
		TLS:     tlsOn,
		Addr:    addr,
		Host:    u.Host,
		AppendPath: func(dst []byte, name string) []byte {
			dst = append(dst, base...)
			return AppendEscapedPath(dst, name)
		},
		Header:       hdrs,
		ProbeParents: true,
	})
	if err != nil {
		return nil, err
	}
	return &Store{c}, nil
}

func badURL(err error) error { return &originclient.FieldError{Field: "URL", Err: err} }

// AppendEscapedPath appends name with every byte but the unreserved ones
// (RFC 3986) and the segment separator '/' percent-encoded: whatever the
// file name, the origin decodes it back to exactly name.
func AppendEscapedPath(dst []byte, name string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '/' || c == '-' || c == '.' || c == '_' || c == '~' ||
			'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hex[c>>4], hex[c&15])
	}
	return dst
}
