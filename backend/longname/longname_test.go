package longname

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppend(t *testing.T) {
	cyr := strings.Repeat("я", 127) + ".txt" // 258 bytes: the name
	for _, tc := range []struct {
		name string
		same bool // kept as it is
	}{
		{"abc123/photo.jpg", true},
		{"abc123/" + strings.Repeat("a", 255), true},
		{"abc123/" + strings.Repeat("a", 254) + "é", false}, // 256 bytes
		{"abc123/" + cyr, false},
		{strings.Repeat("d", 300) + "/" + cyr, false},
		{"abc123/" + strings.Repeat("я", 128), false},            // no extension, 256 bytes
		{"abc123/x~0123456789abcdef0123456789abcdef", false},     // shaped like a hashed name
		{"abc123/x~0123456789abcdef0123456789abcdef.txt", false}, // with an extension
		{"abc123/x~0123456789abcdef0123456789abcdeF.txt", true},  // upper case: not the shape
		{"abc123/x~0123456789abcdef0123456789abcde.txt", true},   // 31 digits
		{"abc123/x~0123456789abcdef0123456789abcdef0.txt", true}, // 33 digits
		{"abc123/~0123456789abcdef0123456789abcdef~a", true},     // last ~ decides
		{"abc123/" + strings.Repeat("\xff", 300), false},         // not UTF-8
	} {
		got := Map(tc.name, 255)
		if (got == tc.name) != tc.same {
			t.Errorf("Map(%.40q...) = %.60q; kept as is: %v, want %v", tc.name, got, got == tc.name, tc.same)
		}
		if Fits(tc.name, 255) != tc.same {
			t.Errorf("Fits(%.40q...) = %v; want %v", tc.name, !tc.same, tc.same)
		}
		for _, seg := range strings.Split(got, "/") {
			if len(seg) > 255 {
				t.Errorf("Map(%.40q...) has a segment of %d bytes", tc.name, len(seg))
			}
		}
		if !tc.same {
			// Hashed names are fixed points of the hashed shape: mapped
			// again, they are hashed again (a stored name is never a
			// real one).
			if Fits(got, 255) {
				t.Errorf("Map(%.40q...) = %.60q fits as a real name", tc.name, got)
			}
		}
	}
	got := Map("abc123/"+cyr, 255)
	if !strings.HasPrefix(got, "abc123/яяя") || !strings.HasSuffix(got, ".txt") || !utf8.ValidString(got) {
		t.Errorf("Map(cyrillic) = %q; want a readable head and the extension", got)
	}
	if Map("abc123/"+cyr, 255) != got {
		t.Error("Map is not deterministic")
	}
	if Map("abc123/"+cyr+"x", 255) == got {
		t.Error("two names mapped to one")
	}
	if n := len(strings.Split(got, "/")[1]); n != 255 && n != 254 {
		t.Errorf("hashed segment has %d bytes; want the limit (or one less, at a character boundary)", n)
	}
}

func TestLimits(t *testing.T) {
	for limit := MinLimit; limit <= 300; limit++ {
		for _, seg := range []string{strings.Repeat("я", 200) + ".jpeg", strings.Repeat("x", 400), "a.bcdefghijklmnopq", strings.Repeat("€", 150) + ".0123456789abcde"} {
			got := Map(seg, limit)
			if len(got) > limit {
				t.Fatalf("limit %d: %d bytes", limit, len(got))
			}
			if len(seg) > limit && !utf8.ValidString(got) && utf8.ValidString(seg) {
				t.Fatalf("limit %d: %q cut inside a character", limit, got)
			}
		}
	}
}

func FuzzMap(f *testing.F) {
	for _, s := range []string{"a/b.jpg", strings.Repeat("я", 130) + ".txt", "x~0123456789abcdef0123456789abcdef.png"} {
		f.Add(s, 255)
	}
	f.Fuzz(func(t *testing.T, name string, limit int) {
		if limit < MinLimit || limit > 4096 || strings.Contains(name, "//") || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") {
			return
		}
		got := Map(name, limit)
		segs, gsegs := strings.Split(name, "/"), strings.Split(got, "/")
		if len(segs) != len(gsegs) {
			t.Fatalf("%q → %q: segment count changed", name, got)
		}
		for i, g := range gsegs {
			if len(g) > limit {
				t.Fatalf("%q → %q: segment over the limit", name, got)
			}
			// Kept as is, or hashed and never taken for a real name.
			if g != segs[i] && segmentFits(g, limit) {
				t.Fatalf("%q → %q: hashed segment %q could be a real name", name, got, g)
			}
			if g == segs[i] && !segmentFits(g, limit) {
				t.Fatalf("%q → %q: segment %q kept though it does not fit", name, got, g)
			}
		}
	})
}
