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
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/internal/originclient"
)

// Options configure a Store.
type Options struct {
	// Header are static headers sent with every request to the origin,
	// for example a shared secret the origin checks. Hop-by-hop and
	// framing headers are refused.
	Header map[string]string
	// Username and Password, when Username is set, are sent as basic
	// authentication.
	Username, Password string
	// Timeout bounds every wait on the origin (connect, each write, each
	// read); 0 means 30 s. A long upload from a slow client is fine as
	// long as the origin keeps taking bytes.
	Timeout time.Duration
	// MaxConns limits connections to the origin, for uploads and for
	// downloads each; 0 means 512.
	MaxConns int
	// TLSConfig for an https origin; nil means the system's roots.
	TLSConfig *tls.Config
	// SkipExistsCheck makes Exists answer false without asking the
	// origin, saving a round trip per upload. Only for an origin that
	// refuses a taken name itself (nginx with configs/nginx-origin.conf):
	// a doomed upload's body is then read before the 409.
	SkipExistsCheck bool
}

// Store is a backend.Store on an HTTP origin.
type Store struct {
	c    *originclient.Client
	skip bool
}

var _ backend.Store = (*Store)(nil)

// New returns a Store that keeps uploads below rawURL, an http:// or
// https:// URL whose path (if any) is the directory on the origin.
func New(rawURL string, opts Options) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("cannot parse origin URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("cannot use origin URL with scheme %q: want http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("cannot use origin URL %q: no host", rawURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("cannot use origin URL %q: query or fragment not allowed", rawURL)
	}
	hdrs, err := headers(opts.Header)
	if err != nil {
		return nil, err
	}
	user, pass := opts.Username, opts.Password
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
	c := originclient.New(originclient.Config{
		Label: label,
		TLS:   tlsOn,
		Addr:  addr,
		Host:  u.Host,
		AppendPath: func(dst []byte, name string) []byte {
			dst = append(dst, base...)
			return AppendEscapedPath(dst, name)
		},
		Header:       hdrs,
		ProbeParents: true,
		Timeout:      opts.Timeout,
		MaxConns:     opts.MaxConns,
		TLSConfig:    opts.TLSConfig,
	})
	return &Store{c: c, skip: opts.SkipExistsCheck}, nil
}

// hopByHop are headers that belong to one connection (RFC 9110 §7.6.1)
// or to the framing the client sets itself.
var hopByHop = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-authenticate": true,
	"proxy-authorization": true, "proxy-connection": true, "te": true,
	"trailer": true, "transfer-encoding": true, "upgrade": true,
	"host": true, "content-length": true,
}

// headers validates the static headers, in a stable order.
func headers(m map[string]string) ([]originclient.Header, error) {
	out := make([]originclient.Header, 0, len(m)+1)
	for k, v := range m {
		if hopByHop[strings.ToLower(k)] {
			return nil, fmt.Errorf("cannot send header %q to the origin: hop-by-hop or framing header", k)
		}
		if k == "" || strings.ContainsAny(k, " \t\r\n:") || strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("cannot send header %q to the origin: malformed", k)
		}
		out = append(out, originclient.Header{Name: k, Value: v})
	}
	return out, nil
}

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

// Exists implements backend.Store with a HEAD request.
func (s *Store) Exists(ctx context.Context, name string) (bool, error) {
	if s.skip {
		return false, nil
	}
	return s.c.Exists(ctx, name)
}

// Check reports whether the origin answers (a HEAD), for health checks.
func (s *Store) Check(ctx context.Context) error {
	_, err := s.c.Exists(ctx, originclient.HealthProbe)
	return err
}

// Put implements backend.Store: it streams body to the origin with
// If-None-Match: * and succeeds only on the origin's 200, 201 or 204.
func (s *Store) Put(ctx context.Context, name string, info backend.PutInfo, body io.Reader) error {
	return s.c.Put(ctx, name, info, body)
}

// Get implements backend.Store: the origin evaluates Range and the
// preconditions; the returned Object has Status set and, for a GET with a
// body, Body streaming from the origin until Close.
func (s *Store) Get(ctx context.Context, name string, req *backend.GetRequest) (*backend.Object, error) {
	return s.c.Get(ctx, name, req)
}
