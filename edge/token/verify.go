package token

import (
	"crypto/subtle"
	"time"

	"github.com/upedge/upedge/backend/httpsem"
)

// Verifier checks tokens against one shared secret. It is safe for
// concurrent use.
type Verifier struct {
	k      keyedMAC
	window time.Duration
	now    func() time.Time
}

// NewVerifier returns a Verifier for secret (copied). window bounds the
// distance of a v3 timestamp from now(); zero or less means DefaultWindow,
// nil now means time.Now.
func NewVerifier(secret []byte, window time.Duration, now func() time.Time) *Verifier {
	if window <= 0 {
		window = DefaultWindow
	}
	if now == nil {
		now = time.Now
	}
	v := &Verifier{window: window, now: now}
	v.k.init(secret)
	return v
}

// Verify reports whether hexMAC (upper or lower case) is the version ver
// token for c. It returns nil on success and one of the package's *Error
// values otherwise (ErrNoToken, ErrMalformed, ErrBadClaims, ErrStale,
// ErrMismatch), unwrapped, so that Reason needs no errors.As. The comparison
// takes the same time wherever the MAC differs.
func (v *Verifier) Verify(ver Version, hexMAC []byte, c *Claims) error {
	if ver == None {
		return ErrNoToken
	}
	st := v.k.get()
	defer v.k.put(st)
	if !httpsem.DecodeHex(st.want[:], hexMAC) {
		return ErrMalformed
	}
	if ver == V3 {
		ts, ok := httpsem.ParseDigits(c.Timestamp)
		if !ok || len(c.Uploader) == 0 {
			return ErrBadClaims
		}
		d := time.Duration(v.now().Unix()-ts) * time.Second
		if d > v.window || d < -v.window {
			return ErrStale
		}
	}
	sum := st.sum(ver, c)
	if subtle.ConstantTimeCompare(sum, st.want[:]) != 1 {
		return ErrMismatch
	}
	return nil
}
