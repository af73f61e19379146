package dirstore

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
)

// fill puts n 3-byte files, one per slot directory, every one with expiry
// exp and uploader up.
func fill(b *testing.B, s *Store, n int, up string, exp time.Time) {
	b.Helper()
	for i := 0; i < n; i++ {
		info := backend.PutInfo{Size: 3, ContentType: "text/plain", Uploader: up, Expires: exp}
		if err := s.Put(context.Background(), "s"+strconv.Itoa(i)+"/f.txt", info, strings.NewReader("abc")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSweepExpired: the sweeper's cost per expired file (index line,
// getxattr, unlink, rmdir of the slot directory).
func BenchmarkSweepExpired(b *testing.B) {
	s, err := New(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	fill(b, s, b.N, "", now.Add(-time.Minute))
	b.ReportAllocs()
	b.ResetTimer()
	st, err := s.SweepExpired(context.Background(), ExpiryOptions{Batch: 1 << 30})
	if err != nil || st.Files != b.N {
		b.Fatalf("swept %+v, %v; want %d files", st, err, b.N)
	}
}

// BenchmarkSweepExpiredNothingDue: a sweep of a store whose files expire
// in a week reads no index file at all: its cost is one directory read,
// whatever the store holds.
func BenchmarkSweepExpiredNothingDue(b *testing.B) {
	s, err := New(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	fill(b, s, 10000, "", time.Now().Add(7*24*time.Hour))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if st, err := s.SweepExpired(context.Background(), ExpiryOptions{}); err != nil || st.Files != 0 {
			b.Fatalf("swept %+v, %v", st, err)
		}
	}
}

// BenchmarkList: listing cost per file (stat and getxattr of the
// uploader), which is what purge pays for every file of the store.
func BenchmarkList(b *testing.B) {
	s, err := New(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	fill(b, s, b.N, "alice@example.org", time.Time{})
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	if err := s.List(context.Background(), func(backend.ObjectInfo) error { n++; return nil }); err != nil || n != b.N {
		b.Fatalf("listed %d, %v", n, err)
	}
}

// BenchmarkPutExpiry: what noting an expiry adds to an upload (fsync off).
func BenchmarkPutExpiry(b *testing.B) {
	for _, exp := range []bool{false, true} {
		b.Run("expiry="+strconv.FormatBool(exp), func(b *testing.B) {
			s, err := New(b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			var at time.Time
			if exp {
				at = time.Now().Add(time.Hour)
			}
			b.ReportAllocs()
			b.ResetTimer()
			fill(b, s, b.N, "alice@example.org", at)
		})
	}
}
