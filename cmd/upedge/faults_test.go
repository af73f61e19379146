package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/server/servertest"
)

// TestKill9MidUpload kills the edge with SIGKILL while 20 uploads are half
// sent: after a restart no partial file is visible, and every path can be
// uploaded again.
func TestKill9MidUpload(t *testing.T) {
	store := t.TempDir()
	p := startEdge(t, store)
	const n, size = 20, 256 << 10
	var conns []net.Conn
	for i := 0; i < n; i++ {
		put, _ := p.Slot(fmt.Sprintf("k9-%d/file %d.bin", i, i), size)
		c := p.PutHeaders(put, size)
		defer c.Close()
		if _, err := c.Write(servertest.RandomBytes(size / 2)); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	// All 20 are inside the store's Put, reading their bodies.
	p.WaitMetric(`upedge_in_flight_requests{method="PUT"}`, n)
	p.kill9()
	for _, c := range conns {
		c.Close()
	}
	if files := servertest.StoreFiles(t, store); len(files) != 0 {
		t.Fatalf("after kill -9: files in the store: %q", files)
	}
	p = startEdge(t, store)
	if files := servertest.StoreFiles(t, store); len(files) != 0 {
		t.Fatalf("after restart: files in the store: %q", files)
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("k9-%d/file %d.bin", i, i)
		body := servertest.RandomBytes(size)
		if st := p.Upload(name, body); st != 201 {
			t.Fatalf("re-upload %s: status %d; want 201", name, st)
		}
		if st, got := p.Fetch(name); st != 200 || !bytes.Equal(got, body) {
			t.Fatalf("download %s: status %d, %d bytes", name, st, len(got))
		}
	}
}

// TestGracefulShutdown: on SIGTERM the edge stops accepting, lets an
// upload in flight finish, and exits.
func TestGracefulShutdown(t *testing.T) {
	store := t.TempDir()
	p := startEdge(t, store, "--shutdown-grace", "30s")
	const size = 64 << 10
	body := servertest.RandomBytes(size)
	put, _ := p.Slot("grace/done.bin", size)
	c := p.PutHeaders(put, size)
	defer c.Close()
	c.Write(body[:size/2])
	p.WaitMetric(`upedge_in_flight_requests{method="PUT"}`, 1)
	p.signal(syscall.SIGTERM)
	// New connections are refused once the listener is closed.
	for {
		nc, err := net.Dial("tcp", p.Addr)
		if err != nil {
			break
		}
		nc.Close()
		time.Sleep(10 * time.Millisecond)
	}
	c.Write(body[size/2:])
	if st, err := servertest.ReadStatus(c); err != nil || st != 201 {
		t.Fatalf("upload in flight across SIGTERM: %d, %v; want 201", st, err)
	}
	if code := p.wait(); code != 0 {
		t.Fatalf("exit code %d: %s", code, p.Stderr)
	}
	got, err := os.ReadFile(filepath.Join(store, "grace/done.bin"))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("upload finished during shutdown not stored whole: %v", err)
	}
}

// TestShutdownAbandonsStalledUploads: an upload that does not finish
// within the grace is abandoned; the edge exits and nothing is left.
func TestShutdownAbandonsStalledUploads(t *testing.T) {
	store := t.TempDir()
	p := startEdge(t, store, "--shutdown-grace", "500ms")
	put, _ := p.Slot("grace/stalled.bin", 1000)
	c := p.PutHeaders(put, 1000)
	defer c.Close()
	c.Write(make([]byte, 500))
	p.WaitMetric(`upedge_in_flight_requests{method="PUT"}`, 1)
	p.signal(syscall.SIGTERM)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit code %d: %s", code, p.Stderr)
	}
	if files := servertest.StoreFiles(t, store); len(files) != 0 {
		t.Fatalf("abandoned upload left %q", files)
	}
	p = startEdge(t, store)
	if st := p.Upload("grace/stalled.bin", make([]byte, 1000)); st != 201 {
		t.Fatalf("re-upload after abandoned upload: %d", st)
	}
}
