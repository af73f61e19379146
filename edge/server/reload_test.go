package server_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/server/servertest"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// reloadEdge is an edge started from a config file that names a secret
// file and a TLS certificate, as a packaged edge is, so that a reload has
// files to re-read.
type reloadEdge struct {
	*servertest.Edge
	dir, config, secretFile string
	cert                    servertest.Cert
	client                  *http.Client
}

const reloadSecret = "first secret"

// trustAll is the TLS client config of the reload tests: the certificate
// changes under them, and they compare serials themselves.
var trustAll = &tls.Config{InsecureSkipVerify: true}

func startReloadEdge(t *testing.T) *reloadEdge {
	t.Helper()
	dir := t.TempDir()
	e := &reloadEdge{dir: dir, config: filepath.Join(dir, "upedge.toml"), secretFile: filepath.Join(dir, "secret")}
	e.cert = servertest.WriteCert(t, dir, "edge", []string{"127.0.0.1"}, time.Now().Add(24*time.Hour))
	e.writeSecret(t, reloadSecret)
	e.writeConfig(t, "")
	store := filepath.Join(dir, "store")
	e.Edge = servertest.StartArgs(t, []string{"--config", e.config, "--store", store, "--listen", "127.0.0.1:0",
		"--metrics-listen", "127.0.0.1:0", "--fsync", "never"}, nil)
	e.Store = store
	e.client = &http.Client{Transport: &http.Transport{TLSClientConfig: trustAll}}
	return e
}

func (e *reloadEdge) writeSecret(t *testing.T, secret string) {
	t.Helper()
	if err := os.WriteFile(e.secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeConfig writes the config file with extra lines after the keys
// every test uses.
func (e *reloadEdge) writeConfig(t *testing.T, extra string) {
	t.Helper()
	conf := fmt.Sprintf("secret_file = %q\ntls_cert = %q\ntls_key = %q\n%s", e.secretFile, e.cert.CertFile, e.cert.KeyFile, extra)
	if err := os.WriteFile(e.config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
}

// put uploads body to path with a v1 slot signed with secret and returns
// the status.
func (e *reloadEdge) put(t *testing.T, secret, path, body string) int {
	t.Helper()
	put, _ := slot.URLs([]byte(secret), slot.Request{Version: token.V1, Base: e.Base, Path: path, Size: int64(len(body))})
	req, _ := http.NewRequest(http.MethodPut, put, strings.NewReader(body))
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (e *reloadEdge) servedSerial(t *testing.T) string {
	t.Helper()
	c, conn := servertest.ServedCert(t, e.Addr)
	conn.Close()
	return c.SerialNumber.String()
}

// TestReloadRenewsCertificate: a certificate replaced on disk is served to
// new connections after a reload; a connection opened before goes on with
// the old one, and the reload's time is in /metrics.
func TestReloadRenewsCertificate(t *testing.T) {
	e := startReloadEdge(t)
	if got, want := e.servedSerial(t), e.cert.X509.SerialNumber.String(); got != want {
		t.Fatalf("served certificate before the reload: got serial %q; want %q", got, want)
	}
	started := e.Metric("upedge_reload_success_timestamp_seconds")
	if started == 0 {
		t.Fatal("upedge_reload_success_timestamp_seconds is 0 after start; want the start time")
	}
	oldCert, open := servertest.ServedCert(t, e.Addr)
	defer open.Close()
	renewed := servertest.WriteCert(t, e.dir, "edge", []string{"127.0.0.1"}, time.Now().Add(90*24*time.Hour))
	if err := e.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if got, want := e.servedSerial(t), renewed.X509.SerialNumber.String(); got != want {
		t.Errorf("served certificate after the reload: got serial %q; want %q (the renewed one)", got, want)
	}
	if got, want := e.Metric("upedge_tls_certificate_expiry_timestamp_seconds"), float64(renewed.X509.NotAfter.Unix()); got != want {
		t.Errorf("upedge_tls_certificate_expiry_timestamp_seconds: got %v; want %v", got, want)
	}
	if got := e.Metric("upedge_reload_success_timestamp_seconds"); got < started {
		t.Errorf("upedge_reload_success_timestamp_seconds after the reload: got %v; want at least %v", got, started)
	}
	// The connection opened before the reload still works, with its
	// certificate.
	fmt.Fprintf(open, "HEAD /upload/none/x HTTP/1.1\r\nHost: %s\r\n\r\n", e.Addr)
	resp, err := http.ReadResponse(bufio.NewReader(open), &http.Request{Method: http.MethodHead})
	if err != nil {
		t.Fatalf("request on a connection opened before the reload: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("request on a connection opened before the reload: got %d; want 404", resp.StatusCode)
	}
	if got, want := open.ConnectionState().PeerCertificates[0].SerialNumber, oldCert.SerialNumber; got.Cmp(want) != 0 {
		t.Errorf("old connection's certificate: got serial %v; want %v", got, want)
	}
}

// TestReloadKeepsUploadInFlight: an upload whose headers were checked
// with the old secret completes while the secret is rotated under it;
// afterwards only the new secret is accepted.
func TestReloadKeepsUploadInFlight(t *testing.T) {
	e := startReloadEdge(t)
	const size = 256 << 10
	body := servertest.RandomBytes(size)
	put, get := slot.URLs([]byte(reloadSecret), slot.Request{Version: token.V1, Base: e.Base, Path: "inflight/a.bin", Size: size})
	conn := dialTLS(t, e.Addr)
	defer conn.Close()
	u := strings.TrimPrefix(put, "https://"+e.Addr)
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", u, e.Addr, size)
	if _, err := conn.Write(body[:size/2]); err != nil {
		t.Fatal(err)
	}
	e.WaitMetric(`upedge_in_flight_requests{method="PUT"}`, 1)
	e.writeSecret(t, "second secret")
	if err := e.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if _, err := conn.Write(body[size/2:]); err != nil {
		t.Fatalf("rest of the body after the reload: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("answer to the upload in flight: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload in flight during the reload: got %d; want 201", resp.StatusCode)
	}
	resp, err = e.client.Get(get)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength != size {
		t.Errorf("download after the reload: got %d, %d bytes; want 200, %d", resp.StatusCode, resp.ContentLength, size)
	}
	if got := e.put(t, reloadSecret, "inflight/old.txt", "hi"); got != http.StatusForbidden {
		t.Errorf("old secret after the reload: got %d; want 403", got)
	}
	if got := e.put(t, "second secret", "inflight/new.txt", "hi"); got != http.StatusCreated {
		t.Errorf("new secret after the reload: got %d; want 201", got)
	}
}

// TestBadReloadKeepsRunning: a reload that cannot read its config, secret
// or certificate changes nothing: the old certificate and secret stay in
// force, the failure is counted and logged, and a later good reload
// works.
func TestBadReloadKeepsRunning(t *testing.T) {
	e := startReloadEdge(t)
	serial := e.cert.X509.SerialNumber.String()
	tests := []struct {
		name    string
		breakIt func(t *testing.T)
		log     string
	}{
		{"unreadable key", func(t *testing.T) {
			servertest.WriteCert(t, e.dir, "edge", []string{"127.0.0.1"}, time.Now().Add(time.Hour))
			os.WriteFile(e.cert.KeyFile, []byte("not a key"), 0o600)
		}, "cannot load TLS certificate"},
		{"bad config value", func(t *testing.T) { e.writeConfig(t, "max_file_size = \"lots\"\n") }, "cannot parse config"},
		{"unknown key", func(t *testing.T) { e.writeConfig(t, "max_filesize = \"1GiB\"\n") }, "unknown config key"},
		{"missing secret file", func(t *testing.T) { os.Remove(e.secretFile) }, "secret_file"},
		{"empty secret", func(t *testing.T) { e.writeSecret(t, "") }, "secret: is empty"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good, _ := os.ReadFile(e.cert.CertFile)
			goodKey, _ := os.ReadFile(e.cert.KeyFile)
			tt.breakIt(t)
			if err := e.Reload(); err == nil {
				t.Fatal("Reload: got nil error; want one")
			}
			if got := e.Metric("upedge_reload_failures_total"); got != float64(i+1) {
				t.Errorf("upedge_reload_failures_total: got %v; want %d", got, i+1)
			}
			if log := e.Stderr.String(); !strings.Contains(log, "reload failed") || !strings.Contains(log, tt.log) {
				t.Errorf("log: got %q; want a reload failure naming %q", log, tt.log)
			}
			if got := e.servedSerial(t); got != serial {
				t.Errorf("served certificate after a failed reload: got serial %q; want %q", got, serial)
			}
			if got := e.put(t, reloadSecret, fmt.Sprintf("bad%d/a.txt", i), "hi"); got != http.StatusCreated {
				t.Errorf("upload with the running secret after a failed reload: got %d; want 201", got)
			}
			// Mend what was broken for the next case.
			os.WriteFile(e.cert.CertFile, good, 0o600)
			os.WriteFile(e.cert.KeyFile, goodKey, 0o600)
			e.writeSecret(t, reloadSecret)
			e.writeConfig(t, "")
		})
	}
	if err := e.Reload(); err != nil {
		t.Fatalf("Reload after mending: %v", err)
	}
}

// TestReloadReportsRestartKeys: keys that only a restart puts in force are
// named in the log and keep their running values.
func TestReloadReportsRestartKeys(t *testing.T) {
	e := startReloadEdge(t)
	e.writeConfig(t, "max_file_size = \"1KiB\"\ncors_origin = \"https://chat.example.org\"\n")
	if err := e.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	log := e.Stderr.String()
	if !strings.Contains(log, "take effect only after a restart") || !strings.Contains(log, "max_file_size cors_origin") {
		t.Errorf("log: got %q; want the restart keys max_file_size and cors_origin named", log)
	}
	if got := e.put(t, reloadSecret, "restart/big.bin", strings.Repeat("x", 2048)); got != http.StatusCreated {
		t.Errorf("2 KiB upload after a reload that lowered max_file_size: got %d; want 201 (the running limit)", got)
	}
}

func dialTLS(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := tls.Dial("tcp", addr, trustAll)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReloadRotatesSecrets: a reload puts previous secrets and a delete
// secret in force, from their files, as a rotation does: tokens of the
// old and the new secret pass, and Metronome's DELETE, off before, works.
func TestReloadRotatesSecrets(t *testing.T) {
	e := startReloadEdge(t)
	del := func(path string) int {
		t.Helper()
		u := slot.DeleteURL(token.NewSigner([]byte("second secret")), []byte("delete secret"), e.Base, path)
		req, _ := http.NewRequest(http.MethodDelete, u, nil)
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := e.put(t, reloadSecret, "rot/a.txt", "hi"); got != http.StatusCreated {
		t.Fatalf("upload before the rotation: got %d; want 201", got)
	}
	if got := del("rot/a.txt"); got != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE without a delete secret: got %d; want 405", got)
	}
	prev := filepath.Join(e.dir, "previous")
	delFile := filepath.Join(e.dir, "delete")
	os.WriteFile(prev, []byte(reloadSecret+"\n"), 0o600)
	os.WriteFile(delFile, []byte("delete secret\n"), 0o600)
	e.writeSecret(t, "second secret")
	e.writeConfig(t, fmt.Sprintf("previous_secrets_file = %q\ndelete_secret_file = %q\n", prev, delFile))
	if err := e.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	for _, secret := range []string{reloadSecret, "second secret"} {
		if got := e.put(t, secret, "rot/"+strings.Fields(secret)[0]+".txt", "hi"); got != http.StatusCreated {
			t.Errorf("upload signed with %q after the rotation: got %d; want 201", secret, got)
		}
	}
	if got := del("rot/a.txt"); got != http.StatusNoContent {
		t.Errorf("DELETE after the reload set a delete secret: got %d; want 204", got)
	}
}
