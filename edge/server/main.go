package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/upedge/upedge/edge/config"
)

// Main is `upedge serve`: it loads the config from args and environ
// (config.Load), serves until SIGINT or SIGTERM, then shuts down within
// shutdown_grace. On SIGHUP it reloads (Server.Reload), reading the config
// again from the same args and environ. It returns the process exit
// status: 0 after a clean shutdown or --help, 1 when the edge could not
// start or failed, 2 for a bad config.
func Main(args, environ []string, stdout, stderr io.Writer) int {
	// Before anything else: SIGHUP's default action ends the process, and
	// systemd's ExecReload may send one at any time.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
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
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	reload := func() (*config.Config, error) {
		fs := config.FlagSet("upedge serve")
		fs.SetOutput(io.Discard)
		return config.Load(fs, args, environ)
	}
	srv, err := New(cfg, Env{Stdout: stdout, Log: log, Getenv: os.Getenv, Load: reload})
	if err != nil {
		log.Error("upedge stopped", "err", err)
		return 1
	}
	defer srv.Close()
	ctx, stop := SignalContext()
	defer stop()
	go func() {
		for {
			select {
			case <-hup:
				log.Info("SIGHUP: reloading")
				_ = srv.Reload() // it logs its failures itself
			case <-ctx.Done():
				return
			}
		}
	}()
	if err := srv.Run(ctx); err != nil {
		log.Error("upedge stopped", "err", err)
		return 1
	}
	return 0
}

// SignalContext returns a context that ends with SIGINT or SIGTERM, its
// cause naming the signal, for every subcommand that stops on them; the
// returned func stops listening.
func SignalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			cancel(fmt.Errorf("signal %s", sig))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}
