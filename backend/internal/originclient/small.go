package originclient

import (
	"context"
	"fmt"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
)

// maxSmallBody bounds the body GetBytes reads, and every body the host
// client reads (answers to PUT and HEAD carry none worth more): a
// misbehaving origin cannot make the edge buffer much.
const maxSmallBody = 64 << 10

// PutBytes stores body under name, replacing what is there: for small
// objects the store writes itself (httporigin's metadata), never for
// uploads, which Put streams and never lets replace anything. It
// succeeds on the origin's 200, 201 or 204. For HTTP origins: an S3
// Config.Sign streams every PUT body.
func (c *Client) PutBytes(ctx context.Context, name string, body []byte, contentType string) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.prepare(req, fasthttp.MethodPut, name)
	req.Header.SetContentType(contentType)
	req.SetBodyRaw(body)
	if err := c.finish(req, name); err != nil {
		return err
	}
	if err := c.do(ctx, req, resp); err != nil {
		return c.failed(fasthttp.MethodPut, name, err)
	}
	switch st := resp.StatusCode(); st {
	case fasthttp.StatusOK, fasthttp.StatusCreated, fasthttp.StatusNoContent:
		return nil
	default:
		return c.status(fasthttp.MethodPut, name, st)
	}
}

// GetBytes reads the small object name whole: its body (at most 64 KiB)
// and its Last-Modified (zero if the origin sent none). Nothing there is
// backend.ErrNotFound.
func (c *Client) GetBytes(ctx context.Context, name string) (body []byte, modTime time.Time, err error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.prepare(req, fasthttp.MethodGet, name)
	if err := c.finish(req, name); err != nil {
		return nil, time.Time{}, err
	}
	if err := c.do(ctx, req, resp); err != nil {
		return nil, time.Time{}, c.failed(fasthttp.MethodGet, name, err)
	}
	switch st := resp.StatusCode(); {
	case st == fasthttp.StatusOK:
	case st == fasthttp.StatusNotFound || st == fasthttp.StatusGone:
		return nil, time.Time{}, backend.ErrNotFound
	default:
		return nil, time.Time{}, c.status(fasthttp.MethodGet, name, st)
	}
	if lm := resp.Header.Peek(fasthttp.HeaderLastModified); len(lm) > 0 {
		if t, err := fasthttp.ParseHTTPDate(lm); err == nil {
			modTime = t
		}
	}
	body = resp.Body()
	if len(body) > maxSmallBody {
		return nil, time.Time{}, fmt.Errorf("%w: %q on origin %s holds %d bytes, more than %d", backend.ErrUnavailable, name, c.cfg.Label, len(body), maxSmallBody)
	}
	return append([]byte(nil), body...), modTime, nil
}
