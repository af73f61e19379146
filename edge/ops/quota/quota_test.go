package quota

import (
	"path/filepath"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestWindowTotalAndRestart(t *testing.T) {
	fn := filepath.Join(t.TempDir(), "q", "quota.json")
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	opts := Options{Window: 24 * time.Hour, WindowBytes: 100, TotalBytes: 250, File: fn, Now: c.now}
	q, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	alice := []byte("alice@example.org")
	if !q.Reserve(alice, 60) {
		t.Fatal("first 60 refused")
	}
	// In flight bytes count: a second 60 would exceed 100.
	if q.Allow(alice, 60) || q.Reserve(alice, 60) {
		t.Fatal("reservation not counted")
	}
	if !q.Allow([]byte("bob"), 100) {
		t.Fatal("bob refused for alice's usage")
	}
	q.Done(alice, 60, false) // failed upload: released
	if !q.Reserve(alice, 100) {
		t.Fatal("released bytes still counted")
	}
	q.Done(alice, 100, true)
	if q.Allow(alice, 1) {
		t.Fatal("window cap not enforced")
	}
	if err := q.Save(); err != nil {
		t.Fatal(err)
	}

	// Restart: the state survives.
	q, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if w, tot := q.Used(string(alice)); w != 100 || tot != 100 {
		t.Fatalf("after restart: window %d total %d; want 100 100", w, tot)
	}
	if q.Allow(alice, 1) {
		t.Fatal("window cap lost on restart")
	}
	// The window rolls: a day later the window is free, the total is not.
	c.t = c.t.Add(25 * time.Hour)
	if !q.Reserve(alice, 100) {
		t.Fatal("window did not roll")
	}
	q.Done(alice, 100, true)
	c.t = c.t.Add(25 * time.Hour)
	if q.Allow(alice, 51) {
		t.Fatal("total cap not enforced")
	}
	if !q.Allow(alice, 50) {
		t.Fatal("total cap too strict")
	}
}

func TestDisabledAllowsAll(t *testing.T) {
	q, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !q.Reserve([]byte("x"), 1<<40) {
		t.Fatal("disabled quota refused")
	}
	q.Done([]byte("x"), 1<<40, true)
}
