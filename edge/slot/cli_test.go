package slot

import (
	"bytes"
	"strings"
	"testing"
)

// TestMainVectors: `upedge sign` prints the vectors of docs/protocol.md.
func TestMainVectors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--secret", "secret string", "abc123/photo.jpg", "1048576"},
			"http://127.0.0.1:5050/upload/abc123/photo.jpg?v=5e61822e277cd94381e9d0a4cab427ca11dc19f7f95c1a9f5727d56fbcb17317\n" +
				"http://127.0.0.1:5050/upload/abc123/photo.jpg\n"},
		{[]string{"--secret", "secret string", "--version", "v2", "--type", "text/plain", "--base", "https://up.example.org/u", "abc123/my file.txt", "1048576"},
			"https://up.example.org/u/abc123/my%20file.txt?v2=60a6499a4e66141d616c11abac4f2d049c5f70401550129684412e686a37e1a3\n" +
				"https://up.example.org/u/abc123/my%20file.txt\n"},
		{[]string{"--secret", "secret string", "--version", "v3", "--type", "image/jpeg", "--uploader", "alice@example.org", "--ts", "1717689600", "abc123/photo.jpg", "1048576"},
			"http://127.0.0.1:5050/upload/abc123/photo.jpg?v3=83f8ec0ccc3b18292ec5e1457c760eab7d4b89ed3425bbaf6548c195cd26ffc4&uploader=alice%40example.org&ts=1717689600\n" +
				"http://127.0.0.1:5050/upload/abc123/photo.jpg\n"},
		{[]string{"--secret=secret string", "/abc123/photo.jpg", "1048576"}, // a leading slash is dropped
			"http://127.0.0.1:5050/upload/abc123/photo.jpg?v=5e61822e277cd94381e9d0a4cab427ca11dc19f7f95c1a9f5727d56fbcb17317\n" +
				"http://127.0.0.1:5050/upload/abc123/photo.jpg\n"},
		// docs/protocol.md's vectors of the second round.
		{[]string{"--secret", "secret string", "--version", "v3-expires", "--expires", "1717690000", "abc123/photo.jpg", "1048576"},
			"http://127.0.0.1:5050/upload/abc123/photo.jpg?v3=cbc295e9c0758ae3c64b6d0975c5f936ce53f77b1d91d6c8fb4afc91c5b251dc&expires=1717690000\n" +
				"http://127.0.0.1:5050/upload/abc123/photo.jpg\n"},
		{[]string{"--secret", "secret string", "--version", "jwt", "--type", "image/png", "--uploader", "user@example.com",
			"--ts", "1612113160", "--expires", "1612717960", "RVbKAgWPcrUYAodj/picture.png", "7168"},
			"http://127.0.0.1:5050/upload/RVbKAgWPcrUYAodj/picture.png\n" +
				"http://127.0.0.1:5050/upload/RVbKAgWPcrUYAodj/picture.png\n" +
				"Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE2MTIxMTM0NjAsImV4cGlyZXMiOjE2MTI3MTc5NjAsImZpbGVuYW1lIjoicGljdHVyZS5wbmciLCJmaWxlc2l6ZSI6NzE2OCwiZmlsZXR5cGUiOiJpbWFnZS9wbmciLCJpYXQiOjE2MTIxMTMxNjAsInNsb3QiOiJSVmJLQWdXUGNyVVlBb2RqIiwic3ViIjoidXNlckBleGFtcGxlLmNvbSJ9.w4WuLb8FewGFIsqsQytS6uj734bDUg1hw1LgCH1-oSs\n" +
				`{"exp":1612113460,"expires":1612717960,"filename":"picture.png","filesize":7168,"filetype":"image/png","iat":1612113160,"slot":"RVbKAgWPcrUYAodj","sub":"user@example.com"}` + "\n"},
		{[]string{"--secret", "secret string", "--delete-secret", "delete secret", "--delete", "abc123/photo.jpg"},
			"http://127.0.0.1:5050/upload/abc123/photo.jpg?token=c0ca8a5a65dd87173bddb5906eec1bdd2b91d30c89d6bd8d6bbdddbbcd426986\n"},
	} {
		var out, errb bytes.Buffer
		if code := Main(tc.args, &out, &errb); code != 0 {
			t.Fatalf("sign %v: exit %d: %s", tc.args, code, errb.String())
		}
		if got := out.String(); got != tc.want {
			t.Errorf("sign %v:\n got %s\nwant %s", tc.args, got, tc.want)
		}
	}
}

func TestMainUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string // in stderr; "" for no check
	}{
		{nil, "usage: upedge sign"},
		{[]string{"p", "1"}, "usage: upedge sign"},             // no secret
		{[]string{"--secret", "s", "p"}, "usage: upedge sign"}, // no size
		{[]string{"--secret", "s", "p", "notanumber"}, `SIZE "notanumber"`},
		{[]string{"--secret", "s", "p", "-1"}, ""}, // pflag takes -1 for a shorthand flag and, as before, says nothing
		{[]string{"--secret", "s", "--version", "v4", "p", "1"}, "unknown token scheme"},
		{[]string{"--secret", "s", "--version", "v3", "p", "1"}, "v3 needs --uploader"},
		{[]string{"--secret", "s", "--version", "jwt", "a/b/c", "1"}, "SLOT/FILENAME"},
		{[]string{"--secret", "s", "--delete", "a/b"}, "--delete needs --delete-secret"},
		{[]string{"--secret", "s", "--delete-secret", "d", "--delete", "a/b", "1"}, "usage: upedge sign"},
		{[]string{"--frobnicate"}, ""}, // pflag's ContinueOnError prints nothing; kept as it was
	} {
		var out, errb bytes.Buffer
		if code := Main(tc.args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d; want 2", tc.args, code)
		}
		if !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%v: stderr %q; want it to contain %q", tc.args, errb.String(), tc.msg)
		}
		if out.Len() != 0 {
			t.Errorf("%v: stdout %q; want nothing", tc.args, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"--help"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "--secret") {
		t.Errorf("--help: exit %d, stderr %q; want 0 and the flags", code, errb.String())
	}
}
