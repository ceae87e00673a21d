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

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/licensing-api/licensing-api/graph"
	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/resolvers"
	"github.com/licensing-api/licensing-api/server/explorer"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// MaxBodyBytes bounds a request body; larger ones are refused before parsing.
const MaxBodyBytes = 1 << 20

// MaxComplexity bounds the work one query may ask for: each field counts one, and a
// connection counts its items times `first`, so nested pages multiply.
const MaxComplexity = 10000

// Handler serves the API on one mux: /graphql, / (GraphiQL), /healthz, /readyz.
func Handler(store *models.Store, res *resolvers.Resolver, log *slog.Logger) http.Handler {
	gql := handler.New(graph.NewExecutableSchema(schemaConfig(res)))
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(transport.POST{})
	gql.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	gql.Use(extension.Introspection{})
	gql.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	gql.Use(extension.FixedComplexityLimit(MaxComplexity))
	gql.SetErrorPresenter(resolvers.PresentError)
	gql.SetRecoverFunc(resolvers.RecoverPanic)
	gql.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		op := graphql.GetOperationContext(ctx)
		if info := requestInfoFrom(ctx); info != nil && op.Operation != nil {
			info.setOperation(op.OperationName, string(op.Operation.Operation))
		}
		// A read-only key is refused for any mutation before a resolver runs.
		if c := resolvers.CallerFrom(ctx); c != nil && op.Operation != nil && op.Operation.Operation == ast.Mutation && !c.CanWrite() {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
				Message:    "this key is read-only (READER)",
				Extensions: map[string]any{"code": resolvers.CodeForbidden},
			}}})
		}
		return next(ctx)
	})

	mux := http.NewServeMux()
	mux.Handle("/graphql", authenticate(store, gql))
	mux.Handle("GET /{$}", explorer.Page("/graphql"))
	mux.Handle("GET "+explorer.AssetPrefix, explorer.Assets())
	mux.HandleFunc("GET /activate", activatePage)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := store.Ping(r.Context()); err != nil {
			log.WarnContext(r.Context(), "not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	return logRequests(log, limitBody(mux))
}

// authenticate resolves the bearer key. A request without one goes on unauthenticated (the
// schema is public; every data field then answers UNAUTHENTICATED); a wrong key is refused here.
func authenticate(store *models.Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			// The scheme is case-insensitive (RFC 7235 section 2.1).
			scheme, token, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				graphQLError(w, http.StatusUnauthorized, resolvers.CodeUnauthenticated, "the Authorization header must be: Bearer <api key>")
				return
			}
			c, err := store.Authenticate(ctx, strings.TrimSpace(token))
			if errors.Is(err, models.ErrUnauthenticated) {
				graphQLError(w, http.StatusUnauthorized, resolvers.CodeUnauthenticated, "unknown or revoked API key")
				return
			} else if err != nil {
				slog.ErrorContext(ctx, "authenticate", "err", err)
				graphQLError(w, http.StatusServiceUnavailable, resolvers.CodeInternal, "cannot check the API key now; retry")
				return
			}
			ctx = resolvers.WithCaller(ctx, &c)
			ctx = resolvers.WithLoaders(ctx, store, c)
			if info := requestInfoFrom(ctx); info != nil {
				info.setCaller(c)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			graphQLError(w, http.StatusRequestEntityTooLarge, resolvers.CodeBadUserInput, "request body is larger than 1 MiB")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		if r.ContentLength < 0 {
			// No Content-Length (chunked): read the body now, so an oversized one is a 413 too
			// rather than a read error in the middle of the GraphQL transport.
			body, err := io.ReadAll(r.Body)
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				graphQLError(w, http.StatusRequestEntityTooLarge, resolvers.CodeBadUserInput, "request body is larger than 1 MiB")
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

// requestInfo collects what the request log line reports, filled in as the request goes.
type requestInfo struct {
	mu         sync.Mutex
	operation  string
	opType     string
	resellerID int64
	role       string
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	i, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return i
}

func (i *requestInfo) setOperation(name, typ string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.operation, i.opType = name, typ
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

// logRequests writes one structured line per request: operation, duration, status, reseller.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		info.mu.Lock()
		defer info.mu.Unlock()
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", rec.status, "duration_ms", float64(time.Since(start).Microseconds()) / 1000}
		if info.opType != "" {
			attrs = append(attrs, "operation", info.operation, "operation_type", info.opType)
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

// schemaConfig wires the resolvers and the cost of connections: a page of `first` items costs
// `first` times its items' fields (20 when first is omitted, as in the schema's defaults).
func schemaConfig(res *resolvers.Resolver) graph.Config {
	cfg := graph.Config{Resolvers: res}
	page := func(child int, first *int) int {
		n := 20
		if first != nil && *first > 0 {
			n = *first
		}
		return 1 + child*n
	}
	paged := func(child int, first *int, _ *string) int { return page(child, first) }
	pagedAsOf := func(child int, _ *time.Time, first *int, _ *string) int { return page(child, first) }
	c := &cfg.Complexity
	c.Account.Users, c.Account.Enrollments, c.Account.Subscriptions = paged, paged, pagedAsOf
	c.Customer.Agreements, c.Customer.Accounts = paged, paged
	c.Enrollment.Subscriptions = pagedAsOf
	c.Query.Resellers, c.Query.APIKeys = paged, paged
	c.Query.Customers = func(child int, first *int, _ *string, _ *model.CustomerFilter) int { return page(child, first) }
	c.Query.Agreements = func(child int, first *int, _ *string, _ *model.AgreementFilter) int { return page(child, first) }
	c.Query.Enrollments = func(child int, first *int, _ *string, _ *model.EnrollmentFilter) int { return page(child, first) }
	c.Query.Accounts = func(child int, first *int, _ *string, _ *model.AccountFilter) int { return page(child, first) }
	c.Query.Skus = func(child int, first *int, _ *string, _ *model.SkuFilter) int { return page(child, first) }
	c.Query.Orders = func(child int, first *int, _ *string, _ *model.OrderFilter) int { return page(child, first) }
	c.Query.Reservations = func(child int, first *int, _ *string, _ *model.ReservationFilter) int { return page(child, first) }
	c.Query.AccountsWithConflicts = pagedAsOf
	c.Query.LicenseSummary = func(child int, _ []model.SummaryDimension, _ *model.LicenseSummaryFilter, _ *time.Time, first *int, _ *string) int {
		return page(child, first)
	}
	return cfg
}
