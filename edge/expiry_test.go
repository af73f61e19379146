package edge

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/edge/token"
)

// testExpiry: an upload with an expiry (stored here through the store, as
// the edge does for a JWT with an expires claim) is served until then,
// with caches held to it, and answered 410 Gone with CORS after it, on
// GET and HEAD, from the store and from the small-file cache alike, and
// behind nginx, which keeps no metadata, from the metadata sidecar the
// edge keeps beside the object (backend/httporigin).
func testExpiry(t *testing.T, b testBackend) {
	start := time.Unix(1800000000, 0)
	var clock atomic.Int64
	clock.Store(start.Unix())
	e := startEdge(t, b, func(o *Options) { o.Now = func() time.Time { return time.Unix(clock.Load(), 0) } })
	name := e.slotName("expiring.txt")
	body := []byte("gone soon")
	info := backend.PutInfo{Size: int64(len(body)), ContentType: "text/plain", Uploader: "alice@example.org", Expires: start.Add(90 * time.Second)}
	if err := e.store.Put(context.Background(), name, info, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	_, get := e.sign(token.V1, name, 0, "")
	for _, c := range []struct {
		at     time.Duration
		status int
		maxAge int
	}{
		{0, 200, 90},
		{89 * time.Second, 200, 1},
		{90 * time.Second, 200, 0}, // "after which": the second itself is served
		{91 * time.Second, 410, 0},
		{24 * time.Hour, 410, 0},
	} {
		clock.Store(start.Add(c.at).Unix())
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			resp, got := e.do(m, get, nil, map[string]string{"Origin": "https://chat.example"})
			want := c.status
			if resp.StatusCode != want {
				t.Errorf("%s at +%v: got %d; want %d", m, c.at, resp.StatusCode, want)
				continue
			}
			if resp.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Errorf("%s at +%v: no CORS headers", m, c.at)
			}
			if want != 200 {
				continue
			}
			if m == http.MethodGet && string(got) != string(body) {
				t.Errorf("GET at +%v: body %q", c.at, got)
			}
			cc := resp.Header.Get("Cache-Control")
			wantCC := "public, max-age=" + strconv.Itoa(c.maxAge)
			if cc != wantCC {
				t.Errorf("%s at +%v: Cache-Control %q; want %q", m, c.at, cc, wantCC)
			}
		}
	}
	// A file without an expiry is never gone.
	plain := e.slotName("plain.txt")
	put, get2 := e.sign(token.V1, plain, 2, "")
	if st := e.put(put, []byte("hi"), ""); st != 201 {
		t.Fatalf("PUT: %d", st)
	}
	if resp, _ := e.do(http.MethodGet, get2, nil, nil); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("file without expiry a day on: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}
