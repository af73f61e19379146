package token

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{ErrNoToken, "missing"},
		{ErrMalformed, "malformed"},
		{ErrMismatch, "mismatch"},
		{ErrStale, "stale"},
		{ErrBadClaims, "bad-claims"},
		{fmt.Errorf("cannot upload: %w", ErrStale), "stale"},
		{errors.New("disk full"), ReasonOther},
	} {
		if got := Reason(tc.err); got != tc.want {
			t.Errorf("Reason(%v) = %q; want %q", tc.err, got, tc.want)
		}
		if tc.err != nil && !slices.Contains(Reasons(), Reason(tc.err)) {
			t.Errorf("Reasons() lacks %q", Reason(tc.err))
		}
	}
	// Each kind has its own reason, or the metric would merge two of them.
	if r := Reasons(); len(slices.Compact(slices.Sorted(slices.Values(r)))) != len(r) {
		t.Errorf("Reasons() has duplicates: %q", r)
	}
}
