// Package purge deletes every upload of one uploader from a store, for
// account deletion and GDPR erasure requests: `upedge purge --uploader
// JID`. It works on any store that lists its objects with their uploader
// (backend.Lister: the directory store, S3) and deletes them, and it may
// run while edges serve the same store.
//
// It finds files by the uploader kept with each (PutInfo.Uploader: the
// JWT's sub, the v3 uploader). Uploads whose token named nobody (v1, v2,
// token) carry none, and cannot be found by uploader.
package purge

import (
	"context"
	"errors"
	"fmt"

	"github.com/upedge/upedge/backend"
)

// Store is what Purge needs of a store.
type Store interface {
	backend.Lister
	// Delete removes name; backend.ErrNotFound when it is gone already.
	Delete(ctx context.Context, name string) error
}

// Result tells what Purge did.
type Result struct {
	Files  int   // removed
	Bytes  int64 // their size
	Failed int   // found but not removed (see the error)
}

// Options configure Purge.
type Options struct {
	// DryRun finds the files and reports them without removing any.
	DryRun bool
	// OnFile, when set, is called for each file removed (or, with DryRun,
	// found), and for each that could not be removed, with the error.
	OnFile func(info backend.ObjectInfo, err error)
}

// Purge removes every object of store whose uploader is uploader. It first
// lists them all, then deletes them, so that a listing never walks
// directories it is changing. A file that cannot be deleted does not stop
// the others; the error returned then joins every failure. A file deleted
// meanwhile by someone else (retention, a DELETE) counts as removed.
func Purge(ctx context.Context, store Store, uploader string, opts Options) (Result, error) {
	var res Result
	if uploader == "" {
		return res, errors.New("cannot purge: no uploader given")
	}
	var found []backend.ObjectInfo
	err := store.List(ctx, func(info backend.ObjectInfo) error {
		if info.Uploader == uploader {
			found = append(found, info)
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("cannot list the store to purge %q: %w", uploader, err)
	}
	var errs []error
	for _, info := range found {
		if !opts.DryRun {
			err := store.Delete(ctx, info.Name)
			if err != nil && !errors.Is(err, backend.ErrNotFound) {
				res.Failed++
				errs = append(errs, fmt.Errorf("cannot remove %q: %w", info.Name, err))
				if opts.OnFile != nil {
					opts.OnFile(info, err)
				}
				continue
			}
		}
		res.Files++
		res.Bytes += info.Size
		if opts.OnFile != nil {
			opts.OnFile(info, nil)
		}
	}
	return res, errors.Join(errs...)
}
