// Package servertest is for tests: it runs an edge in the test's process
// (Start) and talks to a running edge as a client (Edge's methods), so
// that the in-process tests of edge/server and the child-process tests of
// cmd/upedge share one client. A child-process harness fills an Edge from
// the edge's startup lines (Scan) and closes Exited when the process ends.
package servertest

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upedge/upedge/edge/config"
	"github.com/upedge/upedge/edge/server"
)

// Secret is the slot secret of the edges Args and Start configure.
const Secret = "fault-secret"

// Edge is a running edge as its clients see it.
type Edge struct {
	T       testing.TB
	Line    string // the startup line
	Base    string // base URL of the slots, from the startup line
	Addr    string // host:port, "" on a unix socket
	Sock    string // unix socket path, when listening on one
	Metrics string // host:port of /metrics and /healthz, or ""
	Store   string // the store directory, when Start was given one
	// Exited is closed once the edge has stopped.
	Exited chan struct{}
	// Stderr collects the edge's logs.
	Stderr *Output

	stop   func() error
	reload func() error
}

// Args returns the flags of a test edge on store: Secret, a free port on
// 127.0.0.1, metrics on another one, no fsync, then extra (later flags
// win: extra may override --listen).
func Args(store string, extra ...string) []string {
	return append([]string{"--secret", Secret, "--store", store, "--listen", "127.0.0.1:0",
		"--metrics-listen", "127.0.0.1:0", "--fsync", "never"}, extra...)
}

// Start runs an edge in this process on store with Args(store, flags...)
// and returns once it serves. It is stopped when the test ends.
func Start(t testing.TB, store string, flags ...string) *Edge {
	t.Helper()
	e := StartArgs(t, Args(store, flags...), nil)
	e.Store = store
	return e
}

// StartArgs runs an edge in this process configured as `upedge serve
// args...` with environ (config.Load), which also supplies the AWS_*
// credentials. It returns once the edge has printed its startup lines; it
// is stopped when the test ends.
func StartArgs(t testing.TB, args, environ []string) *Edge {
	t.Helper()
	return startArgs(t, args, environ, nil)
}

// StartSynced runs an edge in this process on store like Start, with
// fsync on and hook called instead of each fsync(2) (see
// server.Env.SyncHook); hook must sync fd itself if the test relies on
// the data.
func StartSynced(t testing.TB, store string, hook func(fd int, path string) error, flags ...string) *Edge {
	t.Helper()
	e := startArgs(t, Args(store, append([]string{"--fsync", "always"}, flags...)...), nil, hook)
	e.Store = store
	return e
}

func startArgs(t testing.TB, args, environ []string, syncHook func(int, string) error) *Edge {
	t.Helper()
	cfg, err := config.Load(config.FlagSet("servertest"), args, environ)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e := &Edge{T: t, Exited: make(chan struct{}), Stderr: &Output{}}
	stdout := &Output{}
	getenv := func(key string) string {
		for _, kv := range slices.Backward(environ) {
			if k, v, _ := strings.Cut(kv, "="); k == key {
				return v
			}
		}
		return ""
	}
	log := slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	load := func() (*config.Config, error) { return config.Load(config.FlagSet("servertest"), args, environ) }
	srv, err := server.New(cfg, server.Env{Stdout: stdout, Log: log, Getenv: getenv, SyncHook: syncHook, Load: load})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var runErr error
	go func() {
		defer close(e.Exited)
		runErr = srv.Run(ctx)
	}()
	var once sync.Once
	e.stop = func() error {
		once.Do(func() {
			cancel()
			<-e.Exited
			srv.Close()
		})
		return runErr
	}
	e.reload = srv.Reload
	t.Cleanup(func() { e.stop() })
	// Run prints the startup lines before it serves.
	for !e.Started(srv.MetricsAddr() != nil) {
		select {
		case <-e.Exited:
			t.Fatalf("edge did not start: %v: %s", runErr, e.Stderr)
		case <-time.After(5 * time.Millisecond):
		}
		e.Line, e.Metrics = "", ""
		for _, line := range strings.Split(stdout.String(), "\n") {
			e.Scan(line)
		}
	}
	return e
}

// Stop stops an edge that Start or StartArgs runs in this process, as a
// SIGTERM stops `upedge serve`: it shuts down within its shutdown grace and
// is closed. It returns the error of Run. A child-process harness stops
// its process instead.
func (e *Edge) Stop() error {
	return e.stop()
}

// Reload reloads an edge that Start or StartArgs runs in this process, as
// a SIGHUP reloads `upedge serve` (server.Server.Reload), and returns its
// error. A child-process harness sends SIGHUP instead.
func (e *Edge) Reload() error {
	return e.reload()
}

var (
	listenLine  = regexp.MustCompile(`upedge listening on ((?:https?://([^/]+)/\S*)|unix:(\S+) path)`)
	metricsLine = regexp.MustCompile(`upedge metrics on http://([^/]+)/metrics`)
)

// Scan takes what it knows from one line of the edge's stdout: the
// startup line (Line, Base, Addr, Sock) and the metrics line (Metrics).
func (e *Edge) Scan(line string) {
	if m := listenLine.FindStringSubmatch(line); m != nil {
		e.Line, e.Base, e.Addr, e.Sock = line, m[1], m[2], m[3]
	}
	if m := metricsLine.FindStringSubmatch(line); m != nil {
		e.Metrics = m[1]
	}
}

// Started reports whether Scan has seen the startup line, and the metrics
// line when wantMetrics.
func (e *Edge) Started(wantMetrics bool) bool {
	return e.Line != "" && (e.Metrics != "" || !wantMetrics)
}

// Output is a writer that can be read while it is written to.
type Output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *Output) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *Output) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(b)
}
