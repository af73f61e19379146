package token

import (
	"crypto/subtle"
	"errors"
	"time"

	sha256 "github.com/minio/sha256-simd"

	"github.com/upedge/upedge/backend/httpsem"
)

// Options configure a Verifier.
type Options struct {
	// Secret is shared with the XMPP server; required. It is copied.
	Secret []byte
	// PreviousSecrets are accepted too, for every scheme, while the XMPP
	// servers move to Secret (rotation); tokens signed with one are
	// reported as such (Key.Old). They are copied.
	PreviousSecrets [][]byte
	// DeleteSecret, when set, enables Metronome's signed DELETE
	// (VerifyDelete). It is copied.
	DeleteSecret []byte
	// Schemes are the schemes accepted; zero means AllSchemes.
	Schemes Schemes
	// Window bounds the distance of a v3 timestamp from Now; zero or less
	// means DefaultWindow.
	Window time.Duration
	// Now is the clock for v3 timestamps, v3 expires and JWT exp; nil
	// means time.Now.
	Now func() time.Time
}

// Verifier checks tokens against the secrets in force. It is safe for
// concurrent use.
type Verifier struct {
	keys      []keyedMAC // [0] the current secret, then the previous ones
	deleteKey []byte     // Metronome's delete secret; nil: DELETE is off
	schemes   Schemes
	window    time.Duration
	now       func() time.Time
}

// Key tells which of a Verifier's secrets a token was signed with: 0 is
// the current secret, n the n-th of Options.PreviousSecrets.
type Key int

// Old reports whether the token was signed with a previous secret: the
// XMPP server that issued it has not been moved to the new one yet.
func (k Key) Old() bool { return k > 0 }

// New returns a Verifier for opts. It fails when the secret, or one of the
// previous secrets, is empty.
func New(opts Options) (*Verifier, error) {
	if len(opts.Secret) == 0 {
		return nil, errors.New("cannot check tokens: the shared secret is empty")
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Schemes == 0 {
		opts.Schemes = AllSchemes
	}
	v := &Verifier{
		keys:    make([]keyedMAC, 1+len(opts.PreviousSecrets)),
		schemes: opts.Schemes,
		window:  opts.Window,
		now:     opts.Now,
	}
	v.keys[0].init(opts.Secret)
	for i, s := range opts.PreviousSecrets {
		if len(s) == 0 {
			return nil, errors.New("cannot check tokens: a previous secret is empty")
		}
		v.keys[1+i].init(s)
	}
	if len(opts.DeleteSecret) > 0 {
		v.deleteKey = append([]byte(nil), opts.DeleteSecret...)
	}
	return v, nil
}

// NewVerifier returns a Verifier for one secret (copied) and every scheme.
// window bounds the distance of a v3 timestamp from now(); zero or less
// means DefaultWindow, nil now means time.Now. It panics on an empty
// secret; New reports that as an error.
func NewVerifier(secret []byte, window time.Duration, now func() time.Time) *Verifier {
	v, err := New(Options{Secret: secret, Window: window, Now: now})
	if err != nil {
		panic(err)
	}
	return v
}

// Schemes returns the schemes v accepts.
func (v *Verifier) Schemes() Schemes { return v.schemes }

// DeleteEnabled reports whether v checks Metronome's signed DELETE (a
// delete secret is set).
func (v *Verifier) DeleteEnabled() bool { return v.deleteKey != nil }

// Verify reports whether hexMAC (upper or lower case) is the query token
// of scheme ver (V1, Token, V2, V3 or V3Expires) for c, under the current
// secret or a previous one. It returns which secret matched, or one of the
// package's *Error values (ErrNoToken, ErrDisabled, ErrMalformed,
// ErrBadClaims, ErrStale, ErrExpired, ErrMismatch), unwrapped, so that
// Reason needs no errors.As. The comparison takes the same time wherever
// the MAC differs.
func (v *Verifier) Verify(ver Version, hexMAC []byte, c *Claims) (Key, error) {
	switch {
	case ver == None:
		return 0, ErrNoToken
	case ver == JWT || ver >= numVersions:
		return 0, ErrMalformed
	case !v.schemes.Has(ver):
		return 0, ErrDisabled
	}
	var want [sha256.Size]byte
	if !httpsem.DecodeHex(want[:], hexMAC) {
		return 0, ErrMalformed
	}
	switch ver {
	case V3:
		ts, ok := httpsem.ParseDigits(c.Timestamp)
		if !ok || len(c.Uploader) == 0 {
			return 0, ErrBadClaims
		}
		d := time.Duration(v.now().Unix()-ts) * time.Second
		if d > v.window || d < -v.window {
			return 0, ErrStale
		}
	case V3Expires:
		exp, ok := httpsem.ParseDigits(c.Expires)
		if !ok {
			return 0, ErrBadClaims
		}
		// No grace: HMAC File Server 3.4 grants hours of it to some
		// User-Agents, which only widens what a leaked URL allows.
		if v.now().Unix() > exp {
			return 0, ErrExpired
		}
	}
	for i := range v.keys {
		st := v.keys[i].get()
		ok := subtle.ConstantTimeCompare(st.sum(ver, c), want[:]) == 1
		v.keys[i].put(st)
		if ok {
			return Key(i), nil
		}
	}
	return 0, ErrMismatch
}

// VerifyDelete reports whether hexMAC is Metronome's DELETE token for path
// (decoded, below the prefix): HMAC-SHA256 keyed with the upload secret (or
// a previous one) of path NUL delete secret. An upload token never passes:
// no upload scheme signs that message. It returns ErrDisabled when no
// delete secret is set, and otherwise what Verify returns.
func (v *Verifier) VerifyDelete(hexMAC, path []byte) (Key, error) {
	if v.deleteKey == nil {
		return 0, ErrDisabled
	}
	if len(hexMAC) == 0 {
		return 0, ErrNoToken
	}
	var want [sha256.Size]byte
	if !httpsem.DecodeHex(want[:], hexMAC) {
		return 0, ErrMalformed
	}
	for i := range v.keys {
		st := v.keys[i].get()
		ok := subtle.ConstantTimeCompare(st.sumDelete(path, v.deleteKey), want[:]) == 1
		v.keys[i].put(st)
		if ok {
			return Key(i), nil
		}
	}
	return 0, ErrMismatch
}

// matchRaw returns the key whose MAC of msg is want.
func (v *Verifier) matchRaw(msg, want []byte) (Key, bool) {
	for i := range v.keys {
		st := v.keys[i].get()
		ok := subtle.ConstantTimeCompare(st.sumRaw(msg), want) == 1
		v.keys[i].put(st)
		if ok {
			return Key(i), true
		}
	}
	return 0, false
}

// hasCTL reports whether b holds a control byte (or DEL), which must not
// reach a header or a file's metadata.
func hasCTL(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}
