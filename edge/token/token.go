// Package token signs and verifies the tokens that XMPP servers put in
// XEP-0363 upload slots: the HMAC query tokens of Prosody's
// mod_http_upload_external (v1, v2), Metronome ("token", and its signed
// DELETE), HMAC File Server (the seed's v3, and 3.4's v3 with expires),
// and the HS256 JWT of Prosody 0.12's built-in mod_http_file_share.
//
// A Verifier checks tokens on the edge's request path against the current
// secret and any previous ones (rotation); a Signer makes them, as an XMPP
// server does, for `upedge sign`, the benchmark harness and tests. Both
// compute MACs with the same keyed state (mac.go), so what one signs the
// other accepts.
//
// Verification allocates nothing: the HMAC states are pooled, the signed
// string is never assembled (its pieces are written to the MAC one by one),
// the decimal size is formatted into pooled scratch space, and a JWT's
// claims are parsed by the caller's reusable JWTClaims (valyala/fastjson).
package token

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/upedge/upedge/backend/httpsem"
)

// Version names a token scheme.
type Version uint8

// The schemes. Among the query-token schemes, the order is their
// precedence: when a request carries several, the highest one is checked
// and the others are ignored. V3Expires and V3 share the query parameter
// v3 and are told apart by expires; a JWT travels in a header.
const (
	None      Version = iota
	V1                // ?v=    path SP size
	Token             // ?token= (Metronome) path NUL size NUL content-type
	V2                // ?v2=   path NUL size NUL content-type
	V3                // ?v3=   path SOH size SOH content-type SOH uploader SOH timestamp
	V3Expires         // ?v3=&expires= (HMAC File Server 3.4) METHOD LF expires LF /prefix/path
	JWT               // Authorization: Bearer (Prosody mod_http_file_share), HS256
	numVersions
)

var versionNames = [numVersions]string{
	None: "none", V1: "v", Token: "token", V2: "v2", V3: "v3", V3Expires: "v3-expires", JWT: "jwt",
}

// String returns the name of v as operators write it in token_schemes
// and `upedge sign --version`.
func (v Version) String() string {
	if v < numVersions {
		return versionNames[v]
	}
	return "none"
}

// Param returns the query parameter that carries a v token, or "" for a
// JWT (which travels in the Authorization header) and None.
func (v Version) Param() string {
	switch v {
	case V1, Token, V2, V3:
		return versionNames[v]
	case V3Expires:
		return versionNames[V3]
	}
	return ""
}

// ParseVersion maps a scheme name as operators write it ("v1" or "v",
// "v2", "token", "v3", "v3-expires", "jwt") to a Version.
func ParseVersion(s string) (Version, error) {
	if s == "v1" {
		return V1, nil
	}
	for v := V1; v < numVersions; v++ {
		if versionNames[v] == s {
			return v, nil
		}
	}
	return None, errors.New("unknown token scheme " + strconv.Quote(s) + "; want one of " + strings.Join(SchemeNames(), ", "))
}

// Schemes is a set of token schemes. The zero value is empty.
type Schemes uint16

// AllSchemes has every scheme: the default.
const AllSchemes = Schemes(1<<numVersions - 2) // all but None

// Has reports whether v is in s.
func (s Schemes) Has(v Version) bool { return v != None && s&(1<<v) != 0 }

// With returns s with v added.
func (s Schemes) With(v Version) Schemes { return s | 1<<v }

// Names returns the names of the schemes in s, in precedence order.
func (s Schemes) Names() []string {
	var names []string
	for v := V1; v < numVersions; v++ {
		if s.Has(v) {
			names = append(names, v.String())
		}
	}
	return names
}

// SchemeNames returns the names of every scheme, for config defaults and
// messages.
func SchemeNames() []string { return AllSchemes.Names() }

// ParseSchemes parses a list of scheme names (as ParseVersion reads them)
// into a set. An empty list is an error: it would refuse every upload.
func ParseSchemes(names []string) (Schemes, error) {
	var s Schemes
	for _, n := range names {
		v, err := ParseVersion(strings.TrimSpace(n))
		if err != nil {
			return 0, err
		}
		s = s.With(v)
	}
	if s == 0 {
		return 0, errors.New("no token scheme given: every upload would be refused")
	}
	return s, nil
}

// DefaultContentType is what a PUT without Content-Type is signed with:
// Prosody hands out slots with this type when the client names none.
const DefaultContentType = httpsem.DefaultContentType

// DefaultWindow is how far a v3 timestamp may be from the server's clock.
const DefaultWindow = 300 * time.Second

// Claims are the request facts a query token signs. The byte slices are
// borrowed: Verifier.Verify and Signer.Append do not keep them past their
// return.
type Claims struct {
	Path        []byte // percent-decoded path below the prefix, no leading slash
	Size        int64  // Content-Length of the PUT
	ContentType []byte // as sent; empty means DefaultContentType
	Uploader    []byte // v3 only
	Timestamp   []byte // v3 only: decimal UNIX seconds, exactly as sent

	// V3Expires only: the request method, the decimal UNIX time of
	// expires exactly as sent, and the edge's prefix ("/upload/"), which
	// with Path makes the decoded request path that scheme signs.
	Method  []byte
	Expires []byte
	Prefix  []byte
}
