package check

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/upedge/upedge/edge"
	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// userAgent names the check in the edge's and the proxy's logs.
const userAgent = "upedge-check"

// The names the check uploads, below a fresh random directory: one with a
// space, non-ASCII letters, '+' and '%', which proxies that decode and
// re-encode paths get wrong, and an HTML file for the safety headers.
const (
	fileName    = "upedge check é+50%.bin"
	fileType    = "application/octet-stream"
	htmlName    = "upedge check.html"
	htmlType    = "text/html"
	htmlContent = "<!doctype html><title>upedge check</title><script>alert(document.domain)</script>\n"
)

// firstPart is what a refused upload sends before it pauses for the
// answer: a little of the body, so that the edge (or a proxy that passes
// bodies through) has something to decide on.
const firstPart = 256 << 10

// run is the state of one run of the checks.
type run struct {
	opts   Options
	base   *url.URL
	c      *client
	signer *token.Signer
	dir    string
	rep    *Report

	file     []byte
	get      string // request target of the uploaded file
	uploaded bool
	etag     string
	stored   []string // slot paths stored, for the cleanup
}

func (r *run) add(name string, st Status, adv *Advice, format string, args ...any) {
	res := Result{Name: name, Status: st, Detail: fmt.Sprintf(format, args...)}
	if st == Fail || st == Warn {
		res.Advice = adv
	}
	r.rep.Checks = append(r.rep.Checks, res)
}

func (r *run) skip(name, why string) { r.add(name, Skip, nil, "%s", why) }

// all runs the checks in the order an operator fixes things: reaching the
// edge, uploading, downloading, browsers, refusals, cleaning up.
func (r *run) all(ctx context.Context) {
	if !r.tls(ctx) {
		return
	}
	r.upload(ctx)
	r.downloads(ctx)
	r.safety(ctx)
	r.hsts(ctx)
	r.cors(ctx)
	r.refused(ctx, "refuse-expect", true)
	r.refused(ctx, "refuse-no-expect", false)
	r.cleanup(ctx)
}

// target returns the request target (path and query) of a URL on the base.
func (r *run) target(u string) string {
	return strings.TrimPrefix(u, r.base.Scheme+"://"+r.base.Host)
}

// testSlot is a slot of the run: request targets, and the PUT's headers
// (a JWT's Authorization).
type testSlot struct {
	put, get string
	header   []string
}

// slot returns the slot of path for size bytes of type ctype, escaped as
// Prosody escapes paths.
func (r *run) slot(path string, size int64, ctype string) testSlot {
	now := r.opts.Now().Unix()
	req := slot.Request{
		Version: r.opts.Version, Base: r.base.String(), Path: path, Size: size, ContentType: ctype,
		Uploader: r.opts.Uploader, Timestamp: now, Escape: slot.ProsodyEscape,
	}
	switch r.opts.Version {
	case token.V3Expires:
		req.Expires = now + slotLifetime
	case token.JWT:
		// The file's own expiry, which upedge enforces: test files the
		// cleanup could not remove go after a day.
		req.Expires = now + fileLifetime
	}
	sl := slot.Sign(r.signer, req)
	ts := testSlot{put: r.target(sl.Put), get: r.target(sl.Get)}
	if sl.Authorization != "" {
		ts.header = []string{"Authorization: " + sl.Authorization}
	}
	return ts
}

// Lifetimes of the slots the check signs, in seconds: a v3-expires URL's,
// as an XMPP server would give it, and a JWT file's.
const (
	slotLifetime = 300
	fileLifetime = 86400
)

func (r *run) probe() string {
	return edge.ProbeHeader + ": " + string(r.signer.AppendProbe(nil, r.opts.Now().Unix()))
}

// tls checks the certificate, and reports whether the edge can be reached
// at all.
func (r *run) tls(ctx context.Context) bool {
	const name = "tls"
	if r.c.tls == nil {
		conn, err := r.c.dial(ctx)
		if err != nil {
			r.add("connect", Fail, adviceUnreachable, "cannot connect to %s: %v", r.c.addr, err)
			return false
		}
		conn.Close()
		r.add(name, Warn, &Advice{
			Cause:   "the base URL is plain http://: XMPP clients and browsers expect https:// slots",
			Nginx:   "listen 443 ssl; with ssl_certificate for the host (see the README, Deploy)",
			Caddy:   "a site address with the host name gets a certificate by itself",
			HAProxy: "bind :443 ssl crt /etc/haproxy/certs/HOST.pem",
			Upedge:  "or tls_cert and tls_key on the edge itself",
		}, "not checked: the base URL is plain http://")
		return true
	}
	conn, err := r.c.dial(ctx)
	var verr error
	if err != nil {
		var certErr *tls.CertificateVerificationError
		if !errors.As(err, &certErr) {
			r.add("connect", Fail, adviceUnreachable, "cannot connect to %s: %v", r.c.addr, err)
			return false
		}
		// Run the other checks all the same: they say what else is
		// wrong.
		verr = err
		r.c.insecure()
		if conn, err = r.c.dial(ctx); err != nil {
			r.add("connect", Fail, adviceUnreachable, "cannot connect to %s: %v", r.c.addr, err)
			return false
		}
	}
	leaf := conn.(*tls.Conn).ConnectionState().PeerCertificates[0]
	conn.Close()
	left := leaf.NotAfter.Sub(r.opts.Now())
	days := int(left.Hours() / 24)
	until := leaf.NotAfter.UTC().Format("2006-01-02")
	switch {
	case verr != nil:
		r.add(name, Fail, adviceTLS, "certificate for %s not valid: %v (the other checks ran without verifying it)", r.base.Hostname(), verr)
	case days < WarnDays:
		r.add(name, Warn, adviceTLSRenewal, "certificate for %s valid until %s: %d days left", r.base.Hostname(), until, days)
	default:
		r.add(name, Pass, nil, "certificate for %s valid until %s (%d days), issued by %s", r.base.Hostname(), until, days, leaf.Issuer.CommonName)
	}
	return true
}

// upload uploads the test file and checks, from the edge's
// Upedge-Received, that its Content-Length, path and query arrived as
// sent.
func (r *run) upload(ctx context.Context) {
	r.file = make([]byte, r.opts.UploadSize)
	rand.Read(r.file)
	path := r.dir + "/" + fileName
	sl := r.slot(path, int64(len(r.file)), fileType)
	put, get := sl.put, sl.get
	resp, err := r.c.do(ctx, &request{method: "PUT", uri: put, body: r.file,
		header: append([]string{"Content-Type: " + fileType, r.probe()}, sl.header...)})
	if err != nil {
		r.add("upload", Fail, adviceUnreachable, "PUT %s: %v", put, err)
		r.skip("content-length", "no answer to the upload")
		r.skip("path", "no answer to the upload")
		return
	}
	r.get = get
	size := int64(len(r.file))
	shown, _, _ := strings.Cut(put, "?") // the token is noise here
	// The upload's line goes first, though it is decided last.
	at := len(r.rep.Checks)
	defer r.moveLast(at)
	rcvd, seen := received(resp)
	if !seen {
		r.uploadUnseen(resp, shown, size)
		return
	}
	lengthOK := rcvd.Length == size
	switch rcvd.Length {
	case size:
		r.add("content-length", Pass, nil, "upedge received Content-Length %d, as sent", size)
	case edge.LengthChunked:
		r.add("content-length", Fail, adviceChunked, "upedge received the body chunked, without Content-Length (sent Content-Length %d)", size)
	case edge.LengthNone:
		r.add("content-length", Fail, adviceChunked, "upedge received no Content-Length (sent %d)", size)
	default:
		r.add("content-length", Fail, adviceChunked, "upedge received Content-Length %d (sent %d)", rcvd.Length, size)
	}
	pathOK := r.comparePath(put, rcvd.URI)
	switch {
	case resp.status == 201:
		r.uploaded = true
		r.stored = append(r.stored, path)
		r.add("upload", Pass, nil, "201 Created for %d bytes to %s", size, shown)
	case !lengthOK || !pathOK:
		r.add("upload", Fail, nil, "%d for PUT %s: the request did not reach upedge as sent (below)", resp.status, shown)
	case resp.status == 403 && rcvd.ContentType != fileType:
		r.add("upload", Fail, adviceHeaders, "403: upedge received Content-Type %q (sent %q), which the %s token signs", rcvd.ContentType, fileType, r.opts.Version)
	case resp.status == 409:
		r.add("upload", Fail, nil, "409 Conflict for a fresh random name %s: is something else answering for upedge?", shown)
	case resp.status == 413:
		r.add("upload", Fail, &Advice{Cause: "the test upload is larger than upedge's max_file_size", Upedge: "run check with a smaller --size, or raise max_file_size to the XMPP server's limit"}, "413 from upedge for %d bytes", size)
	case resp.status >= 500:
		r.add("upload", Fail, adviceStore, "%d from upedge for PUT %s", resp.status, shown)
	default:
		r.add("upload", Fail, nil, "%d from upedge for PUT %s although it arrived as sent", resp.status, shown)
	}
}

// uploadUnseen judges an upload whose answer has no Upedge-Received:
// either the edge did not recognise the probe (a wrong secret), or the
// answer is the proxy's own.
func (r *run) uploadUnseen(resp *response, put string, size int64) {
	if resp.status == 201 {
		// The token signs the decoded path and the length: both arrived.
		r.uploaded = true
		r.stored = append(r.stored, r.dir+"/"+fileName)
		unseen := &Advice{
			Cause:   "the answer carries no " + edge.ReceivedHeader + ": the proxy drops unknown response headers, or the edge is older than this check",
			Nginx:   "no proxy_hide_header " + edge.ReceivedHeader,
			Caddy:   "no header -" + edge.ReceivedHeader,
			HAProxy: "no http-response del-header " + edge.ReceivedHeader,
		}
		r.add("content-length", Pass, nil, "the token, which signs it, passed (upedge did not say what it received)")
		r.add("path", Warn, unseen, "the token, which signs the decoded path, passed; whether the proxy re-encodes paths is unknown")
		r.add("upload", Pass, nil, "201 Created for %d bytes to %s", size, put)
		return
	}
	r.skip("content-length", "upedge did not say what it received")
	r.skip("path", "upedge did not say what it received")
	switch {
	case resp.status == 403:
		r.add("upload", Fail, adviceSecret, "403 Forbidden for PUT %s", put)
	case resp.status == 404:
		r.add("upload", Fail, adviceRouting, "404 Not Found for PUT %s", put)
	case resp.status == 411:
		r.add("upload", Fail, adviceChunked, "411 Length Required for PUT %s with Content-Length %d", put, size)
	case resp.status == 413:
		r.add("upload", Fail, adviceBodyLimit, "413 for %d bytes, not from upedge", size)
	case resp.status == 502 || resp.status == 503 || resp.status == 504:
		r.add("upload", Fail, adviceUnreachable, "%d from the proxy for PUT %s", resp.status, put)
	default:
		r.add("upload", Fail, nil, "%d for PUT %s, without a word from upedge", resp.status, put)
	}
}

// moveLast moves the last result to index at.
func (r *run) moveLast(at int) {
	c := r.rep.Checks
	if at >= len(c)-1 {
		return
	}
	last := c[len(c)-1]
	copy(c[at+1:], c[at:len(c)-1])
	c[at] = last
}

// comparePath checks that the request target arrived as sent, and
// reports whether the token could pass.
func (r *run) comparePath(sent, got string) bool {
	if got == sent {
		r.add("path", Pass, nil, "upedge received the path and query as sent")
		return true
	}
	sp, sq, _ := strings.Cut(sent, "?")
	gp, gq, _ := strings.Cut(got, "?")
	if sq != gq {
		r.add("path", Fail, adviceQuery, "upedge received the query %q (sent %q)", gq, sq)
		return false
	}
	ds, err1 := url.PathUnescape(sp)
	dg, err2 := url.PathUnescape(gp)
	if err1 == nil && err2 == nil && ds == dg {
		r.add("path", Warn, advicePathReencoded, "upedge received the path %s (sent %s)", gp, sp)
		return true
	}
	r.add("path", Fail, advicePathRewritten, "upedge received the path %s (sent %s)", gp, sp)
	return false
}

// received returns what the edge said it received, if it did.
func received(resp *response) (edge.Received, bool) {
	v := resp.header.Get(edge.ReceivedHeader)
	if v == "" {
		return edge.Received{}, false
	}
	rcvd, err := edge.ParseReceived(v)
	return rcvd, err == nil
}

// downloads checks HEAD, GET, Range, If-None-Match and a large request
// head on the uploaded file.
func (r *run) downloads(ctx context.Context) {
	names := []string{"head", "get", "range", "if-none-match", "head-8k"}
	if !r.uploaded {
		for _, n := range names {
			r.skip(n, "nothing uploaded to download")
		}
		return
	}
	size := len(r.file)
	if resp, err := r.c.do(ctx, &request{method: "HEAD", uri: r.get}); err != nil {
		r.add("head", Fail, adviceUnreachable, "HEAD: %v", err)
	} else if cl := resp.header.Get("Content-Length"); resp.status != 200 || cl != strconv.Itoa(size) {
		r.add("head", Fail, adviceHeaders, "HEAD: %d with Content-Length %q; want 200 with %d (XMPP clients decide on auto-download from it)", resp.status, cl, size)
	} else {
		r.add("head", Pass, nil, "200 with Content-Length %d", size)
	}

	resp, err := r.c.do(ctx, &request{method: "GET", uri: r.get})
	switch {
	case err != nil:
		r.add("get", Fail, adviceUnreachable, "GET: %v", err)
	case resp.status != 200:
		r.add("get", Fail, adviceRouting, "GET: %d; want 200", resp.status)
	case !bytes.Equal(resp.body, r.file):
		r.add("get", Fail, adviceBody, "GET: %d bytes that differ from the %d uploaded", len(resp.body), size)
	case resp.header.Get("Content-Type") != fileType:
		r.add("get", Fail, adviceHeaders, "GET: Content-Type %q; want %q, as uploaded", resp.header.Get("Content-Type"), fileType)
	default:
		r.etag = resp.header.Get("ETag")
		r.add("get", Pass, nil, "200, %d bytes as uploaded, Content-Type %s", size, fileType)
	}

	from, to := size/3, size/3+1023
	want := fmt.Sprintf("bytes %d-%d/%d", from, to, size)
	resp, err = r.c.do(ctx, &request{method: "GET", uri: r.get, header: []string{fmt.Sprintf("Range: bytes=%d-%d", from, to)}})
	switch {
	case err != nil:
		r.add("range", Fail, adviceUnreachable, "GET with Range: %v", err)
	case resp.status != 206 || resp.header.Get("Content-Range") != want || !bytes.Equal(resp.body, r.file[from:to+1]):
		r.add("range", Fail, adviceRange, "Range: bytes=%d-%d: %d with Content-Range %q and %d bytes; want 206, %q and those bytes", from, to, resp.status, resp.header.Get("Content-Range"), len(resp.body), want)
	default:
		r.add("range", Pass, nil, "206 with Content-Range %s and its bytes", want)
	}

	if r.etag == "" {
		r.add("if-none-match", Fail, adviceConditional, "the download has no ETag to ask with")
	} else if resp, err := r.c.do(ctx, &request{method: "GET", uri: r.get, header: []string{"If-None-Match: " + r.etag}}); err != nil {
		r.add("if-none-match", Fail, adviceUnreachable, "GET with If-None-Match: %v", err)
	} else if resp.status != 304 {
		r.add("if-none-match", Fail, adviceConditional, "If-None-Match: %s: %d; want 304", r.etag, resp.status)
	} else {
		r.add("if-none-match", Pass, nil, "304 Not Modified for its ETag %s", r.etag)
	}

	r.headSize(ctx)
}

// headSize sends a GET whose request head is 8 KiB, most of it one
// Cookie line, as a browser with many cookies for the domain does.
func (r *run) headSize(ctx context.Context) {
	const size = 8 << 10
	req := &request{method: "GET", uri: r.get, header: []string{"Cookie: c="}}
	pad := size - len(r.c.head(req))
	req.header[0] += strings.Repeat("x", pad)
	resp, err := r.c.do(ctx, req)
	switch {
	case err != nil:
		r.add("head-8k", Fail, adviceHeadSize, "GET with an 8 KiB request head: %v", err)
	case resp.status != 200:
		r.add("head-8k", Fail, adviceHeadSize, "GET with an 8 KiB request head (a %d-byte Cookie line): %d; want 200", pad+len("Cookie: c="), resp.status)
	default:
		r.add("head-8k", Pass, nil, "200 for a GET with an 8 KiB request head")
	}
}

// safety uploads an HTML file and checks that it comes back with the
// headers that keep it from running on the upload domain.
func (r *run) safety(ctx context.Context) {
	const name = "safety-headers"
	path := r.dir + "/" + htmlName
	sl := r.slot(path, int64(len(htmlContent)), htmlType)
	resp, err := r.c.do(ctx, &request{method: "PUT", uri: sl.put, body: []byte(htmlContent), header: append([]string{"Content-Type: " + htmlType}, sl.header...)})
	switch {
	case err != nil:
		r.add(name, Fail, adviceUnreachable, "cannot upload the HTML test file: %v", err)
		return
	case resp.status != 201:
		r.add(name, Fail, nil, "cannot upload the HTML test file: %d (see upload)", resp.status)
		return
	}
	r.stored = append(r.stored, path)
	resp, err = r.c.do(ctx, &request{method: "GET", uri: sl.get})
	if err != nil {
		r.add(name, Fail, adviceUnreachable, "GET: %v", err)
		return
	}
	var missing []string
	if v := resp.header.Get("X-Content-Type-Options"); !strings.EqualFold(v, "nosniff") {
		missing = append(missing, fmt.Sprintf("X-Content-Type-Options %q (want nosniff)", v))
	}
	if csp := resp.header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		missing = append(missing, fmt.Sprintf("Content-Security-Policy %q (want sandbox and default-src 'none')", csp))
	}
	if cd := resp.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		missing = append(missing, fmt.Sprintf("Content-Disposition %q (want attachment for HTML)", cd))
	}
	if resp.status != 200 || len(missing) > 0 {
		r.add(name, Fail, adviceHeaders, "HTML download: %d; %s", resp.status, strings.Join(missing, "; "))
		return
	}
	r.add(name, Pass, nil, "HTML download: nosniff, a sandboxing Content-Security-Policy, Content-Disposition attachment")
}

// hsts checks that answers over HTTPS tell browsers to keep to HTTPS
// (XEP-0363's security considerations): upedge sends it where it ends TLS
// itself, a proxy in front must add it. Missing is a warning: uploads
// work without it.
func (r *run) hsts(ctx context.Context) {
	const name = "hsts"
	if r.c.tls == nil {
		r.skip(name, "plain http://")
		return
	}
	uri := r.get
	if uri == "" {
		uri = r.slot(r.dir+"/missing.txt", 0, "").get
	}
	resp, err := r.c.do(ctx, &request{method: "HEAD", uri: uri})
	if err != nil {
		r.add(name, Fail, adviceUnreachable, "HEAD: %v", err)
		return
	}
	v := resp.header.Get("Strict-Transport-Security")
	if age, ok := hstsMaxAge(v); !ok || age <= 0 {
		r.add(name, Warn, adviceHSTS, "Strict-Transport-Security %q: browsers are not told to keep to HTTPS", v)
		return
	}
	r.add(name, Pass, nil, "Strict-Transport-Security: %s", v)
}

// hstsMaxAge returns the max-age directive of a Strict-Transport-Security
// value.
func hstsMaxAge(v string) (int64, bool) {
	for _, d := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		if strings.EqualFold(k, "max-age") {
			n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// cors checks a browser's preflight and an error answer from a browser
// origin.
func (r *run) cors(ctx context.Context) {
	sl := r.slot(r.dir+"/browser.txt", 5, "text/plain")
	origin := "Origin: " + r.opts.Origin
	// A browser asks for the headers it will send: a JWT slot's
	// Authorization too, which * does not cover.
	want := []string{"Content-Type"}
	if len(sl.header) > 0 {
		want = append(want, "Authorization")
	}
	resp, err := r.c.do(ctx, &request{method: "OPTIONS", uri: sl.put, header: []string{origin,
		"Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: " + strings.ToLower(strings.Join(want, ", "))}})
	if err != nil {
		r.add("cors-preflight", Fail, adviceUnreachable, "OPTIONS: %v", err)
	} else {
		var bad []string
		if resp.status < 200 || resp.status > 299 {
			bad = append(bad, fmt.Sprintf("status %d", resp.status))
		}
		if o := resp.header.Get("Access-Control-Allow-Origin"); o != "*" && o != r.opts.Origin {
			bad = append(bad, fmt.Sprintf("Access-Control-Allow-Origin %q", o))
		}
		if m := resp.header.Get("Access-Control-Allow-Methods"); !listHas(m, "PUT") {
			bad = append(bad, fmt.Sprintf("Access-Control-Allow-Methods %q (no PUT)", m))
		}
		h := resp.header.Get("Access-Control-Allow-Headers")
		for _, w := range want {
			if !listHas(h, w) && (w == "Authorization" || !listHas(h, "*")) {
				bad = append(bad, fmt.Sprintf("Access-Control-Allow-Headers %q (no %s)", h, w))
			}
		}
		if len(bad) > 0 {
			r.add("cors-preflight", Fail, adviceCORSPreflight, "preflight from %s: %s", r.opts.Origin, strings.Join(bad, ", "))
		} else {
			r.add("cors-preflight", Pass, nil, "%d with Access-Control-Allow-Origin %s, PUT and %s allowed", resp.status, resp.header.Get("Access-Control-Allow-Origin"), strings.Join(want, " and "))
		}
	}
	missing := r.slot(r.dir+"/missing.txt", 0, "").get
	resp, err = r.c.do(ctx, &request{method: "GET", uri: missing, header: []string{origin}})
	switch {
	case err != nil:
		r.add("cors-error", Fail, adviceUnreachable, "GET of a missing file: %v", err)
	case resp.status != 404:
		r.add("cors-error", Fail, adviceRouting, "GET of a missing file: %d; want 404", resp.status)
	case resp.header.Get("Access-Control-Allow-Origin") == "":
		r.add("cors-error", Fail, adviceCORSError, "404 without Access-Control-Allow-Origin")
	default:
		r.add("cors-error", Pass, nil, "404 with Access-Control-Allow-Origin %s", resp.header.Get("Access-Control-Allow-Origin"))
	}
}

// listHas reports whether the comma-separated list has item, ignoring
// case.
func listHas(list, item string) bool {
	for _, v := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(v), item) {
			return true
		}
	}
	return false
}

// refused sends an upload with a wrong token and a large announced body,
// with or without Expect: 100-continue, and measures how much of the body
// was sent when the refusal arrived. upedge decides on the headers; a
// proxy that passes bodies through relays its refusal while most of the
// body is unsent, one that buffers only after the client sent it all.
func (r *run) refused(ctx context.Context, name string, expect bool) {
	size := r.opts.RefuseSize
	// A v1 token that matches nothing, whatever the slots' scheme: upedge
	// refuses it on the headers (403), as it refuses any bad token.
	put := r.slot(r.dir+"/refused.bin", size, fileType).get + "?v=" + strings.Repeat("0", 64)
	o := streamOptions{firstPart: firstPart, pause: r.opts.Pause}
	if expect {
		o.expectWait = r.opts.Pause
	}
	st, err := r.c.stream(ctx, &request{method: "PUT", uri: put, header: []string{"Content-Type: " + fileType, r.probe(), "Origin: " + r.opts.Origin}}, size, o)
	if err != nil {
		r.add(name, Fail, adviceUnreachable, "refused upload of %s: %v", mib(size), err)
		return
	}
	status := st.resp.status
	_, fromEdge := received(st.resp)
	var when string
	switch {
	case st.sentAtAnswer < 0:
		when = "before the body was sent"
	default:
		when = fmt.Sprintf("after %s of %s had been sent", mib(st.sentAtAnswer), mib(size))
		if st.continued {
			when += " (the 100 Continue came first)"
		}
	}
	switch {
	case status < 400:
		r.add(name, Fail, adviceSecret, "an upload with a wrong token got %d", status)
	case status >= 500:
		r.add(name, Fail, adviceUnreachable, "refused upload: %d %s", status, when)
	case !fromEdge && status == 413:
		r.add(name, Warn, adviceBodyLimit, "the proxy itself refused %s with 413 %s: fine if upedge's max_file_size is that small too; else rerun with --refuse-size below it", mib(size), when)
	case st.sentAtAnswer > size/2:
		r.add(name, Fail, adviceBuffering, "the refusal (%d) came %s", status, when)
	case st.resp.header.Get("Access-Control-Allow-Origin") == "":
		r.add(name, Fail, adviceCORSError, "%d %s, but without Access-Control-Allow-Origin", status, when)
	default:
		r.add(name, Pass, nil, "%d %s", status, when)
	}
}

func mib(n int64) string {
	if n < 1<<10 {
		return fmt.Sprintf("%d bytes", n)
	}
	if n < 1<<20 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// cleanup removes what the run stored, with Metronome's signed DELETE
// when it has the delete secret, and otherwise says how to.
func (r *run) cleanup(ctx context.Context) {
	const name = "cleanup"
	if len(r.stored) == 0 {
		r.add(name, Pass, nil, "nothing was stored")
		return
	}
	byHand := fmt.Sprintf("remove them on the edge's host: rm -r STORE/%s (the packaged store: /var/lib/upedge/%s), or let retention remove them", r.dir, r.dir)
	if len(r.opts.DeleteSecret) == 0 {
		r.add(name, Warn, &Advice{
			Cause:  "check cannot remove its uploads without the edge's delete secret",
			Upedge: "pass --delete-secret-file with upedge's delete_secret, or " + byHand,
		}, "%d test files stay in %s/", len(r.stored), r.dir)
		return
	}
	var left []string
	for _, p := range r.stored {
		del := r.target(slot.DeleteURL(r.signer, r.opts.DeleteSecret, r.base.String(), p))
		resp, err := r.c.do(ctx, &request{method: "DELETE", uri: del})
		if err != nil || resp.status != 204 {
			status := 0
			if resp != nil {
				status = resp.status
			}
			left = append(left, fmt.Sprintf("%s (%d %v)", p, status, err))
		}
	}
	if len(left) > 0 {
		r.add(name, Warn, &Advice{
			Cause:  "upedge did not delete the files (405: no delete_secret set; 403: another delete secret)",
			Upedge: "set delete_secret to the secret given with --delete-secret-file, or " + byHand,
		}, "not deleted: %s", strings.Join(left, ", "))
		return
	}
	r.add(name, Pass, nil, "deleted the %d test files", len(r.stored))
}
