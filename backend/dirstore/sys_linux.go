package dirstore

import "golang.org/x/sys/unix"

// Extended attributes the store keeps with a file.
const (
	xattrContentType = "user.upedge.content_type"
	// xattrName holds the real name (the slot path) of a file stored
	// under a backend/longname form because a segment was too long.
	xattrName = "user.upedge.name"
)

// openRoot opens the store directory for lookups relative to it; O_PATH,
// since it is never read itself.
func openRoot(dir string) (int, error) {
	return unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
}

// setContentType keeps ct with the file fd, if the file system lets it.
func setContentType(fd int, ct string) {
	_ = unix.Fsetxattr(fd, xattrContentType, []byte(ct), 0)
}

// getContentType reads the type kept with fd into buf and returns its
// length, 0 if there is none.
func getContentType(fd int, buf []byte) int {
	n, err := unix.Fgetxattr(fd, xattrContentType, buf)
	if err != nil {
		return 0
	}
	return n
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
	_ = unix.Fsetxattr(fd, xattrName, []byte(name), 0)
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
