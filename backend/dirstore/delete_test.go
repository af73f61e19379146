package dirstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/upedge/upedge/backend"
)

// TestDeleteKeepsWhatIsLeft: the file goes, the slot directories it leaves empty go, a
// directory still holding a file stays, and the reserved directory is
// never touched.
func TestDeleteKeepsWhatIsLeft(t *testing.T) {
	s, dir := newStore(t, false)
	ctx := context.Background()
	for _, name := range []string{"slot1/a.txt", "slot2/b.txt", "slot2/c.txt", "hash/random/d.txt"} {
		if err := put(s, name, "x", "text/plain"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		want    error
		gone    []string // paths below dir that must not exist afterwards
		present []string
	}{
		{"slot1/a.txt", nil, []string{"slot1"}, nil},
		{"slot1/a.txt", backend.ErrNotFound, nil, nil},
		{"slot2/b.txt", nil, []string{"slot2/b.txt"}, []string{"slot2/c.txt"}},
		{"hash/random/d.txt", nil, []string{"hash"}, nil},
		{"slot2", backend.ErrNotFound, nil, []string{"slot2/c.txt"}},
		{"never/uploaded", backend.ErrNotFound, nil, nil},
		{"slot2/c.txt/below", backend.ErrNotFound, nil, []string{"slot2/c.txt"}},
		{ReservedDir + "/tmp", backend.ErrBadName, nil, []string{ReservedDir + "/tmp"}},
		{ReservedDir, backend.ErrBadName, nil, []string{ReservedDir}},
	} {
		if err := s.Delete(ctx, tc.name); !errors.Is(err, tc.want) {
			t.Errorf("Delete(%q): got %v; want %v", tc.name, err, tc.want)
		}
		for _, p := range tc.gone {
			if _, err := os.Stat(filepath.Join(dir, p)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("after Delete(%q): %s is still there (%v)", tc.name, p, err)
			}
		}
		for _, p := range tc.present {
			if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
				t.Errorf("after Delete(%q): %s: %v; want it kept", tc.name, p, err)
			}
		}
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("store root: %v", err)
	}
	// The name is free for a new upload.
	if err := put(s, "slot1/a.txt", "again", "text/plain"); err != nil {
		t.Errorf("Put after Delete: %v", err)
	}
}

// TestDeleteDropsCachedFile: a small file served from memory is not served
// once Delete returns, not even within the cache's recheck window.
func TestDeleteDropsCachedFile(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir, Options{SmallCacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := put(s, "s/cached.txt", "cached", "text/plain"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second Get is served from the cache
		o, err := s.Get(ctx, "s/cached.txt", &backend.GetRequest{})
		if err != nil {
			t.Fatal(err)
		}
		o.Close()
	}
	if s.small.items["s/cached.txt"] == nil {
		t.Fatal("the file did not get into the cache; the test proves nothing")
	}
	if err := s.Delete(ctx, "s/cached.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "s/cached.txt", &backend.GetRequest{}); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("Get after Delete: got %v; want ErrNotFound", err)
	}
}
