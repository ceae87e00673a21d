package server_test

// Running on a cluster (issue 12), the server's side: request ids in responses and logs,
// /metrics, /readyz with draining, BI queries on the read replica, traces over OTLP/HTTP.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/server"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/apitest"
	"github.com/licensing-api/licensing-api/testenv/testdb"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// api is a server over a store with the demo data, its keys and what it logged.
type api struct {
	url, reseller, operator string
	metrics                 *server.Metrics
	health                  *server.Health
	logs                    *testenv.Buffer
}

func startAPI(t *testing.T, s *models.Store, tracing bool) *api {
	t.Helper()
	ctx := context.Background()
	demo, err := s.SeedDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	op, err := s.CreateFirstOperatorKey(ctx, "op")
	if err != nil {
		t.Fatal(err)
	}
	a := &api{reseller: demo.Token, operator: op.Token, metrics: server.NewMetrics(s), health: &server.Health{}, logs: &testenv.Buffer{}}
	log := slog.New(server.RedactSecrets(server.WithRequestIDs(slog.NewJSONHandler(a.logs, nil))))
	a.url = apitest.Serve(t, s, nil, server.Config{Log: log, Metrics: a.metrics, Health: a.health, Tracing: tracing})
	return a
}

// post sends a GraphQL request; header pairs are added as given.
func (a *api) post(t *testing.T, key, query string, header ...string) (*http.Response, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, a.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

func (a *api) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(a.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const summaryQuery = `query Summary { licenseSummary(groupBy: [RESELLER]) { totalCount } }`

func TestRequestID(t *testing.T) {
	a := startAPI(t, testenv.Open(t, testdb.SQLite(t)), false)
	resp, _ := a.post(t, a.reseller, summaryQuery, "X-Request-Id", "lb-7f3a:42")
	if got := resp.Header.Get("X-Request-Id"); got != "lb-7f3a:42" {
		t.Errorf("a usable id sent was answered %q", got)
	}
	for _, bad := range []string{strings.Repeat("a", 129), "two words", "<script>"} {
		resp, _ := a.post(t, a.reseller, summaryQuery, "X-Request-Id", bad)
		if got := resp.Header.Get("X-Request-Id"); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got) {
			t.Errorf("sent %q, answered %q: want a new id", bad, got)
		}
	}
	resp, _ = a.post(t, "", summaryQuery)
	id := resp.Header.Get("X-Request-Id")
	if id == "" || !strings.Contains(a.logs.String(), `"request_id":"`+id+`"`) {
		t.Errorf("the 401's id %q is not in its log line:\n%s", id, a.logs)
	}
	if !strings.Contains(a.logs.String(), `"request_id":"lb-7f3a:42"`) {
		t.Errorf("the id sent is not in the log:\n%s", a.logs)
	}
}

func TestMetrics(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		a := startAPI(t, s, false)
		a.post(t, a.reseller, summaryQuery)
		a.post(t, a.reseller, summaryQuery)
		a.post(t, "", summaryQuery)
		a.post(t, a.reseller, `query { licenseSummary(`)
		a.post(t, a.reseller, `query { ...F } fragment F on Query { customers(first: 1) { totalCount } }`)
		a.metrics.ActivationEmail("due")
		a.metrics.ActivationEmail("sent")
		a.metrics.TaskRun("deprovision", 3, nil)
		status, body := a.get(t, "/metrics")
		if status != http.StatusOK {
			t.Fatalf("/metrics: %d", status)
		}
		for _, want := range []string{
			`licensing_graphql_requests_total{operation="licenseSummary",outcome="ok",type="query"} 2`,
			`licensing_graphql_requests_total{operation="unknown",outcome="unauthenticated",type="unknown"} 1`,
			`licensing_graphql_requests_total{operation="unknown",outcome="refused",type="unknown"} 1`,
			`licensing_graphql_requests_total{operation="customers",outcome="ok",type="query"} 1`,
			`licensing_graphql_request_duration_seconds_count{operation="licenseSummary",type="query"} 2`,
			`licensing_activation_emails_total{event="due"} 1`,
			`licensing_activation_emails_total{event="sent"} 1`,
			`licensing_background_runs_total{outcome="ok",task="deprovision"} 1`,
			`licensing_background_items_total{task="deprovision"} 3`,
			`licensing_db_connections_max{pool="primary"}`,
			`licensing_db_connection_waits_total{pool="primary"}`,
			`licensing_db_transaction_retries_total{cause="deadlock"} 0`,
			`licensing_db_transaction_retries_exhausted_total{cause="node_not_ready"} 0`,
			`go_goroutines`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics has no %s", want)
			}
		}
		// The cost of the two summaries: requested is priced before running, actual charged after.
		for _, kind := range []string{"requested", "actual"} {
			m := regexp.MustCompile(`licensing_graphql_cost_points_total\{kind="` + kind + `",operation="licenseSummary"\} (\d+)`).FindStringSubmatch(body)
			if m == nil || m[1] == "0" {
				t.Errorf("no %s cost for licenseSummary: %v", kind, m)
			}
		}
	})
}

func TestReadyz(t *testing.T) {
	s, err := models.Open(context.Background(), models.Config{DatabaseURL: testdb.SQLite(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := startAPI(t, s, false)
	if status, body := a.get(t, "/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz %d %s", status, body)
	}
	a.health.Drain()
	if status, body := a.get(t, "/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "draining") {
		t.Errorf("draining: /readyz %d %s", status, body)
	}
	if resp, _ := a.post(t, a.reseller, summaryQuery); resp.StatusCode != http.StatusOK {
		t.Errorf("a draining server must still serve requests: %d", resp.StatusCode)
	}
	if status, _ := a.get(t, "/healthz"); status != http.StatusOK {
		t.Errorf("draining: /healthz %d, want 200 (the process is alive)", status)
	}
	b := startAPI(t, testenv.Open(t, testdb.SQLite(t)), false)
	_ = s.Close()
	a2 := &api{url: a.url}
	if status, body := a2.get(t, "/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("closed store: /readyz %d %s", status, body)
	}
	if status, _ := b.get(t, "/readyz"); status != http.StatusOK {
		t.Errorf("another server's store is open: /readyz %d", status)
	}
}

// BI queries read DATABASE_READ_URL; everything else reads the primary. The replica here is a
// second, empty database, so an answer from it is told by its zero; a replica URL naming the
// primary itself answers as the primary.
func TestBIQueriesReadTheReplica(t *testing.T) {
	eachTwoDatabases(t, func(t *testing.T, primaryURL, readURL string) {
		ctx := context.Background()
		testenv.Open(t, readURL) // migrated, empty
		s, err := models.Open(ctx, models.Config{DatabaseURL: primaryURL, ReadURL: readURL})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		a := startAPI(t, s, false)
		same, err := models.Open(ctx, models.Config{DatabaseURL: primaryURL, ReadURL: primaryURL})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = same.Close() })
		onPrimary := &api{url: apitest.Serve(t, same, nil, server.Config{})}
		count := func(a *api, query, path string) float64 {
			t.Helper()
			_, out := a.post(t, a.operatorOr(onPrimary), query)
			n, ok := dig(out, "data."+path).(float64)
			if !ok {
				t.Fatalf("%s: %v", query, out)
			}
			return n
		}
		onPrimary.operator = a.operator
		// A write through the server with the replica goes to the primary.
		_, out := a.post(t, a.reseller, `{ accounts(first: 1) { edges { node { id } } } }`)
		account, _ := dig(out, "data.accounts.edges").([]any)
		if len(account) == 0 {
			t.Fatalf("no demo account: %v", out)
		}
		_, out = a.post(t, a.reseller, `mutation { createDirectSubscription(input: {accountId: "`+dig(account[0], "node.id").(string)+
			`", sku: "INTUNE", quantity: 10, endDate: "2027-12-31"}) { subscription { id } userErrors { code message } } }`)
		if dig(out, "data.createDirectSubscription.subscription.id") == nil {
			t.Fatalf("createDirectSubscription: %v", out)
		}
		const summary = `{ licenseSummary(groupBy: [SKU], asOf: "2026-11-23T09:00:00Z") { totalCount } }`
		const customers = `{ customers(first: 5) { totalCount } }`
		if n := count(onPrimary, summary, "licenseSummary.totalCount"); n == 0 {
			t.Fatal("the summary of the demo data on the primary is empty: the test shows nothing")
		}
		if n := count(a, summary, "licenseSummary.totalCount"); n != 0 {
			t.Errorf("licenseSummary read %v groups: not from the empty replica", n)
		}
		if n := count(a, customers, "customers.totalCount"); n == 0 {
			t.Errorf("customers read nothing: not from the primary")
		}
	})
}

func (a *api) operatorOr(b *api) string {
	if a.operator != "" {
		return a.operator
	}
	return b.operator
}

func eachTwoDatabases(t *testing.T, fn func(t *testing.T, primaryURL, readURL string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, testdb.SQLite(t), testdb.SQLite(t)) })
	if dsn := testdb.MySQLDSN(); dsn != "" {
		t.Run("mysql", func(t *testing.T) { fn(t, testdb.MySQL(t, dsn), testdb.MySQL(t, dsn)) })
	}
}

func dig(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// With OTEL_EXPORTER_OTLP_ENDPOINT set, a request's HTTP, GraphQL and SQL spans reach the
// collector in one trace; without it, tracing stays off.
func TestTracesOverOTLP(t *testing.T) {
	if on, _, err := server.StartTracing(context.Background(), func(string) string { return "" }); on || err != nil {
		t.Fatalf("no endpoint: tracing %v, %v", on, err)
	}
	var mu sync.Mutex
	traces := map[string][]string{} // span names by trace id
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(b, &req) != nil {
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					traces[string(sp.TraceId)] = append(traces[string(sp.TraceId)], sp.Name)
				}
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	on, shutdown, err := server.StartTracing(context.Background(), func(k string) string { return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}[k] })
	if !on || err != nil {
		t.Fatalf("tracing %v, %v", on, err)
	}
	s, err := models.Open(context.Background(), models.Config{DatabaseURL: testdb.SQLite(t), TraceSQL: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := startAPI(t, s, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.post(t, a.reseller, summaryQuery, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The trace id of the traceparent sent: the request's spans continue the caller's trace.
	joined := strings.Join(traces[string([]byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36})], ",")
	for _, want := range []string{"POST /graphql", "graphql query licenseSummary", "sql select", "sql row"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no span %q in the request's trace: %s", want, joined)
		}
	}
}
