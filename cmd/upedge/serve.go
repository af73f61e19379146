package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge"
	"github.com/upedge/upedge/edge/config"
)

// shutdownGrace is how long in-flight requests may run on after SIGTERM.
const shutdownGrace = 30 * time.Second

func serve(args, environ []string, stdout, stderr io.Writer) int {
	fs := config.FlagSet("upedge serve")
	fs.SetOutput(stderr)
	cfg, err := config.Load(fs, args, environ)
	if err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "upedge serve: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(cfg.LogLevel)}))
	if err := runServer(cfg, log, stdout); err != nil {
		log.Error("upedge stopped", "err", err)
		return 1
	}
	return 0
}

func runServer(cfg *config.Config, log *slog.Logger, stdout io.Writer) error {
	store, err := dirstore.New(cfg.Store, dirstore.Options{
		Fsync:           cfg.Fsync == "always",
		SmallCacheBytes: int64(cfg.SmallFileCache),
	})
	if err != nil {
		return err
	}
	h, err := edge.New(edge.Options{
		Secret:          []byte(cfg.Secret),
		Prefix:          cfg.Prefix,
		MaxFileSize:     int64(cfg.MaxFileSize),
		V3Window:        cfg.V3Window,
		BodyReadTimeout: cfg.ReadTimeout,
		CORSOrigin:      cfg.CORSOrigin,
		Logger:          log,
	}, store)
	if err != nil {
		return err
	}
	srv := edge.NewServer(h, edge.ServerOptions{
		ReadTimeout:  cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout,
		IdleTimeout:  cfg.IdleTimeout,
		Logger:       log,
	})
	ln, err := listen(cfg.Listen)
	if err != nil {
		return err
	}
	if cfg.Secret == config.ExampleSecret {
		log.Warn("running with the example secret from configs/: anyone who has read it can upload; set secret or secret_file before exposing this edge")
	}
	fmt.Fprintf(stdout, "upedge listening on %s%s (store %s, max file size %s)\n", displayAddr(ln), h.Prefix(), store.Root(), cfg.MaxFileSize)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(stop)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case sig := <-stop:
		log.Info("shutting down", "signal", sig.String(), "grace", shutdownGrace)
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		return srv.ShutdownWithContext(ctx)
	}
}

// listen opens a TCP listener for host:port or a unix socket for
// unix:/path, replacing a stale socket file.
func listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			_ = os.Remove(path)
		}
		ln, err := net.Listen("unix", path)
		if err != nil {
			return nil, fmt.Errorf("cannot listen on unix socket %q: %w", path, err)
		}
		return ln, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %q: %w", addr, err)
	}
	return ln, nil
}

func displayAddr(ln net.Listener) string {
	if ln.Addr().Network() == "unix" {
		return "unix:" + ln.Addr().String() + " path "
	}
	return "http://" + ln.Addr().String()
}

func logLevel(s string) slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(s))
	return l
}
