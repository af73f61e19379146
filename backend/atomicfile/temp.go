package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// TempDir makes the temporaries of writes that Temp.Link names. It uses
// unnamed ones (O_TMPFILE) where the file system has them and named ones
// in dir elsewhere; RemoveTemps clears what a crash left of the latter.
// dir must be on the file system of the names that temporaries get.
// A TempDir is safe for concurrent use.
//
// dir may vanish under it (an operator's `rm -rf`, or a cron job's
// `find STORE -type d -empty -delete`): Create then makes it again, with
// its missing parents, and carries on. Finding that out costs nothing
// while dir exists: the create that fails is the check.
type TempDir struct {
	dir       string
	opts      Options
	noTmpfile atomic.Bool // O_TMPFILE is not supported in dir
	seq       atomic.Uint64
	onMissing func()
}

// NewTempDir returns a TempDir making temporaries in dir, which exists.
func NewTempDir(dir string, opts Options) *TempDir {
	return &TempDir{dir: dir, opts: opts}
}

// OnMissing sets f to be called when dir is found missing, before it is
// made again; a store uses it to check whether its whole root was
// replaced. Call it before the TempDir is used.
func (td *TempDir) OnMissing(f func()) { td.onMissing = f }

// RemoveTemps removes the named temporaries a previous process left in
// dir. Call it before the TempDir of dir is used.
func RemoveTemps(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("cannot list temporaries in %q: %w", dir, err)
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("cannot remove stale temporary %q: %w", e.Name(), err)
		}
	}
	return nil
}

// Temp is a file being written, not yet under its name. It is a raw
// descriptor rather than an os.File, whose creation costs an fcntl and
// whose writes go through the poller for nothing (regular files never
// block in it). Link or Discard it, then Close it.
type Temp struct {
	fd   int
	name string // "" for an O_TMPFILE, which has none
	td   *TempDir
}

// Create returns a new, empty temporary, mode FilePerm before the umask.
// When td's directory has vanished, it is made again (synced as Options
// say) and the create is tried once more.
func (td *TempDir) Create() (*Temp, error) {
	t, err := td.create()
	if err == nil || !errors.Is(err, unix.ENOENT) {
		return t, err
	}
	if td.onMissing != nil {
		td.onMissing()
	}
	if merr := MkdirAll(td.dir, &td.opts); merr != nil {
		return nil, fmt.Errorf("cannot make the vanished directory of temporaries again: %w", merr)
	}
	return td.create()
}

func (td *TempDir) create() (*Temp, error) {
	if !td.noTmpfile.Load() {
		fd, err := openTmpfile(td.dir)
		if err == nil {
			return &Temp{fd: fd, td: td}, nil
		}
		if !errors.Is(err, errNoTmpfile) {
			return nil, fmt.Errorf("cannot create a temporary in %q: %w", td.dir, err)
		}
		td.noTmpfile.Store(true)
	}
	name := filepath.Join(td.dir, strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(td.seq.Add(1), 10))
	fd, err := unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, FilePerm)
	if err != nil {
		return nil, fmt.Errorf("cannot create a temporary in %q: %w", td.dir, err)
	}
	return &Temp{fd: fd, name: name, td: td}, nil
}

// NoTmpfile makes td create named temporaries, as on a file system
// without O_TMPFILE; for tests of that path.
func (td *TempDir) NoTmpfile() { td.noTmpfile.Store(true) }

// Fd is the temporary's descriptor, for what the package does not do
// (extended attributes). It is valid until Close or Discard.
func (t *Temp) Fd() int { return t.fd }

// Write writes all of p.
func (t *Temp) Write(p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(t.fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// linkAttempts bounds how often Link makes the directory of path again
// because it vanished between mkdir and link (a concurrent cleaner).
const linkAttempts = 3

// Link syncs the temporary (with Sync), gives it the name path, creating
// the directories on the way, and syncs the directories whose entries
// changed (with Sync). A failed Link leaves no name. It never replaces an existing name: an existing
// path fails with an error wrapping unix.EEXIST, a file where a directory
// of path should be with one wrapping unix.ENOTDIR or unix.EEXIST.
func (t *Temp) Link(path string) error {
	opts := &t.td.opts
	if err := opts.sync(t.fd, path); err != nil {
		return err
	}
	// Most names go into a fresh directory: making it first spares the
	// link that would fail with ENOENT.
	dir := filepath.Dir(path)
	if err := MkdirAll(dir, opts); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		var err error
		if t.name != "" {
			err = unix.Linkat(unix.AT_FDCWD, t.name, unix.AT_FDCWD, path, 0)
		} else {
			err = linkTmpfile(t.fd, path)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, unix.ENOENT) || attempt == linkAttempts {
			return fmt.Errorf("cannot link %q: %w", path, err)
		}
		if err := MkdirAll(dir, opts); err != nil {
			return err
		}
	}
	if t.name != "" {
		_ = unix.Unlink(t.name)
		t.name = ""
	}
	if err := opts.syncDir(dir); err != nil {
		// The name would not survive a crash, and the caller is told the
		// write failed: take the name back, so that it does not stay.
		_ = unix.Unlink(path)
		return err
	}
	return nil
}

// Discard removes a temporary that is not to be linked, and closes it.
func (t *Temp) Discard() {
	if t.name != "" {
		_ = unix.Unlink(t.name)
		t.name = ""
	}
	_ = unix.Close(t.fd)
}

// Close closes a linked temporary. Its error may be a late write error
// (on network file systems).
func (t *Temp) Close() error {
	return unix.Close(t.fd)
}
