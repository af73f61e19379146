package dirstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/upedge/upedge/backend"
)

func putMeta(t *testing.T, s *Store, name, uploader string, expires time.Time) {
	t.Helper()
	info := backend.PutInfo{Size: 3, ContentType: "text/plain", Uploader: uploader, Expires: expires}
	if err := s.Put(context.Background(), name, info, strings.NewReader("abc")); err != nil {
		t.Fatalf("put %s: %v", name, err)
	}
}

// TestMetaKeptWithFile: the uploader and the expiry travel with the file
// and come back from Get (uncached and cached) and List.
func TestMetaKeptWithFile(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir, Options{SmallCacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Xattrs() {
		t.Fatal("the test directory's file system keeps no user xattrs")
	}
	exp := time.Unix(1900000000, 0)
	putMeta(t, s, "a/x.txt", "alice@example.org", exp)
	putMeta(t, s, "b/y.txt", "", time.Time{})
	for round := 0; round < 2; round++ { // the second from the small-file cache
		for name, want := range map[string]time.Time{"a/x.txt": exp, "b/y.txt": {}} {
			obj, err := s.Get(context.Background(), name, &backend.GetRequest{})
			if err != nil {
				t.Fatal(err)
			}
			obj.Close()
			if !obj.Expires.Equal(want) {
				t.Errorf("round %d, %s: expires %v; want %v", round, name, obj.Expires, want)
			}
		}
	}
	buf := make([]byte, 64)
	n, err := unix.Getxattr(filepath.Join(dir, "a/x.txt"), xattrUploader, buf)
	if err != nil || string(buf[:n]) != "alice@example.org" {
		t.Errorf("uploader xattr %q, %v; want %q", buf[:n], err, "alice@example.org")
	}
	var got []string
	err = s.List(context.Background(), func(o backend.ObjectInfo) error {
		got = append(got, o.Name+"="+o.Uploader)
		return nil
	})
	sort.Strings(got)
	if err != nil || !slices.Equal(got, []string{"a/x.txt=alice@example.org", "b/y.txt="}) {
		t.Errorf("List: %q, %v", got, err)
	}
}

// TestSweepExpired: files whose expiry passed are removed with their slot
// directories, by the index alone, whatever their age; the others stay,
// and so does the index of the hours to come.
func TestSweepExpired(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir, Options{SmallCacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1800000000, 0) // 1800000000 % 3600 == 0: an hour starts
	for _, c := range []struct {
		name string
		exp  time.Time
	}{
		{"gone/1.txt", now.Add(-2 * time.Hour)},
		{"gone/2.txt", now.Add(-time.Second)},
		{"now/due.txt", now},
		{"later/soon.txt", now.Add(30 * time.Minute)},
		{"later/next-week.txt", now.Add(7 * 24 * time.Hour)},
		{"never/kept.txt", time.Time{}},
	} {
		putMeta(t, s, c.name, "alice@example.org", c.exp)
	}
	// Warm the cache: a removed file must not be served from it.
	if obj, err := s.Get(context.Background(), "gone/2.txt", &backend.GetRequest{}); err == nil {
		obj.Close()
	}
	// A name noted in the index but uploaded anew without an expiry (the
	// first upload failed after it was noted) stays.
	if err := s.expiry.note("never/kept.txt", now.Add(-time.Hour).Unix()); err != nil {
		t.Fatal(err)
	}
	var removed []int64
	st, err := s.SweepExpired(context.Background(), ExpiryOptions{Now: func() time.Time { return now }, OnRemove: func(n int64) { removed = append(removed, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 3 || st.Bytes != 9 || len(removed) != 3 {
		t.Errorf("stats %+v, removed %v; want 3 files of 3 bytes", st, removed)
	}
	for _, name := range []string{"gone", "now"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s: %v; want it removed", name, err)
		}
	}
	if _, err := s.Get(context.Background(), "gone/2.txt", &backend.GetRequest{}); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("Get of a swept file: %v; want ErrNotFound", err)
	}
	for _, name := range []string{"later/soon.txt", "later/next-week.txt", "never/kept.txt"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v; want it kept", name, err)
		}
	}
	index, _ := os.ReadDir(s.expiry.dir)
	var hours []string
	for _, e := range index {
		hours = append(hours, e.Name())
	}
	// The past hours' files are gone; the current one (half an hour of
	// it still to come) and next week's stay.
	if want := []string{"1800000000", "1800604800"}; !slices.Equal(hours, want) {
		t.Errorf("index files %q; want %q", hours, want)
	}
	// An hour later the rest of that hour goes.
	st, err = s.SweepExpired(context.Background(), ExpiryOptions{Now: func() time.Time { return now.Add(time.Hour) }})
	if err != nil || st.Files != 1 {
		t.Errorf("second sweep: %+v, %v; want 1 file", st, err)
	}
	// The name can be uploaded again.
	putMeta(t, s, "gone/1.txt", "", time.Time{})
}

// TestSweepExpiredNoIndex: a store that never had an expiry costs a sweep
// one failed open.
func TestSweepExpiredNoIndex(t *testing.T) {
	s, _ := newStore(t, false)
	st, err := s.SweepExpired(context.Background(), ExpiryOptions{})
	if err != nil || st != (SweepStats{}) {
		t.Fatalf("got %+v, %v; want nothing", st, err)
	}
}

// TestExpiryIndexSynced: with Fsync, the index line and, for a new index
// file, its directory entry are synced before Put returns.
func TestExpiryIndexSynced(t *testing.T) {
	dir := t.TempDir()
	var synced []string
	s, err := New(dir, Options{Fsync: true, SyncHook: func(fd int, path string) error {
		synced = append(synced, path)
		return unix.Fsync(fd)
	}})
	if err != nil {
		t.Fatal(err)
	}
	putMeta(t, s, "slot/f.txt", "", time.Unix(1800000001, 0))
	index := filepath.Join(dir, ReservedDir, expiryDirName)
	for _, want := range []string{filepath.Join(index, "1800000000"), index} {
		if !slices.Contains(synced, want) {
			t.Errorf("synced %q; want %q among them", synced, want)
		}
	}
}

// TestDelete: Delete removes the file and its emptied slot directory and
// drops it from the cache; a second Delete finds nothing.
func TestDelete(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir, Options{SmallCacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	putMeta(t, s, "d/x.txt", "bob@example.org", time.Time{})
	putMeta(t, s, "e/f/y.txt", "", time.Time{})
	putMeta(t, s, "e/z.txt", "", time.Time{})
	if obj, err := s.Get(context.Background(), "d/x.txt", &backend.GetRequest{}); err == nil {
		obj.Close()
	}
	for _, c := range []struct {
		name string
		want error
	}{
		{"d/x.txt", nil},
		{"d/x.txt", backend.ErrNotFound},
		{"e/f/y.txt", nil},
		{"e", backend.ErrNotFound}, // a directory is no upload
		{ReservedDir + "/tmp", backend.ErrBadName},
	} {
		if err := s.Delete(context.Background(), c.name); !errors.Is(err, c.want) {
			t.Errorf("Delete(%q): got %v; want %v", c.name, err, c.want)
		}
	}
	if _, err := s.Get(context.Background(), "d/x.txt", &backend.GetRequest{}); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("Get after Delete: %v; want ErrNotFound", err)
	}
	for name, want := range map[string]bool{"d": false, "e/f": false, "e/z.txt": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s exists: %v; want %v", name, err == nil, want)
		}
	}
}

// TestNoXattrs: on a file system without user xattrs (ramfs), uploads
// with an uploader or an expiry are refused and leave nothing; plain
// uploads work, their type from the name. Needs root to mount ramfs.
func TestNoXattrs(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root: cannot mount ramfs")
		}
		t.Skip("mounting ramfs needs root")
	}
	dir := t.TempDir()
	if err := unix.Mount("ramfs", dir, "ramfs", 0, ""); err != nil {
		t.Fatalf("cannot mount ramfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	s, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Xattrs() {
		t.Fatal("ramfs reported as keeping user xattrs")
	}
	ctx := context.Background()
	for _, info := range []backend.PutInfo{{Uploader: "alice@example.org"}, {Expires: time.Now().Add(time.Hour)}} {
		info.Size = 3
		err := s.Put(ctx, "m/x.txt", info, strings.NewReader("abc"))
		if err == nil || !strings.Contains(err.Error(), "no user extended attributes") {
			t.Errorf("Put %+v: got %v; want a refusal naming the missing xattrs", info, err)
		}
	}
	if files := leftovers(t, dir); len(files) != 0 {
		t.Errorf("refused uploads left %q", files)
	}
	if err := s.Put(ctx, "m/x.txt", backend.PutInfo{Size: 3, ContentType: "text/html"}, strings.NewReader("abc")); err != nil {
		t.Fatal(err)
	}
	obj, err := s.Get(ctx, "m/x.txt", &backend.GetRequest{})
	if err != nil {
		t.Fatal(err)
	}
	obj.Close()
	if obj.ContentType != "text/plain; charset=utf-8" {
		t.Errorf("content type %q; want the one of .txt", obj.ContentType)
	}
}
