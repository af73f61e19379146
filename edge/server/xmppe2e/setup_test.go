package xmppe2e

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// systemPython is Debian's interpreter: python3-slixmpp is installed for it,
// and a python3 earlier on PATH (pyenv, a virtualenv) would not see it.
const systemPython = "/usr/bin/python3"

// edgePrefix is the path prefix the edge serves and the XMPP servers put in
// their slot URLs; it proves the edge strips a prefix before checking tokens.
const edgePrefix = "/upload/"

// sharedSecret has a space in it on purpose: each server config must quote it.
const sharedSecret = "e2e shared secret, not for production"

// maxFileSize is what the edge accepts and the servers advertise; the
// largest test file (40 MiB) is well below it.
const maxFileSize = 100 << 20

// toolSet is where the installed packages put what the tests run.
type toolSet struct {
	erlLibs string // ERL_LIBS for ejabberd's Erlang applications
}

// needTools makes sure the Debian packages the tests drive are present,
// installing them with scripts/e2e-setup.sh when it may: under CI=true
// always (a CI run must never silently skip), elsewhere only as root.
func needTools(t *testing.T) toolSet {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if testing.Short() && !ci {
		t.Skip("skipping the XMPP end-to-end suite in -short mode (it never skips under CI=true)")
	}
	ts, missing := findTools()
	if len(missing) == 0 {
		return ts
	}
	if !ci && os.Geteuid() != 0 {
		t.Skipf("XMPP end-to-end suite skipped: missing %s; run scripts/e2e-setup.sh as root (under CI=true the suite installs them itself and never skips)", strings.Join(missing, ", "))
	}
	t.Logf("missing %s; running scripts/e2e-setup.sh", strings.Join(missing, ", "))
	script, err := filepath.Abs(filepath.Join("..", "..", "..", "scripts", "e2e-setup.sh"))
	if err != nil {
		t.Fatalf("cannot locate scripts/e2e-setup.sh: %v", err)
	}
	out, errOut, err := runCommand(10*time.Minute, nil, "/bin/sh", script)
	if err != nil {
		t.Fatalf("cannot install the e2e packages: %v\n%s%s", err, out, errOut)
	}
	ts, missing = findTools()
	if len(missing) > 0 {
		t.Fatalf("still missing after scripts/e2e-setup.sh: %s", strings.Join(missing, ", "))
	}
	return ts
}

// findTools reports what of the e2e tooling is absent.
func findTools() (ts toolSet, missing []string) {
	for _, bin := range []string{"prosody", "prosodyctl", "go-sendxmpp", "erl", "epmd", "openssl"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if _, err := os.Stat("/usr/lib/prosody/modules/mod_http_upload_external/mod_http_upload_external.lua"); err != nil {
		missing = append(missing, "mod_http_upload_external (prosody-modules)")
	}
	// Debian puts ejabberd's applications in a multiarch directory of their
	// own (/usr/lib/x86_64-linux-gnu/ejabberd-23.01-1) and ejabberdctl sets
	// ERL_LIBS to it; we start erl directly and must do the same.
	if m, _ := filepath.Glob("/usr/lib/*/ejabberd-*/ebin/ejabberd.beam"); len(m) > 0 {
		ts.erlLibs = filepath.Dir(filepath.Dir(filepath.Dir(m[0])))
	} else {
		missing = append(missing, "ejabberd")
	}
	if _, _, err := runCommand(time.Minute, nil, systemPython, "-c", "import slixmpp, aiohttp"); err != nil {
		missing = append(missing, "python3-slixmpp/python3-aiohttp")
	}
	return ts, missing
}

// buildEdge builds cmd/upedge into dir, or returns $UPEDGETEST_E2E_BIN when set
// (to run the suite against a release binary).
func buildEdge(t *testing.T, dir string) string {
	t.Helper()
	if bin := os.Getenv("UPEDGETEST_E2E_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(dir, "upedge")
	out, errOut, err := runCommand(5*time.Minute, nil, "go", "build", "-o", bin, "github.com/upedge/upedge/cmd/upedge")
	if err != nil {
		t.Fatalf("cannot build upedge: %v\n%s%s", err, out, errOut)
	}
	return bin
}

// edgeEnv is the test's environment without UPEDGE_ variables, so that an
// operator's own settings cannot leak into the edge under test.
func edgeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "UPEDGE_") {
			env = append(env, kv)
		}
	}
	return env
}

// startEdge runs `upedge serve` on a free loopback port and returns its
// base URL including the prefix (http://127.0.0.1:PORT/upload/) and its
// store directory.
func startEdge(t *testing.T, bin, dir string) (baseURL, store string) {
	t.Helper()
	store = filepath.Join(dir, "store")
	if err := os.MkdirAll(store, 0o755); err != nil {
		t.Fatalf("cannot create the edge store: %v", err)
	}
	addr := loopback(freePort(t))
	p := startProcess(t, "upedge", filepath.Join(dir, "upedge.log"), edgeEnv(),
		bin, "serve",
		"--listen", addr,
		"--secret", sharedSecret,
		"--store", store,
		"--prefix", edgePrefix,
		"--max-file-size", fmt.Sprint(maxFileSize))
	waitForPort(t, p, addr, 30*time.Second)
	return "http://" + addr + edgePrefix, store
}

// makeCert writes a throwaway self-signed certificate for localhost and
// upload.localhost: both servers require STARTTLS of their clients.
func makeCert(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	out, errOut, err := runCommand(time.Minute, nil, "openssl", "req", "-x509",
		"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		"-keyout", keyPath, "-out", certPath, "-days", "2",
		"-subj", "/CN=localhost",
		"-addext", "subjectAltName=DNS:localhost,DNS:upload.localhost")
	if err != nil {
		t.Fatalf("cannot make a self-signed certificate: %v\n%s%s", err, out, errOut)
	}
	return certPath, keyPath
}

// testFile is one file the clients upload.
type testFile struct {
	label string // short name for subtests and the summary
	path  string
	size  int64
	sum   [sha256.Size]byte
	html  bool // must come back as an attachment with nosniff
}

// makeFiles writes the upload fixtures. Binary content is pseudo-random
// from a fixed seed, so it does not compress and failures reproduce.
func makeFiles(t *testing.T, dir string) []testFile {
	t.Helper()
	rnd := rand.NewChaCha8([32]byte{'u', 'p', 'e', 'd', 'g', 'e'})
	random := func(n int) []byte {
		b := make([]byte, n)
		_, _ = rnd.Read(b)
		return b
	}
	specs := []struct {
		label, name string
		data        []byte
		html        bool
	}{
		{"empty", "empty", nil, false},
		{"text-unicode-name", "résumé für Zoë.txt", []byte("Grüße aus dem Test, ½ € — ok\n"), false},
		{"3MiB", "random-3MiB.bin", random(3 << 20), false},
		{"40MiB", "random-40MiB.bin", random(40 << 20), false},
		{"html", "page.html", []byte("<!doctype html><html><body><script>document.title='ran'</script></body></html>\n"), true},
	}
	files := make([]testFile, 0, len(specs))
	for _, s := range specs {
		p := filepath.Join(dir, s.name)
		if err := os.WriteFile(p, s.data, 0o644); err != nil {
			t.Fatalf("cannot write fixture %q: %v", p, err)
		}
		files = append(files, testFile{label: s.label, path: p, size: int64(len(s.data)), sum: sha256.Sum256(s.data), html: s.html})
	}
	return files
}
