package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/token"
)

// TestExampleConfigsLoad loads every TOML file under configs/, so that the
// examples cannot drift from the code.
func TestExampleConfigsLoad(t *testing.T) {
	files, err := filepath.Glob("../../configs/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no config files found under configs/")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, err := Load(FlagSet("test"), []string{"--config", f}, nil)
			if err != nil {
				t.Fatalf("cannot load %s: %v", f, err)
			}
			if cfg.Secret == "" {
				t.Fatal("example config has no secret: make run would not start")
			}
		})
	}
}

// TestExampleConfigShowsEveryKey: configs/upedge.toml documents every key.
func TestExampleConfigShowsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../configs/upedge.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys() {
		if !strings.Contains(string(b), "\n"+k+" =") && !strings.Contains(string(b), "\n# "+k+" =") {
			t.Errorf("configs/upedge.toml does not show key %q", k)
		}
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.toml")
	os.WriteFile(file, []byte("secret = \"from-file\"\nmax_file_size = \"1MiB\"\nprefix = \"/file/\"\nstore = \"/file\"\n"), 0o644)
	env := []string{"UPEDGE_MAX_FILE_SIZE=2MiB", "UPEDGE_PREFIX=/env/", "OTHER=1"}
	cfg, err := Load(FlagSet("test"), []string{"--config", file, "--prefix", "/flag/"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Secret != "from-file" {
		t.Errorf("secret: got %q; want from-file", cfg.Secret)
	}
	if cfg.MaxFileSize != 2<<20 {
		t.Errorf("max_file_size: got %d; want env's 2MiB", cfg.MaxFileSize)
	}
	if cfg.Prefix != "/flag/" {
		t.Errorf("prefix: got %q; want flag's /flag/", cfg.Prefix)
	}
	if cfg.Store != "/file" {
		t.Errorf("store: got %q; want file's /file", cfg.Store)
	}
	if cfg.V3Window != 300*time.Second {
		t.Errorf("v3_window: got %v; want default 300s", cfg.V3Window)
	}
}

func TestFlagsServeNames(t *testing.T) {
	cfg, err := Load(FlagSet("test"), []string{"--listen", "127.0.0.1:9", "--secret", "s", "--store", "/d",
		"--prefix", "/upload/", "--max-file-size", "5000", "--v3-window", "60s", "--fsync", "never"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9" || cfg.Secret != "s" || cfg.Store != "/d" || cfg.MaxFileSize != 5000 || cfg.V3Window != time.Minute || cfg.Fsync != "never" {
		t.Fatalf("flags not applied: %+v", cfg)
	}
}

func TestSecretFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(f, []byte("s3cr3t\n"), 0o600)
	cfg, err := Load(FlagSet("test"), []string{"--secret-file", f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Secret != "s3cr3t" {
		t.Fatalf("got %q; want s3cr3t", cfg.Secret)
	}
}

func TestValidationNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  []string
		key  string
	}{
		{nil, nil, "secret"},
		{[]string{"--secret", "s", "--fsync", "sometimes"}, nil, "fsync"},
		{[]string{"--secret", "s", "--prefix", "upload"}, nil, "prefix"},
		{[]string{"--secret", "s", "--listen", "nowhere"}, nil, "listen"},
		{[]string{"--secret", "s"}, []string{"UPEDGE_MAX_FILE_SIZE=lots"}, "max_file_size"},
		{[]string{"--secret", "s"}, []string{"UPEDGE_READ_TIMEOUT=soon"}, "read_timeout"},
		{[]string{"--secret", "s"}, []string{"UPEDGE_LOG_LEVEL=loud"}, "log_level"},
		{[]string{"--secret", "s", "--hsts", "includeSubDomains"}, nil, "hsts"},
		{[]string{"--secret", "s", "--hsts", "max-age=1\r\nSet-Cookie: a=b"}, nil, "hsts"},
		{[]string{"--secret", "s"}, []string{"UPEDGE_NO_SUCH_KEY=1"}, "no_such_key"},
	} {
		_, err := Load(FlagSet("test"), tc.args, tc.env)
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("args %v env %v: got %v; want an error naming %q", tc.args, tc.env, err, tc.key)
		}
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{
		"100MiB": 100 << 20, "100mib": 100 << 20, "1GiB": 1 << 30, "512k": 512 << 10, "1.5MB": 1500000,
		"1048576": 1 << 20, "10 MiB": 10 << 20, "0": 0, "7B": 7,
	} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1MiB", "1XB"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q): got nil error", in)
		}
	}
	if s := ByteSize(100 << 20).String(); s != "100MiB" {
		t.Errorf("String: got %q; want 100MiB", s)
	}
}

// TestPackagedConfigLoads loads the Debian package's config
// (configs/deb/upedge.toml) as the packaged unit does, with the secret file
// the package makes: every key in it is known and valid.
func TestPackagedConfigLoads(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The packaged path of the secret file is replaced through the
	// environment, as an operator could.
	cfg, err := Load(FlagSet("test"), []string{"--config", "../../configs/deb/upedge.toml"}, []string{EnvPrefix + "SECRET_FILE=" + secret})
	if err != nil {
		t.Fatalf("cannot load configs/deb/upedge.toml: %v", err)
	}
	if cfg.Store != "/var/lib/upedge" || cfg.Secret != strings.Repeat("ab", 32) {
		t.Errorf("store %q, secret %q; want /var/lib/upedge and the file's", cfg.Store, cfg.Secret)
	}
	b, err := os.ReadFile("../../configs/deb/upedge.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `secret_file = "/etc/upedge/secret"`) {
		t.Error(`configs/deb/upedge.toml: want secret_file = "/etc/upedge/secret", where the package makes it`)
	}
}

// TestSecretsAndSchemes: previous secrets from the file, the environment,
// repeated flags and a file of them; the delete secret and its file; the
// token schemes; and how they reach the edge's options.
func TestSecretsAndSchemes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.toml")
	os.WriteFile(file, []byte("secret = \"s\"\nprevious_secrets = [\"old, with a comma\", \"older\"]\ntoken_schemes = [\"v2\", \"jwt\"]\ndelete_secret = \"d\"\n"), 0o644)
	cfg, err := Load(FlagSet("test"), []string{"--config", file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.PreviousSecrets, "|"); got != "old, with a comma|older" {
		t.Errorf("previous_secrets from the file: got %q", got)
	}
	opts := cfg.EdgeOptions(nil)
	if len(opts.PreviousSecrets) != 2 || string(opts.DeleteSecret) != "d" ||
		!opts.TokenSchemes.Has(token.V2) || !opts.TokenSchemes.Has(token.JWT) || opts.TokenSchemes.Has(token.V1) {
		t.Errorf("edge options: %d previous secrets, delete secret %q, schemes %q", len(opts.PreviousSecrets), opts.DeleteSecret, opts.TokenSchemes.Names())
	}

	cfg, err = Load(FlagSet("test"), []string{"--secret", "s", "--previous-secret", "a,b", "--previous-secret", "c"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.PreviousSecrets, "|"); got != "a,b|c" {
		t.Errorf("--previous-secret twice: got %q; want a,b|c", got)
	}
	cfg, err = Load(FlagSet("test"), []string{"--secret", "s"}, []string{"UPEDGE_PREVIOUS_SECRETS=x,y", "UPEDGE_TOKEN_SCHEMES=v1,v3-expires"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.PreviousSecrets, "|"); got != "x|y" {
		t.Errorf("UPEDGE_PREVIOUS_SECRETS: got %q; want x|y", got)
	}
	if s := cfg.EdgeOptions(nil).TokenSchemes; !s.Has(token.V1) || !s.Has(token.V3Expires) || s.Has(token.JWT) {
		t.Errorf("UPEDGE_TOKEN_SCHEMES: got %q", s.Names())
	}
	// Defaults: every scheme, no delete secret, no previous secret.
	cfg, err = Load(FlagSet("test"), []string{"--secret", "s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts := cfg.EdgeOptions(nil); opts.TokenSchemes != token.AllSchemes || opts.DeleteSecret != nil || opts.PreviousSecrets != nil {
		t.Errorf("defaults: schemes %q, delete secret %q, previous %q", opts.TokenSchemes.Names(), opts.DeleteSecret, opts.PreviousSecrets)
	}

	prev := filepath.Join(dir, "prev")
	os.WriteFile(prev, []byte("p1\n\np2\r\n"), 0o600)
	del := filepath.Join(dir, "del")
	os.WriteFile(del, []byte("from file\n"), 0o600)
	cfg, err = Load(FlagSet("test"), []string{"--secret", "s", "--previous-secret", "flag", "--previous-secrets-file", prev, "--delete-secret-file", del}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.PreviousSecrets, "|"); got != "flag|p1|p2" || cfg.DeleteSecret != "from file" {
		t.Errorf("secret files: previous %q, delete %q; want flag|p1|p2 and %q", got, cfg.DeleteSecret, "from file")
	}

	emptyPrev := filepath.Join(dir, "empty-prev.toml")
	os.WriteFile(emptyPrev, []byte("secret = \"s\"\nprevious_secrets = [\"\"]\n"), 0o644)
	noSchemes := filepath.Join(dir, "no-schemes.toml")
	os.WriteFile(noSchemes, []byte("secret = \"s\"\ntoken_schemes = []\n"), 0o644)
	for _, tc := range []struct {
		args []string
		env  []string
		key  string
	}{
		{[]string{"--secret", "s", "--token-schemes", "v1,v9"}, nil, "token_schemes"},
		{[]string{"--secret", "s"}, []string{"UPEDGE_TOKEN_SCHEMES=none"}, "token_schemes"},
		{[]string{"--config", emptyPrev}, nil, "previous_secrets"},
		{[]string{"--config", noSchemes}, nil, "token_schemes"},
		{[]string{"--secret", "s", "--delete-secret", "a\x00b"}, nil, "delete_secret"},
		{[]string{"--secret", "s", "--delete-secret-file", filepath.Join(dir, "missing")}, nil, "delete_secret_file"},
		{[]string{"--secret", "s", "--previous-secrets-file", filepath.Join(dir, "missing")}, nil, "previous_secrets_file"},
	} {
		_, err := Load(FlagSet("test"), tc.args, tc.env)
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("args %q env %q: got %v; want an error naming %q", tc.args, tc.env, err, tc.key)
		}
	}
}
