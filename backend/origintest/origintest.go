// Package origintest starts real origins for tests: nginx with WebDAV PUT
// (the HTTP origin) and the Versity S3 gateway (the S3 origin), each on
// 127.0.0.1 with its data in a test's temporary directory, stopped when
// the test ends.
//
// A missing nginx is installed from Debian's packages when running as
// root or with CI=true; a missing versitygw is built by
// scripts/versitygw.sh (about 2 minutes) only with CI=true or
// UPEDGE_BUILD_VERSITYGW=1. Otherwise the test is skipped with a message;
// with CI=true nothing is ever skipped.
package origintest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

// waitPort waits until something accepts on addr, or the process is gone.
func waitPort(t testing.TB, addr string, exited <-chan struct{}, logFile string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logFile)
			t.Fatalf("server for %s exited at start; log:\n%s", addr, log)
		case <-time.After(50 * time.Millisecond):
		}
	}
	log, _ := os.ReadFile(logFile)
	t.Fatalf("server did not listen on %s in 10 s; log:\n%s", addr, log)
}

func nginxBinary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/nginx", "/sbin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if !inCI() && os.Geteuid() != 0 {
		t.Skip("nginx is not installed and we are not root (set CI=true or install nginx-light)")
	}
	// TODO(lead): fold into scripts/nginx.sh (issue 4) once it exists.
	cmd := exec.Command("sh", "-c", "command -v apt-get >/dev/null && (apt-get install -y nginx-light || (apt-get update && apt-get install -y nginx-light))")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cannot install nginx-light: %v\n%s", err, out)
	}
	return "/usr/sbin/nginx"
}

// StartNginx starts nginx serving WebDAV PUT below /uploads/ with the
// location settings of configs/nginx-origin.conf. With raw, that file is
// left out and only plain dav_methods PUT is on (to see what nginx itself
// does with If-None-Match: *).
func StartNginx(t testing.TB, raw bool) *Nginx {
	t.Helper()
	bin := nginxBinary(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "www")
	temp := filepath.Join(dir, "tmp")
	for _, d := range []string{filepath.Join(root, "uploads"), temp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("cannot create %s: %v", d, err)
		}
	}
	port := FreePort(t)
	loc := "include " + filepath.Join(RepoRoot(t), "configs", "nginx-origin.conf") + ";"
	if raw {
		loc = "dav_methods PUT; create_full_put_path on; client_max_body_size 0;"
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // workers must read and write the test's directory
	}
	conf := fmt.Sprintf(`%s
worker_processes 1;
daemon off;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	client_body_temp_path %[3]s;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	sendfile on;
	keepalive_requests 100000;
	server {
		listen 127.0.0.1:%[4]d;
		root %[5]s;
		location /uploads/ {
			%[6]s
		}
	}
}
`, user, dir, temp, port, root, loc)
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatalf("cannot write nginx config: %v", err)
	}
	logFile := filepath.Join(dir, "error.log")
	cmd := exec.Command(bin, "-p", dir, "-c", confFile, "-e", logFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	out, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		t.Fatalf("cannot create nginx log: %v", err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start nginx: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); out.Close(); close(exited) }()
	t.Cleanup(func() {
		// SIGTERM: fast shutdown of master and workers.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	waitPort(t, addr, exited, logFile)
	return &Nginx{URL: "http://" + addr + "/uploads/", Base: "http://" + addr, Root: filepath.Join(root, "uploads"), Temp: temp}
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
		if _, err := os.Stat(filepath.Join(gopath, "bin", "versitygw")); err != nil && !inCI() && os.Getenv("UPEDGE_BUILD_VERSITYGW") != "1" {
			t.Skip("versitygw is not installed (run scripts/versitygw.sh install, or set CI=true or UPEDGE_BUILD_VERSITYGW=1)")
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
			S3Endpoint:        endpoint,
			S3Region:          S3Region,
			S3PathStyle:       true,
			S3AccessKeyID:     S3AccessKey,
			S3SecretAccessKey: S3SecretKey,
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
