package dirstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// SweepOptions are what the retention and the expiry sweepers share. The
// zero value of each field is its default.
type SweepOptions struct {
	// Interval between the starts of two sweeps; the default is the
	// sweeper's.
	Interval time.Duration
	// Batch is how many directory entries (retention) or index lines
	// (expiry) are handled per step; default 256.
	Batch int
	// Pause between steps, so that a sweep of a large store never hogs
	// the disk that uploads and downloads need; default 5ms.
	Pause time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// OnRemove, when set, is called for every removed file with its size.
	OnRemove func(size int64)
	// OnError, when set, receives errors that did not stop the sweep.
	OnError func(error)
}

// defaults fills the fields left zero (or negative); interval is the
// sweeper's own default Interval.
func (o *SweepOptions) defaults(interval time.Duration) {
	o.Interval = positiveOr(o.Interval, interval)
	o.Batch = positiveOr(o.Batch, defaultBatch)
	o.Pause = positiveOr(o.Pause, defaultPause)
	if o.Now == nil {
		o.Now = time.Now
	}
}

// positiveOr returns v if it is positive, and def otherwise.
func positiveOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// removed counts a removed file of size bytes in stats and tells OnRemove.
func (o *SweepOptions) removed(stats *SweepStats, size int64) {
	stats.Files++
	stats.Bytes += size
	if o.OnRemove != nil {
		o.OnRemove(size)
	}
}

// failed hands an error that did not stop the sweep to OnError.
func (o *SweepOptions) failed(err error) {
	if o.OnError != nil {
		o.OnError(err)
	}
}

// RetentionOptions configure the retention sweeper.
type RetentionOptions struct {
	// MaxAge: files modified longer ago than this are removed. Required.
	MaxAge time.Duration
	// Interval defaults to MaxAge/24, within [1m, 1h].
	SweepOptions
}

// SweepStats tell what one sweep did.
type SweepStats struct {
	Files, Dirs int
	Bytes       int64
}

func (o *RetentionOptions) defaults() {
	o.SweepOptions.defaults(min(max(o.MaxAge/24, time.Minute), time.Hour))
}

// RunRetention sweeps the store every opts.Interval until ctx is done.
func (s *Store) RunRetention(ctx context.Context, opts RetentionOptions) {
	opts.defaults()
	opts.every(ctx, func(ctx context.Context) error {
		_, err := s.Sweep(ctx, opts)
		return err
	})
}

// every runs sweep at once and then every o.Interval until ctx is done,
// handing the errors that did not stop it to OnError (if set).
func (o *SweepOptions) every(ctx context.Context, sweep func(ctx context.Context) error) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := sweep(ctx); err != nil && ctx.Err() == nil {
			o.failed(err)
		}
		t.Reset(o.Interval)
	}
}

// Sweep removes, in one pass, the files older than opts.MaxAge and the
// slot directories that are left empty. It reads directories a batch of
// entries at a time and pauses between batches, so a store of millions of
// files costs little memory and never starves requests; it runs in the
// caller's goroutine and requests never wait for it. The reserved
// directory is never entered.
//
// A directory it removes may be one that an upload has just created; the
// upload's link then finds it missing and creates it again (see link).
func (s *Store) Sweep(ctx context.Context, opts RetentionOptions) (SweepStats, error) {
	opts.defaults()
	if opts.MaxAge <= 0 {
		return SweepStats{}, errors.New("cannot sweep: retention age must be positive")
	}
	sw := sweep{small: s.small, root: s.root, ctx: ctx, opts: &opts, cutoff: opts.Now().Add(-opts.MaxAge)}
	_, err := sw.dir(s.root, true)
	return sw.stats, err
}

type sweep struct {
	small  *smallCache // entries of removed files are dropped from it
	root   string      // the store's root, to turn paths into cache names
	ctx    context.Context
	opts   *RetentionOptions
	cutoff time.Time
	stats  SweepStats
}

// dir sweeps one directory and reports whether it is left empty.
func (sw *sweep) dir(path string, top bool) (empty bool, err error) {
	d, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("cannot open %q for the retention sweep: %w", path, err)
	}
	defer d.Close()
	left := 0
	for {
		entries, rerr := d.ReadDir(sw.opts.Batch)
		for _, e := range entries {
			name := e.Name()
			full := path + "/" + name
			switch {
			case top && name == ReservedDir:
				left++
			case e.IsDir():
				sub, err := sw.dir(full, false)
				if err != nil {
					return false, err
				}
				if sub && sw.removeDir(full) {
					continue
				}
				left++
			case e.Type().IsRegular():
				if !sw.removeFile(full, e) {
					left++
				}
			default:
				left++ // not ours: leave it alone
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return false, fmt.Errorf("cannot list %q for the retention sweep: %w", path, rerr)
		}
		select {
		case <-sw.ctx.Done():
			return false, sw.ctx.Err()
		case <-time.After(sw.opts.Pause):
		}
	}
	return left == 0 && !top, nil
}

func (sw *sweep) removeFile(full string, e os.DirEntry) bool {
	fi, err := e.Info()
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	if !fi.ModTime().Before(sw.cutoff) {
		return false
	}
	if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
		sw.opts.failed(fmt.Errorf("cannot remove expired %q: %w", full, err))
		return false
	}
	sw.small.forget(strings.TrimPrefix(full, sw.root+"/"))
	sw.opts.removed(&sw.stats, fi.Size())
	return true
}

// removeDir removes an empty directory; an upload may have put something
// in it meanwhile, which rmdir refuses to remove.
func (sw *sweep) removeDir(full string) bool {
	if err := os.Remove(full); err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	sw.stats.Dirs++
	return true
}
