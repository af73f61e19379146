package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
	"github.com/upedge/upedge/edge/urlpath"
)

// The vectors of docs/protocol.md (secret "secret string").
func TestSignerVectors(t *testing.T) {
	now := func() time.Time { return time.Unix(1717689600, 0) }
	for _, tc := range []struct {
		ver, name, ctype, want string
	}{
		{"v1", "photo.jpg", "", "abc123/photo.jpg?v=5e61822e277cd94381e9d0a4cab427ca11dc19f7f95c1a9f5727d56fbcb17317"},
		{"v2", "photo.jpg", "image/jpeg", "abc123/photo.jpg?v2=5a125bb9091086823f6e63ad03cbb4116bc129a7af2feab7353586f98bc843a0"},
		{"token", "photo.jpg", "image/jpeg", "abc123/photo.jpg?token=5a125bb9091086823f6e63ad03cbb4116bc129a7af2feab7353586f98bc843a0"},
		{"v1", "my file.txt", "", "abc123/my%20file.txt?v=3195e7d961f30a376477568d2a103ec6f57be64375398af1e7b2293656ea1d73"},
		{"v2", "my file.txt", "text/plain", "abc123/my%20file.txt?v2=60a6499a4e66141d616c11abac4f2d049c5f70401550129684412e686a37e1a3"},
		{"v3", "photo.jpg", "image/jpeg", "abc123/photo.jpg?v3=83f8ec0ccc3b18292ec5e1457c760eab7d4b89ed3425bbaf6548c195cd26ffc4&uploader=alice%40example.org&ts=1717689600"},
		// The harness puts expires an hour ahead: 1717690000 at 1717686400.
		{"v3-expires", "photo.jpg", "", "abc123/photo.jpg?v3=cbc295e9c0758ae3c64b6d0975c5f936ce53f77b1d91d6c8fb4afc91c5b251dc&expires=1717690000"},
	} {
		t.Run(tc.ver+" "+tc.name, func(t *testing.T) {
			now := now
			if tc.ver == "v3-expires" {
				now = func() time.Time { return time.Unix(1717690000, 0).Add(-v3ExpiresAhead) }
			}
			s, err := NewSigner("https://up.example.org/upload", "secret string", tc.ver, "alice@example.org", now)
			if err != nil {
				t.Fatal(err)
			}
			got := string(s.AppendPutURL(nil, "abc123", tc.name, 1048576, tc.ctype))
			if want := "https://up.example.org/upload/" + tc.want; got != want {
				t.Errorf("got %q; want %q", got, want)
			}
			get := string(s.AppendGetURL(nil, "abc123", tc.name))
			if !strings.HasPrefix(got, get+"?") {
				t.Errorf("GET URL %q is not the PUT URL %q without its query", get, got)
			}
		})
	}
}

// Slots with awkward names must verify as the edge decodes them, and match
// what edge/slot (behind `upedge sign`) builds.
func TestSignerVerifies(t *testing.T) {
	const secret = "k"
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	v := token.NewVerifier([]byte(secret), 0, clock)
	for _, ver := range []string{"v1", "v2", "token", "v3"} {
		for _, name := range []string{"plain.bin", "my file.txt", "a+b=c&d.jpg", "Ünïcødé 写真.png", "100% #1?.txt"} {
			s, err := NewSigner("http://127.0.0.1:1/up/", secret, ver, "bob@example.org", clock)
			if err != nil {
				t.Fatal(err)
			}
			put := string(s.AppendPutURL(nil, "r-1", name, 4096, "image/png"))
			u, err := url.Parse(put)
			if err != nil {
				t.Fatalf("%s %q: cannot parse %q: %v", ver, name, put, err)
			}
			p, err := urlpath.Relative(nil, []byte(u.EscapedPath()), "/up/")
			if err != nil {
				t.Fatalf("%s %q: edge refuses path %q: %v", ver, name, u.EscapedPath(), err)
			}
			if string(p) != "r-1/"+name {
				t.Errorf("%s: decoded path %q; want %q", ver, p, "r-1/"+name)
			}
			tv, _ := token.ParseVersion(ver)
			q := u.Query()
			c := token.Claims{Path: p, Size: 4096, ContentType: []byte("image/png"),
				Uploader: []byte(q.Get("uploader")), Timestamp: []byte(q.Get("ts"))}
			if _, err := v.Verify(tv, []byte(q.Get(tv.Param())), &c); err != nil {
				t.Errorf("%s %q: %q does not verify: %v", ver, name, put, err)
			}
			c.Size = 4097
			if _, err := v.Verify(tv, []byte(q.Get(tv.Param())), &c); err == nil {
				t.Errorf("%s %q: verifies for another size", ver, name)
			}
			want, _ := slot.URLs([]byte(secret), slot.Request{Version: tv, Base: "http://127.0.0.1:1/up/",
				Path: "r-1/" + name, Size: 4096, ContentType: "image/png", Uploader: "bob@example.org", Timestamp: now.Unix()})
			if put != want {
				t.Errorf("%s %q: got %q; edge/slot builds %q", ver, name, put, want)
			}
		}
	}
}

// TestSignerJWT: a JWT slot's PUT URL is its GET URL, and the
// Authorization header carries a JWT that the edge's verifier takes for
// that path and size, with filetype and sub.
func TestSignerJWT(t *testing.T) {
	now := func() time.Time { return time.Unix(1612113160, 0) }
	s, err := NewSigner("https://up.example.org/upload/", "secret string", "jwt", "user@example.com", now)
	if err != nil {
		t.Fatal(err)
	}
	put := string(s.AppendPutURL(nil, "RVbKAgWPcrUYAodj", "my picture.png", 7168, "image/png"))
	if want := "https://up.example.org/upload/RVbKAgWPcrUYAodj/my%20picture.png"; put != want {
		t.Errorf("PUT URL: got %q; want %q", put, want)
	}
	authz := s.AppendAuthorization(nil, "RVbKAgWPcrUYAodj", "my picture.png", 7168, "image/png")
	tok, ok := strings.CutPrefix(string(authz), "Bearer ")
	if !ok {
		t.Fatalf("Authorization %q: want Bearer", authz)
	}
	v, err := token.New(token.Options{Secret: []byte("secret string"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var c token.JWTClaims
	if _, err := v.VerifyJWT([]byte(tok), []byte("RVbKAgWPcrUYAodj/my picture.png"), 7168, &c); err != nil {
		t.Fatalf("VerifyJWT: %v", err)
	}
	if string(c.FileType) != "image/png" || string(c.Subject) != "user@example.com" || c.Exp != 1612113160+300 {
		t.Errorf("claims: filetype %q sub %q exp %d", c.FileType, c.Subject, c.Exp)
	}
	v1, _ := NewSigner("https://h/", "s", "v1", "", nil)
	if got := v1.AppendAuthorization([]byte("x"), "a", "b", 1, ""); string(got) != "x" {
		t.Errorf("v1 AppendAuthorization: got %q; want dst unchanged", got)
	}
}

func TestSignerRejects(t *testing.T) {
	for _, tc := range []struct{ base, ver, uploader string }{
		{"ftp://h/", "v1", ""},
		{"http:///x", "v1", ""},
		{"http://h/?a=b", "v1", ""},
		{"http://h/", "v9", ""},
		{"http://h/", "v3", ""},
	} {
		if _, err := NewSigner(tc.base, "s", tc.ver, tc.uploader, nil); err == nil {
			t.Errorf("NewSigner(%q, %q, uploader %q) accepted", tc.base, tc.ver, tc.uploader)
		}
	}
}

func newTarget(t *testing.T, base, secret, ver string) *Target {
	t.Helper()
	s, err := NewSigner(base, secret, ver, "bench@example.org", nil)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := NewTarget("test", s, 0)
	if err != nil {
		t.Fatal(err)
	}
	tg.ContentType = "application/octet-stream"
	tg.Timeout = time.Minute
	return tg
}

func runScenario(t *testing.T, tg *Target, sc Scenario) *Result {
	t.Helper()
	if sc.Duration == 0 {
		sc.Duration = time.Minute // a bound that count-limited runs never reach
	}
	res, err := Run(context.Background(), tg, sc, Options{})
	if err != nil {
		t.Fatalf("%s: %v", sc.Name, err)
	}
	return res
}

func wantStatuses(t *testing.T, res *Result, want map[string]int64) {
	t.Helper()
	if len(res.Statuses) != len(want) {
		t.Errorf("%s: statuses %v; want %v", res.Scenario, res.Statuses, want)
		return
	}
	for k, n := range want {
		if res.Statuses[k] != n {
			t.Errorf("%s: statuses %v; want %v", res.Scenario, res.Statuses, want)
			return
		}
	}
}

// Every answer is counted under its status, only the wanted ones as OK, and
// only stored bodies as bytes; every PUT goes to a fresh path.
func TestPutCounts(t *testing.T) {
	for _, ver := range []string{"v1", "v2", "v3"} {
		t.Run(ver, func(t *testing.T) {
			srv := newTestServer(t, "s3", func(s *testServer) {
				s.putStatus = func(n int64) int {
					if n%2 == 0 {
						return 409
					}
					return 201
				}
			})
			tg := newTarget(t, srv.base, "s3", ver)
			res := runScenario(t, tg, Scenario{Name: PutSmall, Conns: 4, Count: 100, Size: 1000})
			wantStatuses(t, res, map[string]int64{"201": 50, "409": 50})
			if res.Requests != 100 || res.OK != 50 || res.Errors != 0 || res.Cut != 0 {
				t.Errorf("requests %d ok %d errors %d cut %d; want 100 50 0 0", res.Requests, res.OK, res.Errors, res.Cut)
			}
			if res.Bytes != 50*1000 {
				t.Errorf("bytes %d; want %d", res.Bytes, 50*1000)
			}
			if n := srv.puts.Load(); n != 100 {
				t.Errorf("server saw %d PUTs; want 100", n)
			}
			names := srv.stored()
			if len(names) != 50 || !hasPrefixAll(names, tg.runID+"-put-small-") {
				t.Errorf("stored %d files (%v...); want 50 fresh paths", len(names), names[:min(3, len(names))])
			}
			if res.Latency.P50 <= 0 || res.Latency.P50 > res.Latency.P90 || res.Latency.P90 > res.Latency.P99 || res.Latency.P99 > res.Latency.Max {
				t.Errorf("latency percentiles out of order: %+v", res.Latency)
			}
		})
	}
}

func TestWrongSecretIsCounted(t *testing.T) {
	srv := newTestServer(t, "right", nil)
	res := runScenario(t, newTarget(t, srv.base, "wrong", "v1"), Scenario{Name: Put1M, Conns: 2, Count: 10, Size: 5000})
	wantStatuses(t, res, map[string]int64{"403": 10})
	if res.OK != 0 || res.Bytes != 0 {
		t.Errorf("ok %d bytes %d; want 0 0", res.OK, res.Bytes)
	}
}

func TestGetAndMixedCounts(t *testing.T) {
	srv := newTestServer(t, "s", nil)
	tg := newTarget(t, srv.base, "s", "v2")
	res := runScenario(t, tg, Scenario{Name: GetSmall, Conns: 3, Count: 30, Size: 777, Files: 4})
	wantStatuses(t, res, map[string]int64{"200": 30})
	if res.Bytes != 30*777 || res.Errors != 0 {
		t.Errorf("bytes %d errors %d %v; want %d 0", res.Bytes, res.Errors, res.ErrorKinds, 30*777)
	}
	if n := len(srv.stored()); n != 4 {
		t.Errorf("seeded %d files; want 4", n)
	}
	// Large files take the splice path.
	res = runScenario(t, tg, Scenario{Name: GetLarge, Conns: 2, Count: 6, Size: 3 << 20, Files: 2})
	wantStatuses(t, res, map[string]int64{"200": 6})
	if res.Bytes != 6*3<<20 || res.Errors != 0 {
		t.Errorf("get-large: bytes %d errors %d %v; want %d 0", res.Bytes, res.Errors, res.ErrorKinds, 6*3<<20)
	}
	srv.gets.Store(0)
	res = runScenario(t, tg, Scenario{Name: Mixed, Conns: 2, Count: 10, Size: 3000, Files: 3})
	// Ten operations, each a HEAD and a GET; HEAD moves no bytes.
	wantStatuses(t, res, map[string]int64{"200": 20})
	if res.Bytes != 10*3000 || res.Errors != 0 || srv.gets.Load() != 20 {
		t.Errorf("bytes %d errors %d %v server GET/HEADs %d; want %d 0 20", res.Bytes, res.Errors, res.ErrorKinds, srv.gets.Load(), 10*3000)
	}
}

// A server that has lost the files answers 404: counted, not OK.
func TestGetMissingIsCounted(t *testing.T) {
	srv := newTestServer(t, "s", nil)
	tg := newTarget(t, srv.base, "s", "v1")
	urls := []string{string(tg.Signer.AppendGetURL(nil, "nope", "x"))}
	hc := tg.hostClient(1)
	ws := newHTTPWorkers(hc, 1)
	r := newRun(context.Background(), tg, Scenario{Name: GetSmall, Conns: 1, Count: 5, Duration: time.Minute}, func(s int) bool { return s == 200 })
	r.begin()
	r.workers(1, func(i int) { ws[i].get(r, i, urls[0], false, 10) })
	res := r.result(time.Second, 0)
	wantStatuses(t, res, map[string]int64{"404": 5})
	if res.OK != 0 {
		t.Errorf("ok %d; want 0", res.OK)
	}
}

// The rejection scenario never sends a body byte: what the server read is
// exactly the request heads the harness counted.
func TestRejectSendsNoBody(t *testing.T) {
	srv := newTestServer(t, "s", nil)
	res := runScenario(t, newTarget(t, srv.base, "s", "v1"), Scenario{Name: Reject, Conns: 4, Count: 40, Size: 1 << 30})
	wantStatuses(t, res, map[string]int64{"403": 40})
	if res.OK != 40 || res.BodyBytesSent != 0 || res.Continues != 0 || res.Errors != 0 {
		t.Errorf("ok %d body bytes %d continues %d errors %d %v; want 40 0 0 0", res.OK, res.BodyBytesSent, res.Continues, res.Errors, res.ErrorKinds)
	}
	if got := srv.read.Load(); got != res.HeaderBytesSent || got == 0 {
		t.Errorf("server read %d bytes; the harness sent %d bytes of heads", got, res.HeaderBytesSent)
	}
	if n := srv.expects.Load(); n != 40 {
		t.Errorf("server saw %d Expect heads; want 40", n)
	}
	if n := srv.puts.Load(); n != 0 {
		t.Errorf("server handled %d PUT bodies; want 0", n)
	}
}

// A server that wants the body (nginx ignores tokens) answers 100 Continue:
// counted, still no body sent.
func TestRejectCountsContinue(t *testing.T) {
	// nginx-like: no token check at all.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				n, _ := c.Read(buf)
				if bytes.Contains(buf[:n], []byte("\r\n\r\n")) {
					c.Write([]byte("HTTP/1.1 100 Continue\r\n\r\n"))
				}
				c.Read(buf) // until the client hangs up
			}()
		}
	}()
	peer := newTarget(t, "http://"+ln.Addr().String()+"/", "s", "v1")
	res := runScenario(t, peer, Scenario{Name: Reject, Conns: 2, Count: 6, Size: 1 << 30})
	wantStatuses(t, res, map[string]int64{"100": 6})
	if res.Continues != 6 || res.OK != 0 || res.BodyBytesSent != 0 {
		t.Errorf("continues %d ok %d body bytes %d; want 6 0 0", res.Continues, res.OK, res.BodyBytesSent)
	}
	if len(res.Notes) == 0 {
		t.Errorf("no note about the 100 Continue answers")
	}
}

func TestSlowUploads(t *testing.T) {
	srv := newTestServer(t, "s", nil)
	res := runScenario(t, newTarget(t, srv.base, "s", "v1"), Scenario{Name: Slow, Conns: 5, Size: 64, Rate: 1 << 20})
	wantStatuses(t, res, map[string]int64{"201": 5})
	if res.Bytes != 5*64 || len(srv.stored()) != 5 {
		t.Errorf("bytes %d stored %d; want %d 5", res.Bytes, len(srv.stored()), 5*64)
	}
}

// A server that never answers cannot hold the harness past the duration
// bound: the requests in flight are cut off and counted as such.
func TestStopsAtDurationBound(t *testing.T) {
	srv := newTestServer(t, "s", func(s *testServer) { s.hold = make(chan struct{}) })
	tg := newTarget(t, srv.base, "s", "v1")
	for _, sc := range []Scenario{
		{Name: PutSmall, Conns: 4, Size: 100, Duration: 200 * time.Millisecond},
		{Name: Slow, Conns: 3, Size: 1 << 20, Rate: 1024, Duration: 300 * time.Millisecond},
	} {
		res := runScenario(t, tg, sc)
		if res.Cut != int64(sc.Conns) || res.Requests != 0 || res.Errors != 0 {
			t.Errorf("%s: cut %d requests %d errors %d %v; want %d 0 0", sc.Name, res.Cut, res.Requests, res.Errors, res.ErrorKinds, sc.Conns)
		}
	}
	// Cancelling stops a run too (requests in flight then run to their end).
	free := newTestServer(t, "s", nil)
	tg = newTarget(t, free.base, "s", "v1")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for free.puts.Load() < 10 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	res, err := Run(ctx, tg, Scenario{Name: Put1M, Conns: 2, Size: 10, Duration: time.Hour}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests+res.Cut < 10 || res.Errors != 0 {
		t.Errorf("after cancel: requests %d cut %d errors %d; want 10+ and no errors", res.Requests, res.Cut, res.Errors)
	}
}

func TestConnectionErrorsAreCounted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	tg := newTarget(t, "http://"+addr+"/", "s", "v1")
	for _, name := range []string{PutSmall, Reject} {
		res := runScenario(t, tg, Scenario{Name: name, Conns: 2, Count: 6, Size: 10})
		if res.Errors != 6 || res.Requests != 0 || res.ErrorKinds["connection refused"] != 6 {
			t.Errorf("%s: errors %d %v requests %d; want 6 refused, 0", name, res.Errors, res.ErrorKinds, res.Requests)
		}
	}
}

func TestLatencyPercentiles(t *testing.T) {
	h := hdrhistogram.New(histMin, histMax, histDigits)
	for ms := int64(1); ms <= 1000; ms++ {
		h.RecordValue(ms * 1000)
	}
	l := latencyOf(h)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"p50", l.P50, 500}, {"p90", l.P90, 900}, {"p99", l.P99, 990}, {"max", l.Max, 1000}, {"mean", l.Mean, 500.5}} {
		if c.got < c.want*0.999 || c.got > c.want*1.001 {
			t.Errorf("%s = %v ms; want %v", c.name, c.got, c.want)
		}
	}
	if l := latencyOf(hdrhistogram.New(histMin, histMax, histDigits)); l != (Latency{}) {
		t.Errorf("empty histogram gives %+v", l)
	}
}

// Sizes are read by config.ParseByteSize, as `upedge serve` reads them.
// Since bench took that parser, fractions and TiB are accepted too.
func TestSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{"4096": 4096, "4KiB": 4096, "1MiB": 1 << 20, "256 MiB": 256 << 20, "1GiB": 1 << 30, "2KB": 2000, "3MB": 3e6, "7B": 7,
		"1.5MiB": 3 << 19, "1TiB": 1 << 40} {
		var n int64
		if err := (sizeValue{&n}).Set(in); err != nil || n != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1", "99999999999GiB"} {
		var n int64
		if err := (sizeValue{&n}).Set(in); err == nil {
			t.Errorf("Set(%q) accepted", in)
		}
	}
}

func TestProcWatch(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	tree := procTree(os.Getpid())
	if len(tree) < 2 || tree[0] != os.Getpid() || !slices.Contains(tree, child.Process.Pid) {
		t.Errorf("procTree(%d) = %v; want it and child %d", os.Getpid(), tree, child.Process.Pid)
	}
	pw := watchProc(os.Getpid(), time.Millisecond)
	buf := make([]byte, 32<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	st := pw.stop()
	if st.RSSBefore <= 0 || st.PeakRSS < st.RSSBefore || st.CPUSeconds < 0 || st.Procs < 2 {
		t.Errorf("stats %+v: want RSS > 0, peak >= before, CPU >= 0, 2+ processes", st)
	}
	_ = buf[len(buf)-1]
	if procTree(1<<30) != nil {
		t.Errorf("procTree of a missing pid is not empty")
	}
}

func TestCommandLineHidesSecrets(t *testing.T) {
	got := commandLine([]string{"--base", "http://h/", "--secret", "hunter2", "--vs-secret=hunter3", "--file-name", "a b"})
	if strings.Contains(got, "hunter") {
		t.Errorf("command line %q shows a secret", got)
	}
	if want := `upedge bench --base http://h/ --secret REDACTED --vs-secret=REDACTED --file-name "a b"`; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

// Main end to end against two servers: JSON on stdout, Markdown with the
// ratios, and a self-contained HTML page.
func TestMainCommand(t *testing.T) {
	a := newTestServer(t, "sa", nil)
	b := newTestServer(t, "sb", nil)
	dir := t.TempDir()
	md, html := filepath.Join(dir, "r.md"), filepath.Join(dir, "r.html")
	var stdout, stderr bytes.Buffer
	args := []string{"--base", a.base, "--secret", "sa", "--base-name", "edge", "--vs", b.base, "--vs-secret", "sb", "--vs-name", "peer",
		"--version", "v2", "--scenarios", "put-small,get-small,reject", "--duration", "1m",
		"--put-small-count", "20", "--put-small-conns", "2", "--get-small-count", "20", "--get-small-files", "3", "--get-small-conns", "2",
		"--reject-count", "5", "--reject-conns", "1", "--server-pid", "1", "--json", "--md", md, "--html", html}
	if code := Main(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, stderr.String())
	}
	var rep Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout.String())
	}
	if len(rep.Results) != 6 || !slices.Equal(rep.Targets, []string{"edge", "peer"}) {
		t.Fatalf("%d results for %v; want 6 for edge and peer", len(rep.Results), rep.Targets)
	}
	for _, r := range rep.Results {
		if r.OK == 0 || r.Errors != 0 {
			t.Errorf("%s %s: ok %d errors %d %v", r.Scenario, r.Target, r.OK, r.Errors, r.ErrorKinds)
		}
		if (r.Target == "edge") != (r.Server != nil) {
			t.Errorf("%s %s: server stats %v; want them for the target only", r.Scenario, r.Target, r.Server)
		}
	}
	if strings.Contains(rep.Command, "sa ") || !strings.Contains(rep.Command, "REDACTED") {
		t.Errorf("command %q shows the secret", rep.Command)
	}
	mdText, _ := os.ReadFile(md)
	if !strings.Contains(string(mdText), "| put-small | req/s |") || !strings.Contains(string(mdText), "edge / peer") {
		t.Errorf("Markdown lacks the comparison:\n%s", mdText)
	}
	page, _ := os.ReadFile(html)
	if n := strings.Count(string(page), "<svg"); n != 3 {
		t.Errorf("HTML has %d charts; want 3", n)
	}
	for _, ext := range []string{"src=", "href=", "<link", "<script"} {
		if strings.Contains(string(page), ext) {
			t.Errorf("HTML refers to an outside asset (%s)", ext)
		}
	}

	// The table, and usage errors.
	stdout.Reset()
	if code := Main([]string{"--base", a.base, "--secret", "sa", "--scenarios", "put-small", "--put-small-count", "3"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "put-small") || !strings.Contains(stdout.String(), "201:3") {
		t.Errorf("table lacks the run:\n%s", stdout.String())
	}
	for _, bad := range [][]string{{}, {"--base", a.base, "--scenarios", "nope"}, {"--base", "ftp://x/"}, {"--base", a.base, "--bogus"},
		{"--base", a.base, "--put-small-size", "lots"}} {
		stderr.Reset()
		if code := Main(bad, &stdout, &stderr); code != 2 {
			t.Errorf("Main(%q) = %d; want 2", bad, code)
		} else if stderr.Len() == 0 {
			t.Errorf("Main(%q): nothing on stderr", bad)
		}
	}
}
