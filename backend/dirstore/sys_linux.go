package dirstore

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// openRoot opens the store directory for lookups relative to it; O_PATH,
// since it is never read itself.
func openRoot(dir string) (int, error) {
	return unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
}

// setXattr keeps v as attribute name of the file fd. It fails with
// ENOTSUP (EOPNOTSUPP) on file systems without user xattrs.
func setXattr(fd int, name string, v []byte) error {
	return unix.Fsetxattr(fd, name, v, 0)
}

// getXattr reads attribute name of fd into buf and returns its length, 0
// if there is none (or it does not fit). It is on the download path:
// unix.Fgetxattr would allocate a C string of name on every call, so the
// names are kept NUL-terminated once (xattrNames) and the call is made
// directly.
func getXattr(fd int, name string, buf []byte) int {
	cname := xattrNames[name]
	if cname == nil || len(buf) == 0 {
		return 0
	}
	n, _, errno := unix.Syscall6(unix.SYS_FGETXATTR, uintptr(fd), uintptr(unsafe.Pointer(&cname[0])),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if errno != 0 {
		return 0
	}
	return int(n)
}

// xattrNames are the attribute names getXattr reads, NUL-terminated.
var xattrNames = map[string][]byte{
	xattrContentType: []byte(xattrContentType + "\x00"),
	xattrUploader:    []byte(xattrUploader + "\x00"),
	xattrExpires:     []byte(xattrExpires + "\x00"),
}

// getXattrAt is getXattr for a path, not following a symbolic link: for
// sweeps and listings, which need no descriptor.
func getXattrAt(path, name string, buf []byte) (int, error) {
	return unix.Lgetxattr(path, name, buf)
}

// setContentType keeps ct with the file fd, if the file system lets it.
func setContentType(fd int, ct string) {
	_ = setXattr(fd, xattrContentType, []byte(ct))
}

// getContentType reads the type kept with fd into buf and returns its
// length, 0 if there is none.
func getContentType(fd int, buf []byte) int {
	return getXattr(fd, xattrContentType, buf)
}

// statTimes returns the modification and change times of st.
func statTimes(st *unix.Stat_t) (mtim, ctim unix.Timespec) {
	return st.Mtim, st.Ctim
}

// replaceFd makes the descriptor number to refer to what from refers to,
// atomically (dup3 closes the old one in the same step).
func replaceFd(from, to int) error {
	return unix.Dup3(from, to, unix.O_CLOEXEC)
}

// setRealName keeps the real name with the file fd, if the file system
// lets it.
func setRealName(fd int, name string) {
	_ = setXattr(fd, xattrName, []byte(name))
}

// nameMax returns the longest name, in bytes, that the file system of
// the directory fd takes.
func nameMax(fd int) (int, error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return 0, err
	}
	return int(st.Namelen), nil
}
