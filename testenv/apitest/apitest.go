// Package apitest serves the real API for tests: the real server's handler over a test's store
// (Handler, Serve), and for tests of clients the API over HTTP, in process, with the demo data of
// seed-demo and an operator key (Start).
package apitest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/resolvers"
	"github.com/licensing-api/licensing-api/server"
)

// Now is the server's clock in these tests, inside the demo enrollments' terms.
var Now = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// API is a running server.
type API struct {
	URL         string // the GraphQL endpoint
	ResellerKey string // RESELLER key of the demo reseller (seed-demo)
	OperatorKey string
	Store       *models.Store
}

// Start serves the API over s (a migrated store, see testenv) until the test ends. wrap, if not
// nil, wraps the handler, for example to inject failures.
func Start(t testing.TB, s *models.Store, wrap func(http.Handler) http.Handler) *API {
	t.Helper()
	ctx := context.Background()
	demo, err := s.SeedDemo(ctx)
	if err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	op, err := s.CreateFirstOperatorKey(ctx, "test operator")
	if err != nil {
		t.Fatalf("operator key: %v", err)
	}
	h := Handler(t, s, func() time.Time { return Now }, server.Config{})
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &API{URL: srv.URL + "/graphql", ResellerKey: demo.Token, OperatorKey: op.Token, Store: s}
}

// Handler is the real server's handler over s, as configured by cfg: a resolver over s on the
// clock now (nil: the wall clock) unless cfg has one, and no log unless cfg has one.
func Handler(t testing.TB, s *models.Store, now func() time.Time, cfg server.Config) http.Handler {
	t.Helper()
	cfg.Store = s
	if cfg.Resolver == nil {
		cfg.Resolver = &resolvers.Resolver{Store: s, Now: now}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	h, err := server.New(cfg)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	return h
}

// Serve serves Handler until the test ends and returns its base URL.
func Serve(t testing.TB, s *models.Store, now func() time.Time, cfg server.Config) string {
	t.Helper()
	srv := httptest.NewServer(Handler(t, s, now, cfg))
	t.Cleanup(srv.Close)
	return srv.URL
}
