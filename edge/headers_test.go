package edge

import (
	"strings"
	"testing"
)

func TestValidHSTS(t *testing.T) {
	for _, v := range []string{
		DefaultHSTS,
		"max-age=0",
		"max-age=63072000; includeSubDomains",
		"max-age=63072000; includeSubDomains; preload",
		`max-age="600"`,
		"includeSubDomains ;max-age=1;",
		"MAX-AGE=5",
	} {
		if err := ValidHSTS(v); err != nil {
			t.Errorf("ValidHSTS(%q) = %v; want nil", v, err)
		}
	}
	for _, v := range []string{
		"",
		"includeSubDomains",
		"max-age",
		"max-age=",
		"max-age=abc",
		"max-age=-1",
		"max-age=1; max-age=2",
		"max-age=1; Max-Age=2",
		"max age=1",
		"max-age=1\r\nSet-Cookie: a=b",
		"max-age=1; foo=\"a\x01\"",
		"max-age=1, includeSubDomains",
	} {
		if err := ValidHSTS(v); err == nil {
			t.Errorf("ValidHSTS(%q) = nil; want an error", v)
		}
	}
}

// FuzzValidHSTS: any value is judged without a panic, and one judged
// valid has exactly one max-age and no byte that could end a header line.
func FuzzValidHSTS(f *testing.F) {
	for _, s := range []string{DefaultHSTS, "max-age=1; includeSubDomains; preload", `max-age="5"`, "max-age=1;max-age=2", "x; max-age=0;;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if ValidHSTS(v) != nil {
			return
		}
		if n := strings.Count(strings.ToLower(v), "max-age"); n < 1 {
			t.Fatalf("%q: valid without max-age", v)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			t.Fatalf("%q: valid with a control byte", v)
		}
	})
}
