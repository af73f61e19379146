package server_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/server/servertest"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// TestVanishedDirectories removes or replaces the edge's own directories
// under a running edge, as operators and their cron jobs do, and checks
// that the next upload is stored (201) where it belongs and served, with
// nothing but the directories made again.
func TestVanishedDirectories(t *testing.T) {
	sh := func(t *testing.T, script, store string) {
		t.Helper()
		cmd := exec.Command("sh", "-ec", script)
		cmd.Env = append(os.Environ(), "STORE="+store)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
	}
	for _, tc := range []struct {
		name   string
		script string // run with $STORE set, after a first upload
		first  bool   // no first upload: the store is empty when script runs
		// oldGone: the first upload is no longer served (it went with
		// the old directory).
		oldGone bool
	}{
		{name: "rm -rf .upedge/tmp", script: `rm -rf "$STORE/.upedge/tmp"`},
		{name: "rm -rf .upedge", script: `rm -rf "$STORE/.upedge"`},
		{name: "find -empty -delete", script: `find "$STORE" -type d -empty -delete; test ! -e "$STORE/.upedge/tmp"`},
		{name: "find -empty -delete on an empty store", first: true,
			script: `find "$STORE" -type d -empty -delete; test ! -e "$STORE"`},
		{name: "rm -rf store", script: `rm -rf "$STORE"`, oldGone: true},
		{name: "mv store away; mkdir store", script: `mv "$STORE" "$STORE.old"; mkdir "$STORE"`, oldGone: true},
		// A root that comes back with its reserved directories (a
		// restored copy, another disk mounted there): no upload fails,
		// so only the timed check, within a second, notices.
		{name: "mv store away; restore a copy", oldGone: true,
			script: `mv "$STORE" "$STORE.old"; mkdir -p "$STORE/.upedge/tmp"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "store")
			p := servertest.Start(t, store)
			old := []byte("uploaded before")
			if !tc.first {
				if st := p.Upload("before/a.txt", old); st != 201 {
					t.Fatalf("first upload: %d", st)
				}
			}
			sh(t, tc.script, store)
			for i := range 3 {
				name := "after/" + string(rune('a'+i)) + ".txt"
				body := servertest.RandomBytes(100 + i)
				if st := p.Upload(name, body); st != 201 {
					t.Fatalf("upload %d after %s: %d; want 201: %s", i, tc.script, st, p.Stderr)
				}
				if got, err := os.ReadFile(filepath.Join(store, name)); err != nil || !bytes.Equal(got, body) {
					t.Fatalf("after %s: %s not in the store directory: %v", tc.script, name, err)
				}
				// Served, at once when an upload noticed the change,
				// within the timed check otherwise (no deadline here:
				// the test's timeout bounds it).
				for {
					st, got := p.Fetch(name)
					if st == 200 && bytes.Equal(got, body) {
						break
					}
					if st != 404 {
						t.Fatalf("download %s: %d", name, st)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			if !tc.first {
				st, _ := p.Fetch("before/a.txt")
				if want := map[bool]int{false: 200, true: 404}[tc.oldGone]; st != want {
					t.Errorf("earlier upload: %d; want %d", st, want)
				}
			}
			if st := p.Health(); st != 200 {
				t.Errorf("/healthz: %d; want 200", st)
			}
			if files := servertest.StoreFiles(t, filepath.Join(store, ".upedge")); len(files) != 0 {
				t.Errorf("left in .upedge: %q", files)
			}
		})
	}
}

// TestRemountedStore mounts a new file system over the store while the
// edge runs (the old one lazily unmounted, as `umount -l` does when the
// edge holds it open): uploads go to the new one, not the detached one.
func TestRemountedStore(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but not root: the remount test needs root to mount a tmpfs")
		}
		t.Skip("not root: cannot mount a tmpfs (runs as root in CI)")
	}
	store := t.TempDir()
	mount := func() {
		t.Helper()
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", store).CombinedOutput(); err != nil {
			t.Fatalf("cannot mount tmpfs: %v: %s", err, out)
		}
	}
	mount()
	t.Cleanup(func() {
		for exec.Command("umount", "-l", store).Run() == nil {
		}
	})
	p := servertest.Start(t, store)
	if st := p.Upload("m/first.txt", []byte("first")); st != 201 {
		t.Fatalf("first upload: %d", st)
	}
	if out, err := exec.Command("umount", "-l", store).CombinedOutput(); err != nil {
		t.Fatalf("cannot unmount: %v: %s", err, out)
	}
	mount()
	if st := p.Upload("m/second.txt", []byte("second")); st != 201 {
		t.Fatalf("upload after remount: %d; want 201: %s", st, p.Stderr)
	}
	if b, err := os.ReadFile(filepath.Join(store, "m", "second.txt")); err != nil || string(b) != "second" {
		t.Fatalf("upload not on the new file system: %q, %v", b, err)
	}
	if st, got := p.Fetch("m/second.txt"); st != 200 || string(got) != "second" {
		t.Fatalf("download after remount: %d %q", st, got)
	}
	if !strings.Contains(p.Stderr.String(), "store directory was replaced") {
		t.Errorf("no log line about the replaced store: %s", p.Stderr)
	}
}

// TestVanishedStateDirectories: the compression cache and the directory
// of the quota state, removed under a running edge, are made again when
// they are next written.
func TestVanishedStateDirectories(t *testing.T) {
	store := t.TempDir()
	state := filepath.Join(t.TempDir(), "state")
	p := servertest.Start(t, store, "--compress", "--quota-window-bytes", "1MiB", "--quota-file", filepath.Join(state, "quota.json"))
	body := []byte(strings.Repeat("compressible text\n", 100))
	put, get := p.Slot("c/notes.txt", int64(len(body)))
	if st := putTyped(t, put, body, "text/plain"); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	for i := range 2 {
		if err := os.RemoveAll(filepath.Join(store, ".upedge", "cache")); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, get, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("download %d after the cache was removed: %d, Content-Encoding %q; want 200 gzip", i, resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
	}
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	v3, _ := slot.URLs([]byte(servertest.Secret), slot.Request{Version: token.V3, Base: "http://" + p.Addr + "/upload/",
		Path: "q/v3.txt", Size: 2, Uploader: "alice@example.org", Timestamp: time.Now().Unix()})
	if st, _ := httpDo(t, http.MethodPut, v3, []byte("hi")); st != 201 {
		t.Fatalf("v3 upload: %d; want 201", st)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(state, "quota.json")); err != nil {
		t.Fatalf("quota state not saved after its directory was removed: %v", err)
	}
}
