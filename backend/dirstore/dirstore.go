// Package dirstore keeps uploads as plain files below a local directory.
//
// An upload is written to an anonymous O_TMPFILE inode (or, where the file
// system lacks O_TMPFILE, a named temporary in the reserved directory) and
// only linked under its name once every byte has arrived, with linkat,
// which refuses to replace an existing name (backend/atomicfile does
// both). So a cut upload leaves nothing,
// a crash leaves at most a named temporary that the next start removes, and
// of concurrent uploads to one name exactly one wins.
//
// The Content-Type, the uploader and the expiry of an upload are kept in
// extended attributes, set before the file is linked so that it is never
// seen without them (meta.go); uploads with an expiry are also noted in an
// index that the expiry sweeper reads instead of the whole store
// (expiry.go).
//
// A file is stored under its slot path, but for segments longer than the
// file system takes (NAME_MAX), which are stored under their
// backend/longname form with the real name in an xattr (diskName). The
// store directory is held open and followed when it is replaced or
// removed under the store, and the reserved directories are made again
// when they vanish (root.go).
package dirstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/atomicfile"
	"github.com/upedge/upedge/backend/httpsem"
	"github.com/upedge/upedge/backend/longname"
)

// ReservedDir is the directory below the root that the store keeps for
// itself (temporaries, quota state, compressed variants): the segment
// that edge/urlpath refuses in slot paths, and that the store refuses as
// a first segment too.
const ReservedDir = backend.ReservedName

// copyBufferSize is the size of the pooled buffers that bodies are copied
// through: large enough that a fast upload costs few syscalls, small enough
// that a thousand concurrent uploads stay in tens of MiB.
const copyBufferSize = 256 << 10

// Options configure a Store.
type Options struct {
	// Fsync makes Put flush file data, the new name and every directory
	// made for it to disk before the upload is answered, so that a 201
	// survives a power cut (see backend/atomicfile). Off, an upload is
	// durable only once the kernel writes it back.
	Fsync bool
	// SyncHook, when set, is called instead of fsync(2) with Fsync on:
	// see atomicfile.Options.SyncHook. For tests.
	SyncHook func(fd int, path string) error
	// SmallCacheBytes is the memory that small files (up to 64 KiB) may
	// take in the download cache; zero turns the cache off.
	SmallCacheBytes int64
	// OnRootReplaced, when set, is called when the store finds the
	// directory at its path replaced and follows the new one (see
	// rootDir); the server logs it.
	OnRootReplaced func(dir string)
	// KeepTemps leaves the named temporaries in the reserved directory
	// alone at New: for a tool that runs beside an edge on the same store
	// (`upedge purge`), where they are the edge's uploads in flight.
	KeepTemps bool
}

// Store is a backend.Store on a local directory.
type Store struct {
	root  string              // absolute path of the store directory
	dir   *rootDir            // the store directory, held open and followed
	temps *atomicfile.TempDir // in the reserved directory
	sync  atomicfile.Options
	opts  Options
	bufs  sync.Pool
	small *smallCache // nil when off
	// rootFd is dir's descriptor, whose number never changes: lookups
	// relative to it walk the name below the store only.
	rootFd int
	// nameMax is the file system's limit on one name (NAME_MAX, from
	// statfs): longer segments are stored under their backend/longname
	// form. Atomic: a replaced root may be another file system.
	nameMax atomic.Int64
	xattrs  bool // the file system keeps user xattrs (probed in New)
	expiry  expiryIndex
}

// New opens (creating if needed) the store below root and removes the
// named temporaries that an earlier process left behind (unless
// opts.KeepTemps). With Fsync, the directories it creates are synced into
// their parents.
func New(root string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve store directory %q: %w", root, err)
	}
	s := &Store{root: abs, opts: opts, small: newSmallCache(opts.SmallCacheBytes)}
	s.sync = atomicfile.Options{Sync: opts.Fsync, SyncHook: opts.SyncHook}
	if s.dir, err = openRootDir(abs, &s.sync); err != nil {
		return nil, err
	}
	s.rootFd = s.dir.fd
	s.dir.replaced = s.rootReplaced
	if err := s.readNameMax(); err != nil {
		return nil, err
	}
	tmp := filepath.Join(abs, ReservedDir, "tmp")
	if err := atomicfile.MkdirAll(tmp, &s.sync); err != nil {
		return nil, fmt.Errorf("cannot create store directory %q: %w", tmp, err)
	}
	if !opts.KeepTemps {
		if err := atomicfile.RemoveTemps(tmp); err != nil {
			return nil, err
		}
	}
	s.temps = atomicfile.NewTempDir(tmp, s.sync)
	// The reserved directory found missing may mean that the whole root
	// was replaced or removed: look before making it again.
	s.temps.OnMissing(func() { _ = s.dir.check() })
	s.bufs.New = func() any { b := make([]byte, copyBufferSize); return &b }
	s.xattrs = s.probeXattrs()
	s.expiry = expiryIndex{dir: filepath.Join(abs, ReservedDir, expiryDirName), sync: s.sync}
	return s, nil
}

// readNameMax learns the name limit of the root's file system.
func (s *Store) readNameMax() error {
	n, err := nameMax(s.rootFd)
	if err != nil {
		return fmt.Errorf("cannot read the name limit of store directory %q: %w", s.root, err)
	}
	if n < longname.MinLimit {
		return fmt.Errorf("cannot use store directory %q: its file system takes names of %d bytes at most, fewer than %d", s.root, n, longname.MinLimit)
	}
	s.nameMax.Store(int64(n))
	return nil
}

// diskName returns the name below the root that name is stored under:
// name itself unless a segment is longer than the file system takes, or
// looks like a mapped one (see backend/longname).
func (s *Store) diskName(name string) string {
	return longname.Map(name, int(s.nameMax.Load()))
}

// rootReplaced drops what was learnt about the old directory.
func (s *Store) rootReplaced() {
	s.small.reset()
	_ = s.readNameMax() // keeps the old limit if the new one is unusable
	if s.opts.OnRootReplaced != nil {
		s.opts.OnRootReplaced(s.root)
	}
}

// Root returns the absolute directory the store keeps files in.
func (s *Store) Root() string { return s.root }

// CheckWritable creates and removes a temporary in the store; it fails when
// an upload would fail for lack of permission or space for an inode.
func (s *Store) CheckWritable() error {
	f, err := s.temps.Create()
	if err != nil {
		return mapNoSpace(err)
	}
	f.Discard()
	return nil
}

// checkName refuses the names the store keeps for itself.
func (s *Store) checkName(name string) error {
	if name == ReservedDir || strings.HasPrefix(name, ReservedDir+"/") {
		return backend.ErrBadName
	}
	return nil
}

// Exists implements backend.Store.
func (s *Store) Exists(_ context.Context, name string) (bool, error) {
	if err := s.checkName(name); err != nil {
		return false, err
	}
	s.dir.tick(time.Now().UnixNano())
	var st unix.Stat_t
	err := unix.Fstatat(s.rootFd, s.diskName(name), &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.ENOENT):
		return false, nil
	case errors.Is(err, syscall.ENOTDIR):
		// A file stands where a directory of the path should be:
		// the name can never be created.
		return true, nil
	case errors.Is(err, unix.ENAMETOOLONG):
		return false, fmt.Errorf("%w: %q: %v", backend.ErrNameTooLong, name, err)
	}
	return false, fmt.Errorf("cannot check whether %q exists: %w", name, err)
}

// Put implements backend.Store.
func (s *Store) Put(ctx context.Context, name string, info backend.PutInfo, body io.Reader) error {
	if err := s.checkName(name); err != nil {
		return err
	}
	s.dir.tick(time.Now().UnixNano())
	disk := s.diskName(name)
	fn := s.root + "/" + disk
	tf, err := s.temps.Create()
	if err != nil {
		return mapNoSpace(err)
	}
	linked := false
	defer func() {
		if !linked {
			tf.Discard()
		}
	}()
	if err := keepMeta(tf.Fd(), name, &info); err != nil {
		return err
	}
	if disk != name {
		// For people and tools: the file's own name is not its name.
		setRealName(tf.Fd(), name)
	}
	if err := s.copyBody(tf, body, info.Size); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return putFailed("upload of %q abandoned: %w", name, err)
	}
	if !info.Expires.IsZero() {
		// Noted before the link: an entry whose upload then fails is
		// skipped by the sweeper, a linked file without one would be
		// swept by nothing.
		if err := s.expiry.note(name, expiresUnix(info.Expires)); err != nil {
			return err
		}
	}
	if err := tf.Link(fn); err != nil {
		if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOTDIR) {
			// The name, or a file where a directory of it should be.
			return backend.ErrExists
		}
		if errors.Is(err, unix.ENAMETOOLONG) {
			return putFailed("cannot store upload of %q: %w", name, fmt.Errorf("%w: %v", backend.ErrNameTooLong, err))
		}
		return putFailed("cannot store upload of %q: %w", name, mapNoSpace(err))
	}
	linked = true
	if err := tf.Close(); err != nil {
		return putFailed("cannot close upload of %q: %w", name, mapNoSpace(err))
	}
	return nil
}

// putFailed builds Put's errors out of line: fmt's arguments would enlarge
// Put's stack frame, which every upload goroutine carries while it waits
// for its client (see backend.ExactReader's failures).
//
//go:noinline
func putFailed(format, name string, err error) error {
	return fmt.Errorf(format, name, err)
}

// copyBody copies exactly size bytes of body to tf (backend.ExactBody
// holds the body to them).
func (s *Store) copyBody(tf *atomicfile.Temp, body io.Reader, size int64) error {
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	r := backend.ExactBody(body, size)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if err := tf.Write(buf[:n]); err != nil {
				return fmt.Errorf("cannot write upload: %w", mapNoSpace(err))
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// smallFile is the size up to which Get reads an object whole instead of
// handing out the open file: for small files, open + read + close and one
// write of headers and body beat a header write plus sendfile (GET 4 KiB:
// see BenchmarkGetSmall).
const smallFile = 64 << 10

// Get implements backend.Store. It works on the raw descriptor: an
// os.File would cost an extra fstat (os.Open's own) that we do anyway.
func (s *Store) Get(_ context.Context, name string, _ *backend.GetRequest) (*backend.Object, error) {
	// Everything below works relative to the store's root descriptor;
	// the cache is keyed by the name on disk (the real one but for long
	// names), so a hit builds no path.
	if err := s.checkName(name); err != nil {
		return nil, err
	}
	slotName := name
	name = s.diskName(name)
	now := time.Now().UnixNano()
	s.dir.tick(now)
	if s.small != nil {
		e := s.small.fresh(name, now)
		if e == nil {
			var st unix.Stat_t
			if err := unix.Fstatat(s.rootFd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				s.small.forget(name)
			} else {
				e = s.small.lookup(name, &st, now)
			}
		}
		if e != nil {
			return &backend.Object{
				Size:        e.size,
				ModTime:     time.Unix(e.mtime.Unix()),
				ETag:        e.etag,
				ContentType: e.contentType,
				Expires:     unixTime(e.expires),
				Data:        e.data,
			}, nil
		}
	}
	fd, err := unix.Openat(s.rootFd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			return nil, backend.ErrNotFound
		}
		if errors.Is(err, unix.ENAMETOOLONG) {
			return nil, fmt.Errorf("%w: %q: %v", backend.ErrNameTooLong, slotName, err)
		}
		return nil, fmt.Errorf("cannot open %q: %w", slotName, err)
	}
	keep := false
	defer func() {
		if !keep {
			unix.Close(fd)
		}
	}()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("cannot stat %q: %w", name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, backend.ErrNotFound
	}
	mtim, ctim := statTimes(&st)
	mtime := time.Unix(mtim.Unix())
	expires := readExpires(fd)
	obj := &backend.Object{
		Size:        st.Size,
		ModTime:     mtime,
		ETag:        etag(st.Ino, st.Size, mtime),
		ContentType: contentType(fd, slotName),
		Expires:     unixTime(expires),
	}
	if st.Size <= smallFile {
		obj.Data = make([]byte, st.Size)
		for off := 0; off < len(obj.Data); {
			n, err := unix.Pread(fd, obj.Data[off:], int64(off))
			if err != nil {
				return nil, fmt.Errorf("cannot read %q: %w", name, err)
			}
			if n == 0 {
				// Uploads are immutable; a file that shrinks under us is
				// not one of ours to serve.
				return nil, fmt.Errorf("cannot read %q: file shrank while read", name)
			}
			off += n
		}
		s.small.store(name, &cachedFile{
			ino: st.Ino, size: st.Size, mtime: mtim, ctime: ctim,
			data: obj.Data, etag: obj.ETag, contentType: obj.ContentType, expires: expires,
		})
		return obj, nil
	}
	keep = true
	obj.File = os.NewFile(uintptr(fd), s.root+"/"+name)
	return obj, nil
}

// etag names one version of a file: uploads are immutable, so inode, size
// and modification time tell versions apart even across delete and reupload.
func etag(ino uint64, size int64, mtime time.Time) string {
	b := make([]byte, 0, 48)
	b = append(b, '"')
	b = strconv.AppendUint(b, ino, 36)
	b = append(b, '-')
	b = strconv.AppendInt(b, size, 36)
	b = append(b, '-')
	b = strconv.AppendInt(b, mtime.UnixNano(), 36)
	b = append(b, '"')
	return string(b)
}

func contentType(fd int, name string) string {
	var buf [256]byte
	if n := getContentType(fd, buf[:]); n > 0 {
		return string(buf[:n])
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return httpsem.DefaultContentType
}

func mapNoSpace(err error) error {
	if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) {
		return fmt.Errorf("%w: %v", backend.ErrNoSpace, err)
	}
	return err
}
