package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/server/servertest"
)

// TestTokenRefusalReasons: logs and metrics tell a forged token from a
// malformed one and a stale v3 timestamp (issue 9: the reason a token
// failed reaches the log and the rejection metric).
func TestTokenRefusalReasons(t *testing.T) {
	dir := t.TempDir()
	accessLog := filepath.Join(dir, "access.log")
	p := servertest.Start(t, filepath.Join(dir, "store"), "--access-log", accessLog)
	base := "http://" + p.Addr + "/upload/"
	put := func(query string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, base+"abc/f.txt?"+query, strings.NewReader("hello"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	mismatch := "v=" + strings.Repeat("0", 64)
	for _, tc := range []struct{ query, reason string }{
		{mismatch, "mismatch"},
		{mismatch, "mismatch"},
		{"v=xyz", "malformed"},
		{"", "missing"},
		{"v3=" + strings.Repeat("0", 64) + "&uploader=a@b&ts=1", "stale"},
	} {
		if got := put(tc.query); got != http.StatusForbidden {
			t.Fatalf("PUT ?%s: got %d; want 403", tc.query, got)
		}
	}
	for reason, want := range map[string]float64{"mismatch": 2, "malformed": 1, "missing": 1, "stale": 1, "bad-claims": 0} {
		if got := p.Metric(`upedge_token_rejections_total{reason="` + reason + `"}`); got != want {
			t.Errorf("upedge_token_rejections_total{reason=%q} = %v; want %v", reason, got, want)
		}
	}
	// The access log is written off the request path: wait for it.
	var log string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(accessLog)
		if log = string(b); strings.Count(log, "\n") >= 5 {
			break
		}
	}
	for _, want := range []string{`"refusal":"mismatch"`, `"refusal":"malformed"`, `"refusal":"missing"`, `"refusal":"stale"`} {
		if !strings.Contains(log, want) {
			t.Errorf("access log lacks %s:\n%s", want, log)
		}
	}
}
