package httpsem

import (
	"math"
	"strconv"
)

// Byte ranges (RFC 9110 section 14). upedge sends single-part answers
// only: a Range is answered with one range (206), 416, or the whole
// representation (200), which section 14.2 allows ("A server MAY ignore
// the Range header field").

// Range is the outcome of ParseRange.
type Range uint8

const (
	// RangeIgnored: send the whole representation (200). The value names
	// another unit (section 14.2: an origin server MUST ignore a unit it
	// does not understand), is not a valid ranges-specifier, holds more
	// than MaxRanges range-specs, names ranges that cannot be sent as one
	// part, or the representation is empty.
	RangeIgnored Range = iota
	// RangeOK: send the one range start, length (206).
	RangeOK
	// RangeUnsatisfiable: no range-spec is satisfiable (section 14.1.1):
	// 416 with Content-Range "bytes */size".
	RangeUnsatisfiable
)

// MaxRanges bounds the range-specs of a Range value that are read; a value
// with more is ignored (section 14.2 lets a server ignore "a set of many
// small ranges", an indication of a broken client or an attack).
const MaxRanges = 16

// coalesceGap is the largest gap between two requested ranges that are
// still sent as one (section 14.2: a server MAY coalesce ranges "separated
// by a gap that is smaller than the overhead of sending multiple parts";
// a multipart/byteranges part header costs about 80 bytes).
const coalesceGap = 80

const unitBytes = "bytes"

// spec is one range-spec (section 14.1.1): an int-range "first-last" or
// "first-", or a suffix-range "-last".
type spec struct {
	first, last  int64 // saturated at math.MaxInt64
	suffix, open bool  // "-N"; "A-"
}

// parseRangeSet parses a Range value into specs. It reports false for a
// value to be ignored whatever the representation: another unit, a
// malformed or empty range-set, or more than MaxRanges range-specs.
// Empty list elements are skipped (section 5.6.1.2: a recipient MUST
// accept them), the unit is case-insensitive (section 14.1), and
// whitespace after "=" (erratum 7306) and around each range-spec is
// accepted.
func parseRangeSet[S ~string | ~[]byte](h S, specs *[MaxRanges]spec) (n int, ok bool) {
	eq := IndexByte(h, '=')
	if eq < 0 || !EqualFold(h[:eq], unitBytes) {
		return 0, false
	}
	rest := h[eq+1:]
	for len(rest) > 0 {
		elem := rest
		if i := IndexByte(rest, ','); i >= 0 {
			elem, rest = rest[:i], rest[i+1:]
		} else {
			rest = rest[len(rest):]
		}
		elem = TrimSpace(elem)
		if len(elem) == 0 {
			continue
		}
		if n == MaxRanges {
			return 0, false
		}
		dash := IndexByte(elem, '-')
		if dash < 0 {
			return 0, false
		}
		first, last := TrimSpace(elem[:dash]), TrimSpace(elem[dash+1:])
		var sp spec
		var okF, okL bool
		switch {
		case len(first) == 0:
			sp.suffix = true
			sp.last, okL = parseSaturated(last)
			okF = true
		case len(last) == 0:
			sp.open = true
			sp.first, okF = parseSaturated(first)
			okL = true
		default:
			sp.first, okF = parseSaturated(first)
			sp.last, okL = parseSaturated(last)
			// Section 14.1.1: a last-pos below first-pos makes the
			// range-spec invalid.
			okL = okL && sp.last >= sp.first
		}
		if !okF || !okL {
			return 0, false
		}
		specs[n] = sp
		n++
	}
	return n, n > 0
}

// parseSaturated parses 1*DIGIT of any length, saturating at
// math.MaxInt64: section 14.1.1 has recipients "anticipate potentially
// large decimal numerals and prevent parsing errors due to integer
// conversion overflows". Any such number lies past every representation.
func parseSaturated[S ~string | ~[]byte](b S) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-9)/10 {
			n = math.MaxInt64
		} else {
			n = n*10 + int64(c-'0')
		}
	}
	return n, true
}

// ParseRange applies a Range header value to a representation of size
// bytes (RFC 9110 sections 14.1.1, 14.1.2 and 14.2) and returns what to
// send. A range-spec is satisfiable when its first-pos is below size, or
// when it is a suffix-range of non-zero length; a last-pos past the end is
// clipped to it and a suffix longer than the representation is all of it.
// Unsatisfiable range-specs are dropped. Several satisfiable ones are
// sent as one range when, sorted, each overlaps the previous or follows
// it within coalesceGap bytes; otherwise the value is ignored: no
// multipart answers.
//
// An empty representation ignores every Range (200 with no content): its
// only satisfiable range-spec, a suffix-range, selects nothing that a
// Content-Range could describe.
func ParseRange[S ~string | ~[]byte](h S, size int64) (start, length int64, r Range) {
	var specs [MaxRanges]spec
	n, ok := parseRangeSet(h, &specs)
	if !ok || size <= 0 {
		return 0, 0, RangeIgnored
	}
	// The satisfiable ones as [s, e] inclusive, sorted by s (insertion
	// sort: n is at most MaxRanges).
	var iv [MaxRanges][2]int64
	m := 0
	for _, sp := range specs[:n] {
		var s, e int64
		switch {
		case sp.suffix:
			if sp.last == 0 {
				continue
			}
			s, e = size-min(sp.last, size), size-1
		case sp.first >= size:
			continue
		case sp.open:
			s, e = sp.first, size-1
		default:
			s, e = sp.first, min(sp.last, size-1)
		}
		j := m
		for j > 0 && iv[j-1][0] > s {
			iv[j] = iv[j-1]
			j--
		}
		iv[j] = [2]int64{s, e}
		m++
	}
	if m == 0 {
		return 0, 0, RangeUnsatisfiable
	}
	s, e := iv[0][0], iv[0][1]
	for _, x := range iv[1:m] {
		if x[0] > e+1+coalesceGap {
			return 0, 0, RangeIgnored
		}
		e = max(e, x[1])
	}
	return s, e - s + 1, RangeOK
}

// AppendSingleRange is for a store that passes a Range on to an origin
// before it knows the representation's size. n is the number of
// range-specs in h, 0 when h is to be ignored whatever the size (as
// ParseRange would). When n is 1, the one range-spec is appended to dst
// in a form every origin parses alike ("bytes=A-B", "bytes=A-",
// "bytes=-N"; numbers saturated, spaces, empty list elements and the
// unit's case gone). With several, the caller needs the size
// (ParseRange) before it can ask for one range.
func AppendSingleRange[S ~string | ~[]byte](dst []byte, h S) (_ []byte, n int) {
	var specs [MaxRanges]spec
	n, ok := parseRangeSet(h, &specs)
	if !ok {
		return dst, 0
	}
	if n == 1 {
		sp := specs[0]
		dst = append(dst, "bytes="...)
		if !sp.suffix {
			dst = strconv.AppendInt(dst, sp.first, 10)
		}
		dst = append(dst, '-')
		if !sp.open {
			dst = strconv.AppendInt(dst, sp.last, 10)
		}
	}
	return dst, n
}

// AppendRangeRequest appends the Range value "bytes=START-END" that asks
// for length bytes from start.
func AppendRangeRequest(dst []byte, start, length int64) []byte {
	dst = append(dst, "bytes="...)
	dst = strconv.AppendInt(dst, start, 10)
	dst = append(dst, '-')
	return strconv.AppendInt(dst, start+length-1, 10)
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
