package atomicfile

import (
	"errors"
	"strconv"

	"golang.org/x/sys/unix"
)

// errNoTmpfile: the file system of the directory has no O_TMPFILE.
var errNoTmpfile = errors.New("O_TMPFILE not supported")

// openTmpfile opens an unnamed file on the file system of dir.
func openTmpfile(dir string) (int, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, FilePerm)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL) {
		return -1, errNoTmpfile
	}
	return fd, err
}

// linkTmpfile gives the unnamed file fd the name path. Linking it by its
// /proc path needs no privilege, unlike AT_EMPTY_PATH.
func linkTmpfile(fd int, path string) error {
	return unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
}
