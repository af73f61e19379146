package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"golang.org/x/sys/unix"
)

// Remove removes the file root/name, then the directories between it and
// root that this leaves empty, deepest first; root itself stays. With
// Sync, the directory that holds the last entry removed is synced, so that
// the removal survives a crash. name is relative ("slot/file.jpg").
//
// There being no file by that name (or a directory there) is an error
// wrapping fs.ErrNotExist. A directory that is not empty (another file, or
// one an upload has just put there) is left, which is not an error: an
// upload whose directory vanishes under it creates it again.
func Remove(root, name string, opts *Options) error {
	full := root + "/" + name
	switch err := unix.Unlink(full); {
	case err == nil:
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR), errors.Is(err, unix.EISDIR):
		return fmt.Errorf("cannot remove %q: %w", full, fs.ErrNotExist)
	default:
		return fmt.Errorf("cannot remove %q: %w", full, err)
	}
	holder := path.Dir(name)
	for holder != "." && holder != "/" {
		if unix.Rmdir(root+"/"+holder) != nil {
			break
		}
		holder = path.Dir(holder)
	}
	if holder == "." {
		return opts.syncDir(root)
	}
	return opts.syncDir(root + "/" + holder)
}
