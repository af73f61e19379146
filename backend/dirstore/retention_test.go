package dirstore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
)

func TestSweep(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, root, Options{})
	ctx := context.Background()
	put := func(name string, age time.Duration) {
		t.Helper()
		if err := s.Put(ctx, name, backend.PutInfo{Size: 3, ContentType: "text/plain"}, strings.NewReader("abc")); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(filepath.Join(root, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 600; i++ { // more than a batch
		put("old"+string(rune('a'+i%26))+"/"+strings.Repeat("x", 1+i/26)+".txt", 8*24*time.Hour)
	}
	put("new/f.txt", time.Hour)
	put("mixed/old.txt", 8*24*time.Hour)
	put("mixed/new.txt", time.Minute)
	// Something old in the reserved directory must survive.
	keep := filepath.Join(root, ReservedDir, "quota.json")
	os.WriteFile(keep, []byte("{}"), 0o600)
	old := time.Now().Add(-30 * 24 * time.Hour)
	os.Chtimes(keep, old, old)

	var removed int
	st, err := s.Sweep(ctx, RetentionOptions{MaxAge: 7 * 24 * time.Hour, SweepOptions: SweepOptions{Batch: 16, Pause: time.Microsecond, OnRemove: func(int64) { removed++ }}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 601 || removed != 601 || st.Bytes != 601*3 || st.Dirs != 26 {
		t.Fatalf("stats %+v removed %d; want 601 files, 26 dirs", st, removed)
	}
	for _, name := range []string{"new/f.txt", "mixed/new.txt", ReservedDir + "/quota.json", ReservedDir + "/tmp"} {
		if _, err := os.Stat(filepath.Join(root, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "olda")); !os.IsNotExist(err) {
		t.Errorf("empty slot directory left: %v", err)
	}
	// Removed paths can be uploaded again.
	if err := s.Put(ctx, "olda/x.txt", backend.PutInfo{Size: 3}, strings.NewReader("abc")); err != nil {
		t.Fatal(err)
	}
}
