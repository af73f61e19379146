package compress_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge"
	"github.com/upedge/upedge/edge/ops/compress"
)

func TestPick(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"gzip":                    "gzip",
		"gzip, deflate, br, zstd": "zstd",
		"zstd;q=0, gzip":          "gzip",
		"zstd;q=0.0, gzip;q=0":    "",
		"*":                       "zstd",
		"*, zstd;q=0":             "gzip",
		"identity":                "",
		"GZIP ; q=0.5":            "gzip",
		"br":                      "",
	} {
		if got := compress.Pick([]byte(in)); got != want {
			t.Errorf("Pick(%q) = %q; want %q", in, got, want)
		}
	}
}

func FuzzPick(f *testing.F) {
	for _, s := range []string{"gzip, zstd;q=0", "*;q=0.000", ";;,,q=", "zstd;q=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		switch compress.Pick([]byte(s)) {
		case "", "zstd", "gzip":
		default:
			t.Fatal("unknown encoding")
		}
	})
}

// serve runs an edge with compression on a store holding the given files.
func serve(t *testing.T, files map[string]string) (base, cacheDir, root string) {
	t.Helper()
	root = t.TempDir()
	store, err := dirstore.New(root, dirstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, ct := range files {
		body := strings.Repeat("hello compressible world\n", 400)
		if strings.Contains(name, "big") {
			// Past the store's small-object limit: served from a file.
			body = strings.Repeat("hello compressible world\n", 10000)
		}
		if err := store.Put(context.Background(), name, backend.PutInfo{Size: int64(len(body)), ContentType: ct}, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	cacheDir = filepath.Join(t.TempDir(), "cache")
	enc, err := compress.New(compress.Options{Types: []string{"text/*", "application/json"}, CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	h, err := edge.New(edge.Options{Secret: []byte("s"), Prefix: "/upload/", Encoder: enc}, store)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := edge.NewServer(h, edge.ServerOptions{})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown() })
	return "http://" + ln.Addr().String() + "/upload/", cacheDir, root
}

func get(t *testing.T, method, url string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	// No transparent gzip: we look at the encoding ourselves.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestCompressedDownloads(t *testing.T) {
	base, cacheDir, root := serve(t, map[string]string{"a/doc.txt": "text/plain; charset=utf-8", "a/pic.jpg": "image/jpeg", "a/big.json": "application/json"})
	plain := []byte(strings.Repeat("hello compressible world\n", 400))

	for _, enc := range []string{"zstd", "gzip"} {
		resp, body := get(t, "GET", base+"a/doc.txt", map[string]string{"Accept-Encoding": enc})
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != enc || resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("%s: status %d, headers %v", enc, resp.StatusCode, resp.Header)
		}
		if len(body) >= len(plain) || resp.ContentLength != int64(len(body)) {
			t.Fatalf("%s: %d bytes, Content-Length %d, plain %d", enc, len(body), resp.ContentLength, len(plain))
		}
		var got []byte
		if enc == "zstd" {
			d, _ := zstd.NewReader(bytes.NewReader(body))
			got, _ = io.ReadAll(d)
			d.Close()
		} else {
			r, _ := gzip.NewReader(bytes.NewReader(body))
			got, _ = io.ReadAll(r)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("%s: decoded body differs", enc)
		}
		// HEAD agrees with GET.
		head, _ := get(t, "HEAD", base+"a/doc.txt", map[string]string{"Accept-Encoding": enc})
		for _, k := range []string{"Content-Encoding", "Content-Length", "Etag", "Vary", "Content-Type"} {
			if head.Header.Get(k) != resp.Header.Get(k) {
				t.Errorf("%s HEAD %s = %q; GET has %q", enc, k, head.Header.Get(k), resp.Header.Get(k))
			}
		}
		// The variant's ETag validates the variant.
		nm, _ := get(t, "GET", base+"a/doc.txt", map[string]string{"Accept-Encoding": enc, "If-None-Match": resp.Header.Get("Etag")})
		if nm.StatusCode != 304 {
			t.Errorf("%s If-None-Match: %d; want 304", enc, nm.StatusCode)
		}
	}
	resp, body := get(t, "GET", base+"a/big.json", map[string]string{"Accept-Encoding": "gzip, zstd"})
	d, _ := zstd.NewReader(bytes.NewReader(body))
	got, _ := io.ReadAll(d)
	d.Close()
	if resp.Header.Get("Content-Encoding") != "zstd" || len(got) != 250000 {
		t.Fatalf("big file: encoding %q, %d bytes decoded", resp.Header.Get("Content-Encoding"), len(got))
	}
	// Range requests get identity bytes.
	resp, body = get(t, "GET", base+"a/doc.txt", map[string]string{"Accept-Encoding": "zstd", "Range": "bytes=0-4"})
	if resp.StatusCode != 206 || resp.Header.Get("Content-Encoding") != "" || string(body) != "hello" {
		t.Fatalf("range: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Encoding"), body)
	}
	// No Accept-Encoding: identity, still Vary.
	resp, body = get(t, "GET", base+"a/doc.txt", nil)
	if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, plain) || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("identity: %q, %d bytes, Vary %q", resp.Header.Get("Content-Encoding"), len(body), resp.Header.Get("Vary"))
	}
	// Already compressed types are never encoded.
	resp, _ = get(t, "GET", base+"a/pic.jpg", map[string]string{"Accept-Encoding": "zstd, gzip"})
	if resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Vary") != "" {
		t.Fatalf("jpeg: encoding %q, vary %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	// Variants live in the cache, never next to the uploads.
	cached, _ := os.ReadDir(cacheDir)
	if len(cached) != 3 {
		t.Errorf("cache holds %d entries; want 3", len(cached))
	}
	up, _ := os.ReadDir(filepath.Join(root, "a"))
	if len(up) != 3 {
		t.Errorf("slot directory holds %d entries; want the 3 uploads", len(up))
	}
}
