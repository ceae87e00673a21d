package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// RetryPolicy bounds the transport's retries. Zero fields take the defaults.
type RetryPolicy struct {
	// MaxAttempts is the most attempts of one request, the first included: 1 to 10, default 4.
	MaxAttempts int
	// BaseDelay is the backoff before the first retry; it doubles on each retry. Default 250ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff. Default 8s.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After the transport waits out; a server asking for more
	// ends the retries and its answer is returned. Default 60s.
	MaxRetryAfter time.Duration
	// AttemptTimeout bounds one attempt, reading the answer included; one that runs out counts
	// as a network failure. Default 60s. The request's context bounds all attempts together.
	AttemptTimeout time.Duration
}

func (p RetryPolicy) orDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	p.MaxAttempts = min(p.MaxAttempts, 10)
	if p.BaseDelay <= 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 8 * time.Second
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 60 * time.Second
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = 60 * time.Second
	}
	return p
}

// backoff is the wait before retry number n (1 for the first retry): exponential, capped, with
// "equal jitter" (half fixed, half random) so that clients throttled together spread out.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay << min(n-1, 20)
	if d <= 0 || d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// Transport is an http.RoundTripper for the licensing API. It sends the API key as a bearer
// token and retries a request, up to Policy.MaxAttempts in all, when:
//
//   - the server answers 429 (THROTTLED: refused before anything ran), for any request;
//   - the network fails or the server answers 503 (SERVICE_UNAVAILABLE), for a query, or for a
//     mutation whose context is marked with RetrySafe (the server may have run it, so only a
//     mutation that cannot apply twice, such as createOrder with its idempotency key, is retried).
//
// It never retries any other status: a 4xx other than 429 is an answer, not a hiccup. It waits
// the longer of its backoff and the server's Retry-After, and stops waiting when the request's
// context ends.
type Transport struct {
	// APIKey is sent as "Authorization: Bearer <APIKey>". It is never logged or put in an error.
	APIKey string
	// Base sends each attempt; nil means http.DefaultTransport.
	Base   http.RoundTripper
	Policy RetryPolicy

	sleep func(ctx context.Context, d time.Duration) error // tests record the waits
}

type retrySafeKey struct{}

// RetrySafe marks ctx's requests as safe to repeat even when the server may have run them: use
// it for mutations that cannot apply twice (an idempotency key, a state check).
func RetrySafe(ctx context.Context) context.Context {
	return context.WithValue(ctx, retrySafeKey{}, true)
}

type attemptsKey struct{}

// withAttempts makes the transport count the attempts of ctx's requests into n.
func withAttempts(ctx context.Context, n *atomic.Int32) context.Context {
	return context.WithValue(ctx, attemptsKey{}, n)
}

func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	policy := t.Policy.orDefaults()
	repeatable := !isMutation(req.Method, body) || ctx.Value(retrySafeKey{}) != nil
	counter, _ := ctx.Value(attemptsKey{}).(*atomic.Int32)
	for attempt := 1; ; attempt++ {
		if counter != nil {
			counter.Add(1)
		}
		actx, cancel := context.WithTimeout(ctx, policy.AttemptTimeout)
		resp, err := t.base().RoundTrip(t.attempt(req.WithContext(actx), body))
		wait, retry := policy.decide(attempt, resp, err, repeatable)
		if retry && ctx.Err() == nil {
			if resp != nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
				resp.Body.Close()
			}
			cancel()
			if serr := t.wait(ctx, wait); serr != nil {
				return nil, serr
			}
			continue
		}
		if err != nil {
			cancel()
			if attempt > 1 {
				err = fmt.Errorf("after %d attempts: %w", attempt, err)
			}
			return nil, err
		}
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel} // the attempt lasts until the answer is read
		return resp, nil
	}
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// decide tells whether attempt number attempt, which got resp or err, is retried, and after how long.
func (p RetryPolicy) decide(attempt int, resp *http.Response, err error, repeatable bool) (time.Duration, bool) {
	if attempt >= p.MaxAttempts {
		return 0, false
	}
	wait := p.backoff(attempt)
	switch {
	case err != nil: // the caller's context is checked by RoundTrip; an attempt's timeout is a failure like any
		return wait, repeatable
	case resp.StatusCode == http.StatusTooManyRequests:
	case resp.StatusCode == http.StatusServiceUnavailable && repeatable:
	default:
		return 0, false
	}
	after, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now())
	if ok && after > p.MaxRetryAfter {
		return 0, false
	}
	return max(wait, after), true
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date (RFC 9110 section 10.2.3).
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func (t *Transport) wait(ctx context.Context, d time.Duration) error {
	if t.sleep != nil {
		return t.sleep(ctx, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// attempt is a copy of req with its own body and the key; RoundTrip must not change req.
func (t *Transport) attempt(req *http.Request, body []byte) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+t.APIKey)
	if r.Header.Get("Accept") == "" {
		r.Header.Set("Accept", "application/graphql-response+json, application/json;q=0.9")
	}
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	return r
}

// readBody reads and closes the request body once, so each attempt can send it again.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	return io.ReadAll(req.Body)
}

// isMutation tells whether a GraphQL request runs a mutation. A GET never does (the server
// refuses mutations over GET); a body that cannot be read as a GraphQL request counts as one,
// so that doubt never leads to a repeat.
func isMutation(method string, body []byte) bool {
	if method == http.MethodGet {
		return false
	}
	var r struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return true
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: r.Query})
	if err != nil {
		return true
	}
	for _, op := range doc.Operations {
		if r.OperationName == "" || op.Name == r.OperationName {
			return op.Operation != ast.Query
		}
	}
	return true
}
