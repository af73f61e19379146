package dirstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/upedge/upedge/backend"
)

// openStore opens a Store on dir with opts, failing t if it cannot.
func openStore(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	s, err := New(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newStore(t *testing.T, named bool) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	if named {
		s.temps.NoTmpfile() // as on a file system without O_TMPFILE
	}
	return s, dir
}

func bothTempKinds(t *testing.T, f func(t *testing.T, s *Store, dir string)) {
	for _, named := range []bool{false, true} {
		name := "O_TMPFILE"
		if named {
			name = "named temporary"
		}
		t.Run(name, func(t *testing.T) {
			s, dir := newStore(t, named)
			f(t, s, dir)
		})
	}
}

func put(s *Store, name, body, ctype string) error {
	return s.Put(context.Background(), name, backend.PutInfo{Size: int64(len(body)), ContentType: ctype}, strings.NewReader(body))
}

func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

func TestRoundTrip(t *testing.T) {
	bothTempKinds(t, func(t *testing.T, s *Store, dir string) {
		if err := put(s, "abc/my file.txt", "hello", "text/plain; charset=utf-8"); err != nil {
			t.Fatal(err)
		}
		obj, err := s.Get(context.Background(), "abc/my file.txt", &backend.GetRequest{})
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		got := obj.Data
		if obj.File != nil || string(got) != "hello" || obj.Size != 5 || obj.ContentType != "text/plain; charset=utf-8" || obj.ETag == "" {
			t.Fatalf("got %q size %d type %q etag %q", got, obj.Size, obj.ContentType, obj.ETag)
		}
		if ok, _ := s.Exists(context.Background(), "abc/my file.txt"); !ok {
			t.Fatal("Exists: false after Put")
		}
		if files := leftovers(t, filepath.Join(dir, ReservedDir)); len(files) != 0 {
			t.Fatalf("temporaries left: %v", files)
		}
	})
}

func TestNoOverwrite(t *testing.T) {
	bothTempKinds(t, func(t *testing.T, s *Store, dir string) {
		if err := put(s, "a/b", "one", ""); err != nil {
			t.Fatal(err)
		}
		if err := put(s, "a/b", "two", ""); !errors.Is(err, backend.ErrExists) {
			t.Fatalf("second Put: got %v; want ErrExists", err)
		}
		if err := put(s, "a/b/c", "two", ""); !errors.Is(err, backend.ErrExists) {
			t.Fatalf("Put below a file: got %v; want ErrExists", err)
		}
		if ok, err := s.Exists(context.Background(), "a/b/c"); !ok || err != nil {
			t.Fatalf("Exists below a file: got %v, %v; want true (it can never be created)", ok, err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "a/b"))
		if string(b) != "one" {
			t.Fatalf("file is %q; want one", b)
		}
		if files := leftovers(t, filepath.Join(dir, ReservedDir)); len(files) != 0 {
			t.Fatalf("temporaries left: %v", files)
		}
	})
}

func TestConcurrentPutsOneWins(t *testing.T) {
	bothTempKinds(t, func(t *testing.T, s *Store, dir string) {
		const n = 16
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs[i] = put(s, "race/x", strings.Repeat(string(rune('a'+i)), 100000), "")
			}(i)
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, backend.ErrExists):
				t.Fatalf("unexpected error %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d winners; want 1", wins)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "race/x"))
		if len(b) != 100000 || strings.Count(string(b), string(b[:1])) != 100000 {
			t.Fatal("stored file is mixed")
		}
	})
}

func TestIncompleteLeavesNothing(t *testing.T) {
	bothTempKinds(t, func(t *testing.T, s *Store, dir string) {
		cases := map[string]io.Reader{
			"short":     strings.NewReader("abc"),
			"long":      strings.NewReader("abcdefghijk"),
			"read fail": io.MultiReader(strings.NewReader("abcd"), iotest.ErrReader(errors.New("connection reset"))),
		}
		for name, body := range cases {
			err := s.Put(context.Background(), "cut/"+strings.ReplaceAll(name, " ", "-"), backend.PutInfo{Size: 10}, body)
			if !errors.Is(err, backend.ErrIncomplete) {
				t.Errorf("%s: got %v; want ErrIncomplete", name, err)
			}
		}
		if files := leftovers(t, dir); len(files) != 0 {
			t.Fatalf("files left behind: %v", files)
		}
		if err := put(s, "cut/short", "0123456789", ""); err != nil {
			t.Fatalf("retry: %v", err)
		}
	})
}

func TestCancelledLeavesNothing(t *testing.T) {
	s, dir := newStore(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Put(ctx, "c/x", backend.PutInfo{Size: 3}, strings.NewReader("abc"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v; want context.Canceled", err)
	}
	if files := leftovers(t, dir); len(files) != 0 {
		t.Fatalf("files left behind: %v", files)
	}
}

func TestStaleTemporariesRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, ReservedDir, "tmp")
	os.MkdirAll(tmp, 0o755)
	os.WriteFile(filepath.Join(tmp, "123-1"), []byte("partial"), 0o644)
	if _, err := New(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if files := leftovers(t, dir); len(files) != 0 {
		t.Fatalf("stale temporaries kept: %v", files)
	}
}

func TestReservedNames(t *testing.T) {
	s, _ := newStore(t, false)
	for _, name := range []string{ReservedDir, ReservedDir + "/tmp/x"} {
		if err := put(s, name, "x", ""); !errors.Is(err, backend.ErrBadName) {
			t.Errorf("Put %q: got %v; want ErrBadName", name, err)
		}
		if _, err := s.Get(context.Background(), name, &backend.GetRequest{}); !errors.Is(err, backend.ErrBadName) {
			t.Errorf("Get %q: got %v; want ErrBadName", name, err)
		}
	}
	if err := put(s, ".upedgex/y", "x", ""); err != nil {
		t.Errorf("a name that only starts like the reserved one: %v", err)
	}
}

func TestGetNotFound(t *testing.T) {
	s, dir := newStore(t, false)
	os.MkdirAll(filepath.Join(dir, "d"), 0o755)
	os.Symlink("/etc/passwd", filepath.Join(dir, "d", "link"))
	for _, name := range []string{"none/x", "d", "d/link"} {
		if _, err := s.Get(context.Background(), name, &backend.GetRequest{}); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("Get %q: got %v; want ErrNotFound", name, err)
		}
	}
}

func TestContentTypeWithoutXattr(t *testing.T) {
	// A file put there by hand (or on a file system without user xattrs)
	// gets its type from its name.
	s, dir := newStore(t, false)
	os.MkdirAll(filepath.Join(dir, "h"), 0o755)
	os.WriteFile(filepath.Join(dir, "h", "p.png"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "h", "noext"), []byte("x"), 0o644)
	for name, want := range map[string]string{"h/p.png": "image/png", "h/noext": "application/octet-stream"} {
		obj, err := s.Get(context.Background(), name, &backend.GetRequest{})
		if err != nil {
			t.Fatal(err)
		}
		obj.Close()
		if obj.ContentType != want {
			t.Errorf("%s: got %q; want %q", name, obj.ContentType, want)
		}
	}
}

func TestLargeBodyConstantBuffer(t *testing.T) {
	s, dir := newStore(t, false)
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	if err := s.Put(context.Background(), "big/x", backend.PutInfo{Size: int64(len(body))}, iotest.HalfReader(bytes.NewReader(body))); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "big/x"))
	if !bytes.Equal(got, body) {
		t.Fatal("stored body differs")
	}
}

func TestGetSmallInMemoryLargeAsFile(t *testing.T) {
	s, _ := newStore(t, false)
	for _, size := range []int{0, 1, smallFile, smallFile + 1, 1 << 20} {
		body := strings.Repeat("z", size)
		name := "sz/" + strings.Repeat("n", 1+size%7) + string(rune('a'+size%26))
		if err := put(s, name, body, ""); err != nil {
			t.Fatal(err)
		}
		obj, err := s.Get(context.Background(), name, &backend.GetRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		if size <= smallFile {
			if obj.File != nil || obj.Data == nil {
				t.Fatalf("size %d: File %v, Data nil %v; want Data only", size, obj.File != nil, obj.Data == nil)
			}
			got = obj.Data
		} else {
			if obj.File == nil || obj.Data != nil {
				t.Fatalf("size %d: want File only", size)
			}
			got, _ = io.ReadAll(obj.File)
		}
		obj.Close()
		if string(got) != body || obj.Size != int64(size) {
			t.Fatalf("size %d: got %d bytes, Size %d", size, len(got), obj.Size)
		}
	}
}

// TestSmallCacheValidates: with every hit checked by a stat, a deleted,
// re-uploaded or replaced file is never served stale.
func TestSmallCacheValidates(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{SmallCacheBytes: 1 << 20})
	s.small.recheck = 0
	get := func(name string) (*backend.Object, error) {
		return s.Get(context.Background(), name, &backend.GetRequest{})
	}
	if err := put(s, "c/a.txt", "first", "text/plain"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // miss, then hit
		obj, err := get("c/a.txt")
		if err != nil || string(obj.Data) != "first" || obj.ContentType != "text/plain" || obj.ETag == "" {
			t.Fatalf("get %d: %v %q %q", i, err, obj.Data, obj.ContentType)
		}
	}
	// Deleted (retention, or an operator's rm): not served.
	os.Remove(filepath.Join(dir, "c/a.txt"))
	if _, err := get("c/a.txt"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("after delete: got %v; want ErrNotFound", err)
	}
	// Uploaded again under the same name: the new content.
	if err := put(s, "c/a.txt", "second!", "text/html"); err != nil {
		t.Fatal(err)
	}
	obj, err := get("c/a.txt")
	if err != nil || string(obj.Data) != "second!" || obj.ContentType != "text/html" {
		t.Fatalf("after re-upload: %v %q %q", err, obj.Data, obj.ContentType)
	}
	// Replaced by hand with a file of the same size: a new inode.
	os.WriteFile(filepath.Join(dir, "c/b.tmp"), []byte("SECOND!"), 0o644)
	os.Rename(filepath.Join(dir, "c/b.tmp"), filepath.Join(dir, "c/a.txt"))
	if obj, err := get("c/a.txt"); err != nil || string(obj.Data) != "SECOND!" {
		t.Fatalf("after replace: %v %q", err, obj.Data)
	}
}

func TestSmallCacheBudget(t *testing.T) {
	c := newSmallCache(64 << 10)
	for i := 0; i < 100; i++ {
		c.store(strings.Repeat("k", i+1), &cachedFile{data: make([]byte, 3000)})
		if c.used > c.budget {
			t.Fatalf("used %d over budget %d", c.used, c.budget)
		}
	}
	c.store("huge", &cachedFile{data: make([]byte, 32<<10)}) // over budget/16: not kept
	if c.items["huge"] != nil {
		t.Fatal("kept an entry larger than a sixteenth of the budget")
	}
}

// TestSmallCacheWindow: between stats a hit costs no syscall; a file
// deleted by hand is served until the next check, one removed by retention
// never again.
func TestSmallCacheWindow(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{SmallCacheBytes: 1 << 20})
	get := func(name string) (*backend.Object, error) {
		return s.Get(context.Background(), name, &backend.GetRequest{})
	}
	for _, name := range []string{"w/by-hand.txt", "w/by-retention.txt"} {
		if err := put(s, name, "data", "text/plain"); err != nil {
			t.Fatal(err)
		}
		if _, err := get(name); err != nil { // now cached
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(dir, "w/by-hand.txt"))
	if obj, err := get("w/by-hand.txt"); err != nil || string(obj.Data) != "data" {
		t.Fatalf("within the window: got %v; want the cached entry", err)
	}
	s.small.items["w/by-hand.txt"].checked.Store(time.Now().Add(-2 * recheckAfter).UnixNano())
	if _, err := get("w/by-hand.txt"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("after the window: got %v; want ErrNotFound", err)
	}
	_, err := s.Sweep(context.Background(), RetentionOptions{MaxAge: time.Hour, SweepOptions: SweepOptions{Now: func() time.Time { return time.Now().Add(2 * time.Hour) }}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get("w/by-retention.txt"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("after retention removed it: got %v; want ErrNotFound", err)
	}
}
