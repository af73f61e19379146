package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/slot"
	"github.com/upedge/upedge/edge/token"
)

// The fault tests run the edge as a process of its own, so that they can
// kill it: the test binary re-runs itself as `upedge` (TestEdgeProcess),
// which needs no separate build.

const testSecret = "fault-secret"

// TestEdgeProcess is not a test: it is the entry point of the edge
// processes the other tests start.
func TestEdgeProcess(t *testing.T) {
	if os.Getenv("UPEDGETEST_EDGE_PROCESS") != "1" {
		t.Skip("entry point of edge subprocesses")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(run(args, os.Stdout, os.Stderr))
}

// faultEdge is `upedge serve` running as a child process.
type faultEdge struct {
	t       testing.TB
	cmd     *exec.Cmd
	line    string // the startup line
	base    string // base URL of the slots, from the startup line
	addr    string // host:port
	sock    string // unix socket path, when listening on one
	metrics string // host:port, or ""
	store   string
	exited  chan struct{}
	stderr  *lockedWriter
}

var (
	listenLine  = regexp.MustCompile(`upedge listening on ((?:https?://([^/]+)/\S*)|unix:(\S+) path)`)
	metricsLine = regexp.MustCompile(`upedge metrics on http://([^/]+)/metrics`)
)

// startEdge runs `upedge serve` from the test binary on a free port with
// store and extra args (later flags win: extra may override --listen).
func startEdge(t *testing.T, store string, extra ...string) *faultEdge {
	t.Helper()
	args := append([]string{"--secret", testSecret, "--store", store, "--listen", "127.0.0.1:0",
		"--metrics-listen", "127.0.0.1:0", "--fsync", "never"}, extra...)
	p := startEdgeProcess(t, "", args, nil)
	p.store = store
	return p
}

// startEdgeProcess runs `upedge serve args...` as a child process: the
// binary bin, or, with bin "", the test binary itself (TestEdgeProcess),
// which needs no build. env is added to the environment. It returns once
// the edge has said where it listens, and, when args ask for metrics,
// where those are; the process is killed when the test ends.
func startEdgeProcess(tb testing.TB, bin string, args, env []string) *faultEdge {
	tb.Helper()
	args = append([]string{"serve"}, args...)
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			tb.Fatal(err)
		}
		bin, args = exe, append([]string{"-test.run=^TestEdgeProcess$", "--"}, args...)
		env = append(env, "UPEDGETEST_EDGE_PROCESS=1")
	}
	wantMetrics := false
	for _, a := range args {
		wantMetrics = wantMetrics || a == "--metrics-listen"
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	p := &faultEdge{t: tb, cmd: cmd, exited: make(chan struct{}), stderr: &lockedWriter{w: &strings.Builder{}}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.exited) }()
	tb.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
		}
		<-p.exited
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if m := listenLine.FindStringSubmatch(line); m != nil {
			p.line, p.base, p.addr, p.sock = line, m[1], m[2], m[3]
		}
		if m := metricsLine.FindStringSubmatch(line); m != nil {
			p.metrics = m[1]
		}
		if p.line != "" && (p.metrics != "" || !wantMetrics) {
			break
		}
	}
	if p.line == "" || (wantMetrics && p.metrics == "") {
		<-p.exited
		tb.Fatalf("edge did not start: %s", p.stderr)
	}
	// The edge may go on writing to stdout; a full pipe would stall it.
	go io.Copy(io.Discard, out)
	return p
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.String()
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}

func (p *faultEdge) signal(sig syscall.Signal) {
	p.cmd.Process.Signal(sig)
}

func (p *faultEdge) kill9() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// wait returns the exit code once the process has ended.
func (p *faultEdge) wait() int {
	<-p.exited
	return p.cmd.ProcessState.ExitCode()
}

// slot returns the PUT URL path+query (v1) and GET path for name.
func (p *faultEdge) slot(name string, size int64) (put, get string) {
	put, get = slot.URLs([]byte(testSecret), slot.Request{Version: token.V1, Base: "http://" + p.addr + "/upload/", Path: name, Size: size})
	return put, get
}

// metric returns the value of the metric line that starts with name.
func (p *faultEdge) metric(name string) float64 {
	p.t.Helper()
	resp, err := http.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		p.t.Fatal(err)
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

// health returns the status of /healthz.
func (p *faultEdge) health() int {
	p.t.Helper()
	resp, err := http.Get("http://" + p.metrics + "/healthz")
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitMetric polls until metric reaches at least v (bounded by the test
// timeout: no timed assertion).
func (p *faultEdge) waitMetric(name string, v float64) {
	p.t.Helper()
	for p.metric(name) < v {
		select {
		case <-p.exited:
			p.t.Fatalf("edge exited while waiting for %s >= %v: %s", name, v, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// putHeaders opens a connection and sends a PUT's headers; the caller writes
// the body to the returned conn.
func putHeaders(t *testing.T, addr, putURL string, size int64) net.Conn {
	t.Helper()
	u := strings.TrimPrefix(putURL, "http://"+addr)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nContent-Type: application/octet-stream\r\n\r\n", u, addr, size)
	return c
}

// readStatus reads the status code of the answer on c.
func readStatus(c net.Conn) (int, error) {
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

// upload PUTs body to name with net/http and returns the status.
func upload(t *testing.T, p *faultEdge, name string, body []byte) int {
	t.Helper()
	put, _ := p.slot(name, int64(len(body)))
	req, _ := http.NewRequest(http.MethodPut, put, strings.NewReader(string(body)))
	req.ContentLength = int64(len(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func fetch(t *testing.T, p *faultEdge, name string) (int, []byte) {
	t.Helper()
	_, get := p.slot(name, 0)
	resp, err := http.Get(get)
	if err != nil {
		t.Fatalf("download %s: %v", name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// storeFiles lists the regular files below store, the reserved directory
// included, relative to store.
func storeFiles(t *testing.T, store string) []string {
	t.Helper()
	var files []string
	filepath.Walk(store, func(path string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			rel, _ := filepath.Rel(store, path)
			files = append(files, rel)
		}
		return nil
	})
	return files
}

// rss returns the resident memory of pid in bytes.
func rss(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
