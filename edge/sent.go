package edge

import (
	"io"
	"os"

	"github.com/valyala/fasthttp"
)

// BodyWatcher is told how many bytes of a response body were written to
// the client, once its stream has ended (edge.WatchBody).
type BodyWatcher interface {
	BodySent(n int64)
}

// WatchBody arranges for w.BodySent to be called with the number of body
// bytes written to the client, once fasthttp has sent the response body
// the handler left in ctx (or failed to), and reports true. It reports
// false when the response has no streamed body: its body, if any, is
// ctx.Response.Body(), written with the headers. Call it after the handler
// has returned (the metrics wrapper does).
func WatchBody(ctx *fasthttp.RequestCtx, w BodyWatcher) bool {
	s, ok := ctx.Response.BodyStream().(*sentBody)
	if !ok {
		return false
	}
	s.watch = w
	return true
}

// sentBody is a download's body stream as fasthttp writes it: it counts
// the bytes and tells a BodyWatcher when the stream ends, so that the
// metrics and the access log count what was sent, not what was meant to
// be. It hands the file itself to fasthttp's writer (WriteTo), so that a
// file still goes out with sendfile and an origin's socket with splice.
// Pooled: fasthttp closes it once the body is written, and Close puts it
// back.
type sentBody struct {
	h     *Handler
	r     io.Reader
	c     io.Closer
	n     int64
	watch BodyWatcher
}

// sent returns r, closed by c, as a counted body stream.
func (h *Handler) sent(r io.Reader, c io.Closer) *sentBody {
	s := h.sents.Get().(*sentBody)
	s.r, s.c = r, c
	return s
}

func (s *sentBody) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	return n, err
}

// WriteTo gives w the reader as fasthttp would have: a file to w's
// ReadFrom (fasthttp's fixed-size writer, which sends it with sendfile),
// a reader that writes itself (an origin's body, which splices) to its
// own WriteTo.
func (s *sentBody) WriteTo(w io.Writer) (int64, error) {
	var n int64
	var err error
	rf, canReadFrom := w.(io.ReaderFrom)
	switch r := s.r.(type) {
	case *os.File:
		if canReadFrom {
			n, err = rf.ReadFrom(r)
		} else {
			n, err = io.Copy(w, r)
		}
	case io.WriterTo:
		n, err = r.WriteTo(w)
	default:
		if canReadFrom {
			n, err = rf.ReadFrom(r)
		} else {
			n, err = io.Copy(w, r)
		}
	}
	s.n += n
	return n, err
}

// Close closes the reader, tells the watcher what was sent and returns s
// to the pool.
func (s *sentBody) Close() error {
	err := s.c.Close()
	w, n := s.watch, s.n
	*s = sentBody{h: s.h}
	s.h.sents.Put(s)
	if w != nil {
		w.BodySent(n)
	}
	return err
}
