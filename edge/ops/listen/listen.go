// Package listen opens the edge's listeners: TCP, unix sockets with a set
// permission, and sockets handed over by systemd (socket activation).
package listen

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// firstFD is SD_LISTEN_FDS_START: systemd passes sockets from fd 3 on.
const firstFD = 3

// Activation holds the sockets systemd passed to this process.
type Activation struct {
	named map[string]net.Listener
	order []string
}

// Systemd returns the listeners passed by systemd socket activation
// (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES), or nil when there are none. It
// unsets those variables so that children do not take the sockets for
// theirs. A socket without a FileDescriptorName= is named by its position,
// "0", "1", ...
func Systemd() (*Activation, error) {
	pid, err := strconv.Atoi(os.Getenv("LISTEN_PID"))
	if err != nil || pid != os.Getpid() {
		return nil, nil
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n <= 0 {
		return nil, nil
	}
	names := strings.Split(os.Getenv("LISTEN_FDNAMES"), ":")
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	a := &Activation{named: map[string]net.Listener{}}
	for i := 0; i < n; i++ {
		fd := firstFD + i
		unix.CloseOnExec(fd)
		name := strconv.Itoa(i)
		if i < len(names) && names[i] != "" && names[i] != "unknown" {
			name = names[i]
		}
		f := os.NewFile(uintptr(fd), "systemd:"+name)
		ln, err := net.FileListener(f)
		f.Close() // FileListener holds a dup of its own
		if err != nil {
			return nil, fmt.Errorf("cannot use socket %q (fd %d) passed by systemd: %w", name, fd, err)
		}
		a.named[name] = ln
		a.order = append(a.order, name)
	}
	return a, nil
}

// Take returns and removes the activated listener called name, or nil.
// For name "" it takes the first one left. Calling it on nil is fine.
func (a *Activation) Take(name string) net.Listener {
	if a == nil {
		return nil
	}
	if name == "" {
		for _, n := range a.order {
			if ln := a.named[n]; ln != nil {
				name = n
				break
			}
		}
	}
	ln := a.named[name]
	delete(a.named, name)
	return ln
}

// Close closes the activated listeners nobody took.
func (a *Activation) Close() {
	if a == nil {
		return
	}
	for n, ln := range a.named {
		ln.Close()
		delete(a.named, n)
	}
}

// DefaultSocketMode lets the socket's owner and group (the reverse
// proxy's) connect to a unix socket, nobody else.
const DefaultSocketMode os.FileMode = 0o660

// Listen opens host:port over TCP, or unix:/path as a unix socket with the
// permission mode. A stale socket file at path is replaced; any other
// file there is an error.
func Listen(addr string, mode os.FileMode) (net.Listener, error) {
	path, ok := strings.CutPrefix(addr, "unix:")
	if !ok {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("cannot listen on %q: %w", addr, err)
		}
		return ln, nil
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("cannot listen on unix socket %q: a file that is not a socket is in the way", path)
		}
		// Nobody answers on a stale socket; a live one is another
		// process's, which we must not steal.
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("cannot listen on unix socket %q: another process is listening on it", path)
		}
		_ = os.Remove(path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("cannot check unix socket path %q: %w", path, err)
	}
	// The socket is created with the umask's permission; it is narrowed
	// (or widened) to mode before anyone is told it exists.
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on unix socket %q: %w", path, err)
	}
	if err := os.Chmod(path, mode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("cannot set mode %o on unix socket %q: %w", mode, path, err)
	}
	return ln, nil
}

// Display returns a human-readable URL-ish name of ln for the startup line.
func Display(ln net.Listener, tls bool) string {
	if ln.Addr().Network() == "unix" {
		return "unix:" + ln.Addr().String()
	}
	if tls {
		return "https://" + ln.Addr().String()
	}
	return "http://" + ln.Addr().String()
}
