// Package token signs and verifies the HMAC tokens that XMPP servers put in
// XEP-0363 upload slots (Prosody's mod_http_upload_external v1 and v2,
// Metronome's "token", HMAC File Server v3).
//
// A Verifier checks tokens on the edge's request path; a Signer makes them,
// as an XMPP server does, for `upedge sign`, the benchmark harness and tests.
// Both compute the MAC with the same keyed state (mac.go), so what one signs
// the other accepts.
//
// Verification allocates nothing: the HMAC states are pooled, the signed
// string is never assembled (its pieces are written to the MAC one by one),
// and the decimal size is formatted into pooled scratch space.
package token

import (
	"errors"
	"strconv"
	"time"

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
const DefaultContentType = httpsem.DefaultContentType

// DefaultWindow is how far a v3 timestamp may be from the server's clock.
const DefaultWindow = 300 * time.Second

// Claims are the request facts a token signs. The byte slices are borrowed:
// Verifier.Verify and Signer.Append do not keep them past their return.
type Claims struct {
	Path        []byte // percent-decoded path below the prefix, no leading slash
	Size        int64  // Content-Length of the PUT
	ContentType []byte // as sent; empty means DefaultContentType
	Uploader    []byte // v3 only
	Timestamp   []byte // v3 only: decimal UNIX seconds, exactly as sent
}
