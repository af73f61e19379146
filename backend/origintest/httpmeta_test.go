package origintest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/backend/httporigin"
	"github.com/upedge/upedge/backend/origin"
	"github.com/upedge/upedge/backend/origintest"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// TestHTTPOriginMetadata: behind nginx (which keeps no metadata and
// serves a type of its own by extension), the Content-Type given at
// upload is kept in a sidecar beside the object and served back; the
// sidecar cannot be reached as an upload; and each failure mode of the
// package doc behaves as written there.
func TestHTTPOriginMetadata(t *testing.T) {
	n := origintest.StartNginx(t, false)
	store, err := origin.New(n.URL, origin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := startEdge(t, store)
	upload := func(t *testing.T, name, ctype string, body []byte) int {
		t.Helper()
		put, _ := slot.URLs([]byte(edgeSecret), slot.Request{Version: token.V2, Base: base, Path: name, Size: int64(len(body)), ContentType: ctype})
		req, _ := http.NewRequest(http.MethodPut, put, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	served := func(t *testing.T, name string) (status int, ctype string, body []byte) {
		t.Helper()
		for _, m := range []string{http.MethodHead, http.MethodGet} {
			req, _ := http.NewRequest(m, base+name, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b := new(bytes.Buffer)
			b.ReadFrom(resp.Body)
			resp.Body.Close()
			if m == http.MethodHead {
				ctype = resp.Header.Get("Content-Type")
				continue
			}
			if got := resp.Header.Get("Content-Type"); got != ctype {
				t.Errorf("%s: HEAD says Content-Type %q, GET %q", name, ctype, got)
			}
			status, body = resp.StatusCode, b.Bytes()
		}
		return status, ctype, body
	}
	const custom = "image/x-upedge-test; q=1"
	body := []byte("not really an image")

	t.Run("type kept and served", func(t *testing.T) {
		for _, name := range []string{"m1/photo.jpg", "m1/no extension", "m1/" + strings.Repeat("ф", 130) + ".bin"} {
			if st := upload(t, name, custom, body); st != 201 {
				t.Fatalf("upload %s: %d", name, st)
			}
			if st, ct, got := served(t, name); st != 200 || ct != custom || !bytes.Equal(got, body) {
				t.Errorf("%s: %d %q %q; want 200 %q", name, st, ct, got, custom)
			}
		}
		b, err := os.ReadFile(filepath.Join(n.Root, "m1", ".upedge.photo.jpg"))
		if err != nil {
			t.Fatalf("no sidecar on the origin: %v", err)
		}
		var m httporigin.Meta
		if err := json.Unmarshal(b, &m); err != nil || m.ContentType != custom || m.Size != int64(len(body)) || m.Name != "m1/photo.jpg" {
			t.Errorf("sidecar %s: %+v, %v", b, m, err)
		}
		// What nginx itself says, for contrast.
		resp, err := http.Head(n.URL + "m1/photo.jpg")
		if err == nil && resp.Header.Get("Content-Type") == custom {
			t.Errorf("nginx itself serves %q: the test proves nothing", custom)
		}
	})

	t.Run("sidecar unreachable through the edge", func(t *testing.T) {
		for _, m := range []string{http.MethodGet, http.MethodPut} {
			req, _ := http.NewRequest(m, base+"m1/.upedge.photo.jpg", strings.NewReader("x"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s of a sidecar: %d; want 400", m, resp.StatusCode)
			}
		}
		if st := upload(t, "m1/.upedge.photo.jpg", "text/html", []byte("<script>")); st != http.StatusBadRequest {
			t.Errorf("signed upload over a sidecar: %d; want 400", st)
		}
	})

	t.Run("object without metadata", func(t *testing.T) {
		// Put there by other means (or before sidecars existed): the
		// origin's own type.
		os.MkdirAll(filepath.Join(n.Root, "m2"), 0o755)
		os.WriteFile(filepath.Join(n.Root, "m2", "legacy.png"), body, 0o644)
		if st, ct, _ := served(t, "m2/legacy.png"); st != 200 || ct != "image/png" {
			t.Errorf("legacy object: %d %q; want 200 image/png (nginx's)", st, ct)
		}
	})

	t.Run("object replaced by other means", func(t *testing.T) {
		if st := upload(t, "m3/a.jpg", custom, body); st != 201 {
			t.Fatalf("upload: %d", st)
		}
		// Served once: what its sidecar says is remembered for this
		// version of the object.
		if st, ct, _ := served(t, "m3/a.jpg"); st != 200 || ct != custom {
			t.Fatalf("upload: %d %q", st, ct)
		}
		// Another object of the same size, newer than its sidecar: the
		// sidecar is not its.
		later := time.Now().Add(2 * time.Second)
		fn := filepath.Join(n.Root, "m3", "a.jpg")
		other := bytes.Repeat([]byte("o"), len(body))
		os.WriteFile(fn, other, 0o644)
		os.Chtimes(fn, later, later)
		if st, ct, got := served(t, "m3/a.jpg"); st != 200 || ct != "image/jpeg" || !bytes.Equal(got, other) {
			t.Errorf("replaced object: %d %q %q; want 200 image/jpeg (nginx's)", st, ct, got)
		}
		// Another size, whatever its time.
		os.WriteFile(fn, []byte("short"), 0o644)
		os.Chtimes(fn, time.Unix(0, 0), time.Unix(0, 0))
		if st, ct, _ := served(t, "m3/a.jpg"); st != 200 || ct != "image/jpeg" {
			t.Errorf("replaced object of another size: %d %q; want 200 image/jpeg (nginx's)", st, ct)
		}
	})

	t.Run("object deleted by other means", func(t *testing.T) {
		if st := upload(t, "m4/a.txt", custom, body); st != 201 {
			t.Fatalf("upload: %d", st)
		}
		os.Remove(filepath.Join(n.Root, "m4", "a.txt"))
		if st, _, _ := served(t, "m4/a.txt"); st != 404 {
			t.Errorf("deleted object: %d; want 404", st)
		}
		// The sidecar left behind is replaced by the next upload.
		if st := upload(t, "m4/a.txt", "text/plain", body); st != 201 {
			t.Fatalf("upload after deletion: %d", st)
		}
		if st, ct, _ := served(t, "m4/a.txt"); st != 200 || ct != "text/plain" {
			t.Errorf("re-uploaded object: %d %q; want 200 text/plain", st, ct)
		}
	})

	t.Run("metadata cannot be written", func(t *testing.T) {
		// A directory where the sidecar must be: nginx refuses the
		// sidecar, the upload fails and is undone, and the slot can be
		// tried again once the origin is fixed.
		blocker := filepath.Join(n.Root, "m5", ".upedge.a.bin")
		os.MkdirAll(filepath.Join(blocker, "x"), 0o755)
		if st := upload(t, "m5/a.bin", custom, body); st != http.StatusBadGateway {
			t.Errorf("upload without metadata: %d; want 502", st)
		}
		if _, err := os.Stat(filepath.Join(n.Root, "m5", "a.bin")); !os.IsNotExist(err) {
			t.Errorf("object left after its metadata failed: %v", err)
		}
		os.RemoveAll(blocker)
		if st := upload(t, "m5/a.bin", custom, body); st != 201 {
			t.Errorf("upload retried: %d; want 201", st)
		}
		if st, ct, _ := served(t, "m5/a.bin"); st != 200 || ct != custom {
			t.Errorf("retried upload: %d %q; want 200 %q", st, ct, custom)
		}
	})
}
