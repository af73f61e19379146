// Package server assembles a running edge from a config.Config: the store
// (a directory or an upstream origin), the request path (package edge),
// the operations parts (edge/ops/...) and the listeners. Tests build and
// drive it in-process with New, Run and Shutdown; `upedge serve` is Main.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge"
	"github.com/upedge/upedge/edge/config"
	"github.com/upedge/upedge/edge/ops/listen"
)

// Env is what a server takes from its process. The zero value is usable:
// output is discarded, logs go to slog.Default() and the environment is
// the process's.
type Env struct {
	// Stdout receives the startup lines (where the edge listens).
	Stdout io.Writer
	// Log receives the server's logs.
	Log *slog.Logger
	// Getenv supplies AWS_* credentials when the config has none.
	Getenv func(string) string
	// Load reads the config again for Reload, as the process read it at
	// start: the same flags and environment (Main passes config.Load).
	// nil: Reload keeps the running config, and re-reads only the TLS
	// certificate and reopens the access log.
	Load func() (*config.Config, error)
	// SyncHook, when set, is called instead of fsync(2) by every writer
	// of the store directory (uploads, quota state, compressed variants):
	// see atomicfile.Options.SyncHook. For tests that check what is
	// synced.
	SyncHook func(fd int, path string) error
}

// Server is one edge: its listeners, HTTP server, store and operations
// parts. Run serves until the context ends; every Server must be closed
// with Close, whether or not Run ran.
type Server struct {
	cfg     *config.Config
	log     *slog.Logger
	stdout  io.Writer
	store   backend.Store
	local   *dirstore.Store // nil behind an upstream origin
	where   string          // the store, for the startup line
	handler *edge.Handler
	http    *edge.Server
	ln      net.Listener
	certs   *listen.Certificate // nil without TLS
	ops     *ops

	load     func() (*config.Config, error)
	reloadMu sync.Mutex
	secret   string // the secret in force, for the reload's log line

	closeOnce sync.Once
}

// New opens the store, sets up the operations parts and opens the
// listeners (or takes those systemd passed), so that Addr answers before
// Run. On error, everything opened so far is closed again.
func New(cfg *config.Config, env Env) (_ *Server, err error) {
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Log == nil {
		env.Log = slog.Default()
	}
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	s := &Server{cfg: cfg, log: env.Log, stdout: env.Stdout, load: env.Load, secret: cfg.Secret}
	if s.load == nil {
		s.load = func() (*config.Config, error) { return cfg, nil }
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	dirOpts := cfg.StoreOptions()
	dirOpts.SyncHook = env.SyncHook
	dirOpts.OnRootReplaced = func(dir string) {
		env.Log.Warn("the store directory was replaced or removed; following the directory now at its path (files in the old one are no longer served)", "store", dir)
	}
	if s.store, s.local, s.where, err = OpenStoreWith(cfg, dirOpts, env.Getenv); err != nil {
		return nil, err
	}
	if s.local != nil && !s.local.Xattrs() {
		s.log.Warn("the store's file system keeps no user extended attributes: content types come from file names, and uploads that carry an uploader (v3, JWT) or an expiry are refused; use ext4, XFS, btrfs or tmpfs", "store", s.local.Root())
	}
	if s.ops, err = newOps(cfg, s.local, healthCheck(s.store, s.local), s.log, env.SyncHook); err != nil {
		return nil, err
	}
	opts := cfg.EdgeOptions(s.log)
	s.ops.plugInto(&opts)
	if s.handler, err = edge.New(opts, s.store); err != nil {
		return nil, err
	}
	s.http = edge.NewServer(s.handler, cfg.ServerOptions(s.log))
	s.ops.wrap(s.http)
	if cfg.TLSCert != "" {
		if s.certs, err = listen.LoadCertificate(cfg.TLSCert, cfg.TLSKey); err != nil {
			return nil, err
		}
		s.ops.watchCertificate(s.certs)
	}
	if s.ln, err = s.ops.listen(cfg.Listen); err != nil {
		return nil, err
	}
	if err := s.ops.openMetrics(); err != nil {
		return nil, err
	}
	return s, nil
}

// Addr returns the address the edge listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// MetricsAddr returns the address of /metrics and /healthz, or nil when
// they are off.
func (s *Server) MetricsAddr() net.Addr {
	if s.ops.mln == nil {
		return nil
	}
	return s.ops.mln.Addr()
}

// Run serves until ctx ends, then shuts down gracefully within the
// config's shutdown_grace (see Shutdown), and returns. It returns early
// with the error of a listener that fails.
func (s *Server) Run(ctx context.Context) error {
	if s.cfg.Secret == config.ExampleSecret {
		s.log.Warn("running with the example secret from configs/: anyone who has read it can upload; set secret or secret_file before exposing this edge")
	}
	fmt.Fprintf(s.stdout, "upedge listening on %s%s (%s, max file size %s)\n", display(s.ln, s.certs != nil), s.handler.Prefix(), s.where, s.cfg.MaxFileSize)
	s.ops.start(s.stdout)
	ln := s.ln
	if s.certs != nil {
		// Not fasthttp's ServeTLS: it reads the certificate once, and a
		// reload must be able to replace it.
		ln = s.certs.TLSListener(ln)
	}
	served := make(chan error, 1)
	go func() { served <- s.http.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	s.log.Info("shutting down: no new connections; waiting for requests in flight", "reason", context.Cause(ctx).Error(), "grace", s.cfg.ShutdownGrace)
	return s.Shutdown(grace)
}

// Shutdown stops accepting, lets the requests in flight finish until ctx
// ends, then abandons the uploads still running: they are written to
// unnamed temporaries, which vanish, so they leave nothing behind.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.ShutdownWithContext(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		s.log.Warn("shutdown grace over: abandoning the uploads still in flight", "open_connections", s.http.GetOpenConnectionsCount())
		s.ops.abortUploads()
		err = nil
	}
	return err
}

// Close abandons uploads still in flight, stops the operations parts and
// releases the listeners. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		if s.ops != nil {
			s.ops.close()
		}
		if s.ln != nil {
			s.ln.Close()
		}
	})
}

// display names ln for the startup line: an http(s) URL for TCP, the
// socket path for a unix socket.
func display(ln net.Listener, tls bool) string {
	if ln.Addr().Network() == "unix" {
		return listen.Display(ln, tls) + " path "
	}
	return listen.Display(ln, tls)
}

// startTimeout bounds the wait for an origin's health answer.
const healthTimeout = 5 * time.Second
