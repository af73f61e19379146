package purge_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/upedge/upedge/backend/origintest"
	"github.com/upedge/upedge/edge/ops/purge"
	"github.com/upedge/upedge/edge/server/servertest"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// v3 uploads body to name through the edge at base as uploader (a seed v3
// token) and returns the status and the GET URL.
func v3(t *testing.T, base, name, uploader string, body []byte) (int, string) {
	t.Helper()
	put, get := slot.URLs([]byte(servertest.Secret), slot.Request{Version: token.V3, Base: base,
		Path: name, Size: int64(len(body)), Uploader: uploader, Timestamp: time.Now().Unix()})
	req, _ := http.NewRequest(http.MethodPut, put, bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", name, err)
	}
	resp.Body.Close()
	return resp.StatusCode, get
}

func fetch(t *testing.T, method, url string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func run(t *testing.T, environ []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	code = purge.Main(args, environ, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestPurgeWhileServing: an edge serves a store (quotas on: the v3
// uploader is counted and kept with each file); `upedge purge --uploader`
// removes that uploader's files, small and large, and no other's, prints
// what it removed, and once it has returned the edge serves none of them
// after the small-file cache's one-second recheck.
func TestPurgeWhileServing(t *testing.T) {
	store := t.TempDir()
	e := servertest.Start(t, store, "--quota-window-bytes", "1MiB")
	small, large := []byte("alice's small file"), bytes.Repeat([]byte("a"), 100<<10)
	var alice []string
	for _, f := range []struct {
		name, uploader string
		body           []byte
	}{
		{"p1/small.txt", "alice@example.org", small},
		{"p2/large.bin", "alice@example.org", large},
		{"p3/ünïcode name.txt", "alice@example.org", small},
		{"p4/bob.txt", "bob@example.org", small},
	} {
		code, get := v3(t, e.Base, f.name, f.uploader, f.body)
		if code != http.StatusCreated {
			t.Fatalf("upload %s: %d", f.name, code)
		}
		if f.uploader == "alice@example.org" {
			alice = append(alice, get)
		}
		// Cached by the edge, if small.
		if code := fetch(t, http.MethodGet, get); code != http.StatusOK {
			t.Fatalf("GET %s: %d", f.name, code)
		}
	}
	// The uploader is kept with the file.
	buf := make([]byte, 64)
	if n, err := unix.Getxattr(filepath.Join(store, "p1/small.txt"), "user.upedge.uploader", buf); err != nil || string(buf[:n]) != "alice@example.org" {
		t.Fatalf("uploader xattr: %q, %v", buf[:n], err)
	}
	// Quotas count by the same uploader: alice has 100 KiB + 36 B of her
	// 1 MiB, so 1 MiB more is refused, bob's small file is not.
	if code, _ := v3(t, e.Base, "p5/over.bin", "alice@example.org", make([]byte, 1<<20)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("alice over quota: %d; want 413", code)
	}

	code, out, errOut := run(t, nil, "--store", store, "--uploader", "alice@example.org", "--dry-run")
	if code != 0 || !strings.Contains(out, "would remove 3 files, 102436 bytes of alice@example.org") {
		t.Fatalf("dry run: exit %d, %q, %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(store, "p1/small.txt")); err != nil {
		t.Fatalf("dry run removed a file: %v", err)
	}
	code, out, errOut = run(t, nil, "--store", store, "--uploader", "alice@example.org")
	if code != 0 || !strings.Contains(out, "removed 3 files, 102436 bytes of alice@example.org") ||
		!strings.Contains(out, `removed "p3/ünïcode name.txt" (18 bytes)`) {
		t.Fatalf("purge: exit %d, %q, %q", code, out, errOut)
	}
	// The edge's cache rechecks a file at most once a second.
	time.Sleep(1100 * time.Millisecond)
	for _, get := range alice {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			if code := fetch(t, m, get); code != http.StatusNotFound {
				t.Errorf("%s %s after purge: %d; want 404", m, get, code)
			}
		}
	}
	if code, _ := e.Fetch("p4/bob.txt"); code != http.StatusOK {
		t.Errorf("bob's file after alice's purge: %d; want 200", code)
	}
	for _, dir := range []string{"p1", "p2", "p3"} {
		if _, err := os.Stat(filepath.Join(store, dir)); !os.IsNotExist(err) {
			t.Errorf("slot directory %s left: %v", dir, err)
		}
	}
	// Nothing left of alice: a second purge finds nothing.
	code, out, _ = run(t, nil, "--store", store, "--uploader", "alice@example.org")
	if code != 0 || !strings.Contains(out, "removed 0 files, 0 bytes") {
		t.Fatalf("second purge: exit %d, %q", code, out)
	}
}

// TestPurgeUsage: bad invocations exit 2 with a message; the store comes
// from --config as the edge reads it.
func TestPurgeUsage(t *testing.T) {
	store := t.TempDir()
	cfgFile := filepath.Join(t.TempDir(), "upedge.toml")
	os.WriteFile(cfgFile, []byte("store = \""+store+"\"\n"), 0o600)
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--store", store}, 2, "usage"},
		{[]string{"--uploader", "a@b", "--no-such-flag"}, 2, "unknown flag"},
		{[]string{"--uploader", "a@b", "--config", cfgFile}, 0, "removed 0 files, 0 bytes of a@b from store " + store},
		{[]string{"--uploader", "a@b", "--origin", "http://127.0.0.1:1/x/"}, 1, "keeps no uploader"},
	} {
		code, out, errOut := run(t, nil, c.args...)
		if code != c.code || !strings.Contains(out+errOut, c.out) {
			t.Errorf("%q: exit %d, %q %q; want %d and %q", c.args, code, out, errOut, c.code, c.out)
		}
	}
}

// TestPurgeS3: behind an S3 origin, purge lists the bucket and removes
// the uploader's objects; the edge then answers 404.
func TestPurgeS3(t *testing.T) {
	v := origintest.StartVersity(t, "edges")
	env := []string{"AWS_ACCESS_KEY_ID=" + origintest.S3AccessKey, "AWS_SECRET_ACCESS_KEY=" + origintest.S3SecretKey}
	s3 := []string{"--origin", v.URL, "--s3-endpoint", v.Endpoint, "--s3-path-style", "--s3-region", origintest.S3Region}
	e := servertest.StartArgs(t, append([]string{"--secret", servertest.Secret, "--listen", "127.0.0.1:0"}, s3...), env)
	var gets []string
	for i, uploader := range []string{"carol@example.org", "dave@example.org", "carol@example.org"} {
		code, get := v3(t, e.Base, "s"+string(rune('0'+i))+"/f.txt", uploader, []byte("hello"))
		if code != http.StatusCreated {
			t.Fatalf("upload %d: %d", i, code)
		}
		gets = append(gets, get)
	}
	code, out, errOut := run(t, env, append(s3, "--uploader", "carol@example.org")...)
	if code != 0 || !strings.Contains(out, "removed 2 files, 10 bytes of carol@example.org") {
		t.Fatalf("purge: exit %d, %q, %q", code, out, errOut)
	}
	for i, want := range []int{404, 200, 404} {
		if code := fetch(t, http.MethodGet, gets[i]); code != want {
			t.Errorf("GET %s: %d; want %d", gets[i], code, want)
		}
	}
}
