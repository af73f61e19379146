package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/upedge/upedge/edge/config"
	"github.com/upedge/upedge/edge/ops/listen"
)

// Reload puts a renewed configuration in force without a restart, as
// SIGHUP does (Main): it reopens the access log, reads the config again
// (Env.Load: the same flags, environment and file as at start), re-reads
// the TLS certificate and key, and swaps the secrets of the request path.
// Connections and uploads in flight are left alone: a request finishes
// with the secrets it started with, a TLS connection keeps the
// certificate of its handshake.
//
// Only the reloadable keys take effect (config.Reloadable); the others
// that changed are logged as needing a restart. A reload whose config or
// certificate cannot be read (an unreadable key, a bad config) changes
// nothing; an access log that cannot be reopened does not hold the rest
// back. Either is a failure: it is logged with the reason, counted in
// upedge_reload_failures_total and returned. A successful reload sets
// upedge_reload_success_timestamp_seconds.
func (s *Server) Reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	err := s.reload()
	if err != nil {
		s.ops.reloadFailures.Inc()
		s.log.Error("reload failed; the running configuration stays in force", "err", err)
		return err
	}
	s.ops.reloadedAt.Store(time.Now().UnixMilli())
	return nil
}

func (s *Server) reload() error {
	// The log first and whatever else fails: logrotate's SIGHUP must not
	// be lost on a config that is being edited.
	logErr := s.ops.reopenLogs()
	next, err := s.load()
	if err != nil {
		return errors.Join(logErr, fmt.Errorf("cannot reload the config: %w", err))
	}
	if keys := config.RestartNeeded(s.cfg, next); len(keys) > 0 {
		s.log.Warn("reload: these keys changed but take effect only after a restart", "keys", keys)
	}
	// Everything that can fail is read before anything is swapped.
	cert := s.certs != nil && next.TLSCert != ""
	var newCert *tls.Certificate
	if cert {
		if newCert, err = listen.ReadCertificate(next.TLSCert, next.TLSKey); err != nil {
			return errors.Join(logErr, err)
		}
	}
	if err := s.handler.Reload(next.EdgeOptions(s.log)); err != nil {
		return errors.Join(logErr, err)
	}
	attrs := []any{"secret_changed", next.Secret != s.secret}
	s.secret = next.Secret
	if cert {
		s.certs.Set(newCert)
		attrs = append(attrs, "tls_cert", next.TLSCert, "tls_not_after", newCert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if logErr != nil {
		return logErr
	}
	s.log.Info("reloaded", attrs...)
	return nil
}
