package originclient

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
)

// The metadata of PutInfo that an origin keeps with the object when it
// keeps user metadata: S3 as x-amz-meta-* headers, sent (and signed) with
// the PUT and returned on every GET and HEAD. Config.MetaPrefix names the
// header prefix; an origin without one (plain HTTP/WebDAV: nginx keeps no
// metadata) keeps none of it, see backend/httporigin.
const (
	// metaUploader is PutInfo.Uploader, escaped by appendMetaValue.
	metaUploader = "upedge-uploader"
	// metaExpires is PutInfo.Expires in decimal UNIX seconds.
	metaExpires = "upedge-expires"
)

// KeepsMeta reports whether the origin keeps the uploader and expiry of
// uploads (Config.MetaPrefix is set).
func (c *Client) KeepsMeta() bool { return c.cfg.MetaPrefix != "" }

// setMeta adds the metadata of info to an upload request.
func (c *Client) setMeta(req *fasthttp.Request, info *backend.PutInfo) {
	if c.cfg.MetaPrefix == "" {
		return
	}
	if info.Uploader != "" {
		req.Header.SetBytesV(c.cfg.MetaPrefix+metaUploader, appendMetaValue(nil, info.Uploader))
	}
	if !info.Expires.IsZero() {
		req.Header.Set(c.cfg.MetaPrefix+metaExpires, strconv.FormatInt(max(info.Expires.Unix(), 1), 10))
	}
}

// readMeta sets o.Expires from an answer's headers.
func (c *Client) readMeta(h *fasthttp.ResponseHeader, o *backend.Object) {
	if c.cfg.MetaPrefix == "" {
		return
	}
	v := h.Peek(c.cfg.MetaPrefix + metaExpires)
	if len(v) == 0 {
		return
	}
	if sec, err := strconv.ParseInt(string(v), 10, 64); err == nil && sec > 0 {
		o.Expires = time.Unix(sec, 0)
	}
}

// appendMetaValue appends s to dst with '%', controls, spaces and
// non-ASCII bytes percent-encoded: S3 keeps metadata values as US-ASCII
// header values, and JIDs may be any Unicode. url.PathUnescape reverses
// it.
func appendMetaValue(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b <= ' ' || b >= 0x7f || b == '%' {
			dst = append(dst, '%', hex[b>>4], hex[b&15])
			continue
		}
		dst = append(dst, b)
	}
	return dst
}

// Stat asks the origin (HEAD) for the size of name and the uploader kept
// with it; backend.ErrNotFound when there is no such object.
func (c *Client) Stat(ctx context.Context, name string) (backend.ObjectInfo, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.prepare(req, fasthttp.MethodHead, name)
	if err := c.finish(req, name); err != nil {
		return backend.ObjectInfo{}, err
	}
	resp.SkipBody = true
	if err := c.do(ctx, req, resp); err != nil {
		return backend.ObjectInfo{}, c.failed(fasthttp.MethodHead, name, err)
	}
	switch st := resp.StatusCode(); {
	case st == fasthttp.StatusNotFound || st == fasthttp.StatusGone:
		return backend.ObjectInfo{}, backend.ErrNotFound
	case st != fasthttp.StatusOK:
		return backend.ObjectInfo{}, c.status(fasthttp.MethodHead, name, st)
	}
	info := backend.ObjectInfo{Name: name, Size: int64(resp.Header.ContentLength())}
	if c.cfg.MetaPrefix != "" {
		if v := resp.Header.Peek(c.cfg.MetaPrefix + metaUploader); len(v) > 0 {
			u, err := url.PathUnescape(string(v))
			if err != nil {
				return info, fmt.Errorf("cannot read the uploader of %q on origin %s: %w", name, c.cfg.Label, err)
			}
			info.Uploader = u
		}
	}
	return info, nil
}

// Delete removes name from the origin: backend.ErrNotFound when the
// origin answers 404 (S3 answers 204 for a missing key too: the S3 store
// asks first).
func (c *Client) Delete(ctx context.Context, name string) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.prepare(req, fasthttp.MethodDelete, name)
	if err := c.finish(req, name); err != nil {
		return err
	}
	if err := c.do(ctx, req, resp); err != nil {
		return c.failed(fasthttp.MethodDelete, name, err)
	}
	switch st := resp.StatusCode(); {
	case st == fasthttp.StatusNotFound || st == fasthttp.StatusGone:
		return backend.ErrNotFound
	case st >= 200 && st < 300:
		return nil
	default:
		return c.status(fasthttp.MethodDelete, name, st)
	}
}

// Send sends a request the store builds itself (an S3 listing): method,
// pathQuery (escaped path from the leading slash, and query), signed
// like any other. resp holds the answer; only a failure to get one is an
// error.
func (c *Client) Send(ctx context.Context, method string, pathQuery []byte, resp *fasthttp.Response) error {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	b := append([]byte(c.scheme), c.cfg.Host...)
	req.SetRequestURIBytes(append(b, pathQuery...))
	req.Header.SetMethod(method)
	req.Header.SetHost(c.cfg.Host)
	req.UseHostHeader = true
	req.SetTimeout(requestCap)
	if err := c.finish(req, ""); err != nil {
		return err
	}
	if err := c.do(ctx, req, resp); err != nil {
		return c.failed(method, string(pathQuery), err)
	}
	return nil
}

// Label names the origin for messages; it carries no credentials.
func (c *Client) Label() string { return c.cfg.Label }

// StatusError is the error for an answer st to method on name that the
// store cannot use.
func (c *Client) StatusError(method, name string, st int) error { return c.status(method, name, st) }
