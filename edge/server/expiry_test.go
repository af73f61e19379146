package server_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge/server/servertest"
)

// TestExpiry runs an edge with retention off and its default small-file
// cache on a store holding an upload whose expiry has passed, one that
// expires in a second and one without: the sweeper removes the first at
// start, the second is served, then answered 410 (from the cache) once its
// expiry has passed, and the third stays. soonAfter leaves a loaded
// machine (the race detector, CI) time to start the edge before "soon"
// expires.
func TestExpiry(t *testing.T) {
	root := t.TempDir()
	s, err := dirstore.New(root, dirstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const soonAfter = 5 * time.Second
	now := time.Now()
	for name, exp := range map[string]time.Time{
		"x/expired.txt": now.Add(-time.Minute),
		"x/soon.txt":    now.Add(soonAfter),
		"y/kept.txt":    {},
	} {
		info := backend.PutInfo{Size: 2, ContentType: "text/plain", Expires: exp}
		if err := s.Put(context.Background(), name, info, strings.NewReader("hi")); err != nil {
			t.Fatal(err)
		}
	}
	e := servertest.Start(t, root)
	if st, _ := e.Fetch("x/soon.txt"); st != http.StatusOK {
		t.Fatalf("GET before its expiry: %d; want 200", st)
	}
	e.WaitMetric("upedge_expiry_removed_files_total", 1)
	if _, err := os.Stat(filepath.Join(root, "x/expired.txt")); !os.IsNotExist(err) {
		t.Errorf("expired file still there: %v", err)
	}
	// Past the second of its expiry.
	time.Sleep(time.Until(now.Add(soonAfter).Truncate(time.Second).Add(1100 * time.Millisecond)))
	if st, _ := e.Fetch("x/soon.txt"); st != http.StatusGone {
		t.Errorf("GET after its expiry: %d; want 410", st)
	}
	if st, _ := e.Fetch("y/kept.txt"); st != http.StatusOK {
		t.Errorf("GET of a file without expiry: %d; want 200", st)
	}
	if got := e.Metric(`upedge_rejections_total{method="GET",reason="expired"}`); got != 1 {
		t.Errorf("expired rejections: %v; want 1", got)
	}
}
