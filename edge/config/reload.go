package config

import (
	"reflect"
)

// reloadable are the keys whose new values a reload (SIGHUP, see
// edge/server's Reload) puts in force without a restart: the secrets and
// the TLS certificate, which operators rotate while uploads run. Every
// other key is fixed for the life of the process; a reload reports the
// ones that changed (RestartNeeded).
var reloadable = map[string]bool{
	"secret":                true,
	"secret_file":           true,
	"previous_secrets":      true,
	"previous_secrets_file": true,
	"delete_secret":         true,
	"delete_secret_file":    true,
	"token_schemes":         true,
	// Re-read on reload while TLS stays on; switching TLS on or off
	// changes the listener and needs a restart.
	"tls_cert": true,
	"tls_key":  true,
}

// Reloadable reports whether a reload puts a new value of key in force.
func Reloadable(key string) bool { return reloadable[key] }

// RestartNeeded returns the keys whose values differ between the running
// config and next but that only a restart puts in force, in file order.
func RestartNeeded(running, next *Config) []string {
	var keys []string
	a, b := reflect.ValueOf(running).Elem(), reflect.ValueOf(next).Elem()
	t := a.Type()
	for i := 0; i < t.NumField(); i++ {
		key := t.Field(i).Tag.Get("koanf")
		if key == "" || reloadable[key] {
			continue
		}
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			keys = append(keys, key)
		}
	}
	if (running.TLSCert == "") != (next.TLSCert == "") {
		keys = append(keys, "tls_cert")
	}
	return keys
}
