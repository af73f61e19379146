package originclient

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
)

// Put streams exactly info.Size bytes of body to the origin with
// If-None-Match: *, so that an origin which honours it refuses to replace
// an object (412), and succeeds only once the origin confirmed the object.
//
// If body fails or ends early, or ctx is cancelled, the connection to the
// origin is closed before the last byte is sent: the origin sees a short
// request body and keeps nothing.
func (c *Client) Put(ctx context.Context, name string, info backend.PutInfo, body io.Reader) error {
	if info.Size > int64(int(^uint(0)>>1)) || info.Size < 0 {
		return fmt.Errorf("%w: size %d out of range", backend.ErrIncomplete, info.Size)
	}
	u := c.uploads.Get().(*upload)
	defer func() {
		*u = upload{}
		c.uploads.Put(u)
	}()
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	for attempt := 0; ; attempt++ {
		*u = upload{ctx: ctx, bufs: &c.copyBufs}
		u.r = u.own.Hold(body, info.Size)
		req.Reset()
		c.prepare(req, fasthttp.MethodPut, name)
		req.Header.SetContentType(info.ContentType)
		req.Header.Set(fasthttp.HeaderIfNoneMatch, "*")
		c.setMeta(req, &info)
		// SetBodyStream sets Content-Length; fasthttp then copies the body
		// through upload.WriteTo in 128 KiB pieces: nothing is held.
		req.SetBodyStream(u, int(info.Size))
		if err := c.finish(req, name); err != nil {
			return err
		}
		if info.Size == 0 {
			// fasthttp does not read an empty body stream: check here
			// that there is nothing.
			if _, err := u.Read(nil); err != nil && err != io.EOF {
				return u.err
			}
		}
		err := c.do(ctx, req, resp)
		if u.err != nil {
			// The client's body failed, not the origin.
			return u.err
		}
		if err != nil {
			// A pooled connection the origin had just closed fails before
			// anything of the body was taken: that one is safe to retry.
			if attempt == 0 && u.sent() == 0 && !isTimeout(err) && ctx.Err() == nil {
				continue
			}
			// An origin that refuses a taken name may answer 412 before
			// the body and reset the connection (Versity does), which
			// fasthttp reports as a failed write: a name that is taken
			// now was not ours to take.
			if !isTimeout(err) {
				if ok, herr := c.head(ctx, name); herr == nil && ok {
					return backend.ErrExists
				}
			}
			return c.failed(fasthttp.MethodPut, name, err)
		}
		break
	}
	switch st := resp.StatusCode(); st {
	case fasthttp.StatusCreated, fasthttp.StatusNoContent, fasthttp.StatusOK:
		if u.sent() != info.Size {
			// An origin that answers before it read the body (or a
			// proxy in between) did not store this upload.
			return fmt.Errorf("%w: origin %s answered %d to the upload of %q before reading it", backend.ErrUnavailable, c.cfg.Label, st, name)
		}
		return nil
	case fasthttp.StatusPreconditionFailed, fasthttp.StatusConflict:
		return backend.ErrExists
	default:
		if st >= 500 && c.cfg.ProbeParents && c.parentIsObject(ctx, name) {
			return backend.ErrExists
		}
		return c.status(fasthttp.MethodPut, name, st)
	}
}

// parentIsObject reports whether a leading part of name is an object, so
// that name can never be one (a file where a directory would have to be).
func (c *Client) parentIsObject(ctx context.Context, name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] != '/' {
			continue
		}
		if ok, err := c.head(ctx, name[:i]); err == nil && ok {
			return true
		}
	}
	return false
}

// upload is the body as the origin request reads it: backend.ExactReader
// holds it to exactly size bytes, the last of them handed out only once
// body is known to end there (once the origin has them all it stores the
// object), and ctx abandons it between reads.
type upload struct {
	ctx  context.Context
	r    *backend.ExactReader // own, or the caller's if it was one already
	own  backend.ExactReader
	err  error // why the body failed; set once
	bufs *sync.Pool
}

// sent is how many bytes of the body the origin request has taken.
func (u *upload) sent() int64 { return u.r.N() }

func (u *upload) Read(p []byte) (int, error) {
	if u.err != nil {
		return 0, u.err
	}
	if err := u.ctx.Err(); err != nil {
		u.err = fmt.Errorf("upload abandoned after %d of %d bytes: %w", u.r.N(), u.r.Size(), err)
		return 0, u.err
	}
	n, err := u.r.Read(p)
	if err != nil && err != io.EOF {
		u.err = err
	}
	return n, err
}

// WriteTo sends the body in large pieces: fasthttp would otherwise fill
// its write buffer through many small reads.
func (u *upload) WriteTo(w io.Writer) (int64, error) {
	bp := u.bufs.Get().(*[]byte)
	defer u.bufs.Put(bp)
	buf := *bp
	var total int64
	for {
		n, err := u.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
