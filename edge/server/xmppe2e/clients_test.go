package xmppe2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// uploader is a real XEP-0363 client: it asks srv for a slot, PUTs the
// file to the edge and returns the GET URL it was given and the
// Content-Type it declared in its slot request.
type uploader struct {
	name   string
	upload func(srv xmppServer, work, path string) (getURL, declared string, err error)
}

var uploaders = []uploader{
	{"go-sendxmpp", goSendXMPPUpload},
	{"slixmpp", slixmppUpload},
}

// getURLInDebug finds the slot's GET URL in go-sendxmpp's --debug dump of
// the XML stream (Prosody quotes attributes with ', ejabberd too; both
// forms are accepted).
var getURLInDebug = regexp.MustCompile(`<get url=(?:'([^']*)'|"([^"]*)")`)

// jwtInDebug finds the payload of the JWT in a slot's Authorization header.
var jwtInDebug = regexp.MustCompile(`>Bearer [A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+<`)

// goSendXMPPUpload runs `go-sendxmpp -h FILE`, which requests a slot, PUTs
// the file and messages the GET URL to the recipient (here: the sender).
// It does not print the GET URL, so it runs with --debug and the URL is
// read from the slot in the stream dump.
func goSendXMPPUpload(srv xmppServer, work, path string) (string, string, error) {
	// Its own HOME: go-sendxmpp reads ~/.config/go-sendxmpp/sendxmpprc.
	env := append(os.Environ(), "HOME="+work)
	out, errOut, err := runCommand(3*time.Minute, env, "go-sendxmpp",
		"--debug", "--no-tls-verify",
		"-u", srv.jid, "-p", srv.password, "-j", srv.c2s,
		"-h", path, srv.jid)
	all := string(out) + string(errOut)
	if err != nil {
		return "", "", fmt.Errorf("go-sendxmpp failed: %w\n%s", err, lastLines(all, 3))
	}
	m := getURLInDebug.FindAllStringSubmatch(all, -1)
	if len(m) == 0 {
		return "", "", fmt.Errorf("go-sendxmpp succeeded but no slot in its output:\n%s", lastLines(all, 8))
	}
	last := m[len(m)-1]
	return html.UnescapeString(last[1] + last[2]), declaredInJWT(all), nil
}

// declaredInJWT returns the filetype claim of the last JWT slot header in
// go-sendxmpp's dump: the Content-Type it declared in its slot request,
// which its debug output does not show (it dumps what it receives). ""
// when there is none (a query-token slot).
func declaredInJWT(dump string) string {
	m := jwtInDebug.FindAllStringSubmatch(dump, -1)
	if len(m) == 0 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(m[len(m)-1][1])
	if err != nil {
		return ""
	}
	var claims struct{ Filetype string }
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Filetype
}

// slixmppScript is the slixmpp client, run with Debian's python3.
func slixmppScript() string {
	p, _ := filepath.Abs(filepath.Join("testdata", "slixupload.py"))
	return p
}

// slixmppUpload uploads with slixmpp's XEP-0363 plugin (upload_file).
func slixmppUpload(srv xmppServer, _, path string) (string, string, error) {
	var res struct{ Get, Type string }
	if err := runSlixmpp(srv, &res, "--file", path); err != nil {
		return "", "", err
	}
	return res.Get, res.Type, nil
}

// slot is an upload slot as a client receives it.
type slot struct {
	Put     string
	Get     string
	Headers map[string]string
}

// requestSlot asks srv for a slot through slixmpp without uploading, so the
// test can PUT whatever it likes to the edge.
func requestSlot(srv xmppServer, filename string, size int64, contentType string) (slot, error) {
	var s slot
	err := runSlixmpp(srv, &s, "--slot-only", "--filename", filename,
		"--size", fmt.Sprint(size), "--content-type", contentType)
	return s, err
}

func runSlixmpp(srv xmppServer, result any, args ...string) error {
	argv := append([]string{systemPython, slixmppScript(),
		"--jid", srv.jid, "--password", srv.password, "--server", srv.c2s}, args...)
	out, errOut, err := runCommand(3*time.Minute, nil, argv...)
	if err != nil {
		return fmt.Errorf("slixmpp client failed: %w\n%s", err, lastLines(string(errOut), 8))
	}
	if err := json.Unmarshal(out, result); err != nil {
		return fmt.Errorf("cannot parse the slixmpp client's answer %q: %w", out, err)
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
