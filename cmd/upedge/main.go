// Command upedge is an upload edge for XMPP HTTP File Upload (XEP-0363).
//
//	upedge serve [--config FILE] [flags]   run the edge
//	upedge sign  --secret S PATH SIZE      print a signed slot (PUT and GET URL, a JWT's header)
//	upedge check --base URL --secret-file F  check a live deployment
//	upedge purge --uploader JID [flags]    delete the files of one uploader
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/upedge/upedge/bench"
	"github.com/upedge/upedge/edge/check"
	"github.com/upedge/upedge/edge/ops/purge"
	"github.com/upedge/upedge/edge/server"
	"github.com/upedge/upedge/edge/slot"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		return server.Main(args[1:], os.Environ(), stdout, stderr)
	case "sign":
		return slot.Main(args[1:], stdout, stderr)
	case "check":
		return check.Main(args[1:], stdout, stderr)
	case "bench":
		return bench.Main(args[1:], stdout, stderr)
	case "purge":
		return purge.Main(args[1:], os.Environ(), stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "upedge: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  upedge serve [--config FILE] [--listen ADDR] [--secret S | --secret-file F] [--store DIR]
               [--prefix /upload/] [--max-file-size 100MiB] ...   run the edge
  upedge sign  --secret S [--version v1|v2|token|v3|v3-expires|jwt] [--base URL] [--type T]
               [--uploader U] [--expires T] PATH SIZE             print a PUT and a GET URL (and a JWT)
  upedge sign  --secret S --delete-secret D --delete PATH         print Metronome's signed DELETE URL
  upedge check --base URL --secret-file F [--version v1|v2|token|v3|v3-expires|jwt] [--json]
                                                                  check a live deployment, through its proxy
  upedge bench --base URL --secret S [--vs URL] [--scenarios ...]  load a server (and a peer)
  upedge purge --uploader JID [--config FILE | --store DIR | --origin URL] [--dry-run]
                                                                  delete an uploader's files
Run 'upedge COMMAND --help' for a command's flags.
`)
}
