// Package edge answers XEP-0363 upload slot requests on fasthttp: PUT with
// a signed token, GET and HEAD downloads, CORS preflights.
//
// The edge verifies tokens and paths on the request headers alone, before a
// byte of body is read (with Expect: 100-continue, before the client sends
// one), and hands accepted bodies to a backend.Store as a stream. It depends
// on the store interface only, so that a local directory and upstream
// origins sit behind the same request path.
package edge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httpsem"
	"github.com/upedge/upedge/edge/token"
	"github.com/upedge/upedge/edge/urlpath"
)

// Defaults of Options and ServerOptions; the config package shows them to
// operators from here.
const (
	// DefaultMaxFileSize is Prosody's default
	// http_upload_external_file_size_limit, in bytes.
	DefaultMaxFileSize = 100 << 20
	// DefaultReadTimeout bounds the wait for request headers and for each
	// pause in an upload body.
	DefaultReadTimeout = 60 * time.Second
	// DefaultIdleTimeout closes keep-alive connections idle this long.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultMaxHeaderLine is nginx's default for one line of a request
	// head (a buffer of large_client_header_buffers).
	DefaultMaxHeaderLine = 8 << 10
	// DefaultCORSOrigin lets the web clients of any chat domain upload
	// (Converse.js, Movim, JSXC); the slots' tokens are what protect
	// uploads, not the origin.
	DefaultCORSOrigin = "*"
	// DefaultHSTS tells browsers to reach the edge only over HTTPS for a
	// year once they have seen it over TLS. It does not cover
	// subdomains: the upload host's parent domain is not ours to commit.
	DefaultHSTS = "max-age=31536000"
)

// Options configure a Handler. The zero value of each field means its
// documented default.
type Options struct {
	Secret []byte // shared with the XMPP server; required
	// PreviousSecrets are accepted next to Secret, for every scheme,
	// while the XMPP servers move to the new secret (rotation); uploads
	// signed with one are counted (SignedWithOldSecret).
	PreviousSecrets [][]byte
	// DeleteSecret, when set, enables Metronome's signed DELETE; without
	// it DELETE is answered 405.
	DeleteSecret []byte
	// TokenSchemes are the token schemes accepted; zero means all.
	TokenSchemes token.Schemes
	Prefix       string        // URL path prefix of slots, e.g. "/upload/"; default "/"
	MaxFileSize  int64         // largest accepted Content-Length; default DefaultMaxFileSize
	V3Window     time.Duration // allowed v3 timestamp skew; default token.DefaultWindow
	// BodyReadTimeout cuts an upload whose client sends nothing for this
	// long. Default DefaultReadTimeout.
	BodyReadTimeout time.Duration
	// MaxHeaderLine bounds each line of a request head, in bytes: a
	// longer request line is answered 414, a longer header field line
	// 431, as nginx's large_client_header_buffers does. Default
	// DefaultMaxHeaderLine. (The server bounds the whole head:
	// ServerOptions.MaxHeaderBytes.)
	MaxHeaderLine int
	// CORSOrigin is sent as Access-Control-Allow-Origin; default
	// DefaultCORSOrigin.
	CORSOrigin string
	// HSTS is sent as Strict-Transport-Security on every answer over TLS
	// (RFC 6797), e.g. DefaultHSTS. Unlike the other fields, "" means
	// none: operators turn it off with an empty value, and the config's
	// default is DefaultHSTS. It must pass ValidHSTS.
	HSTS string
	// Logger receives internal errors (never shown to clients); default
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock for v3 timestamps and file expiries; default
	// time.Now.
	Now func() time.Time

	// --- operations hooks (issue 6) ---

	// Admitter, when set, decides on uploads by their signed uploader
	// (quotas): a v3 token's uploader, a JWT's sub. Uploads without one
	// are not put to it.
	Admitter Admitter
	// Encoder, when set, offers compressed variants of local files.
	Encoder Encoder
	// UploadContext is the context uploads are stored under; cancelling it
	// abandons the uploads in flight (they leave nothing behind). Default
	// context.Background(): shutting the server down lets uploads finish,
	// unlike the request context, which fasthttp cancels at once.
	UploadContext context.Context
	// MinUploadRate, when positive, cuts an upload body that arrives
	// slower than this many bytes per second on average after a first
	// BodyReadTimeout, so that a trickling client cannot hold a
	// connection for ever.
	MinUploadRate int64
}

// Admitter decides on uploads by uploader, before their bodies are read.
// uploader is valid only during the call. Implementations must be safe for
// concurrent use and must not block.
type Admitter interface {
	// Allow reports whether an upload of size bytes may start; it changes
	// nothing (used on Expect: 100-continue).
	Allow(uploader []byte, size int64) bool
	// Reserve books size bytes for an upload about to be read, or reports
	// false when that would exceed a limit.
	Reserve(uploader []byte, size int64) bool
	// Done ends a reservation: stored says whether the upload was kept
	// (the bytes count) or failed (they are released).
	Done(uploader []byte, size int64, stored bool)
}

// Encoder offers compressed variants of local files for download.
// Implementations must be safe for concurrent use.
type Encoder interface {
	// Applies reports whether a file of this type and size may be sent
	// compressed; if so, its answers vary by Accept-Encoding.
	Applies(contentType string, size int64) bool
	// Encode turns obj into a compressed variant for a client that sent
	// acceptEncoding and returns its Content-Encoding token (e.g. "zstd"):
	// obj's File, Size and ETag (quoted, distinct from the identity one)
	// are then the variant's, its Data nil, and the identity file closed.
	// It returns "" and leaves obj alone to send it as it is.
	Encode(obj *backend.Object, acceptEncoding []byte) (encoding string)
}

// Handler serves one store. It is safe for concurrent use.
type Handler struct {
	store    backend.Store
	keys     atomic.Pointer[keys] // swapped by Reload
	v3Window time.Duration
	now      func() time.Time
	prefix   string
	// prefixBytes is prefix for the MAC of HMAC File Server 3.4's v3,
	// which signs the request path with it.
	prefixBytes []byte
	maxSize     int64
	bodyWait    time.Duration
	answer      answerHeaders
	log         *slog.Logger
	maxLine     int
	scratch     sync.Pool // of *scratch
	lingers     sync.Pool // of *lingering
	sents       sync.Pool // of *sentBody

	// lingeringConns counts the connections of refusals being closed
	// (put.go, lingering), which fasthttp no longer counts.
	lingeringConns atomic.Int64

	admit     Admitter
	enc       Encoder
	uploadCtx context.Context
	minRate   int64
}

// scratch is per-request working space, pooled so that routing and token
// checks allocate nothing.
type scratch struct {
	path   []byte
	buf    []byte
	up     upload          // what the token of a checked PUT vouched for
	jwt    token.JWTClaims // a JWT's claims; up's slices may point into it
	dl     downloadHeaders
	getReq backend.GetRequest // aliases dl's headers as strings
	uri    fasthttp.URI       // parsed from the header in HeaderReceived
	now    time.Time          // when the handler started
	// visitDL is sc.dl.visit as a value made once: a method value per
	// request would allocate.
	visitDL func(k, v []byte)
}

// New returns a Handler that keeps uploads in store.
func New(opts Options, store backend.Store) (*Handler, error) {
	if store == nil {
		return nil, errors.New("cannot start the edge: no store")
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.BodyReadTimeout <= 0 {
		opts.BodyReadTimeout = DefaultReadTimeout
	}
	if opts.MaxHeaderLine <= 0 {
		opts.MaxHeaderLine = DefaultMaxHeaderLine
	}
	if opts.CORSOrigin == "" {
		opts.CORSOrigin = DefaultCORSOrigin
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.HSTS != "" {
		if err := ValidHSTS(opts.HSTS); err != nil {
			return nil, fmt.Errorf("cannot start the edge: Strict-Transport-Security %q: %w", opts.HSTS, err)
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Handler{
		store:    store,
		prefix:   urlpath.NormalizePrefix(opts.Prefix),
		maxSize:  opts.MaxFileSize,
		bodyWait: opts.BodyReadTimeout,
		maxLine:  opts.MaxHeaderLine,
		answer:   newAnswerHeaders(opts.CORSOrigin, opts.HSTS),
		log:      opts.Logger,
		v3Window: opts.V3Window,
		now:      opts.Now,

		admit:     opts.Admitter,
		enc:       opts.Encoder,
		uploadCtx: opts.UploadContext,
		minRate:   opts.MinUploadRate,
	}
	if h.uploadCtx == nil {
		h.uploadCtx = context.Background()
	}
	k, err := newKeys(opts, h.v3Window, h.now)
	if err != nil {
		return nil, fmt.Errorf("cannot start the edge: %w", err)
	}
	h.keys.Store(k)
	h.prefixBytes = []byte(h.prefix)
	h.lingers.New = h.newLingering
	h.sents.New = func() any { return &sentBody{h: h} }
	h.scratch.New = func() any {
		sc := &scratch{path: make([]byte, 0, 512), buf: make([]byte, 0, 1024)}
		sc.visitDL = sc.dl.visit
		return sc
	}
	return h, nil
}

// keys are the secrets in force and what checks tokens with them: the
// shared secret, the previous ones still accepted, the delete secret, the
// schemes switched on, and the Allow header that follows from them. They
// are replaced whole by Reload while requests run: a request uses the set
// it loaded at its start throughout.
type keys struct {
	verifier *token.Verifier
	allow    []byte // Allow and Access-Control-Allow-Methods
}

// newKeys builds the token checks for the secrets in opts; window and
// now are the handler's, fixed at New.
func newKeys(opts Options, window time.Duration, now func() time.Time) (*keys, error) {
	if len(opts.Secret) == 0 {
		return nil, errors.New("the shared secret is empty")
	}
	v, err := token.New(token.Options{
		Secret:          opts.Secret,
		PreviousSecrets: opts.PreviousSecrets,
		DeleteSecret:    opts.DeleteSecret,
		Schemes:         opts.TokenSchemes,
		Window:          window,
		Now:             now,
	})
	if err != nil {
		return nil, err
	}
	k := &keys{verifier: v, allow: allowedMethods}
	if v.DeleteEnabled() {
		k.allow = allowedWithDelete
	}
	return k, nil
}

// Reload puts the secrets of opts in force for the requests that start
// from now on (SIGHUP after a secret was rotated); requests in flight
// finish with the old ones. Only the secrets (Secret, PreviousSecrets,
// DeleteSecret) and TokenSchemes are taken from opts: the other options
// stay as New set them. It fails, changing nothing, when the secret or a
// previous secret is empty.
func (h *Handler) Reload(opts Options) error {
	k, err := newKeys(opts, h.v3Window, h.now)
	if err != nil {
		return fmt.Errorf("cannot reload the edge's secrets: %w", err)
	}
	h.keys.Store(k)
	return nil
}

// Prefix returns the normalised URL prefix the handler serves.
func (h *Handler) Prefix() string { return h.prefix }

// ServeHTTP is the fasthttp.RequestHandler of the edge.
func (h *Handler) ServeHTTP(ctx *fasthttp.RequestCtx) {
	sc := h.scratch.Get().(*scratch)
	defer h.putScratch(sc)
	sc.now = h.now()
	h.answer.apply(ctx)
	if status := h.headStatus(&ctx.Request.Header); status != 0 {
		h.takeEarly(ctx)
		// After takeEarly, which puts back a held Content-Length.
		h.applyReceived(ctx, sc)
		h.refuse(ctx, status)
		return
	}
	h.applyReceived(ctx, sc)
	m := ctx.Method()
	switch string(m) {
	case fasthttp.MethodPut:
		h.put(ctx, sc)
	case fasthttp.MethodGet, fasthttp.MethodHead:
		h.get(ctx, sc)
	case fasthttp.MethodOptions:
		allow := h.keys.Load().allow
		h.answer.applyPreflight(&ctx.Response.Header, allow)
		ctx.Response.Header.SetBytesV(fasthttp.HeaderAllow, allow)
		ctx.SetStatusCode(fasthttp.StatusNoContent)
	case fasthttp.MethodDelete:
		if k := h.keys.Load(); k.verifier.DeleteEnabled() {
			// A secret reloaded since HeaderReceived may have held a
			// body back for a 405: it is the request's again.
			h.takeEarly(ctx)
			h.delete(ctx, sc, k)
			return
		}
		fallthrough
	default:
		h.takeEarly(ctx)
		ctx.Response.Header.SetBytesV(fasthttp.HeaderAllow, h.keys.Load().allow)
		h.refuse(ctx, fasthttp.StatusMethodNotAllowed)
	}
}

// ExpectContinue is the fasthttp ExpectHandler: it answers an
// "Expect: 100-continue" PUT with its final status instead of 100 Continue
// when the headers alone doom it, so the client never sends the body.
// Behind NewServer, HeaderReceived has decided already and dropped the
// Expect of a refused PUT (the handler answers it), so this only confirms
// the accepted ones; without it, it decides itself.
func (h *Handler) ExpectContinue(ctx *fasthttp.RequestCtx) int {
	if !ctx.IsPut() {
		return fasthttp.StatusContinue
	}
	sc := h.scratch.Get().(*scratch)
	defer h.putScratch(sc)
	h.applyReceived(ctx, sc)
	// A taken name, too, is refused before the client sends the body.
	// The handler asks the store again unless HeaderReceived did: another
	// upload may win in between, and Put refuses to overwrite anyway.
	early, known := h.peekEarly(ctx)
	if status := h.decidePut(ctx, sc, early, known); status != 0 {
		// fasthttp writes the status we return as the whole answer; the
		// CORS headers must be on it too, or a browser hides it.
		h.answer.apply(ctx)
		return status
	}
	return fasthttp.StatusContinue
}

// ServeError is the fasthttp ErrorHandler: it answers a request fasthttp
// could not read, with the same headers (CORS, HSTS) as every other
// answer: 431 for a head larger than ServerOptions.MaxHeaderBytes, 408
// when the head did not arrive within the read timeout, 400 for anything
// malformed. fasthttp adds Connection: close and closes the connection.
func (h *Handler) ServeError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var nerr net.Error
	status := fasthttp.StatusBadRequest
	switch {
	case errors.As(err, &small):
		status = fasthttp.StatusRequestHeaderFieldsTooLarge
	case errors.As(err, &nerr) && nerr.Timeout():
		status = fasthttp.StatusRequestTimeout
	}
	if rh := &ctx.Request.Header; len(rh.RawHeaders()) == 0 && string(rh.RequestURI()) == "/" {
		// Nothing of the request could be read, or too little to be
		// sure of its method.
		unknownRequest(ctx)
	}
	h.answer.apply(ctx)
	h.fail(ctx, status)
}

// unknownRequest marks ctx's request as one whose request line was not
// read: its method is "-" (as nginx logs it), not fasthttp's default GET.
func unknownRequest(ctx *fasthttp.RequestCtx) {
	ctx.Request.Header.SetMethodBytes(methodUnknown)
}

var (
	methodUnknown = []byte("-")
	crByte        = []byte{'\r'}
)

// Overloaded answers a request on a connection over the server's cap
// (Server.Overloaded): 503 with Retry-After, and the headers of every
// answer.
func (h *Handler) Overloaded(ctx *fasthttp.RequestCtx) {
	h.answer.apply(ctx)
	ctx.Response.Header.SetCanonical(hdrRetryAfter, valRetryAfter)
	h.fail(ctx, fasthttp.StatusServiceUnavailable)
}

var (
	hdrRetryAfter = []byte("Retry-After")
	// valRetryAfter: connections come and go in seconds.
	valRetryAfter = []byte("2")
)

// headStatus bounds each line of a request head by h.maxLine: a longer
// request line is 414 (RFC 9110 section 15.5.15), a longer header field
// line 431 (RFC 6585 section 5); nginx answers both (with 414 and 400) at
// 8 KiB. The whole head is bounded by fasthttp's read buffer
// (ServeError).
func (h *Handler) headStatus(rh *fasthttp.RequestHeader) int {
	if len(rh.Method())+len(rh.RequestURI())+len(rh.Protocol())+2 > h.maxLine {
		return fasthttp.StatusRequestURITooLong
	}
	raw := rh.RawHeaders()
	if len(raw) <= h.maxLine {
		return 0
	}
	for len(raw) > 0 {
		var line []byte
		line, raw = nextLine(raw)
		line = bytes.TrimSuffix(line, crByte)
		if len(line) > h.maxLine {
			return fasthttp.StatusRequestHeaderFieldsTooLarge
		}
	}
	return 0
}

// putScratch returns sc to the pool, dropping its alias of the request.
func (h *Handler) putScratch(sc *scratch) {
	sc.up = upload{}
	sc.dl.reset()
	sc.getReq = backend.GetRequest{}
	h.scratch.Put(sc)
}

// fail answers with status and its reason phrase as a short body.
func (h *Handler) fail(ctx *fasthttp.RequestCtx, status int) {
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentTypeBytes(textPlain)
	if !ctx.IsHead() {
		ctx.Response.AppendBodyString(fasthttp.StatusMessage(status))
		ctx.Response.AppendBodyString("\n")
	}
}

// storeFailed maps a store error to a status; errors the client cannot act
// on are logged and answered without detail.
func (h *Handler) storeFailed(ctx *fasthttp.RequestCtx, op, name string, err error) {
	h.fail(ctx, h.storeStatus(op, name, err))
}

// storeStatus is the status for a store error, logged when it is ours.
func (h *Handler) storeStatus(op, name string, err error) int {
	status := statusOf(err)
	if status >= 500 {
		h.log.Error("store failed", "op", op, "name", name, "err", err)
	}
	return status
}

// storeStatuses maps the backend's typed errors onto statuses; any other
// error is ours (500).
var storeStatuses = [...]struct {
	err    error
	status int
}{
	{backend.ErrExists, fasthttp.StatusConflict},
	{backend.ErrNotFound, fasthttp.StatusNotFound},
	{backend.ErrBadName, fasthttp.StatusBadRequest},
	{backend.ErrNameTooLong, fasthttp.StatusRequestURITooLong},
	{backend.ErrIncomplete, fasthttp.StatusBadRequest},
	{backend.ErrNoSpace, fasthttp.StatusInsufficientStorage},
	{backend.ErrUnavailable, fasthttp.StatusBadGateway},
	{backend.ErrTimeout, fasthttp.StatusGatewayTimeout},
}

func statusOf(err error) int {
	for _, m := range storeStatuses {
		if errors.Is(err, m.err) {
			return m.status
		}
	}
	return fasthttp.StatusInternalServerError
}

// slotPath decodes the raw request path into sc.path; a non-zero status
// means the request must be refused with it.
func (h *Handler) slotPath(raw []byte, sc *scratch) int {
	var err error
	sc.path, err = urlpath.Relative(sc.path[:0], raw, h.prefix)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, urlpath.ErrOutsidePrefix):
		return fasthttp.StatusNotFound
	case errors.Is(err, urlpath.ErrTooLong):
		return fasthttp.StatusRequestURITooLong
	}
	return fasthttp.StatusBadRequest
}

var (
	textPlain = []byte(httpsem.TextPlain)
	// allowedMethods, or allowedWithDelete when Metronome's signed DELETE
	// is on (a delete secret is set).
	allowedMethods    = []byte("GET, HEAD, PUT, OPTIONS")
	allowedWithDelete = []byte("GET, HEAD, PUT, DELETE, OPTIONS")
)
