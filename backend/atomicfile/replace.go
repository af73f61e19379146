package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// TempPrefix starts the name of a Replacement's temporary, which is made
// in the directory of its target: a cleaner of that directory can tell
// leftovers of a crash by it.
const TempPrefix = ".tmp-"

// Replacement is a file being written that is to replace path whole. The
// caller writes File, then calls Commit, or Abort to drop it; Abort after
// Commit does nothing, so it can be deferred.
type Replacement struct {
	f    *os.File
	path string
	opts Options
	done bool
}

// NewReplacement starts a replacement of path, creating its directory if
// needed. The new file has mode perm (before the umask).
func NewReplacement(path string, perm os.FileMode, opts Options) (*Replacement, error) {
	dir := filepath.Dir(path)
	if err := MkdirAll(dir, &opts); err != nil {
		return nil, fmt.Errorf("cannot create directory for %q: %w", path, err)
	}
	f, err := os.CreateTemp(dir, TempPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("cannot create a temporary for %q: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("cannot set the mode of a temporary for %q: %w", path, err)
	}
	return &Replacement{f: f, path: path, opts: opts}, nil
}

// File is the temporary to write the new content to.
func (r *Replacement) File() *os.File { return r.f }

// Commit syncs the temporary (with Sync), closes it and renames it over
// path, then syncs the directory (with Sync).
func (r *Replacement) Commit() error {
	if err := r.opts.sync(int(r.f.Fd()), r.path); err != nil {
		return err
	}
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("cannot write %q: %w", r.path, err)
	}
	if err := os.Rename(r.f.Name(), r.path); err != nil {
		return fmt.Errorf("cannot replace %q: %w", r.path, err)
	}
	r.done = true
	return r.opts.syncDir(filepath.Dir(r.path))
}

// Abort drops the temporary unless Commit has renamed it.
func (r *Replacement) Abort() {
	if r.done {
		return
	}
	r.done = true
	r.f.Close()
	os.Remove(r.f.Name())
}

// WriteFile replaces path with data, crash-safely.
func WriteFile(path string, data []byte, perm os.FileMode, opts Options) error {
	r, err := NewReplacement(path, perm, opts)
	if err != nil {
		return err
	}
	defer r.Abort()
	if _, err := r.f.Write(data); err != nil {
		return fmt.Errorf("cannot write %q: %w", path, err)
	}
	return r.Commit()
}
