// Package e2e drives the real HTTP handler with GraphQL documents as a client sends them, on
// every store engine of the run (see testenv).
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/resolvers"
	"github.com/licensing-api/licensing-api/server"
	"github.com/licensing-api/licensing-api/testenv"
)

// env is one test's server, store and operator key.
type env struct {
	t        testing.TB
	Store    *models.Store
	Handler  http.Handler
	Operator string // operator API key
	clock    atomic.Pointer[time.Time]
}

// generous lets the functional tests send as much as they like with one key: only the tests of
// the limits themselves (hostile_test.go) run with the server's defaults.
var generous = server.Limits{KeyDefaults: models.KeyLimits{BucketSize: 1 << 30, RestoreRate: 1 << 30, MaxInFlight: 1 << 20}}

func newEnv(t testing.TB, s *models.Store) *env { return newEnvWith(t, s, generous) }

// newEnvWith is newEnv with the given limits (zero fields take the server's defaults).
func newEnvWith(t testing.TB, s *models.Store, limits server.Limits) *env {
	t.Helper()
	return newEnvLogged(t, s, limits, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// newEnvLogged is newEnvWith with the server logging to log.
func newEnvLogged(t testing.TB, s *models.Store, limits server.Limits, log *slog.Logger) *env {
	t.Helper()
	e := &env{t: t, Store: s}
	res := &resolvers.Resolver{Store: s, Now: func() time.Time { return *e.clock.Load() }}
	e.SetNow(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	skus, err := s.CatalogSize(context.Background())
	if err != nil {
		t.Fatalf("catalog: %v", err)
	}
	h, err := server.New(server.Config{Store: s, Resolver: res, Log: log, Limits: limits, CatalogSize: skus})
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	e.Handler = h
	k, err := s.CreateFirstOperatorKey(context.Background(), "test operator")
	if err != nil {
		t.Fatalf("operator key: %v", err)
	}
	e.Operator = k.Token
	return e
}

// each runs fn on every engine with a fresh env.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	testenv.Each(t, func(t *testing.T, s *models.Store) { fn(t, newEnv(t, s)) })
}

// SetNow sets the server's clock (used where a request gives no asOf).
func (e *env) SetNow(t time.Time) { e.clock.Store(&t) }

// response is a GraphQL response as a client reads it.
type response struct {
	Status int
	Data   map[string]any
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	}
	Raw    string
	header http.Header
}

// do POSTs a GraphQL document with a key ("" for none).
func (e *env) do(key, query string, vars map[string]any) *response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	r := &response{Status: rec.Code, Raw: rec.Body.String(), header: rec.Header()}
	if err := json.Unmarshal(rec.Body.Bytes(), r); err != nil {
		e.t.Fatalf("response is not JSON (%d): %s", rec.Code, rec.Body.String())
	}
	return r
}

// ok runs a document that must succeed without GraphQL errors and returns its data.
func (e *env) ok(key, query string, vars map[string]any) map[string]any {
	e.t.Helper()
	r := e.do(key, query, vars)
	if len(r.Errors) > 0 {
		e.t.Fatalf("unexpected errors: %s", r.Raw)
	}
	return r.Data
}

// mutate runs a mutation that must succeed with no userErrors; it returns the payload.
func (e *env) mutate(key, query string, vars map[string]any) map[string]any {
	e.t.Helper()
	data := e.ok(key, query, vars)
	for _, v := range data {
		payload := v.(map[string]any)
		if ue, _ := payload["userErrors"].([]any); len(ue) > 0 {
			e.t.Fatalf("unexpected userErrors: %v", ue)
		}
		return payload
	}
	e.t.Fatalf("no payload in %v", data)
	return nil
}

// refused runs a mutation that must be refused; it returns its userErrors.
func (e *env) refused(key, query string, vars map[string]any) []userError {
	e.t.Helper()
	data := e.ok(key, query, vars)
	for _, v := range data {
		raw, _ := json.Marshal(v.(map[string]any)["userErrors"])
		var ue []userError
		_ = json.Unmarshal(raw, &ue)
		if len(ue) == 0 {
			e.t.Fatalf("expected userErrors, got %v", v)
		}
		return ue
	}
	return nil
}

// userError is one entry of a payload's userErrors.
type userError struct {
	Field   []string `json:"field"`
	Code    string   `json:"code"`
	Message string   `json:"message"`
}

// hasUserError asserts that one of ue has the code and the field path (dot-joined).
func hasUserError(t testing.TB, ue []userError, code, field string) {
	t.Helper()
	for _, u := range ue {
		if u.Code == code && strings.Join(u.Field, ".") == field {
			return
		}
	}
	t.Fatalf("want userError %s on %q, got %+v", code, field, ue)
}

// errCode returns the extensions.code of the first GraphQL error.
func (r *response) errCode() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// get walks a path of map keys and list indexes in decoded JSON.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string { s, _ := get(v, path...).(string); return s }
func num(v any, path ...any) int    { f, _ := get(v, path...).(float64); return int(f) }

// world is a reseller with a key, a customer, an agreement, an enrollment and an account.
type world struct {
	Key, ResellerID, CustomerID, AgreementID, EnrollmentID, AccountID string
}

// newReseller creates a reseller and a RESELLER key for it.
func (e *env) newReseller(name string) (key, id string) {
	e.t.Helper()
	p := e.mutate(e.Operator, `mutation($n: String!) { createReseller(input: {name: $n}) { reseller { id } userErrors { field code message } } }`, map[string]any{"n": name})
	id = str(p, "reseller", "id")
	k := e.mutate(e.Operator, `mutation($r: ID!) { createApiKey(input: {resellerId: $r, role: RESELLER, name: "k"}) { token userErrors { field code message } } }`, map[string]any{"r": id})
	return str(k, "token"), id
}

// readerKey creates a READER key for a reseller.
func (e *env) readerKey(resellerID string) string {
	e.t.Helper()
	k := e.mutate(e.Operator, `mutation($r: ID!) { createApiKey(input: {resellerId: $r, role: READER, name: "bi"}) { token userErrors { field code message } } }`, map[string]any{"r": resellerID})
	return str(k, "token")
}

// newWorld builds a reseller with one of everything; program and numbers are parameters.
func (e *env) newWorld(name, program, agreementNumber, enrollmentNumber string) world {
	e.t.Helper()
	w := world{}
	w.Key, w.ResellerID = e.newReseller(name)
	c := e.mutate(w.Key, `mutation { createCustomer(input: {organizationName: "Fabrikam", country: "US"}) { customer { id } userErrors { field code message } } }`, nil)
	w.CustomerID = str(c, "customer", "id")
	a := e.mutate(w.Key, `mutation($c: ID!, $p: String!, $n: String!) { createAgreement(input: {customerId: $c, program: $p, number: $n,
		startDate: "2026-01-01", anniversaryDate: "2027-01-01", contacts: [
		{name: "Ana", email: "ana@fabrikam.com", roles: [AGREEMENT_ADMINISTRATOR]},
		{name: "Vic", email: "vic@fabrikam.com", roles: [VLSC_ADMINISTRATOR]}]}) { agreement { id } userErrors { field code message } } }`,
		map[string]any{"c": w.CustomerID, "p": program, "n": agreementNumber})
	w.AgreementID = str(a, "agreement", "id")
	en := e.mutate(w.Key, `mutation($a: ID!, $n: String!) { createEnrollment(input: {agreementId: $a, number: $n, organizationName: "Fabrikam",
		osmName: "Olivia", osmEmail: "olivia@fabrikam.com", startDate: "2026-01-01", endDate: "2028-12-31"}) { enrollment { id } userErrors { field code message } } }`,
		map[string]any{"a": w.AgreementID, "n": enrollmentNumber})
	w.EnrollmentID = str(en, "enrollment", "id")
	ac := e.mutate(w.Key, `mutation($c: ID!) { createAccount(input: {customerId: $c, name: "Fabrikam tenant", country: "US",
		verifiedDomains: ["fabrikam-tenant.com"], users: [{userName: "alice@fabrikam-tenant.com"}, {userName: "bob@fabrikam-tenant.com"}]}) { account { id } userErrors { field code message } } }`,
		map[string]any{"c": w.CustomerID})
	w.AccountID = str(ac, "account", "id")
	return w
}
