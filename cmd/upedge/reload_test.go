package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/server/servertest"
)

// TestSIGHUPReloads sends a real SIGHUP, as systemd's ExecReload does: the
// edge keeps running, serves the certificate renewed on disk to new
// connections, and reopens the access log that logrotate moved away.
func TestSIGHUPReloads(t *testing.T) {
	dir := t.TempDir()
	cert := servertest.WriteCert(t, dir, "edge", []string{"127.0.0.1"}, time.Now().Add(time.Hour))
	accessLog := filepath.Join(dir, "access.log")
	p := startEdge(t, filepath.Join(dir, "store"), "--tls-cert", cert.CertFile, "--tls-key", cert.KeyFile, "--access-log", accessLog)
	served := func() string {
		c, conn := servertest.ServedCert(t, p.Addr)
		conn.Close()
		return c.SerialNumber.String()
	}
	if got, want := served(), cert.X509.SerialNumber.String(); got != want {
		t.Fatalf("served certificate: got serial %q; want %q", got, want)
	}
	if err := os.Rename(accessLog, accessLog+".1"); err != nil {
		t.Fatal(err)
	}
	renewed := servertest.WriteCert(t, dir, "edge", []string{"127.0.0.1"}, time.Now().Add(48*time.Hour))
	p.signal(syscall.SIGHUP)
	// Wait for the reload (bounded by the test's timeout, not a clock).
	for !strings.Contains(p.Stderr.String(), "msg=reloaded") {
		select {
		case <-p.Exited:
			t.Fatalf("edge exited on SIGHUP: %s", p.Stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if got, want := served(), renewed.X509.SerialNumber.String(); got != want {
		t.Errorf("served certificate after SIGHUP: got serial %q; want %q", got, want)
	}
	// The access log is a new file now, and the next request lands in it
	// (written by a background goroutine: wait for it).
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: renewed.Config()}}
	resp, err := client.Get("https://" + p.Addr + "/upload/none/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for {
		if b, _ := os.ReadFile(accessLog); strings.Contains(string(b), `"status":404`) {
			break
		}
		select {
		case <-p.Exited:
			t.Fatalf("edge exited: %s", p.Stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
