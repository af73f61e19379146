package server_test

import (
	"bytes"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/server/servertest"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// TestOldSecretCounted: with --previous-secret, uploads signed with the old
// secret are stored and counted, those with the current one are not, and
// so for Metronome's DELETE (--delete-secret); a chunked JWT upload counts
// the bytes stored.
func TestOldSecretCounted(t *testing.T) {
	dir := t.TempDir()
	p := servertest.Start(t, filepath.Join(dir, "store"), "--previous-secret", "old secret", "--delete-secret", "del")
	base := "http://" + p.Addr + "/upload/"
	do := func(method, url, authz string, body []byte) int {
		t.Helper()
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		if body == nil {
			req.Body = nil
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	old, cur := token.NewSigner([]byte("old secret")), token.NewSigner([]byte(servertest.Secret))
	now := time.Now().Unix()
	for _, s := range []slot.Slot{
		slot.Sign(old, slot.Request{Version: token.V2, Base: base, Path: "a/old.txt", Size: 3}),
		slot.Sign(old, slot.Request{Version: token.JWT, Base: base, Path: "b/old.txt", Size: 3, Timestamp: now}),
		slot.Sign(cur, slot.Request{Version: token.V1, Base: base, Path: "c/new.txt", Size: 3}),
	} {
		if got := do(http.MethodPut, s.Put, s.Authorization, []byte("abc")); got != http.StatusCreated {
			t.Fatalf("PUT %s: got %d; want 201", s.Put, got)
		}
	}
	// A chunked JWT upload: net/http sends a body of unknown length chunked.
	chunked := slot.Sign(cur, slot.Request{Version: token.JWT, Base: base, Path: "d/chunked.bin", Size: 5000, Timestamp: now})
	req, _ := http.NewRequest(http.MethodPut, chunked.Put, struct{ *bytes.Reader }{bytes.NewReader(make([]byte, 5000))})
	req.Header.Set("Authorization", chunked.Authorization)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || len(req.TransferEncoding) == 0 && req.ContentLength > 0 {
		t.Fatalf("chunked JWT PUT: got %d (transfer encoding %q); want 201, chunked", resp.StatusCode, req.TransferEncoding)
	}
	if got := do(http.MethodDelete, slot.DeleteURL(old, []byte("del"), base, "a/old.txt"), "", nil); got != http.StatusNoContent {
		t.Errorf("DELETE signed with the old secret: got %d; want 204", got)
	}
	if got := do(http.MethodDelete, slot.DeleteURL(cur, []byte("del"), base, "c/new.txt"), "", nil); got != http.StatusNoContent {
		t.Errorf("DELETE signed with the current secret: got %d; want 204", got)
	}
	for name, want := range map[string]float64{
		"upedge_uploads_total":            4,
		"upedge_uploads_old_secret_total": 2,
		"upedge_upload_bytes_total":       3*3 + 5000,
		"upedge_deletes_total":            2,
		"upedge_deletes_old_secret_total": 1,
	} {
		if got := p.Metric(name); got != want {
			t.Errorf("%s = %v; want %v", name, got, want)
		}
	}
}
