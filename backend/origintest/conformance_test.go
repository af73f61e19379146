package origintest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/backend/origin"
	"github.com/upedge/upedge/backend/origintest"
)

// storeUnderTest is one backend with what it is known to guarantee.
type storeUnderTest struct {
	name  string
	store backend.Store
	// atomicCreate: of concurrent Puts to one new name exactly one wins.
	atomicCreate bool
	// proxied: Get returns the origin's answer (Status set), which has
	// evaluated Range and the preconditions.
	proxied bool
	// leftovers lists files in the store's own scratch areas (temporary
	// bodies, partial objects) that a finished upload must not leave.
	leftovers func(t *testing.T) []string
}

func listFiles(t *testing.T, dir string, skip func(rel string) bool) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if skip != nil && skip(rel) {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !fi.IsDir() {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("cannot list %s: %v", dir, err)
	}
	return out
}

func stores(t *testing.T) []storeUnderTest {
	t.Helper()
	dir := t.TempDir()
	ds, err := dirstore.New(dir, dirstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := origintest.StartNginx(t, false)
	hs, err := origin.New(n.URL, origin.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	v := origintest.StartVersity(t, "some/prefix")
	v.Options.MaxConns = 4
	ss, err := origin.New(v.URL, v.Options)
	if err != nil {
		t.Fatal(err)
	}
	return []storeUnderTest{
		{
			name: "dirstore", store: ds, atomicCreate: true,
			leftovers: func(t *testing.T) []string {
				return listFiles(t, filepath.Join(dir, dirstore.ReservedDir), nil)
			},
		},
		{
			name: "nginx", store: hs, proxied: true,
			leftovers: func(t *testing.T) []string { return listFiles(t, n.Temp, nil) },
		},
		{
			name: "versitygw", store: ss, proxied: true, atomicCreate: true,
			leftovers: func(t *testing.T) []string {
				// The gateway writes objects to O_TMPFILEs and links them;
				// look for anything of the failed uploads.
				var out []string
				for _, f := range listFiles(t, filepath.Join(v.Data, origintest.S3Bucket), nil) {
					if strings.Contains(f, "cut-") && !strings.HasSuffix(f, "cut-0") || strings.Contains(f, "cancelled") {
						out = append(out, f)
					}
				}
				return out
			},
		},
	}
}

func put(s backend.Store, name string, body []byte) error {
	return s.Put(context.Background(), name, backend.PutInfo{Size: int64(len(body)), ContentType: "text/plain"}, bytes.NewReader(body))
}

// readAll reads the whole object the way the edge would serve it.
func readAll(t *testing.T, o *backend.Object) []byte {
	t.Helper()
	var r io.Reader
	switch {
	case o.Data != nil:
		return o.Data
	case o.File != nil:
		r = o.File
	case o.Body != nil:
		r = o.Body
	default:
		return nil
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("cannot read object: %v", err)
	}
	return b
}

func mustGet(t *testing.T, s backend.Store, name string, req *backend.GetRequest) *backend.Object {
	t.Helper()
	if req == nil {
		req = &backend.GetRequest{}
	}
	o, err := s.Get(context.Background(), name, req)
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func wantAbsent(t *testing.T, s backend.Store, name string) {
	t.Helper()
	ok, err := s.Exists(context.Background(), name)
	if err != nil || ok {
		t.Errorf("Exists(%q) = %v, %v; want false, nil", name, ok, err)
	}
	if o, err := s.Get(context.Background(), name, &backend.GetRequest{}); !errors.Is(err, backend.ErrNotFound) {
		if o != nil {
			o.Close()
		}
		t.Errorf("Get(%q) error = %v; want ErrNotFound", name, err)
	}
}

// cutReader gives n bytes, then fails as a client that disconnects.
type cutReader struct{ n int }

func (r *cutReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("client went away")
	}
	if len(p) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = 'x'
	}
	r.n -= len(p)
	return len(p), nil
}

func TestConformance(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			st := s.store
			ctx := context.Background()

			t.Run("round trip", func(t *testing.T) {
				name := "r1/hello wörld+%20 (1).txt"
				body := []byte("hello, origin\n")
				if ok, err := st.Exists(ctx, name); err != nil || ok {
					t.Fatalf("Exists before Put = %v, %v; want false, nil", ok, err)
				}
				if err := put(st, name, body); err != nil {
					t.Fatalf("Put: %v", err)
				}
				if ok, err := st.Exists(ctx, name); err != nil || !ok {
					t.Fatalf("Exists after Put = %v, %v; want true, nil", ok, err)
				}
				o := mustGet(t, st, name, nil)
				if got := readAll(t, o); !bytes.Equal(got, body) {
					t.Errorf("body = %q; want %q", got, body)
				}
				if o.ContentType != "text/plain" && !strings.HasPrefix(o.ContentType, "text/plain;") {
					t.Errorf("content type = %q; want text/plain", o.ContentType)
				}
				if s.proxied {
					if o.Status != 200 || o.ContentLength != int64(len(body)) || o.Size != int64(len(body)) {
						t.Errorf("status, length, size = %d, %d, %d; want 200, %d, %d", o.Status, o.ContentLength, o.Size, len(body), len(body))
					}
					if o.ETag == "" || o.LastModified == "" || o.ModTime.IsZero() {
						t.Errorf("ETag %q, Last-Modified %q: want both", o.ETag, o.LastModified)
					}
				}
			})

			t.Run("empty body", func(t *testing.T) {
				name := "r2/empty"
				if err := put(st, name, nil); err != nil {
					t.Fatalf("Put: %v", err)
				}
				o := mustGet(t, st, name, nil)
				if got := readAll(t, o); len(got) != 0 {
					t.Errorf("body = %q; want empty", got)
				}
			})

			t.Run("exists", func(t *testing.T) {
				name := "r3/taken.bin"
				if err := put(st, name, []byte("first")); err != nil {
					t.Fatalf("Put: %v", err)
				}
				if err := put(st, name, []byte("second!")); !errors.Is(err, backend.ErrExists) {
					t.Fatalf("second Put error = %v; want ErrExists", err)
				}
				if got := readAll(t, mustGet(t, st, name, nil)); string(got) != "first" {
					t.Errorf("body = %q; want %q (not replaced)", got, "first")
				}
			})

			t.Run("concurrent puts", func(t *testing.T) {
				const n = 8
				name := "r4/race.bin"
				var wg sync.WaitGroup
				errs := make([]error, n)
				bodies := make([][]byte, n)
				for i := range n {
					bodies[i] = bytes.Repeat([]byte{byte('a' + i)}, 256<<10)
				}
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs[i] = put(st, name, bodies[i])
					}()
				}
				wg.Wait()
				won := -1
				wins := 0
				for i, err := range errs {
					switch {
					case err == nil:
						wins++
						won = i
					case !errors.Is(err, backend.ErrExists):
						t.Errorf("Put %d: %v; want nil or ErrExists", i, err)
					}
				}
				got := readAll(t, mustGet(t, st, name, nil))
				whole := false
				for _, b := range bodies {
					whole = whole || bytes.Equal(got, b)
				}
				if !whole {
					t.Errorf("stored body is not one upload whole (%d bytes)", len(got))
				}
				if s.atomicCreate {
					if wins != 1 || !bytes.Equal(got, bodies[won]) {
						t.Errorf("%d of %d concurrent Puts succeeded; want exactly 1, holding its body", wins, n)
					}
				} else {
					t.Logf("not atomic: %d of %d concurrent Puts succeeded (≥1 expected)", wins, n)
					if wins < 1 {
						t.Errorf("no concurrent Put succeeded")
					}
				}
			})

			t.Run("cut body leaves nothing", func(t *testing.T) {
				for i, tc := range []struct {
					size int64
					body io.Reader
				}{
					{4 << 20, &cutReader{n: 1 << 20}},                                  // client disconnects
					{4 << 20, bytes.NewReader(make([]byte, 3<<20))},                    // short body
					{1 << 20, bytes.NewReader(make([]byte, 1<<20+1))},                  // long body
					{10, io.MultiReader(strings.NewReader("012345678"), &cutReader{})}, // fails one byte short
				} {
					name := "r5/cut-" + strconv.Itoa(i)
					err := st.Put(ctx, name, backend.PutInfo{Size: tc.size, ContentType: "application/octet-stream"}, tc.body)
					if !errors.Is(err, backend.ErrIncomplete) {
						t.Errorf("case %d: Put error = %v; want ErrIncomplete", i, err)
					}
					wantAbsent(t, st, name)
				}
				// A later upload to the same names works: nothing was reserved.
				if err := put(st, "r5/cut-0", []byte("ok")); err != nil {
					t.Errorf("Put after cut: %v", err)
				}
				// The origin notices the closed connection on its own
				// schedule: give it a few seconds to drop its temporaries.
				var l []string
				for i := 0; i < 100; i++ {
					if l = s.leftovers(t); len(l) == 0 {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				if len(l) > 0 {
					t.Errorf("left behind: %v", l)
				}
				for i := range 4 {
					if i > 0 {
						wantAbsent(t, st, "r5/cut-"+strconv.Itoa(i))
					}
				}
			})

			t.Run("cancelled context", func(t *testing.T) {
				name := "r6/cancelled"
				cctx, cancel := context.WithCancel(ctx)
				r := io.MultiReader(bytes.NewReader(make([]byte, 1<<20)), readerFunc(func(p []byte) (int, error) {
					cancel()
					return copy(p, make([]byte, len(p))), nil
				}))
				if err := st.Put(cctx, name, backend.PutInfo{Size: 4 << 20, ContentType: "application/octet-stream"}, r); err == nil {
					t.Errorf("Put with cancelled context succeeded")
				}
				wantAbsent(t, st, name)
			})

			t.Run("missing", func(t *testing.T) {
				wantAbsent(t, st, "r7/never uploaded")
			})

			t.Run("delete", func(t *testing.T) {
				name := "r10/gone soon ü.txt"
				if err := put(st, name, []byte("delete me")); err != nil {
					t.Fatalf("Put: %v", err)
				}
				// A download opened before the delete completes.
				open := mustGet(t, st, name, nil)
				if err := st.Delete(ctx, name); err != nil {
					t.Fatalf("Delete: got %v; want nil", err)
				}
				if got := readAll(t, open); string(got) != "delete me" {
					t.Errorf("download opened before Delete: got %q; want %q", got, "delete me")
				}
				wantAbsent(t, st, name)
				if err := st.Delete(ctx, name); !errors.Is(err, backend.ErrNotFound) {
					t.Errorf("second Delete: got %v; want ErrNotFound", err)
				}
				for _, missing := range []string{"r10/never uploaded", "r10", "nothing-here/at all"} {
					if err := st.Delete(ctx, missing); !errors.Is(err, backend.ErrNotFound) {
						t.Errorf("Delete(%q): got %v; want ErrNotFound", missing, err)
					}
				}
				// The name is free again: an upload may take it.
				if err := put(st, name, []byte("again")); err != nil {
					t.Fatalf("Put after Delete: %v", err)
				}
				if got := readAll(t, mustGet(t, st, name, nil)); string(got) != "again" {
					t.Errorf("after a new Put: got %q; want %q", got, "again")
				}
			})

			if !s.proxied {
				return // the edge evaluates Range and preconditions on files
			}
			t.Run("range and conditionals pass through", func(t *testing.T) {
				name := "r8/range.bin"
				body := []byte("0123456789abcdefghij")
				if err := put(st, name, body); err != nil {
					t.Fatalf("Put: %v", err)
				}
				full := mustGet(t, st, name, nil)
				readAll(t, full)
				for _, tc := range []struct {
					req     backend.GetRequest
					status  int
					body    string
					cr      string
					length  int64
					hasBody bool
				}{
					{backend.GetRequest{Range: "bytes=2-5"}, 206, "2345", "bytes 2-5/20", 4, true},
					{backend.GetRequest{Range: "bytes=-3"}, 206, "hij", "bytes 17-19/20", 3, true},
					{backend.GetRequest{Range: "bytes=15-"}, 206, "fghij", "bytes 15-19/20", 5, true},
					{backend.GetRequest{Range: "bytes=100-"}, 416, "", "bytes */20", -2, false},
					{backend.GetRequest{IfNoneMatch: full.ETag}, 304, "", "", 0, false},
					{backend.GetRequest{IfModifiedSince: full.LastModified}, 304, "", "", 0, false},
					{backend.GetRequest{IfMatch: `"nope"`}, 412, "", "", 0, false},
					{backend.GetRequest{Range: "bytes=2-5", IfRange: full.ETag}, 206, "2345", "bytes 2-5/20", 4, true},
					{backend.GetRequest{Range: "bytes=2-5", IfRange: `"other"`}, 200, string(body), "", 20, true},
					{backend.GetRequest{Head: true}, 200, "", "", 20, false},
					{backend.GetRequest{Head: true, Range: "bytes=0-0"}, 206, "", "bytes 0-0/20", 1, false},
				} {
					o := mustGet(t, st, name, &tc.req)
					got := readAll(t, o)
					o.Close() // give the connection back now, not at the end
					if o.Status != tc.status || string(got) != tc.body || o.ContentRange != tc.cr ||
						(tc.length != -2 && o.ContentLength != tc.length) || (o.Body != nil) != tc.hasBody {
						t.Errorf("%+v: got status %d body %q range %q length %d body set %v; want %d %q %q %d %v",
							tc.req, o.Status, got, o.ContentRange, o.ContentLength, o.Body != nil,
							tc.status, tc.body, tc.cr, tc.length, tc.hasBody)
					}
					if tc.status == 206 || tc.status == 416 || tc.status == 200 {
						if o.Size != 20 {
							t.Errorf("%+v: size = %d; want 20", tc.req, o.Size)
						}
					}
				}
			})

			t.Run("body released on early close", func(t *testing.T) {
				name := "r9/big.bin"
				if err := st.Put(ctx, name, backend.PutInfo{Size: 8 << 20, ContentType: "application/octet-stream"}, bytes.NewReader(make([]byte, 8<<20))); err != nil {
					t.Fatalf("Put: %v", err)
				}
				// Far more downloads abandoned half-way than connections
				// allowed: each Close must give its connection back.
				for i := range 40 {
					o, err := st.Get(ctx, name, &backend.GetRequest{})
					if err != nil {
						t.Fatalf("Get %d: %v", i, err)
					}
					if _, err := io.CopyN(io.Discard, o.Body, 64<<10); err != nil {
						t.Fatalf("read %d: %v", i, err)
					}
					o.Close()
				}
			})
		})
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestMain(m *testing.M) {
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "origin conformance failed; nginx and versitygw logs are in the tests' temporary directories")
	}
	os.Exit(code)
}

// TestSkipExistsCheck: without the HEAD before uploads, the origins
// themselves refuse a taken name, also after a large body.
func TestSkipExistsCheck(t *testing.T) {
	n := origintest.StartNginx(t, false)
	v := origintest.StartVersity(t, "")
	v.Options.SkipExistsCheck = true
	for _, o := range []struct {
		name, url string
		opts      origin.Options
	}{
		{"nginx", n.URL, origin.Options{SkipExistsCheck: true}},
		{"s3", v.URL, v.Options},
	} {
		t.Run(o.name, func(t *testing.T) {
			st, err := origin.New(o.url, o.opts)
			if err != nil {
				t.Fatal(err)
			}
			first := bytes.Repeat([]byte("1"), 4<<20)
			if err := put(st, "skip/taken.bin", first); err != nil {
				t.Fatal(err)
			}
			if ok, err := st.Exists(context.Background(), "skip/taken.bin"); ok || err != nil {
				t.Fatalf("Exists = %v, %v; want false, nil without the check", ok, err)
			}
			for range 3 {
				if err := put(st, "skip/taken.bin", bytes.Repeat([]byte("2"), 4<<20)); !errors.Is(err, backend.ErrExists) {
					t.Fatalf("second Put: got %v; want ErrExists", err)
				}
			}
			if got := readAll(t, mustGet(t, st, "skip/taken.bin", nil)); !bytes.Equal(got, first) {
				t.Fatal("taken name was replaced")
			}
		})
	}
}
