package httpsem

// DefaultContentType is the media type of an upload that names none:
// Prosody signs a slot's type as this when the client gives none, and a
// file stored without a type is served as it (RFC 9110 section 8.3 lets a
// recipient assume it).
const DefaultContentType = "application/octet-stream"

// MediaType returns the type/subtype of a Content-Type value: the part
// before any parameters, without surrounding whitespace (RFC 9110 section
// 8.3.1).
func MediaType[S ~string | ~[]byte](contentType S) S {
	if i := IndexByte(contentType, ';'); i >= 0 {
		contentType = contentType[:i]
	}
	return TrimSpace(contentType)
}

// TextPlain is the media type of the short text bodies upedge writes
// itself (error reasons, /healthz).
const TextPlain = "text/plain; charset=utf-8"
