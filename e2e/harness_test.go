// Package e2e drives the real HTTP handler with GraphQL documents as a client sends them, on
// every store engine of the run (see testenv).
//
// What belongs here: harness_test.go, the environment, its clock and the one way to run a
// rule's subtest (ruleCase) and read answers; fixtures_test.go, the worlds and purchases
// tests build on; docs_test.go, one GraphQL document per operation; <concept>_helpers_test.go,
// the reads and asserts of one concept. Tests live by rule group, each subtest named by the rule
// ID it proves: agreements, orders (R-ORD, R-RES), subscriptions (R-SUB), licenses (R-LIC,
// R-BI), activation (R-ACT, R-ENR), with concurrency, tenancy, mail, HTTP and hostile clients
// in their own files.
package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/server"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/apitest"
	"github.com/licensing-api/licensing-api/testenv/jsonpath"
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
	e.SetNow(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	skus, err := s.CatalogSize(context.Background())
	if err != nil {
		t.Fatalf("catalog: %v", err)
	}
	e.Handler = apitest.Handler(t, s, func() time.Time { return *e.clock.Load() }, server.Config{Log: log, Limits: limits, CatalogSize: skus})
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

// ruleCase runs fn as the subtest name on every engine, each with a fresh env, so test names
// read Test/case/engine.
func ruleCase(t *testing.T, name string, fn func(t *testing.T, e *env)) {
	t.Run(name, func(t *testing.T) { each(t, fn) })
}

// SetNow sets the server's clock (used where a request gives no asOf).
func (e *env) SetNow(t time.Time) { e.clock.Store(&t) }

// t0 is the clock newEnv starts with (2026-11-23 09:00 UTC).
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// dateTime formats an instant as the API writes DateTime values (whole seconds here).
func dateTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// asOfVar is an asOf variable: null (the server's now) for the zero time.
func asOfVar(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return dateTime(t)
}

func parseDateTime(t testing.TB, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("not a DateTime: %#v", v)
	}
	return at
}

// hour and day are the steps the tests move the clock by.
const (
	hour = time.Hour
	day  = 24 * time.Hour
)

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
	return e.doCtx(context.Background(), key, query, vars)
}

// doCtx is do with the request's context (a statement counter, for one).
func (e *env) doCtx(ctx context.Context, key, query string, vars map[string]any) *response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
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

// mutated runs a mutation that must succeed and returns the object of its payload's field.
func (e *env) mutated(key, query string, vars map[string]any, field string) map[string]any {
	e.t.Helper()
	p := e.mutate(key, query, vars)
	o, _ := p[field].(map[string]any)
	if o == nil || o["id"] == "" { // an object selected with its id has one
		e.t.Fatalf("the payload has no %s: %v", field, p)
	}
	return o
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

// refusedPayload runs a mutation that must be refused with a null object (objField); it
// returns the userErrors.
func (e *env) refusedPayload(t testing.TB, key, doc string, vars map[string]any, objField string) []userError {
	t.Helper()
	data := e.ok(key, doc, vars)
	for name, v := range data {
		payload, _ := v.(map[string]any)
		if payload[objField] != nil {
			t.Errorf("%s: a refused payload must carry no %s, got %v", name, objField, payload[objField])
		}
		raw, _ := json.Marshal(payload["userErrors"])
		var ue []userError
		_ = json.Unmarshal(raw, &ue)
		if len(ue) == 0 {
			t.Fatalf("%s: expected userErrors, got %v", name, payload)
		}
		return ue
	}
	t.Fatalf("no payload in %v", data)
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

// onlyUserError asserts ue is exactly one userError with the code on the field path
// (dot-joined), with a message.
func onlyUserError(t testing.TB, ue []userError, code, field string) {
	t.Helper()
	if len(ue) != 1 || ue[0].Code != code || strings.Join(ue[0].Field, ".") != field || strings.TrimSpace(ue[0].Message) == "" {
		t.Fatalf("want exactly one userError %s on %q with a message, got %+v", code, field, ue)
	}
}

// errCode returns the extensions.code of the first GraphQL error.
func (r *response) errCode() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// input is a mutation input; with returns a copy with one field changed.
type input map[string]any

func (in input) with(field string, v any) input {
	out := input{}
	for k, x := range in {
		out[k] = x
	}
	out[field] = v
	return out
}

func vars(in input) map[string]any { return map[string]any{"in": map[string]any(in)} }

// orderLines builds order lines from sku, quantity pairs.
func orderLines(pairs ...any) []any {
	out := []any{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, map[string]any{"sku": pairs[i], "quantity": pairs[i+1]})
	}
	return out
}

// globalID builds a global ID the way the server does (only to name objects that do not exist).
func globalID(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
}

// decodeJSON re-decodes a piece of a JSON response into a typed value.
func decodeJSON(t testing.TB, v any, out any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(raw, out)
	}
	if err != nil {
		t.Fatalf("decode %v: %v", v, err)
	}
}

// d2raw renders decoded data back to JSON (to tell [] from null).
func rawJSON(t testing.TB, d map[string]any) string {
	t.Helper()
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// get, str and num walk a path of map keys and list indexes in decoded JSON.
var (
	get = jsonpath.Get
	str = jsonpath.Str
	num = jsonpath.Num
)

// strs reads a JSON list of strings.
func strs(v any) []string {
	out := []string{}
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// edgeValues lists a field of every node of a connection.
func edgeValues(conn any, field string) []string {
	out := []string{}
	edges, _ := get(conn, "edges").([]any)
	for _, ed := range edges {
		out = append(out, str(ed, "node", field))
	}
	sort.Strings(out)
	return out
}

// totalCount returns a list's totalCount as key sees it.
func (e *env) totalCount(key, doc, list string, vars map[string]any) int {
	e.t.Helper()
	return num(e.ok(key, doc, vars), list, "totalCount")
}

// firstWhere returns the first item that matches, or nil.
func firstWhere[T any](items []T, match func(*T) bool) *T {
	for i := range items {
		if match(&items[i]) {
			return &items[i]
		}
	}
	return nil
}
