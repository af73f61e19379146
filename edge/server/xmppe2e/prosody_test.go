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
	// tokenParam is the query parameter its PUT URLs carry ("v" or "v2");
	// "" for a JWT slot (jwt).
	tokenParam string
	// signsType: the token covers the Content-Type of the PUT (v2).
	signsType bool
	// jwt: the slots carry an Authorization header with a JWT (Prosody's
	// mod_http_file_share) instead of a query token.
	jwt bool
	// own: the server stores and serves the uploads itself (the control:
	// Prosody's mod_http_file_share without an external base URL), so the
	// checks on the edge's store do not apply.
	own bool
	// refusesEmpty: the server answers a slot request for 0 bytes with an
	// error, so empty files never reach the edge.
	refusesEmpty bool
	// slotName is what the server makes of a file name in its slot URLs;
	// nil means it keeps the name as the client sent it.
	slotName func(string) string
	logPath  string
}

// prosodyConfig is the whole Prosody configuration the tests run with:
// c2s on c2sPort, HTTP on httpPort when it is not 0 (for a component that
// serves uploads itself), and component, the upload component's block,
// which is what the README shows operators.
func prosodyConfig(dir string, c2sPort, httpPort int, certPath, keyPath, component string) string {
	q := strconv.Quote // Go's quoting is valid Lua for these ASCII strings
	httpPorts := ""
	if httpPort != 0 {
		httpPorts = strconv.Itoa(httpPort)
	}
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
http_ports = { %[8]s }
http_interfaces = { "127.0.0.1" }
https_ports = { }
http_default_host = "upload.localhost"
http_external_url = %[9]s
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "posix" }
-- No federation: nothing listens on 5269 and nothing leaves the machine.
modules_disabled = { "s2s" }
authentication = "internal_hashed"
c2s_require_encryption = true
ssl = { certificate = %[6]s, key = %[7]s }

VirtualHost "localhost"
%[10]s`,
		q(filepath.Join(dir, "prosody.pid")), q(filepath.Join(dir, "data")), q(filepath.Join(dir, "admin.sock")),
		q(filepath.Join(dir, "prosody.log")), c2sPort, q(certPath), q(keyPath),
		httpPorts, q(fmt.Sprintf("http://127.0.0.1:%d/", httpPort)), component)
}

// uploadExternalComponent is mod_http_upload_external handing out slots
// on the edge at baseURL, signed with token protocol "v1" or "v2".
func uploadExternalComponent(baseURL, protocol string) string {
	q := strconv.Quote
	return fmt.Sprintf(`
Component "upload.localhost" "http_upload_external"
    http_upload_external_base_url = %s
    http_upload_external_secret = %s
    http_upload_external_protocol = %s
    http_upload_external_file_size_limit = %d
`, q(baseURL), q(sharedSecret), q(protocol), maxFileSize)
}

// fileShareComponent is Prosody's built-in mod_http_file_share: with
// baseURL it hands out slots on the edge there, signed with JWTs;
// without, it serves them itself on Prosody's HTTP port (the control).
func fileShareComponent(baseURL string) string {
	q := strconv.Quote
	external := ""
	if baseURL != "" {
		external = "    http_file_share_base_url = " + q(baseURL) + "\n"
	}
	// The daily quota is Prosody's own (10 times the size limit by
	// default): lifted, so that every client's every file fits. The
	// expiry is Prosody's default, written out as the README shows it.
	return fmt.Sprintf(`
Component "upload.localhost" "http_file_share"
%s    http_file_share_secret = %s
    http_file_share_size_limit = %d
    http_file_share_daily_quota = %d
    http_file_share_expires_after = %d
`, external, q(sharedSecret), maxFileSize, 100*maxFileSize, 7*24*3600)
}

// startProsody runs Prosody with mod_http_upload_external handing out slots
// on the edge at baseURL, signed with token protocol "v1" or "v2".
func startProsody(t *testing.T, dir, baseURL, protocol, certPath, keyPath string) xmppServer {
	t.Helper()
	srv := xmppServer{
		name:       "prosody-" + protocol,
		tokenParam: map[string]string{"v1": "v", "v2": "v2"}[protocol], signsType: protocol == "v2",
	}
	return runProsody(t, dir, srv, certPath, keyPath, 0, uploadExternalComponent(baseURL, protocol))
}

// startProsodyFileShare runs Prosody with its built-in mod_http_file_share:
// with baseURL, handing out JWT slots on the edge there; with "", serving
// the uploads on its own HTTP server (the control).
func startProsodyFileShare(t *testing.T, dir, baseURL, certPath, keyPath string) xmppServer {
	t.Helper()
	srv := xmppServer{name: "prosody-share", jwt: true}
	httpPort := 0
	if baseURL == "" {
		srv.name, srv.own = "prosody-share-own", true
		httpPort = freePort(t)
	}
	return runProsody(t, dir, srv, certPath, keyPath, httpPort, fileShareComponent(baseURL))
}

// runProsody writes the config, registers alice@localhost and starts
// Prosody; srv's name and upload traits are the caller's.
func runProsody(t *testing.T, dir string, srv xmppServer, certPath, keyPath string, httpPort int, component string) xmppServer {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o750); err != nil {
		t.Fatalf("cannot create the Prosody data dir: %v", err)
	}
	port := freePort(t)
	cfg := filepath.Join(dir, "prosody.cfg.lua")
	if err := os.WriteFile(cfg, []byte(prosodyConfig(dir, port, httpPort, certPath, keyPath, component)), 0o640); err != nil {
		t.Fatalf("cannot write the Prosody config: %v", err)
	}
	srv.c2s, srv.jid, srv.password = loopback(port), "alice@localhost", "alice pass"
	srv.logPath = filepath.Join(dir, "prosody.log")
	// Accounts go straight into the data dir; Prosody need not run yet.
	if out, errOut, err := runCommand(time.Minute, nil, "prosodyctl", "--config", cfg, "register", "alice", "localhost", srv.password); err != nil {
		t.Fatalf("cannot register alice@localhost with prosodyctl: %v\n%s%s", err, out, errOut)
	}
	p := startProcess(t, srv.name, filepath.Join(dir, "prosody.out"), nil, "prosody", "--config", cfg, "-F")
	waitForPort(t, p, srv.c2s, 60*time.Second)
	if httpPort != 0 {
		waitForPort(t, p, loopback(httpPort), 30*time.Second)
	}
	return srv
}
