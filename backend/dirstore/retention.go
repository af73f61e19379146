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

// RetentionOptions configure the retention sweeper.
type RetentionOptions struct {
	// MaxAge: files modified longer ago than this are removed. Required.
	MaxAge time.Duration
	// Interval between the starts of two sweeps; default MaxAge/24,
	// within [1m, 1h].
	Interval time.Duration
	// Batch is how many directory entries are handled per step; default 256.
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

// SweepStats tell what one sweep did.
type SweepStats struct {
	Files, Dirs int
	Bytes       int64
}

func (o *RetentionOptions) defaults() {
	if o.Interval <= 0 {
		o.Interval = min(max(o.MaxAge/24, time.Minute), time.Hour)
	}
	sweepDefaults(&o.Batch, &o.Pause, &o.Now)
}

// RunRetention sweeps the store every opts.Interval until ctx is done.
func (s *Store) RunRetention(ctx context.Context, opts RetentionOptions) {
	opts.defaults()
	sweepEvery(ctx, opts.Interval, opts.OnError, func(ctx context.Context) error {
		_, err := s.Sweep(ctx, opts)
		return err
	})
}

// sweepDefaults fills the defaults the sweepers share.
func sweepDefaults(batch *int, pause *time.Duration, now *func() time.Time) {
	if *batch <= 0 {
		*batch = defaultBatch
	}
	if *pause <= 0 {
		*pause = defaultPause
	}
	if *now == nil {
		*now = time.Now
	}
}

// sweepEvery runs sweep at once and then every interval until ctx is
// done, handing the errors that did not stop it to onError (if set).
func sweepEvery(ctx context.Context, interval time.Duration, onError func(error), sweep func(ctx context.Context) error) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := sweep(ctx); err != nil && onError != nil && ctx.Err() == nil {
			onError(err)
		}
		t.Reset(interval)
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
		if sw.opts.OnError != nil {
			sw.opts.OnError(fmt.Errorf("cannot remove expired %q: %w", full, err))
		}
		return false
	}
	sw.small.forget(strings.TrimPrefix(full, sw.root+"/"))
	sw.stats.Files++
	sw.stats.Bytes += fi.Size()
	if sw.opts.OnRemove != nil {
		sw.opts.OnRemove(fi.Size())
	}
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
