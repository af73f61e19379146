// Package origin selects the upstream origin store for an origin URL, so
// that the wiring is one call, and exports the one options type of the
// origin stores, which the config package fills.
package origin

import (
	"net/url"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httporigin"
	"github.com/upedge/upedge/backend/internal/originclient"
	"github.com/upedge/upedge/backend/s3origin"
)

// Options configure the origin stores; each reads the fields that concern
// it, and the zero value of every field is its default (see the field
// docs). The fields and their defaults are declared once, in
// originclient.Options; this alias is how code outside backend names them.
type Options = originclient.Options

// FieldError is what New and Validate return for a setting that cannot be
// used: Field names the Options field ("URL" for the origin URL), so that
// a caller can point at its own key.
type FieldError = originclient.FieldError

// Defaults applied to zero fields of Options.
const (
	DefaultTimeout  = originclient.DefaultTimeout
	DefaultMaxConns = originclient.DefaultMaxConns
	DefaultS3Region = originclient.DefaultS3Region
)

// MaxS3ObjectSize is the largest upload an s3:// origin takes (a single
// PutObject).
const MaxS3ObjectSize = s3origin.MaxObjectSize

// Scheme returns the lowercased scheme of an origin URL, "http", "https"
// or "s3", or a *FieldError for any other: the one rule for which store
// a URL selects.
func Scheme(rawURL string) (string, error) { return originclient.Scheme(rawURL) }

// New returns the store for rawURL: http:// and https:// select an HTTP
// (WebDAV) origin, s3:// a bucket; the scheme is case-insensitive.
// Errors for settings that cannot be used are *FieldError. New does not
// connect: an unreachable origin is found by the first request.
func New(rawURL string, opts Options) (backend.Store, error) {
	scheme, err := Scheme(rawURL)
	if err != nil {
		return nil, err
	}
	if scheme == "s3" {
		return s3origin.New(rawURL, opts)
	}
	return httporigin.New(rawURL, opts)
}

// Validate reports whether New would accept rawURL and opts: the one
// check of the origin settings (URL, scheme, headers, S3 endpoint and
// credentials, limits), for a config loader that wants its errors before
// anything starts. It builds the store and drops it.
func Validate(rawURL string, opts Options) error {
	_, err := New(rawURL, opts)
	return err
}

// Redact returns rawURL without a password, for logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
