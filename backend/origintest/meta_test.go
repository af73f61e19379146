package origintest_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/s3origin"
)

// TestMetaKept: the uploader and the expiry of an upload are kept with the
// object and come back on GET and HEAD (Object.Expires) and in a listing
// (ObjectInfo.Uploader), on every store that keeps metadata; Delete
// removes an object, and a second Delete finds nothing. nginx keeps no
// metadata itself: the edge keeps it in a sidecar (backend/httporigin),
// and nginx cannot list (no PROPFIND), so it is no Lister.
func TestMetaKept(t *testing.T) {
	ctx := context.Background()
	exp := time.Unix(1900000000, 0)
	long := "meta/" + strings.Repeat("ж", 130) + ".txt" // stored under its longname form
	for _, su := range stores(t) {
		t.Run(su.name, func(t *testing.T) {
			files := []struct{ name, uploader string }{
				{"meta/a.txt", "zoë@example.org"}, // non-ASCII, escaped in S3 metadata
				{"meta/b.txt", "bob@example.org"},
				{"meta/sub/c.txt", "zoë@example.org"},
				{"meta/none.txt", ""},
				{long, "long@example.org"},
			}
			for _, f := range files {
				info := backend.PutInfo{Size: 3, ContentType: "text/plain", Uploader: f.uploader, Expires: exp}
				if err := su.store.Put(ctx, f.name, info, strings.NewReader("abc")); err != nil {
					t.Fatalf("Put(%q): %v", f.name, err)
				}
			}
			for _, head := range []bool{false, true} {
				o := mustGet(t, su.store, "meta/a.txt", &backend.GetRequest{Head: head})
				o.Close()
				want := exp
				if !o.Expires.Equal(want) {
					t.Errorf("head=%v: Expires %v; want %v", head, o.Expires, want)
				}
			}
			d := su.store.(interface {
				Delete(context.Context, string) error
			})
			l, ok := su.store.(backend.Lister)
			if !ok {
				if su.name != "nginx" {
					t.Fatalf("%T is no backend.Lister", su.store)
				}
				if err := d.Delete(ctx, long); err != nil {
					t.Errorf("Delete(long): %v", err)
				}
				return
			}
			var got []string
			listedLong := ""
			err := l.List(ctx, func(o backend.ObjectInfo) error {
				name := o.Name
				if k, ok := strings.CutPrefix(name, s3origin.KeyMark); ok && strings.HasPrefix(k, "meta/жжж") {
					// S3 names a longname key by itself.
					listedLong, name = o.Name, long
				} else if name == long {
					listedLong = name
				}
				if strings.HasPrefix(name, "meta/") {
					got = append(got, name+"="+o.Uploader)
				}
				return nil
			})
			sort.Strings(got)
			want := []string{"meta/a.txt=zoë@example.org", "meta/b.txt=bob@example.org", "meta/none.txt=", "meta/sub/c.txt=zoë@example.org", long + "=long@example.org"}
			sort.Strings(want)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("List: got %q, %v; want %q", got, err, want)
			}
			// What List names, Delete takes: a purge removes it all.
			if err := d.Delete(ctx, listedLong); err != nil {
				t.Errorf("Delete(%q): %v", listedLong, err)
			}
			if _, err := su.store.Get(ctx, long, &backend.GetRequest{}); !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("Get(long) after Delete: got %v; want ErrNotFound", err)
			}
			if err := d.Delete(ctx, "meta/a.txt"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if err := d.Delete(ctx, "meta/a.txt"); !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("second Delete: got %v; want ErrNotFound", err)
			}
			if _, err := su.store.Get(ctx, "meta/a.txt", &backend.GetRequest{}); !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("Get after Delete: got %v; want ErrNotFound", err)
			}
		})
	}
}
