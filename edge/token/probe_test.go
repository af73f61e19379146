package token

import (
	"strconv"
	"strings"
	"testing"
)

// probeVector: printf 'upedge-check\x021717689600' | openssl dgst -sha256 -hmac 'secret string'
const probeVector = "1717689600:4b9bba8007c82d92ca2329b9206a822ae885193be08b4e6b86f62c70d578e2e9"

func TestProbe(t *testing.T) {
	s := NewSigner([]byte(secret))
	if got := string(s.AppendProbe([]byte("x"), 1717689600)); got != "x"+probeVector {
		t.Fatalf("AppendProbe: got %q; want %q", got, "x"+probeVector)
	}
	v := NewVerifier([]byte(secret), 0, vectorClock)
	other := string(NewSigner([]byte("other")).AppendProbe(nil, 1717689600))
	tests := []struct {
		name, value string
		want        error
	}{
		{"vector", probeVector, nil},
		{"upper-case hex", "1717689600:4B9BBA8007C82D92CA2329B9206A822AE885193BE08B4E6B86F62C70D578E2E9", nil},
		{"other secret", other, ErrMismatch},
		{"other time", string(s.AppendProbe(nil, 1717689601))[:11] + probeVector[11:], ErrMismatch},
		{"stale", string(s.AppendProbe(nil, 1717689600-400)), ErrStale},
		{"future", string(s.AppendProbe(nil, 1717689600+400)), ErrStale},
		{"empty", "", ErrMalformed},
		{"no timestamp", probeVector[10:], ErrMalformed},
		{"no colon", "1717689600-" + probeVector[11:], ErrMalformed},
		{"signed timestamp", "+" + probeVector, ErrMalformed},
		{"short MAC", probeVector[:len(probeVector)-1], ErrMalformed},
		{"non-hex", probeVector[:len(probeVector)-1] + "g", ErrMalformed},
		// A slot token is no probe token.
		{"v1 token", "1717689600:" + vectors[0].hex, ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := v.VerifyProbe([]byte(tt.value)); got != tt.want {
				t.Errorf("VerifyProbe(%q): got %v; want %v", tt.value, got, tt.want)
			}
		})
	}
}

// TestProbePreviousSecret: during a rotation the probe of a previous
// secret passes too, as its tokens do.
func TestProbePreviousSecret(t *testing.T) {
	v, err := New(Options{Secret: []byte("new"), PreviousSecrets: [][]byte{[]byte(secret)}, Now: vectorClock})
	if err != nil {
		t.Fatal(err)
	}
	if got := v.VerifyProbe([]byte(probeVector)); got != nil {
		t.Errorf("probe of the previous secret: got %v; want nil", got)
	}
}

// FuzzVerifyProbe: whatever a client puts in Upedge-Check, VerifyProbe
// returns one of its errors without panicking, and passes only the value
// AppendProbe makes for its timestamp (hex digits in either case).
func FuzzVerifyProbe(f *testing.F) {
	f.Add(probeVector)
	f.Add("1717689600:" + vectors[0].hex)
	f.Add("")
	f.Add(":")
	f.Add("9999999999999999999:" + probeVector[11:])
	s := NewSigner([]byte(secret))
	v := NewVerifier([]byte(secret), 0, vectorClock)
	f.Fuzz(func(t *testing.T, value string) {
		err := v.VerifyProbe([]byte(value))
		switch err {
		case nil:
			ts, _, _ := strings.Cut(value, ":")
			n, perr := strconv.ParseInt(ts, 10, 64)
			if want := string(s.AppendProbe(nil, n)); perr != nil || !strings.EqualFold(value, want) {
				t.Fatalf("VerifyProbe(%q) passed; the probe of its timestamp is %q", value, want)
			}
		case ErrMalformed, ErrStale, ErrMismatch:
		default:
			t.Fatalf("VerifyProbe(%q): unexpected error %v", value, err)
		}
	})
}
