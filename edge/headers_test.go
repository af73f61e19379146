package edge

import "testing"

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
