package servertest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// Slot returns the v1 PUT URL and the GET URL of name with Secret.
func (e *Edge) Slot(name string, size int64) (put, get string) {
	return slot.URLs([]byte(Secret), slot.Request{Version: token.V1, Base: "http://" + e.Addr + "/upload/", Path: name, Size: size})
}

// Metric returns the value of the metric line that starts with name.
func (e *Edge) Metric(name string) float64 {
	e.T.Helper()
	resp, err := http.Get("http://" + e.Metrics + "/metrics")
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			v, _ := strconv.ParseFloat(rest, 64)
			return v
		}
	}
	return 0
}

// Health returns the status of /healthz.
func (e *Edge) Health() int {
	e.T.Helper()
	resp, err := http.Get("http://" + e.Metrics + "/healthz")
	if err != nil {
		e.T.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// WaitMetric polls until metric reaches at least v (bounded by the test
// timeout: no timed assertion).
func (e *Edge) WaitMetric(name string, v float64) {
	e.T.Helper()
	for e.Metric(name) < v {
		select {
		case <-e.Exited:
			e.T.Fatalf("edge exited while waiting for %s >= %v: %s", name, v, e.Stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// PutHeaders opens a connection and sends the headers of a PUT of size
// bytes to putURL; the caller writes the body to the returned conn.
func (e *Edge) PutHeaders(putURL string, size int64) net.Conn {
	e.T.Helper()
	u := strings.TrimPrefix(putURL, "http://"+e.Addr)
	c, err := net.Dial("tcp", e.Addr)
	if err != nil {
		e.T.Fatal(err)
	}
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nContent-Type: application/octet-stream\r\n\r\n", u, e.Addr, size)
	return c
}

// Upload PUTs body to name with net/http and returns the status.
func (e *Edge) Upload(name string, body []byte) int {
	e.T.Helper()
	put, _ := e.Slot(name, int64(len(body)))
	req, _ := http.NewRequest(http.MethodPut, put, strings.NewReader(string(body)))
	req.ContentLength = int64(len(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatalf("upload %s: %v", name, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Status sends req with http.DefaultClient and returns the status of the
// answer, whose body it closes unread (a download is cut short).
func Status(tb testing.TB, req *http.Request) int {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// RoundTrip sends req with http.DefaultTransport, which leaves what the
// edge sent as it is (no transparent decompression, no redirects), and
// returns the answer, its body closed unread.
func RoundTrip(tb testing.TB, req *http.Request) *http.Response {
	tb.Helper()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Get GETs url with client (http.DefaultClient if nil) and returns the
// answer and its body, read whole.
func Get(tb testing.TB, client *http.Client, url string) (*http.Response, []byte) {
	tb.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// Fetch GETs name and returns the status and the body.
func (e *Edge) Fetch(name string) (int, []byte) {
	e.T.Helper()
	_, get := e.Slot(name, 0)
	resp, err := http.Get(get)
	if err != nil {
		e.T.Fatalf("download %s: %v", name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// ReadStatus reads the status code of the answer on c.
func ReadStatus(c net.Conn) (int, error) {
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return 0, err
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	return strconv.Atoi(f[1])
}

// StreamPut sends a PUT of size bytes read from body to putURL over a raw
// connection, copying through buf, and returns the status.
func StreamPut(tb testing.TB, putURL string, size int64, body io.Reader, buf []byte) int {
	tb.Helper()
	addr, path, _ := strings.Cut(strings.TrimPrefix(putURL, "http://"), "/")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "PUT /%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", path, addr, size)
	if _, err := io.CopyBuffer(c, body, buf); err != nil {
		tb.Fatalf("sending body: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		tb.Fatalf("reading answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
