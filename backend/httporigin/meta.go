package httporigin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sync"
	"time"

	"github.com/upedge/upedge/backend"
)

// Meta is what the store keeps with an object on the origin, which keeps
// nothing but bytes (nginx serves a type it guesses from the extension):
// the metadata of the upload, in a sidecar object at MetaName(name),
// written as JSON after the object. New fields may be added; readers
// ignore the ones they do not know.
type Meta struct {
	// Name is the object's slot path (on the origin, a segment longer
	// than MaxSegment is stored under its backend/longname form).
	Name string `json:"name"`
	// Size is the object's size: a sidecar whose size differs from the
	// object's is not the object's (see Get).
	Size int64 `json:"size"`
	// ContentType is the type given at upload, served on download.
	ContentType string `json:"content_type"`
	// Uploader and Expires are backend.PutInfo's, kept for quotas,
	// purges and expiry (Expires in UNIX seconds; 0: never).
	Uploader string `json:"uploader,omitempty"`
	Expires  int64  `json:"expires,omitempty"`
}

// metaType is the Content-Type the sidecars are stored with.
const metaType = "application/json"

// MetaName returns the name of the sidecar holding name's metadata: the
// object's last segment behind backend.ReservedPrefix, beside it
// ("slot/.upedge.photo.jpg" for "slot/photo.jpg"). No slot path can name
// it, since edge/urlpath refuses segments that start so: an upload can
// never fetch or overwrite metadata. Beside the object, not in a tree of
// its own, so that whatever removes a slot directory on the origin
// removes its metadata with it, and in the object's directory, not a
// subdirectory: nginx takes about 0.6 ms more for each directory it
// makes (measured: 0.74 ms for a small PUT into an existing directory,
// 2.2 ms two levels down). A sidecar name longer than MaxSegment is sent
// in its backend/longname form like any other.
func MetaName(name string) string {
	dir, file := path.Split(name)
	return dir + backend.ReservedPrefix + file
}

// newMeta is the metadata kept for an upload of name.
func newMeta(name string, info backend.PutInfo) *Meta {
	m := &Meta{Name: name, Size: info.Size, ContentType: info.ContentType, Uploader: info.Uploader}
	if !info.Expires.IsZero() {
		m.Expires = info.Expires.Unix()
	}
	return m
}

// metaAttempts is how often the sidecar PUT is tried before the upload
// is given up: it is small, and a retry is cheaper than the client's.
const metaAttempts = 2

// putMeta writes the sidecar of name, replacing one left by an object
// removed by other means.
func (s *Store) putMeta(ctx context.Context, m *Meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("cannot encode the metadata of %q: %w", m.Name, err)
	}
	for attempt := 1; ; attempt++ {
		err = s.PutBytes(ctx, MetaName(m.Name), b, metaType)
		if err == nil || attempt == metaAttempts || ctx.Err() != nil {
			return err
		}
	}
}

// getMeta reads the sidecar of name and the time the origin says it was
// written; no sidecar is (nil, zero time, nil).
func (s *Store) getMeta(ctx context.Context, name string) (*Meta, time.Time, error) {
	b, mod, err := s.GetBytes(ctx, MetaName(name))
	if errors.Is(err, backend.ErrNotFound) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	m := new(Meta)
	if err := json.Unmarshal(b, m); err != nil {
		// Not ours, or torn: served as if there were none.
		return nil, time.Time{}, nil
	}
	return m, mod, nil
}

// describes reports whether m, written at written, is the metadata of
// the object o: same name and size, and the object not modified after
// its sidecar was written (the sidecar follows the object; an object
// replaced by other means is newer than its sidecar). Origins give
// Last-Modified in seconds: equal times are fine.
func (m *Meta) describes(name string, written time.Time, o *backend.Object) bool {
	if m.Name != name || (o.Size >= 0 && m.Size != o.Size) {
		return false
	}
	return o.ModTime.IsZero() || written.IsZero() || !o.ModTime.After(written)
}

// apply sets what m keeps on o.
func (m *Meta) apply(o *backend.Object) {
	if m.ContentType != "" {
		o.ContentType = m.ContentType
	}
	if m.Expires != 0 {
		o.Expires = time.Unix(m.Expires, 0)
	}
}

// metaCacheEntries bounds the metadata the store remembers: about 300
// bytes each, 5 MiB in all.
const metaCacheEntries = 1 << 14

// metaCache remembers, per name, what the sidecar said about one version
// of the object (its size and modification time), so that downloads after
// the first take one request to the origin instead of two. Uploads are
// immutable: an entry holds until the object's validators change (it was
// replaced or uploaded anew by other means), and then the sidecar is read
// again. A sidecar that was missing is remembered too (meta nil).
type metaCache struct {
	mu    sync.Mutex
	items map[string]metaEntry
}

type metaEntry struct {
	meta    *Meta // nil: no sidecar describes this version
	size    int64
	modTime time.Time
}

// lookup returns what is known of name, if anything.
func (c *metaCache) lookup(name string) (metaEntry, bool) {
	c.mu.Lock()
	e, ok := c.items[name]
	c.mu.Unlock()
	return e, ok
}

// valid reports whether e was learnt about the version of the object o is.
func (e *metaEntry) valid(o *backend.Object) bool {
	return o.Size >= 0 && e.size == o.Size && !o.ModTime.IsZero() && e.modTime.Equal(o.ModTime)
}

// store remembers e for name, dropping entries in map order (random)
// when full.
func (c *metaCache) store(name string, e metaEntry) {
	if e.size < 0 || e.modTime.IsZero() {
		return // nothing to validate it by
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = make(map[string]metaEntry)
	}
	for k := range c.items {
		if len(c.items) < metaCacheEntries {
			break
		}
		delete(c.items, k)
	}
	c.items[name] = e
}

// forget drops name (Delete).
func (c *metaCache) forget(name string) {
	c.mu.Lock()
	delete(c.items, name)
	c.mu.Unlock()
}
