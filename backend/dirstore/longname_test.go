package dirstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/upedge/upedge/backend"
)

// TestLongNames: names with segments past the file system's NAME_MAX are
// stored (under their backend/longname form, the real name in an xattr),
// served, found again by a new Store on the same directory, and removed
// by retention; names that fit stay readable on disk; a real name shaped
// like a mapped one never meets the mapped one.
func TestLongNames(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir, Options{SmallCacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.nameMax.Load(); got != 255 {
		t.Logf("NAME_MAX of the test's file system: %d", got)
	}
	limit := int(s.nameMax.Load())
	cyr := strings.Repeat("я", 127) + ".txt" // 258 bytes: the name
	names := []string{
		"abc123/" + strings.Repeat("a", limit-1),
		"abc123/" + strings.Repeat("b", limit),
		"abc123/" + strings.Repeat("c", limit+1),
		"abc123/" + cyr,
		strings.Repeat("d", limit+1) + "/" + strings.Repeat("e", 600) + "/f.bin",
	}
	ctx := context.Background()
	for i, name := range names {
		if ok, err := s.Exists(ctx, name); ok || err != nil {
			t.Fatalf("Exists(%d) before Put = %v, %v", i, ok, err)
		}
		if err := put(s, name, name[len(name)-10:], "text/plain; charset=utf-8"); err != nil {
			t.Fatalf("Put(%d): %v", i, err)
		}
		if err := put(s, name, "again", "text/plain"); !errors.Is(err, backend.ErrExists) {
			t.Fatalf("second Put(%d): got %v; want ErrExists", i, err)
		}
	}
	// A real name shaped like the stored form of the Cyrillic one.
	var stored string
	entries, _ := os.ReadDir(filepath.Join(dir, "abc123"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "яяя") {
			stored = e.Name()
		}
	}
	if stored == "" || len(stored) > limit || !strings.HasSuffix(stored, ".txt") {
		t.Fatalf("stored form of the Cyrillic name: %q", stored)
	}
	if ok, _ := s.Exists(ctx, "abc123/"+stored); ok {
		t.Errorf("the stored form %q is taken as a real name", stored)
	}
	if err := put(s, "abc123/"+stored, "shaped", "text/plain"); err != nil {
		t.Fatalf("Put of a real name shaped like a stored one: %v", err)
	}
	names = append(names, "abc123/"+stored)
	var buf [2048]byte
	n, err := unix.Getxattr(filepath.Join(dir, "abc123", stored), xattrName, buf[:])
	if err != nil || string(buf[:n]) != "abc123/"+cyr {
		t.Errorf("real name xattr: %q, %v; want %q", buf[:n], err, "abc123/"+cyr)
	}
	for _, readable := range names[:2] {
		if _, err := os.Stat(filepath.Join(dir, readable)); err != nil {
			t.Errorf("%.20q... not stored under its own name: %v", readable, err)
		}
	}
	check := func(s *Store) {
		t.Helper()
		for i, name := range names {
			o, err := s.Get(ctx, name, &backend.GetRequest{})
			if err != nil {
				t.Fatalf("Get(%d): %v", i, err)
			}
			want := name[len(name)-10:]
			if i == len(names)-1 {
				want = "shaped"
			}
			if string(o.Data) != want || o.ContentType == "" {
				t.Errorf("Get(%d) = %q %q; want %q", i, o.Data, o.ContentType, want)
			}
			o.Close()
		}
	}
	check(s)
	s2, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	check(s2)
	// Retention removes them all, and the cache forgets them.
	old := time.Now().Add(-48 * time.Hour)
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	st, err := s.Sweep(ctx, RetentionOptions{MaxAge: time.Hour, Pause: time.Microsecond})
	if err != nil || st.Files != len(names) {
		t.Fatalf("Sweep: %+v, %v; want %d files", st, err, len(names))
	}
	for i, name := range names {
		if _, err := s.Get(ctx, name, &backend.GetRequest{}); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("Get(%d) after retention: %v; want ErrNotFound", i, err)
		}
	}
}
