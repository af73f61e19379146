package slot

import (
	"net/url"
	"strings"
	"testing"

	"github.com/upedge/upedge/edge/token"
)

func TestURLs(t *testing.T) {
	for _, tc := range []struct {
		r        Request
		put, get string
	}{
		{Request{Version: token.V1, Base: "https://up.example.org/upload/", Path: "abc123/photo.jpg", Size: 1048576},
			"https://up.example.org/upload/abc123/photo.jpg?v=5e61822e277cd94381e9d0a4cab427ca11dc19f7f95c1a9f5727d56fbcb17317",
			"https://up.example.org/upload/abc123/photo.jpg"},
		{Request{Version: token.V2, Base: "http://h/u", Path: "/abc123/my file.txt", Size: 1048576, ContentType: "text/plain"},
			"http://h/u/abc123/my%20file.txt?v2=60a6499a4e66141d616c11abac4f2d049c5f70401550129684412e686a37e1a3",
			"http://h/u/abc123/my%20file.txt"},
		{Request{Version: token.V3, Base: "http://h/", Path: "abc123/photo.jpg", Size: 1048576, ContentType: "image/jpeg", Uploader: "alice@example.org", Timestamp: 1717689600},
			"http://h/abc123/photo.jpg?v3=83f8ec0ccc3b18292ec5e1457c760eab7d4b89ed3425bbaf6548c195cd26ffc4&uploader=alice%40example.org&ts=1717689600",
			"http://h/abc123/photo.jpg"},
	} {
		put, get := URLs([]byte("secret string"), tc.r)
		if put != tc.put || get != tc.get {
			t.Errorf("URLs(%+v):\n got %s\n     %s\nwant %s\n     %s", tc.r, put, get, tc.put, tc.get)
		}
	}
}

// TestEscapingRoundTrips: whatever the file name, decoding the GET URL's
// path gives back the signed path, with either escaping.
func TestEscapingRoundTrips(t *testing.T) {
	for _, escape := range []func(string) string{nil, ProsodyEscape} {
		for _, name := range []string{"a+b=c&d.bin", "100% ?#.txt", "été 日本.png", "semi;colon,comma"} {
			_, get := URLs([]byte("s"), Request{Version: token.V1, Base: "http://h/upload/", Path: "r/" + name, Size: 1, Escape: escape})
			u, err := url.Parse(get)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimPrefix(u.Path, "/upload/"); got != "r/"+name {
				t.Errorf("%q: path decodes to %q", name, got)
			}
		}
	}
}

func TestProsodyEscape(t *testing.T) {
	// As Prosody 0.12's util.http.urlencode gives them.
	for in, want := range map[string]string{
		"my file+.txt": "my%20file%2b.txt",
		"été 50%.txt":  "%c3%a9t%c3%a9%2050%25.txt",
		"a.b~c_d-e":    "a.b~c_d-e",
	} {
		if got := ProsodyEscape(in); got != want {
			t.Errorf("ProsodyEscape(%q): got %q; want %q", in, got, want)
		}
	}
}
