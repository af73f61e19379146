package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

func TestTLS(t *testing.T) {
	cert, key := selfSigned(t, t.TempDir())
	p := startEdge(t, t.TempDir(), "--tls-cert", cert, "--tls-key", key)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	base := "https://" + p.addr + "/upload/"
	put, get := slot.URLs([]byte(testSecret), slot.Request{Version: token.V1, Base: base, Path: "tls/a.txt", Size: 5})
	req, _ := http.NewRequest("PUT", put, strings.NewReader("hello"))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.TLS == nil {
		t.Fatalf("PUT over TLS: %d", resp.StatusCode)
	}
	resp, err = client.Get(get)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello" {
		t.Fatalf("GET over TLS: %q", b)
	}
}

func TestUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "upedge.sock")
	p := startEdge(t, t.TempDir(), "--listen", "unix:"+sock, "--socket-mode", "0600")
	fi, err := os.Stat(p.sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %o; want 600", fi.Mode().Perm())
	}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", p.sock)
	}}}
	put, _ := slot.URLs([]byte(testSecret), slot.Request{Version: token.V1, Base: "http://edge/upload/", Path: "u/a.txt", Size: 5})
	req, _ := http.NewRequest("PUT", put, strings.NewReader("hello"))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("PUT over the unix socket: %d", resp.StatusCode)
	}
}

// TestQuotaSurvivesRestart: a v3 uploader over the window cap gets 413,
// before the body is read (Expect: 100-continue), and still after a restart.
func TestQuotaSurvivesRestart(t *testing.T) {
	store := t.TempDir()
	args := []string{"--quota-window-bytes", "1000", "--quota-window", "1d"}
	p := startEdge(t, store, args...)
	v3 := func(p *faultEdge, name, uploader string, size int) int {
		t.Helper()
		put, _ := slot.URLs([]byte(testSecret), slot.Request{Version: token.V3, Base: "http://" + p.addr + "/upload/",
			Path: name, Size: int64(size), Uploader: uploader, Timestamp: time.Now().Unix()})
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", strings.TrimPrefix(put, "http://"+p.addr), size)
		st, err := readStatus(c)
		if err != nil {
			t.Fatal(err)
		}
		if st != 100 {
			return st // refused on the headers: the body was never sent
		}
		c.Write(make([]byte, size))
		// Skip the blank line after 100 Continue.
		st, err = readFinalStatus(c)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := v3(p, "q/1.bin", "alice@example.org", 600); st != 201 {
		t.Fatalf("first upload: %d", st)
	}
	if st := v3(p, "q/2.bin", "alice@example.org", 600); st != 413 {
		t.Fatalf("over quota: %d; want 413 before the body", st)
	}
	if st := v3(p, "q/3.bin", "bob@example.org", 600); st != 201 {
		t.Fatalf("another uploader: %d", st)
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	p = startEdge(t, store, args...)
	if st := v3(p, "q/4.bin", "alice@example.org", 600); st != 413 {
		t.Fatalf("over quota after restart: %d; want 413", st)
	}
	if st := v3(p, "q/5.bin", "alice@example.org", 400); st != 201 {
		t.Fatalf("within quota after restart: %d; want 201", st)
	}
	if got := p.metric("upedge_quota_rejections_total"); got != 1 {
		t.Fatalf("upedge_quota_rejections_total %v; want 1", got)
	}
}

// readFinalStatus reads past a 100 Continue to the final status.
func readFinalStatus(c net.Conn) (int, error) {
	var buf []byte
	one := make([]byte, 1)
	for {
		if _, err := c.Read(one); err != nil {
			return 0, err
		}
		buf = append(buf, one[0])
		if strings.HasSuffix(string(buf), "\r\n") {
			line := strings.TrimSpace(string(buf))
			buf = buf[:0]
			if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[0], "HTTP/") {
				if st, _ := strconv.Atoi(f[1]); st != 100 {
					return st, nil
				}
			}
		}
	}
}

// TestRetention starts the edge on a store with an expired upload: the
// first sweep removes it and its slot directory, and leaves the rest.
func TestRetention(t *testing.T) {
	root := t.TempDir()
	s, err := dirstore.New(root, dirstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"old/a.txt", "new/b.txt"} {
		if err := s.Put(context.Background(), name, backend.PutInfo{Size: 2}, strings.NewReader("hi")); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-8 * 24 * time.Hour)
	os.Chtimes(filepath.Join(root, "old/a.txt"), old, old)
	p := startEdge(t, root, "--retention", "7d")
	p.waitMetric("upedge_retention_removed_files_total", 1)
	if _, err := os.Stat(filepath.Join(root, "old")); !os.IsNotExist(err) {
		t.Fatalf("expired slot directory still there: %v", err)
	}
	if st, _ := fetch(t, p, "new/b.txt"); st != 200 {
		t.Fatalf("fresh upload: %d", st)
	}
}
