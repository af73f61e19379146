package httpsem

import "testing"

func TestParseDigits(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1717689600": 1717689600, "999999999999999999": 999999999999999999} {
		if got, ok := ParseDigits([]byte(in)); !ok || got != want {
			t.Errorf("ParseDigits(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-1", "+1", " 1", "1 ", "1e3", "0x10", "1000000000000000000"} {
		if _, ok := ParseDigits([]byte(in)); ok {
			t.Errorf("ParseDigits(%q): accepted", in)
		}
	}
}

func TestUnhex(t *testing.T) {
	for c, want := range map[byte]byte{'0': 0, '9': 9, 'a': 10, 'F': 15} {
		if got, ok := Unhex(c); !ok || got != want {
			t.Errorf("Unhex(%q) = %d, %v; want %d", c, got, ok, want)
		}
	}
	for _, c := range []byte("gG/:@`") {
		if _, ok := Unhex(c); ok {
			t.Errorf("Unhex(%q): accepted", c)
		}
	}
}

func TestFold(t *testing.T) {
	if !EqualFold("Content-Length:", []byte("content-length:")) || EqualFold("ab", "abc") || EqualFold("a", "b") {
		t.Error("EqualFold")
	}
	if !HasPrefixFold("IMAGE/png", "image/") || HasPrefixFold("ima", "image/") {
		t.Error("HasPrefixFold")
	}
}

func TestDecodeHex(t *testing.T) {
	var dst [2]byte
	if !DecodeHex(dst[:], []byte("aB0f")) || dst != [2]byte{0xab, 0x0f} {
		t.Fatalf("DecodeHex(aB0f) = %x", dst)
	}
	for _, in := range []string{"aB0", "aB0fF", "aB0g", "zz00", "00 0", "0\x000"} {
		if DecodeHex(dst[:], []byte(in)) {
			t.Errorf("DecodeHex(%q): accepted", in)
		}
	}
}
