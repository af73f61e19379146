package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/backend/origintest"
	"github.com/upedge/upedge/edge/server/servertest"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

func TestTLS(t *testing.T) {
	c := servertest.WriteCert(t, t.TempDir(), "edge", []string{"127.0.0.1"}, time.Now().Add(time.Hour))
	p := servertest.Start(t, t.TempDir(), "--tls-cert", c.CertFile, "--tls-key", c.KeyFile)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.Pool()}}}
	base := "https://" + p.Addr + "/upload/"
	put, get := slot.URLs([]byte(servertest.Secret), slot.Request{Version: token.V1, Base: base, Path: "tls/a.txt", Size: 5})
	req, _ := http.NewRequest("PUT", put, strings.NewReader("hello"))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.TLS == nil {
		t.Fatalf("PUT over TLS: %d", resp.StatusCode)
	}
	// A client that offers HTTP/2 is told to speak HTTP/1.1.
	conn, err := tls.Dial("tcp", p.Addr, &tls.Config{RootCAs: c.Pool(), NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if got := conn.ConnectionState().NegotiatedProtocol; got != "http/1.1" {
		t.Errorf("ALPN: got %q; want %q", got, "http/1.1")
	}
	resp, b := servertest.Get(t, client, get)
	if string(b) != "hello" {
		t.Fatalf("GET over TLS: %q", b)
	}
	// Strict-Transport-Security on every answer over TLS, errors too.
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("GET over TLS: Strict-Transport-Security %q; want max-age=31536000", got)
	}
	if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("GET over TLS: X-Frame-Options %q; want DENY", got)
	}
	resp, _ = servertest.Get(t, client, base+"missing/none.txt")
	if resp.StatusCode != 404 || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("404 over TLS: status %d, Strict-Transport-Security %q; want 404 with it", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	// Never over plain HTTP (RFC 6797 section 7.2), and off when empty.
	plain := servertest.Start(t, t.TempDir())
	resp, _ = servertest.Get(t, nil, "http://"+plain.Addr+"/upload/missing/none.txt")
	if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("plain HTTP: Strict-Transport-Security %q; want none", got)
	}
	off := servertest.Start(t, t.TempDir(), "--tls-cert", c.CertFile, "--tls-key", c.KeyFile, "--hsts", "")
	resp, _ = servertest.Get(t, client, "https://"+off.Addr+"/upload/missing/none.txt")
	if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("hsts = \"\": Strict-Transport-Security %q; want none", got)
	}
}

func TestUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "upedge.sock")
	p := servertest.Start(t, t.TempDir(), "--listen", "unix:"+sock, "--socket-mode", "0600")
	fi, err := os.Stat(p.Sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %o; want 600", fi.Mode().Perm())
	}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", p.Sock)
	}}}
	put, _ := slot.URLs([]byte(servertest.Secret), slot.Request{Version: token.V1, Base: "http://edge/upload/", Path: "u/a.txt", Size: 5})
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
// before the body is read (Expect: 100-continue), and still after a
// restart (Stop, then a new server on the same store).
func TestQuotaSurvivesRestart(t *testing.T) {
	store := t.TempDir()
	args := []string{"--quota-window-bytes", "1000", "--quota-window", "1d"}
	p := servertest.Start(t, store, args...)
	v3 := func(p *servertest.Edge, name, uploader string, size int) int {
		t.Helper()
		put, _ := slot.URLs([]byte(servertest.Secret), slot.Request{Version: token.V3, Base: "http://" + p.Addr + "/upload/",
			Path: name, Size: int64(size), Uploader: uploader, Timestamp: time.Now().Unix()})
		c, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", strings.TrimPrefix(put, "http://"+p.Addr), size)
		st, err := servertest.ReadStatus(c)
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
	if err := p.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	p = servertest.Start(t, store, args...)
	if st := v3(p, "q/4.bin", "alice@example.org", 600); st != 413 {
		t.Fatalf("over quota after restart: %d; want 413", st)
	}
	if st := v3(p, "q/5.bin", "alice@example.org", 400); st != 201 {
		t.Fatalf("within quota after restart: %d; want 201", st)
	}
	if got := p.Metric("upedge_quota_rejections_total"); got != 1 {
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
	putFiles(t, root, map[string]backend.PutInfo{"old/a.txt": {}, "new/b.txt": {}})
	old := time.Now().Add(-8 * 24 * time.Hour)
	os.Chtimes(filepath.Join(root, "old/a.txt"), old, old)
	p := servertest.Start(t, root, "--retention", "7d")
	p.WaitMetric("upedge_retention_removed_files_total", 1)
	// The file is counted when it is removed; its directory goes a moment
	// later in the same sweep.
	for i := 0; ; i++ {
		_, err := os.Stat(filepath.Join(root, "old"))
		if os.IsNotExist(err) {
			break
		}
		if i == 500 {
			t.Fatalf("expired slot directory still there: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st, _ := p.Fetch("new/b.txt"); st != 200 {
		t.Fatalf("fresh upload: %d", st)
	}
}

// TestExpiry runs an edge with retention off and its default small-file
// cache on a store holding an upload whose expiry has passed, one that
// expires in a second and one without: the sweeper removes the first at
// start, the second is served, then answered 410 (from the cache) once its
// expiry has passed, and the third stays. soonAfter leaves a loaded
// machine (the race detector, CI) time to start the edge before "soon"
// expires.
func TestExpiry(t *testing.T) {
	root := t.TempDir()
	const soonAfter = 5 * time.Second
	now := time.Now()
	putFiles(t, root, map[string]backend.PutInfo{
		"x/expired.txt": {ContentType: "text/plain", Expires: now.Add(-time.Minute)},
		"x/soon.txt":    {ContentType: "text/plain", Expires: now.Add(soonAfter)},
		"y/kept.txt":    {ContentType: "text/plain"},
	})
	e := servertest.Start(t, root)
	if st, _ := e.Fetch("x/soon.txt"); st != http.StatusOK {
		t.Fatalf("GET before its expiry: %d; want 200", st)
	}
	e.WaitMetric("upedge_expiry_removed_files_total", 1)
	if _, err := os.Stat(filepath.Join(root, "x/expired.txt")); !os.IsNotExist(err) {
		t.Errorf("expired file still there: %v", err)
	}
	// Past the second of its expiry.
	time.Sleep(time.Until(now.Add(soonAfter).Truncate(time.Second).Add(1100 * time.Millisecond)))
	if st, _ := e.Fetch("x/soon.txt"); st != http.StatusGone {
		t.Errorf("GET after its expiry: %d; want 410", st)
	}
	if st, _ := e.Fetch("y/kept.txt"); st != http.StatusOK {
		t.Errorf("GET of a file without expiry: %d; want 200", st)
	}
	if got := e.Metric(`upedge_rejections_total{method="GET",reason="expired"}`); got != 1 {
		t.Errorf("expired rejections: %v; want 1", got)
	}
}

// putFiles stores "hi" under each name with its info in a directory store
// at root, as uploads made before an edge starts on it.
func putFiles(t *testing.T, root string, files map[string]backend.PutInfo) {
	t.Helper()
	s, err := dirstore.New(root, dirstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, info := range files {
		info.Size = 2
		if err := s.Put(context.Background(), name, info, strings.NewReader("hi")); err != nil {
			t.Fatal(err)
		}
	}
}

// startServe runs an edge configured with args and environ, as `upedge
// serve` would be, and returns the base URL from its startup line.
func startServe(t *testing.T, args, environ []string) string {
	t.Helper()
	p := servertest.StartArgs(t, append([]string{"--listen", "127.0.0.1:0", "--secret", "s"}, args...), environ)
	if strings.Contains(p.Line, "secret") || strings.Contains(p.Line, "sk-test") {
		t.Errorf("startup line shows a credential: %q", p.Line)
	}
	return p.Base
}

// signed returns the URLs `upedge sign --secret s --base base path size`
// prints.
func signed(base, path string, size int) (put, get string) {
	return slot.URLs([]byte("s"), slot.Request{Version: token.V1, Base: base, Path: path, Size: int64(size)})
}

func httpDo(t *testing.T, method, url string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestServeOrigins runs the edge against both origins as an operator
// would configure it: an nginx WebDAV origin, and two edges sharing one
// S3 bucket, where an upload through one edge is served by the other.
func TestServeOrigins(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nginx and versitygw")
	}
	n := origintest.StartNginx(t, false)
	v := origintest.StartVersity(t, "edges")

	t.Run("nginx", func(t *testing.T) {
		metrics := "127.0.0.1:" + strconv.Itoa(origintest.FreePort(t))
		base := startServe(t, []string{"--origin", n.URL, "--metrics-listen", metrics}, nil)
		put, get := signed(base, "n1/hello world.txt", 5)
		if code, _ := httpDo(t, http.MethodPut, put, []byte("hello")); code != http.StatusCreated {
			t.Fatalf("PUT: got %d; want 201", code)
		}
		if b, err := os.ReadFile(filepath.Join(n.Root, "n1", "hello world.txt")); err != nil || string(b) != "hello" {
			t.Fatalf("on nginx: %q, %v; want hello", b, err)
		}
		if code, b := httpDo(t, http.MethodGet, get, nil); code != http.StatusOK || string(b) != "hello" {
			t.Fatalf("GET: got %d %q", code, b)
		}
		if code, _ := httpDo(t, http.MethodPut, put, []byte("hello")); code != http.StatusConflict {
			t.Fatalf("second PUT: got %d; want 409", code)
		}
		// /healthz asks the origin; the metrics listener starts after the
		// startup line, so give it a moment.
		var code int
		for i := 0; i < 50; i++ {
			if resp, err := http.Get("http://" + metrics + "/healthz"); err == nil {
				code = resp.StatusCode
				resp.Body.Close()
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if code != http.StatusOK {
			t.Fatalf("/healthz behind a live origin: got %d; want 200", code)
		}
	})

	t.Run("two edges on one bucket", func(t *testing.T) {
		// Credentials come the usual AWS way, from the environment.
		env := []string{"AWS_ACCESS_KEY_ID=" + origintest.S3AccessKey, "AWS_SECRET_ACCESS_KEY=" + origintest.S3SecretKey}
		args := []string{"--origin", v.URL, "--s3-endpoint", v.Endpoint, "--s3-path-style", "--s3-region", origintest.S3Region}
		a := startServe(t, args, env)
		b := startServe(t, args, env)
		body := bytes.Repeat([]byte("upedge "), 100000)
		putA, _ := signed(a, "s1/shared.bin", len(body))
		putB, getB := signed(b, "s1/shared.bin", len(body))
		if code, _ := httpDo(t, http.MethodPut, putA, body); code != http.StatusCreated {
			t.Fatalf("PUT via edge A: got %d; want 201", code)
		}
		if code, got := httpDo(t, http.MethodGet, getB, nil); code != http.StatusOK || !bytes.Equal(got, body) {
			t.Fatalf("GET via edge B: got %d, %d bytes; want 200 and the upload", code, len(got))
		}
		if code, _ := httpDo(t, http.MethodPut, putB, body); code != http.StatusConflict {
			t.Fatalf("PUT of the same slot via edge B: got %d; want 409", code)
		}
		if _, err := os.Stat(filepath.Join(v.Data, origintest.S3Bucket, "edges", "s1", "shared.bin")); err != nil {
			t.Fatalf("object not in the bucket under the prefix: %v", err)
		}
	})
}
