// Package origin selects the upstream origin store for an --origin URL, so
// that the wiring in cmd/upedge is one call.
package origin

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httporigin"
	"github.com/upedge/upedge/backend/s3origin"
)

// Options configure the origin stores; each store reads the fields that
// concern it.
type Options struct {
	// Header and Username/Password are sent to an HTTP origin.
	Header             map[string]string
	Username, Password string

	// S3 settings, see s3origin.Options. Empty credentials are taken from
	// the environment by the caller (see CredentialsFromEnv).
	S3Endpoint                                       string
	S3Region                                         string
	S3PathStyle                                      bool
	S3AccessKeyID, S3SecretAccessKey, S3SessionToken string

	// Timeout bounds every wait on the origin; 0 means 30 s.
	Timeout time.Duration
	// MaxConns limits connections to the origin; 0 means 512.
	MaxConns int
	// SkipExistsCheck: see httporigin.Options.SkipExistsCheck.
	SkipExistsCheck bool
}

// CredentialsFromEnv fills empty S3 credentials from AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN as getenv returns them
// (os.Getenv in main; a map in tests).
func (o *Options) CredentialsFromEnv(getenv func(string) string) {
	if o.S3AccessKeyID == "" && o.S3SecretAccessKey == "" {
		o.S3AccessKeyID = getenv("AWS_ACCESS_KEY_ID")
		o.S3SecretAccessKey = getenv("AWS_SECRET_ACCESS_KEY")
		if o.S3SessionToken == "" {
			o.S3SessionToken = getenv("AWS_SESSION_TOKEN")
		}
	}
}

// New returns the store for rawURL: http:// and https:// select an HTTP
// (WebDAV) origin, s3:// a bucket.
func New(rawURL string, opts Options) (backend.Store, error) {
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, fmt.Errorf("cannot use origin %q: want http://, https:// or s3:// URL", rawURL)
	}
	switch strings.ToLower(scheme) {
	case "http", "https":
		return httporigin.New(rawURL, httporigin.Options{
			Header:          opts.Header,
			Username:        opts.Username,
			Password:        opts.Password,
			Timeout:         opts.Timeout,
			MaxConns:        opts.MaxConns,
			SkipExistsCheck: opts.SkipExistsCheck,
		})
	case "s3":
		return s3origin.New(rawURL, s3origin.Options{
			Endpoint:        opts.S3Endpoint,
			Region:          opts.S3Region,
			PathStyle:       opts.S3PathStyle,
			AccessKeyID:     opts.S3AccessKeyID,
			SecretAccessKey: opts.S3SecretAccessKey,
			SessionToken:    opts.S3SessionToken,
			Timeout:         opts.Timeout,
			MaxConns:        opts.MaxConns,
			SkipExistsCheck: opts.SkipExistsCheck,
		})
	}
	return nil, fmt.Errorf("cannot use origin %q: scheme %q is not http, https or s3", rawURL, scheme)
}

// Redact returns rawURL without a password, for logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
