package s3origin

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/internal/originclient"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		url       string
		opts      originclient.Options
		host      string
		basePath  string
		prefix    string
		wantError bool
	}{
		{"s3://bucket", originclient.Options{}, "bucket.s3.us-east-1.amazonaws.com", "/", "", false},
		{"s3://bucket/up/loads/", originclient.Options{S3Region: "eu-west-1"}, "bucket.s3.eu-west-1.amazonaws.com", "/", "up/loads/", false},
		{"s3://bucket/p", originclient.Options{S3Endpoint: "http://127.0.0.1:7070", S3PathStyle: true}, "127.0.0.1:7070", "/bucket/", "p/", false},
		{"http://bucket", originclient.Options{}, "", "", "", true},
		{"s3://", originclient.Options{}, "", "", "", true},
		{"s3://b", originclient.Options{S3Endpoint: "ftp://x"}, "", "", "", true},
		{"s3://b", originclient.Options{S3Endpoint: "http://x/path"}, "", "", "", true},
		{"s3://b", originclient.Options{S3AccessKey: "only-the-key"}, "", "", "", true},
	} {
		s, err := New(tc.url, tc.opts)
		if tc.wantError {
			if err == nil {
				t.Errorf("New(%q, %+v) succeeded; want an error", tc.url, tc.opts)
			}
			continue
		}
		if err != nil {
			t.Errorf("New(%q): %v", tc.url, err)
			continue
		}
		if s.host != tc.host || s.basePath != tc.basePath || s.prefix != tc.prefix {
			t.Errorf("New(%q): host %q base %q prefix %q; want %q %q %q", tc.url, s.host, s.basePath, s.prefix, tc.host, tc.basePath, tc.prefix)
		}
	}
}

func TestBadNames(t *testing.T) {
	s, err := New("s3://b", originclient.Options{S3Endpoint: "http://127.0.0.1:1", S3PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	// Segments of a key are kept as they are up to 255 bytes: 1025 bytes
	// of them are too many.
	for name, want := range map[string]error{"a/\xff": backend.ErrBadName, strings.Repeat("x/", 512) + "x": backend.ErrNameTooLong} {
		if err := s.Put(context.Background(), name, backend.PutInfo{Size: 1, ContentType: "x/y"}, strings.NewReader("x")); !errors.Is(err, want) {
			t.Errorf("Put(%.20q): got %v; want %v", name, err, want)
		}
	}
	p, _ := New("s3://b/pre/fix", originclient.Options{S3Endpoint: "http://127.0.0.1:1", S3PathStyle: true})
	if _, err := p.Get(context.Background(), strings.Repeat("x/", 508)+"x", nil); !errors.Is(err, backend.ErrNameTooLong) {
		t.Errorf("Get of a name over the limit with the prefix: got %v; want ErrNameTooLong", err)
	}
}

// TestUploadIsAWSChunked checks the headers of a signed upload: the body
// goes aws-chunked with a CRC32 trailer, so a cut one cannot look whole.
func TestUploadIsAWSChunked(t *testing.T) {
	var hdr fasthttp.RequestHeader
	var body []byte
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.Request.Header.CopyTo(&hdr)
		body, _ = io.ReadAll(ctx.RequestBodyStream())
	}, StreamRequestBody: true}
	go srv.Serve(ln)
	defer srv.Shutdown()
	s, err := New("s3://bkt/pre", originclient.Options{S3Endpoint: "http://" + ln.Addr().String(), S3PathStyle: true, S3AccessKey: "AK", S3SecretKey: "SK"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), "r/a b.txt", backend.PutInfo{Size: 5, ContentType: "text/plain"}, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"X-Amz-Content-Sha256":         "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
		"Content-Encoding":             "aws-chunked",
		"X-Amz-Decoded-Content-Length": "5",
		"X-Amz-Trailer":                "x-amz-checksum-crc32",
		"If-None-Match":                "*",
		"Content-Type":                 "text/plain",
	} {
		if v := string(hdr.Peek(k)); v != want {
			t.Errorf("%s: got %q; want %q", k, v, want)
		}
	}
	if a := string(hdr.Peek("Authorization")); !strings.HasPrefix(a, "AWS4-HMAC-SHA256 Credential=AK/") || !strings.Contains(a, "if-none-match") {
		t.Errorf("Authorization: got %q; want a SigV4 signature covering if-none-match", a)
	}
	if p := string(hdr.RequestURI()); p != "/bkt/pre/r/a%20b.txt" {
		t.Errorf("path: got %q", p)
	}
	// crc32("hello") = 0x3610a686
	if want := "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\n\r\n\r\n"; string(body) != want {
		t.Errorf("body: got %q; want %q", body, want)
	}
}

func TestActualObjectSize(t *testing.T) {
	for body, want := range map[string]int64{
		`<Error><Code>InvalidRange</Code><ActualObjectSize>1234</ActualObjectSize></Error>`: 1234,
		`<Error><Code>InvalidRange</Code></Error>`:                                          -1,
		`<ActualObjectSize>12`:                   -1,
		`<ActualObjectSize>x</ActualObjectSize>`: -1,
		"":                                       -1,
	} {
		if got := actualObjectSize(strings.NewReader(body)); got != want {
			t.Errorf("actualObjectSize(%q) = %d; want %d", body, got, want)
		}
	}
}
