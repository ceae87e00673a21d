package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/apitest"
)

// fault is what the faults handler does to one attempt.
type fault int

const (
	pass       fault = iota
	refuse503        // answer 503 SERVICE_UNAVAILABLE with Retry-After, running nothing
	refuse429        // answer 429 THROTTLED with Retry-After, running nothing
	lose503          // run the request, then answer 503 instead: its answer is lost
	dropAnswer       // run the request, then close the connection without answering
)

// faults applies a plan of faults, by operation name, to the attempts it sees, and counts them.
type faults struct {
	next http.Handler
	mu   sync.Mutex
	plan map[string][]fault
	seen map[string]int
}

func (f *faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		OperationName string `json:"operationName"`
	}
	_ = json.Unmarshal(body, &req)
	f.mu.Lock()
	n := f.seen[req.OperationName]
	f.seen[req.OperationName]++
	what := pass
	if n < len(f.plan[req.OperationName]) {
		what = f.plan[req.OperationName][n]
	}
	f.mu.Unlock()
	refusal := func(status int, code string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"errors":[{"message":"injected","extensions":{"code":"`+code+`"}}]}`)
	}
	switch what {
	case pass:
		f.next.ServeHTTP(w, r)
	case refuse503:
		refusal(http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	case refuse429:
		refusal(http.StatusTooManyRequests, "THROTTLED")
	case lose503:
		f.next.ServeHTTP(httptest.NewRecorder(), r)
		refusal(http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	case dropAnswer:
		f.next.ServeHTTP(httptest.NewRecorder(), r)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
}

func (f *faults) attempts(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[op]
}

// start serves the API on s behind a faults handler with plan.
func start(t *testing.T, s *models.Store, plan map[string][]fault) (*apitest.API, *faults) {
	f := &faults{plan: plan, seen: map[string]int{}}
	api := apitest.Start(t, s, func(h http.Handler) http.Handler { f.next = h; return f })
	return api, f
}

// newClient is a client of api with key that records the transport's waits instead of sleeping.
func newClient(t *testing.T, api *apitest.API, key string, waits *[]time.Duration) *Client {
	t.Helper()
	cfg := Config{Endpoint: api.URL, APIKey: key}
	if waits != nil {
		cfg.sleep = func(ctx context.Context, d time.Duration) error { *waits = append(*waits, d); return ctx.Err() }
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func demoOrder(key string, lines ...OrderLineInput) CreateOrderInput {
	if len(lines) == 0 {
		lines = []OrderLineInput{{Sku: "O365-E3", Quantity: 25}}
	}
	day := DateOf(apitest.Now)
	return CreateOrderInput{EnrollmentNumber: "ENR-1000001", PurchaseDate: day, UsageStartDate: day, IdempotencyKey: key, Lines: lines}
}

// countOrders asks the API, with a plain request, how many orders the key sees.
func countOrders(t *testing.T, api *apitest.API) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, api.URL, strings.NewReader(`{"query":"{ orders { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+api.OperatorKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data struct{ Orders struct{ TotalCount int } }
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 {
		t.Fatalf("count orders: %d %v", resp.StatusCode, err)
	}
	return r.Data.Orders.TotalCount
}

// TestCreateProcessReadBack: a reseller places an order with its idempotency key, an operator
// processes it, and both read it back, by number and by ID.
func TestCreateProcessReadBack(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		api, _ := start(t, s, nil)
		reseller, operator := newClient(t, api, api.ResellerKey, nil), newClient(t, api, api.OperatorKey, nil)

		placed, err := reseller.CreateOrder(ctx, demoOrder("partner-order-0001"))
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if placed.Status != OrderStatusPlaced || placed.IdempotencyKey != "partner-order-0001" || placed.Enrollment.Number != "ENR-1000001" ||
			len(placed.Lines) != 1 || placed.Lines[0].Sku.Code != "O365-E3" || placed.Lines[0].Quantity != 25 || placed.PurchaseDate != DateOf(apitest.Now) {
			t.Fatalf("placed: %+v", placed)
		}
		processed, err := operator.ProcessOrder(ctx, placed.Id)
		if err != nil {
			t.Fatalf("process: %v", err)
		}
		if processed.Status != OrderStatusProcessed || processed.ProcessedAt == nil || processed.AvailableAt == nil ||
			processed.AvailableAt.Sub(*processed.ProcessedAt) != 12*time.Hour {
			t.Fatalf("processed: %+v", processed)
		}
		for _, read := range []func() (*Order, error){
			func() (*Order, error) { return reseller.OrderByNumber(ctx, placed.Number) },
			func() (*Order, error) { return reseller.OrderByID(ctx, placed.Id) },
		} {
			got, err := read()
			if err != nil || got.Id != placed.Id || got.Status != OrderStatusProcessed || got.ProcessedAt == nil || !got.ProcessedAt.Equal(*processed.ProcessedAt) {
				t.Fatalf("read back: %+v, %v", got, err)
			}
		}
		// Processing again is refused, not applied twice.
		_, err = operator.ProcessOrder(ctx, placed.Id)
		var ue UserErrors
		if !errors.As(err, &ue) || !ue.Has(UserErrorCodeOrderNotPlaced) {
			t.Fatalf("second process: %v", err)
		}
		// A reseller key may not process; the error carries the API's code.
		other, _ := reseller.CreateOrder(ctx, demoOrder("partner-order-0002"))
		if _, err := reseller.ProcessOrder(ctx, other.Id); Code(err) != "FORBIDDEN" {
			t.Fatalf("reseller processing: code %q, err %v", Code(err), err)
		}
		if _, err := reseller.OrderByNumber(ctx, "ORD-NONE"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing order: %v", err)
		}
		if n := countOrders(t, api); n != 2 {
			t.Fatalf("%d orders, want 2", n)
		}
	})
}

// TestRetryCreatesExactlyOneOrder: whatever fails the first attempt of createOrder (a 503 or a
// 429 before it runs, a 503 or a dropped connection after it ran), the client retries with the
// same idempotency key and exactly one order exists.
func TestRetryCreatesExactlyOneOrder(t *testing.T) {
	cases := []struct {
		name          string
		first         fault
		wantRetryWait bool // the server's Retry-After: 2 is honoured
	}{
		{"503_before_running", refuse503, true},
		{"429_before_running", refuse429, true},
		{"503_after_running", lose503, true},
		{"connection_dropped_after_running", dropAnswer, false},
	}
	for _, e := range testenv.Engines() {
		for _, c := range cases {
			t.Run(e.Name+"/"+c.name, func(t *testing.T) {
				api, f := start(t, e.New(t), map[string][]fault{"CreateOrder": {c.first}})
				var waits []time.Duration
				cl := newClient(t, api, api.ResellerKey, &waits)
				o, err := cl.CreateOrder(context.Background(), demoOrder(""))
				if err != nil {
					t.Fatalf("create: %v", err)
				}
				if !strings.HasPrefix(o.IdempotencyKey, "order-") || f.attempts("CreateOrder") != 2 || len(waits) != 1 {
					t.Fatalf("key %q, %d attempts, waits %v", o.IdempotencyKey, f.attempts("CreateOrder"), waits)
				}
				if c.wantRetryWait && waits[0] < 2*time.Second {
					t.Errorf("waited %v, the server asked for 2s", waits[0])
				}
				if n := countOrders(t, api); n != 1 {
					t.Fatalf("%d orders after a retried createOrder, want 1", n)
				}
			})
		}
	}
}

// TestProcessOrderRetriedAfterItRan: when processing ran but its answer was lost, the retry is
// refused with ORDER_NOT_PLACED, and the client reports the order PROCESSED, as it is.
func TestProcessOrderRetriedAfterItRan(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		api, f := start(t, s, map[string][]fault{"ProcessOrder": {dropAnswer}})
		ctx := context.Background()
		placed, err := newClient(t, api, api.ResellerKey, nil).CreateOrder(ctx, demoOrder("po-77"))
		if err != nil {
			t.Fatal(err)
		}
		var waits []time.Duration
		o, err := newClient(t, api, api.OperatorKey, &waits).ProcessOrder(ctx, placed.Id)
		if err != nil || o.Status != OrderStatusProcessed || f.attempts("ProcessOrder") != 2 {
			t.Fatalf("process: %+v, %v after %d attempts", o, err, f.attempts("ProcessOrder"))
		}
	})
}

// TestRetryAfterIsWaitedOut: with the real clock, a throttled query is sent again only after the
// server's Retry-After (2 s).
func TestRetryAfterIsWaitedOut(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		api, f := start(t, s, map[string][]fault{"EnrollmentActivation": {refuse429}})
		start := time.Now()
		st, err := newClient(t, api, api.ResellerKey, nil).ActivationStatus(context.Background(), "ENR-1000001", nil)
		if err != nil || st.State != ActivationStateNoOrder {
			t.Fatalf("activation status: %+v, %v", st, err)
		}
		if took := time.Since(start); took < 2*time.Second || f.attempts("EnrollmentActivation") != 2 {
			t.Fatalf("answered after %v and %d attempts; Retry-After was 2s", took, f.attempts("EnrollmentActivation"))
		}
	})
}

// TestPollActivationAndSummaryPages: polling sees the enrollment leave NO_ORDER once an order is
// processed; the license summary read a row per page equals the one-page answer.
func TestPollActivationAndSummaryPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		api, f := start(t, s, nil)
		reseller, operator := newClient(t, api, api.ResellerKey, nil), newClient(t, api, api.OperatorKey, nil)
		polled := make(chan *ActivationStatus, 1)
		go func() {
			st, err := reseller.PollActivation(ctx, "ENR-1000001", MinPollInterval, func(s *ActivationStatus) bool { return s.State != ActivationStateNoOrder })
			if err != nil {
				t.Errorf("poll: %v", err)
			}
			polled <- st
		}()
		for f.attempts("EnrollmentActivation") == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		placed, err := reseller.CreateOrder(ctx, demoOrder("po-summary", OrderLineInput{Sku: "O365-E3", Quantity: 10},
			OrderLineInput{Sku: "M365-E5", Quantity: 20}, OrderLineInput{Sku: "INTUNE", Quantity: 30}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := operator.ProcessOrder(ctx, placed.Id); err != nil {
			t.Fatal(err)
		}
		st := <-polled
		if st == nil || st.State == ActivationStateNoOrder || len(st.Reasons) == 0 || f.attempts("EnrollmentActivation") < 2 {
			t.Fatalf("polled %+v after %d reads", st, f.attempts("EnrollmentActivation"))
		}

		var paged, whole []LicenseSummaryRow
		asOf := apitest.Now.Add(24 * time.Hour) // past the 12 pending hours (R-ORD-5)
		collect := func(into *[]LicenseSummaryRow) func(LicenseSummaryRow) error {
			return func(r LicenseSummaryRow) error { *into = append(*into, r); return nil }
		}
		total, err := reseller.LicenseSummary(ctx, []SummaryDimension{SummaryDimensionSku}, nil, &asOf, 1, collect(&paged))
		if err != nil || total != 3 || len(paged) != 3 || f.attempts("LicenseSummary") != 3 {
			t.Fatalf("paged summary: total %d, %d rows, %d requests, %v", total, len(paged), f.attempts("LicenseSummary"), err)
		}
		if _, err := reseller.LicenseSummary(ctx, []SummaryDimension{SummaryDimensionSku}, nil, &asOf, 100, collect(&whole)); err != nil {
			t.Fatal(err)
		}
		licensed := map[string]int{}
		for i := range paged {
			if paged[i].Sku == nil || whole[i].Sku == nil || paged[i].Sku.Code != whole[i].Sku.Code || paged[i].Licensed != whole[i].Licensed {
				t.Fatalf("row %d: paged %+v, whole %+v", i, paged[i], whole[i])
			}
			licensed[paged[i].Sku.Code] = paged[i].Licensed
		}
		if licensed["O365-E3"] != 10 || licensed["M365-E5"] != 20 || licensed["INTUNE"] != 30 {
			t.Fatalf("licensed by SKU: %v", licensed)
		}
		soon := apitest.Now.Add(time.Hour) // within the 12 pending hours: bought, not yet licensed (R-ORD-5)
		var early []LicenseSummaryRow
		if _, err := reseller.LicenseSummary(ctx, []SummaryDimension{SummaryDimensionSku}, nil, &soon, 100, collect(&early)); err != nil {
			t.Fatal(err)
		}
		pending := map[string][2]int{}
		for _, r := range early {
			pending[r.Sku.Code] = [2]int{r.Licensed, r.Pending}
		}
		if pending["O365-E3"] != [2]int{0, 10} || pending["M365-E5"] != [2]int{0, 20} || pending["INTUNE"] != [2]int{0, 30} {
			t.Fatalf("an hour after processing, [licensed pending] by SKU: %v", pending)
		}
		if _, err := reseller.LicenseSummary(ctx, nil, nil, nil, 101, collect(&whole)); err == nil {
			t.Fatal("a page of 101 rows was asked for")
		}
	})
}

// TestOrderNotConfirmedThenRetried: when every attempt loses its answer, CreateOrder says the
// order is not confirmed and gives the key; calling again with it returns the one order placed.
func TestOrderNotConfirmedThenRetried(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		api, f := start(t, s, map[string][]fault{"CreateOrder": {dropAnswer, lose503}})
		c, err := New(Config{Endpoint: api.URL, APIKey: api.ResellerKey, Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		in := demoOrder("")
		_, err = c.CreateOrder(ctx, in)
		var nc *OrderNotConfirmedError
		if !errors.As(err, &nc) || nc.IdempotencyKey == "" || f.attempts("CreateOrder") != 2 {
			t.Fatalf("err %v after %d attempts", err, f.attempts("CreateOrder"))
		}
		in.IdempotencyKey = nc.IdempotencyKey
		o, err := c.CreateOrder(ctx, in)
		if err != nil || o.IdempotencyKey != nc.IdempotencyKey {
			t.Fatalf("again with the key: %+v, %v", o, err)
		}
		if n := countOrders(t, api); n != 1 {
			t.Fatalf("%d orders, want 1", n)
		}
	})
}
