// Package token verifies and signs the HMAC tokens that XMPP servers put in
// XEP-0363 upload slots (Prosody's mod_http_upload_external v1 and v2,
// Metronome's "token", HMAC File Server v3).
//
// Verification allocates nothing: the HMAC states are pooled, the signed
// string is never assembled (its pieces are written to the MAC one by one),
// and the decimal size is formatted into pooled scratch space.
package token

import (
	"crypto/hmac"
	"crypto/subtle"
	"errors"
	"hash"
	"strconv"
	"sync"
	"time"
	"unsafe"

	sha256 "github.com/minio/sha256-simd"

	"github.com/upedge/upedge/backend/httpsem"
)

// Version names a token scheme by the query parameter that carries it.
type Version uint8

// The versions, in increasing order of precedence: when a request carries
// several, the highest one is checked and the others are ignored.
const (
	None  Version = iota
	V1            // ?v=    path SP size
	Token         // ?token= (Metronome) path NUL size NUL content-type
	V2            // ?v2=   path NUL size NUL content-type
	V3            // ?v3=   path SOH size SOH content-type SOH uploader SOH timestamp
)

// String returns the query parameter name of v.
func (v Version) String() string {
	switch v {
	case V1:
		return "v"
	case Token:
		return "token"
	case V2:
		return "v2"
	case V3:
		return "v3"
	}
	return "none"
}

// ParseVersion maps a version name as operators write it ("v1", "v", "v2",
// "token", "v3") to a Version.
func ParseVersion(s string) (Version, error) {
	switch s {
	case "v1", "v":
		return V1, nil
	case "v2":
		return V2, nil
	case "token":
		return Token, nil
	case "v3":
		return V3, nil
	}
	return None, errors.New("unknown token version " + strconv.Quote(s) + "; want v1, v2, token or v3")
}

// DefaultContentType is what a PUT without Content-Type is signed with:
// Prosody hands out slots with this type when the client names none.
const DefaultContentType = "application/octet-stream"

// DefaultWindow is how far a v3 timestamp may be from the server's clock.
const DefaultWindow = 300 * time.Second

// Errors returned by Verify. Both mean 403 to the client; they are kept
// apart so that logs and metrics can tell a forgery from a clock problem.
var (
	ErrNoToken   = errors.New("no upload token in the request")
	ErrMalformed = errors.New("upload token is not 64 hex digits")
	ErrMismatch  = errors.New("upload token does not match the request")
	ErrStale     = errors.New("v3 timestamp is outside the allowed window")
	ErrBadClaims = errors.New("v3 token without uploader or with a malformed timestamp")
)

// Claims are the request facts a token signs. The byte slices are borrowed:
// Verify and Append do not keep them past their return.
type Claims struct {
	Path        []byte // percent-decoded path below the prefix, no leading slash
	Size        int64  // Content-Length of the PUT
	ContentType []byte // as sent; empty means DefaultContentType
	Uploader    []byte // v3 only
	Timestamp   []byte // v3 only: decimal UNIX seconds, exactly as sent
}

// Verifier checks tokens against one shared secret. It is safe for
// concurrent use.
type Verifier struct {
	window time.Duration
	now    func() time.Time
	macs   sync.Pool // of *macState
}

type macState struct {
	mac     hash.Hash
	scratch [32]byte // formatted size, then the MAC sum
	want    [sha256.Size]byte
}

// NewVerifier returns a Verifier for secret. window bounds the distance of a
// v3 timestamp from now(); zero means DefaultWindow, nil now means time.Now.
func NewVerifier(secret []byte, window time.Duration, now func() time.Time) *Verifier {
	if window <= 0 {
		window = DefaultWindow
	}
	if now == nil {
		now = time.Now
	}
	key := append([]byte(nil), secret...)
	v := &Verifier{window: window, now: now}
	v.macs.New = func() any {
		// crypto/hmac keeps the marshalled ipad/opad states of a
		// marshalable hash, so Reset costs no compression and no allocation
		// once the state has been used once.
		m := hmac.New(sha256.New, key)
		m.Reset()
		return &macState{mac: m}
	}
	return v
}

// Verify reports whether hexMAC is the version ver token for c. It returns
// nil on success and one of the package's errors otherwise. The comparison
// takes the same time wherever the MAC differs.
func (v *Verifier) Verify(ver Version, hexMAC []byte, c *Claims) error {
	if ver == None {
		return ErrNoToken
	}
	st := v.macs.Get().(*macState)
	defer v.macs.Put(st)
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

// Append appends the lowercase hex version ver token for c to dst. It is
// what an XMPP server computes; upedge uses it for `upedge sign`, tests and
// the benchmark harness.
func (v *Verifier) Append(dst []byte, ver Version, c *Claims) []byte {
	st := v.macs.Get().(*macState)
	defer v.macs.Put(st)
	const digits = "0123456789abcdef"
	for _, b := range st.sum(ver, c) {
		dst = append(dst, digits[b>>4], digits[b&15])
	}
	return dst
}

// sum computes the MAC of the signed string of ver over c. The result lives
// in st.scratch and is valid until st is used again.
func (st *macState) sum(ver Version, c *Claims) []byte {
	m := st.mac
	m.Reset()
	sep := sepFor(ver)
	m.Write(c.Path)
	m.Write(sep)
	m.Write(strconv.AppendInt(st.scratch[:0], c.Size, 10))
	if ver != V1 {
		m.Write(sep)
		if len(c.ContentType) == 0 {
			m.Write(stringBytes(DefaultContentType))
		} else {
			m.Write(c.ContentType)
		}
	}
	if ver == V3 {
		m.Write(sep)
		m.Write(c.Uploader)
		m.Write(sep)
		m.Write(c.Timestamp)
	}
	return m.Sum(st.scratch[:0])
}

var (
	sepSpace = []byte{' '}
	sepNUL   = []byte{0}
	sepSOH   = []byte{1}
)

func sepFor(ver Version) []byte {
	switch ver {
	case V1:
		return sepSpace
	case V3:
		return sepSOH
	}
	return sepNUL
}

// stringBytes returns the bytes of s without copying; the caller must not
// modify them.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
