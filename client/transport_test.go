package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// script answers each attempt with the next of its steps: a status (with a Retry-After) or a
// network error. It records the requests it saw.
type script struct {
	mu    sync.Mutex
	steps []step
	seen  []*http.Request
	body  []string
}

type step struct {
	status     int
	retryAfter string
	err        error
}

func (s *script) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	s.seen, s.body = append(s.seen, r), append(s.body, string(b))
	st := s.steps[0]
	if len(s.steps) > 1 {
		s.steps = s.steps[1:]
	}
	if st.err != nil {
		return nil, st.err
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if st.retryAfter != "" {
		h.Set("Retry-After", st.retryAfter)
	}
	return &http.Response{StatusCode: st.status, Header: h, Body: io.NopCloser(strings.NewReader(`{"data":{}}`)), Request: r}, nil
}

const (
	queryBody    = `{"query":"query OrderByNumber($number: String!) { order(number: $number) { id } }","operationName":"OrderByNumber"}`
	mutationBody = `{"query":"mutation CreateOrder($input: CreateOrderInput!) { createOrder(input: $input) { order { id } } }","operationName":"CreateOrder"}`
)

var errNet = errors.New("connection reset by peer")

// send posts body through a Transport over s and returns the final status (0 on error), the
// error, and the waits the transport asked for.
func send(t *testing.T, ctx context.Context, s *script, body string, policy RetryPolicy) (int, error, []time.Duration) {
	t.Helper()
	var waits []time.Duration
	tr := &Transport{APIKey: "lk_1_secret", Base: s, Policy: policy, sleep: func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://api.test/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return 0, err, waits
	}
	resp.Body.Close()
	return resp.StatusCode, nil, waits
}

type retryCase struct {
	name       string
	body       string
	safe       bool // the context is marked RetrySafe
	steps      []step
	wantStatus int // 0: a network error
	wantCalls  int
}

func TestTransportRetries(t *testing.T) {
	cases := []retryCase{
		{"query_503_then_200", queryBody, false, []step{{status: 503, retryAfter: "2"}, {status: 200}}, 200, 2},
		{"query_network_error_then_200", queryBody, false, []step{{err: errNet}, {status: 200}}, 200, 2},
		{"query_503_every_time_stops_at_max_attempts", queryBody, false, []step{{status: 503}}, 503, 4},
		{"mutation_429_is_retried", mutationBody, false, []step{{status: 429, retryAfter: "1"}, {status: 200}}, 200, 2},
		{"mutation_503_not_retried_unless_retry_safe", mutationBody, false, []step{{status: 503}, {status: 200}}, 503, 1},
		{"mutation_network_error_not_retried_unless_retry_safe", mutationBody, false, []step{{err: errNet}, {status: 200}}, 0, 1},
		{"retry_safe_mutation_503_is_retried", mutationBody, true, []step{{status: 503, retryAfter: "1"}, {status: 200}}, 200, 2},
		{"retry_safe_mutation_network_error_is_retried", mutationBody, true, []step{{err: errNet}, {err: errNet}, {status: 200}}, 200, 3},
		{"retry_after_past_the_limit_ends_retries", queryBody, false, []step{{status: 429, retryAfter: "3600"}, {status: 200}}, 429, 1},
		{"unparsable_body_counts_as_mutation", `not json`, false, []step{{status: 503}, {status: 200}}, 503, 1},
	}
	for _, status := range []int{400, 401, 403, 404, 405, 406, 409, 413, 415, 422} {
		cases = append(cases, retryCase{"retry_safe_mutation_" + http.StatusText(status) + "_not_retried", mutationBody, true, []step{{status: status}, {status: 200}}, status, 1})
	}
	cases = append(cases, retryCase{"query_500_not_retried", queryBody, false, []step{{status: 500}, {status: 200}}, 500, 1})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &script{steps: c.steps}
			ctx := context.Background()
			if c.safe {
				ctx = RetrySafe(ctx)
			}
			status, err, waits := send(t, ctx, s, c.body, RetryPolicy{})
			if status != c.wantStatus || len(s.seen) != c.wantCalls {
				t.Fatalf("status %d (err %v) after %d calls, want %d after %d", status, err, len(s.seen), c.wantStatus, c.wantCalls)
			}
			if len(waits) != c.wantCalls-1 {
				t.Errorf("%d waits for %d calls", len(waits), c.wantCalls)
			}
			for i, r := range s.seen {
				if r.Header.Get("Authorization") != "Bearer lk_1_secret" || s.body[i] != c.body {
					t.Errorf("attempt %d: Authorization %q, body %q", i+1, r.Header.Get("Authorization"), s.body[i])
				}
			}
			if ra := c.steps[0].retryAfter; ra != "" && len(waits) > 0 && ra != "3600" {
				secs := time.Duration(ra[0]-'0') * time.Second
				if waits[0] < secs {
					t.Errorf("waited %v, the server asked for Retry-After %s", waits[0], ra)
				}
			}
		})
	}
}

// TestBackoffIsBoundedAndJittered: each wait lies between half and all of the capped exponential
// delay, and the waits are not all equal.
func TestBackoffIsBoundedAndJittered(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.orDefaults()
	seen := map[time.Duration]bool{}
	for n := 1; n <= 8; n++ {
		full := min(100*time.Millisecond<<(n-1), time.Second)
		for i := 0; i < 50; i++ {
			d := p.backoff(n)
			if d < full/2 || d > full {
				t.Fatalf("retry %d: waited %v, want %v to %v", n, d, full/2, full)
			}
			seen[d] = true
		}
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct waits in 400: no jitter?", len(seen))
	}
	if p := (RetryPolicy{MaxAttempts: 1000}).orDefaults(); p.MaxAttempts != 10 {
		t.Errorf("MaxAttempts is bounded to 10, got %d", p.MaxAttempts)
	}
}

// TestTransportStopsWhenTheContextEnds: a cancelled context ends the wait between attempts.
func TestTransportStopsWhenTheContextEnds(t *testing.T) {
	s := &script{steps: []step{{status: 503, retryAfter: "30"}}}
	tr := &Transport{APIKey: "k", Base: s}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://api.test/graphql", strings.NewReader(queryBody))
	start := time.Now()
	_, err := tr.RoundTrip(req)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second || len(s.seen) != 1 {
		t.Fatalf("err %v after %v and %d calls", err, time.Since(start), len(s.seen))
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"0": 0, "7": 7 * time.Second, "Mon, 23 Nov 2026 09:00:30 GMT": 30 * time.Second,
		"Mon, 23 Nov 2026 08:00:00 GMT": 0, "soon": -1, "": -1, "-3": -1,
	} {
		got, ok := retryAfter(v, now)
		if (want < 0) == ok || (ok && got != want) {
			t.Errorf("Retry-After %q: %v %v, want %v", v, got, ok, want)
		}
	}
}

func TestIsMutation(t *testing.T) {
	for body, want := range map[string]bool{
		queryBody:    false,
		mutationBody: true,
		`{"query":"query A { viewer { role } } mutation B { x }","operationName":"B"}`: true,
		`{"query":"query A { viewer { role } } mutation B { x }","operationName":"A"}`: false,
		`{"query":"{ viewer { role } }"}`:                                              false,
		`{"query":"mutation {"}`:                                                       true,
	} {
		if got := isMutation(http.MethodPost, []byte(body)); got != want {
			t.Errorf("%s: mutation %v, want %v", body, got, want)
		}
	}
	if isMutation(http.MethodGet, nil) {
		t.Error("a GET counted as a mutation")
	}
}
