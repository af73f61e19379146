package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/edge"
	"github.com/upedge/upedge/edge/config"
	"github.com/upedge/upedge/edge/ops/accesslog"
	"github.com/upedge/upedge/edge/ops/compress"
	"github.com/upedge/upedge/edge/ops/listen"
	"github.com/upedge/upedge/edge/ops/metrics"
	"github.com/upedge/upedge/edge/ops/quota"
	"github.com/upedge/upedge/edge/token"
)

// quotaSaveEvery bounds how much quota accounting a crash can lose.
const quotaSaveEvery = 10 * time.Second

// compressCleanEvery is how often expired compressed variants are removed.
const compressCleanEvery = time.Hour

// ops holds the operations parts: metrics, access log, quotas, retention,
// compression, listeners and the graceful shutdown. Each part is off
// unless configured. The server meets them in three places only: hooks
// plugged into edge.Options (quotas, compression), a wrapper around the
// request handler (metrics, access log), and background workers run until
// close.
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
	mln     net.Listener // metrics socket, or nil when off

	// reloadedAt is when the configuration in force was loaded (at start
	// or by the last successful reload), in UNIX milliseconds.
	reloadedAt     atomic.Int64
	reloadFailures *vm.Counter

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
func newOps(cfg *config.Config, store *dirstore.Store, health func() error, log *slog.Logger, syncHook func(int, string) error) (*ops, error) {
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
	o.metrics = metrics.New(metrics.Options{
		StoreRoot:     root,
		AccessLog:     alog,
		TokenRefusal:  edge.TokenRefusal,
		TokenReasons:  token.Reasons(),
		OldSecret:     edge.SignedWithOldSecret,
		UploadedBytes: edge.UploadedBytes,
		WatchBody:     func(ctx *fasthttp.RequestCtx, w metrics.BodyWatcher) bool { return edge.WatchBody(ctx, w) },
	})
	set := o.metrics.Set()
	if o.access != nil {
		set.NewGauge("upedge_access_log_dropped_total", func() float64 { return float64(o.access.Dropped()) })
	}
	o.reloadedAt.Store(time.Now().UnixMilli())
	set.NewGauge("upedge_reload_success_timestamp_seconds", func() float64 { return float64(o.reloadedAt.Load()) / 1e3 })
	o.reloadFailures = set.NewCounter("upedge_reload_failures_total")
	if cfg.QuotasOn() {
		rejected := set.NewCounter(`upedge_quota_rejections_total`)
		qopts := cfg.QuotaOptions(root, rejected.Inc)
		qopts.SyncHook = syncHook
		if o.quota, err = quota.New(qopts); err != nil {
			return nil, err
		}
	}
	if cfg.Compress {
		made := set.NewCounter(`upedge_compress_variants_made_total`)
		opts := cfg.CompressOptions(root)
		opts.OnMake = func(string, int64, int64) { made.Inc() }
		opts.OnError = func(err error) { log.Warn("compression failed; sending uncompressed", "err", err) }
		opts.SyncHook = syncHook
		if o.enc, err = compress.New(opts); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// plugInto plugs the configured parts into the request path. Interfaces
// are set only for parts that exist: a nil pointer in an interface is not
// nil.
func (o *ops) plugInto(opts *edge.Options) {
	opts.UploadContext = o.uploadCtx
	if o.quota != nil {
		opts.Admitter = o.quota
	}
	if o.enc != nil {
		opts.Encoder = o.enc
	}
}

// wrap counts (and logs) requests when metrics or the access log are on:
// every answer the server makes, by the handler, by the Expect handler, to
// a request it could not read (ErrorHandler) and to a connection over the
// cap (Overloaded).
func (o *ops) wrap(srv *edge.Server) {
	if o.cfg.MetricsListen == "" && o.mln == nil && o.access == nil {
		return
	}
	srv.Handler = o.metrics.Wrap(srv.Handler)
	srv.ExpectHandler = o.metrics.WrapExpect(srv.ExpectHandler)
	srv.ErrorHandler = o.metrics.WrapError(srv.ErrorHandler)
	srv.Overloaded = o.metrics.Wrap(srv.Overloaded)
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

// openMetrics opens metrics_listen, unless systemd passed the metrics
// socket or it is off.
func (o *ops) openMetrics() error {
	if o.mln != nil || o.cfg.MetricsListen == "" {
		return nil
	}
	mode, _ := o.cfg.SocketFileMode()
	var err error
	if o.mln, err = listen.Listen(o.cfg.MetricsListen, mode); err != nil {
		return fmt.Errorf("metrics_listen: %w", err)
	}
	return nil
}

// start serves the metrics listener and starts the background workers.
func (o *ops) start(stdout io.Writer) {
	if o.mln != nil {
		o.msrv = o.metrics.NewServer(o.health)
		fmt.Fprintf(stdout, "upedge metrics on %s/metrics and /healthz\n", display(o.mln, false))
		mln := o.mln
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
		opts := o.cfg.RetentionOptions()
		opts.OnRemove = func(n int64) { files.Inc(); bytes.AddInt64(n) }
		opts.OnError = func(err error) { o.log.Warn("retention sweep", "err", err) }
		o.goWork(func(ctx context.Context) { o.store.RunRetention(ctx, opts) })
	}
	if o.store != nil {
		// Always: uploads with an expiry may come at any time, and a
		// sweep of a store without any reads one empty directory.
		set := o.metrics.Set()
		files := set.NewCounter(`upedge_expiry_removed_files_total`)
		bytes := set.NewCounter(`upedge_expiry_removed_bytes_total`)
		var opts dirstore.ExpiryOptions
		opts.OnRemove = func(n int64) { files.Inc(); bytes.AddInt64(n) }
		opts.OnError = func(err error) { o.log.Warn("expiry sweep", "err", err) }
		o.goWork(func(ctx context.Context) { o.store.RunExpiry(ctx, opts) })
	}
	if o.quota != nil {
		o.goWork(func(ctx context.Context) {
			o.quota.Run(ctx, quotaSaveEvery, func(err error) { o.log.Error("cannot save quotas", "err", err) })
		})
	}
	if o.enc != nil {
		o.goWork(func(ctx context.Context) { o.enc.Run(ctx, compress.DefaultTTL, compressCleanEvery) })
	}
}

// watchCertificate exports when the TLS certificate in force expires, so
// that a renewal that never reached the edge shows before clients see it.
func (o *ops) watchCertificate(c *listen.Certificate) {
	o.metrics.Set().NewGauge("upedge_tls_certificate_expiry_timestamp_seconds", func() float64 {
		return float64(c.NotAfter().Unix())
	})
}

// reopenLogs reopens the access log (after logrotate moved it).
func (o *ops) reopenLogs() error {
	if o.access == nil {
		return nil
	}
	if err := o.access.Reopen(); err != nil {
		return fmt.Errorf("cannot reopen the access log: %w", err)
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

// close stops the workers and flushes state.
func (o *ops) close() {
	o.abortUploads()
	o.stopWork()
	o.workers.Wait()
	if o.msrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = o.msrv.ShutdownWithContext(ctx)
		cancel()
	} else if o.mln != nil {
		o.mln.Close()
	}
	if o.access != nil {
		_ = o.access.Close()
	}
	if o.act != nil {
		o.act.Close()
	}
}
