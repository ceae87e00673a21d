// Package apitest serves the real API over HTTP for tests of clients: server.New over a test's
// store, in process, with the demo data of seed-demo and an operator key.
package apitest

import (
	"context"
	"io"
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
	res := &resolvers.Resolver{Store: s, Now: func() time.Time { return Now }}
	h, err := server.New(server.Config{Store: s, Resolver: res, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &API{URL: srv.URL + "/graphql", ResellerKey: demo.Token, OperatorKey: op.Token, Store: s}
}
