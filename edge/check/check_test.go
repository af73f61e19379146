package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/check"
	"github.com/upedge/upedge/edge/server/servertest"
	"github.com/upedge/upedge/edge/token"
)

// checkNames are the checks of a run that reaches the edge, in order.
var checkNames = []string{"tls", "upload", "content-length", "path", "head", "get", "range", "if-none-match",
	"head-8k", "safety-headers", "hsts", "cors-preflight", "cors-error", "refuse-expect", "refuse-no-expect", "cleanup"}

// expect is what a test wants of one check other than Pass: its status,
// and words its advice must have for nginx (or Caddy).
type expect struct {
	status check.Status
	advice string
}

// deleteSecret is the delete_secret of the test edges, with which the
// check removes its test files.
const deleteSecret = "test delete secret"

// runCheck runs upedge check against base, trusting cert, with the
// edge's secret and delete secret, and compares every check with want
// (absent: Pass).
func runCheck(t *testing.T, base string, cert servertest.Cert, want map[string]expect, opts ...func(*check.Options)) *check.Report {
	t.Helper()
	o := check.Options{Base: base, Secret: []byte(servertest.Secret), DeleteSecret: []byte(deleteSecret), CAFile: cert.CertFile}
	for _, f := range opts {
		f(&o)
	}
	rep, err := check.Run(context.Background(), o)
	if err != nil {
		t.Fatalf("check.Run: %v", err)
	}
	var names []string
	for _, c := range rep.Checks {
		names = append(names, c.Name)
		w := want[c.Name]
		if c.Status != w.status {
			t.Errorf("%s: got %s (%s); want %s", c.Name, c.Status, c.Detail, w.status)
			continue
		}
		if w.advice == "" {
			continue
		}
		if c.Advice == nil || !strings.Contains(c.Advice.Nginx+" "+c.Advice.Caddy+" "+c.Advice.Upedge, w.advice) {
			t.Errorf("%s: advice %+v; want it to name %q", c.Name, c.Advice, w.advice)
		}
	}
	if got, want := strings.Join(names, " "), strings.Join(checkNames, " "); got != want {
		t.Errorf("checks run: got %q; want %q", got, want)
	}
	if t.Failed() {
		t.Logf("report:\n%s", rep.Text())
	}
	return rep
}

// allPass wants every check to pass.
var allPass = map[string]expect{}

// startEdge runs an edge for the proxies (plain HTTP, with the delete
// secret) and returns it with a certificate for 127.0.0.1 that the
// proxies serve.
func startEdge(t *testing.T) (*servertest.Edge, servertest.Cert) {
	t.Helper()
	cert := servertest.WriteCert(t, t.TempDir(), "proxy", []string{"127.0.0.1"}, time.Now().Add(90*24*time.Hour))
	return servertest.Start(t, t.TempDir(), "--delete-secret", deleteSecret), cert
}

// startTLSEdge runs an edge that serves TLS itself, with the delete
// secret, and returns it with its certificate.
func startTLSEdge(t *testing.T, days int) (*servertest.Edge, servertest.Cert) {
	t.Helper()
	cert := servertest.WriteCert(t, t.TempDir(), "edge", []string{"127.0.0.1"}, time.Now().Add(time.Duration(days)*24*time.Hour))
	return servertest.Start(t, t.TempDir(), "--tls-cert", cert.CertFile, "--tls-key", cert.KeyFile, "--delete-secret", deleteSecret), cert
}

// TestDirect runs the check against an edge that serves TLS itself: every
// check passes, with each token scheme, and the test files are gone.
func TestDirect(t *testing.T) {
	e, cert := startTLSEdge(t, 90)
	for _, v := range []token.Version{token.V1, token.V2, token.Token, token.V3, token.V3Expires, token.JWT} {
		t.Run(v.String(), func(t *testing.T) {
			rep := runCheck(t, e.Base, cert, allPass, func(o *check.Options) { o.Version = v })
			if !rep.OK {
				t.Errorf("report not OK")
			}
		})
	}
	// The edge's own state (the expiry index of the JWT files) stays.
	for _, f := range servertest.StoreFiles(t, e.Store) {
		if !strings.HasPrefix(f, ".upedge/") {
			t.Errorf("file left after the checks' cleanup: %q", f)
		}
	}
}

// TestNoDeleteSecret: without the delete secret the check says which
// files stay and how to remove them; with another one, too.
func TestNoDeleteSecret(t *testing.T) {
	e, cert := startTLSEdge(t, 90)
	for _, secret := range []string{"", "another"} {
		runCheck(t, e.Base, cert, map[string]expect{"cleanup": {check.Warn, "rm -r"}}, func(o *check.Options) { o.DeleteSecret = []byte(secret) })
	}
}

// TestBehindNginx runs the check through nginx configured as the README
// says (configs/nginx-upedge.conf): all pass; then with the two mistakes
// operators make most, each caught with its advice.
func TestBehindNginx(t *testing.T) {
	e, cert := startEdge(t)
	tests := []struct {
		name    string
		variant []string
		want    map[string]expect
	}{
		{"as the README", nil, allPass},
		{"request buffering on", []string{"proxy_request_buffering off;", "proxy_request_buffering on;"}, map[string]expect{
			"refuse-expect":    {check.Fail, "proxy_request_buffering off"},
			"refuse-no-expect": {check.Fail, "proxy_request_buffering off"},
			"cleanup":          {check.Pass, ""},
		}},
		// The classic: proxy_pass with a URI part strips the prefix.
		{"proxy_pass with a URI part", []string{"proxy_pass http://upedge;", "proxy_pass http://upedge/;"}, map[string]expect{
			"upload":           {check.Fail, ""},
			"path":             {check.Fail, "no URI part"},
			"head":             {check.Skip, ""},
			"get":              {check.Skip, ""},
			"range":            {check.Skip, ""},
			"if-none-match":    {check.Skip, ""},
			"head-8k":          {check.Skip, ""},
			"safety-headers":   {check.Fail, ""},
			"cors-preflight":   {check.Pass, ""},
			"cors-error":       {check.Pass, ""}, // upedge's 404 outside its prefix
			"refuse-expect":    {check.Pass, ""},
			"refuse-no-expect": {check.Pass, ""},
			"cleanup":          {check.Pass, ""},
		}},
		// With the prefix as its URI part nginx re-encodes the path:
		// tokens pass, the check warns.
		{"proxy_pass with the prefix as URI part", []string{"proxy_pass http://upedge;", "proxy_pass http://upedge/upload/;"}, map[string]expect{
			"path": {check.Warn, "no URI part"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := startNginx(t, e.Addr, cert, tt.variant...)
			runCheck(t, base, cert, tt.want)
		})
	}
}

// TestBehindCaddy runs the check through Caddy configured as the README
// says (configs/Caddyfile): all pass.
func TestBehindCaddy(t *testing.T) {
	e, cert := startEdge(t)
	base := startCaddy(t, e.Addr, cert)
	runCheck(t, base, cert, allPass)
}

// TestBehindHAProxy runs the check through HAProxy configured as the
// README says (configs/haproxy-upedge.cfg): all pass.
func TestBehindHAProxy(t *testing.T) {
	e, cert := startEdge(t)
	runCheck(t, startHAProxy(t, e.Addr, cert), cert, allPass)
}

// TestFindsWrongSecret: with another secret the upload fails with the
// advice to use the edge's secret file; the TLS check without the CA
// fails, and the rest still runs.
func TestFindsWrongSecret(t *testing.T) {
	e, cert := startTLSEdge(t, 5)
	rep, err := check.Run(context.Background(), check.Options{Base: e.Base, Secret: []byte("not the secret"), CAFile: cert.CertFile})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]check.Status{}
	for _, c := range rep.Checks {
		got[c.Name] = c.Status
	}
	if got["tls"] != check.Warn {
		t.Errorf("tls with 5 days left: got %s; want warn", got["tls"])
	}
	if got["upload"] != check.Fail || !strings.Contains(rep.Text(), "--secret-file") {
		t.Errorf("upload with another secret: got %s; want fail naming --secret-file\n%s", got["upload"], rep.Text())
	}
	rep, err = check.Run(context.Background(), check.Options{Base: e.Base, Secret: []byte(servertest.Secret)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checks[0].Status != check.Fail || rep.Checks[1].Status != check.Pass {
		t.Errorf("untrusted certificate: got %s, then upload %s; want fail, then pass\n%s", rep.Checks[0].Status, rep.Checks[1].Status, rep.Text())
	}
}

// TestCommand runs `upedge check` as a command: exit status and JSON.
func TestCommand(t *testing.T) {
	e, cert := startTLSEdge(t, 90)
	del := filepath.Join(t.TempDir(), "delete")
	if err := os.WriteFile(del, []byte(deleteSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := check.Main([]string{"--base", e.Base, "--secret", servertest.Secret, "--delete-secret-file", del, "--ca-file", cert.CertFile, "--json"}, &out, &errb)
	var rep check.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out.String())
	}
	if code != 0 || !rep.OK || rep.Failed != 0 || len(rep.Checks) != len(checkNames) {
		t.Errorf("exit %d, %+v; want 0 and an OK report of %d checks", code, rep, len(checkNames))
	}
	out.Reset()
	if code := check.Main([]string{"--base", e.Base, "--secret", "wrong", "--ca-file", cert.CertFile}, &out, &errb); code != 1 {
		t.Errorf("a failing check: exit %d; want 1", code)
	}
	if !strings.Contains(out.String(), "✗ upload") {
		t.Errorf("text report: got %q; want a ✗ upload line", out.String())
	}
	for _, args := range [][]string{{}, {"--base", e.Base}, {"--base", e.Base, "--secret", "s", "--version", "v9"}, {"--base", "ftp://x/", "--secret", "s"}, {"--base", e.Base, "--secret", "s", "--size", "0"}} {
		errb.Reset()
		if code := check.Main(args, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("%q: exit %d with %q; want 2 and a message", args, code, errb.String())
		}
	}
}
