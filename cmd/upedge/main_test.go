package main

import (
	"bytes"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/server/servertest"
)

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"sign"}, {"sign", "--secret", "s", "p", "notanumber"}, {"serve", "--fsync", "maybe", "--secret", "s"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code == 0 {
			t.Errorf("%v: exit 0; want non-zero", args)
		} else if errb.Len() == 0 {
			t.Errorf("%v: no message on stderr", args)
		}
	}
}

// TestServeBinary builds upedge and runs `serve` as an operator would,
// with the example config, then uploads with a slot from `sign`.
func TestServeBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildUpedge(t)
	p := startEdgeProcess(t, bin, []string{"--config", "../../configs/upedge.toml", "--listen", "127.0.0.1:0", "--store", filepath.Join(t.TempDir(), "data")}, nil)
	// "upedge listening on http://127.0.0.1:PORT/upload/ (...)"
	base := p.Base
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("startup line %q does not say where it listens", p.Line)
	}
	for i := 0; !strings.Contains(p.Stderr.String(), "example secret"); i++ {
		if i == 100 {
			t.Fatalf("no warning about the example secret; stderr: %s", p.Stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"sign", "--secret", "example-secret-change-me", "--base", base, "x1/hello world.txt", "5"}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	urls := strings.Fields(out.String())
	req, _ := http.NewRequest(http.MethodPut, urls[0], strings.NewReader("hello"))
	if code := servertest.Status(t, req); code != http.StatusCreated {
		t.Fatalf("PUT: got %d; want 201", code)
	}
	if _, body := servertest.Get(t, nil, urls[1]); string(body) != "hello" {
		t.Fatalf("GET: got %q; want hello", body)
	}
	// SIGINT stops it cleanly.
	p.signal(syscall.SIGINT)
	select {
	case <-p.Exited:
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("exit code %d after SIGINT: %s", code, p.Stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not stop after SIGINT")
	}
}
