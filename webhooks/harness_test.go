package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/apitest"
	"github.com/licensing-api/licensing-api/testenv/testdb"
	"github.com/licensing-api/licensing-api/webhooks"
)

// eachDB runs fn on every engine of the run with the URL of a fresh, empty database, so that a
// test can open it twice, as two server instances.
func eachDB(t *testing.T, fn func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, testdb.SQLite(t)) })
	if dsn := testdb.MySQLDSN(); dsn != "" {
		t.Run("mysql", func(t *testing.T) { fn(t, testdb.MySQL(t, dsn)) })
	}
}

// clock is the workers' clock; tests move it.
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// harness is the API over one database, the demo reseller, and the workers' clock and log.
type harness struct {
	t        *testing.T
	url      string
	api      *apitest.API
	store    *models.Store
	reseller models.Caller
	clock    *clock
	logs     *testenv.Buffer
}

func newHarness(t *testing.T, url string) *harness {
	t.Helper()
	s := testenv.Open(t, url)
	api := apitest.Start(t, s, nil)
	c, err := s.Authenticate(context.Background(), api.ResellerKey)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, url: url, api: api, store: s, reseller: c, clock: &clock{at: apitest.Now}, logs: &testenv.Buffer{}}
}

// worker is a delivery worker over store (the harness's, or a second instance's), with a short
// back-off and the client allowed to reach the test's loopback receivers unless o says no.
func (h *harness) worker(store *models.Store, o webhooks.Options) *webhooks.Worker {
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	return &webhooks.Worker{Store: store, Client: webhooks.NewClient(o), Now: h.clock.Now,
		Log: slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Lease: time.Minute,
		BackoffBase: 30 * time.Second, Jitter: func() float64 { return 0.5 }}
}

func (h *harness) runOnce(w *webhooks.Worker) int {
	h.t.Helper()
	n, err := w.RunOnce(context.Background())
	if err != nil {
		h.t.Fatalf("worker: %v", err)
	}
	return n
}

// gql posts a GraphQL request with key and decodes its data into out; errors fail the test.
func (h *harness) gql(key, query string, vars map[string]any, out any) {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, h.api.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || len(res.Errors) > 0 {
		h.t.Fatalf("%s: HTTP %d, errors %v (%v)", strings.Join(strings.Fields(query), " "), resp.StatusCode, res.Errors, err)
	}
	if out != nil {
		if err := json.Unmarshal(res.Data, out); err != nil {
			h.t.Fatal(err)
		}
	}
}

type userErrors []struct{ Code, Message string }

// createEndpoint adds an endpoint through the API and returns its ID and signing secret.
func (h *harness) createEndpoint(url string, topics ...string) (string, string) {
	h.t.Helper()
	var out struct {
		CreateWebhookEndpoint struct {
			Endpoint   struct{ ID, Status string }
			Secret     string
			UserErrors userErrors
		}
	}
	h.gql(h.api.ResellerKey, `mutation($in: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $in) {
		endpoint { id status } secret userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"url": url, "topics": topics, "description": "test receiver"}}, &out)
	p := out.CreateWebhookEndpoint
	if len(p.UserErrors) > 0 || p.Endpoint.Status != "ENABLED" || !strings.HasPrefix(p.Secret, models.WebhookSecretPrefix) {
		h.t.Fatalf("createWebhookEndpoint: %+v", p)
	}
	return p.Endpoint.ID, p.Secret
}

// record writes an event for the demo reseller, in a transaction, as a change would.
func (h *harness) record(topic models.Topic, data any) {
	h.t.Helper()
	err := h.store.InTx(context.Background(), func(tx *models.Store) error {
		return tx.RecordEvent(context.Background(), models.Event{ResellerID: h.reseller.ResellerID, Topic: topic, OccurredAt: h.clock.Now(), Data: data})
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

type attempt struct {
	Attempt       int
	StartedAt     time.Time
	StatusCode    *int
	Error         *string
	Succeeded     bool
	NextAttemptAt *time.Time
	DurationMs    int
	EventID       string
}

type deliveryView struct {
	ID, EventID, Topic, Kind, Status string
	Attempts                         int
	NextAttemptAt                    *time.Time
	LastStatusCode                   *int
	LastError                        *string
}

// deliveries and attempts read what the reseller sees through the API.
func (h *harness) deliveries(filter map[string]any) []deliveryView {
	h.t.Helper()
	var out struct {
		WebhookDeliveries struct{ Edges []struct{ Node deliveryView } }
	}
	h.gql(h.api.ResellerKey, `query($f: WebhookDeliveryFilter) { webhookDeliveries(first: 100, filter: $f) { edges { node {
		id eventId topic kind status attempts nextAttemptAt lastStatusCode lastError } } } }`, map[string]any{"f": filter}, &out)
	var ds []deliveryView
	for _, e := range out.WebhookDeliveries.Edges {
		ds = append(ds, e.Node)
	}
	return ds
}

func (h *harness) attempts(filter map[string]any) []attempt {
	h.t.Helper()
	var out struct {
		WebhookAttempts struct{ Edges []struct{ Node attempt } }
	}
	h.gql(h.api.ResellerKey, `query($f: WebhookAttemptFilter) { webhookAttempts(first: 100, filter: $f) { edges { node {
		attempt startedAt statusCode error succeeded nextAttemptAt durationMs eventId } } } }`, map[string]any{"f": filter}, &out)
	var as []attempt
	for _, e := range out.WebhookAttempts.Edges {
		as = append(as, e.Node)
	}
	return as
}

type endpointView struct {
	ID, Status, URL         string
	Topics                  []string
	DisabledReason          *string
	FailingSince            *time.Time
	LastFailure             *string
	LastSuccessAt           *time.Time
	PreviousSecretExpiresAt *time.Time
}

func (h *harness) endpoint(id string) endpointView {
	h.t.Helper()
	var out struct {
		WebhookEndpoints struct{ Edges []struct{ Node endpointView } }
	}
	h.gql(h.api.ResellerKey, `{ webhookEndpoints(first: 100) { edges { node { id status url topics disabledReason failingSince lastFailure
		lastSuccessAt previousSecretExpiresAt } } } }`, nil, &out)
	for _, e := range out.WebhookEndpoints.Edges {
		if e.Node.ID == id {
			return e.Node
		}
	}
	h.t.Fatalf("no endpoint %s", id)
	return endpointView{}
}

// received is one request a receiver got.
type received struct {
	header  http.Header
	body    []byte
	payload webhooks.Payload
}

// receiver is an httptest server that records what it gets and answers with answer(n, r),
// n counting the requests for the same event id from 1.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	byID   map[string]int
	answer func(n int, r *http.Request) int
}

func newReceiver(t *testing.T, answer func(n int, r *http.Request) int) *receiver {
	rc := &receiver{byID: map[string]int{}, answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p webhooks.Payload
		_ = json.Unmarshal(body, &p)
		rc.mu.Lock()
		rc.got = append(rc.got, received{header: r.Header.Clone(), body: body, payload: p})
		rc.byID[r.Header.Get(webhooks.HeaderEventID)]++
		n := rc.byID[r.Header.Get(webhooks.HeaderEventID)]
		rc.mu.Unlock()
		status := http.StatusOK
		if answer != nil {
			status = answer(n, r)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// processedOrder is an order placed and processed through the API.
type processedOrder struct {
	ID, Number               string
	ProcessedAt, AvailableAt time.Time
}

// placeAndProcess places an order of one line on ENR-1000001 with the reseller's key and
// processes it with the operator's, both without refusal.
func (h *harness) placeAndProcess(t *testing.T, sku string, quantity int, idempotencyKey string) processedOrder {
	t.Helper()
	var placed struct {
		CreateOrder struct {
			Order      struct{ ID, Number string }
			UserErrors userErrors
		}
	}
	h.gql(h.api.ResellerKey, `mutation($sku: String!, $q: Int!, $k: String!) { createOrder(input: {enrollmentNumber: "ENR-1000001",
		lines: [{sku: $sku, quantity: $q}], purchaseDate: "2026-11-23", usageStartDate: "2026-11-23", idempotencyKey: $k}) {
		order { id number } userErrors { code message } } }`, map[string]any{"sku": sku, "q": quantity, "k": idempotencyKey}, &placed)
	var processed struct {
		ProcessOrder struct {
			Order      struct{ ProcessedAt, AvailableAt time.Time }
			UserErrors userErrors
		}
	}
	h.gql(h.api.OperatorKey, `mutation($id: ID!) { processOrder(input: {orderId: $id}) { order { processedAt availableAt } userErrors { code message } } }`,
		map[string]any{"id": placed.CreateOrder.Order.ID}, &processed)
	if len(placed.CreateOrder.UserErrors)+len(processed.ProcessOrder.UserErrors) > 0 {
		t.Fatalf("order: %+v %+v", placed, processed)
	}
	o := processed.ProcessOrder.Order
	return processedOrder{ID: placed.CreateOrder.Order.ID, Number: placed.CreateOrder.Order.Number, ProcessedAt: o.ProcessedAt, AvailableAt: o.AvailableAt}
}
