package backend

import (
	"fmt"
	"io"
)

// ExactReader is an upload body held to its announced length: it hands
// out exactly Size bytes and reports EOF after them, or fails with an
// error wrapping ErrIncomplete. It is the one owner of that rule: the
// edge wraps a request body in it, and every Store wraps what it is given
// (ExactBody returns an ExactReader of the right size unchanged, so the
// rule is applied once however many layers ask for it).
//
// The last bytes are handed out only once the body is known to end there:
// a reader past them would otherwise let a store commit an object whose
// body then turns out too long. Finding the end costs one read of at most
// one byte past Size, which a body framed by Content-Length (the edge's)
// answers with EOF without touching the connection.
//
// An ExactReader is not safe for concurrent use.
type ExactReader struct {
	r     io.Reader
	size  int64
	n     int64 // bytes handed out
	ended bool  // the end was checked: nothing follows the size bytes
	err   error // why the body failed; sticky
	probe [1]byte
}

// ExactBody returns r held to exactly size bytes. If r is already an
// *ExactReader of that size it is returned as it is.
func ExactBody(r io.Reader, size int64) *ExactReader {
	if e, ok := r.(*ExactReader); ok && e.size == size {
		return e
	}
	return &ExactReader{r: r, size: size}
}

// Hold is ExactBody without the allocation, for callers that keep an
// ExactReader in pooled state: it returns r if that is an *ExactReader of
// size already, and otherwise e, reset to read size bytes from r.
func (e *ExactReader) Hold(r io.Reader, size int64) *ExactReader {
	if x, ok := r.(*ExactReader); ok && x.size == size {
		return x
	}
	*e = ExactReader{r: r, size: size}
	return e
}

// Size is the number of bytes the body must carry.
func (e *ExactReader) Size() int64 { return e.size }

// N is the number of bytes handed out so far.
func (e *ExactReader) N() int64 { return e.n }

// Err is why the body failed (wrapping ErrIncomplete), or nil while it has
// not: after a failed Put it tells the client's fault from the store's.
func (e *ExactReader) Err() error { return e.err }

func (e *ExactReader) fail(err error) (int, error) {
	e.err = err
	return 0, err
}

// Read implements io.Reader. A body that ends early fails with an error
// wrapping both ErrIncomplete and io.ErrUnexpectedEOF; one that fails is
// reported with its error's text; one that goes on past Size fails when
// its last bytes would be handed out.
func (e *ExactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	left := e.size - e.n
	if left <= 0 {
		if e.ended {
			return 0, io.EOF
		}
		if e.size < 0 {
			return e.fail(fmt.Errorf("%w: size %d out of range", ErrIncomplete, e.size))
		}
		if err := e.checkEnd(); err != nil {
			return 0, err
		}
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := e.r.Read(p)
	if n < 0 || n > len(p) {
		return e.failBadCount(n, len(p))
	}
	left -= int64(n)
	switch {
	case err != nil && err != io.EOF:
		return e.failRead(e.n+int64(n), err)
	case err == io.EOF && left > 0:
		return e.failShort(e.n + int64(n))
	case left == 0 && err == io.EOF:
		e.ended = true
	case left == 0:
		// These are the last bytes: a body that goes on past them must
		// fail before they are handed out.
		if err := e.checkEnd(); err != nil {
			return 0, err
		}
	}
	e.n += int64(n)
	if left == 0 {
		return n, io.EOF
	}
	return n, nil
}

// The failures of Read are built out of line: their fmt calls would
// otherwise enlarge Read's stack frame, which every upload goroutine
// carries while it waits for its client. A thousand slow uploads showed
// that as 4 MiB more memory: the frame pushed their stacks past 4 KiB.

//go:noinline
func (e *ExactReader) failBadCount(n, size int) (int, error) {
	return e.fail(fmt.Errorf("%w: body reader returned %d bytes for a buffer of %d", ErrIncomplete, n, size))
}

//go:noinline
func (e *ExactReader) failRead(got int64, err error) (int, error) {
	return e.fail(fmt.Errorf("%w: reading the body failed after %d of %d bytes: %v", ErrIncomplete, got, e.size, err))
}

//go:noinline
func (e *ExactReader) failShort(got int64) (int, error) {
	return e.fail(fmt.Errorf("%w: got %d of %d bytes: %w", ErrIncomplete, got, e.size, io.ErrUnexpectedEOF))
}

// maxEmptyReads is how many reads returning nothing checkEnd accepts
// before it calls the body stuck (io.Reader allows them, but not forever).
const maxEmptyReads = 100

// checkEnd makes sure the body has nothing after Size bytes.
func (e *ExactReader) checkEnd() error {
	for range maxEmptyReads {
		// e.probe, not a local: a buffer passed to an interface method
		// escapes, and a local would be allocated per call.
		n, err := e.r.Read(e.probe[:])
		if n > 0 {
			_, err := e.fail(fmt.Errorf("%w: body is longer than %d bytes", ErrIncomplete, e.size))
			return err
		}
		if err == io.EOF {
			e.ended = true
			return nil
		}
		if err != nil {
			_, err := e.fail(fmt.Errorf("%w: reading the body failed at its end: %v", ErrIncomplete, err))
			return err
		}
	}
	_, err := e.fail(fmt.Errorf("%w: body reader makes no progress", ErrIncomplete))
	return err
}
