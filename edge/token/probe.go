package token

import (
	"crypto/subtle"
	"strconv"
	"time"

	sha256 "github.com/minio/sha256-simd"

	"github.com/upedge/upedge/backend/httpsem"
)

// A probe token proves that a request comes from someone who holds the
// secret, whatever its path and size: `upedge check` sends one so that
// the edge tells it what it received (the request line and the length, as
// a proxy passed them on), which the edge tells no one else. Its value is
// "TIMESTAMP:HEX": decimal UNIX seconds, a colon, and 64 hex digits of
// HMAC-SHA256(secret, "upedge-check" STX TIMESTAMP). No slot token signs a
// string of that form (the STX byte is in no scheme's string and in no
// valid path), so a probe token admits no upload, and no upload token is
// a probe token (nor a JWT, a v3-expires or a DELETE token). The
// timestamp must be within the Verifier's window of its clock, as a v3
// timestamp.
const probeLabel = "upedge-check\x02"

// AppendProbe appends a probe token for the UNIX time ts to dst.
func (s *Signer) AppendProbe(dst []byte, ts int64) []byte {
	st := s.k.get()
	defer s.k.put(st)
	start := len(dst)
	dst = strconv.AppendInt(dst, ts, 10)
	sum := st.sumProbe(dst[start:])
	return appendHex(append(dst, ':'), sum)
}

// VerifyProbe checks a probe token as AppendProbe makes it, with the
// current secret or a previous one. It returns nil, ErrMalformed, ErrStale
// or ErrMismatch, and allocates nothing.
func (v *Verifier) VerifyProbe(value []byte) error {
	i := len(value) - 65
	if i < 1 || value[i] != ':' {
		return ErrMalformed
	}
	tsb := value[:i]
	ts, ok := httpsem.ParseDigits(tsb)
	if !ok {
		return ErrMalformed
	}
	var want [sha256.Size]byte
	if !httpsem.DecodeHex(want[:], value[i+1:]) {
		return ErrMalformed
	}
	d := time.Duration(v.now().Unix()-ts) * time.Second
	if d > v.window || d < -v.window {
		return ErrStale
	}
	for k := range v.keys {
		st := v.keys[k].get()
		ok := subtle.ConstantTimeCompare(st.sumProbe(tsb), want[:]) == 1
		v.keys[k].put(st)
		if ok {
			return nil
		}
	}
	return ErrMismatch
}

// sumProbe computes the MAC of a probe token for the decimal timestamp
// ts, into st.scratch.
func (st *macState) sumProbe(ts []byte) []byte {
	m := st.mac
	m.Reset()
	m.Write(stringBytes(probeLabel))
	m.Write(ts)
	return m.Sum(st.scratch[:0])
}
