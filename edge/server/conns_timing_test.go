package server_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"testing"

	"github.com/upedge/upedge/edge/server/servertest"
)

// BenchmarkIdleConns holds 2000 keep-alive connections idle after one
// request each and reports the resident memory they cost per connection
// (the edge and its clients in this one process), with a read buffer of
// 4 KiB (fasthttp's default) and of 32 KiB (max_header_bytes' default):
// what a larger request head limit costs idle connections. Run each
// alone, in a fresh process (memory freed by one run is reused by the
// next): -bench 'IdleConns/max_header_bytes=32KiB$' -benchtime 1x.
func BenchmarkIdleConns(b *testing.B) {
	const conns = 2000
	for _, size := range []string{"4KiB", "32KiB"} {
		b.Run("max_header_bytes="+size, func(b *testing.B) {
			p := servertest.Start(b, b.TempDir(), "--max-header-bytes", size, "--max-header-line", "4KiB")
			var perConn float64
			for b.Loop() {
				runtime.GC()
				before := servertest.ProcStatusKiB(b, os.Getpid(), "VmRSS")
				held := make([]net.Conn, 0, conns)
				for i := 0; i < conns; i++ {
					c, err := net.Dial("tcp", p.Addr)
					if err != nil {
						b.Fatal(err)
					}
					fmt.Fprintf(c, "GET /upload/x/%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
					resp, err := http.ReadResponse(bufio.NewReader(c), nil)
					if err != nil {
						b.Fatal(err)
					}
					resp.Body.Close()
					held = append(held, c)
				}
				runtime.GC()
				perConn = float64(servertest.ProcStatusKiB(b, os.Getpid(), "VmRSS")-before) / conns
				for _, c := range held {
					c.Close()
				}
			}
			b.ReportMetric(perConn, "KiB/conn")
		})
	}
}
