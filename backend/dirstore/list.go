package dirstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/longname"
)

var _ backend.Lister = (*Store)(nil)

// List implements backend.Lister: it walks the store, a batch of
// directory entries at a time (so a store of millions of files costs
// little memory), and reads each file's uploader xattr: a stat and a
// getxattr per file. The reserved directory is never entered.
func (s *Store) List(ctx context.Context, fn func(backend.ObjectInfo) error) error {
	return s.listDir(ctx, s.root, fn)
}

func (s *Store) listDir(ctx context.Context, dir string, fn func(backend.ObjectInfo) error) error {
	d, err := os.Open(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // removed while we walked
		}
		return fmt.Errorf("cannot open %q to list it: %w", dir, err)
	}
	defer d.Close()
	top := dir == s.root
	buf := make([]byte, maxUploader)
	for {
		entries, rerr := d.ReadDir(defaultBatch)
		for _, e := range entries {
			full := dir + "/" + e.Name()
			switch {
			case top && e.Name() == ReservedDir:
			case e.IsDir():
				if err := s.listDir(ctx, full, fn); err != nil {
					return err
				}
			case e.Type().IsRegular():
				fi, err := e.Info()
				if err != nil {
					continue // removed meanwhile
				}
				n, err := getXattrAt(full, xattrUploader, buf)
				if err != nil && !errors.Is(err, unix.ENODATA) && !errors.Is(err, unix.ENOTSUP) {
					if errors.Is(err, unix.ENOENT) {
						continue
					}
					return fmt.Errorf("cannot read the uploader of %q: %w", full, err)
				}
				info := backend.ObjectInfo{Name: strings.TrimPrefix(full, s.root+"/"), Size: fi.Size()}
				if n > 0 {
					info.Uploader = string(buf[:n])
				}
				if !longname.Fits(info.Name, int(s.nameMax.Load())) {
					// Stored under its longname form: the real name is
					// in an xattr. Without it, the name is not one Delete
					// takes: passed over.
					n, err := getXattrAt(full, xattrName, buf)
					if err != nil || n == 0 {
						continue
					}
					info.Name = string(buf[:n])
				}
				if err := fn(info); err != nil {
					return err
				}
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("cannot list %q: %w", dir, rerr)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// Delete removes the upload name and the slot directories this leaves
// empty; backend.ErrNotFound when there is none. The entry of the file in
// this store's small-file cache is dropped at once; the cache of another
// process on the same store (an edge serving while `upedge purge` runs)
// finds the file gone at its next recheck, within a second (see
// smallCache). With Options.Fsync the removal is synced before Delete
// returns: whoever asked for it is told it is done.
func (s *Store) Delete(_ context.Context, name string) error {
	if err := s.checkName(name); err != nil {
		return err
	}
	if _, _, err := s.remove(s.diskName(name), true); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return backend.ErrNotFound
		}
		return fmt.Errorf("cannot delete %q: %w", name, err)
	}
	return nil
}
