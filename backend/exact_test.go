package backend

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestExactBody(t *testing.T) {
	for _, tc := range []struct {
		name string
		body io.Reader
		size int64
		want string // "" means an error wrapping ErrIncomplete
	}{
		{"exact", strings.NewReader("0123456789"), 10, "0123456789"},
		{"exact, EOF with the data", iotest.DataErrReader(strings.NewReader("0123456789")), 10, "0123456789"},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader("0123456789")), 10, "0123456789"},
		{"empty", strings.NewReader(""), 0, ""},
		{"short", strings.NewReader("abc"), 10, ""},
		{"long", strings.NewReader("abcdefghijk"), 10, ""},
		{"empty but not", strings.NewReader("x"), 0, ""},
		{"read fail", io.MultiReader(strings.NewReader("abcd"), iotest.ErrReader(errors.New("connection reset"))), 10, ""},
		{"fails at the end", io.MultiReader(strings.NewReader("0123456789"), iotest.ErrReader(errors.New("reset"))), 10, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ExactBody(tc.body, tc.size)
			got, err := io.ReadAll(e)
			wantErr := tc.want == "" && tc.name != "empty"
			switch {
			case wantErr && !errors.Is(err, ErrIncomplete):
				t.Fatalf("got %q, %v; want an error wrapping ErrIncomplete", got, err)
			case wantErr && e.Err() != err:
				t.Errorf("Err() = %v; want %v", e.Err(), err)
			case !wantErr && (err != nil || string(got) != tc.want):
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			case !wantErr && e.N() != tc.size:
				t.Errorf("N() = %d; want %d", e.N(), tc.size)
			}
			if wantErr && int64(len(got)) >= tc.size && tc.size > 0 {
				t.Errorf("handed out all %d bytes of a bad body", len(got))
			}
		})
	}
	short := ExactBody(strings.NewReader("abc"), 10)
	if _, err := io.ReadAll(short); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short body: %v; want io.ErrUnexpectedEOF too", err)
	}
}

func TestExactBodyIdempotent(t *testing.T) {
	e := ExactBody(strings.NewReader("abc"), 3)
	if got := ExactBody(e, 3); got != e {
		t.Errorf("ExactBody of an ExactReader of the same size wrapped it again")
	}
	if got := ExactBody(e, 4); got == e {
		t.Errorf("ExactBody of an ExactReader of another size returned it unchanged")
	}
}

func TestExactHold(t *testing.T) {
	var own ExactReader
	e := ExactBody(strings.NewReader("abc"), 3)
	if got := own.Hold(e, 3); got != e {
		t.Errorf("Hold of an ExactReader of the same size did not return it")
	}
	r := own.Hold(strings.NewReader("abcd"), 3)
	if r != &own {
		t.Fatalf("Hold of a plain reader did not use its receiver")
	}
	if _, err := io.ReadAll(r); !errors.Is(err, ErrIncomplete) {
		t.Errorf("long body through Hold: %v; want ErrIncomplete", err)
	}
}
