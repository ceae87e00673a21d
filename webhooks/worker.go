// Package webhooks delivers events to resellers' endpoints (issue 13): a Worker sequences new
// events (so that the events connection and the deliveries see them), claims each due delivery
// with a lease, posts it signed, and records the attempt; a Scheduler records the time-driven
// events when they fall due. Delivery is at least once: a receiver de-duplicates on the event
// id. Nothing here logs a URL, a signing secret or a signature: log lines name the endpoint,
// the event and the topic.
package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/periodic"
)

// Payload is the JSON body of a delivery.
type Payload struct {
	ID         string          `json:"id"`    // the event's ID, also in Licensing-Event-Id
	Topic      string          `json:"topic"` // for example order.created
	OccurredAt time.Time       `json:"occurredAt"`
	Data       json.RawMessage `json:"data"` // the topic's data (see models.Topic)
}

// Defaults of a Worker's zero fields.
const (
	DefaultLease        = 2 * time.Minute
	DefaultConcurrency  = 4
	DefaultBatch        = 200
	DefaultBackoffBase  = 30 * time.Second
	DefaultBackoffMax   = 3 * time.Hour
	DefaultRetryFor     = 24 * time.Hour
	DefaultDisableAfter = 24 * time.Hour
	sequenceBatch       = 500
)

// UserAgent is sent with every delivery.
const UserAgent = "licensing-api-webhooks/1"

// Worker sequences events and delivers them. Every replica may run one: deliveries are claimed
// with a lease, so each attempt is sent by one worker.
type Worker struct {
	Store  *models.Store
	Client *http.Client // NewClient; its Timeout is an attempt's
	Now    func() time.Time
	Log    *slog.Logger
	// Lease keeps other workers off a claimed delivery; it must be longer than an attempt (the
	// client's timeout). Default 2m.
	Lease time.Duration
	// Concurrency is how many deliveries one worker sends at once. Default 4.
	Concurrency int
	// Batch is the most attempts one RunOnce makes. Default 200.
	Batch int
	// BackoffBase and BackoffMax shape the delay after a failed attempt: base*2^(n-1), at most
	// max, of which a random half is taken off (jitter), so failures do not retry in step.
	BackoffBase, BackoffMax time.Duration
	// RetryFor: a delivery is retried until this long after it was queued (its last attempt
	// at that instant), then given up (FAILED). Default 24h.
	RetryFor time.Duration
	// DisableAfter: an endpoint whose attempts have all failed this long is disabled, with the
	// reason shown to the reseller; so is one that had no success during the whole retry period
	// of a delivery given up. Default 24h.
	DisableAfter time.Duration
	// Jitter returns a number in [0, 1); nil means math/rand/v2.
	Jitter func() float64
	// Counted, when set, hears of every recorded attempt ("delivered", "retry" or "gave_up", and
	// how long it took) and of every event sequenced ("sequenced"), for the metrics.
	Counted func(outcome string, took time.Duration)
}

// RunOnce sequences the events committed since the last run, then makes every attempt due now,
// up to Batch; it returns how many deliveries succeeded.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	for range 20 {
		n, err := w.Store.SequenceEvents(ctx, w.Now().UTC(), sequenceBatch)
		if err != nil {
			return 0, err
		}
		for range n {
			w.count("sequenced", 0)
		}
		if n < sequenceBatch {
			break
		}
	}
	var (
		mu                sync.Mutex
		claimed, ok       int
		firstErr          error
		wg                sync.WaitGroup
		concurrency, size = orInt(w.Concurrency, DefaultConcurrency), orInt(w.Batch, DefaultBatch)
	)
	next := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if claimed >= size || firstErr != nil || ctx.Err() != nil {
			return false
		}
		claimed++
		return true
	}
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next() {
				d, err := w.Store.ClaimWebhookDelivery(ctx, w.Now().UTC(), orDuration(w.Lease, DefaultLease))
				if d == nil || err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					claimed = size // nothing more is due (or the store failed): stop claiming
					mu.Unlock()
					return
				}
				delivered, err := w.deliver(ctx, d)
				mu.Lock()
				if delivered {
					ok++
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return ok, firstErr
}

// deliver makes one attempt of a claimed delivery and records it; true when it succeeded.
func (w *Worker) deliver(ctx context.Context, d *models.ClaimedDelivery) (bool, error) {
	attrs := []any{"endpoint", d.EndpointID, "event", d.EventID, "topic", string(d.Topic), "kind", string(d.Kind), "attempt", d.Attempts}
	sentAt := w.Now().UTC()
	body, err := json.Marshal(Payload{ID: models.GlobalID("Event", d.Event.ID), Topic: string(d.Event.Topic),
		OccurredAt: d.Event.OccurredAt.UTC(), Data: json.RawMessage(d.Event.Payload)})
	if err != nil {
		return false, err
	}
	started := time.Now()
	status, why := w.post(ctx, d, body, sentAt)
	r := models.WebhookAttemptResult{StartedAt: sentAt, Duration: time.Since(started), StatusCode: status, Error: why,
		Succeeded: why == "" && status >= 200 && status < 300, DisableAfter: orDuration(w.DisableAfter, DefaultDisableAfter)}
	if deadline := d.CreatedAt.Add(orDuration(w.RetryFor, DefaultRetryFor)); !r.Succeeded && d.Kind != models.DeliveryTest && sentAt.Before(deadline) {
		// A test delivery is tried once; others until RetryFor after they were queued, the
		// last attempt at that instant.
		next := sentAt.Add(w.backoff(d.Attempts))
		if next.After(deadline) {
			next = deadline
		}
		r.NextAttemptAt = &next
	}
	attrs = append(attrs, "status", status, "duration_ms", r.Duration.Milliseconds())
	// The outcome is recorded even when ctx ended (shutdown): a lost record only delays the
	// next attempt until the lease runs out.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := w.Store.FinishWebhookAttempt(rec, d, r); err != nil {
		w.Log.ErrorContext(ctx, "webhook attempt not recorded; the delivery is tried again when its lease runs out", append(attrs, "err", err)...)
		return r.Succeeded, err
	}
	switch {
	case r.Succeeded:
		w.count("delivered", r.Duration)
		w.Log.InfoContext(ctx, "webhook delivered", attrs...)
	case r.NextAttemptAt != nil:
		w.count("retry", r.Duration)
		w.Log.WarnContext(ctx, "webhook not delivered; will retry", append(attrs, "next_attempt", *r.NextAttemptAt, "err", why)...)
	default:
		w.count("gave_up", r.Duration)
		w.Log.WarnContext(ctx, "webhook not delivered; gave up", append(attrs, "err", why)...)
	}
	return r.Succeeded, nil
}

func (w *Worker) count(outcome string, took time.Duration) {
	if w.Counted != nil {
		w.Counted(outcome, took)
	}
}

// post sends one attempt; it returns the answer's status (0 for none) and why it failed ("" for
// an answer, whatever its status).
func (w *Worker) post(ctx context.Context, d *models.ClaimedDelivery, body []byte, sentAt time.Time) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Endpoint.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "the endpoint's URL cannot be requested"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderEventID, models.GlobalID("Event", d.Event.ID))
	req.Header.Set(HeaderEventTopic, string(d.Event.Topic))
	req.Header.Set(HeaderAttempt, strconv.Itoa(d.Attempts))
	req.Header.Set(HeaderSignature, Sign(d.Endpoint.SigningSecrets(sentAt), sentAt, body))
	resp, err := w.Client.Do(req)
	if err != nil {
		return 0, describe(err, w.Client.Timeout)
	}
	defer resp.Body.Close()
	// Only the status counts; reading a little lets the connection be reused, and the cap
	// keeps an endless answer from holding the worker.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBytes))
	return resp.StatusCode, ""
}

// backoff is the delay after the attempt-th failed attempt.
func (w *Worker) backoff(attempt int) time.Duration {
	return periodic.Backoff(attempt, orDuration(w.BackoffBase, DefaultBackoffBase), orDuration(w.BackoffMax, DefaultBackoffMax), w.Jitter)
}

// Run calls RunOnce every interval until ctx ends.
func (w *Worker) Run(ctx context.Context, interval time.Duration) {
	periodic.Every(ctx, interval, func(ctx context.Context) {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Log.ErrorContext(ctx, "delivering webhooks", "err", err)
		}
	})
}

// Scheduler records the time-driven events when they fall due (models.RecordDueEvents).
// Every replica may run one: each event is recorded once.
type Scheduler struct {
	Store *models.Store
	Now   func() time.Time
	Log   *slog.Logger
	// Ran, when set, hears of every run: the events it recorded, or its error (for the metrics).
	Ran func(recorded int, err error)
}

// Run records the due events every interval until ctx ends.
func (s *Scheduler) Run(ctx context.Context, interval time.Duration) {
	periodic.Every(ctx, interval, func(ctx context.Context) {
		n, err := s.Store.RecordDueEvents(ctx, s.Now())
		if s.Ran != nil && ctx.Err() == nil {
			s.Ran(n, err)
		}
		if err != nil && ctx.Err() == nil {
			s.Log.ErrorContext(ctx, "recording time-driven events", "err", err)
		} else if n > 0 {
			s.Log.InfoContext(ctx, "recorded time-driven events", "count", n)
		}
	})
}

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func orDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
