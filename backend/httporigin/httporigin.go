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
//
// # Metadata kept with the object
//
// Such an origin keeps bytes and nothing else: nginx serves a type it
// guesses from the file name. What the edge knows of an upload (Meta:
// its Content-Type, size, slot path, uploader and expiry) is kept in a
// small JSON sidecar object, MetaName(name) = "DIR/.upedge.FILE" beside
// "DIR/FILE". edge/urlpath refuses segments that start with ".upedge."
// (backend.ReservedPrefix) in every slot path, so a sidecar can never be
// fetched or overwritten as an upload of its own. Whoever keeps more per
// object (expiry, uploader for purges) adds a field to Meta: it is
// written by Put and read by Get, and nothing else changes.
//
//   - Put stores the object first (If-None-Match: *), then its sidecar
//     (replacing one an object removed by other means left behind). Only
//     the upload that won the name writes metadata, so racing uploads
//     never mix theirs.
//   - The sidecar write fails (twice: it is retried once): the upload
//     fails (502) and the object is deleted again, so that the slot can
//     be retried; if that DELETE fails too (an origin that refuses
//     DELETE), the object stays and is served as one without metadata.
//   - Get fetches the sidecar alongside the object, in parallel, and
//     serves the object with its Content-Type and Expires. No sidecar (an
//     object uploaded before sidecars existed, or the failure above):
//     the origin's own Content-Type. A sidecar that does not describe
//     the object (another size, or older than the object: the object was
//     replaced by other means) is ignored the same way. A sidecar that
//     cannot be read (the origin fails) fails the download (502/504):
//     expiry must not be skipped because the origin stumbled.
//   - The object deleted by other means: its sidecar stays (and keeps its
//     slot directory) until it is deleted too, and harms nothing: a new
//     upload of the name replaces it. Delete removes the object, then the
//     sidecar.
//
// # Long names
//
// A segment longer than MaxSegment bytes (NAME_MAX of the file systems
// origins keep files on; nginx answers 500 to longer ones) is sent in its
// backend/longname form: a readable head, a hash and the extension. The
// real name is in the sidecar.
package httporigin

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/internal/originclient"
	"github.com/upedge/upedge/backend/longname"
)

// MaxSegment is the longest path segment sent to the origin as it is,
// in bytes; longer ones are sent in their backend/longname form.
const MaxSegment = longname.NameMax

// Store is a backend.Store on an HTTP origin. Exists (HEAD) and Check
// (for health checks) are the client's; Put and Get are the client's
// streaming PUT (If-None-Match: *; it succeeds only on the origin's 200,
// 201 or 204) and GET (the origin evaluates Range; the returned Object
// has Status set and, for a GET with a body, Body streaming from the
// origin until Close), with the object's metadata written and read
// beside them (see the package doc).
type Store struct {
	*originclient.Client
	metas metaCache
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
			if !longname.Fits(name, MaxSegment) {
				name = string(longname.Append(nil, name, MaxSegment))
			}
			return AppendEscapedPath(dst, name)
		},
		Header:       hdrs,
		ProbeParents: true,
	})
	if err != nil {
		return nil, err
	}
	return &Store{Client: c}, nil
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

// Put implements backend.Store: the object, then its metadata (see the
// package doc).
func (s *Store) Put(ctx context.Context, name string, info backend.PutInfo, body io.Reader) error {
	if err := s.Client.Put(ctx, name, info, body); err != nil {
		return err
	}
	// What was remembered of an earlier object of that name (deleted by
	// other means) is not this one's.
	s.metas.forget(name)
	err := s.putMeta(ctx, newMeta(name, info))
	if err == nil {
		return nil
	}
	if derr := s.Client.Delete(ctx, name); derr != nil && !errors.Is(derr, backend.ErrNotFound) {
		return fmt.Errorf("%w: cannot store the metadata of %q (%v), nor delete the object again (%v): it stays, served without its Content-Type", backend.ErrUnavailable, name, err, derr)
	}
	return fmt.Errorf("%w: cannot store the metadata of %q, upload undone: %v", backend.ErrUnavailable, name, err)
}

// metaResult carries a sidecar read in parallel with its object.
type metaResult struct {
	meta    *Meta
	written time.Time // the sidecar's Last-Modified, or zero
	err     error
}

// Get implements backend.Store: the origin's answer about the object,
// with the Content-Type and Expires of its metadata. The sidecar is read
// at the same time as the object the first time; afterwards what it said
// is remembered for that version of the object (metaCache), and it is
// read again only when the object changed.
func (s *Store) Get(ctx context.Context, name string, req *backend.GetRequest) (*backend.Object, error) {
	if e, ok := s.metas.lookup(name); ok {
		o, err := s.Client.Get(ctx, name, req)
		if err != nil {
			return nil, err
		}
		if !e.valid(o) {
			m, written, err := s.getMeta(ctx, name)
			if err != nil {
				o.Close()
				return nil, err
			}
			e = s.learn(name, m, written, o)
		}
		if e.meta != nil {
			e.meta.apply(o)
		}
		return o, nil
	}
	mc := make(chan metaResult, 1)
	go func() {
		m, written, err := s.getMeta(ctx, name)
		mc <- metaResult{meta: m, written: written, err: err}
	}()
	o, err := s.Client.Get(ctx, name, req)
	r := <-mc
	if err != nil {
		return nil, err
	}
	if r.err != nil {
		o.Close()
		return nil, r.err
	}
	if e := s.learn(name, r.meta, r.written, o); e.meta != nil {
		e.meta.apply(o)
	}
	return o, nil
}

// learn remembers what the sidecar m, written at written, says about the
// version of the object o is, and returns it: m itself if it describes
// the object, nothing otherwise.
func (s *Store) learn(name string, m *Meta, written time.Time, o *backend.Object) metaEntry {
	e := metaEntry{size: o.Size, modTime: o.ModTime}
	if m != nil && m.describes(name, written, o) {
		e.meta = m
	}
	s.metas.store(name, e)
	return e
}

// Delete removes name and then its metadata (a sidecar without its object
// harms nothing; the other way round would serve the object without it).
// Nothing under name is backend.ErrNotFound.
func (s *Store) Delete(ctx context.Context, name string) error {
	s.metas.forget(name)
	if err := s.Client.Delete(ctx, name); err != nil {
		return err
	}
	if err := s.Client.Delete(ctx, MetaName(name)); err != nil && !errors.Is(err, backend.ErrNotFound) {
		return fmt.Errorf("cannot delete the metadata of %q: %w", name, err)
	}
	return nil
}
