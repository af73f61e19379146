// Package compress offers zstd- and gzip-encoded variants of compressible
// downloads (text, JSON, XML, SVG ...), made with
// github.com/klauspost/compress and cached on disk outside the store,
// keyed by the file's ETag. It implements the edge's Encoder interface.
//
// A variant is made once, on the first request that wants it, written to a
// temporary in the cache directory and renamed into place, so that a
// reader never sees half of one; concurrent first requests wait for the
// one that makes it. Served variants are plain files, so they go out with
// sendfile like the originals. Uploads are immutable and an ETag names one
// version of a file, so a cached variant never goes stale; Run removes
// variants not made within the TTL and leftover temporaries.
package compress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/atomicfile"
	"github.com/upedge/upedge/backend/httpsem"
)

// Defaults.
const (
	// DefaultMaxSize bounds the files compressed: the first request for a
	// variant waits while it is made.
	DefaultMaxSize = 32 << 20
	// minSize: below this, compression saves less than its headers cost.
	minSize = 256
	// DefaultTTL is how long a variant is kept after it was made.
	DefaultTTL = 7 * 24 * time.Hour
)

// DefaultTypes are the media types worth compressing: text and the
// text-based formats browsers and chat clients fetch.
func DefaultTypes() []string {
	return []string{"text/*", "application/json", "application/xml", "application/javascript", "application/xhtml+xml", "image/svg+xml", "image/bmp"}
}

// Options configure an Encoder.
type Options struct {
	// Types are media types to compress, "type/subtype" or "type/*",
	// matched case-insensitively without parameters.
	Types []string
	// CacheDir holds the variants. Required; must not be inside the
	// served part of a store.
	CacheDir string
	// MaxSize: larger files are sent as they are. Default DefaultMaxSize.
	MaxSize int64
	// OnMake, when set, is called for each variant made (metrics).
	OnMake func(encoding string, in, out int64)
	// OnError receives failures to make a variant (the file is then sent
	// as it is).
	OnError func(error)
	// SyncHook, when set, is called instead of fsync(2) when a variant is
	// stored: see atomicfile.Options.SyncHook. For tests.
	SyncHook func(fd int, path string) error
}

// Encoder is safe for concurrent use.
type Encoder struct {
	opts    Options
	exact   map[string]bool
	prefix  []string // "text/" for "text/*"
	mu      sync.Mutex
	making  map[string]chan struct{}
	zstdEnc sync.Pool
	gzipEnc sync.Pool
}

// New returns an Encoder, creating CacheDir.
func New(opts Options) (*Encoder, error) {
	if opts.CacheDir == "" {
		return nil, errors.New("cannot set up compression: no cache directory")
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if err := atomicfile.MkdirAll(opts.CacheDir, &atomicfile.Options{Sync: true, SyncHook: opts.SyncHook}); err != nil {
		return nil, fmt.Errorf("cannot create compression cache %q: %w", opts.CacheDir, err)
	}
	e := &Encoder{opts: opts, exact: map[string]bool{}, making: map[string]chan struct{}{}}
	for _, t := range opts.Types {
		t = strings.ToLower(strings.TrimSpace(t))
		if p, ok := strings.CutSuffix(t, "/*"); ok {
			e.prefix = append(e.prefix, p+"/")
		} else {
			e.exact[t] = true
		}
	}
	return e, nil
}

// Applies reports whether a file of contentType and size bytes is sent
// compressed to clients that accept it.
func (e *Encoder) Applies(contentType string, size int64) bool {
	if size < minSize || size > e.opts.MaxSize {
		return false
	}
	mt := httpsem.MediaType(contentType)
	var low [128]byte
	if len(mt) > len(low) {
		return false
	}
	b := low[:len(mt)]
	for i := 0; i < len(mt); i++ {
		c := mt[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	if e.exact[string(b)] {
		return true
	}
	for _, p := range e.prefix {
		if len(b) > len(p) && string(b[:len(p)]) == p {
			return true
		}
	}
	return false
}

// encoding names and file suffixes.
const (
	encZstd = "zstd"
	encGzip = "gzip"
)

// Pick returns the encoding to use for an Accept-Encoding header: zstd if
// accepted, else gzip, else "". An explicit q=0 refuses a coding; "*"
// accepts those not named.
func Pick(acceptEncoding []byte) string {
	zstdQ, gzipQ, starQ := -1, -1, -1 // -1 absent, 0 refused, 1 accepted
	for len(acceptEncoding) > 0 {
		var item []byte
		if i := httpsem.IndexByte(acceptEncoding, ','); i >= 0 {
			item, acceptEncoding = acceptEncoding[:i], acceptEncoding[i+1:]
		} else {
			item, acceptEncoding = acceptEncoding, nil
		}
		name, params := item, []byte(nil)
		if i := httpsem.IndexByte(item, ';'); i >= 0 {
			name, params = item[:i], item[i+1:]
		}
		q := 1
		if zeroQ(params) {
			q = 0
		}
		switch n := httpsem.TrimSpace(name); {
		case httpsem.EqualFold(n, encZstd):
			zstdQ = q
		case httpsem.EqualFold(n, encGzip), httpsem.EqualFold(n, "x-gzip"):
			gzipQ = q
		case len(n) == 1 && n[0] == '*':
			starQ = q
		}
	}
	switch {
	case zstdQ == 1 || (zstdQ == -1 && starQ == 1):
		return encZstd
	case gzipQ == 1 || (gzipQ == -1 && starQ == 1):
		return encGzip
	}
	return ""
}

// zeroQ reports whether params hold q=0 (or 0.0, 0.000).
func zeroQ(params []byte) bool {
	p := httpsem.TrimSpace(params)
	if len(p) < 3 || (p[0] != 'q' && p[0] != 'Q') {
		return false
	}
	p = httpsem.TrimSpace(p[1:])
	if len(p) == 0 || p[0] != '=' {
		return false
	}
	p = httpsem.TrimSpace(p[1:])
	if len(p) == 0 || p[0] != '0' {
		return false
	}
	for _, c := range p[1:] {
		if c != '.' && c != '0' {
			return false
		}
	}
	return true
}

// Encode swaps obj for its variant in the best encoding that
// acceptEncoding accepts, making the variant on first use, and returns that
// encoding; obj's identity file is closed then. It returns "" and leaves
// obj alone when the client accepts none, obj has no strong ETag to key the
// cache by, or the variant is not smaller.
func (e *Encoder) Encode(obj *backend.Object, acceptEncoding []byte) string {
	enc := Pick(acceptEncoding)
	if enc == "" || !obj.Local() || obj.ETag == "" || !strings.HasPrefix(obj.ETag, `"`) {
		return ""
	}
	key := cacheKey(obj.ETag)
	if key == "" {
		return ""
	}
	fn := filepath.Join(e.opts.CacheDir, key+"."+enc)
	f, err := os.Open(fn)
	if errors.Is(err, os.ErrNotExist) {
		if err := e.make(fn, enc, obj); err != nil {
			if e.opts.OnError != nil {
				e.opts.OnError(err)
			}
			return ""
		}
		f, err = os.Open(fn)
	}
	if err != nil {
		return ""
	}
	fi, err := f.Stat()
	if err != nil || fi.Size() >= obj.Size {
		// Not worth it: the variant is kept so that the next request
		// learns this without compressing again.
		f.Close()
		return ""
	}
	etag := obj.ETag[:len(obj.ETag)-1] + "-" + enc + `"`
	if obj.File != nil {
		obj.File.Close()
	}
	obj.File, obj.Data, obj.Size, obj.ETag = f, nil, fi.Size(), etag
	return enc
}

// cacheKey turns an ETag into a file name, or "" if it holds anything but
// [0-9A-Za-z_-].
func cacheKey(etag string) string {
	k := strings.Trim(etag, `"`)
	if k == "" || len(k) > 200 {
		return ""
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	return k
}

// make writes the variant fn of obj, or waits for the request that is
// already making it.
func (e *Encoder) make(fn, enc string, obj *backend.Object) error {
	e.mu.Lock()
	if ch, ok := e.making[fn]; ok {
		e.mu.Unlock()
		<-ch
		return nil
	}
	ch := make(chan struct{})
	e.making[fn] = ch
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.making, fn)
		e.mu.Unlock()
		close(ch)
	}()

	// Synced before it gets its name, whatever the fsync key says: after
	// a power cut an unsynced variant can be there but empty or torn,
	// and it would be served as the file for days. A lost one is only
	// made again. The cost is one fsync per variant made, next to the
	// compression of up to MaxSize bytes. The cache directory is made
	// again if it vanished.
	tmp, err := atomicfile.NewReplacement(fn, 0o600, atomicfile.Options{Sync: true, SyncHook: e.opts.SyncHook})
	if err != nil {
		return fmt.Errorf("cannot create a compression temporary: %w", err)
	}
	defer tmp.Abort()
	var src io.Reader
	if obj.Data != nil {
		src = bytes.NewReader(obj.Data)
	} else {
		// A section reader leaves the file offset alone for the caller.
		src = io.NewSectionReader(obj.File, 0, obj.Size)
	}
	if err := e.compress(tmp.File(), src, enc); err != nil {
		return fmt.Errorf("cannot compress a variant for %s: %w", fn, err)
	}
	out, _ := tmp.File().Seek(0, io.SeekCurrent)
	if err := tmp.Commit(); err != nil {
		return fmt.Errorf("cannot store compressed variant %s: %w", fn, err)
	}
	if e.opts.OnMake != nil {
		e.opts.OnMake(enc, obj.Size, out)
	}
	return nil
}

func (e *Encoder) compress(dst io.Writer, src io.Reader, enc string) error {
	pool := &e.gzipEnc
	if enc == encZstd {
		pool = &e.zstdEnc
	}
	w, _ := pool.Get().(encodingWriter)
	if w == nil {
		var err error
		if w, err = newEncodingWriter(dst, enc); err != nil {
			return err
		}
	} else {
		w.Reset(dst)
	}
	defer pool.Put(w)
	if _, err := io.Copy(w, src); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// encodingWriter is what zstd.Encoder and gzip.Writer have in common: a
// writer that can be reset onto another destination, so that both are
// pooled alike.
type encodingWriter interface {
	io.WriteCloser
	Reset(io.Writer)
}

func newEncodingWriter(dst io.Writer, enc string) (encodingWriter, error) {
	if enc == encZstd {
		return zstd.NewWriter(dst, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedBetterCompression))
	}
	return gzip.NewWriterLevel(dst, gzip.BestCompression)
}

// Run removes variants older than ttl (and stray temporaries) every
// interval until ctx is done.
func (e *Encoder) Run(ctx context.Context, ttl, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		e.Clean(ttl)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Clean removes variants made longer than ttl ago.
func (e *Encoder) Clean(ttl time.Duration) {
	cutoff := time.Now().Add(-ttl)
	tmpCutoff := time.Now().Add(-time.Hour)
	d, err := os.Open(e.opts.CacheDir)
	if err != nil {
		return
	}
	defer d.Close()
	for {
		entries, err := d.ReadDir(256)
		for _, en := range entries {
			fi, ierr := en.Info()
			if ierr != nil || !fi.Mode().IsRegular() {
				continue
			}
			c := cutoff
			if strings.HasPrefix(en.Name(), atomicfile.TempPrefix) {
				c = tmpCutoff
			}
			if fi.ModTime().Before(c) {
				os.Remove(filepath.Join(e.opts.CacheDir, en.Name()))
			}
		}
		if err != nil {
			return
		}
	}
}
