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
)

// TestMetaKept: the uploader and the expiry of an upload are kept with the
// object and come back on GET and HEAD (Object.Expires) and in a listing
// (ObjectInfo.Uploader), on every store that keeps metadata; Delete
// removes an object, and a second Delete finds nothing. nginx keeps no
// metadata (see the README, "Upstream origins"): there the expiry is not
// seen, which the edge cannot enforce then.
func TestMetaKept(t *testing.T) {
	ctx := context.Background()
	exp := time.Unix(1900000000, 0)
	for _, su := range stores(t) {
		t.Run(su.name, func(t *testing.T) {
			keeps := su.name != "nginx"
			files := []struct{ name, uploader string }{
				{"meta/a.txt", "zoë@example.org"}, // non-ASCII, escaped in S3 metadata
				{"meta/b.txt", "bob@example.org"},
				{"meta/sub/c.txt", "zoë@example.org"},
				{"meta/none.txt", ""},
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
				if !keeps {
					want = time.Time{}
				}
				if !o.Expires.Equal(want) {
					t.Errorf("head=%v: Expires %v; want %v", head, o.Expires, want)
				}
			}
			l, ok := su.store.(backend.Lister)
			if !ok {
				if keeps {
					t.Fatalf("%T is no backend.Lister", su.store)
				}
				return
			}
			var got []string
			err := l.List(ctx, func(o backend.ObjectInfo) error {
				if strings.HasPrefix(o.Name, "meta/") {
					got = append(got, o.Name+"="+o.Uploader)
				}
				return nil
			})
			sort.Strings(got)
			want := []string{"meta/a.txt=zoë@example.org", "meta/b.txt=bob@example.org", "meta/none.txt=", "meta/sub/c.txt=zoë@example.org"}
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("List: got %q, %v; want %q", got, err, want)
			}
			d := su.store.(interface {
				Delete(context.Context, string) error
			})
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
