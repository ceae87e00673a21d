// Package server is the HTTP side: GraphQL over HTTP, the explorer, health checks, API-key
// authentication, request logging and limits.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/licensing-api/licensing-api/graph"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/resolvers"
	"github.com/licensing-api/licensing-api/server/explorer"
)

// Config is what the HTTP side needs.
type Config struct {
	Store    *models.Store
	Resolver *resolvers.Resolver
	Log      *slog.Logger
	Limits   Limits           // zero fields take DefaultLimits
	Now      func() time.Time // the throttle's clock; default time.Now
	// CatalogSize is the number of SKUs (Store.CatalogSize): lists with one item per SKU cost that
	// many items. Zero means models.MaxSKUs.
	CatalogSize int
	// AllowedOrigins are the browser origins allowed to call the API (CORS); none by default.
	AllowedOrigins []string
	// Metrics, when set, are recorded and served at /metrics.
	Metrics *Metrics
	// Health is the readiness switch (Drain); nil means one the caller cannot drain.
	Health *Health
	// Tracing makes a span of every HTTP request (otelhttp) through the global tracer
	// provider (see StartTracing); GraphQL operation spans are made either way (no-ops then).
	Tracing bool
}

// New serves the API on one mux: /graphql, / (GraphiQL), /healthz, /readyz, /activate, and
// /metrics with Config.Metrics.
func New(cfg Config) (http.Handler, error) {
	limits := cfg.Limits.orDefaults()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Resolver.KeyDefaults == (models.KeyLimits{}) {
		cfg.Resolver.KeyDefaults = limits.KeyDefaults
	}
	if cfg.Resolver.MaxQueryCost == 0 {
		cfg.Resolver.MaxQueryCost = limits.MaxCost
	}
	gql, err := newEndpoint(graph.NewExecutableSchema(graph.Config{Resolvers: cfg.Resolver}), limits, cfg.CatalogSize, cfg.Now, cfg.Log)
	if err != nil {
		return nil, err
	}
	if cfg.Health == nil {
		cfg.Health = &Health{}
	}
	store, log := cfg.Store, cfg.Log
	mux := http.NewServeMux()
	mux.Handle("/graphql", authenticate(store, limits.RequestTimeout, gql))
	mux.Handle("GET /{$}", explorer.Page("/graphql"))
	mux.Handle("GET "+explorer.AssetPrefix, explorer.Assets())
	mux.HandleFunc("GET /activate", activatePage)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", readyz(store, cfg.Health, log))
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", cfg.Metrics.Handler())
	}
	// CORS sits outside authentication, so that a browser can read a 401 too.
	h := withRequestID(logRequests(log, cfg.Metrics, CORS(cfg.AllowedOrigins, limitBody(limits.MaxBodyBytes, mux))))
	if cfg.Tracing {
		h = traceHTTP(h)
	}
	return h, nil
}

// authenticate resolves the bearer key before anything reads the query: a request without a
// valid key is answered 401 here, at the cost of one key lookup.
func authenticate(store *models.Store, timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r) // a CORS preflight carries no credentials
			return
		}
		h := r.Header.Get("Authorization")
		if h == "" {
			graphQLError(w, http.StatusUnauthorized, resolvers.CodeUnauthenticated, "send Authorization: Bearer <api key>")
			return
		}
		// The scheme is case-insensitive (RFC 7235 section 2.1).
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			graphQLError(w, http.StatusUnauthorized, resolvers.CodeUnauthenticated, "the Authorization header must be: Bearer <api key>")
			return
		}
		lookup, cancel := context.WithTimeout(ctx, timeout)
		c, err := store.Authenticate(lookup, strings.TrimSpace(token))
		cancel()
		if errors.Is(err, models.ErrUnauthenticated) {
			graphQLError(w, http.StatusUnauthorized, resolvers.CodeUnauthenticated, "unknown or revoked API key")
			return
		} else if err != nil {
			slog.WarnContext(ctx, "cannot check an API key", "err", err)
			w.Header().Set("Retry-After", fmt.Sprint(retryAfterUnavailableSecs))
			graphQLError(w, http.StatusServiceUnavailable, resolvers.CodeServiceUnavailable, "cannot check the API key now; retry")
			return
		}
		defer store.Serving()() // an authenticated request in flight (Store.SpreadReads)
		ctx = resolvers.WithCaller(ctx, &c)
		ctx = resolvers.WithLoaders(ctx, store, c)
		if info := requestInfoFrom(ctx); info != nil {
			info.setCaller(c)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func limitBody(maxBytes int64, next http.Handler) http.Handler {
	tooLarge := fmt.Sprintf("the request body is larger than %d bytes", maxBytes)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBytes {
			graphQLError(w, http.StatusRequestEntityTooLarge, CodeRequestTooLarge, tooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
		if r.ContentLength < 0 {
			// No Content-Length (chunked): read the body now, so an oversized one is a 413 too
			// rather than a read error in the middle of the GraphQL transport.
			body, err := io.ReadAll(r.Body)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				graphQLError(w, http.StatusRequestEntityTooLarge, CodeRequestTooLarge, tooLarge)
				return
			} else if err != nil {
				graphQLError(w, http.StatusBadRequest, resolvers.CodeBadUserInput, "cannot read the request body")
				return
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		}
		next.ServeHTTP(w, r)
	})
}

func graphQLError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]string{"code": code}}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// requestInfo collects what the request log line and the metrics report, filled in as the
// request goes.
type requestInfo struct {
	mu         sync.Mutex
	operation  string // the client's operation name
	opType     string
	rootField  string // the operation's first root field: the metrics' operation label
	resellerID int64
	role       string
	// Set once the operation ran (the endpoint's hook, see setCost).
	executed                  bool
	hasErrors                 bool
	costRequested, costActual int
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	i, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return i
}

func (i *requestInfo) setOperation(name, typ, rootField string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.operation, i.opType, i.rootField = name, typ, rootField
}

// setCost records an executed operation's cost and whether its response has errors.
func (i *requestInfo) setCost(requested, actual int, hasErrors bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.executed, i.costRequested, i.costActual, i.hasErrors = true, requested, actual, hasErrors
}

func (i *requestInfo) setCaller(c models.Caller) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.resellerID, i.role = c.ResellerID, string(c.Role)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// logRequests writes one structured line per request (operation, duration, status, reseller,
// cost) and records the metrics of GraphQL requests.
func logRequests(log *slog.Logger, metrics *Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		took := time.Since(start)
		info.mu.Lock()
		defer info.mu.Unlock()
		if r.URL.Path == "/graphql" {
			metrics.observeGraphQL(info, rec.status, took)
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", rec.status, "duration_ms", float64(took.Microseconds()) / 1000}
		if info.opType != "" {
			attrs = append(attrs, "operation", info.operation, "operation_type", info.opType)
		}
		if info.executed {
			attrs = append(attrs, "cost_requested", info.costRequested, "cost_actual", info.costActual)
		}
		if info.role != "" {
			attrs = append(attrs, "role", info.role, "reseller_id", info.resellerID)
		}
		log.InfoContext(r.Context(), "request", attrs...)
	})
}

// activatePage is where activation links land by default (ACTIVATION_URL). A reseller's portal
// normally hosts this page; this one tells a person what the portal would do with the token.
func activatePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	token := html.EscapeString(r.URL.Query().Get("token"))
	fmt.Fprintf(w, `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Activate your subscription</title></head><body>
<h1>Sign in or sign up to start using your new subscription</h1>
<p>Your reseller's portal completes activation with this token, onto your existing account or a new one:</p>
<pre>mutation { activateEnrollment(input: {token: "%s", accountId: "&lt;account id&gt;"}) { enrollment { number account { name } } userErrors { field code message } } }</pre>
</body></html>`, token)
}
