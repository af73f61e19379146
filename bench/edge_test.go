package bench

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge"
)

// The harness against the real edge on 127.0.0.1: every scenario's
// requests must be the ones the edge accepts (signing, Content-Type,
// escaping) or, for reject, refuses before the body.
func TestAgainstEdge(t *testing.T) {
	store, err := dirstore.New(t.TempDir(), dirstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := edge.New(edge.Options{Secret: []byte("edge secret"), Prefix: "/upload/", MaxFileSize: 1 << 20}, store)
	if err != nil {
		t.Fatal(err)
	}
	srv := edge.NewServer(h, edge.ServerOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown() })
	base := "http://" + ln.Addr().String() + "/upload/"
	seeded := 0
	for _, ver := range []string{"v1", "v2", "v3", "v3-expires", "jwt"} {
		tg := newTarget(t, base, "edge secret", ver)
		tg.FileName = "Ünïcødé photo+1.jpg"
		tg.ContentType = "image/jpeg"
		for _, sc := range []Scenario{
			{Name: PutSmall, Conns: 4, Count: 40, Size: 4096},
			{Name: GetSmall, Conns: 4, Count: 40, Size: 4096, Files: 5},
			{Name: GetLarge, Conns: 2, Count: 6, Size: 1 << 20, Files: 1},
			{Name: Mixed, Conns: 2, Count: 10, Size: 20000, Files: 2},
			{Name: Reject, Conns: 2, Count: 10, Size: 1 << 30},
			{Name: Slow, Conns: 3, Size: 100, Rate: 1 << 20, Duration: time.Minute},
		} {
			res := runScenario(t, tg, sc)
			if res.Errors != 0 || res.OK != res.Requests || res.Requests == 0 {
				t.Errorf("%s %s: requests %d ok %d statuses %v errors %v", ver, sc.Name, res.Requests, res.OK, res.Statuses, res.ErrorKinds)
			}
			if sc.Name == Reject && (res.Continues != 0 || res.BodyBytesSent != 0) {
				t.Errorf("%s reject: %d 100 Continue answers, %d body bytes", ver, res.Continues, res.BodyBytesSent)
			}
		}
	}
	// A seed command provides the GET scenarios' files instead of
	// uploads: here it hands out the URLs of files uploaded before.
	tg := newTarget(t, base, "edge secret", "v1")
	var urls []string
	pre := Scenario{Name: GetSmall, Conns: 1, Count: 1, Size: 4096, Files: 3}
	tg.Seed = func(ctx context.Context, size int64, files int) ([]string, error) {
		if urls == nil {
			var err error
			if urls, err = seed(ctx, tg, pre, tg.hostClient(1)); err != nil {
				return nil, err
			}
		}
		seeded++
		return urls, nil
	}
	res := runScenario(t, tg, Scenario{Name: GetSmall, Conns: 2, Count: 20, Size: 4096, Files: 3})
	if res.OK != 20 || seeded != 1 {
		t.Errorf("GET of seeded files: %d of 20 ok (statuses %v), seeded %d times; want 20, once", res.OK, res.Statuses, seeded)
	}
}

// TestSeedCommand: the command gets size and count as $1 and $2 and its
// URLs, one a line, are taken; too few is an error.
func TestSeedCommand(t *testing.T) {
	urls, err := SeedCommand(`for i in $(seq "$2"); do echo "http://h/$1/$i"; done`)(context.Background(), 4096, 3)
	if err != nil || strings.Join(urls, " ") != "http://h/4096/1 http://h/4096/2 http://h/4096/3" {
		t.Errorf("got %q, %v", urls, err)
	}
	if _, err := SeedCommand(`echo http://h/only-one`)(context.Background(), 1, 2); err == nil {
		t.Error("one URL for two files: got nil error")
	}
	if _, err := SeedCommand(`echo oops >&2; exit 3`)(context.Background(), 1, 1); err == nil || !strings.Contains(err.Error(), "oops") {
		t.Errorf("failing command: got %v; want its stderr in the error", err)
	}
}
