package dirstore

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/upedge/upedge/backend"
)

// TestFsyncSyncsNameAndDirectories: with Fsync an upload's data, its
// name and the slot directory made for it are synced before Put returns.
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
	if err := s.Put(context.Background(), "slot/f.txt", backend.PutInfo{Size: 2, ContentType: "text/plain"}, strings.NewReader("hi")); err != nil {
		t.Fatal(err)
	}
	root := s.Root()
	want := []string{filepath.Join(root, "slot", "f.txt"), root, filepath.Join(root, "slot")}
	if !slices.Equal(synced, want) {
		t.Errorf("synced %q; want %q", synced, want)
	}
}
