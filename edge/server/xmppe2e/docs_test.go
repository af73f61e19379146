package xmppe2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsShowTestedSettings keeps the operator documentation honest: every
// Prosody and ejabberd upload setting it shows must be one this suite runs
// with. It needs no servers, so it runs everywhere.
func TestDocsShowTestedSettings(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil || !strings.Contains(string(doc), "mod_http_upload_external") {
		t.Fatalf("README.md does not document the XMPP server settings (%v)", err)
	}
	prosody := prosodyConfig("/d", 5222, 0, "/c", "/k", uploadExternalComponent("http://127.0.0.1:5050/upload/", "v2")+
		fileShareComponent("http://127.0.0.1:5050/upload/"))
	for _, key := range regexp.MustCompile(`\bhttp_(?:upload_external|file_share)_[a-z_]+`).FindAllString(string(doc), -1) {
		if !strings.Contains(prosody, key+" =") {
			t.Errorf("the docs show Prosody's %s, which the suite does not set", key)
		}
	}
	ejabberd := ejabberdConfig("/d", 5222, "http://127.0.0.1:5050/upload/", "/p")
	for _, key := range []string{"put_url", "get_url", "external_secret", "max_size"} {
		if !strings.Contains(string(doc), key+":") {
			t.Errorf("the docs do not show ejabberd's %s", key)
		}
		if !strings.Contains(ejabberd, "    "+key+": ") {
			t.Errorf("the suite does not set ejabberd's %s", key)
		}
	}
}
