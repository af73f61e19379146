// Package backend defines where the edge keeps uploads: the Store
// interface, the request and object types that cross it, and the typed
// errors that the edge turns into HTTP statuses.
//
// The edge depends on this package only; each store lives in a package of
// its own (backend/dirstore for a local directory, and the origin stores).
package backend

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// Errors a Store returns, wrapped or not; the edge maps them with
// errors.Is. Any other error is an internal failure (500), never shown to
// the client.
var (
	// ErrExists: the name is taken, now or by a concurrent upload that won. 409.
	ErrExists = errors.New("an object with this name exists already")
	// ErrNotFound: no such object. 404.
	ErrNotFound = errors.New("no such object")
	// ErrBadName: the name is valid for the edge but not for this store. 400.
	ErrBadName = errors.New("name not allowed by the store")
	// ErrNameTooLong: the name is valid for the edge but longer than this
	// store can hold (an S3 key with the origin's prefix over 1024
	// bytes, a path over PATH_MAX below a deep store directory). 414.
	ErrNameTooLong = errors.New("name too long for the store")
	// ErrIncomplete: the body ended before Size bytes or carried more. Nothing is kept.
	ErrIncomplete = errors.New("upload body does not have the announced length")
	// ErrNoSpace: the store is full. 507.
	ErrNoSpace = errors.New("store has no space left")
	// ErrUnavailable: the upstream origin cannot be reached or failed. 502.
	ErrUnavailable = errors.New("upstream origin unavailable")
	// ErrTimeout: the upstream origin did not answer in time. 504.
	ErrTimeout = errors.New("upstream origin timed out")
)

// ReservedName is the path segment stores keep for themselves (the
// directory store's temporaries and state), and, followed by a dot, the
// start of the names they give their own files beside uploads (an HTTP
// origin's metadata, ReservedPrefix): edge/urlpath refuses both in every
// segment of a slot path, so no upload can ever be fetched or stored
// under them.
const ReservedName = ".upedge"

// ReservedPrefix starts the segments stores name their own files with.
const ReservedPrefix = ReservedName + "."

// PutInfo describes an upload whose token the edge has already verified.
type PutInfo struct {
	Size        int64  // exact number of bytes the body must carry
	ContentType string // to be served back on GET; never empty
	// Uploader is who the token says uploaded it (a bare JID: a JWT's
	// sub, a v3 uploader), or "" when the token names nobody. Stores keep
	// it with the object, for quotas, auditing and purge.
	Uploader string
	// Expires, when not zero, is when the object must stop being served
	// (a JWT's expires claim). Stores keep it with the object.
	Expires time.Time
}

// GetRequest carries the parts of a download request that a store which
// evaluates ranges and preconditions itself (an upstream origin) passes on.
// Stores that return Object.File ignore all of it but Head. Range and
// IfRange are empty on a HEAD: the edge drops them, as RFC 9110 section
// 14.2 defines Range for GET only. Values are as the client sent them,
// list fields joined with ", " when sent on several lines, and a field
// that may appear once but was sent twice is replaced by one that parses
// as nothing (so it is ignored).
type GetRequest struct {
	Head              bool
	Range             string
	IfRange           string
	IfMatch           string
	IfNoneMatch       string
	IfModifiedSince   string
	IfUnmodifiedSince string
}

// Object is an answer to Get. Exactly one of File and Body is set, except
// for a HEAD or a bodiless answer from an origin, where neither may be.
//
// The caller must call Close when done with it, whichever is set.
type Object struct {
	Size        int64     // size of the whole object
	ModTime     time.Time // zero if unknown
	ETag        string    // quoted entity tag, or ""
	ContentType string
	// Expires is PutInfo.Expires as kept with the object (zero: never).
	Expires time.Time

	// File is set by stores that hold objects as local files: the edge then
	// evaluates preconditions and Range itself and sends the file with
	// sendfile.
	File *os.File

	// Data, instead of File, holds a small local object whole: sending
	// it with the headers in one write is cheaper than sendfile. The edge
	// treats it as it treats File. An empty object has a non-nil, empty
	// Data. Data may be shared with other requests: it must not be
	// modified.
	Data []byte

	// Status, when not zero, means an upstream origin has already evaluated
	// preconditions and Range: the edge passes Status, ContentLength,
	// ContentRange, LastModified and Body on as they are.
	Status        int
	ContentLength int64
	ContentRange  string
	LastModified  string
	Body          io.ReadCloser
}

// Local reports whether o is a local object (File or Data), whose
// preconditions and ranges the edge evaluates itself.
func (o *Object) Local() bool { return o.File != nil || o.Data != nil }

// Close releases the file or body of o.
func (o *Object) Close() error {
	switch {
	case o.File != nil:
		return o.File.Close()
	case o.Body != nil:
		return o.Body.Close()
	}
	return nil
}

// Store keeps uploads. Names are decoded slot paths that the edge has
// already validated (see edge/urlpath): relative, no "." or "..", no empty
// segment. Implementations must be safe for concurrent use.
type Store interface {
	// Exists reports whether name is taken. The edge asks before reading a
	// body so that a doomed upload is refused on its headers; Put must
	// still refuse to overwrite, since another upload may win in between.
	Exists(ctx context.Context, name string) (bool, error)

	// Put stores exactly info.Size bytes read from body under name. The
	// object becomes visible only once all of them arrived; if body fails
	// or ends early, or ctx is cancelled, nothing is left behind, not even
	// a temporary. Put never replaces an existing object: of concurrent
	// Puts to one name exactly one succeeds and the others get ErrExists.
	Put(ctx context.Context, name string, info PutInfo, body io.Reader) error

	// Get opens name for download. req is valid only during the call
	// (the edge reuses it): a store must not keep it.
	Get(ctx context.Context, name string, req *GetRequest) (*Object, error)

	// Delete removes name: an XMPP server's signed DELETE (Metronome),
	// `upedge purge`. It returns ErrNotFound when there is nothing by that
	// name (a directory is nothing), and never removes a store's own
	// files. A download that has opened the object already completes;
	// once Delete returns, new downloads get ErrNotFound, the name is free
	// for an upload again, and a store that caches objects has dropped
	// them.
	Delete(ctx context.Context, name string) error
}

// ObjectInfo describes one stored object in a listing.
type ObjectInfo struct {
	Name string // as the edge names it: the decoded slot path
	Size int64
	// Uploader is PutInfo.Uploader as kept with the object; "" when
	// none was.
	Uploader string
}

// Lister is implemented by stores that can enumerate their objects with
// the uploader kept with each, which `upedge purge` needs.
type Lister interface {
	// List calls fn for every object, in no particular order, until fn
	// returns an error, which List returns. Objects added or removed
	// while it runs may or may not be seen.
	List(ctx context.Context, fn func(ObjectInfo) error) error
}
