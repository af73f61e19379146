package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/upedge/upedge/edge/server/servertest"
)

// The tests here whose point is the process (kill -9, signals, the built
// binary) run the edge as a process of its own: the test binary re-runs
// itself as `upedge` (TestEdgeProcess), which needs no separate build, or
// a binary built by buildUpedge. They talk to it with the client of
// package servertest, as the in-process tests of edge/server do.

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

// edgeProcess is `upedge serve` running as a child process.
type edgeProcess struct {
	*servertest.Edge
	cmd *exec.Cmd
}

// startEdge runs `upedge serve` from the test binary with
// servertest.Args(store, extra...).
func startEdge(t *testing.T, store string, extra ...string) *edgeProcess {
	t.Helper()
	p := startEdgeProcess(t, "", servertest.Args(store, extra...), nil)
	p.Store = store
	return p
}

// buildUpedge builds the upedge binary into a temporary directory and
// returns its path.
func buildUpedge(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "upedge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startEdgeProcess runs `upedge serve args...` as a child process: the
// binary bin, or, with bin "", the test binary itself (TestEdgeProcess),
// which needs no build. env is added to the environment. It returns once
// the edge has said where it listens, and, when args ask for metrics,
// where those are; the process is killed when the test ends.
func startEdgeProcess(tb testing.TB, bin string, args, env []string) *edgeProcess {
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
	p := &edgeProcess{Edge: &servertest.Edge{T: tb, Exited: make(chan struct{}), Stderr: &servertest.Output{}}, cmd: cmd}
	cmd.Stderr = p.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.Exited) }()
	tb.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
		}
		<-p.Exited
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if p.Scan(sc.Text()); p.Started(wantMetrics) {
			break
		}
	}
	if !p.Started(wantMetrics) {
		<-p.Exited
		tb.Fatalf("edge did not start: %s", p.Stderr)
	}
	// The edge may go on writing to stdout; a full pipe would stall it.
	go io.Copy(io.Discard, out)
	return p
}

func (p *edgeProcess) signal(sig syscall.Signal) {
	p.cmd.Process.Signal(sig)
}

func (p *edgeProcess) kill9() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.Exited
}

// wait returns the exit code once the process has ended.
func (p *edgeProcess) wait() int {
	<-p.Exited
	return p.cmd.ProcessState.ExitCode()
}
