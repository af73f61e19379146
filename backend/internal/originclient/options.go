package originclient

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/upedge/upedge/backend/httpsem"
)

// Defaults of Options, applied where a field is zero. They are written
// here only; the config package shows them from here.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultMaxConns = 512
	DefaultS3Region = "us-east-1"
)

// Options configure an upstream origin store, HTTP or S3; each store reads
// the fields that concern it. The zero value of every field is its
// default. backend/origin exports this type as origin.Options, which the
// config package fills; it is the only options type of the origin stores.
type Options struct {
	// Headers are static "Name: value" headers sent with every request to
	// an HTTP origin, for example a shared secret the origin checks.
	// Hop-by-hop and framing headers are refused.
	Headers []string
	// User and Password, when User is set, are sent to an HTTP origin as
	// basic authentication; empty means the user info of the URL, if any.
	User, Password string

	// Timeout bounds every wait on the origin (connect, each write, each
	// read); 0 means DefaultTimeout (30 s). A long upload from a slow
	// client is fine as long as the origin keeps taking bytes.
	Timeout time.Duration
	// MaxConns limits connections to the origin, for uploads and for
	// downloads each; 0 means DefaultMaxConns (512).
	MaxConns int
	// SkipExistsCheck makes Exists answer false without asking the
	// origin, saving a round trip per upload. Only for an origin that
	// refuses a taken name itself (nginx with configs/nginx-origin.conf,
	// S3 stores that honour If-None-Match: *): a doomed upload's body is
	// then sent before the 409.
	SkipExistsCheck bool
	// TLSConfig for an https origin or S3 endpoint; nil means the
	// system's roots.
	TLSConfig *tls.Config

	// S3Endpoint is the S3 service URL, for example http://127.0.0.1:7070
	// or https://s3.eu-central-1.amazonaws.com; empty means AWS S3 in
	// S3Region.
	S3Endpoint string
	// S3Region signs the requests; empty means DefaultS3Region (us-east-1).
	S3Region string
	// S3PathStyle addresses the bucket as endpoint/bucket/key instead of
	// bucket.endpoint/key. Most self-hosted stores need it.
	S3PathStyle bool
	// S3AccessKey, S3SecretKey and S3SessionToken are the credentials.
	// Without an access key requests are sent unsigned (a public bucket);
	// see CredentialsFromEnv.
	S3AccessKey, S3SecretKey, S3SessionToken string
}

// CredentialsFromEnv fills empty S3 credentials from AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN as getenv returns them
// (os.Getenv in main; a map in tests). Configured keys are kept.
func (o *Options) CredentialsFromEnv(getenv func(string) string) {
	if o.S3AccessKey == "" && o.S3SecretKey == "" {
		o.S3AccessKey = getenv("AWS_ACCESS_KEY_ID")
		o.S3SecretKey = getenv("AWS_SECRET_ACCESS_KEY")
		if o.S3SessionToken == "" {
			o.S3SessionToken = getenv("AWS_SESSION_TOKEN")
		}
	}
}

// WithDefaults returns o with every zero field that has a default set
// to it. The stores call it once, in New.
func (o Options) WithDefaults() Options {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxConns == 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.S3Region == "" {
		o.S3Region = DefaultS3Region
	}
	return o
}

// checkLimits refuses negative limits, which have no meaning.
func (o *Options) checkLimits() error {
	if o.Timeout < 0 {
		return &FieldError{Field: "Timeout", Err: fmt.Errorf("must not be negative, got %v", o.Timeout)}
	}
	if o.MaxConns < 0 {
		return &FieldError{Field: "MaxConns", Err: fmt.Errorf("must not be negative, got %d", o.MaxConns)}
	}
	return nil
}

// FieldError is an origin setting that cannot be used. Field is the name
// of the Options field, or "URL" for the origin URL, so that a caller can
// name its own key for it.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Scheme returns the scheme of an origin URL, lowercased: "http", "https"
// or "s3". It is the one place that decides which store a URL selects.
func Scheme(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", &FieldError{Field: "URL", Err: fmt.Errorf("cannot parse origin URL: %w", err)}
	}
	// url.Parse lowercases the scheme: HTTP://, S3:// are accepted too.
	switch u.Scheme {
	case "http", "https", "s3":
		return u.Scheme, nil
	case "":
		return "", &FieldError{Field: "URL", Err: fmt.Errorf("%q is not a URL; want http(s)://HOST/PATH/ or s3://BUCKET/PREFIX", rawURL)}
	}
	return "", &FieldError{Field: "URL", Err: fmt.Errorf("scheme %q is not http, https or s3", u.Scheme)}
}

// Header is one static request header sent to the origin.
type Header struct {
	Name, Value string
}

// hopByHop are headers that belong to one connection (RFC 9110 §7.6.1)
// or to the framing the client sets itself.
var hopByHop = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-authenticate": true,
	"proxy-authorization": true, "proxy-connection": true, "te": true,
	"trailer": true, "transfer-encoding": true, "upgrade": true,
	"host": true, "content-length": true,
}

var errHeaderForm = errors.New(`want "Name: value"`)

// ParseHeaders parses Options.Headers, in their order; it is the only
// parser of them. Names and values are trimmed of spaces.
func ParseHeaders(list []string) ([]Header, error) {
	out := make([]Header, 0, len(list)+1)
	for _, h := range list {
		name, value, ok := strings.Cut(h, ":")
		name, value = httpsem.TrimSpace(name), httpsem.TrimSpace(value)
		switch {
		case !ok || name == "":
			return nil, &FieldError{Field: "Headers", Err: fmt.Errorf("cannot send header %q to the origin: %w", h, errHeaderForm)}
		case hopByHop[strings.ToLower(name)]:
			return nil, &FieldError{Field: "Headers", Err: fmt.Errorf("cannot send header %q to the origin: hop-by-hop or framing header", name)}
		case strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n"):
			return nil, &FieldError{Field: "Headers", Err: fmt.Errorf("cannot send header %q to the origin: malformed", name)}
		}
		out = append(out, Header{Name: name, Value: value})
	}
	return out, nil
}
