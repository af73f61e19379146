// Package config loads the edge's configuration from, in increasing order
// of precedence, built-in defaults, a TOML file, UPEDGE_* environment
// variables and command-line flags, and checks it. The result is a value
// that main passes down; nothing here is global.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	toml "github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"

	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/backend/origin"
	"github.com/upedge/upedge/edge"
	"github.com/upedge/upedge/edge/ops/compress"
	"github.com/upedge/upedge/edge/ops/listen"
	"github.com/upedge/upedge/edge/ops/quota"
	"github.com/upedge/upedge/edge/token"
)

// ExampleSecret is the secret of the example config under configs/. The
// edge warns loudly when it runs with it.
const ExampleSecret = "example-secret-change-me"

// EnvPrefix prefixes the environment variables that set keys:
// UPEDGE_MAX_FILE_SIZE sets max_file_size.
const EnvPrefix = "UPEDGE_"

// Config is the whole configuration of `upedge serve`. Every key has a
// koanf tag (its name in the file; the flag is the same with '-' for '_')
// and its default in Default.
type Config struct {
	// Listen is host:port for TCP, or unix:/path for a unix socket.
	Listen string `koanf:"listen"`
	// Secret is shared with the XMPP server. SecretFile, when set, is read
	// instead (trailing newline trimmed), so the secret stays out of the
	// process list and the config file.
	Secret     string `koanf:"secret"`
	SecretFile string `koanf:"secret_file"`
	// PreviousSecrets are accepted next to Secret, for every token
	// scheme, while the XMPP servers move to a new secret; uploads signed
	// with one are counted (upedge_uploads_old_secret_total).
	// PreviousSecretsFile, when set, adds one secret per line of a file.
	PreviousSecrets     List   `koanf:"previous_secrets"`
	PreviousSecretsFile string `koanf:"previous_secrets_file"`
	// DeleteSecret, when set, enables Metronome's signed DELETE (its
	// http_file_delete_secret); DeleteSecretFile is read instead when set.
	DeleteSecret     string `koanf:"delete_secret"`
	DeleteSecretFile string `koanf:"delete_secret_file"`
	// TokenSchemes are the token schemes accepted (token.SchemeNames):
	// drop the ones no XMPP server of yours issues.
	TokenSchemes List `koanf:"token_schemes"`
	// Prefix is the path part of the XMPP server's base URL.
	Prefix string `koanf:"prefix"`
	// Store is the directory uploads are kept in.
	Store string `koanf:"store"`
	// MaxFileSize is the largest accepted upload, e.g. "100MiB".
	MaxFileSize ByteSize `koanf:"max_file_size"`
	// V3Window is how far a v3 timestamp may be from our clock.
	V3Window time.Duration `koanf:"v3_window"`
	// ReadTimeout bounds the wait for request headers and every pause in
	// an upload body.
	ReadTimeout time.Duration `koanf:"read_timeout"`
	// WriteTimeout bounds the writing of a whole response; 0 is no limit.
	WriteTimeout time.Duration `koanf:"write_timeout"`
	// IdleTimeout closes idle keep-alive connections.
	IdleTimeout time.Duration `koanf:"idle_timeout"`
	// Fsync is "always" (a 201 survives a power cut) or "never".
	Fsync string `koanf:"fsync"`
	// SmallFileCache is the memory that files up to 64 KiB may take in
	// the download cache ("0" turns it off).
	SmallFileCache ByteSize `koanf:"small_file_cache"`
	// CORSOrigin is sent as Access-Control-Allow-Origin.
	CORSOrigin string `koanf:"cors_origin"`
	// HSTS is the Strict-Transport-Security value sent on every answer
	// when the edge terminates TLS itself (tls_cert); "" sends none.
	HSTS string `koanf:"hsts"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `koanf:"log_level"`

	// --- operations (issue 6) ---

	// Retention removes uploads older than this from the store; 0 is off.
	Retention Age `koanf:"retention"`
	// QuotaWindow is the rolling window of QuotaWindowBytes.
	QuotaWindow Age `koanf:"quota_window"`
	// QuotaWindowBytes caps what one v3 uploader may upload within
	// QuotaWindow; 0 is no cap.
	QuotaWindowBytes ByteSize `koanf:"quota_window_bytes"`
	// QuotaTotalBytes caps what one v3 uploader may upload in all; 0 is
	// no cap.
	QuotaTotalBytes ByteSize `koanf:"quota_total_bytes"`
	// QuotaFile keeps the quota state across restarts; "" is
	// STORE/.upedge/quota.json.
	QuotaFile string `koanf:"quota_file"`
	// MetricsListen serves /metrics and /healthz; "" is off.
	MetricsListen string `koanf:"metrics_listen"`
	// AccessLog is "" (off), "stderr" or a file path.
	AccessLog string `koanf:"access_log"`
	// SocketMode is the permission of a unix listen socket, octal.
	SocketMode string `koanf:"socket_mode"`
	// TLSCert and TLSKey, both set, make the edge speak HTTPS itself.
	TLSCert string `koanf:"tls_cert"`
	TLSKey  string `koanf:"tls_key"`
	// Compress sends CompressTypes zstd- or gzip-encoded to clients that
	// accept it.
	Compress      bool `koanf:"compress"`
	CompressTypes List `koanf:"compress_types"`
	// CompressCache holds the compressed variants; "" is
	// STORE/.upedge/cache.
	CompressCache string `koanf:"compress_cache"`
	// ShutdownGrace is how long in-flight uploads may run on after SIGTERM.
	ShutdownGrace time.Duration `koanf:"shutdown_grace"`
	// MinUploadRate cuts an upload body slower than this on average, in
	// bytes per second, after a first read_timeout; 0 is off.
	MinUploadRate ByteSize `koanf:"min_upload_rate"`
	// MaxConns caps concurrent connections; 0 is fasthttp's default. A
	// connection over it is answered 503.
	MaxConns int `koanf:"max_conns"`
	// MaxHeaderLine bounds each line of a request head (414 for the
	// request line, 431 for a header field line); MaxHeaderBytes the
	// whole head (431), which is also each connection's read buffer.
	MaxHeaderLine  ByteSize `koanf:"max_header_line"`
	MaxHeaderBytes ByteSize `koanf:"max_header_bytes"`

	// Upstream origin (backend/origin). Origin, when set, replaces Store:
	// http(s)://HOST/PATH/ is a WebDAV/HTTP origin, s3://BUCKET/PREFIX a
	// bucket.
	Origin string `koanf:"origin"`
	// OriginHeaders are static "Name: value" headers sent to an HTTP origin.
	OriginHeaders []string `koanf:"origin_headers"`
	// OriginUser and OriginPassword: basic authentication for an HTTP origin.
	OriginUser     string `koanf:"origin_user"`
	OriginPassword string `koanf:"origin_password"`
	// OriginTimeout bounds every wait on the origin (connect, each write
	// or read); a slow but moving upload is never cut by it.
	OriginTimeout time.Duration `koanf:"origin_timeout"`
	// OriginExistsCheck asks the origin (HEAD) whether a name is taken
	// before an upload's body is read. Off saves a round trip per upload
	// on origins that refuse taken names themselves, at the price of
	// reading a doomed upload's body before answering 409.
	OriginExistsCheck bool `koanf:"origin_exists_check"`
	// S3Endpoint, S3Region and S3PathStyle address an s3:// origin; an
	// empty endpoint is AWS S3 in S3Region.
	S3Endpoint  string `koanf:"s3_endpoint"`
	S3Region    string `koanf:"s3_region"`
	S3PathStyle bool   `koanf:"s3_path_style"`
	// S3AccessKey and S3SecretKey; when empty, AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) are used.
	S3AccessKey string `koanf:"s3_access_key"`
	S3SecretKey string `koanf:"s3_secret_key"`
}

// Default returns the configuration that applies where nothing else says
// otherwise. It has no secret: one must be given.
func Default() Config {
	store := dirstore.DefaultOptions()
	return Config{
		Listen:         "127.0.0.1:5050",
		Prefix:         "/upload/",
		Store:          "./data",
		MaxFileSize:    edge.DefaultMaxFileSize,
		TokenSchemes:   token.SchemeNames(),
		V3Window:       token.DefaultWindow,
		ReadTimeout:    edge.DefaultReadTimeout,
		IdleTimeout:    edge.DefaultIdleTimeout,
		Fsync:          fsyncName(store.Fsync),
		SmallFileCache: ByteSize(store.SmallCacheBytes),
		CORSOrigin:     edge.DefaultCORSOrigin,
		HSTS:           edge.DefaultHSTS,
		LogLevel:       "info",

		QuotaWindow:    Age(quota.DefaultWindow),
		SocketMode:     fmt.Sprintf("%04o", listen.DefaultSocketMode),
		CompressTypes:  compress.DefaultTypes(),
		ShutdownGrace:  30 * time.Second,
		MinUploadRate:  1 << 10,
		MaxHeaderLine:  edge.DefaultMaxHeaderLine,
		MaxHeaderBytes: edge.DefaultMaxHeaderBytes,

		OriginTimeout:     origin.DefaultTimeout,
		OriginExistsCheck: true,
		S3Region:          origin.DefaultS3Region,
	}
}

// FlagSet returns the flags of `upedge serve`: --config and one flag per
// key. Flags left unset do not override the file or the environment.
func FlagSet(name string) *pflag.FlagSet {
	d := Default()
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.String("config", "", "TOML config file")
	fs.String("listen", d.Listen, "listen address: host:port, or unix:/path/to.sock")
	fs.String("secret", "", "secret shared with the XMPP server (prefer --secret-file)")
	fs.String("secret-file", "", "file holding the shared secret")
	fs.StringArray("previous-secret", nil, "a previous shared secret still accepted while XMPP servers move to the new one (repeatable)")
	fs.String("previous-secrets-file", "", "file holding previous shared secrets, one a line")
	fs.String("delete-secret", "", "Metronome's http_file_delete_secret: enables its signed DELETE (prefer --delete-secret-file)")
	fs.String("delete-secret-file", "", "file holding the delete secret")
	fs.String("token-schemes", strings.Join(d.TokenSchemes, ","), "comma-separated token schemes to accept ("+strings.Join(token.SchemeNames(), ", ")+")")
	fs.String("prefix", d.Prefix, "URL path prefix of upload slots")
	fs.String("store", d.Store, "directory uploads are kept in")
	fs.String("max-file-size", d.MaxFileSize.String(), "largest accepted upload (e.g. 100MiB)")
	fs.Duration("v3-window", d.V3Window, "allowed distance of a v3 timestamp from the server clock")
	fs.Duration("read-timeout", d.ReadTimeout, "wait for headers and for each pause in an upload body")
	fs.Duration("write-timeout", d.WriteTimeout, "limit on writing one whole response (0: none)")
	fs.Duration("idle-timeout", d.IdleTimeout, "close keep-alive connections idle this long")
	fs.String("fsync", d.Fsync, `"always" or "never": flush uploads to disk before answering 201`)
	fs.String("small-file-cache", d.SmallFileCache.String(), "memory for caching files up to 64 KiB for downloads (0: off)")
	fs.String("cors-origin", d.CORSOrigin, "Access-Control-Allow-Origin value")
	fs.String("hsts", d.HSTS, `Strict-Transport-Security value on answers over TLS ("" sends none)`)
	fs.String("log-level", d.LogLevel, "debug, info, warn or error")
	// operations (issue 6)
	fs.String("retention", "", `remove uploads older than this, e.g. "7d" (off when empty)`)
	fs.String("quota-window", d.QuotaWindow.String(), "rolling window of quota-window-bytes")
	fs.String("quota-window-bytes", "0", "per-uploader (v3) bytes within quota-window (0: no cap)")
	fs.String("quota-total-bytes", "0", "per-uploader (v3) bytes in all (0: no cap)")
	fs.String("quota-file", "", "quota state file (default STORE/.upedge/quota.json)")
	fs.String("metrics-listen", "", "address for /metrics and /healthz (off when empty)")
	fs.String("access-log", "", `access log: "" (off), "stderr" or a file path`)
	fs.String("socket-mode", d.SocketMode, "permission of a unix listen socket (octal)")
	fs.String("tls-cert", "", "TLS certificate file (PEM); with tls-key, serve HTTPS")
	fs.String("tls-key", "", "TLS private key file (PEM)")
	fs.Bool("compress", false, "send compressible types zstd/gzip-encoded to clients that accept it")
	fs.String("compress-types", strings.Join(d.CompressTypes, ","), "comma-separated media types (type/* allowed) to compress")
	fs.String("compress-cache", "", "directory of compressed variants (default STORE/.upedge/cache)")
	fs.Duration("shutdown-grace", d.ShutdownGrace, "how long in-flight uploads may finish after SIGTERM")
	fs.String("min-upload-rate", d.MinUploadRate.String(), "cut uploads slower than this many bytes/s on average (0: off)")
	fs.Int("max-conns", 0, "cap on concurrent connections (0: fasthttp default); over it: 503")
	fs.String("max-header-line", d.MaxHeaderLine.String(), "longest line of a request head (request line: 414; header field: 431)")
	fs.String("max-header-bytes", d.MaxHeaderBytes.String(), "largest request head, and each connection's read buffer (431)")

	// Upstream origin; credentials and headers are config keys only.
	fs.String("origin", "", "keep uploads on an origin instead of --store: http(s)://HOST/PATH/ or s3://BUCKET/PREFIX")
	fs.String("s3-endpoint", d.S3Endpoint, "S3 endpoint URL (empty: AWS S3 in --s3-region)")
	fs.String("s3-region", d.S3Region, "S3 region")
	fs.Bool("s3-path-style", d.S3PathStyle, "address the bucket as ENDPOINT/BUCKET (most self-hosted S3 stores)")
	fs.Duration("origin-timeout", d.OriginTimeout, "bound on every wait on the origin (connect, each read or write)")
	return fs
}

// Load parses args with fs (from FlagSet) and merges, in this order,
// defaults, the --config file, environ's UPEDGE_* variables and the flags
// set in args. It then validates the result. Flags a caller added to fs
// that are no config key are left to the caller.
func Load(fs *pflag.FlagSet, args, environ []string) (*Config, error) {
	cfg, err := load(fs, args, environ)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// LoadStore is Load for tools that work on the store an edge uses (`upedge
// purge`): the shared secret may be missing.
func LoadStore(fs *pflag.FlagSet, args, environ []string) (*Config, error) {
	cfg, err := load(fs, args, environ)
	if err != nil {
		return nil, err
	}
	if err := cfg.validate(false); err != nil {
		return nil, err
	}
	return cfg, nil
}

func load(fs *pflag.FlagSet, args, environ []string) (*Config, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	k := koanf.New(".")
	if path, _ := fs.GetString("config"); path != "" {
		if err := k.Load(file.Provider(path), toml.Parser()); err != nil {
			return nil, fmt.Errorf("cannot load config file %q: %w", path, err)
		}
	}
	err := k.Load(env.Provider(".", env.Opt{
		Prefix:      EnvPrefix,
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(key, v string) (string, any) {
			return strings.ToLower(strings.TrimPrefix(key, EnvPrefix)), v
		},
	}), nil)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s* environment: %w", EnvPrefix, err)
	}
	known := map[string]bool{}
	for _, k := range Keys() {
		known[k] = true
	}
	err = k.Load(posflag.ProviderWithFlag(fs, ".", nil, func(f *pflag.Flag) (string, any) {
		key := strings.ReplaceAll(f.Name, "-", "_")
		if f.Name == "previous-secret" && f.Changed {
			// Repeatable, and a secret may hold a comma: the values as
			// given, not the flag's CSV.
			vals, _ := fs.GetStringArray(f.Name)
			return "previous_secrets", vals
		}
		if !f.Changed || !known[key] {
			return "", nil
		}
		return key, f.Value.String()
	}), nil)
	if err != nil {
		return nil, fmt.Errorf("cannot read flags: %w", err)
	}
	if err := checkKnownKeys(k.Keys()); err != nil {
		return nil, err
	}
	cfg := Default()
	if err := k.UnmarshalWithConf("", &cfg, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return nil, fmt.Errorf("cannot parse config: %w", err)
	}
	if err := cfg.resolveSecret(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// Keys returns the config keys, in file order.
func Keys() []string {
	t := reflect.TypeFor[Config]()
	keys := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("koanf"); tag != "" {
			keys = append(keys, tag)
		}
	}
	return keys
}

func checkKnownKeys(got []string) error {
	known := map[string]bool{}
	for _, k := range Keys() {
		known[k] = true
	}
	var unknown []string
	for _, k := range got {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown config key(s): %s (known: %s)", strings.Join(unknown, ", "), strings.Join(Keys(), ", "))
	}
	return nil
}

// resolveSecret reads the secret files that are set.
func (c *Config) resolveSecret() error {
	if c.SecretFile != "" {
		s, err := readSecretFile("secret_file", c.SecretFile)
		if err != nil {
			return err
		}
		c.Secret = s
	}
	if c.DeleteSecretFile != "" {
		s, err := readSecretFile("delete_secret_file", c.DeleteSecretFile)
		if err != nil {
			return err
		}
		c.DeleteSecret = s
	}
	if c.PreviousSecretsFile != "" {
		s, err := readSecretFile("previous_secrets_file", c.PreviousSecretsFile)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(s, "\n") {
			if line = strings.TrimRight(line, "\r"); line != "" {
				c.PreviousSecrets = append(c.PreviousSecrets, line)
			}
		}
	}
	return nil
}

// readSecretFile reads a secret file, its trailing newline trimmed; key
// names the config key in errors.
func readSecretFile(key, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: cannot read %q: %w", key, path, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// Validate checks every key and names the first bad one.
func (c *Config) Validate() error { return c.validate(true) }

func (c *Config) validate(needSecret bool) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	if needSecret && c.Secret == "" {
		bad("secret", "is empty; set secret, secret_file, --secret or %sSECRET to the XMPP server's secret", EnvPrefix)
	}
	for _, p := range c.PreviousSecrets {
		if p == "" {
			bad("previous_secrets", "holds an empty secret")
		}
	}
	if strings.ContainsRune(c.DeleteSecret, 0) {
		// Metronome signs path NUL delete_secret: with a NUL in it, an
		// upload token's message could be made to look like a delete's.
		bad("delete_secret", "must not contain a NUL byte")
	}
	if _, err := token.ParseSchemes(c.TokenSchemes); err != nil {
		bad("token_schemes", "%v", err)
	}
	if c.Listen == "" {
		bad("listen", "is empty")
	} else if !strings.HasPrefix(c.Listen, "unix:") && !strings.Contains(c.Listen, ":") {
		bad("listen", "%q is neither host:port nor unix:/path", c.Listen)
	}
	if c.Store == "" {
		bad("store", "is empty")
	}
	if !strings.HasPrefix(c.Prefix, "/") {
		bad("prefix", "%q must start with /", c.Prefix)
	}
	positive(bad, "max_file_size", c.MaxFileSize)
	notNegative(bad, "small_file_cache", c.SmallFileCache)
	positive(bad, "v3_window", c.V3Window)
	positive(bad, "read_timeout", c.ReadTimeout)
	notNegative(bad, "write_timeout", c.WriteTimeout)
	positive(bad, "idle_timeout", c.IdleTimeout)
	if c.Fsync != FsyncAlways && c.Fsync != FsyncNever {
		bad("fsync", `must be "always" or "never", got %q`, c.Fsync)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	c.validateOps(bad)
	c.validateOrigin(bad)
	return errors.Join(errs...)
}

// badFunc records that key is bad, with a message after it.
type badFunc func(key, format string, args ...any)

// positive and notNegative check a number or a duration; the value is
// printed as the operator wrote it (sizes with units, durations as such).
func positive[T ~int64 | ~int](bad badFunc, key string, v T) {
	if v <= 0 {
		bad(key, "must be positive, got %v", v)
	}
}

func notNegative[T ~int64 | ~int](bad badFunc, key string, v T) {
	if v < 0 {
		bad(key, "must not be negative, got %v", v)
	}
}

// Bounds of max_header_line and max_header_bytes: a line must hold a
// slot's PUT URL (a prefix, a path, a 64-digit token); the whole head is
// every connection's read buffer, so 1 MiB would cost 1 GiB for a
// thousand connections.
const (
	minHeaderLine  = 1 << 10
	maxHeaderBytes = 1 << 20
)

// validateOps checks the operations keys (issue 6).
func (c *Config) validateOps(bad badFunc) {
	notNegative(bad, "retention", c.Retention)
	positive(bad, "quota_window", c.QuotaWindow)
	notNegative(bad, "quota_window_bytes", c.QuotaWindowBytes)
	notNegative(bad, "quota_total_bytes", c.QuotaTotalBytes)
	if c.MetricsListen != "" && !strings.HasPrefix(c.MetricsListen, "unix:") && !strings.Contains(c.MetricsListen, ":") {
		bad("metrics_listen", "%q is neither host:port nor unix:/path", c.MetricsListen)
	}
	if _, err := c.SocketFileMode(); err != nil {
		bad("socket_mode", "%v", err)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls_cert", "tls_cert and tls_key must be set together")
	}
	if c.HSTS != "" {
		if err := edge.ValidHSTS(c.HSTS); err != nil {
			bad("hsts", "%q is not a Strict-Transport-Security value (RFC 6797: %v)", c.HSTS, err)
		}
	}
	for _, t := range c.CompressTypes {
		if !strings.Contains(t, "/") {
			bad("compress_types", "%q is not a media type (type/subtype or type/*)", t)
		}
	}
	notNegative(bad, "shutdown_grace", c.ShutdownGrace)
	notNegative(bad, "min_upload_rate", c.MinUploadRate)
	notNegative(bad, "max_conns", c.MaxConns)
	switch {
	case c.MaxHeaderLine < minHeaderLine:
		bad("max_header_line", "must be at least %v (a slot's PUT URL must fit), got %v", ByteSize(minHeaderLine), c.MaxHeaderLine)
	case c.MaxHeaderBytes < c.MaxHeaderLine:
		bad("max_header_bytes", "must be at least max_header_line (%v), got %v", c.MaxHeaderLine, c.MaxHeaderBytes)
	case c.MaxHeaderBytes > maxHeaderBytes:
		bad("max_header_bytes", "must be at most %v (it is every connection's read buffer), got %v", ByteSize(maxHeaderBytes), c.MaxHeaderBytes)
	}
}

// SlogLevel returns LogLevel as a slog level (Validate has checked it).
func (c *Config) SlogLevel() slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(c.LogLevel))
	return l
}

// SocketFileMode returns SocketMode as a file mode.
func (c *Config) SocketFileMode() (os.FileMode, error) {
	m, err := strconv.ParseUint(c.SocketMode, 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("%q is not an octal permission like 0660", c.SocketMode)
	}
	return os.FileMode(m), nil
}

// Age is a duration that also reads days: "7d", "36h", "1d12h", "90m".
// The empty string is zero.
type Age time.Duration

// ParseAge parses an age as Age documents.
func ParseAge(s string) (Age, error) {
	t := strings.TrimSpace(s)
	if t == "" || t == "0" {
		return 0, nil
	}
	var days time.Duration
	if i := strings.IndexByte(t, 'd'); i >= 0 {
		n, err := strconv.ParseUint(t[:i], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("cannot parse age %q: want e.g. 7d, 36h, 1d12h or 90m", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		t = t[i+1:]
	}
	var rest time.Duration
	if t != "" {
		var err error
		if rest, err = time.ParseDuration(t); err != nil {
			return 0, fmt.Errorf("cannot parse age %q: want e.g. 7d, 36h, 1d12h or 90m", s)
		}
	}
	return Age(days + rest), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Age) UnmarshalText(text []byte) error { return parseInto(a, text, ParseAge) }

// parseInto sets *dst to parse(text), or leaves it and returns the error.
func parseInto[T any](dst *T, text []byte, parse func(string) (T, error)) error {
	v, err := parse(string(text))
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// String formats a as whole days where it is some, else as a Go duration.
func (a Age) String() string {
	d := time.Duration(a)
	if d != 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// List is a list of strings: a TOML array, or one comma-separated string
// from the environment or a flag.
type List []string

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *List) UnmarshalText(text []byte) error {
	var out List
	for _, s := range strings.Split(string(text), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	*l = out
	return nil
}

func (c *Config) validateOrigin(bad badFunc) {
	if c.Origin == "" {
		return
	}
	if err := origin.Validate(c.Origin, c.OriginOptions()); err != nil {
		var fe *origin.FieldError
		key := "origin"
		if errors.As(err, &fe) {
			if k, ok := originKeys[fe.Field]; ok {
				key = k
			}
			err = fe.Err
		}
		bad(key, "%v", err)
	}
	if scheme, _ := origin.Scheme(c.Origin); scheme == "s3" && c.MaxFileSize > origin.MaxS3ObjectSize {
		bad("max_file_size", "%s is more than a single S3 PUT holds (%s)", c.MaxFileSize, ByteSize(origin.MaxS3ObjectSize))
	}
	positive(bad, "origin_timeout", c.OriginTimeout)
	// The operations that work on the store directory have none to work
	// on behind an origin.
	if c.Retention != 0 {
		bad("retention", "works on the store directory, not an origin; expire uploads on the origin (an S3 lifecycle rule, see the README, section Upstream origins)")
	}
	if c.Compress {
		bad("compress", "works on files in the store directory, not on an origin's answers")
	}
	if c.QuotasOn() && c.QuotaFile == "" {
		bad("quota_file", "must be set when quotas are on with an origin (there is no store directory to keep it in)")
	}
}

// ByteSize is a size in bytes that reads "100MiB", "1.5GB", "512k" or a
// plain number.
type ByteSize int64

var sizeUnits = []struct {
	suffix string
	mult   float64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// ParseByteSize parses a size as ByteSize documents.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || f*mult > float64(1<<62) {
		return 0, fmt.Errorf("cannot parse size %q: want a number with an optional unit (B, KiB, MiB, GiB, KB, MB, GB)", s)
	}
	return ByteSize(f * mult), nil
}

// UnmarshalText implements encoding.TextUnmarshaler for config files,
// environment and flags.
func (b *ByteSize) UnmarshalText(text []byte) error { return parseInto(b, text, ParseByteSize) }

// String formats b with the largest binary unit that divides it.
func (b ByteSize) String() string {
	for _, u := range []struct {
		s string
		m int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.m == 0 {
			return strconv.FormatInt(int64(b)/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(int64(b), 10)
}
