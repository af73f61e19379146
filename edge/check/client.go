package check

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// client speaks HTTP/1.1 to the base URL's host over raw connections, one
// a request: the checks must send request lines byte for byte as an XMPP
// client does (net/http would re-encode paths) and watch what happens
// while a body is still being sent.
type client struct {
	addr     string // host:port to dial
	host     string // Host header: the URL's host, with its port if it has one
	tls      *tls.Config
	timeout  time.Duration
	verified bool // the TLS config verifies the certificate
}

// newClient returns a client for base; caFile, when not empty, adds
// certificates to the system's roots.
func newClient(base *url.URL, caFile string, timeout time.Duration) (*client, error) {
	c := &client{host: base.Host, timeout: timeout}
	port := base.Port()
	switch base.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		if port == "" {
			port = "443"
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if caFile != "" {
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return nil, fmt.Errorf("cannot read --ca-file: %w", err)
			}
			if !roots.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("cannot use --ca-file %q: no PEM certificate in it", caFile)
			}
		}
		c.tls = &tls.Config{ServerName: base.Hostname(), RootCAs: roots, NextProtos: []string{"http/1.1"}}
		c.verified = true
	default:
		return nil, fmt.Errorf("cannot check %q: the base URL must be http:// or https://", base.String())
	}
	c.addr = net.JoinHostPort(base.Hostname(), port)
	return c, nil
}

// insecure makes the client stop verifying the certificate, so that the
// other checks still run when the TLS check has failed.
func (c *client) insecure() {
	if c.tls != nil {
		c.tls = c.tls.Clone()
		c.tls.InsecureSkipVerify = true
		c.verified = false
	}
}

func (c *client) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{Timeout: c.timeout}
	if c.tls == nil {
		return d.DialContext(ctx, "tcp", c.addr)
	}
	return (&tls.Dialer{NetDialer: d, Config: c.tls}).DialContext(ctx, "tcp", c.addr)
}

// request is one request as it goes on the wire.
type request struct {
	method string
	uri    string // request target, sent as it is
	header []string
	// body, when not nil, is sent with a Content-Length, unless length
	// says otherwise (chunked bodies are not sent by any check).
	body []byte
}

// response is an answer, its body read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// head returns r's request head.
func (c *client) head(r *request) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", r.method, r.uri, c.host, userAgent)
	for _, h := range r.header {
		b.WriteString(h)
		b.WriteString("\r\n")
	}
	if r.body != nil {
		b.WriteString("Content-Length: " + strconv.Itoa(len(r.body)) + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	return []byte(b.String())
}

// do sends r and reads the final answer.
func (c *client) do(ctx context.Context, r *request) (*response, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(c.timeout))
	msg := append(c.head(r), r.body...)
	if _, err := conn.Write(msg); err != nil {
		return nil, fmt.Errorf("cannot send %s %s: %w", r.method, r.uri, err)
	}
	return readFinal(bufio.NewReader(conn), r.method)
}

// readFinal reads answers until a final one (skipping 1xx) and its body.
func readFinal(br *bufio.Reader, method string) (*response, error) {
	for {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			return nil, fmt.Errorf("cannot read the answer: %w", err)
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				return nil, fmt.Errorf("cannot read the answer's body: %w", err)
			}
			return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
		}
	}
}

// streamed is the outcome of a streamed upload (stream).
type streamed struct {
	resp *response
	// continued: a 100 Continue came before the final answer.
	continued bool
	// sentAtAnswer is how many body bytes had been written when the
	// final answer arrived; -1 when it came before the body was started.
	sentAtAnswer int64
	size         int64
}

// streamOptions shape how stream sends a body.
type streamOptions struct {
	// expectWait is how long to wait for an answer to Expect:
	// 100-continue before sending the body anyway (RFC 9110 §10.1.1);
	// zero sends no Expect.
	expectWait time.Duration
	// firstPart is sent before pausing up to pause for an answer: a
	// proxy that passes bodies through answers a refused upload while
	// the rest is unsent, one that buffers does not.
	firstPart int64
	pause     time.Duration
}

// stream sends a PUT with a body of size bytes (zeros), watching for the
// final answer while it writes, and stops writing once it has one.
func (c *client) stream(ctx context.Context, r *request, size int64, o streamOptions) (*streamed, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(c.timeout + o.expectWait + o.pause))
	if o.expectWait > 0 {
		r.header = append(r.header, "Expect: 100-continue")
	}
	r.header = append(r.header, "Content-Length: "+strconv.FormatInt(size, 10))
	if _, err := conn.Write(c.head(r)); err != nil {
		return nil, fmt.Errorf("cannot send the request head: %w", err)
	}
	var sent atomic.Int64
	sent.Store(-1)
	out := &streamed{size: size}
	type answer struct {
		resp *response
		err  error
	}
	interim := make(chan struct{}, 1)
	final := make(chan answer, 1)
	go func() {
		br := bufio.NewReader(conn)
		for {
			resp, err := http.ReadResponse(br, &http.Request{Method: r.method})
			if err != nil {
				final <- answer{err: fmt.Errorf("cannot read the answer: %w", err)}
				return
			}
			if resp.StatusCode < 200 {
				interim <- struct{}{}
				continue
			}
			at := sent.Load()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			out.sentAtAnswer = at
			final <- answer{resp: &response{status: resp.StatusCode, header: resp.Header, body: body}}
			return
		}
	}()
	done := func(a answer) (*streamed, error) {
		if a.err != nil {
			return nil, a.err
		}
		out.resp = a.resp
		return out, nil
	}
	if o.expectWait > 0 {
		select {
		case a := <-final:
			return done(a)
		case <-interim:
			out.continued = true
		case <-time.After(o.expectWait):
		}
	}
	sent.Store(0)
	buf := make([]byte, 64<<10)
	paused := false
	for n := int64(0); n < size; {
		select {
		case a := <-final:
			return done(a)
		default:
		}
		if !paused && n >= o.firstPart {
			paused = true
			select {
			case a := <-final:
				return done(a)
			case <-time.After(o.pause):
			}
		}
		part := buf[:min(int64(len(buf)), size-n)]
		if _, err := conn.Write(part); err != nil {
			// The server may close after answering; the answer tells.
			break
		}
		n += int64(len(part))
		sent.Store(n)
	}
	select {
	case a := <-final:
		return done(a)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
