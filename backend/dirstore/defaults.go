package dirstore

// DefaultOptions returns the options a store runs with unless told
// otherwise: uploads flushed to disk before they are answered (a 201
// survives a power cut), and 32 MiB of memory for small downloads.
func DefaultOptions() Options {
	return Options{Fsync: true, SmallCacheBytes: 32 << 20}
}
