// Package atomicfile owns crash-safe writes: a file is written under a
// temporary name (or none), synced, and only then given its name, so that
// a reader or a crash sees the old state or the new one whole, never a
// part. Two ways of naming it:
//
//   - Temp.Link gives a finished temporary its name and never replaces an
//     existing one (uploads: of concurrent writers to one name exactly one
//     wins). On Linux the temporary is an unnamed O_TMPFILE inode, linked
//     with linkat, so a cut write leaves nothing at all.
//   - Replacement.Commit renames a finished temporary over its name (state
//     files and caches, where the newest write wins).
//
// With Options.Sync every step is made durable, in order: the file's data
// before it gets its name, then the directory that holds the new name,
// and for every directory created on the way the directory that holds
// it. Without Sync there is not one syscall more than the write needs.
package atomicfile

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Options configure the writes.
type Options struct {
	// Sync makes a write durable before it returns (fsync of the file and
	// of the directories whose entries changed); off, it is durable once
	// the kernel writes it back.
	Sync bool
	// SyncHook, when set, is called instead of fsync(2) for each sync,
	// with the descriptor and the path of the file or directory it is
	// (for a temporary file, the path it is about to get). Tests use it
	// to see what is synced; it is called only with Sync on.
	SyncHook func(fd int, path string) error
}

// sync flushes fd, which is path, when o asks for it.
func (o *Options) sync(fd int, path string) error {
	if !o.Sync {
		return nil
	}
	var err error
	if o.SyncHook != nil {
		err = o.SyncHook(fd, path)
	} else {
		err = unix.Fsync(fd)
	}
	if err != nil {
		return fmt.Errorf("cannot sync %q: %w", path, err)
	}
	return nil
}

// syncDir flushes the directory dir, so that the entries made in it last.
func (o *Options) syncDir(dir string) error {
	if !o.Sync {
		return nil
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("cannot open directory %q to sync it: %w", dir, err)
	}
	err = o.sync(fd, dir)
	unix.Close(fd)
	return err
}

// Modes of the files and directories the package creates, before the
// umask. Replacements take theirs from the caller.
const (
	FilePerm = 0o644
	DirPerm  = 0o755
)

// MkdirAll creates dir and its missing parents like os.MkdirAll and, with
// Sync, syncs the directory holding each one it created. The common case,
// dir's parent existing, costs one mkdir.
func MkdirAll(dir string, opts *Options) error {
	err := unix.Mkdir(dir, DirPerm)
	switch {
	case err == nil:
		return opts.syncDir(filepath.Dir(dir))
	case errors.Is(err, unix.EEXIST):
		// A file of that name makes the caller's next step fail, with
		// the error that tells why.
		return nil
	case !errors.Is(err, unix.ENOENT):
		return fmt.Errorf("cannot create directory %q: %w", dir, err)
	}
	parent := filepath.Dir(dir)
	if parent == dir {
		return fmt.Errorf("cannot create directory %q: %w", dir, err)
	}
	if err := MkdirAll(parent, opts); err != nil {
		return err
	}
	return MkdirAll(dir, opts)
}

// SyncDir syncs the directory dir (with Sync), so that the entries made
// or removed in it last survive a power cut: after a removal someone was
// told about (a DELETE answered 204, a purge for an account's deletion).
// A removal that is merely repeated when lost (retention's) does not
// need it.
func SyncDir(dir string, opts *Options) error { return opts.syncDir(dir) }
