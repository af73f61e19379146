package edge

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/token"
)

// TestProbeReceived: a request with a valid probe token gets
// Upedge-Received, saying what reached the edge, on every kind of answer;
// without one, or with a bad one, the answer does not have it.
func TestProbeReceived(t *testing.T) {
	e := startEdge(t, testBackends()[0])
	signer := token.NewSigner([]byte(testSecret))
	probe := string(signer.AppendProbe(nil, time.Now().Unix()))
	name := e.slotName("a b+c%d é.txt")
	put, _ := e.sign(token.V1, name, 5, "")
	uri := strings.TrimPrefix(put, "http://"+e.addr)
	tests := []struct {
		name    string
		probe   string
		request string // after the request line
		status  int
		want    string // "" is no header
	}{
		{"upload", probe, "Content-Length: 5\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n\r\nhello", 201, "length=5; type=\"text/plain; charset=\\\"utf-8\\\"\"; uri=" + uri},
		{"chunked", probe, "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411, "length=chunked; type=\"\"; uri=" + uri},
		{"expect refused", probe, "Content-Length: 6\r\nExpect: 100-continue\r\n\r\n", 403, "length=6; type=\"\"; uri=" + uri},
		{"no probe", "", "Content-Length: 6\r\n\r\nhello!", 403, ""},
		{"other secret", string(token.NewSigner([]byte("other")).AppendProbe(nil, time.Now().Unix())), "Content-Length: 6\r\n\r\nhello!", 403, ""},
		{"stale", string(signer.AppendProbe(nil, time.Now().Unix()-3600)), "Content-Length: 6\r\n\r\nhello!", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, br := e.rawConn()
			hdr := ""
			if tt.probe != "" {
				hdr = ProbeHeader + ": " + tt.probe + "\r\n"
			}
			fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: %s\r\n%s%s", uri, e.addr, hdr, tt.request)
			resp := readResponse(t, br)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status: got %d; want %d", resp.StatusCode, tt.status)
			}
			got := resp.Header.Get(ReceivedHeader)
			if got != tt.want {
				t.Fatalf("%s: got %q; want %q", ReceivedHeader, got, tt.want)
			}
			if got == "" {
				return
			}
			r, err := ParseReceived(got)
			if err != nil {
				t.Fatal(err)
			}
			if r.URI != uri {
				t.Errorf("ParseReceived URI: got %q; want %q", r.URI, uri)
			}
		})
	}
	// A download, too.
	resp, _ := e.do(http.MethodGet, e.base+"none/x", nil, map[string]string{ProbeHeader: probe})
	if got, want := resp.Header.Get(ReceivedHeader), "length=none; type=\"\"; uri=/upload/none/x"; got != want {
		t.Errorf("GET: %s: got %q; want %q", ReceivedHeader, got, want)
	}
}

func TestParseReceived(t *testing.T) {
	tests := []struct {
		in   string
		want Received
		err  bool
	}{
		{`length=5; type="a/b; c=\"d; uri=e\""; uri=/a?b=c; uri=d`, Received{Length: 5, ContentType: `a/b; c="d; uri=e"`, URI: "/a?b=c; uri=d"}, false},
		{`length=chunked; type=""; uri=/`, Received{Length: LengthChunked, URI: "/"}, false},
		{`length=none; type=""; uri=`, Received{Length: LengthNone}, false},
		{`length=-3; type=""; uri=/`, Received{}, true},
		{`length=5; type="a`, Received{}, true},
		{`length=5; type="a"`, Received{}, true},
		{"length=5", Received{}, true},
	}
	for _, tt := range tests {
		got, err := ParseReceived(tt.in)
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("ParseReceived(%q): got %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
