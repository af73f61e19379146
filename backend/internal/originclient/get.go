package originclient

import (
	"context"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httpsem"
)

// Get answers a download from the origin.
//
// Preconditions are evaluated here, on the validators of a HEAD sent
// first, and never passed on: origins differ too much (Versity ignores
// If-Modified-Since and If-Range and refuses If-Unmodified-Since of the
// very Last-Modified it sent; S3 documents no If-Range; some 304s carry no
// ETag). Uploads are immutable, so the HEAD and the GET that follows see
// the same object. Downloads without preconditions, the common case, take
// one request.
//
// Range is passed on as the one range it names, normalized
// (httpsem.AppendSingleRange), and the origin's 206 or 416 relayed. A
// Range of several range-specs needs the object's size first (the HEAD):
// httpsem.ParseRange makes one range, a 416 or the whole object of it, as
// for a local file; a Range httpsem ignores is not passed on.
func (c *Client) Get(ctx context.Context, name string, gr *backend.GetRequest) (*backend.Object, error) {
	var none backend.GetRequest
	if gr == nil {
		gr = &none
	}
	method := fasthttp.MethodGet
	if gr.Head {
		method = fasthttp.MethodHead
	}
	norm, specs := httpsem.AppendSingleRange(nil, gr.Range)
	rng := ""
	if specs == 1 {
		rng = string(norm)
	}
	var meta *backend.Object
	if gr.IfMatch != "" || gr.IfNoneMatch != "" || gr.IfModifiedSince != "" || gr.IfUnmodifiedSince != "" ||
		(specs > 0 && gr.IfRange != "") || specs > 1 {
		var err error
		if meta, err = c.fetch(ctx, name, fasthttp.MethodHead, ""); err != nil {
			return nil, err
		}
		if cond := evaluate(gr, meta); cond != 0 {
			meta.Status = cond
			meta.ContentLength = 0
			return meta, nil
		}
		switch {
		case specs > 0 && gr.IfRange != "" && !ifRangeHolds(gr.IfRange, meta):
			rng = "" // the client's copy is stale: it gets the whole object
		case specs > 1:
			start, length, r := httpsem.ParseRange(gr.Range, meta.Size)
			switch r {
			case httpsem.RangeOK:
				rng = string(httpsem.AppendRangeRequest(nil, start, length))
			case httpsem.RangeUnsatisfiable:
				meta.Status = fasthttp.StatusRequestedRangeNotSatisfiable
				meta.ContentRange = string(httpsem.AppendUnsatisfiedRange(nil, meta.Size))
				meta.ContentLength = 0
				return meta, nil
			}
		}
		if method == fasthttp.MethodHead && rng == "" {
			return meta, nil
		}
	}
	o, err := c.fetch(ctx, name, method, rng)
	if err != nil {
		return nil, err
	}
	if o.Status == fasthttp.StatusRequestedRangeNotSatisfiable && o.ContentRange == "" {
		// Some origins tell the size of the object only in the body of a
		// GET's 416 (S3, see Config.UnsatisfiableSize), and a HEAD's 416
		// has none: ask.
		size := int64(-1)
		if meta != nil {
			size = meta.Size
		} else if m, err := c.fetch(ctx, name, fasthttp.MethodHead, ""); err == nil {
			size = m.Size
		}
		if size >= 0 {
			o.ContentRange = string(httpsem.AppendUnsatisfiedRange(nil, size))
			o.Size = size
		}
	}
	if o.Status == fasthttp.StatusRequestedRangeNotSatisfiable && o.Size == 0 {
		// An empty object ignores every Range, as a local file does
		// (httpsem.ParseRange), where an origin may answer 416.
		o.Close()
		return c.fetch(ctx, name, method, "")
	}
	return o, nil
}

// fetch sends one GET or HEAD with an optional Range and turns the answer
// into an Object: 200 and 206 with Body for a GET, 416 without.
func (c *Client) fetch(ctx context.Context, name, method, rng string) (*backend.Object, error) {
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	var body *dlBody
	if method == fasthttp.MethodGet {
		b, err := c.download(ctx, name, rng, resp)
		if err != nil {
			return nil, c.failed(method, name, err)
		}
		body = b
	} else {
		req := fasthttp.AcquireRequest()
		defer fasthttp.ReleaseRequest(req)
		c.prepare(req, method, name)
		setIf(req, fasthttp.HeaderRange, rng)
		if err := c.finish(req, name); err != nil {
			return nil, err
		}
		resp.Header.SetNoDefaultContentType(true)
		if err := c.do(ctx, req, resp); err != nil {
			return nil, c.failed(method, name, err)
		}
	}
	closeBody := func() {
		if body != nil {
			body.Close()
		}
	}
	st := resp.StatusCode()
	switch {
	case st == fasthttp.StatusOK || st == fasthttp.StatusPartialContent || st == fasthttp.StatusRequestedRangeNotSatisfiable:
	case st == fasthttp.StatusNotFound || st == fasthttp.StatusGone:
		closeBody()
		return nil, backend.ErrNotFound
	case st >= 300 && st < 400:
		// A directory on an HTTP origin: not an upload.
		closeBody()
		return nil, backend.ErrNotFound
	default:
		closeBody()
		return nil, c.status(method, name, st)
	}
	h := &resp.Header
	o := &backend.Object{
		Status:        st,
		ContentLength: int64(h.ContentLength()),
		ContentRange:  string(h.Peek(fasthttp.HeaderContentRange)),
		ETag:          string(h.Peek(fasthttp.HeaderETag)),
		LastModified:  string(h.Peek(fasthttp.HeaderLastModified)),
		ContentType:   string(h.ContentType()),
		Size:          -1,
	}
	if o.ContentType == "" {
		o.ContentType = httpsem.DefaultContentType
	}
	c.readMeta(h, o)
	if o.LastModified != "" {
		if t, err := fasthttp.ParseHTTPDate([]byte(o.LastModified)); err == nil {
			o.ModTime = t
		}
	}
	switch st {
	case fasthttp.StatusOK:
		o.Size = o.ContentLength
	case fasthttp.StatusPartialContent:
		o.Size = httpsem.CompleteLength(o.ContentRange)
	case fasthttp.StatusRequestedRangeNotSatisfiable:
		if o.ContentRange == "" && body != nil && c.cfg.UnsatisfiableSize != nil {
			if n := c.cfg.UnsatisfiableSize(body); n >= 0 {
				o.ContentRange = string(httpsem.AppendUnsatisfiedRange(nil, n))
			}
		}
		closeBody()
		body = nil
		o.Size = httpsem.CompleteLength(o.ContentRange)
		// Sent without the origin's error page.
		o.ContentLength = 0
	}
	if body == nil {
		return o, nil
	}
	if o.ContentLength == 0 {
		closeBody()
		return o, nil
	}
	o.Body = body
	return o, nil
}

// evaluate applies the preconditions of gr (RFC 9110 §13.2.2) to the
// object's validators and returns 412, 304 or 0 (serve it).
func evaluate(gr *backend.GetRequest, o *backend.Object) int {
	h := httpsem.Headers[string]{IfMatch: gr.IfMatch, IfUnmodifiedSince: gr.IfUnmodifiedSince,
		IfNoneMatch: gr.IfNoneMatch, IfModifiedSince: gr.IfModifiedSince}
	switch httpsem.Evaluate(h, o.ETag, o.ModTime) {
	case httpsem.PreconditionFailed:
		return fasthttp.StatusPreconditionFailed
	case httpsem.NotModified:
		return fasthttp.StatusNotModified
	}
	return 0
}

// ifRangeHolds reports whether the If-Range validator names the object's
// current version: a strong ETag equal to ours, or its Last-Modified date.
func ifRangeHolds(v string, o *backend.Object) bool {
	return httpsem.IfRange(v, o.ETag, o.ModTime)
}

func setIf(req *fasthttp.Request, name, value string) {
	if value != "" {
		req.Header.Set(name, value)
	}
}
