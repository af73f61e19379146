// Package s3origin keeps uploads in an S3-compatible bucket (AWS S3,
// Ceph RGW, MinIO, Garage, SeaweedFS, Versity): the edge verifies the
// token, then streams the body to the bucket with a single PutObject.
//
// Requests are signed with SigV4 by minio-go's signer and sent with
// fasthttp. The body is not hashed (x-amz-content-sha256: UNSIGNED-PAYLOAD)
// so that it streams through without being buffered; TLS protects it in
// transit. Uploads carry If-None-Match: * (conditional write), so a name
// is never overwritten on stores that support it, and of concurrent
// uploads to one name exactly one wins.
package s3origin

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"unicode/utf8"

	"github.com/minio/minio-go/v7/pkg/signer"
	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httporigin"
	"github.com/upedge/upedge/backend/internal/originclient"
	"github.com/upedge/upedge/backend/longname"
)

// metaPrefix starts the headers of S3 user metadata: the uploader and
// expiry of an upload are kept as x-amz-meta-upedge-uploader and
// x-amz-meta-upedge-expires (see originclient.Config.MetaPrefix).
const metaPrefix = "x-amz-meta-"

// maxKeyLen is S3's limit on object key length in bytes.
const maxKeyLen = 1024

// emptySHA256 is the payload hash of a request without a body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Store is a backend.Store on an S3 bucket.
type Store struct {
	*originclient.Client // Check is the client's; Exists, Put, Get check names first
	bucket               string
	prefix               string // key prefix, "" or ending in "/"
	basePath             string // unescaped request path before the key: "/" or "/bucket/"
	scheme               string
	host                 string
	opts                 originclient.Options
}

var _ backend.Store = (*Store)(nil)

// New returns a Store for rawURL, s3://BUCKET or s3://BUCKET/PREFIX. It
// reads the S3 fields of opts and the connection settings; opts.Headers
// are for HTTP origins, but are checked here too, so that a mistake in
// them is found whichever origin is configured.
func New(rawURL string, opts originclient.Options) (*Store, error) {
	scheme, err := originclient.Scheme(rawURL)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil || scheme != "s3" || u.Host == "" {
		return nil, fieldError("URL", "cannot use S3 origin URL %q: want s3://BUCKET[/PREFIX]", rawURL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fieldError("URL", "cannot use S3 origin URL %q: credentials, query or fragment not allowed", rawURL)
	}
	if _, err := originclient.ParseHeaders(opts.Headers); err != nil {
		return nil, err
	}
	opts = opts.WithDefaults()
	endpoint := opts.S3Endpoint
	if endpoint == "" {
		endpoint = "https://s3." + opts.S3Region + ".amazonaws.com"
	}
	ep, err := url.Parse(endpoint)
	if err != nil || ep.Scheme != "http" && ep.Scheme != "https" || ep.Host == "" || (ep.Path != "" && ep.Path != "/") {
		return nil, fieldError("S3Endpoint", "cannot use S3 endpoint %q: want http(s)://HOST[:PORT]", endpoint)
	}
	if (opts.S3AccessKey == "") != (opts.S3SecretKey == "") {
		return nil, fieldError("S3AccessKey", "cannot use S3 credentials: access key and secret key must be given together")
	}
	s := &Store{
		bucket: u.Host,
		prefix: strings.Trim(u.Path, "/"),
		scheme: ep.Scheme,
		opts:   opts,
	}
	if s.prefix != "" {
		s.prefix += "/"
	}
	tlsOn := ep.Scheme == "https"
	s.host = ep.Host
	s.basePath = "/" + s.bucket + "/"
	if !opts.S3PathStyle {
		s.host = s.bucket + "." + ep.Host
		s.basePath = "/"
	}
	addr := s.host
	if ep.Port() == "" {
		port := "80"
		if tlsOn {
			port = "443"
		}
		addr = net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(hostOnly(s.host), "["), "]"), port)
	}
	label := "s3://" + s.bucket + "/" + s.prefix + " at " + ep.Scheme + "://" + ep.Host
	s.Client, err = originclient.New(originclient.Config{
		Options: opts,
		Label:   label,
		TLS:     tlsOn,
		Addr:    addr,
		Host:    s.host,
		AppendPath: func(dst []byte, name string) []byte {
			// The same escaping as the signer's canonical URI (minio-go's
			// s3utils.EncodePath) for the valid UTF-8 names let through.
			dst = httporigin.AppendEscapedPath(dst, s.basePath)
			dst = httporigin.AppendEscapedPath(dst, s.prefix)
			return httporigin.AppendEscapedPath(dst, key(name))
		},
		Sign:              s.sign,
		UnsatisfiableSize: actualObjectSize,
		MetaPrefix:        metaPrefix,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func fieldError(field, format string, args ...any) error {
	return &originclient.FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// sign adds the SigV4 headers to req. All headers set so far are signed,
// and so are the path and the query of its URI.
func (s *Store) sign(req *fasthttp.Request, _ string) error {
	if s.opts.S3AccessKey == "" {
		return nil
	}
	uri := req.URI()
	path, err := url.PathUnescape(string(uri.PathOriginal()))
	if err != nil {
		return fmt.Errorf("cannot sign request path %q: %w", uri.PathOriginal(), err)
	}
	method := string(req.Header.Method())
	payload := emptySHA256
	if method == fasthttp.MethodPut {
		payload = "UNSIGNED-PAYLOAD"
	}
	h := make(http.Header, 8)
	for k, v := range req.Header.All() {
		switch strings.ToLower(string(k)) {
		case "host", "content-length", "user-agent", "connection", "authorization":
			continue
		}
		h.Add(string(k), string(v))
	}
	hreq := http.Request{
		Method: method,
		URL:    &url.URL{Scheme: s.scheme, Host: s.host, Path: path, RawQuery: string(uri.QueryString())},
		Host:   s.host,
		Header: h,
	}
	size := int64(req.Header.ContentLength())
	if method != fasthttp.MethodPut || size <= 0 {
		h.Set(contentSHA256, payload)
		signed := signer.SignV4(hreq, s.opts.S3AccessKey, s.opts.S3SecretKey, s.opts.S3SessionToken, s.opts.S3Region)
		copyHeaders(req, signed.Header)
		return nil
	}
	// An upload goes aws-chunked with a CRC32 trailer
	// (STREAMING-UNSIGNED-PAYLOAD-TRAILER): the store sees the end of the
	// body only in the closing chunk, which is sent after the whole body
	// arrived from the client. A plain PUT cut short is stored truncated
	// by some S3 servers (Versity 1.8.0 does); a cut aws-chunked one
	// cannot be mistaken for complete. The checksum, computed as the body
	// streams, also guards the bytes end to end.
	trailer := http.Header{crcTrailer: []string{"AAAAAA=="}} // placeholder of the final length
	hreq.Body = &crcReader{r: req.BodyStream(), crc: crc32.NewIEEE(), trailer: trailer}
	hreq.ContentLength = size
	h.Set(contentSHA256, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	signed := signer.SignV4Trailer(hreq, s.opts.S3AccessKey, s.opts.S3SecretKey, s.opts.S3SessionToken, s.opts.S3Region, trailer)
	copyHeaders(req, signed.Header)
	req.SetBodyStream(signed.Body, int(signed.ContentLength))
	return nil
}

const (
	crcTrailer    = "X-Amz-Checksum-Crc32"
	contentSHA256 = "X-Amz-Content-Sha256" // the payload hash SigV4 signs
)

func copyHeaders(req *fasthttp.Request, h http.Header) {
	for k, vs := range h {
		if len(vs) > 0 {
			req.Header.Set(k, vs[0])
		}
	}
}

// crcReader computes the CRC32 of the body as it streams and sets the
// trailer value once the body ended; the signer's chunk writer sends the
// trailer only after that.
type crcReader struct {
	r       io.Reader
	crc     hash.Hash32
	trailer http.Header
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc.Write(p[:n])
	if err == io.EOF {
		c.trailer.Set(crcTrailer, base64.StdEncoding.EncodeToString(c.crc.Sum(nil)))
	}
	return n, err
}

func (c *crcReader) Close() error { return nil }

// key returns the key of name below the prefix: name itself, but for
// segments over longname.NameMax bytes, which S3 allows but MinIO and
// Versity's posix backend refuse (400), so that every S3 server holds
// every name the edge accepts. They are stored in their backend/longname
// form: a readable head, a hash and the extension.
//
// List cannot read a slot path back from such a key (S3 keeps at most
// 2 KB of user metadata, too little for the longest names escaped): it
// names those objects by their key, marked with KeyMark, which Delete
// takes back, so that a purge removes them too.
func key(name string) string {
	if k, ok := strings.CutPrefix(name, KeyMark); ok {
		return k
	}
	return longname.Map(name, longname.NameMax)
}

// KeyMark starts the names List gives objects stored under a longname
// key: the key below the prefix follows. No slot path starts with it
// (edge/urlpath refuses control bytes), and Exists, Put and Get refuse
// such names.
const KeyMark = "\x00"

// checkName refuses names S3 cannot hold as keys: longer than 1024
// bytes with the prefix (ErrNameTooLong), or not UTF-8, which the signer
// would escape differently from the request path (ErrBadName).
func (s *Store) checkName(name string) error {
	if strings.HasPrefix(name, KeyMark) {
		return backend.ErrBadName
	}
	if len(s.prefix)+len(key(name)) > maxKeyLen {
		return backend.ErrNameTooLong
	}
	if !utf8.ValidString(name) {
		return backend.ErrBadName
	}
	return nil
}

// Exists implements backend.Store with HeadObject. A bucket policy that
// denies s3:ListBucket makes S3 answer 403 instead of 404 for a missing
// key; that is reported as ErrUnavailable, since the edge could not tell.
func (s *Store) Exists(ctx context.Context, name string) (bool, error) {
	if err := s.checkName(name); err != nil {
		return false, err
	}
	return s.Client.Exists(ctx, name)
}

// Put implements backend.Store with a conditional PutObject
// (If-None-Match: *): 412 and 409 (a concurrent conditional write) are
// ErrExists. A single PutObject holds at most MaxObjectSize bytes.
func (s *Store) Put(ctx context.Context, name string, info backend.PutInfo, body io.Reader) error {
	if err := s.checkName(name); err != nil {
		return err
	}
	return s.Client.Put(ctx, name, info, body)
}

// MaxObjectSize is the most a single PutObject holds: 5 GiB.
const MaxObjectSize = 5 << 30

// Get implements backend.Store with GetObject/HeadObject; the store
// evaluates Range and the preconditions.
func (s *Store) Get(ctx context.Context, name string, req *backend.GetRequest) (*backend.Object, error) {
	if err := s.checkName(name); err != nil {
		if errors.Is(err, backend.ErrNameTooLong) {
			return nil, err
		}
		return nil, backend.ErrNotFound
	}
	return s.Client.Get(ctx, name, req)
}

// actualObjectSize reads N from S3's <ActualObjectSize>N</ActualObjectSize>
// in a small error body, or returns -1.
func actualObjectSize(r io.Reader) int64 {
	var buf [2048]byte
	n, _ := io.ReadFull(r, buf[:])
	b := buf[:n]
	const open, end = "<ActualObjectSize>", "</ActualObjectSize>"
	i := bytes.Index(b, []byte(open))
	if i < 0 {
		return -1
	}
	b = b[i+len(open):]
	j := bytes.Index(b, []byte(end))
	if j < 0 {
		return -1
	}
	v, err := strconv.ParseInt(string(b[:j]), 10, 64)
	if err != nil {
		return -1
	}
	return v
}
