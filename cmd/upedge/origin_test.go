package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/backend/origintest"
)

// startServe runs the built binary with args and env and returns the
// base URL from its startup line.
func startServe(t *testing.T, bin string, args, env []string) string {
	t.Helper()
	p := startEdgeProcess(t, bin, append([]string{"--listen", "127.0.0.1:0", "--secret", "s"}, args...), env)
	if strings.Contains(p.line, "secret") || strings.Contains(p.line, "sk-test") {
		t.Errorf("startup line shows a credential: %q", p.line)
	}
	return p.base
}

func signed(t *testing.T, base, path string, size int) (put, get string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run([]string{"sign", "--secret", "s", "--base", base, path, strconv.Itoa(size)}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	u := strings.Fields(out.String())
	return u[0], u[1]
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

// TestServeOrigins runs the binary against both origins as an operator
// would configure it: an nginx WebDAV origin, and two edges sharing one
// S3 bucket, where an upload through one edge is served by the other.
func TestServeOrigins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts nginx and versitygw")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "upedge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	n := origintest.StartNginx(t, false)
	v := origintest.StartVersity(t, "edges")

	t.Run("nginx", func(t *testing.T) {
		metrics := "127.0.0.1:" + strconv.Itoa(origintest.FreePort(t))
		base := startServe(t, bin, []string{"--origin", n.URL, "--metrics-listen", metrics}, nil)
		put, get := signed(t, base, "n1/hello world.txt", 5)
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
		a := startServe(t, bin, args, env)
		b := startServe(t, bin, args, env)
		body := bytes.Repeat([]byte("upedge "), 100000)
		putA, _ := signed(t, a, "s1/shared.bin", len(body))
		putB, getB := signed(t, b, "s1/shared.bin", len(body))
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
