package listen

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestUnixSocketMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.sock")
	ln, err := Listen("unix:"+path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode: got %o; want 600", got)
	}
	// A live socket is not stolen.
	if _, err := Listen("unix:"+path, 0o600); err == nil {
		t.Error("second listen on a live socket succeeded")
	}
	ln.Close()
	// net's unix listener removes its file on Close; leave a stale one.
	l2, _ := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	l2.SetUnlinkOnClose(false)
	l2.Close()
	ln, err = Listen("unix:"+path, 0o660)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln.Close()
}

// TestSystemdActivation passes a listening socket as fd 3 the way systemd
// does, by re-running the test binary with LISTEN_* set.
func TestSystemdActivation(t *testing.T) {
	if os.Getenv("UPEDGETEST_LISTEN_CHILD") == "1" {
		a, err := Systemd()
		if err != nil || a == nil {
			t.Fatalf("no activation: %v", err)
		}
		ln := a.Take("http")
		if ln == nil {
			t.Fatal("socket named http not found")
		}
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("hi"))
		c.Close()
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	addr := ln.Addr().String()
	exe, _ := os.Executable()
	// ExtraFiles[0] becomes fd 3 in the child; LISTEN_PID must be the
	// child's pid, which is known only after fork: a shell sets it.
	attr := &os.ProcAttr{
		Env:   append(os.Environ(), "UPEDGETEST_LISTEN_CHILD=1", "LISTEN_FDS=1", "LISTEN_FDNAMES=http", "EXE="+exe),
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr, f},
	}
	p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", `LISTEN_PID=$$ exec "$EXE" -test.run '^TestSystemdActivation$'`}, attr)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	var c net.Conn
	for i := 0; i < 100; i++ {
		if c, err = net.Dial("tcp", addr); err == nil {
			break
		}
	}
	if err != nil {
		p.Kill()
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	n, _ := c.Read(buf)
	c.Close()
	st, _ := p.Wait()
	if string(buf[:n]) != "hi" || !st.Success() {
		t.Fatalf("child answered %q, exit %v", buf[:n], st.Sys().(syscall.WaitStatus).ExitStatus())
	}
}
