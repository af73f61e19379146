package dirstore

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// smallCache keeps small files whole in memory, so that a download of a
// popular sticker or thumbnail costs one stat instead of open, fstat,
// fgetxattr, read and close.
//
// An entry is served only while a stat of its path still shows the same
// inode, size, modification and change time, and that stat is repeated
// once recheckAfter has passed since the last one: a file deleted by hand,
// replaced, or whose xattr changed is served for at most that long after
// (nginx's open_file_cache_valid, 60 s by default, makes the same trade).
// Retention, which runs in this process, drops its entries at once.
// Uploads are immutable, so in practice entries live until evicted.
type smallCache struct {
	mu     sync.RWMutex
	budget int64 // bytes of file data at most
	used   int64
	// recheck is recheckAfter; tests shorten it.
	recheck time.Duration
	items   map[string]*cachedFile
}

// recheckAfter is how long a validated entry is served without a stat.
const recheckAfter = time.Second

type cachedFile struct {
	checked atomic.Int64 // UnixNano of the last stat that matched
	ino     uint64
	size    int64
	mtime   unix.Timespec
	ctime   unix.Timespec

	data        []byte
	etag        string
	contentType string
	expires     int64 // UNIX seconds, 0: none
}

func newSmallCache(budget int64) *smallCache {
	if budget <= 0 {
		return nil
	}
	return &smallCache{budget: budget, items: make(map[string]*cachedFile), recheck: recheckAfter}
}

// fresh returns the entry for fn if it was validated less than
// recheckAfter before now.
func (c *smallCache) fresh(fn string, now int64) *cachedFile {
	c.mu.RLock()
	e := c.items[fn]
	c.mu.RUnlock()
	if e == nil || now-e.checked.Load() >= int64(c.recheck) {
		return nil
	}
	return e
}

// lookup returns the entry for fn if st, a stat taken at now, describes
// the file it was read from.
func (c *smallCache) lookup(fn string, st *unix.Stat_t, now int64) *cachedFile {
	c.mu.RLock()
	e := c.items[fn]
	c.mu.RUnlock()
	if e == nil {
		return nil
	}
	if mtim, ctim := statTimes(st); e.ino != st.Ino || e.size != st.Size || e.mtime != mtim || e.ctime != ctim {
		return nil
	}
	e.checked.Store(now)
	return e
}

func (c *smallCache) store(fn string, e *cachedFile) {
	if c == nil || int64(len(e.data)) > c.budget/16 {
		return
	}
	e.checked.Store(time.Now().UnixNano())
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.items[fn]; old != nil {
		c.used -= int64(len(old.data))
	}
	// Over budget: drop entries in map order, which Go randomises: a
	// random eviction, good enough for immutable files and free of
	// bookkeeping on the read path.
	for k, v := range c.items {
		if c.used+int64(len(e.data)) <= c.budget {
			break
		}
		delete(c.items, k)
		c.used -= int64(len(v.data))
	}
	c.items[fn] = e
	c.used += int64(len(e.data))
}

func (c *smallCache) forget(fn string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if old := c.items[fn]; old != nil {
		c.used -= int64(len(old.data))
		delete(c.items, fn)
	}
	c.mu.Unlock()
}

// reset drops every entry: the store directory was replaced, and names
// now mean files of another one.
func (c *smallCache) reset() {
	if c == nil {
		return
	}
	c.mu.Lock()
	clear(c.items)
	c.used = 0
	c.mu.Unlock()
}
