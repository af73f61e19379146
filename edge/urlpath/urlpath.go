// Package urlpath turns the path of a request URI into the slot path that
// upload tokens sign: the prefix stripped, percent-decoded with path rules
// ('+' stays '+'), and checked so that it can name nothing outside the store.
//
// fasthttp's own ctx.Path() is not used for this on purpose: it resolves
// "/a/../b" to "/b", so a token for "b" would accept a request for
// "a/../b"; we want that request refused, not rewritten.
package urlpath

import (
	"errors"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httpsem"
)

// Errors returned by Relative. ErrOutsidePrefix means the request is not for
// us (404); ErrBadPath means it is for us but malformed (400); ErrTooLong
// means the decoded path is longer than MaxPath (414).
var (
	ErrOutsidePrefix = errors.New("path is outside the upload prefix")
	ErrBadPath       = errors.New("path is malformed or tries to leave the store")
	ErrTooLong       = errors.New("path is longer than the edge stores")
)

// MaxPath is the longest decoded slot path accepted, in bytes: S3's key
// limit, so that every store holds every path the edge accepts (an S3
// origin's key prefix counts against it there). It is more than any
// client's file name needs: 255 characters (NTFS, APFS, HFS+; ext4 and
// its kin take 255 bytes) are at most 765 bytes of UTF-8 for the letters
// of any living script, and Prosody's slot directory adds 37, ejabberd's
// two 82. One segment may take all of it: stores map segments longer
// than their file systems allow (backend/longname).
const MaxPath = 1024

// NormalizePrefix returns p with exactly one leading and one trailing slash
// ("" and "/" both become "/").
func NormalizePrefix(p string) string {
	for len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	if p == "" {
		return "/"
	}
	return "/" + p + "/"
}

// Relative appends to dst the decoded path of rawPath below prefix and
// returns it. rawPath is the path of the request URI as sent (no query);
// prefix must come from NormalizePrefix. The result has no leading slash,
// no empty, "." or ".." segment, no segment backend.ReservedName or
// starting with backend.ReservedPrefix, no NUL or other control byte, and
// at most MaxPath bytes.
func Relative(dst, rawPath []byte, prefix string) ([]byte, error) {
	if len(rawPath) < len(prefix) || string(rawPath[:len(prefix)]) != prefix {
		return dst, ErrOutsidePrefix
	}
	rest := rawPath[len(prefix):]
	start := len(dst)
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c == '%' {
			if i+2 >= len(rest) {
				return dst[:start], ErrBadPath
			}
			hi, ok1 := httpsem.Unhex(rest[i+1])
			lo, ok2 := httpsem.Unhex(rest[i+2])
			if !ok1 || !ok2 {
				return dst[:start], ErrBadPath
			}
			c = hi<<4 | lo
			i += 2
		}
		dst = append(dst, c)
	}
	if len(dst)-start > MaxPath {
		return dst[:start], ErrTooLong
	}
	if !Valid(dst[start:]) {
		return dst[:start], ErrBadPath
	}
	return dst, nil
}

// Valid reports whether p, a decoded relative path, is safe to use as a
// name below the store root (see Relative for the rules).
func Valid(p []byte) bool {
	if len(p) == 0 || len(p) > MaxPath {
		return false
	}
	segStart := 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) {
			c := p[i]
			if c < 0x20 || c == 0x7f {
				return false
			}
			if c != '/' {
				continue
			}
		}
		seg := p[segStart:i]
		switch {
		case len(seg) == 0, string(seg) == backend.ReservedName, hasPrefix(seg, backend.ReservedPrefix):
			return false
		case len(seg) == 1 && seg[0] == '.':
			return false
		case len(seg) == 2 && seg[0] == '.' && seg[1] == '.':
			return false
		}
		segStart = i + 1
	}
	return true
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}
