package httpsem

import "strconv"

// Byte ranges (RFC 9110 section 14). upedge serves single ranges only:
// a request for several is answered with the whole representation, which
// section 14.2 allows.

const rangeUnit = "bytes="

// ParseRange parses a Range header value against a representation of size
// bytes. ok is false when the header is to be ignored (another unit,
// several ranges, malformed): the whole representation is sent then.
// satisfiable is false when it names a single range that lies wholly
// outside the representation (416, section 15.5.17). A last position past
// the end is clipped to it (section 14.1.2).
func ParseRange[S ~string | ~[]byte](h S, size int64) (start, length int64, ok, satisfiable bool) {
	first, last, ok := splitSingleRange(h)
	if !ok {
		return 0, 0, false, true
	}
	if len(first) == 0 {
		// Suffix range: the last n bytes.
		n, _ := ParseDigits(last)
		if n == 0 || size == 0 {
			return 0, 0, false, false
		}
		if n > size {
			n = size
		}
		return size - n, n, true, true
	}
	s, _ := ParseDigits(first)
	e := size - 1
	if len(last) > 0 {
		e, _ = ParseDigits(last)
	}
	if s >= size {
		return 0, 0, false, false
	}
	if e >= size {
		e = size - 1
	}
	return s, e - s + 1, true, true
}

// IsSingleRange reports whether h is one byte range upedge serves:
// "bytes=A-B" with A <= B, "bytes=A-" or "bytes=-N". The origin stores
// pass only these on, so that what an origin answers is what the edge
// would have answered itself.
func IsSingleRange[S ~string | ~[]byte](h S) bool {
	_, _, ok := splitSingleRange(h)
	return ok
}

// splitSingleRange splits a single "bytes=first-last" range into its two
// positions, both digits only or empty (not both), with first <= last
// when both are given.
func splitSingleRange[S ~string | ~[]byte](h S) (first, last S, ok bool) {
	if len(h) < len(rangeUnit) || string(h[:len(rangeUnit)]) != rangeUnit {
		return first, last, false
	}
	spec := TrimSpace(h[len(rangeUnit):])
	dash := -1
	for i := 0; i < len(spec); i++ {
		switch c := spec[i]; {
		case c == ',':
			return first, last, false // several ranges
		case c == '-' && dash < 0:
			dash = i
		}
	}
	if dash < 0 {
		return first, last, false
	}
	first, last = TrimSpace(spec[:dash]), TrimSpace(spec[dash+1:])
	a, okA := ParseDigits(first)
	b, okB := ParseDigits(last)
	switch {
	case len(first) == 0:
		return first, last, okB
	case len(last) == 0:
		return first, last, okA
	}
	return first, last, okA && okB && a <= b
}

// AppendContentRange appends "bytes START-END/SIZE" (section 14.4) for
// length bytes from start of a representation of size bytes.
func AppendContentRange(dst []byte, start, length, size int64) []byte {
	dst = append(dst, "bytes "...)
	dst = strconv.AppendInt(dst, start, 10)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, start+length-1, 10)
	dst = append(dst, '/')
	return strconv.AppendInt(dst, size, 10)
}

// AppendUnsatisfiedRange appends "bytes */SIZE", the Content-Range of a 416
// (section 14.4).
func AppendUnsatisfiedRange(dst []byte, size int64) []byte {
	return strconv.AppendInt(append(dst, "bytes */"...), size, 10)
}

// CompleteLength returns the complete length N of a Content-Range value
// "bytes A-B/N" or "bytes */N", or -1 when it is unknown ("*") or the value
// is malformed.
func CompleteLength[S ~string | ~[]byte](contentRange S) int64 {
	for i := len(contentRange) - 1; i >= 0; i-- {
		if contentRange[i] == '/' {
			n, ok := ParseDigits(contentRange[i+1:])
			if !ok {
				return -1
			}
			return n
		}
	}
	return -1
}
