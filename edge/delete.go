package edge

import (
	"github.com/valyala/fasthttp"
)

// delete answers Metronome's signed DELETE of PREFIX/slot/name?token=HEX,
// which its http_upload_external component sends when a file expires, a
// user asks, or an account is deleted. ServeHTTP calls it only while a
// delete secret is set (k's verifier has one); without, DELETE is 405.
// Answers: 204 deleted, 404 nothing there (Metronome counts only 204 as
// success, and a file already gone needs no retry), 403 for any token but
// the delete token of this path (an upload token never deletes), 404 or
// 400 for a path outside the prefix or malformed. Another store failure is
// 502, 504 or 500.
func (h *Handler) delete(ctx *fasthttp.RequestCtx, sc *scratch, k *keys) {
	if status := h.slotPath(ctx.URI().PathOriginal(), sc); status != 0 {
		h.fail(ctx, status)
		return
	}
	key, err := k.verifier.VerifyDelete(ctx.QueryArgs().PeekBytes(paramToken), sc.path)
	if err != nil {
		h.tokenRefused(ctx, sc, err)
		h.fail(ctx, fasthttp.StatusForbidden)
		return
	}
	if key.Old() {
		markOldSecret(ctx)
	}
	name := string(sc.path)
	// h.uploadCtx, as for uploads: a delete in flight is not abandoned the
	// moment a graceful shutdown starts.
	if err := h.store.Delete(h.uploadCtx, name); err != nil {
		h.storeFailed(ctx, "delete", name, err)
		return
	}
	ctx.SetStatusCode(fasthttp.StatusNoContent)
}
