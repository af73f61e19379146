package edge

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// overQuota refuses every uploader named "over@example.org".
type overQuota struct{}

func (overQuota) Allow(u []byte, _ int64) bool   { return string(u) != "over@example.org" }
func (overQuota) Reserve(u []byte, _ int64) bool { return string(u) != "over@example.org" }
func (overQuota) Done([]byte, int64, bool)       {}

// answerWait bounds every wait for an answer in these tests: well below
// the edge's read timeout (10 s, startEdge), so an answer that came only
// because the edge gave up waiting for the body fails the test.
const answerWait = 5 * time.Second

// refusalCase is a PUT refused on its headers.
type refusalCase struct {
	name    string
	target  string // request target
	headers string // header lines after Host, each ending in \r\n
	want    int
	body    bool // announces a body: the connection must close after the answer
}

func refusalCases(e *testEdge) []refusalCase {
	path := e.slotName("early.bin")
	put, _ := e.sign(token.V1, path, 1000, "")
	target := func(u string) string { return strings.TrimPrefix(u, "http://"+e.addr) }
	bad := target(put[:len(put)-4] + "0000")
	v3 := slot.Request{Version: token.V3, Base: e.base, Path: e.slotName("q.bin"), Size: 1000,
		Uploader: "over@example.org", Timestamp: time.Now().Unix()}
	overQ, _ := slot.URLs([]byte(testSecret), v3)
	v3.Uploader, v3.Timestamp = "alice@example.org", time.Now().Add(-time.Hour).Unix()
	stale, _ := slot.URLs([]byte(testSecret), v3)
	taken, _ := e.sign(token.V1, e.slotName("taken.bin"), 1000, "")
	if code := e.put(taken, make([]byte, 1000), ""); code != http.StatusCreated {
		e.t.Fatalf("upload of the taken name: got %d; want 201", code)
	}
	huge, _ := e.sign(token.V1, path, 1<<40, "")
	cl := "Content-Length: 1000\r\n"
	return []refusalCase{
		{"outside the prefix", "/elsewhere/x.bin", cl, http.StatusNotFound, true},
		{"bad path", "/upload/a/%2e%2e/b?v=00", cl, http.StatusBadRequest, true},
		{"no length", target(put), "", http.StatusLengthRequired, false},
		{"chunked", target(put), "Transfer-Encoding: chunked\r\n", http.StatusLengthRequired, true},
		{"over the size limit", target(huge), "Content-Length: 1099511627776\r\n", http.StatusRequestEntityTooLarge, true},
		{"Content-Type too long", target(put), cl + "Content-Type: " + strings.Repeat("a", 300) + "\r\n", http.StatusBadRequest, true},
		{"no token", "/upload/" + path, cl, http.StatusForbidden, true},
		{"wrong token", bad, cl, http.StatusForbidden, true},
		{"stale v3 timestamp", target(stale), cl, http.StatusForbidden, true},
		{"over quota", target(overQ), cl, http.StatusRequestEntityTooLarge, true},
		{"taken name", target(taken), cl, http.StatusConflict, true},
		{"If-Match on a new upload", target(put), cl + "If-Match: \"abc\"\r\n", http.StatusPreconditionFailed, true},
		{"method not allowed, with a body", "/upload/" + path, cl, http.StatusMethodNotAllowed, true},
	}
}

// testDecidedOnHeaders: a client that sends a PUT's headers and waits,
// without Expect: 100-continue, reads the final answer of every refusal
// decided on the headers without sending a byte of body, as nginx answers
// (issue 11, item 3); with Expect, it gets that answer instead of 100
// Continue. A body that was announced is not read: the answer says
// Connection: close and the connection ends right after it.
func testDecidedOnHeaders(t *testing.T, b testBackend) {
	e := startEdge(t, b, func(o *Options) { o.Admitter = overQuota{} })
	for _, expect := range []bool{false, true} {
		for _, tc := range refusalCases(e) {
			name := tc.name
			if expect {
				name += ", Expect: 100-continue"
			}
			t.Run(name, func(t *testing.T) {
				method := "PUT"
				if tc.want == http.StatusMethodNotAllowed {
					method = "POST"
				}
				c, br := e.rawConn()
				_ = c.SetDeadline(time.Now().Add(answerWait))
				hdr := tc.headers
				if expect {
					hdr += "Expect: 100-continue\r\n"
				}
				fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\n%s\r\n", method, tc.target, hdr)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("no answer to the headers alone: %v", err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Fatalf("status: got %d; want %d", resp.StatusCode, tc.want)
				}
				if resp.Header.Get("Access-Control-Allow-Origin") == "" {
					t.Errorf("%d without CORS", resp.StatusCode)
				}
				if !tc.body {
					return
				}
				if !resp.Close {
					t.Errorf("%d to a request with an unread body: no Connection: close", resp.StatusCode)
				}
				if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
					t.Errorf("after the answer: %v; want the end of the connection", err)
				}
			})
		}
	}
	// Nothing of the refused uploads reached the store: only the file of
	// the taken name (and what the origin keeps of its own) is there.
	for _, f := range storeFiles(t, e.dir) {
		if !strings.Contains(f, "taken.bin") {
			t.Errorf("a refused upload left %s", f)
		}
	}
}

// testConnectionAfterRefusal: a client that sends part of a refused body
// and then reuses the connection gets a clean close at once, not a wait
// for the read timeout (issue 11, item 7); so does one that sent all of a
// small body with the headers. A refusal of a request without a body
// keeps the connection.
func testConnectionAfterRefusal(t *testing.T, b testBackend) {
	e := startEdge(t, b)
	put, _ := e.sign(token.V1, e.slotName("partial.bin"), 1000, "")
	bad := strings.TrimPrefix(put[:len(put)-4]+"0000", "http://"+e.addr)
	for _, tc := range []struct {
		name string
		sent int // body bytes sent with the headers
	}{
		{"part of the body", 10},
		{"all of a small body", 1000},
		{"none of it", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, br := e.rawConn()
			_ = c.SetDeadline(time.Now().Add(answerWait))
			fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n%s", bad, strings.Repeat("x", tc.sent))
			resp := readResponse(t, br)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || !resp.Close {
				t.Fatalf("got %d, Connection: close %v; want 403 with it", resp.StatusCode, resp.Close)
			}
			// The next request on the connection: the edge has closed
			// it, the client sees the end at once (the write may still
			// be accepted by the edge's lingering read).
			fmt.Fprintf(c, "GET /upload/x/y HTTP/1.1\r\nHost: x\r\n\r\n")
			if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
				t.Fatalf("second request on the connection: %v; want the end of the connection", err)
			}
		})
	}
	t.Run("no body keeps the connection", func(t *testing.T) {
		c, br := e.rawConn()
		_ = c.SetDeadline(time.Now().Add(answerWait))
		fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", bad)
		resp := readResponse(t, br)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || resp.Close {
			t.Fatalf("got %d, Connection: close %v; want 403 without it", resp.StatusCode, resp.Close)
		}
		fmt.Fprintf(c, "GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp := readResponse(t, br); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("second request: got %d; want 404", resp.StatusCode)
		}
	})
}
