package dirstore

import "golang.org/x/sys/unix"

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
// if there is none (or it does not fit).
func getXattr(fd int, name string, buf []byte) int {
	n, err := unix.Fgetxattr(fd, name, buf)
	if err != nil {
		return 0
	}
	return n
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
