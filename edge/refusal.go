package edge

import (
	"log/slog"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/edge/token"
)

// refusalKey is the RequestCtx user value under which the request path
// leaves the token error of a refused upload, so that the metrics and the
// access log can tell a forgery (mismatch) from a clock problem (stale).
// The value is the error itself: an interface holding a pointer is stored
// without allocating.
const refusalKey = "upedge.token_refusal"

// TokenRefusal returns why the token of the request in ctx was refused, as
// token.Reason names it ("mismatch", "stale", ...), or "" when it was not.
// Valid until the request's handler returns (and for the metrics wrapper
// around it).
func TokenRefusal(ctx *fasthttp.RequestCtx) string {
	err, _ := ctx.UserValue(refusalKey).(error)
	return token.Reason(err)
}

// tokenRefused records err as the request's token refusal and logs it at
// debug level: at info, a flood of forged uploads would flood the log; the
// access log and the metrics carry the reason at every level.
func (h *Handler) tokenRefused(ctx *fasthttp.RequestCtx, sc *scratch, err error) {
	ctx.SetUserValue(refusalKey, err)
	if h.log.Enabled(ctx, slog.LevelDebug) {
		h.log.Debug("upload token refused", "reason", token.Reason(err), "path", string(sc.path), "err", err)
	}
}

// oldSecretKey is the RequestCtx user value under which the request path
// notes that the accepted token (an upload's, a DELETE's) was signed with
// one of the previous secrets, so that the metrics can count them and
// operators know when an old secret is no longer used. A bool in an
// interface costs no allocation.
const oldSecretKey = "upedge.old_secret"

func markOldSecret(ctx *fasthttp.RequestCtx) { ctx.SetUserValue(oldSecretKey, true) }

// SignedWithOldSecret reports whether the token of the request in ctx was
// accepted under a previous secret (previous_secrets). Valid until the
// request's handler returns (and for the metrics wrapper around it).
func SignedWithOldSecret(ctx *fasthttp.RequestCtx) bool {
	old, _ := ctx.UserValue(oldSecretKey).(bool)
	return old
}

// uploadKey is the RequestCtx user value under which an accepted upload
// leaves its body (the *backend.ExactReader, which counts what it handed
// out): a chunked body's size is in no header.
const uploadKey = "upedge.upload"

func markUpload(ctx *fasthttp.RequestCtx, body *backend.ExactReader) {
	ctx.SetUserValue(uploadKey, body)
}

// UploadedBytes returns how many bytes of the request's upload body were
// stored or read, and false when the request was no accepted upload.
// Valid until the request's handler returns (and for the metrics wrapper).
func UploadedBytes(ctx *fasthttp.RequestCtx) (int64, bool) {
	body, ok := ctx.UserValue(uploadKey).(*backend.ExactReader)
	if !ok {
		return 0, false
	}
	return body.N(), true
}
