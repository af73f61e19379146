package httpsem

import "math"

// The byte-level helpers below work on []byte (or string) in place and
// never allocate, which is why strconv and strings are not used for them
// on hot paths.

// hexValue maps a byte to its value as a hex digit, or to 0xff. A table:
// decoding a 64-digit token with a switch per digit took a quarter of a
// token check.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// Unhex returns the value of the hex digit c (either case).
func Unhex(c byte) (byte, bool) {
	v := hexValue[c]
	return v, v != 0xff
}

// DecodeHex decodes exactly 2*len(dst) hex digits (either case) from src
// into dst, reporting whether src was that.
func DecodeHex(dst, src []byte) bool {
	if len(src) != 2*len(dst) {
		return false
	}
	var bad byte
	for i := range dst {
		hi, lo := hexValue[src[2*i]], hexValue[src[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo&0x0f
	}
	// Any invalid digit set the high bits of bad (0xff); a valid one
	// never exceeds 0x0f.
	return bad&0xf0 == 0
}

// ParseDigits parses a non-negative decimal of 1 to 18 digits, nothing
// else (no sign, no spaces), so that it cannot overflow an int64.
func ParseDigits[S ~string | ~[]byte](b S) (int64, bool) {
	if len(b) > 18 {
		return 0, false
	}
	return parseSaturated(b) // 18 digits never reach the saturation
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

// Lower returns c with A-Z mapped to a-z.
func Lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// EqualFold reports whether a and b are equal under ASCII case folding.
func EqualFold[S ~string | ~[]byte, T ~string | ~[]byte](a S, b T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if Lower(a[i]) != Lower(b[i]) {
			return false
		}
	}
	return true
}

// HasPrefixFold reports whether s begins with prefix under ASCII case
// folding.
func HasPrefixFold[S ~string | ~[]byte](s S, prefix string) bool {
	return len(s) >= len(prefix) && EqualFold(s[:len(prefix)], prefix)
}

// TrimSpace returns b without leading and trailing spaces and tabs (RFC
// 9110 section 5.6.3, OWS).
func TrimSpace[S ~string | ~[]byte](b S) S {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// IndexByte returns the index of the first c in s, or -1.
func IndexByte[S ~string | ~[]byte](s S, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
