package check_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/upedge/upedge/backend/origintest"
	"github.com/upedge/upedge/edge/server/servertest"
)

// The proxies the tests run upedge check through, each from the very
// configuration file the README shows (configs/), with only the
// addresses and certificate paths changed: so that the README's advice is
// what is tested.

// fromConfig returns the file configs/NAME with each pair of repl
// replaced, written to dir. Each old string must occur exactly once: a
// changed configuration file must not slip past its tests.
func fromConfig(t *testing.T, name, dir string, repl ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(origintest.RepoRoot(t), "configs", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i < len(repl); i += 2 {
		if n := strings.Count(s, repl[i]); n != 1 {
			t.Fatalf("configs/%s: %q occurs %d times; want once", name, repl[i], n)
		}
		s = strings.Replace(s, repl[i], repl[i+1], 1)
	}
	out := filepath.Join(dir, name)
	if err := os.WriteFile(out, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// needProxy skips, outside CI and without root, a test whose proxy is
// not installed; in CI (CI=true) and as root it is installed by its
// script.
func needProxy(t *testing.T, bin string) {
	t.Helper()
	if _, err := exec.LookPath(bin); err == nil {
		return
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err == nil {
			return
		}
	}
	if os.Getenv("CI") != "true" && os.Geteuid() != 0 {
		t.Skipf("%s is not installed and we are not root (set CI=true, or run scripts/test-deps.sh)", bin)
	}
}

// startNginx runs nginx with configs/nginx-upedge.conf in front of the
// edge at edgeAddr, serving TLS with cert on a free port, after the
// replacements in variant (pairs, as fromConfig takes them). It returns
// the base URL.
func startNginx(t *testing.T, edgeAddr string, cert servertest.Cert, variant ...string) string {
	t.Helper()
	needProxy(t, "nginx")
	dir := t.TempDir()
	port := strconv.Itoa(origintest.FreePort(t))
	site := fromConfig(t, "nginx-upedge.conf", dir, append([]string{
		"server 127.0.0.1:5050;", "server " + edgeAddr + ";",
		"listen 443 ssl;", "listen 127.0.0.1:" + port + " ssl;",
		"listen [::]:443 ssl;", "",
		"/etc/letsencrypt/live/upload.example.org/fullchain.pem", cert.CertFile,
		"/etc/letsencrypt/live/upload.example.org/privkey.pem", cert.KeyFile,
	}, variant...)...)
	runProxy(t, "nginx", "nginx", filepath.Join(dir, "run"), "start-site", port, site)
	return "https://127.0.0.1:" + port + "/upload/"
}

// runProxy starts name (what to call it in messages) with
// scripts/SCRIPT.sh VERB RUN ARGS... and stops it when t ends.
func runProxy(t *testing.T, script, name, run, verb string, args ...string) {
	t.Helper()
	path := filepath.Join(origintest.RepoRoot(t), "scripts", script+".sh")
	if out, err := exec.Command(path, append([]string{verb, run}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("cannot start %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(path, "stop", run).CombinedOutput(); err != nil {
			t.Errorf("cannot stop %s: %v\n%s", name, err, out)
		}
	})
}

// startCaddy runs Caddy with configs/Caddyfile in front of the edge at
// edgeAddr, serving TLS with cert on a free port. Test-only global
// options keep it off the admin port and port 80.
func startCaddy(t *testing.T, edgeAddr string, cert servertest.Cert) string {
	t.Helper()
	needProxy(t, "caddy")
	dir := t.TempDir()
	port := strconv.Itoa(origintest.FreePort(t))
	file := fromConfig(t, "Caddyfile", dir,
		"upload.example.org {", "{\n\tadmin off\n\tauto_https disable_redirects\n}\n\nhttps://127.0.0.1:"+port+" {\n\ttls "+cert.CertFile+" "+cert.KeyFile,
		"reverse_proxy 127.0.0.1:5050 {", "reverse_proxy "+edgeAddr+" {",
	)
	runProxy(t, "caddy", "Caddy", filepath.Join(dir, "run"), "start", file, port)
	return "https://127.0.0.1:" + port + "/upload/"
}

// startHAProxy runs HAProxy with configs/haproxy-upedge.cfg in front of
// the edge at edgeAddr, serving TLS with cert on a free port. The test's
// own global and defaults sections come first, as Debian's
// /etc/haproxy/haproxy.cfg has them.
func startHAProxy(t *testing.T, edgeAddr string, cert servertest.Cert) string {
	t.Helper()
	needProxy(t, "haproxy")
	dir := t.TempDir()
	port := strconv.Itoa(origintest.FreePort(t))
	// HAProxy takes the chain and the key from one file.
	pem := filepath.Join(dir, "upload.pem")
	var both []byte
	for _, f := range []string{cert.CertFile, cert.KeyFile} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		both = append(both, b...)
	}
	if err := os.WriteFile(pem, both, 0o600); err != nil {
		t.Fatal(err)
	}
	body := fromConfig(t, "haproxy-upedge.cfg", dir,
		"bind :443 ssl crt /etc/haproxy/certs/upload.example.org.pem", "bind 127.0.0.1:"+port+" ssl crt "+pem,
		"server upedge 127.0.0.1:5050", "server upedge "+edgeAddr,
	)
	b, err := os.ReadFile(body)
	if err != nil {
		t.Fatal(err)
	}
	const head = "global\n    maxconn 1000\n\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n\n"
	file := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(file, append([]byte(head), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	runProxy(t, "haproxy", "HAProxy", filepath.Join(dir, "run"), "start", file, port)
	return "https://127.0.0.1:" + port + "/upload/"
}
