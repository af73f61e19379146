package server_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/upedge/upedge/edge/server/servertest"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// syncRecorder is a sync hook that records what is synced, and syncs it.
type syncRecorder struct {
	mu    sync.Mutex
	paths []string
}

func (r *syncRecorder) hook(fd int, path string) error {
	r.mu.Lock()
	r.paths = append(r.paths, path)
	r.mu.Unlock()
	return unix.Fsync(fd)
}

// take returns what was synced since the last take.
func (r *syncRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.paths
	r.paths = nil
	return p
}

// TestFsyncAlways: with fsync = always, every writer of the store
// directory syncs what a power cut would otherwise lose, in order: a new
// store's directories into their parents at start; an upload's data
// before its name, a new slot directory into the store root, then the
// directory of the name (before the 201); the quota state and a
// compressed variant before they replace their names, then their
// directories. (Whether the kernel keeps its word is the kill -9 and
// disk tests' concern; this one checks that it is asked.)
func TestFsyncAlways(t *testing.T) {
	parent := t.TempDir()
	store := filepath.Join(parent, "new", "store")
	var rec syncRecorder
	p := servertest.StartSynced(t, store, rec.hook,
		"--quota-window-bytes", "1MiB", "--compress")
	reserved := filepath.Join(store, ".upedge")
	if got, want := rec.take(), []string{
		parent, filepath.Join(parent, "new"), // store and its missing parent
		store, reserved, // .upedge/tmp
		reserved, // .upedge/cache
	}; !slices.Equal(got, want) {
		t.Errorf("start synced %q; want %q", got, want)
	}

	body := strings.Repeat("a compressible line of text\n", 64)
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"slot1/notes.txt", []string{"slot1/notes.txt", ".", "slot1"}}, // new slot directory
		{"slot1/more.txt", []string{"slot1/more.txt", "slot1"}},        // existing one
		{"u/s2/deep.txt", []string{"u/s2/deep.txt", ".", "u", "u/s2"}}, // two new levels
		{"slot3/été ✓.txt", []string{"slot3/été ✓.txt", ".", "slot3"}},
		{"slot4/" + strings.Repeat("я", 127) + ".txt", nil}, // long: below // any name
	} {
		put, _ := p.Slot(tc.name, int64(len(body)))
		if st := putTyped(t, put, []byte(body), "text/plain"); st != 201 {
			t.Fatalf("upload %s: %d; want 201", tc.name, st)
		}
		got := rec.take()
		if tc.want == nil {
			// A name past NAME_MAX is stored under another: the same
			// steps, whatever it is called on disk.
			if len(got) != 3 || got[1] != store || got[2] != filepath.Join(store, "slot4") || filepath.Dir(got[0]) != got[2] {
				t.Errorf("upload %s synced %q; want its file, the store root, slot4", tc.name, got)
			}
			continue
		}
		want := make([]string, len(tc.want))
		for i, w := range tc.want {
			want[i] = filepath.Join(store, w)
		}
		if !slices.Equal(got, want) {
			t.Errorf("upload %s synced %q; want %q", tc.name, got, want)
		}
	}

	// A compressed variant, made on the first download that wants it.
	_, get := p.Slot("slot1/notes.txt", 0)
	req, _ := http.NewRequest(http.MethodGet, get, nil)
	req.Header.Set("Accept-Encoding", "zstd")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "zstd" {
		t.Fatalf("download with Accept-Encoding: zstd: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	if got := rec.take(); len(got) != 2 || filepath.Dir(got[0]) != filepath.Join(reserved, "cache") || !strings.HasSuffix(got[0], ".zstd") || got[1] != filepath.Join(reserved, "cache") {
		t.Errorf("compressed variant synced %q; want the variant, then the cache directory", got)
	}

	// The quota state, saved when the edge stops.
	put, _ := slot.URLs([]byte(servertest.Secret), slot.Request{Version: token.V3, Base: "http://" + p.Addr + "/upload/",
		Path: "q/v3.txt", Size: 2, Uploader: "alice@example.org", Timestamp: time.Now().Unix()})
	if st, _ := httpDo(t, http.MethodPut, put, []byte("hi")); st != 201 {
		t.Fatalf("v3 upload: %d; want 201", st)
	}
	rec.take()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.take(), []string{filepath.Join(reserved, "quota.json"), reserved}; !slices.Equal(got, want) {
		t.Errorf("quota state synced %q; want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(reserved, "quota.json")); err != nil {
		t.Errorf("quota state not saved: %v", err)
	}
}

// putTyped PUTs body to put with Content-Type ctype and returns the status.
func putTyped(t *testing.T, put string, body []byte, ctype string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, put, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", put, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
