// Package dirstore keeps uploads as plain files below a local directory.
//
// An upload is written to an anonymous O_TMPFILE inode (or, where the file
// system lacks O_TMPFILE, a named temporary in the reserved directory) and
// only linked under its name once every byte has arrived, with linkat,
// which refuses to replace an existing name. So a cut upload leaves nothing,
// a crash leaves at most a named temporary that the next start removes, and
// of concurrent uploads to one name exactly one wins.
//
// The Content-Type of an upload is kept in the extended attribute
// user.upedge.content_type, set before the file is linked so that it is
// never seen without it. On file systems without user xattrs the type is
// derived from the file name when served.
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
)

// ReservedDir is the first path segment the store keeps for itself; no
// upload can be named below it.
const ReservedDir = ".upedge"

const xattrContentType = "user.upedge.content_type"

// copyBufferSize is the size of the pooled buffers that bodies are copied
// through: large enough that a fast upload costs few syscalls, small enough
// that a thousand concurrent uploads stay in tens of MiB.
const copyBufferSize = 256 << 10

// Options configure a Store.
type Options struct {
	// Fsync makes Put flush file data to disk before the upload is
	// answered, so that a 201 survives a power cut. Off, an upload is
	// durable only once the kernel writes it back.
	Fsync bool
	// SmallCacheBytes is the memory that small files (up to 64 KiB) may
	// take in the download cache; zero turns the cache off.
	SmallCacheBytes int64
}

// Store is a backend.Store on a local directory.
type Store struct {
	root    string
	tmpDir  string
	opts    Options
	bufs    sync.Pool
	noTmpfs atomic.Bool // O_TMPFILE is not supported here
	tmpSeq  atomic.Uint64
	small   *smallCache // nil when off
	// rootFd is the store directory, opened once: lookups relative to it
	// walk two path components instead of the whole absolute path.
	rootFd int
}

// New opens (creating if needed) the store below root and removes the
// named temporaries that an earlier process left behind.
func New(root string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve store directory %q: %w", root, err)
	}
	tmp := filepath.Join(abs, ReservedDir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create store directory %q: %w", tmp, err)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil, fmt.Errorf("cannot list store temporaries in %q: %w", tmp, err)
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(tmp, e.Name())); err != nil {
			return nil, fmt.Errorf("cannot remove stale temporary %q: %w", e.Name(), err)
		}
	}
	rootFd, err := unix.Open(abs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot open store directory %q: %w", abs, err)
	}
	s := &Store{root: abs, tmpDir: tmp, opts: opts, small: newSmallCache(opts.SmallCacheBytes), rootFd: rootFd}
	s.bufs.New = func() any { b := make([]byte, copyBufferSize); return &b }
	return s, nil
}

// Root returns the absolute directory the store keeps files in.
func (s *Store) Root() string { return s.root }

// CheckWritable creates and removes a temporary in the store; it fails when
// an upload would fail for lack of permission or space for an inode.
func (s *Store) CheckWritable() error {
	f, err := s.createTemp()
	if err != nil {
		return err
	}
	f.discard()
	return nil
}

func (s *Store) filename(name string) (string, error) {
	if err := s.checkName(name); err != nil {
		return "", err
	}
	return s.root + "/" + name, nil
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
	if _, err := s.filename(name); err != nil {
		return false, err
	}
	var st unix.Stat_t
	err := unix.Fstatat(s.rootFd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.ENOENT):
		return false, nil
	case errors.Is(err, syscall.ENOTDIR):
		// A file stands where a directory of the path should be:
		// the name can never be created.
		return true, nil
	}
	return false, fmt.Errorf("cannot check whether %q exists: %w", name, err)
}

// Put implements backend.Store.
func (s *Store) Put(ctx context.Context, name string, info backend.PutInfo, body io.Reader) error {
	fn, err := s.filename(name)
	if err != nil {
		return err
	}
	tf, err := s.createTemp()
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tf.discard()
		}
	}()
	if info.ContentType != "" {
		// Best effort: without xattr support the type comes from the name.
		_ = unix.Fsetxattr(tf.fd, xattrContentType, []byte(info.ContentType), 0)
	}
	if err := s.copyBody(tf, body, info.Size); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("upload of %q abandoned: %w", name, err)
	}
	if s.opts.Fsync {
		if err := unix.Fsync(tf.fd); err != nil {
			return fmt.Errorf("cannot flush upload of %q: %w", name, mapNoSpace(err))
		}
	}
	if err := s.link(tf, fn); err != nil {
		return err
	}
	ok = true
	if tf.name != "" {
		_ = unix.Unlink(tf.name)
	}
	if err := unix.Close(tf.fd); err != nil {
		return fmt.Errorf("cannot close upload of %q: %w", name, mapNoSpace(err))
	}
	return nil
}

// tempFile is an upload being written: a raw descriptor rather than an
// os.File, whose creation costs an fcntl and whose writes go through the
// poller for nothing (regular files never block in it).
type tempFile struct {
	fd   int
	name string // "" for an O_TMPFILE, which has none
}

// write writes all of p.
func (tf *tempFile) write(p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(tf.fd, p)
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

func (tf *tempFile) discard() {
	if tf.name != "" {
		_ = unix.Unlink(tf.name)
	}
	_ = unix.Close(tf.fd)
}

// copyBody copies exactly size bytes from body to tf, then makes sure body
// has nothing more to give.
func (s *Store) copyBody(tf *tempFile, body io.Reader, size int64) error {
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	var written int64
	for written < size {
		want := int64(len(buf))
		if rest := size - written; rest < want {
			want = rest
		}
		n, rerr := body.Read(buf[:want])
		if n > 0 {
			if err := tf.write(buf[:n]); err != nil {
				return fmt.Errorf("cannot write upload: %w", mapNoSpace(err))
			}
			written += int64(n)
		}
		if rerr != nil {
			if rerr == io.EOF && written == size {
				break
			}
			if rerr == io.EOF {
				return fmt.Errorf("%w: got %d of %d bytes", backend.ErrIncomplete, written, size)
			}
			return fmt.Errorf("%w: reading the body failed after %d of %d bytes: %v", backend.ErrIncomplete, written, size, rerr)
		}
	}
	// A body that would go on past size is refused whole: the token
	// signed that size.
	var one [1]byte
	if n, _ := body.Read(one[:]); n > 0 {
		return fmt.Errorf("%w: body is longer than %d bytes", backend.ErrIncomplete, size)
	}
	return nil
}

// createTemp returns an unnamed file on the store's file system, or a
// named one in the reserved directory where O_TMPFILE is not supported.
func (s *Store) createTemp() (*tempFile, error) {
	if !s.noTmpfs.Load() {
		fd, err := unix.Open(s.tmpDir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
		if err == nil {
			return &tempFile{fd: fd}, nil
		}
		if !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EINVAL) {
			return nil, fmt.Errorf("cannot create a temporary in %q: %w", s.tmpDir, mapNoSpace(err))
		}
		s.noTmpfs.Store(true)
	}
	name := filepath.Join(s.tmpDir, strconv.FormatInt(int64(os.Getpid()), 10)+"-"+strconv.FormatUint(s.tmpSeq.Add(1), 10))
	fd, err := unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot create a temporary in %q: %w", s.tmpDir, mapNoSpace(err))
	}
	return &tempFile{fd: fd, name: name}, nil
}

// link gives the temporary tf the name fn, creating parent directories.
// It never replaces an existing name.
func (s *Store) link(tf *tempFile, fn string) error {
	// A slot is nearly always a fresh random directory: making it first
	// spares the linkat that would fail with ENOENT.
	if err := s.mkdirParent(fn); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		var err error
		if tf.name != "" {
			err = unix.Linkat(unix.AT_FDCWD, tf.name, unix.AT_FDCWD, fn, 0)
		} else {
			// Linking an O_TMPFILE by its /proc path needs no privilege,
			// unlike AT_EMPTY_PATH.
			err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(tf.fd), unix.AT_FDCWD, fn, unix.AT_SYMLINK_FOLLOW)
		}
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EEXIST), errors.Is(err, unix.ENOTDIR):
			return backend.ErrExists
		case errors.Is(err, unix.ENOENT) && attempt < 3:
			// A retention sweep removed the slot directory after we
			// made it: make it again.
			if err := s.mkdirParent(fn); err != nil {
				return err
			}
		default:
			return fmt.Errorf("cannot link upload to %q: %w", fn, mapNoSpace(err))
		}
	}
}

// mkdirParent creates the directory fn goes in. A slot directory's own
// parent (the store root, for random/filename) almost always exists, so
// one mkdir does; MkdirAll, which stats first, is the fallback for deeper
// paths.
func (s *Store) mkdirParent(fn string) error {
	dir := filepath.Dir(fn)
	err := unix.Mkdir(dir, 0o755)
	if err == nil || errors.Is(err, unix.EEXIST) {
		return nil
	}
	if errors.Is(err, unix.ENOENT) {
		err = os.MkdirAll(dir, 0o755)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOTDIR), errors.Is(err, unix.EEXIST):
		// A file stands where a directory of the path should be.
		return backend.ErrExists
	}
	return fmt.Errorf("cannot create directory for %q: %w", fn, mapNoSpace(err))
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
	// the cache is keyed by name, so a hit builds no path.
	if err := s.checkName(name); err != nil {
		return nil, err
	}
	if s.small != nil {
		now := time.Now().UnixNano()
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
				Data:        e.data,
			}, nil
		}
	}
	fd, err := unix.Openat(s.rootFd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			return nil, backend.ErrNotFound
		}
		return nil, fmt.Errorf("cannot open %q: %w", name, err)
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
	mtime := time.Unix(st.Mtim.Unix())
	obj := &backend.Object{
		Size:        st.Size,
		ModTime:     mtime,
		ETag:        etag(st.Ino, st.Size, mtime),
		ContentType: contentType(fd, name),
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
			ino: st.Ino, size: st.Size, mtime: st.Mtim, ctime: st.Ctim,
			data: obj.Data, etag: obj.ETag, contentType: obj.ContentType,
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
	if n, err := unix.Fgetxattr(fd, xattrContentType, buf[:]); err == nil && n > 0 {
		return string(buf[:n])
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func mapNoSpace(err error) error {
	if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) {
		return fmt.Errorf("%w: %v", backend.ErrNoSpace, err)
	}
	return err
}
