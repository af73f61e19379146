package token

import (
	"crypto/hmac"
	"hash"
	"strconv"
	"sync"
	"unsafe"

	sha256 "github.com/minio/sha256-simd"
)

// keyedMAC is the state a Signer and a Verifier share: HMAC-SHA256 states
// for one secret, pooled so that neither allocates per token.
type keyedMAC struct {
	states sync.Pool // of *macState
}

type macState struct {
	mac     hash.Hash
	scratch [32]byte // formatted size, then the MAC sum
	// json is the Signer's buffer for a JWT payload; the Verifier never
	// touches it.
	json []byte
}

// init makes k compute MACs keyed with a copy of secret, so that the caller
// may reuse its slice.
func (k *keyedMAC) init(secret []byte) {
	key := append([]byte(nil), secret...)
	k.states.New = func() any {
		// crypto/hmac keeps the marshalled ipad/opad states of a
		// marshalable hash, so Reset costs no compression and no allocation
		// once the state has been used once.
		m := hmac.New(sha256.New, key)
		m.Reset()
		return &macState{mac: m}
	}
}

// get returns a state for one MAC; the caller must hand it back with put.
func (k *keyedMAC) get() *macState { return k.states.Get().(*macState) }

func (k *keyedMAC) put(st *macState) { k.states.Put(st) }

// sum computes the MAC of the signed string of query-token scheme ver over
// c. The result lives in st.scratch and is valid until st is used again.
func (st *macState) sum(ver Version, c *Claims) []byte {
	m := st.mac
	m.Reset()
	if ver == V3Expires {
		// HMAC File Server 3.4: METHOD LF expires LF /prefix/path.
		m.Write(c.Method)
		m.Write(sepLF)
		m.Write(c.Expires)
		m.Write(sepLF)
		m.Write(c.Prefix)
		m.Write(c.Path)
		return m.Sum(st.scratch[:0])
	}
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

// sumDelete computes the MAC of Metronome's signed DELETE: the message is
// path NUL deleteSecret (the key is the upload secret). The result lives
// in st.scratch.
func (st *macState) sumDelete(path, deleteSecret []byte) []byte {
	m := st.mac
	m.Reset()
	m.Write(path)
	m.Write(sepNUL)
	m.Write(deleteSecret)
	return m.Sum(st.scratch[:0])
}

// sumRaw computes the MAC of msg as it is (a JWT's header.payload). The
// result lives in st.scratch.
func (st *macState) sumRaw(msg []byte) []byte {
	m := st.mac
	m.Reset()
	m.Write(msg)
	return m.Sum(st.scratch[:0])
}

var (
	sepSpace = []byte{' '}
	sepNUL   = []byte{0}
	sepSOH   = []byte{1}
	sepLF    = []byte{'\n'}
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
