package config

import (
	"slices"
	"testing"
)

// TestRestartNeeded: a reload names the keys it cannot put in force and
// none of those it can.
func TestRestartNeeded(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{"nothing", func(*Config) {}, nil},
		{"secret", func(c *Config) { c.Secret, c.SecretFile = "other", "/etc/other" }, nil},
		{"rotation", func(c *Config) {
			c.PreviousSecrets, c.PreviousSecretsFile = List{"old"}, "/etc/old"
			c.DeleteSecret, c.DeleteSecretFile, c.TokenSchemes = "d", "/etc/d", List{"jwt"}
		}, nil},
		{"certificate files", func(c *Config) { c.TLSCert, c.TLSKey = "/new.crt", "/new.key" }, nil},
		{"TLS switched off", func(c *Config) { c.TLSCert, c.TLSKey = "", "" }, []string{"tls_cert"}},
		{"listen and store", func(c *Config) { c.Listen, c.Store = "127.0.0.1:1", "/elsewhere" }, []string{"listen", "store"}},
		{"a list", func(c *Config) { c.CompressTypes = List{"text/plain"} }, []string{"compress_types"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			running := Default()
			running.Secret, running.TLSCert, running.TLSKey = "s", "/a.crt", "/a.key"
			next := running
			tt.change(&next)
			if got := RestartNeeded(&running, &next); !slices.Equal(got, tt.want) {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
	for _, key := range []string{"secret", "secret_file", "previous_secrets", "previous_secrets_file", "delete_secret", "delete_secret_file", "token_schemes", "tls_cert", "tls_key"} {
		if !Reloadable(key) {
			t.Errorf("Reloadable(%q): got false; want true", key)
		}
	}
}
