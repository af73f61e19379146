package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestOpsKeysFromFileEnvFlags(t *testing.T) {
	dir := t.TempDir()
	fn := filepath.Join(dir, "c.toml")
	err := os.WriteFile(fn, []byte(`secret = "s"
retention = "7d"
quota_window_bytes = "1GiB"
compress = true
compress_types = ["text/*", "application/json"]
socket_mode = "0600"
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(FlagSet("t"), []string{"--config", fn, "--shutdown-grace", "5s"}, []string{"UPEDGE_QUOTA_TOTAL_BYTES=10GiB", "UPEDGE_ACCESS_LOG=stderr"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := time.Duration(cfg.Retention), 7*24*time.Hour; got != want {
		t.Errorf("retention: got %v; want %v", got, want)
	}
	if cfg.QuotaWindowBytes != 1<<30 || cfg.QuotaTotalBytes != 10<<30 {
		t.Errorf("quotas: got %d, %d", cfg.QuotaWindowBytes, cfg.QuotaTotalBytes)
	}
	if !cfg.Compress || !reflect.DeepEqual(cfg.CompressTypes, List{"text/*", "application/json"}) {
		t.Errorf("compress: got %v %q", cfg.Compress, cfg.CompressTypes)
	}
	if m, _ := cfg.SocketFileMode(); m != 0o600 {
		t.Errorf("socket mode: got %o", m)
	}
	if cfg.ShutdownGrace != 5*time.Second || cfg.AccessLog != "stderr" {
		t.Errorf("grace/access log: got %v %q", cfg.ShutdownGrace, cfg.AccessLog)
	}

	cfg, err = Load(FlagSet("t"), []string{"--secret", "s", "--compress-types", "text/plain, text/csv"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.CompressTypes, List{"text/plain", "text/csv"}) {
		t.Errorf("compress_types flag: got %q", cfg.CompressTypes)
	}
	if cfg.Retention != 0 {
		t.Errorf("retention default: got %v; want off", cfg.Retention)
	}
}

func TestOpsValidation(t *testing.T) {
	for _, args := range [][]string{
		{"--retention", "7x"},
		{"--socket-mode", "999"},
		{"--tls-cert", "c.pem"},
		{"--compress-types", "text"},
		{"--quota-window", "0"},
	} {
		if _, err := Load(FlagSet("t"), append([]string{"--secret", "s"}, args...), nil); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"": 0, "7d": 7 * 24 * time.Hour, "36h": 36 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute,
	} {
		got, err := ParseAge(in)
		if err != nil || time.Duration(got) != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}
