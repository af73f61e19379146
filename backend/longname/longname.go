// Package longname maps slot paths onto names a store can hold when a
// segment is too long for it: file systems limit one name to NAME_MAX
// bytes (255 on ext4, XFS, Btrfs, tmpfs), while slots carry file names of
// up to 255 characters, which in UTF-8 can be three times as many bytes.
//
// A segment that fits is kept as it is, readable. One that does not is
// stored as its head (cut at a UTF-8 character boundary), '~', 32
// lowercase hex digits of its SHA-256, and its extension when that is
// short:
//
//	Привет…(127 letters).txt  →  Привет…(106 letters)~9f86d081884c7d659a2feaa0c55ad015.txt
//
// The mapping is a pure function of the segment and the limit, so it
// needs no index and holds across restarts, retention and purges. It
// never makes two names one: a segment that fits but has the shape of a
// hashed one (a '~' followed by 32 lowercase hex digits, at the end or
// before a final extension) is hashed as well, so a name kept as it is
// never has that shape and a hashed one always does; two hashed names
// differ unless their SHA-256 prefixes collide (2^-128).
//
// Stores keep the real name beside the object for people and tools
// (dirstore in an extended attribute, httporigin in its metadata).
package longname

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// NameMax is the segment limit of stores that cannot ask their file
// system: NAME_MAX of ext4, XFS, Btrfs and tmpfs, which WebDAV servers
// keep files on, and the segment limit of S3 servers that keep objects
// as files or directories (MinIO, Versity's posix backend).
const NameMax = 255

const (
	// hashLen is the number of hex digits of the digest kept.
	hashLen = 32
	// maxExt is the longest extension kept after the digest, dot
	// included: ".jpeg", ".tar.gz" is ".gz".
	maxExt = 16
	// MinLimit is the smallest segment limit a hashed name fits in with
	// a one-byte head and the longest extension.
	MinLimit = 1 + 1 + hashLen + maxExt
)

// Fits reports whether every segment of name is kept as it is under
// limit, so that Append would return name unchanged. It allocates nothing.
func Fits(name string, limit int) bool {
	for len(name) > 0 {
		seg := name
		if i := strings.IndexByte(name, '/'); i >= 0 {
			seg, name = name[:i], name[i+1:]
		} else {
			name = ""
		}
		if !segmentFits(seg, limit) {
			return false
		}
	}
	return true
}

func segmentFits(seg string, limit int) bool {
	return len(seg) <= limit && !looksHashed(seg)
}

// looksHashed reports whether seg has the shape of a hashed segment: its
// last '~' followed by hashLen lowercase hex digits, then nothing or an
// extension.
func looksHashed(seg string) bool {
	i := strings.LastIndexByte(seg, '~')
	if i < 0 {
		return false
	}
	rest := seg[i+1:]
	if len(rest) < hashLen || (len(rest) > hashLen && rest[hashLen] != '.') {
		return false
	}
	for j := 0; j < hashLen; j++ {
		c := rest[j]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Append appends name to dst with every segment that does not fit under
// limit (see Fits) replaced by its hashed form, and returns it. limit
// must be at least MinLimit.
func Append(dst []byte, name string, limit int) []byte {
	for first := true; len(name) > 0; first = false {
		seg := name
		if i := strings.IndexByte(name, '/'); i >= 0 {
			seg, name = name[:i], name[i+1:]
		} else {
			name = ""
		}
		if !first {
			dst = append(dst, '/')
		}
		if segmentFits(seg, limit) {
			dst = append(dst, seg...)
			continue
		}
		dst = appendHashed(dst, seg, limit)
	}
	return dst
}

// Map returns name as Append maps it, name itself (no allocation) when
// it fits.
func Map(name string, limit int) string {
	if Fits(name, limit) {
		return name
	}
	return string(Append(make([]byte, 0, len(name)), name, limit))
}

// appendHashed appends the hashed form of seg: head, '~', digest, ext.
func appendHashed(dst []byte, seg string, limit int) []byte {
	ext := extension(seg)
	head := seg[:len(seg)-len(ext)]
	room := limit - 1 - hashLen - len(ext)
	if len(head) > room {
		// Cut before a character, so that the head stays readable;
		// bytes that are not UTF-8 are cut anywhere.
		n := room
		for n > 0 && n > room-utf8.UTFMax && !utf8.RuneStart(head[n]) {
			n--
		}
		head = head[:n]
	}
	sum := sha256.Sum256([]byte(seg))
	dst = append(dst, head...)
	dst = append(dst, '~')
	dst = hex.AppendEncode(dst, sum[:hashLen/2])
	return append(dst, ext...)
}

// extension returns the extension of seg kept after the digest: from its
// last '.', when that is not the first byte, at most maxExt bytes long,
// and holds no '~'.
func extension(seg string) string {
	i := strings.LastIndexByte(seg, '.')
	if i <= 0 || len(seg)-i > maxExt || strings.IndexByte(seg[i:], '~') >= 0 {
		return ""
	}
	return seg[i:]
}
