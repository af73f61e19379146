package xmppe2e

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// process is a long-running child (a server, epmd, the edge) started in its
// own process group, so that stopping it also stops whatever it forked
// (Prosody's and ejabberd's helpers) and nothing outlives the test.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
}

// startProcess starts argv with its output in logPath and registers a
// cleanup that stops its whole process group. env nil means the test's own
// environment.
func startProcess(t *testing.T, name, logPath string, env []string, argv ...string) *process {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("cannot create log for %s: %v", name, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout = logf
	cmd.Stderr = logf
	// Pdeathsig: if the test binary dies without running its cleanups (a
	// -timeout panic, a kill), the kernel still takes the server down.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("cannot start %s (%s): %v", name, argv[0], err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop asks the process group to terminate, waits, and kills it if it does
// not go within the grace period. Erlang and Prosody both shut down cleanly
// on SIGTERM, which keeps their logs useful when a test fails.
func (p *process) stop(t *testing.T) {
	t.Helper()
	pgid := p.cmd.Process.Pid
	select {
	case <-p.exited:
	default:
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			t.Logf("%s did not stop on SIGTERM within 15s; killing its process group", p.name)
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.exited
		}
	}
	// Children that outlived the group leader (none expected) go too.
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err == nil {
		t.Logf("%s left processes in its group; killed them", p.name)
	}
}

// running reports whether the process has not exited yet.
func (p *process) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// waitForPort waits until addr accepts TCP connections, failing the test
// with the process log when the process exits first or the wait times out.
func waitForPort(t *testing.T, p *process, addr string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if !p.running() {
			t.Fatalf("%s exited (%v) before listening on %s; log:\n%s", p.name, p.waitErr, addr, logTail(p.logPath, 40))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen on %s after %s: %v; log:\n%s", p.name, addr, limit, err, logTail(p.logPath, 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a loopback TCP port that was free a moment ago. The
// servers under test need their ports in config files before they start,
// so the usual listen-on-:0 handoff is not possible.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("cannot find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// logTail returns the last n lines of a log file, for failure messages.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// runCommand runs a short-lived command to completion within limit and
// returns what it wrote to stdout and stderr. It too runs in its own process
// group, so a timeout kills everything it started. env nil means the test's
// own environment.
func runCommand(limit time.Duration, env []string, argv ...string) (stdout, stderr []byte, err error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("cannot start %s: %w", argv[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(limit):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		err = fmt.Errorf("%s did not finish within %s", argv[0], limit)
	}
	if err != nil && !errors.Is(err, exec.ErrNotFound) {
		err = fmt.Errorf("%s: %w", argv[0], err)
	}
	return out.Bytes(), errOut.Bytes(), err
}
