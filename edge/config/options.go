package config

import (
	"log/slog"
	"path/filepath"
	"time"

	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/backend/origin"
	"github.com/upedge/upedge/edge"
	"github.com/upedge/upedge/edge/ops/compress"
	"github.com/upedge/upedge/edge/ops/quota"
	"github.com/upedge/upedge/edge/token"
)

// This file is the one place where config keys become the options of the
// packages that own them. Defaults are the packages' own (see Default);
// what is mapped here is only what an operator set.

// Fsync values of the fsync key.
const (
	FsyncAlways = "always"
	FsyncNever  = "never"
)

func fsyncName(on bool) string {
	if on {
		return FsyncAlways
	}
	return FsyncNever
}

// EdgeOptions returns the request path's options. The hooks (quotas,
// compression, the upload context) are the server's to plug in.
func (c *Config) EdgeOptions(log *slog.Logger) edge.Options {
	var previous [][]byte
	for _, p := range c.PreviousSecrets {
		previous = append(previous, []byte(p))
	}
	var del []byte
	if c.DeleteSecret != "" {
		del = []byte(c.DeleteSecret)
	}
	// Validate has checked the names.
	schemes, _ := token.ParseSchemes(c.TokenSchemes)
	return edge.Options{
		Secret:          []byte(c.Secret),
		PreviousSecrets: previous,
		DeleteSecret:    del,
		TokenSchemes:    schemes,
		Prefix:          c.Prefix,
		MaxFileSize:     int64(c.MaxFileSize),
		V3Window:        c.V3Window,
		BodyReadTimeout: c.ReadTimeout,
		CORSOrigin:      c.CORSOrigin,
		HSTS:            c.HSTS,
		MaxHeaderLine:   int(c.MaxHeaderLine),
		MinUploadRate:   int64(c.MinUploadRate),
		Logger:          log,
	}
}

// ServerOptions returns the HTTP server's connection settings.
func (c *Config) ServerOptions(log *slog.Logger) edge.ServerOptions {
	return edge.ServerOptions{
		ReadTimeout:    c.ReadTimeout,
		WriteTimeout:   c.WriteTimeout,
		IdleTimeout:    c.IdleTimeout,
		MaxConns:       c.MaxConns,
		MaxHeaderBytes: int(c.MaxHeaderBytes),
		Logger:         log,
	}
}

// StoreOptions returns the directory store's options.
func (c *Config) StoreOptions() dirstore.Options {
	return dirstore.Options{
		Fsync:           c.Fsync == FsyncAlways,
		SmallCacheBytes: int64(c.SmallFileCache),
	}
}

// OriginOptions returns the upstream origin's options. Credentials from
// the environment are the caller's to add (Options.CredentialsFromEnv).
func (c *Config) OriginOptions() origin.Options {
	return origin.Options{
		Headers:         c.OriginHeaders,
		User:            c.OriginUser,
		Password:        c.OriginPassword,
		Timeout:         c.OriginTimeout,
		SkipExistsCheck: !c.OriginExistsCheck,
		S3Endpoint:      c.S3Endpoint,
		S3Region:        c.S3Region,
		S3PathStyle:     c.S3PathStyle,
		S3AccessKey:     c.S3AccessKey,
		S3SecretKey:     c.S3SecretKey,
	}
}

// originKeys names the key of each origin.Options field that
// origin.Validate can refuse.
var originKeys = map[string]string{
	"URL": "origin", "Headers": "origin_headers", "Timeout": "origin_timeout",
	"S3Endpoint": "s3_endpoint", "S3AccessKey": "s3_access_key",
}

// QuotasOn reports whether any quota is configured.
func (c *Config) QuotasOn() bool { return c.QuotaWindowBytes > 0 || c.QuotaTotalBytes > 0 }

// QuotaOptions returns the quota options; storeRoot is where the state is
// kept when quota_file is not set ("" behind an origin, where Validate
// demands quota_file).
func (c *Config) QuotaOptions(storeRoot string, onReject func()) quota.Options {
	file := c.QuotaFile
	if file == "" {
		file = filepath.Join(storeRoot, dirstore.ReservedDir, "quota.json")
	}
	return quota.Options{
		Window:      time.Duration(c.QuotaWindow),
		WindowBytes: int64(c.QuotaWindowBytes),
		TotalBytes:  int64(c.QuotaTotalBytes),
		File:        file,
		OnReject:    onReject,
	}
}

// CompressOptions returns the compression options; storeRoot is where the
// variants are cached when compress_cache is not set.
func (c *Config) CompressOptions(storeRoot string) compress.Options {
	dir := c.CompressCache
	if dir == "" {
		dir = filepath.Join(storeRoot, dirstore.ReservedDir, "cache")
	}
	return compress.Options{Types: c.CompressTypes, CacheDir: dir}
}

// RetentionOptions returns the retention sweeper's options.
func (c *Config) RetentionOptions() dirstore.RetentionOptions {
	return dirstore.RetentionOptions{MaxAge: time.Duration(c.Retention)}
}
