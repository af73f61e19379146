package urlpath

import (
	"errors"
	"strings"
	"testing"
)

func TestRelative(t *testing.T) {
	cases := []struct {
		raw, prefix, want string
		err               error
	}{
		{"/upload/abc123/photo.jpg", "/upload/", "abc123/photo.jpg", nil},
		{"/abc123/photo.jpg", "/", "abc123/photo.jpg", nil},
		{"/upload/abc123/my%20file.txt", "/upload/", "abc123/my file.txt", nil},
		{"/upload/abc/a+b.txt", "/upload/", "abc/a+b.txt", nil},
		{"/upload/abc/%C3%A9t%C3%A9%20%E2%9C%93.png", "/upload/", "abc/été ✓.png", nil},
		{"/upload/abc/%2Efoo", "/upload/", "abc/.foo", nil},
		{"/upload/abc/a%2Fb", "/upload/", "abc/a/b", nil},
		{"/other/abc/x", "/upload/", "", ErrOutsidePrefix},
		{"/upload", "/upload/", "", ErrOutsidePrefix},
		{"/upload/", "/upload/", "", ErrBadPath},
		{"/upload/abc/../x", "/upload/", "", ErrBadPath},
		{"/upload/abc/%2e%2e/x", "/upload/", "", ErrBadPath},
		{"/upload/abc/%2E%2E", "/upload/", "", ErrBadPath},
		{"/upload/..", "/upload/", "", ErrBadPath},
		{"/upload/./x", "/upload/", "", ErrBadPath},
		{"/upload/abc//x", "/upload/", "", ErrBadPath},
		{"/upload//etc/passwd", "/upload/", "", ErrBadPath},
		{"/upload/%2Fetc/passwd", "/upload/", "", ErrBadPath},
		{"/upload/abc/", "/upload/", "", ErrBadPath},
		{"/upload/abc/x%00.jpg", "/upload/", "", ErrBadPath},
		{"/upload/abc/x%0a.jpg", "/upload/", "", ErrBadPath},
		{"/upload/abc/x%zz", "/upload/", "", ErrBadPath},
		{"/upload/abc/x%4", "/upload/", "", ErrBadPath},
		{"/upload/abc/" + strings.Repeat("a", 256), "/upload/", "abc/" + strings.Repeat("a", 256), nil},
		{"/upload/abc/" + strings.Repeat("a", MaxPath-5), "/upload/", "abc/" + strings.Repeat("a", MaxPath-5), nil},
		{"/upload/abc/" + strings.Repeat("a", MaxPath-4), "/upload/", "abc/" + strings.Repeat("a", MaxPath-4), nil},
		{"/upload/abc/" + strings.Repeat("a", MaxPath-3), "/upload/", "", ErrTooLong},
		{"/upload/abc/" + strings.Repeat("%D1%8F", 510), "/upload/", "abc/" + strings.Repeat("я", 510), nil},
		{"/upload/abc/" + strings.Repeat("%D1%8F", 510) + "x", "/upload/", "", ErrTooLong},
		{"/upload/.upedge/tmp/x", "/upload/", "", ErrBadPath},
		{"/upload/abc/.upedge/x", "/upload/", "", ErrBadPath},
		{"/upload/abc/%2Eupedge", "/upload/", "", ErrBadPath},
		{"/upload/abc/.upedge", "/upload/", "", ErrBadPath},
		{"/upload/abc/.upedge.txt", "/upload/", "", ErrBadPath}, // an HTTP origin's metadata name
		{"/upload/abc/.upedge.", "/upload/", "", ErrBadPath},
		{"/upload/abc/.upedgetxt", "/upload/", "abc/.upedgetxt", nil},
		{"/upload/abc/x.upedge", "/upload/", "abc/x.upedge", nil},
		{"/upload/.upedgex/a", "/upload/", ".upedgex/a", nil},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := Relative([]byte("keep:"), []byte(tc.raw), tc.prefix)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err: got %v; want %v", err, tc.err)
			}
			if want := "keep:" + tc.want; string(got) != want {
				t.Fatalf("got %q; want %q", got, want)
			}
		})
	}
}

func TestNormalizePrefix(t *testing.T) {
	for in, want := range map[string]string{"": "/", "/": "/", "upload": "/upload/", "/upload/": "/upload/", "//a/b//": "/a/b/"} {
		if got := NormalizePrefix(in); got != want {
			t.Errorf("NormalizePrefix(%q) = %q; want %q", in, got, want)
		}
	}
}

func FuzzRelative(f *testing.F) {
	for _, s := range []string{"/upload/a/b.jpg", "/upload/%2e%2e/x", "/upload/a%00", "/upload//", "/upload/a/%C3%A9"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := Relative(nil, raw, "/upload/")
		if err != nil {
			return
		}
		// Whatever is accepted names something strictly below the root.
		if !Valid(got) || got[0] == '/' || len(got) > MaxPath {
			t.Fatalf("accepted %q as %q", raw, got)
		}
		for _, seg := range strings.Split(string(got), "/") {
			if seg == "" || seg == "." || seg == ".." || seg == ".upedge" || strings.HasPrefix(seg, ".upedge.") || strings.ContainsRune(seg, 0) {
				t.Fatalf("accepted %q with segment %q", raw, seg)
			}
		}
	})
}
