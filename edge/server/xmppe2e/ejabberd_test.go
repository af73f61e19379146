package xmppe2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ejabberdConfig is the whole ejabberd.yml the tests run with. The
// mod_http_upload block is what the README shows operators.
//
// ejabberd 23.01 signs like Prosody's v1 (HMAC-SHA256 of "path size", the
// token in ?v=) when external_secret is set, and then neither stores nor
// serves uploads itself. Its slot path is put_url/USER-HASH/RANDOM/NAME, with
// every character of NAME outside Unicode letters, digits and "_.-" replaced
// by "_"; put_url and get_url carry no trailing slash.
func ejabberdConfig(dir string, c2sPort int, baseURL, pemPath string) string {
	q := strconv.Quote // a JSON-style string is a valid YAML double-quoted scalar
	base := strings.TrimSuffix(baseURL, "/")
	return fmt.Sprintf(`# Written by edge/xmppe2e for one test run.
hosts:
  - localhost
loglevel: info
log_rotate_count: 0
certfiles:
  - %[1]s
listen:
  -
    port: %[2]d
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: true
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
auth_method: internal
modules:
  mod_disco: {}
  mod_roster: {}
  mod_http_upload:
    put_url: %[3]s
    get_url: %[3]s
    external_secret: %[4]s
    max_size: %[5]d
    # Unused with external_secret, but the module wants a directory.
    docroot: %[6]s
`, q(pemPath), c2sPort, q(base), q(sharedSecret), maxFileSize, q(filepath.Join(dir, "docroot")))
}

// ejabberdUnsafe is what ejabberd 23.01 replaces by "_" in slot file names
// (mod_http_upload's replace_special_chars: [^\p{Xan}_.-]).
var ejabberdUnsafe = regexp.MustCompile(`[^\p{L}\p{N}_.-]`)

// startEjabberd runs ejabberd with mod_http_upload handing out slots on the
// edge. It starts erl directly (as ejabberdctl would, without its su to the
// ejabberd user) with a private epmd on a free port, so no Erlang port mapper
// outlives the test and none on the machine is touched.
func startEjabberd(t *testing.T, dir, baseURL, certPath, keyPath string, ts toolSet) xmppServer {
	t.Helper()
	for _, d := range []string{"spool", "docroot"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			t.Fatalf("cannot create ejabberd's %s: %v", d, err)
		}
	}
	// ejabberd wants key and certificate in one PEM file.
	pem := filepath.Join(dir, "ejabberd.pem")
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pem, append(key, cert...), 0o600); err != nil {
		t.Fatalf("cannot write ejabberd's PEM: %v", err)
	}
	port := freePort(t)
	cfg := filepath.Join(dir, "ejabberd.yml")
	if err := os.WriteFile(cfg, []byte(ejabberdConfig(dir, port, baseURL, pem)), 0o640); err != nil {
		t.Fatalf("cannot write ejabberd.yml: %v", err)
	}

	epmdPort := freePort(t)
	epmd := startProcess(t, "epmd", filepath.Join(dir, "epmd.log"), nil,
		"epmd", "-port", strconv.Itoa(epmdPort), "-address", "127.0.0.1")
	waitForPort(t, epmd, loopback(epmdPort), 30*time.Second)

	cookieBytes := make([]byte, 16)
	_, _ = rand.Read(cookieBytes)
	cookie := hex.EncodeToString(cookieBytes)
	node := fmt.Sprintf("upedge_e2e_%d@localhost", os.Getpid())
	env := append(os.Environ(),
		"ERL_EPMD_PORT="+strconv.Itoa(epmdPort),
		"ERL_LIBS="+ts.erlLibs,
		"EJABBERD_CONFIG_PATH="+cfg,
		"EJABBERD_LOG_PATH="+filepath.Join(dir, "ejabberd.log"),
		"HOME="+dir, // erl keeps its cookie file there; ours is on the command line
	)
	srv := xmppServer{
		name: "ejabberd", c2s: loopback(port), jid: "alice@localhost", password: "alice pass",
		tokenParam: "v", refusesEmpty: true, logPath: filepath.Join(dir, "ejabberd.log"),
		slotName: func(name string) string { return ejabberdUnsafe.ReplaceAllString(name, "_") },
	}
	p := startProcess(t, srv.name, filepath.Join(dir, "erl.out"), env,
		"erl", "-sname", node, "-setcookie", cookie, "-noinput",
		// Erlang distribution only on loopback.
		"-kernel", "inet_dist_use_interface", "{127,0,0,1}",
		"-mnesia", "dir", strconv.Quote(filepath.Join(dir, "spool")),
		"-s", "ejabberd")
	// The c2s listener opens last, after Mnesia and the modules are up.
	waitForPort(t, p, srv.c2s, 90*time.Second)

	// What `ejabberdctl register` does, through a hidden node.
	register := fmt.Sprintf(`R = rpc:call('%s', ejabberd_admin, register, [<<"alice">>, <<"localhost">>, <<%q>>]),
io:format("~p~n", [R]),
halt(case R of {ok, _} -> 0; _ -> 1 end).`, node, srv.password)
	// The c2s port can open before Mnesia has created the passwd table
	// on a loaded machine ({aborted,{no_exists,passwd,...}}): retry that,
	// and only that, for a bounded time.
	var out, errOut []byte
	for end := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
		out, errOut, err = runCommand(time.Minute, env, "erl",
			"-sname", fmt.Sprintf("upedge_e2e_ctl_%d@localhost", os.Getpid()), "-setcookie", cookie,
			"-hidden", "-noinput",
			"-kernel", "inet_dist_use_interface", "{127,0,0,1}",
			"-eval", register)
		if err == nil || !bytes.Contains(append(out, errOut...), []byte("no_exists")) || time.Now().After(end) {
			break
		}
	}
	if err != nil {
		t.Fatalf("cannot register alice@localhost in ejabberd: %v\n%s%s\nlog:\n%s", err, out, errOut, logTail(srv.logPath, 20))
	}
	return srv
}
