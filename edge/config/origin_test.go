package config

import (
	"strings"
	"testing"
	"time"
)

func TestOriginKeys(t *testing.T) {
	args := []string{"--secret", "s", "--origin", "s3://bucket/p", "--s3-endpoint", "http://127.0.0.1:7070", "--s3-path-style", "--s3-region", "eu-west-1", "--origin-timeout", "5s"}
	env := []string{"UPEDGE_ORIGIN_HEADERS=X-Origin-Secret: abc", "UPEDGE_S3_ACCESS_KEY=ak", "UPEDGE_S3_SECRET_KEY=sk"}
	cfg, err := Load(FlagSet("test"), args, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Origin != "s3://bucket/p" || cfg.S3Endpoint != "http://127.0.0.1:7070" || !cfg.S3PathStyle || cfg.S3Region != "eu-west-1" || cfg.OriginTimeout != 5*time.Second {
		t.Errorf("flags not applied: %+v", cfg)
	}
	if len(cfg.OriginHeaders) != 1 || cfg.OriginHeaders[0] != "X-Origin-Secret: abc" {
		t.Errorf("origin_headers from env: got %q", cfg.OriginHeaders)
	}
	if cfg.S3AccessKey != "ak" || cfg.S3SecretKey != "sk" {
		t.Errorf("S3 credentials from env: got %q %q", cfg.S3AccessKey, cfg.S3SecretKey)
	}
}

func TestOriginValidation(t *testing.T) {
	for _, tc := range []struct {
		args []string
		key  string
	}{
		{[]string{"--origin", "ftp://x/"}, "origin:"},
		{[]string{"--origin", "storage/"}, "origin:"},
		{[]string{"--origin", "s3://b", "--s3-endpoint", "127.0.0.1:7070"}, "s3_endpoint:"},
		{[]string{"--origin", "http://x/", "--origin-timeout", "0s"}, "origin_timeout:"},
		{[]string{"--origin", "s3://b", "--max-file-size", "6GiB"}, "max_file_size:"},
		{[]string{"--origin", "s3://b", "--retention", "7d"}, "retention:"},
		{[]string{"--origin", "s3://b", "--compress"}, "compress:"},
		{[]string{"--origin", "s3://b", "--quota-total-bytes", "1GiB"}, "quota_file:"},
	} {
		_, err := Load(FlagSet("test"), append([]string{"--secret", "s"}, tc.args...), nil)
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%v: got %v; want an error naming %s", tc.args, err, tc.key)
		}
	}
}
