package dirstore

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/upedge/upedge/backend/atomicfile"
)

// rootCheckEvery is how often, at most, the store compares the directory
// at its path with the one it holds open, when nothing fails before.
const rootCheckEvery = time.Second

// rootDir is the store directory, held open (O_PATH) so that lookups walk
// the name below it only, and followed when the directory at its path is
// replaced: moved away and made anew (`mv STORE STORE.old; mkdir STORE`),
// removed (`find STORE -type d -empty -delete` removes an empty store
// too), or a file system unmounted and mounted again. Uploads are linked
// by path and would land in the new directory while downloads, through
// the descriptor, still looked in the old one.
//
// The descriptor's number never changes: a replacement is dup3'ed onto
// it, which the kernel does atomically, so that a lookup running
// meanwhile sees the old directory or the new one and never a closed or
// reused descriptor, and no lookup has to take a lock.
//
// Noticing costs one stat of the path: at most once per rootCheckEvery
// (the request that finds the time due does it), and at once when the
// reserved directory of temporaries is found missing, which is how a
// removed or replaced root shows on the next upload.
type rootDir struct {
	path string
	fd   int
	// due is the UnixNano after which the next timed check is due.
	due atomic.Int64
	// mu serialises checks; dev and ino, under it, identify fd's
	// directory.
	mu       sync.Mutex
	dev, ino uint64
	opts     *atomicfile.Options // to sync a root made again
	// replaced is called, under mu, once the store follows a new
	// directory.
	replaced func()
}

// openRootDir opens path, creating it (and its parents, synced as opts
// say) when missing.
func openRootDir(path string, opts *atomicfile.Options) (*rootDir, error) {
	if err := atomicfile.MkdirAll(path, opts); err != nil {
		return nil, err
	}
	fd, err := openRoot(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open store directory %q: %w", path, err)
	}
	r := &rootDir{path: path, fd: fd, opts: opts}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("cannot stat store directory %q: %w", path, err)
	}
	r.dev, r.ino = uint64(st.Dev), st.Ino
	r.due.Store(time.Now().Add(rootCheckEvery).UnixNano())
	return r, nil
}

// tick checks the root when a timed check is due at now (UnixNano); of
// the requests that find it due, one does it.
func (r *rootDir) tick(now int64) {
	due := r.due.Load()
	if now < due || !r.due.CompareAndSwap(due, now+int64(rootCheckEvery)) {
		return
	}
	_ = r.check()
}

// check compares the directory at r.path with the one r holds and
// follows a replacement; a root that is gone is made again.
func (r *rootDir) check() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var st unix.Stat_t
	err := unix.Stat(r.path, &st)
	if errors.Is(err, unix.ENOENT) {
		if err := atomicfile.MkdirAll(r.path, r.opts); err != nil {
			return err
		}
		err = unix.Stat(r.path, &st)
	}
	if err != nil {
		return fmt.Errorf("cannot check store directory %q: %w", r.path, err)
	}
	if uint64(st.Dev) == r.dev && st.Ino == r.ino {
		return nil
	}
	fd, err := openRoot(r.path)
	if err != nil {
		return fmt.Errorf("cannot open replaced store directory %q: %w", r.path, err)
	}
	defer unix.Close(fd)
	// Identify what was opened, not what was stat'ed: it may have been
	// replaced once more in between.
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("cannot stat replaced store directory %q: %w", r.path, err)
	}
	if err := replaceFd(fd, r.fd); err != nil {
		return fmt.Errorf("cannot follow replaced store directory %q: %w", r.path, err)
	}
	r.dev, r.ino = uint64(st.Dev), st.Ino
	if r.replaced != nil {
		r.replaced()
	}
	return nil
}
