package xmppe2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// xmppServer is a running XMPP server with one registered account.
type xmppServer struct {
	name     string
	c2s      string // host:port of the client listener
	jid      string
	password string
	// tokenParam is the query parameter its PUT URLs carry ("v" or "v2").
	tokenParam string
	// signsType: the token covers the Content-Type of the PUT (v2).
	signsType bool
	// refusesEmpty: the server answers a slot request for 0 bytes with an
	// error, so empty files never reach the edge.
	refusesEmpty bool
	// slotName is what the server makes of a file name in its slot URLs;
	// nil means it keeps the name as the client sent it.
	slotName func(string) string
	logPath  string
}

// prosodyConfig is the whole Prosody configuration the tests run with. The
// upload part (the Component block) is what the README shows operators.
func prosodyConfig(dir string, c2sPort int, baseURL, protocol, certPath, keyPath string) string {
	q := strconv.Quote // Go's quoting is valid Lua for these ASCII strings
	return fmt.Sprintf(`-- Written by edge/xmppe2e for one test run.
-- Prosody refuses to start as root unless told; CI runs as root.
run_as_root = true
daemonize = false
pidfile = %[1]s
data_path = %[2]s
admin_socket = %[3]s
log = { { levels = { min = "debug" }, to = "file", filename = %[4]s } }
interfaces = { "127.0.0.1" }
c2s_ports = { %[5]d }
c2s_direct_tls_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "posix" }
-- No federation: nothing listens on 5269 and nothing leaves the machine.
modules_disabled = { "s2s" }
authentication = "internal_hashed"
c2s_require_encryption = true
ssl = { certificate = %[6]s, key = %[7]s }

VirtualHost "localhost"

Component "upload.localhost" "http_upload_external"
    http_upload_external_base_url = %[8]s
    http_upload_external_secret = %[9]s
    http_upload_external_protocol = %[10]s
    http_upload_external_file_size_limit = %[11]d
`,
		q(filepath.Join(dir, "prosody.pid")), q(filepath.Join(dir, "data")), q(filepath.Join(dir, "admin.sock")),
		q(filepath.Join(dir, "prosody.log")), c2sPort, q(certPath), q(keyPath),
		q(baseURL), q(sharedSecret), q(protocol), maxFileSize)
}

// startProsody runs Prosody with mod_http_upload_external handing out slots
// on the edge at baseURL, signed with token protocol "v1" or "v2".
func startProsody(t *testing.T, dir, baseURL, protocol, certPath, keyPath string) xmppServer {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o750); err != nil {
		t.Fatalf("cannot create the Prosody data dir: %v", err)
	}
	port := freePort(t)
	cfg := filepath.Join(dir, "prosody.cfg.lua")
	if err := os.WriteFile(cfg, []byte(prosodyConfig(dir, port, baseURL, protocol, certPath, keyPath)), 0o640); err != nil {
		t.Fatalf("cannot write the Prosody config: %v", err)
	}
	srv := xmppServer{
		name: "prosody-" + protocol, c2s: loopback(port), jid: "alice@localhost", password: "alice pass",
		tokenParam: map[string]string{"v1": "v", "v2": "v2"}[protocol], signsType: protocol == "v2",
		logPath: filepath.Join(dir, "prosody.log"),
	}
	// Accounts go straight into the data dir; Prosody need not run yet.
	if out, errOut, err := runCommand(time.Minute, nil, "prosodyctl", "--config", cfg, "register", "alice", "localhost", srv.password); err != nil {
		t.Fatalf("cannot register alice@localhost with prosodyctl: %v\n%s%s", err, out, errOut)
	}
	p := startProcess(t, srv.name, filepath.Join(dir, "prosody.out"), nil, "prosody", "--config", cfg, "-F")
	waitForPort(t, p, srv.c2s, 60*time.Second)
	return srv
}
