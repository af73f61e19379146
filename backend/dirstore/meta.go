package dirstore

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httpsem"
)

// The metadata kept with each upload, as user extended attributes of its
// file, set on the temporary before it is linked, so that a file is never
// seen without them.
//
// Where the file system has no user xattrs (ramfs, vfat, older tmpfs, some
// NFS mounts), the content type falls back to the one of the file name's
// extension (as nginx does); the uploader and the expiry have no such
// fallback, and an upload that carries either is refused (the edge
// answers 500 and logs why) rather than stored without them: a file kept
// past its expiry, or that purge by uploader cannot find, would break
// what the XMPP server promised its user. Store.Xattrs tells at start.
const (
	xattrContentType = "user.upedge.content_type"
	// xattrUploader is PutInfo.Uploader, the bare JID, byte for byte.
	xattrUploader = "user.upedge.uploader"
	// xattrExpires is PutInfo.Expires in decimal UNIX seconds.
	xattrExpires = "user.upedge.expires"
	// xattrName is the real name (the slot path) of a file stored under
	// its backend/longname form because a segment was too long; set only
	// on those.
	xattrName = "user.upedge.name"
)

// maxUploader bounds the uploader read back from a file: a bare JID is at
// most 1023 bytes of localpart and 1023 of domain (RFC 7622 §3.1).
const maxUploader = 2048

// keepMeta sets the metadata of info on the temporary fd that will become
// name.
func keepMeta(fd int, name string, info *backend.PutInfo) error {
	if info.ContentType != "" {
		// Best effort: without xattr support the type comes from the name.
		setContentType(fd, info.ContentType)
	}
	if info.Uploader != "" {
		if err := setXattr(fd, xattrUploader, []byte(info.Uploader)); err != nil {
			return fmt.Errorf("cannot keep the uploader of %q with it: %w", name, xattrError(err))
		}
	}
	if !info.Expires.IsZero() {
		var b [24]byte
		if err := setXattr(fd, xattrExpires, strconv.AppendInt(b[:0], expiresUnix(info.Expires), 10)); err != nil {
			return fmt.Errorf("cannot keep the expiry of %q with it: %w", name, xattrError(err))
		}
	}
	return nil
}

// expiresUnix is t in UNIX seconds, at least 1: 0 is "no expiry" when
// read back, and a time before 1970 has passed as surely as 1970 has.
func expiresUnix(t time.Time) int64 { return max(t.Unix(), 1) }

func xattrError(err error) error {
	if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("the store's file system has no user extended attributes (%w)", err)
	}
	return mapNoSpace(err)
}

// readExpires returns the expiry kept with fd in UNIX seconds, 0 for none.
func readExpires(fd int) int64 {
	var buf [24]byte
	return parseExpires(buf[:getXattr(fd, xattrExpires, buf[:])])
}

// parseExpires parses decimal UNIX seconds without allocating; anything
// else is 0 (none).
func parseExpires(b []byte) int64 {
	if len(b) == 0 || len(b) > 18 {
		return 0
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// unixTime is the Object.Expires of UNIX seconds sec, zero for 0.
func unixTime(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

// Xattrs reports whether the store's file system keeps user extended
// attributes, probed once in New: without them content types come from
// file names, and uploads that carry an uploader or an expiry are refused.
func (s *Store) Xattrs() bool { return s.xattrs }

// probeXattrs reports whether a temporary in the store takes a user xattr.
func (s *Store) probeXattrs() bool {
	f, err := s.temps.Create()
	if err != nil {
		// Found out by the first upload instead, with its own error.
		return true
	}
	defer f.Discard()
	err = setXattr(f.Fd(), xattrContentType, []byte(httpsem.DefaultContentType))
	return !errors.Is(err, unix.ENOTSUP) && !errors.Is(err, unix.EOPNOTSUPP)
}
