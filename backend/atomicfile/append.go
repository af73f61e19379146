package atomicfile

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Append adds line to the end of the log file path in one write, creating
// the file (mode FilePerm) and its directory when missing. Concurrent
// appends, from this process or another, never interleave: O_APPEND
// writes of a regular file are made whole under the inode's lock. With
// Sync the line is on disk when Append returns, and so is the file's name
// when Append created it. A crash may leave a line cut short at the end:
// readers of such logs skip what does not parse.
func Append(path string, line []byte, opts Options) error {
	fd, created, err := openAppend(path, &opts)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for len(line) > 0 {
		n, err := unix.Write(fd, line)
		if err != nil {
			return fmt.Errorf("cannot append to %q: %w", path, err)
		}
		line = line[n:]
	}
	if err := opts.sync(fd, path); err != nil {
		return err
	}
	if created {
		return opts.syncDir(filepath.Dir(path))
	}
	return nil
}

// openAppend opens path for appending; created reports that this call
// made it. A missing directory is made (someone may have removed it).
func openAppend(path string, opts *Options) (fd int, created bool, err error) {
	const flags = unix.O_WRONLY | unix.O_APPEND | unix.O_CLOEXEC
	for attempt := 0; attempt < 3; attempt++ {
		fd, err = unix.Open(path, flags, 0)
		if err == nil {
			return fd, false, nil
		}
		if !errors.Is(err, unix.ENOENT) {
			break
		}
		fd, err = unix.Open(path, flags|unix.O_CREAT|unix.O_EXCL, FilePerm)
		switch {
		case err == nil:
			return fd, true, nil
		case errors.Is(err, unix.EEXIST):
			continue // made by a concurrent Append
		case errors.Is(err, unix.ENOENT):
			if err = MkdirAll(filepath.Dir(path), opts); err != nil {
				return -1, false, err
			}
			continue
		}
		break
	}
	return -1, false, fmt.Errorf("cannot open %q to append to it: %w", path, err)
}
