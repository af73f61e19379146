package purge

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/edge/config"
	"github.com/upedge/upedge/edge/server"
)

// Main runs `upedge purge` with args and the process environment environ
// (UPEDGE_*, AWS_*), printing each file it removed and a total to stdout,
// and returns the exit code: 0 when every file of the uploader is gone, 1
// when some could not be removed or the store could not be listed, 2 for
// bad usage.
//
// The store is the one the edge's configuration names (--config FILE,
// UPEDGE_*, or the serve flags --store, --origin, --s3-endpoint ...); the
// shared secret is not needed.
func Main(args, environ []string, stdout, stderr io.Writer) int {
	fs := config.FlagSet("upedge purge")
	fs.SetOutput(stderr)
	uploader := fs.String("uploader", "", "bare JID whose uploads to remove (required)")
	dryRun := fs.Bool("dry-run", false, "list the uploader's files without removing them")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: upedge purge --uploader JID [--config FILE | --store DIR | --origin URL ...] [--dry-run]\n")
		fs.PrintDefaults()
	}
	cfg, err := config.LoadStore(fs, args, environ)
	if err != nil {
		fmt.Fprintf(stderr, "upedge purge: %v\n", err)
		return 2
	}
	if *uploader == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	getenv := func(key string) string {
		for i := len(environ) - 1; i >= 0; i-- {
			if k, v, _ := strings.Cut(environ[i], "="); k == key {
				return v
			}
		}
		return ""
	}
	// An edge may be serving this store: its named temporaries are its
	// uploads in flight, and a cache would only cost memory here.
	dirOpts := cfg.StoreOptions()
	dirOpts.KeepTemps = true
	dirOpts.SmallCacheBytes = 0
	store, _, where, err := server.OpenStoreWith(cfg, dirOpts, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "upedge purge: %v\n", err)
		return 1
	}
	p, ok := store.(Store)
	if !ok {
		fmt.Fprintf(stderr, "upedge purge: %s keeps no uploader with its objects, so they cannot be found by uploader (an HTTP/WebDAV origin: see the README, \"Upstream origins\")\n", where)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	verb := "removed"
	if *dryRun {
		verb = "would remove"
	}
	res, err := Purge(ctx, p, *uploader, Options{DryRun: *dryRun, OnFile: func(info backend.ObjectInfo, err error) {
		if err == nil {
			fmt.Fprintf(stdout, "%s %s (%d bytes)\n", verb, strconv.Quote(info.Name), info.Size)
		}
	}})
	fmt.Fprintf(stdout, "%s %d files, %d bytes of %s from %s\n", verb, res.Files, res.Bytes, *uploader, where)
	if err != nil {
		fmt.Fprintf(stderr, "upedge purge: %v\n", err)
		if res.Failed > 0 {
			fmt.Fprintf(stderr, "upedge purge: %d files could not be removed; run it again once the cause is fixed\n", res.Failed)
		}
		return 1
	}
	return 0
}
