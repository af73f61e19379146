// Package origintest starts real origins for tests: nginx with WebDAV PUT
// (the HTTP origin) and the Versity S3 gateway (the S3 origin), each on
// 127.0.0.1 with its data in a test's temporary directory, stopped when
// the test ends.
//
// Both are run by the project's scripts: scripts/nginx.sh installs a
// missing nginx from Debian's packages (as root), scripts/versitygw.sh
// builds a missing versitygw (about 2 minutes), the latter only with
// CI=true or UPEDGETEST_BUILD_VERSITYGW=1. Otherwise a test that needs a
// missing one is skipped with a message; with CI=true nothing is skipped.
package origintest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/upedge/upedge/backend/origin"
)

// Fixed test credentials of the S3 gateway started by StartVersity (the
// ones scripts/versitygw.sh sets); not secrets.
const (
	S3AccessKey = "upedgetest"
	S3SecretKey = "upedgetestsecret"
	S3Region    = "us-east-1"
	S3Bucket    = "upedge"
)

// Nginx is a running nginx origin.
type Nginx struct {
	URL  string // origin URL for the store, ending in "/uploads/"
	Base string // the same server's root URL, "http://127.0.0.1:PORT"
	Root string // directory the uploads land in (Root/uploads/...)
	Temp string // nginx's directory for request bodies in transit
}

// Versity is a running S3 gateway.
type Versity struct {
	URL      string // "s3://upedge/PREFIX"
	Endpoint string // "http://127.0.0.1:PORT"
	Data     string // the gateway's posix root; the bucket is Data/upedge
	Options  origin.Options
}

func inCI() bool { return os.Getenv("CI") == "true" }

// NeedRoot skips tb unless the test runs as root, which what needs (to
// mount a file system, say); under CI=true, which runs as root, it fails
// instead of skipping.
func NeedRoot(tb testing.TB, what string) {
	tb.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if inCI() {
		tb.Fatalf("CI=true but not root: %s needs root", what)
	}
	tb.Skipf("not root: %s needs root (runs as root in CI)", what)
}

// RepoRoot returns the directory holding go.mod, found from the working
// directory of the test.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("cannot get working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("cannot find go.mod above the working directory")
		}
		dir = parent
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("cannot find a free port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// StartNginx starts nginx with scripts/nginx.sh (which installs it when
// missing, as root) and serves WebDAV PUT below /uploads/ with the
// location settings of configs/nginx-origin.conf. With raw, that file is
// left out and only plain dav_methods PUT is on (to see what nginx itself
// does with If-None-Match: *).
func StartNginx(t testing.TB, raw bool) *Nginx {
	t.Helper()
	if _, err := exec.LookPath("nginx"); err != nil {
		if _, err := os.Stat("/usr/sbin/nginx"); err != nil && !inCI() && os.Geteuid() != 0 {
			t.Skip("nginx is not installed and we are not root (set CI=true or run scripts/nginx.sh install)")
		}
	}
	repo := RepoRoot(t)
	script := filepath.Join(repo, "scripts", "nginx.sh")
	dir := t.TempDir()
	port := FreePort(t)
	loc := "include " + filepath.Join(repo, "configs", "nginx-origin.conf") + ";"
	if raw {
		loc = "dav_methods PUT; create_full_put_path on;"
	}
	cmd := exec.Command(script, "start", dir, strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "NGINX_EXTRA=location /uploads/ { "+loc+" }")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cannot start nginx: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("cannot stop nginx: %v\n%s", err, out)
		}
	})
	root := filepath.Join(dir, "root", "uploads")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	return &Nginx{URL: "http://" + addr + "/uploads/", Base: "http://" + addr, Root: root, Temp: filepath.Join(dir, "tmp", "body")}
}

// StartVersity starts the Versity S3 gateway with scripts/versitygw.sh
// and returns it with the options an origin store needs. prefix may be
// empty.
func StartVersity(t testing.TB, prefix string) *Versity {
	t.Helper()
	script := filepath.Join(RepoRoot(t), "scripts", "versitygw.sh")
	if _, err := exec.LookPath("versitygw"); err != nil {
		gopath := os.Getenv("GOPATH")
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
		if _, err := os.Stat(filepath.Join(gopath, "bin", "versitygw")); err != nil && !inCI() && os.Getenv("UPEDGETEST_BUILD_VERSITYGW") != "1" {
			t.Skip("versitygw is not installed (run scripts/versitygw.sh install, or set CI=true or UPEDGETEST_BUILD_VERSITYGW=1)")
		}
	}
	dir := t.TempDir()
	port := FreePort(t)
	cmd := exec.Command(script, "start", dir, strconv.Itoa(port))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cannot start versitygw: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("cannot stop versitygw: %v\n%s", err, out)
		}
	})
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	u := "s3://" + S3Bucket
	if prefix != "" {
		u += "/" + prefix
	}
	return &Versity{
		URL:      u,
		Endpoint: endpoint,
		Data:     filepath.Join(dir, "data"),
		Options: origin.Options{
			S3Endpoint:  endpoint,
			S3Region:    S3Region,
			S3PathStyle: true,
			S3AccessKey: S3AccessKey,
			S3SecretKey: S3SecretKey,
		},
	}
}

// StartTestOrigins starts both origins for a test of the edge: it returns
// the --origin URL of an nginx WebDAV origin, the --origin URL of an S3
// bucket, and the options (S3 endpoint, region, path style, credentials)
// the S3 one needs; the HTTP one needs none.
func StartTestOrigins(t testing.TB) (httpURL, s3URL string, opts origin.Options) {
	t.Helper()
	n := StartNginx(t, false)
	v := StartVersity(t, "")
	return n.URL, v.URL, v.Options
}
