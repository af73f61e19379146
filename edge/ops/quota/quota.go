// Package quota keeps per-uploader byte quotas for v3 uploads, whose
// uploader is signed: bytes within a rolling window and bytes in all. It
// implements edge.Admitter.
//
// Usage is counted in buckets of a 24th of the window, so the window rolls
// in steps of that size. Bytes of uploads in flight are reserved (they
// count against the limits) but persisted only once stored, so that a
// crash or a cut upload never charges anyone. The state is saved to a JSON
// file by Run, periodically and when it returns, with write-and-rename.
package quota

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/upedge/upedge/backend/atomicfile"
)

// buckets is the number of steps the window rolls in.
const buckets = 24

// DefaultWindow is the rolling window of Options.WindowBytes that the
// config offers by default: a day.
const DefaultWindow = 24 * time.Hour

// Options configure a Quota.
type Options struct {
	Window      time.Duration // rolling window of WindowBytes; required if WindowBytes > 0
	WindowBytes int64         // cap within Window; 0 is none
	TotalBytes  int64         // cap in all; 0 is none
	File        string        // state file; "" keeps state in memory only
	Now         func() time.Time
	// OnReject, when set, is called for each refused upload (metrics).
	OnReject func()
	// SyncHook, when set, is called instead of fsync(2) when the state
	// is saved: see atomicfile.Options.SyncHook. For tests.
	SyncHook func(fd int, path string) error
}

// Quota is safe for concurrent use.
type Quota struct {
	opts  Options
	step  int64 // bucket width in nanoseconds
	mu    sync.Mutex
	users map[string]*usage
	dirty bool
}

type usage struct {
	Total   int64           `json:"total"`
	Buckets map[int64]int64 `json:"buckets,omitempty"` // bucket index -> stored bytes
	pending int64           // reserved for uploads in flight; not saved
}

// New returns a Quota, loading File if it exists.
func New(opts Options) (*Quota, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WindowBytes > 0 && opts.Window <= 0 {
		return nil, errors.New("cannot set up quotas: a window byte cap needs a positive window")
	}
	q := &Quota{opts: opts, users: map[string]*usage{}}
	if opts.Window > 0 {
		q.step = max(int64(opts.Window)/buckets, 1)
	}
	if opts.File == "" {
		return q, nil
	}
	b, err := os.ReadFile(opts.File)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return q, nil
	case err != nil:
		return nil, fmt.Errorf("cannot read quota state %q: %w", opts.File, err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("cannot parse quota state %q: %w", opts.File, err)
	}
	for name, u := range st.Users {
		if u.Buckets == nil {
			u.Buckets = map[int64]int64{}
		}
		q.users[name] = u
	}
	return q, nil
}

// state is the file format. Bucket indexes are UNIX nanoseconds divided by
// the bucket width, so a changed window only misplaces old buckets.
type state struct {
	Version int               `json:"version"`
	Step    int64             `json:"step_ns"`
	Users   map[string]*usage `json:"users"`
}

// Enabled reports whether any cap is set.
func (q *Quota) Enabled() bool { return q.opts.WindowBytes > 0 || q.opts.TotalBytes > 0 }

func (q *Quota) bucket(now time.Time) int64 {
	if q.step == 0 {
		return 0
	}
	return now.UnixNano() / q.step
}

// windowUsed sums the buckets within the window ending in bucket cur, and
// drops older ones.
func (q *Quota) windowUsed(u *usage, cur int64) int64 {
	var sum int64
	for b, n := range u.Buckets {
		if b <= cur-buckets {
			delete(u.Buckets, b)
			continue
		}
		sum += n
	}
	return sum
}

func (q *Quota) fits(u *usage, size int64, cur int64) bool {
	if u == nil {
		return (q.opts.WindowBytes <= 0 || size <= q.opts.WindowBytes) && (q.opts.TotalBytes <= 0 || size <= q.opts.TotalBytes)
	}
	if q.opts.TotalBytes > 0 && u.Total+u.pending+size > q.opts.TotalBytes {
		return false
	}
	if q.opts.WindowBytes > 0 && q.windowUsed(u, cur)+u.pending+size > q.opts.WindowBytes {
		return false
	}
	return true
}

// Allow implements edge.Admitter.
func (q *Quota) Allow(uploader []byte, size int64) bool {
	if !q.Enabled() {
		return true
	}
	q.mu.Lock()
	ok := q.fits(q.users[string(uploader)], size, q.bucket(q.opts.Now()))
	q.mu.Unlock()
	if !ok && q.opts.OnReject != nil {
		q.opts.OnReject()
	}
	return ok
}

// Reserve implements edge.Admitter.
func (q *Quota) Reserve(uploader []byte, size int64) bool {
	if !q.Enabled() {
		return true
	}
	q.mu.Lock()
	u := q.users[string(uploader)]
	ok := q.fits(u, size, q.bucket(q.opts.Now()))
	if ok {
		if u == nil {
			u = &usage{Buckets: map[int64]int64{}}
			q.users[string(uploader)] = u
		}
		u.pending += size
	}
	q.mu.Unlock()
	if !ok && q.opts.OnReject != nil {
		q.opts.OnReject()
	}
	return ok
}

// Done implements edge.Admitter.
func (q *Quota) Done(uploader []byte, size int64, stored bool) {
	if !q.Enabled() {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	u := q.users[string(uploader)]
	if u == nil {
		return
	}
	u.pending -= size
	if stored {
		u.Total += size
		u.Buckets[q.bucket(q.opts.Now())] += size
		q.dirty = true
	}
}

// Used returns what uploader has stored within the window and in all.
func (q *Quota) Used(uploader string) (window, total int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	u := q.users[uploader]
	if u == nil {
		return 0, 0
	}
	return q.windowUsed(u, q.bucket(q.opts.Now())), u.Total
}

// Save writes the state file if anything changed since the last save.
func (q *Quota) Save() error {
	if q.opts.File == "" {
		return nil
	}
	q.mu.Lock()
	if !q.dirty {
		q.mu.Unlock()
		return nil
	}
	cur := q.bucket(q.opts.Now())
	st := state{Version: 1, Step: q.step, Users: make(map[string]*usage, len(q.users))}
	for name, u := range q.users {
		q.windowUsed(u, cur) // drop expired buckets
		if u.pending == 0 && len(u.Buckets) == 0 && (q.opts.TotalBytes <= 0 || u.Total == 0) {
			// Nothing to remember: forget the uploader, so that the map
			// does not grow with every uploader ever seen.
			delete(q.users, name)
			continue
		}
		c := &usage{Total: u.Total, Buckets: make(map[int64]int64, len(u.Buckets))}
		for b, n := range u.Buckets {
			c.Buckets[b] = n
		}
		st.Users[name] = c
	}
	q.dirty = false
	q.mu.Unlock()
	b, err := json.Marshal(&st)
	if err != nil {
		return fmt.Errorf("cannot encode quota state: %w", err)
	}
	if err := writeFileAtomic(q.opts.File, b, q.opts.SyncHook); err != nil {
		q.mu.Lock()
		q.dirty = true
		q.mu.Unlock()
		return err
	}
	return nil
}

// Run saves the state every interval until ctx is done, then once more.
func (q *Quota) Run(ctx context.Context, interval time.Duration, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := q.Save(); err != nil && onErr != nil {
				onErr(err)
			}
			return
		case <-t.C:
			if err := q.Save(); err != nil && onErr != nil {
				onErr(err)
			}
		}
	}
}

// writeFileAtomic replaces the state file fn with b, synced: after a
// crash it holds the old state or the new one. It is synced whatever the
// fsync key says: a rename of unsynced data can leave an empty file after
// a power cut, which New would refuse to parse, and one fsync every
// saving interval costs nothing. Its directory is made again if it
// vanished (atomicfile.NewReplacement).
func writeFileAtomic(fn string, b []byte, hook func(int, string) error) error {
	if err := atomicfile.WriteFile(fn, b, 0o600, atomicfile.Options{Sync: true, SyncHook: hook}); err != nil {
		return fmt.Errorf("cannot write quota state: %w", err)
	}
	return nil
}
