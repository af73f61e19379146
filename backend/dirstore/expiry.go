package dirstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/upedge/upedge/backend/atomicfile"
)

// Uploads with an expiry (PutInfo.Expires) are removed by the expiry
// sweeper, whatever retention says. It does not scan the store: Put notes
// each such upload in an index below the reserved directory, one file per
// hour of expiry time (named by the UNIX second the hour starts), a line
// "EXPIRES NAME" each, appended. A sweep lists the index directory (one
// entry per hour that still has expiries: 168 for a week's worth) and
// reads only the files of hours that have begun; the files of hours that
// have passed are removed once handled. So a sweep costs nothing on a
// store without expiries, and on one with them a read of the lines that
// are due, plus a getxattr and an unlink per due file.
//
// The index is a hint; the file's own expiry xattr decides. A line whose
// upload failed, or whose file was deleted or uploaded anew with another
// expiry, removes nothing.

// expiryDirName is the index directory, below ReservedDir.
const expiryDirName = "expiry"

// expiryBucket is the span of expiry times one index file covers, in
// seconds.
const expiryBucket = 3600

// DefaultExpiryInterval is how often RunExpiry sweeps: files are removed
// at most this long after their expiry (downloads are refused from the
// second it passes; see backend.Object.Expires).
const DefaultExpiryInterval = time.Minute

// Pace of the sweeps (retention and expiry) unless configured: entries
// handled per step, and the pause between steps.
const (
	defaultBatch = 256
	defaultPause = 5 * time.Millisecond
)

// maxIndexLine bounds a line of the index: the longest name the edge
// accepts is far shorter.
const maxIndexLine = 64 << 10

type expiryIndex struct {
	dir  string
	sync atomicfile.Options
}

// note records that name expires at (UNIX seconds).
func (x *expiryIndex) note(name string, at int64) error {
	line := make([]byte, 0, len(name)+24)
	line = strconv.AppendInt(line, at, 10)
	line = append(line, ' ')
	line = append(line, name...)
	line = append(line, '\n')
	fn := x.dir + "/" + strconv.FormatInt(at-at%expiryBucket, 10)
	if err := atomicfile.Append(fn, line, x.sync); err != nil {
		return fmt.Errorf("cannot note the expiry of %q: %w", name, mapNoSpace(err))
	}
	return nil
}

// ExpiryOptions configure the expiry sweeper. The zero value of each
// field is its default.
type ExpiryOptions struct {
	// Interval between the starts of two sweeps; default
	// DefaultExpiryInterval.
	Interval time.Duration
	// Batch is how many files are handled per step; default 256.
	Batch int
	// Pause between steps; default 5ms.
	Pause time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// OnRemove, when set, is called for every removed file with its size.
	OnRemove func(size int64)
	// OnError, when set, receives errors that did not stop the sweep.
	OnError func(error)
}

func (o *ExpiryOptions) defaults() {
	if o.Interval <= 0 {
		o.Interval = DefaultExpiryInterval
	}
	sweepDefaults(&o.Batch, &o.Pause, &o.Now)
}

// RunExpiry sweeps expired files every opts.Interval until ctx is done.
// It runs on every directory store, retention or not: a sweep of a store
// without expiries reads one empty directory.
func (s *Store) RunExpiry(ctx context.Context, opts ExpiryOptions) {
	opts.defaults()
	sweepEvery(ctx, opts.Interval, opts.OnError, func(ctx context.Context) error {
		_, err := s.SweepExpired(ctx, opts)
		return err
	})
}

// SweepExpired removes, in one pass, the files whose expiry has passed and
// the slot directories this leaves empty, reading the index as the
// package documents. Removed files are dropped from the small-file cache
// at once.
func (s *Store) SweepExpired(ctx context.Context, opts ExpiryOptions) (SweepStats, error) {
	opts.defaults()
	now := opts.Now().Unix()
	var stats SweepStats
	entries, err := os.ReadDir(s.expiry.dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return stats, nil
		}
		return stats, fmt.Errorf("cannot list the expiry index %q: %w", s.expiry.dir, err)
	}
	step := 0
	for _, e := range entries {
		start, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || !e.Type().IsRegular() || start > now {
			continue // not ours, or an hour still to come
		}
		fn := s.expiry.dir + "/" + e.Name()
		changedDirs := map[string]struct{}{}
		if err := s.sweepIndexFile(ctx, fn, now, &opts, &stats, &step, changedDirs); err != nil {
			return stats, err
		}
		if start+expiryBucket <= now {
			// Every line of a past hour was due, and handled. With
			// Fsync, the removals are made durable first: once the
			// index file is gone, a removal lost to a power cut would
			// never be tried again. Files are mostly alone in their slot
			// directories, which go with them: the directories to sync
			// are few (the root, ejabberd's per-user directories).
			for dir := range changedDirs {
				if err := s.syncDir(dir); err != nil && !errors.Is(err, unix.ENOENT) {
					return stats, fmt.Errorf("cannot make the expiry sweep of %q durable: %w", fn, err)
				}
			}
			if err := os.Remove(fn); err != nil && !errors.Is(err, os.ErrNotExist) {
				return stats, fmt.Errorf("cannot remove the handled expiry index %q: %w", fn, err)
			}
		}
	}
	return stats, nil
}

// sweepIndexFile handles the lines of one index file that are due by now.
// The directories whose entries it changed are added to changedDirs (with
// Options.Fsync).
func (s *Store) sweepIndexFile(ctx context.Context, fn string, now int64, opts *ExpiryOptions, stats *SweepStats, step *int, changedDirs map[string]struct{}) error {
	f, err := os.Open(fn)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("cannot read the expiry index %q: %w", fn, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), maxIndexLine)
	for sc.Scan() {
		at, name, ok := parseIndexLine(sc.Bytes())
		if !ok || at > now {
			continue
		}
		size, changed, err := s.removeExpired(name, now)
		if err != nil {
			if opts.OnError != nil {
				opts.OnError(err)
			}
			continue
		}
		if changed == "" {
			continue
		}
		if s.sync.Sync {
			changedDirs[changed] = struct{}{}
		}
		stats.Files++
		stats.Bytes += size
		if opts.OnRemove != nil {
			opts.OnRemove(size)
		}
		if *step++; *step%opts.Batch == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(opts.Pause):
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("cannot read the expiry index %q: %w", fn, err)
	}
	return ctx.Err()
}

// parseIndexLine splits "EXPIRES NAME"; a line cut short by a crash, or
// anything else that is not such a line, is not ok.
func parseIndexLine(line []byte) (at int64, name string, ok bool) {
	i := bytes.IndexByte(line, ' ')
	if i <= 0 || i == len(line)-1 {
		return 0, "", false
	}
	if at = parseExpires(line[:i]); at == 0 {
		return 0, "", false
	}
	return at, string(line[i+1:]), true
}

// removeExpired removes name if its own expiry has passed by now, and
// returns the directory whose entries that changed (see remove).
func (s *Store) removeExpired(name string, now int64) (size int64, changed string, err error) {
	if s.checkName(name) != nil {
		return 0, "", nil // never ours to remove
	}
	disk := s.diskName(name)
	full := s.root + "/" + disk
	var buf [24]byte
	n, err := getXattrAt(full, xattrExpires, buf[:])
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ENODATA) {
			return 0, "", nil // removed already, or uploaded anew without an expiry
		}
		return 0, "", fmt.Errorf("cannot read the expiry of %q: %w", name, err)
	}
	if at := parseExpires(buf[:n]); at == 0 || at > now {
		return 0, "", nil
	}
	size, changed, err = s.remove(disk, false)
	if errors.Is(err, os.ErrNotExist) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("cannot remove expired %q: %w", name, err)
	}
	return size, changed, nil
}

// remove unlinks the regular file disk (a name on disk: see diskName),
// drops it from the small-file cache, and removes the directories of its
// path that this leaves empty. It returns the size of the file; a name
// that is no regular file gives an error wrapping os.ErrNotExist.
//
// With durable (and Options.Fsync), the directory that held the file is
// synced before anything else, so that the removal survives a power cut:
// for removals someone is told about (Delete: a purge for an account's
// deletion, a DELETE answered 204). The sweepers do without: a lost
// removal is found again by the next sweep (retention by the file's age;
// expiry by the index, whose file of a past hour is removed only after
// the directories it changed were synced, see SweepExpired).
//
// changed is the deepest directory of the path that is left, the one whose
// entries changed last ("." for the root).
func (s *Store) remove(disk string, durable bool) (size int64, changed string, err error) {
	name := disk
	var st unix.Stat_t
	if err := unix.Fstatat(s.rootFd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			return 0, "", os.ErrNotExist
		}
		return 0, "", err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0, "", os.ErrNotExist
	}
	if err := unix.Unlinkat(s.rootFd, name, 0); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return 0, "", os.ErrNotExist
		}
		return 0, "", err
	}
	s.small.forget(name)
	changed = path.Dir(name)
	if durable {
		if err := s.syncDir(changed); err != nil {
			return st.Size, changed, err
		}
	}
	// rmdir refuses a directory that is not empty: an upload that put
	// something in it meanwhile keeps it (and one that is about to link
	// into it makes it again, see atomicfile.Temp.Link).
	for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if unix.Unlinkat(s.rootFd, dir, unix.AT_REMOVEDIR) != nil {
			break
		}
		changed = path.Dir(dir)
	}
	return st.Size, changed, nil
}

// syncDir syncs the directory rel below the root (with Options.Fsync).
func (s *Store) syncDir(rel string) error {
	dir := s.root
	if rel != "." {
		dir += "/" + rel
	}
	return atomicfile.SyncDir(dir, &s.sync)
}
