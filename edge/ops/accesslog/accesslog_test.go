package accesslog

import (
	"encoding/json"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

type buf struct {
	mu sync.Mutex
	sb strings.Builder
}

func (b *buf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.Write(p)
}

func request(uri string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 1234}, nil)
	ctx.Request.Header.SetMethod("PUT")
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetContentLength(42)
	ctx.Request.Header.SetUserAgent("Conversations/2.16 \"quoted\"\x01")
	ctx.SetStatusCode(201)
	return &ctx
}

func TestLine(t *testing.T) {
	var b buf
	l := New(&b, nil, 16)
	l.Log(request("/upload/abc/my%20file.txt?v=deadbeef"), time.Unix(1717689600, 0), 1500*time.Microsecond, 7, "")
	l.Close()
	var line map[string]any
	if err := json.Unmarshal([]byte(b.sb.String()), &line); err != nil {
		t.Fatalf("not one JSON line: %v: %q", err, b.sb.String())
	}
	want := map[string]any{
		"time": "2024-06-06T16:00:00.000Z", "remote": "192.0.2.7", "method": "PUT",
		"path": "/upload/abc/my%20file.txt", "status": 201.0, "in": 42.0, "out": 7.0, "ms": 1.5,
		"ua": "Conversations/2.16 \"quoted\"\x01",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s: got %#v; want %#v", k, line[k], v)
		}
	}
	if strings.Contains(b.sb.String(), "deadbeef") {
		t.Error("the token leaked into the log")
	}
}

type blocked struct{ release chan struct{} }

func (w blocked) Write(p []byte) (int, error) { <-w.release; return len(p), nil }

func TestDropsWhenBehind(t *testing.T) {
	w := blocked{release: make(chan struct{})}
	l := New(w, nil, 4)
	ctx := request("/upload/a/b")
	// The writer takes lines into its 64 KiB buffer until that is full
	// (some 700 lines), then blocks for good: the rest must be dropped,
	// never block Log.
	const n = 10000
	for i := 0; i < n; i++ {
		l.Log(ctx, time.Now(), 0, 0, "")
	}
	if d := l.Dropped(); d < n/2 {
		t.Fatalf("dropped %d of %d with a queue of 4 and a stuck writer", d, n)
	}
	close(w.release)
	l.Close()
}

func BenchmarkLog(b *testing.B) {
	l := New(discard{}, nil, DefaultQueue)
	defer l.Close()
	ctx := request("/upload/abc/photo.jpg?v=00")
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Log(ctx, now, time.Millisecond, 4096, "")
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/access.log"
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := request("/upload/a/1")
	l.Log(ctx, time.Now(), 0, 0, "")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Log(request("/upload/a/2"), time.Now(), 0, 0, "")
	l.Close()
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if !strings.Contains(string(old), "/upload/a/1") || !strings.Contains(string(cur), "/upload/a/2") || strings.Contains(string(cur), "/upload/a/1") {
		t.Fatalf("rotated %q, new %q", old, cur)
	}
}
