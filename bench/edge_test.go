package bench

import (
	"net"
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
	for _, ver := range []string{"v1", "v2", "v3"} {
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
}
