package check_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upedge/upedge/backend/origintest"
)

// TestREADMEShowsTestedConfigs: the README's Deploy section shows the
// proxy configurations the tests run, verbatim, so that the advice
// operators copy is the tested one.
func TestREADMEShowsTestedConfigs(t *testing.T) {
	root := origintest.RepoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ name, fence string }{{"nginx-upedge.conf", "```nginx\n"}, {"Caddyfile", "```caddy\n"}, {"haproxy-upedge.cfg", "```haproxy\n"}} {
		b, err := os.ReadFile(filepath.Join(root, "configs", f.name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), f.fence+string(b)+"```\n") {
			t.Errorf("README.md does not show configs/%s verbatim in a %q block", f.name, strings.TrimSpace(f.fence))
		}
	}
}
