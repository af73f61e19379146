package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/upedge/upedge/edge"
	"github.com/upedge/upedge/edge/config"
)

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
	store, local, where, err := openStore(cfg, os.Getenv)
	if err != nil {
		return err
	}
	ops, err := newOps(cfg, local, healthCheck(store, local), log)
	if err != nil {
		return err
	}
	defer ops.close()
	opts := edge.Options{
		Secret:          []byte(cfg.Secret),
		Prefix:          cfg.Prefix,
		MaxFileSize:     int64(cfg.MaxFileSize),
		V3Window:        cfg.V3Window,
		BodyReadTimeout: cfg.ReadTimeout,
		CORSOrigin:      cfg.CORSOrigin,
		Logger:          log,
	}
	ops.editOptions(&opts)
	h, err := edge.New(opts, store)
	if err != nil {
		return err
	}
	srv := edge.NewServer(h, edge.ServerOptions{
		ReadTimeout:  cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout,
		IdleTimeout:  cfg.IdleTimeout,
		Logger:       log,
		MaxConns:     cfg.MaxConns,
	})
	ops.wrapServer(srv)
	ln, err := ops.listen(cfg.Listen)
	if err != nil {
		return err
	}
	if cfg.Secret == config.ExampleSecret {
		log.Warn("running with the example secret from configs/: anyone who has read it can upload; set secret or secret_file before exposing this edge")
	}
	tls := cfg.TLSCert != ""
	fmt.Fprintf(stdout, "upedge listening on %s%s (%s, max file size %s)\n", displayAddr(ln, tls), h.Prefix(), where, cfg.MaxFileSize)
	if err := ops.start(stdout); err != nil {
		ln.Close()
		return err
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(stop)
	served := make(chan error, 1)
	go func() {
		if tls {
			served <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
			return
		}
		served <- srv.Serve(ln)
	}()
	select {
	case err := <-served:
		return err
	case sig := <-stop:
		return ops.shutdown(srv, sig)
	}
}

func displayAddr(ln net.Listener, tls bool) string {
	if ln.Addr().Network() == "unix" {
		return "unix:" + ln.Addr().String() + " path "
	}
	if tls {
		return "https://" + ln.Addr().String()
	}
	return "http://" + ln.Addr().String()
}

func logLevel(s string) slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(s))
	return l
}
