package edge

import (
	"log/slog"

	"github.com/valyala/fasthttp"

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
