package edge

import (
	"net/http"
	"testing"

	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// TestReloadSwapsSecret: after Reload, tokens of the new secret are
// accepted and those of the old one refused; an empty secret is refused
// and changes nothing.
func TestReloadSwapsSecret(t *testing.T) {
	e := startEdge(t, testBackends()[0])
	signWith := func(secret, path string) string {
		put, _ := slot.URLs([]byte(secret), slot.Request{Version: token.V1, Base: e.base, Path: path, Size: 2})
		return put
	}
	if err := e.handler.Reload(Options{}); err == nil {
		t.Fatal("Reload with an empty secret: got nil error; want one")
	}
	if got := e.put(signWith(testSecret, e.slotName("a.txt")), []byte("hi"), ""); got != http.StatusCreated {
		t.Fatalf("old secret before a failed reload: got %d; want 201", got)
	}
	if err := e.handler.Reload(Options{Secret: []byte("new secret")}); err != nil {
		t.Fatal(err)
	}
	if got := e.put(signWith(testSecret, e.slotName("b.txt")), []byte("hi"), ""); got != http.StatusForbidden {
		t.Errorf("old secret after reload: got %d; want 403", got)
	}
	if got := e.put(signWith("new secret", e.slotName("c.txt")), []byte("hi"), ""); got != http.StatusCreated {
		t.Errorf("new secret after reload: got %d; want 201", got)
	}
}
