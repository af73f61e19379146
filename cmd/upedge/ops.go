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
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge"
	"github.com/upedge/upedge/edge/ops/accesslog"
	"github.com/upedge/upedge/edge/ops/compress"
	"github.com/upedge/upedge/edge/config"
	"github.com/upedge/upedge/edge/ops/listen"
	"github.com/upedge/upedge/edge/ops/metrics"
	"github.com/upedge/upedge/edge/ops/quota"
)

// quotaSaveEvery bounds how much quota accounting a crash can lose.
const quotaSaveEvery = 10 * time.Second

// ops holds the operations parts of `upedge serve` (issue 6): metrics,
// access log, quotas, retention, compression, listeners and the graceful
// shutdown. Each part is off unless configured.
type ops struct {
	cfg    *config.Config
	store  *dirstore.Store // nil behind an upstream origin
	health func() error    // /healthz: can the store take uploads?
	log    *slog.Logger

	act     *listen.Activation
	metrics *metrics.Metrics
	access  *accesslog.Logger
	quota   *quota.Quota
	enc     *compress.Encoder
	msrv    *fasthttp.Server
	mln     net.Listener // metrics socket passed by systemd, or nil

	// uploadCtx is the context uploads are stored under; abortUploads
	// cancels it when the shutdown grace is over.
	uploadCtx    context.Context
	abortUploads context.CancelFunc
	// workers run retention, quota saving and cache cleaning.
	workCtx  context.Context
	stopWork context.CancelFunc
	workers  sync.WaitGroup
}

// newOps sets up the operations parts; store is nil behind an upstream
// origin, where the parts that work on the store directory are refused by
// the config's validation.
func newOps(cfg *config.Config, store *dirstore.Store, health func() error, log *slog.Logger) (*ops, error) {
	o := &ops{cfg: cfg, store: store, health: health, log: log}
	root := ""
	if store != nil {
		root = store.Root()
	}
	o.uploadCtx, o.abortUploads = context.WithCancel(context.Background())
	o.workCtx, o.stopWork = context.WithCancel(context.Background())
	var err error
	if o.act, err = listen.Systemd(); err != nil {
		return nil, err
	}
	o.mln = o.act.Take("metrics")
	if o.access, err = accesslog.Open(cfg.AccessLog, os.Stderr); err != nil {
		return nil, err
	}
	var alog metrics.AccessLog
	if o.access != nil {
		alog = o.access
	}
	o.metrics = metrics.New(root, alog)
	set := o.metrics.Set()
	if o.access != nil {
		set.NewGauge("upedge_access_log_dropped_total", func() float64 { return float64(o.access.Dropped()) })
	}
	if cfg.QuotaWindowBytes > 0 || cfg.QuotaTotalBytes > 0 {
		fn := cfg.QuotaFile
		if fn == "" {
			fn = filepath.Join(root, dirstore.ReservedDir, "quota.json")
		}
		rejected := set.NewCounter(`upedge_quota_rejections_total`)
		o.quota, err = quota.New(quota.Options{
			Window:      time.Duration(cfg.QuotaWindow),
			WindowBytes: int64(cfg.QuotaWindowBytes),
			TotalBytes:  int64(cfg.QuotaTotalBytes),
			File:        fn,
			OnReject:    rejected.Inc,
		})
		if err != nil {
			return nil, err
		}
	}
	if cfg.Compress {
		dir := cfg.CompressCache
		if dir == "" {
			dir = filepath.Join(root, dirstore.ReservedDir, "cache")
		}
		made := set.NewCounter(`upedge_compress_variants_made_total`)
		o.enc, err = compress.New(compress.Options{
			Types:    cfg.CompressTypes,
			CacheDir: dir,
			OnMake:   func(string, int64, int64) { made.Inc() },
			OnError:  func(err error) { log.Warn("compression failed; sending uncompressed", "err", err) },
		})
		if err != nil {
			return nil, err
		}
	}
	return o, nil
}

// editOptions plugs the configured parts into the edge. Interfaces are set
// only for parts that exist: a nil pointer in an interface is not nil.
func (o *ops) editOptions(opts *edge.Options) {
	opts.UploadContext = o.uploadCtx
	opts.MinUploadRate = int64(o.cfg.MinUploadRate)
	if o.quota != nil {
		opts.Admitter = o.quota
	}
	if o.enc != nil {
		opts.Encoder = o.enc
	}
}

// wrapServer counts (and logs) requests when metrics or the access log are on.
func (o *ops) wrapServer(srv *fasthttp.Server) {
	if o.cfg.MetricsListen == "" && o.mln == nil && o.access == nil {
		return
	}
	srv.Handler = o.metrics.Wrap(srv.Handler)
	srv.ExpectHandler = o.metrics.WrapExpect(srv.ExpectHandler)
}

// listen returns the socket systemd passed (the first one not named
// "metrics"), or opens addr.
func (o *ops) listen(addr string) (net.Listener, error) {
	if ln := o.act.Take(""); ln != nil {
		return ln, nil
	}
	mode, _ := o.cfg.SocketFileMode()
	return listen.Listen(addr, mode)
}

// start opens the metrics listener and starts the background workers.
func (o *ops) start(stdout io.Writer) error {
	if mln := o.mln; mln != nil || o.cfg.MetricsListen != "" {
		if mln == nil {
			mode, _ := o.cfg.SocketFileMode()
			var err error
			if mln, err = listen.Listen(o.cfg.MetricsListen, mode); err != nil {
				return fmt.Errorf("metrics_listen: %w", err)
			}
		}
		o.msrv = o.metrics.NewServer(o.health)
		fmt.Fprintf(stdout, "upedge metrics on %s/metrics and /healthz\n", displayAddr(mln, false))
		go func() {
			if err := o.msrv.Serve(mln); err != nil {
				o.log.Error("metrics listener stopped", "err", err)
			}
		}()
	}
	if o.cfg.Retention > 0 && o.store != nil {
		set := o.metrics.Set()
		files := set.NewCounter(`upedge_retention_removed_files_total`)
		bytes := set.NewCounter(`upedge_retention_removed_bytes_total`)
		o.goWork(func(ctx context.Context) {
			o.store.RunRetention(ctx, dirstore.RetentionOptions{
				MaxAge:   time.Duration(o.cfg.Retention),
				OnRemove: func(n int64) { files.Inc(); bytes.AddInt64(n) },
				OnError:  func(err error) { o.log.Warn("retention sweep", "err", err) },
			})
		})
	}
	if o.quota != nil {
		o.goWork(func(ctx context.Context) {
			o.quota.Run(ctx, quotaSaveEvery, func(err error) { o.log.Error("cannot save quotas", "err", err) })
		})
	}
	if o.enc != nil {
		o.goWork(func(ctx context.Context) { o.enc.Run(ctx, compress.DefaultTTL, time.Hour) })
	}
	if o.access != nil {
		// SIGHUP reopens the access log after logrotate moved it.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		o.goWork(func(ctx context.Context) {
			defer signal.Stop(hup)
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					if err := o.access.Reopen(); err != nil {
						o.log.Error("cannot reopen the access log", "err", err)
					}
				}
			}
		})
	}
	return nil
}

func (o *ops) goWork(f func(ctx context.Context)) {
	o.workers.Add(1)
	go func() {
		defer o.workers.Done()
		f(o.workCtx)
	}()
}

// shutdown stops accepting, lets in-flight requests finish within
// shutdown_grace, then abandons the uploads still running: they are
// written to unnamed temporaries, which vanish with the process, so they
// leave nothing behind.
func (o *ops) shutdown(srv *fasthttp.Server, sig os.Signal) error {
	grace := o.cfg.ShutdownGrace
	o.log.Info("shutting down: no new connections; waiting for requests in flight", "signal", sig.String(), "grace", grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.ShutdownWithContext(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		o.log.Warn("shutdown grace over: abandoning the uploads still in flight", "open_connections", srv.GetOpenConnectionsCount())
		o.abortUploads()
		err = nil
	}
	return err
}

// close stops the workers and flushes state; it runs however runServer
// ends.
func (o *ops) close() {
	o.abortUploads()
	o.stopWork()
	o.workers.Wait()
	if o.msrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = o.msrv.ShutdownWithContext(ctx)
		cancel()
	}
	if o.access != nil {
		_ = o.access.Close()
	}
	o.act.Close()
}
