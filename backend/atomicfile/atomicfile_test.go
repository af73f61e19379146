package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// recorder is a SyncHook that records the synced paths and syncs for real.
type recorder struct{ paths []string }

func (r *recorder) hook(fd int, path string) error {
	r.paths = append(r.paths, path)
	return unix.Fsync(fd)
}

// bothTempKinds runs f with unnamed temporaries and with named ones.
func bothTempKinds(t *testing.T, f func(t *testing.T, named bool)) {
	for _, named := range []bool{false, true} {
		name := "O_TMPFILE"
		if named {
			name = "named"
		}
		t.Run(name, func(t *testing.T) { f(t, named) })
	}
}

func newTempDir(t *testing.T, root string, opts Options, named bool) *TempDir {
	t.Helper()
	tmp := filepath.Join(root, "tmp")
	if err := os.MkdirAll(tmp, DirPerm); err != nil {
		t.Fatal(err)
	}
	td := NewTempDir(tmp, opts)
	td.noTmpfile.Store(named)
	return td
}

func TestLinkSyncsFileAndNewDirectories(t *testing.T) {
	bothTempKinds(t, func(t *testing.T, named bool) {
		root := t.TempDir()
		var rec recorder
		td := newTempDir(t, root, Options{Sync: true, SyncHook: rec.hook}, named)
		tf, err := td.Create()
		if err != nil {
			t.Fatal(err)
		}
		if err := tf.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root, "a", "b", "f")
		if err := tf.Link(path); err != nil {
			t.Fatal(err)
		}
		if err := tf.Close(); err != nil {
			t.Fatal(err)
		}
		// The file before its name; each new directory's parent after
		// the directory was made; the directory of the name last.
		want := []string{path, root, filepath.Join(root, "a"), filepath.Join(root, "a", "b")}
		if !slices.Equal(rec.paths, want) {
			t.Errorf("synced %q; want %q", rec.paths, want)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "hello" {
			t.Errorf("linked file holds %q, %v; want %q", b, err, "hello")
		}
		if left, _ := os.ReadDir(filepath.Join(root, "tmp")); len(left) != 0 {
			t.Errorf("temporaries left: %v", left)
		}
	})
}

func TestLinkWithoutSyncSyncsNothing(t *testing.T) {
	root := t.TempDir()
	called := false
	td := newTempDir(t, root, Options{SyncHook: func(int, string) error { called = true; return nil }}, false)
	tf, err := td.Create()
	if err != nil {
		t.Fatal(err)
	}
	if err := tf.Link(filepath.Join(root, "d", "f")); err != nil {
		t.Fatal(err)
	}
	tf.Close()
	if called {
		t.Error("SyncHook called with Sync off")
	}
}

func TestLinkNeverReplaces(t *testing.T) {
	bothTempKinds(t, func(t *testing.T, named bool) {
		root := t.TempDir()
		td := newTempDir(t, root, Options{}, named)
		path := filepath.Join(root, "d", "f")
		for i, want := range []error{nil, unix.EEXIST} {
			tf, err := td.Create()
			if err != nil {
				t.Fatal(err)
			}
			tf.Write([]byte{byte('0' + i)})
			err = tf.Link(path)
			if want == nil && err != nil || want != nil && !errors.Is(err, want) {
				t.Fatalf("link %d: got %v; want %v", i, err, want)
			}
			if err != nil {
				tf.Discard()
			} else {
				tf.Close()
			}
		}
		if b, _ := os.ReadFile(path); string(b) != "0" {
			t.Errorf("file holds %q; want the first write", b)
		}
		// A file where a directory of the name should be.
		tf, _ := td.Create()
		if err := tf.Link(filepath.Join(path, "below")); !errors.Is(err, unix.ENOTDIR) && !errors.Is(err, unix.EEXIST) {
			t.Errorf("link below a file: got %v; want ENOTDIR or EEXIST", err)
		}
		tf.Discard()
		if left, _ := os.ReadDir(filepath.Join(root, "tmp")); len(left) != 0 {
			t.Errorf("temporaries left: %v", left)
		}
	})
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	var rec recorder
	path := filepath.Join(dir, "state", "q.json")
	for _, content := range []string{"one", "two"} {
		rec.paths = nil
		if err := WriteFile(path, []byte(content), 0o600, Options{Sync: true, SyncHook: rec.hook}); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != content {
			t.Fatalf("got %q, %v; want %q", b, err, content)
		}
	}
	if want := []string{path, filepath.Dir(path)}; !slices.Equal(rec.paths, want) {
		t.Errorf("second write synced %q; want %q", rec.paths, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v; want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %d entries; want the file only", len(entries))
	}
}

func TestReplacementAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "v")
	r, err := NewReplacement(path, 0o644, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.File().WriteString("partial")
	r.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("aborted replacement left %v", entries)
	}
}

func TestRemoveTemps(t *testing.T) {
	root := t.TempDir()
	td := newTempDir(t, root, Options{}, true)
	if _, err := td.Create(); err != nil { // left behind, as by a crash
		t.Fatal(err)
	}
	if err := RemoveTemps(td.dir); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(td.dir); len(left) != 0 {
		t.Errorf("temporaries left: %v", left)
	}
}

// TestTempDirRecreated: the directory of temporaries removed under a
// TempDir, with its parent, is made again (and its parents synced) by the
// next Create, after OnMissing was called.
func TestTempDirRecreated(t *testing.T) {
	bothTempKinds(t, func(t *testing.T, named bool) {
		root := t.TempDir()
		var rec recorder
		td := newTempDir(t, filepath.Join(root, "store"), Options{Sync: true, SyncHook: rec.hook}, named)
		missing := 0
		td.OnMissing(func() { missing++ })
		for i, remove := range []string{"", filepath.Join(root, "store", "tmp"), filepath.Join(root, "store")} {
			if remove != "" {
				if err := os.RemoveAll(remove); err != nil {
					t.Fatal(err)
				}
			}
			rec.paths = nil
			tf, err := td.Create()
			if err != nil {
				t.Fatalf("Create after removing %q: %v", remove, err)
			}
			path := filepath.Join(root, "store", "f"+string(rune('0'+i)))
			if err := tf.Link(path); err != nil {
				t.Fatalf("Link after removing %q: %v", remove, err)
			}
			tf.Close()
			if missing != i {
				t.Errorf("after removing %q: OnMissing called %d times; want %d", remove, missing, i)
			}
			var want []string
			switch i {
			case 1:
				want = []string{filepath.Join(root, "store")}
			case 2:
				want = []string{root, filepath.Join(root, "store")}
			}
			want = append(want, path, filepath.Join(root, "store"))
			if !slices.Equal(rec.paths, want) {
				t.Errorf("after removing %q: synced %q; want %q", remove, rec.paths, want)
			}
		}
	})
}

func TestSyncDir(t *testing.T) {
	dir := t.TempDir()
	var rec recorder
	if err := SyncDir(dir, &Options{Sync: true, SyncHook: rec.hook}); err != nil {
		t.Fatal(err)
	}
	if err := SyncDir(dir, &Options{SyncHook: rec.hook}); err != nil {
		t.Fatal(err)
	}
	if want := []string{dir}; !slices.Equal(rec.paths, want) {
		t.Errorf("synced %q; want %q (once: the second without Sync)", rec.paths, want)
	}
	if err := SyncDir(filepath.Join(dir, "gone"), &Options{Sync: true}); !errors.Is(err, unix.ENOENT) {
		t.Errorf("SyncDir of a missing directory: got %v; want ENOENT", err)
	}
}
