package e2e

// HTTP: GET queries, refused GET mutations, health checks, the body limit, and responses that
// never leak internals.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// serve sends one raw HTTP request to the handler.
func serve(e *env, method, target string, header map[string]string, body string) *httptest.ResponseRecorder {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return serveReader(e, method, target, header, r)
}

func serveReader(e *env, method, target string, header map[string]string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, body)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	return rec
}

// decode reads a GraphQL response body.
func decode(t testing.TB, rec *httptest.ResponseRecorder) *response {
	t.Helper()
	r := &response{Status: rec.Code, Raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), r); err != nil {
		t.Fatalf("response is not JSON (%d): %s", rec.Code, rec.Body.String())
	}
	return r
}

func bearer(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }

func jsonBearer(key string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json"}
}

func getQuery(query string, extra ...string) string {
	v := url.Values{"query": {query}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return "/graphql?" + v.Encode()
}

// wantClean asserts a response shows nothing of the server's insides.
func wantClean(t testing.TB, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	body := rec.Body.String()
	for _, leak := range []string{"goroutine ", "runtime error", "panic", ".go:", "sql:", "gorm", "SQLITE", "Error 1", "database is closed"} {
		if strings.Contains(body, leak) {
			t.Errorf("%s: the response leaks %q: %s", what, leak, body)
		}
	}
	if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
		t.Errorf("%s: status %d: %s", what, rec.Code, body)
	}
}

func TestHTTP(t *testing.T) {
	ruleCase(t, "GET_query_with_a_key", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		rec := serve(e, http.MethodGet, "/graphql?query={viewer{role}}", bearer(w.Key), "")
		if r := decode(t, rec); rec.Code != http.StatusOK || str(r.Data, "viewer", "role") != "RESELLER" {
			t.Fatalf("GET {viewer{role}}: %d %s", rec.Code, rec.Body.String())
		}
		rec = serve(e, http.MethodGet, getQuery(`query($n: String!) { enrollment(number: $n) { id } }`, "variables", `{"n":"ENR-1"}`), bearer(w.Key), "")
		if r := decode(t, rec); str(r.Data, "enrollment", "id") != w.EnrollmentID {
			t.Fatalf("GET with variables: %d %s", rec.Code, rec.Body.String())
		}
		rec = serve(e, http.MethodGet, "/graphql?query={viewer{role}}", nil, "")
		if r := decode(t, rec); r.errCode() != "UNAUTHENTICATED" {
			t.Fatalf("GET without a key: %d %s", rec.Code, rec.Body.String())
		}
	})

	ruleCase(t, "GET_mutation_is_not_executed", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		const m = `mutation { createCustomer(input: {organizationName: "Via GET", country: "US"}) { customer { id } userErrors { code } } }`
		for _, target := range []string{
			getQuery(m),
			getQuery(`query q { viewer { role } } `+m[:8]+` m `+m[9:], "operationName", "m"),
		} {
			rec := serve(e, http.MethodGet, target, bearer(w.Key), "")
			r := decode(t, rec)
			// GraphQL over HTTP: a mutation by GET is 405 Method Not Allowed, naming POST.
			if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" || r.errCode() != "METHOD_NOT_ALLOWED" || r.Data != nil {
				t.Errorf("GET %s: %d %s", target, rec.Code, rec.Body.String())
			}
		}
		if n := total(e, w.Key, "customers"); n != 1 {
			t.Fatalf("a mutation sent by GET wrote a customer: %d customers", n)
		}
		// The same document by POST works, so the refusal above is the method.
		e.mutate(w.Key, m, nil)
	})

	ruleCase(t, "health_and_readiness", func(t *testing.T, e *env) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if rec := serve(e, http.MethodGet, path, nil, ""); rec.Code != http.StatusOK {
				t.Errorf("%s: %d %s", path, rec.Code, rec.Body.String())
			}
		}
		if err := e.Store.Close(); err != nil {
			t.Fatal(err)
		}
		if rec := serve(e, http.MethodGet, "/healthz", nil, ""); rec.Code != http.StatusOK {
			t.Errorf("/healthz with the store closed: %d (the process is up)", rec.Code)
		}
		rec := serve(e, http.MethodGet, "/readyz", nil, "")
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("/readyz with the store closed: %d %s", rec.Code, rec.Body.String())
		}
		wantClean(t, "/readyz with the store closed", rec)
		// A request with a key cannot be authenticated: 503, and no detail of why.
		rec = serve(e, http.MethodPost, "/graphql", jsonBearer(e.Operator), `{"query":"{ viewer { role } }"}`)
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("query with the store closed: %d %s", rec.Code, rec.Body.String())
		}
		wantClean(t, "query with the store closed", rec)
	})

	ruleCase(t, "body_over_1MiB_is_413", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		// The padding is a list of strings of 10,000 bytes: one string of a megabyte would be
		// refused by the variables' own limits (VARIABLES_TOO_LARGE), not by the body's.
		body := func(size int) string {
			head := `{"query":"mutation { createCustomer(input: {organizationName: \"Big\", country: \"US\"}) { customer { id } } }","variables":{"pad":["`
			tail := `"]}}`
			n := size - len(head) - len(tail)
			chunk := strings.Repeat("x", 10000) + `","`
			return head + strings.Repeat(chunk, n/len(chunk)) + strings.Repeat("x", n%len(chunk)) + tail
		}
		big := body(1<<20 + 1)
		// With a Content-Length, and streamed without one (chunked).
		for name, rec := range map[string]*httptest.ResponseRecorder{
			"Content-Length": serve(e, http.MethodPost, "/graphql", jsonBearer(w.Key), big),
			"chunked":        serveReader(e, http.MethodPost, "/graphql", jsonBearer(w.Key), io.MultiReader(strings.NewReader(big))),
		} {
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("%s body of 1 MiB + 1: %d %s", name, rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
			}
			wantClean(t, name, rec)
		}
		if n := total(e, w.Key, "customers"); n != 1 {
			t.Fatalf("an oversized request wrote a customer: %d customers", n)
		}
		// Exactly 1 MiB is accepted.
		rec := serve(e, http.MethodPost, "/graphql", jsonBearer(w.Key), body(1<<20))
		if r := decode(t, rec); rec.Code != http.StatusOK || str(r.Data, "createCustomer", "customer", "id") == "" {
			t.Fatalf("body of exactly 1 MiB: %d %s", rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
		}
	})

	ruleCase(t, "responses_never_leak_internals", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		deep := `{ customers(first: 100) { edges { node { agreements(first: 100) { edges { node { enrollments { edges { node { account { users(first: 100) { edges { node { id } } } } } } } } } } } } } }`
		posts := []string{
			`{`, `[]`, `{"query": 5}`, `{"query": ""}`, `{"query": "{ viewer { role } "}`, `{"query": "{ nope }"}`,
			`{"query": "{ customers(first: 99999999999) { totalCount } }"}`,
			`{"query": "mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } } }", "variables": {"in": "x"}}`,
			`{"query": "{ viewer { role } }", "operationName": "nope"}`,
			`{"query": "{ viewer { role } }", "variables": [1]}`,
		}
		// Nested pages multiply: 100 customers x 100 agreements x 100 users is refused up front.
		rec := serve(e, http.MethodPost, "/graphql", jsonBearer(w.Key), `{"query": `+jsonString(deep)+`}`)
		wantClean(t, "deep query", rec)
		if r := decode(t, rec); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "MAX_COST_EXCEEDED" {
			t.Errorf("deep query: want MAX_COST_EXCEEDED, got %d %s", rec.Code, rec.Body.String())
		}
		// An ID past its bound (100 characters) is malformed, refused before it reaches the store.
		rec = serve(e, http.MethodPost, "/graphql", jsonBearer(w.Key), `{"query": `+jsonString(`{ node(id: "`+strings.Repeat("Q", 10000)+`") { id } }`)+`}`)
		wantClean(t, "long id", rec)
		if r := decode(t, rec); r.errCode() != "BAD_USER_INPUT" || r.Data != nil {
			t.Errorf("node(id: 10,000 characters): want BAD_USER_INPUT and no data, got %d %s", rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
		}
		odd := []string{ // valid requests with strange contents
			`{"query": "query($n: String!) { enrollment(number: $n) { id } }", "variables": {"n": "\u0000'; DROP TABLE enrollments; --"}}`,
		}
		for _, body := range odd {
			rec := serve(e, http.MethodPost, "/graphql", jsonBearer(w.Key), body)
			wantClean(t, "POST "+body[:min(60, len(body))], rec)
			if r := decode(t, rec); rec.Code != http.StatusOK || len(r.Errors) > 0 {
				t.Errorf("POST %s: %d %s", body[:min(60, len(body))], rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
			}
		}
		for _, body := range posts {
			rec := serve(e, http.MethodPost, "/graphql", jsonBearer(w.Key), body)
			wantClean(t, "POST "+body[:min(60, len(body))], rec)
			// Every one of these is the caller's mistake, never reported as the server's.
			if r := decode(t, rec); len(r.Errors) == 0 || r.errCode() == "" || r.errCode() == "INTERNAL_SERVER_ERROR" {
				t.Errorf("POST %s: want a coded client error, got %d %s", body[:min(60, len(body))], rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
			}
		}
		// A body that is not a GraphQL request at all is a 400 BAD_USER_INPUT.
		for _, body := range []string{`{`, `[]`, `{"query": 5}`, `{"query": "{ viewer { role } }", "variables": [1]}`} {
			rec := serve(e, http.MethodPost, "/graphql", jsonBearer(w.Key), body)
			if r := decode(t, rec); rec.Code != http.StatusBadRequest || r.errCode() != "BAD_USER_INPUT" {
				t.Errorf("POST %s: %d %s", body, rec.Code, rec.Body.String())
			}
		}
		for _, c := range []struct{ method, target, ctype string }{
			{http.MethodGet, "/graphql", ""},
			{http.MethodGet, "/graphql?query={viewer{role}}&variables=notjson", ""},
			{http.MethodPut, "/graphql", "application/json"},
			{http.MethodPost, "/graphql", "text/plain"},
			{http.MethodGet, "/nope", ""},
		} {
			rec := serve(e, c.method, c.target, map[string]string{"Authorization": "Bearer " + w.Key, "Content-Type": c.ctype}, `{"query":"{ viewer { role } }"}`)
			wantClean(t, c.method+" "+c.target+" "+c.ctype, rec)
		}
		// The tables are intact.
		if n := total(e, w.Key, "enrollments"); n != 1 {
			t.Fatalf("enrollments: %d", n)
		}
	})
}
