package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/server/servertest"
)

// rawAnswer sends req on a new connection to addr and reads the answer
// (bounded wait).
func rawAnswer(t *testing.T, addr, req string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if req != "" {
		fmt.Fprint(c, req)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to %.60q: %v", req, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestRequestHeads: request heads are accepted as nginx's defaults do (a
// line up to 8 KiB, 32 KiB in all), and every answer the server makes by
// itself, before or outside the handler (414, 431, 400, 408), carries
// CORS headers, is counted in /metrics and has its access log line
// (issue 11, item 4).
func TestRequestHeads(t *testing.T) {
	dir := t.TempDir()
	accessLog := filepath.Join(dir, "access.log")
	p := servertest.Start(t, filepath.Join(dir, "store"), "--access-log", accessLog, "--read-timeout", "1s")
	body := []byte("hello")
	if st := p.Upload("h/hello.txt", body); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	_, get := p.Slot("h/hello.txt", 0)
	path := strings.TrimPrefix(get, "http://"+p.Addr)
	cookie := func(n int) string { return "Cookie: session=" + strings.Repeat("c", n) + "\r\n" }
	lines := 1 // the upload
	for _, tc := range []struct {
		name   string
		req    string
		status int
		method string // as logged
	}{
		{"a 4.2 KB cookie", "GET " + path + " HTTP/1.1\r\nHost: x\r\nOrigin: https://chat.example\r\n" + cookie(4200) + "\r\n", 200, "GET"},
		{"an 8 KiB line", "GET " + path + " HTTP/1.1\r\nHost: x\r\nOrigin: https://chat.example\r\n" + cookie(8192-len("Cookie: session=")) + "\r\n", 200, "GET"},
		{"30 KiB in all", "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + strings.Repeat(cookie(7000), 4) + "\r\n", 200, "GET"},
		{"a header line over 8 KiB", "GET " + path + " HTTP/1.1\r\nHost: x\r\nOrigin: https://chat.example\r\n" + cookie(8200) + "\r\n", 431, "GET"},
		{"a PUT with a header line over 8 KiB", "PUT " + path + "?v=00 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n" + cookie(8200) + "\r\n", 431, "PUT"},
		{"a request line over 8 KiB", "GET /upload/" + strings.Repeat("a", 8200) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "GET"},
		// fasthttp keeps nothing of a head it could not read: logged as
		// "-", counted as "other".
		{"a head over 32 KiB", "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + strings.Repeat(cookie(7000), 5) + "\r\n", 431, "-"},
		{"a malformed header", "GET " + path + " HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400, "-"},
		{"not HTTP", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "-"},
		{"nothing within read_timeout", "", 408, "-"},
		{"half a head within read_timeout", "GET " + path + " HTTP/1.1\r\nHost: x\r\n", 408, "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := p.Metric(fmt.Sprintf(`upedge_requests_total{method=%q,status="%d"}`, metricMethod(tc.method), tc.status))
			resp := rawAnswer(t, p.Addr, tc.req)
			lines++
			if resp.StatusCode != tc.status {
				t.Fatalf("got %d; want %d", resp.StatusCode, tc.status)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("%d without Access-Control-Allow-Origin: %v", resp.StatusCode, resp.Header)
			}
			name := fmt.Sprintf(`upedge_requests_total{method=%q,status="%d"}`, metricMethod(tc.method), tc.status)
			waitMetric(t, p, name, before+1)
			got := waitLines(t, accessLog, lines)
			if last := got[lines-1]; last.Status != tc.status || last.Method != tc.method {
				t.Errorf("access log: %s %d; want %s %d", last.Method, last.Status, tc.method, tc.status)
			}
		})
	}
}

// metricMethod is the method label of a logged method.
func metricMethod(m string) string {
	switch m {
	case "GET", "HEAD", "PUT", "OPTIONS":
		return m
	}
	return "other"
}

// TestOverMaxConns: a connection over max_conns is answered 503 with
// CORS headers and Retry-After, counted and logged; once one closes, the
// next is served.
func TestOverMaxConns(t *testing.T) {
	dir := t.TempDir()
	accessLog := filepath.Join(dir, "access.log")
	p := servertest.Start(t, filepath.Join(dir, "store"), "--access-log", accessLog, "--max-conns", "2")
	var held []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// One request each, then idle on keep-alive.
		fmt.Fprintf(c, "GET /upload/x/%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 404 {
			t.Fatalf("held connection %d: %v %v", i, resp, err)
		}
		held = append(held, c)
	}
	resp := rawAnswer(t, p.Addr, "GET /upload/x/over HTTP/1.1\r\nHost: x\r\nOrigin: https://chat.example\r\n\r\n")
	if resp.StatusCode != 503 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Retry-After") == "" || !resp.Close {
		t.Fatalf("over max_conns: %d, CORS %q, Retry-After %q, close %v; want 503 with all three",
			resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Retry-After"), resp.Close)
	}
	p.WaitMetric(`upedge_requests_total{method="GET",status="503"}`, 1)
	if got := waitLines(t, accessLog, 3); got[2].Status != 503 || got[2].Path != "/upload/x/over" {
		t.Errorf("access log: %+v; want the 503 of /upload/x/over", got[2])
	}
	held[0].Close()
	// fasthttp notices the close at its next read: wait until a new
	// connection is served.
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp := rawAnswer(t, p.Addr, "GET /upload/x/again HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode == 404 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("no connection served after one of the cap closed")
		}
	}
}

// waitMetric is p.WaitMetric with a bound, for a metric that may never
// come.
func waitMetric(t *testing.T, p *servertest.Edge, name string, v float64) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); p.Metric(name) < v; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s stays at %v; want %v", name, p.Metric(name), v)
		}
	}
}
