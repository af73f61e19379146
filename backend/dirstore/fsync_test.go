package dirstore

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/upedge/upedge/backend"
)

// TestFsyncSyncsNameAndDirectories: with Fsync the directories New makes
// are synced into their parents, and an upload's data, its name and the
// slot directory made for it are synced before Put returns.
func TestFsyncSyncsNameAndDirectories(t *testing.T) {
	dir := t.TempDir()
	var synced []string
	s, err := New(dir, Options{Fsync: true, SyncHook: func(fd int, path string) error {
		synced = append(synced, path)
		return unix.Fsync(fd)
	}})
	if err != nil {
		t.Fatal(err)
	}
	root := s.Root()
	if want := []string{root, filepath.Join(root, ReservedDir)}; !slices.Equal(synced, want) {
		t.Errorf("New synced %q; want %q", synced, want)
	}
	synced = nil
	if err := s.Put(context.Background(), "slot/f.txt", backend.PutInfo{Size: 2, ContentType: "text/plain"}, strings.NewReader("hi")); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "slot", "f.txt"), root, filepath.Join(root, "slot")}
	if !slices.Equal(synced, want) {
		t.Errorf("synced %q; want %q", synced, want)
	}
}

// TestRootReplaced: a store directory moved away and made anew is
// followed: by the next upload, which finds the reserved directory
// missing, and by lookups, which see the new directory at once.
func TestRootReplaced(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "store")
	replaced := 0
	s, err := New(root, Options{SmallCacheBytes: 1 << 20, OnRootReplaced: func(string) { replaced++ }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := put(s, "a/old.txt", "old", "text/plain"); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Get(ctx, "a/old.txt", &backend.GetRequest{}); err != nil {
		t.Fatal(err)
	} else {
		o.Close() // now in the small-file cache
	}
	if err := os.Rename(root, root+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := put(s, "a/new.txt", "new", "text/plain"); err != nil {
		t.Fatalf("Put after the root was replaced: %v", err)
	}
	if replaced != 1 {
		t.Errorf("OnRootReplaced called %d times; want 1", replaced)
	}
	if ok, err := s.Exists(ctx, "a/new.txt"); !ok || err != nil {
		t.Errorf("Exists(new) = %v, %v; want true", ok, err)
	}
	for name, want := range map[string]error{"a/new.txt": nil, "a/old.txt": backend.ErrNotFound} {
		o, err := s.Get(ctx, name, &backend.GetRequest{})
		if err != want {
			t.Errorf("Get(%q): got %v; want %v", name, err, want)
		}
		if o != nil {
			o.Close()
		}
	}
	if _, err := os.Stat(filepath.Join(root+".old", "a", "new.txt")); !os.IsNotExist(err) {
		t.Errorf("upload written into the old directory: %v", err)
	}
}

// TestRootCheckedOncePerInterval: the timed check runs once per
// rootCheckEvery whatever the number of requests, and finds a root
// replaced without any failure.
func TestRootCheckedOncePerInterval(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	s, err := New(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	os.Rename(root, root+".old")
	os.MkdirAll(filepath.Join(root, ReservedDir, "tmp"), 0o755)
	os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o644)
	due := s.dir.due.Load()
	ino := s.dir.ino
	for now := due - 10; now < due; now++ {
		s.dir.tick(now)
	}
	if s.dir.ino != ino || s.dir.due.Load() != due {
		t.Fatal("the root was checked before the check was due")
	}
	s.dir.tick(due)
	s.dir.tick(due + 1) // not due again yet
	if next := s.dir.due.Load(); next != due+int64(rootCheckEvery) {
		t.Errorf("next check due at %d; want %d", next, due+int64(rootCheckEvery))
	}
	if s.dir.ino == ino {
		t.Error("the due check did not follow the new root")
	}
	if ok, err := s.Exists(context.Background(), "f"); !ok || err != nil {
		t.Errorf("after the due check: Exists = %v, %v; want true", ok, err)
	}
}

// TestRemovalsDurable: with Fsync, Delete syncs the directory that held
// the file before it returns (whoever asked is told it is done); the
// expiry sweep syncs the directories it changed before it drops the
// index file of a past hour, and nothing before (a lost removal is
// found again while the index file is there); retention syncs nothing (a
// lost removal is found again by the file's age).
func TestRemovalsDurable(t *testing.T) {
	dir := t.TempDir()
	var synced []string
	s, err := New(dir, Options{Fsync: true, SyncHook: func(fd int, path string) error {
		synced = append(synced, path)
		return unix.Fsync(fd)
	}})
	if err != nil {
		t.Fatal(err)
	}
	root := s.Root()
	ctx := context.Background()
	exp := time.Unix(1800000001, 0)
	putMeta(t, s, "d/keep.txt", "", time.Time{})
	putMeta(t, s, "d/x.txt", "", time.Time{})
	putMeta(t, s, "gone/y.txt", "", time.Time{})
	putMeta(t, s, "u/s1/expired.txt", "", exp)
	putMeta(t, s, "u/s2/"+strings.Repeat("я", 130)+".txt", "", exp)
	putMeta(t, s, "old/z.txt", "", time.Time{})

	for _, tc := range []struct {
		name string
		want string
	}{
		{"d/x.txt", "d"},       // its directory stays: synced
		{"gone/y.txt", "gone"}, // synced before the emptied directory goes
	} {
		synced = nil
		if err := s.Delete(ctx, tc.name); err != nil {
			t.Fatal(err)
		}
		if want := []string{filepath.Join(root, tc.want)}; !slices.Equal(synced, want) {
			t.Errorf("Delete(%q) synced %q; want %q", tc.name, synced, want)
		}
	}

	synced = nil
	// Within the hour of the expiry: removed, the index file kept.
	st, err := s.SweepExpired(ctx, ExpiryOptions{Now: func() time.Time { return exp.Add(time.Second) }})
	if err != nil || st.Files != 2 {
		t.Fatalf("SweepExpired: %+v, %v; want 2 files", st, err)
	}
	if len(synced) != 0 {
		t.Errorf("sweep within the hour synced %q; want nothing yet", synced)
	}
	// Past the hour: the index file goes (nothing left to sync).
	st, err = s.SweepExpired(ctx, ExpiryOptions{Now: func() time.Time { return exp.Add(2 * time.Hour) }})
	if err != nil || st.Files != 0 {
		t.Fatalf("second SweepExpired: %+v, %v", st, err)
	}
	// One more, beside a file that keeps "u": past the hour at once.
	putMeta(t, s, "u/s3/stays.txt", "", time.Time{})
	putMeta(t, s, "u/s4/x.txt", "", exp)
	synced = nil
	st, err = s.SweepExpired(ctx, ExpiryOptions{Now: func() time.Time { return exp.Add(2 * time.Hour) }})
	if err != nil || st.Files != 1 {
		t.Fatalf("third SweepExpired: %+v, %v; want 1 file", st, err)
	}
	// The slot directory s4 went with the file: "u", which held it, is
	// the directory to sync before the index file goes.
	if want := []string{filepath.Join(root, "u")}; !slices.Equal(synced, want) {
		t.Errorf("sweep of a past hour synced %q; want %q", synced, want)
	}

	synced = nil
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(filepath.Join(dir, "old", "z.txt"), old, old)
	if st, err := s.Sweep(ctx, RetentionOptions{MaxAge: time.Hour, Pause: time.Microsecond}); err != nil || st.Files != 1 {
		t.Fatalf("Sweep: %+v, %v", st, err)
	}
	if len(synced) != 0 {
		t.Errorf("retention synced %q; want nothing", synced)
	}
}

// TestReservedDirRemoved: `rm -rf STORE/.upedge` under a store: the next
// upload (with an expiry, so that the index is written too) makes what it
// needs again.
func TestReservedDirRemoved(t *testing.T) {
	bothTempKinds(t, func(t *testing.T, s *Store, dir string) {
		if err := os.RemoveAll(filepath.Join(dir, ReservedDir)); err != nil {
			t.Fatal(err)
		}
		putMeta(t, s, "r/x.txt", "alice@example.org", time.Unix(1800000001, 0))
		if _, err := os.Stat(filepath.Join(dir, ReservedDir, expiryDirName, "1800000000")); err != nil {
			t.Errorf("expiry index not written: %v", err)
		}
		if err := s.CheckWritable(); err != nil {
			t.Errorf("CheckWritable: %v", err)
		}
	})
}
