package server

import (
	"context"
	"fmt"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/dirstore"
	"github.com/upedge/upedge/backend/origin"
	"github.com/upedge/upedge/edge/config"
)

// OpenStore returns the store cfg selects, the upstream origin when
// origin is set and the store directory otherwise (then also as local),
// and how to name it in the startup line (never with credentials). getenv
// supplies the AWS_* credentials when the config has none.
func OpenStore(cfg *config.Config, getenv func(string) string) (store backend.Store, local *dirstore.Store, where string, err error) {
	return OpenStoreWith(cfg, cfg.StoreOptions(), getenv)
}

// OpenStoreWith is OpenStore with the directory store's options given:
// a tool beside a running edge (`upedge purge`) opens it its own way.
func OpenStoreWith(cfg *config.Config, dirOpts dirstore.Options, getenv func(string) string) (store backend.Store, local *dirstore.Store, where string, err error) {
	if cfg.Origin == "" {
		ds, err := dirstore.New(cfg.Store, dirOpts)
		if err != nil {
			return nil, nil, "", err
		}
		return ds, ds, "store " + ds.Root(), nil
	}
	opts := cfg.OriginOptions()
	opts.CredentialsFromEnv(getenv)
	s, err := origin.New(cfg.Origin, opts)
	if err != nil {
		return nil, nil, "", fmt.Errorf("cannot set up origin: %w", err)
	}
	return s, nil, "origin " + origin.Redact(cfg.Origin), nil
}

// healthCheck returns what /healthz runs: the store directory must be
// writable, an origin must answer within healthTimeout.
func healthCheck(store backend.Store, local *dirstore.Store) func() error {
	if local != nil {
		return local.CheckWritable
	}
	checker, ok := store.(interface{ Check(context.Context) error })
	if !ok {
		return func() error { return nil }
	}
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
		defer cancel()
		return checker.Check(ctx)
	}
}
