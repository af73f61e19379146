package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upedge/upedge/backend/origintest"
	"github.com/upedge/upedge/edge/server/servertest"
)

// TestDiskFull runs the store on a 2 MiB tmpfs: an upload that does not
// fit is answered 507, leaves nothing, and downloads go on.
func TestDiskFull(t *testing.T) {
	origintest.NeedRoot(t, "mounting a small tmpfs")
	store := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", store).CombinedOutput(); err != nil {
		t.Fatalf("cannot mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", store).Run() })
	p := servertest.Start(t, store, "--max-file-size", "8MiB")
	small := servertest.RandomBytes(1 << 20)
	if st := p.Upload("full/small.bin", small); st != 201 {
		t.Fatalf("small upload: %d; want 201", st)
	}
	for i, size := range []int{1536 << 10, 3 << 20} {
		name := fmt.Sprintf("full/big-%d.bin", i)
		// The edge may answer 507 and close before it has read the
		// whole body: write and read at once, as a browser does.
		put, _ := p.Slot(name, int64(size))
		c := p.PutHeaders(put, int64(size))
		go c.Write(servertest.RandomBytes(size))
		st, err := servertest.ReadStatus(c)
		c.Close()
		if err != nil || st != 507 {
			t.Fatalf("upload of %d bytes on a full disk: %d, %v; want 507", size, st, err)
		}
		if _, err := os.Stat(filepath.Join(store, name)); !os.IsNotExist(err) {
			t.Fatalf("%s is visible after a failed upload: %v", name, err)
		}
	}
	if files := servertest.StoreFiles(t, store); len(files) != 1 || files[0] != "full/small.bin" {
		t.Fatalf("store holds %q; want only full/small.bin", files)
	}
	if st, got := p.Fetch("full/small.bin"); st != 200 || !bytes.Equal(got, small) {
		t.Fatalf("download on a full disk: %d, %d bytes", st, len(got))
	}
	// Space freed, the same name works.
	if st := p.Upload("full/big-0.bin", servertest.RandomBytes(512<<10)); st != 201 {
		t.Fatalf("upload after a 507: %d; want 201", st)
	}
	// A full store is still healthy (downloads work); a read-only one is not.
	if st := p.Health(); st != 200 {
		t.Fatalf("/healthz on a full store: %d; want 200", st)
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", store).CombinedOutput(); err != nil {
		t.Fatalf("cannot remount read-only: %v: %s", err, out)
	}
	if st := p.Health(); st != 503 {
		t.Fatalf("/healthz on a read-only store: %d; want 503", st)
	}
}

// TestSlowClients holds hundreds of connections that send headers or a
// body at a trickle: they are cut by the timeouts, the memory of the
// process (the edge and its clients) stays bounded, and normal uploads go
// through meanwhile.
func TestSlowClients(t *testing.T) {
	store := t.TempDir()
	p := servertest.Start(t, store, "--read-timeout", "2s", "--min-upload-rate", "1KiB")
	const slow = 1000
	before := rss(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	cut := 0
	ready := make(chan struct{}, slow)
	for i := 0; i < slow; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var c net.Conn
			var trickle []byte
			if i%2 == 0 {
				// Headers at a trickle.
				var err error
				if c, err = net.Dial("tcp", p.Addr); err != nil {
					t.Error(err)
					ready <- struct{}{}
					return
				}
				trickle = []byte(fmt.Sprintf("GET /upload/slow/%d HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\n\r\n", i, strings.Repeat("a", 200)))
			} else {
				// A valid upload whose body trickles.
				put, _ := p.Slot(fmt.Sprintf("slow/%d.bin", i), 1000)
				c = p.PutHeaders(put, 1000)
				trickle = bytes.Repeat([]byte{'x'}, 1000)
			}
			defer c.Close()
			ready <- struct{}{}
			for _, b := range trickle {
				if _, err := c.Write([]byte{b}); err != nil {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			// The server must have given up on us (closed or answered
			// with an error) long before the trickle ends.
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			st, err := servertest.ReadStatus(c)
			mu.Lock()
			if err != nil || st >= 400 {
				cut++
			}
			mu.Unlock()
		}(i)
	}
	for i := 0; i < slow; i++ {
		<-ready
	}
	during := rss(t)
	// Normal uploads go through while the slow clients hold connections.
	for i := 0; i < 20; i++ {
		body := servertest.RandomBytes(64 << 10)
		if st := p.Upload(fmt.Sprintf("fast/%d.bin", i), body); st != 201 {
			t.Fatalf("normal upload %d during slow clients: %d", i, st)
		}
	}
	during = max(during, rss(t))
	wg.Wait()
	after := rss(t)
	t.Logf("process RSS: %d KiB before, %d KiB with %d slow clients, %d KiB after", before>>10, during>>10, slow, after>>10)
	if cut != slow {
		t.Fatalf("%d of %d slow clients were cut", cut, slow)
	}
	if during-before > 256<<20 {
		t.Fatalf("slow clients cost %d MiB", (during-before)>>20)
	}
	for _, f := range servertest.StoreFiles(t, store) {
		if strings.HasPrefix(f, "slow/") {
			t.Fatalf("a cut upload was stored: %s", f)
		}
	}
}

// TestMalformedRequests sends 10000 malformed requests: every one gets a
// 4xx answer (or, for framing the server cannot parse, is answered 4xx and
// closed) and nothing reaches the disk.
func TestMalformedRequests(t *testing.T) {
	store := t.TempDir()
	p := servertest.Start(t, store, "--max-file-size", "1MiB")
	put, _ := p.Slot("bad/x.bin", 10)
	putPath := strings.TrimPrefix(put, "http://"+p.Addr)
	huge := strings.Repeat("h", 16<<10)
	cases := []string{
		"FOO /upload/bad/x.bin HTTP/1.1\r\nHost: x\r\n\r\n",
		"DELETE /upload/bad/x.bin HTTP/1.1\r\nHost: x\r\n\r\n",
		"PATCH " + putPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789",
		"GET /upload/bad/x.bin HTTP/1.1\r\nHost: x\r\nX-Huge: " + huge + "\r\n\r\n",
		"GET /upload/" + huge + " HTTP/1.1\r\nHost: x\r\n\r\n",
		"PUT /upload/bad/%zz.bin?v=00 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789",
		"PUT /upload/bad/%2e%2e/%2e%2e/etc/passwd?v=00 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789",
		"GET /upload/bad/%G1 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /upload/bad/%00x HTTP/1.1\r\nHost: x\r\n\r\n",
		"PUT " + putPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		"PUT " + putPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: -10\r\n\r\n",
		// fasthttp reads the first body byte before the handler runs:
		// a client that announces a body sends some of it.
		"PUT " + putPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1099511627776\r\n\r\nxxxxxxxx",
		"PUT " + putPath + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"PUT " + putPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n0123456789X",
		"PUT " + putPath[:len(putPath)-1] + "0 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789",
		"GET /upload/bad/missing HTTP/1.1\r\nHost: x\r\nRange: bytes=-5-3\r\n\r\n",
		"GET /upload/bad/missing HTTP/1.1\r\nHost: x\r\nRange: bytes=--1\r\n\r\n",
		"GET /upload/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /other HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /upload/a//b HTTP/1.1\r\nHost: x\r\n\r\n",
		"\x00\x01\x02 / HTTP/1.1\r\n\r\n",
		"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
	}
	// Each case once, so that a failure names its case.
	for _, req := range cases {
		if st, err := sendRaw(p.Addr, req); err != nil || st < 400 || st >= 500 {
			t.Errorf("%q: status %d, err %v; want 4xx", req[max(0, len(req)-90):], st, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	const total = 10000
	const workers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := map[string]string{}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < total; i += workers {
				req := cases[i%len(cases)]
				st, err := sendRaw(p.Addr, req)
				if err != nil || st < 400 || st >= 500 {
					mu.Lock()
					bad[fmt.Sprintf("%.60q", req)] = fmt.Sprintf("status %d, err %v", st, err)
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	for req, got := range bad {
		t.Errorf("%s: %s; want 4xx", req, got)
	}
	if files := servertest.StoreFiles(t, store); len(files) != 0 {
		t.Fatalf("malformed requests left files: %q", files)
	}
	if st, _ := p.Fetch("bad/x.bin"); st != 404 {
		t.Fatalf("bad/x.bin: %d; want 404", st)
	}
	if got := p.Metric(`upedge_uploads_total`); got != 0 {
		t.Fatalf("uploads counted: %v", got)
	}
}

func sendRaw(addr, req string) (int, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	// The server may answer and close before it read all we send.
	go io.WriteString(c, req)
	return servertest.ReadStatus(c)
}

// rss returns the resident memory of this process, the edge's and its
// clients', in bytes.
func rss(t *testing.T) int64 {
	return servertest.ProcStatusKiB(t, os.Getpid(), "VmRSS") << 10
}
