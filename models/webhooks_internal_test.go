package models

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// queuedDelivery makes one endpoint and one sequenced event: one delivery due at eventsNow.
func queuedDelivery(t *testing.T, s *Store) (Caller, *WebhookEndpoint) {
	t.Helper()
	ctx := context.Background()
	c := eventsReseller(t, s, "R")
	ep, err := s.CreateWebhookEndpoint(ctx, c, nil, WebhookEndpointDraft{URL: "https://a.example/hook", Topics: []Topic{TopicOrderCreated}}, eventsNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordEvent(ctx, Event{ResellerID: c.ResellerID, Topic: TopicOrderCreated}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SequenceEvents(ctx, eventsNow, 10); err != nil || n != 1 {
		t.Fatalf("sequenced %d: %v", n, err)
	}
	return c, ep
}

func delivery(t *testing.T, s *Store) WebhookDelivery {
	t.Helper()
	var ds []WebhookDelivery
	if err := s.db.Find(&ds).Error; err != nil || len(ds) != 1 {
		t.Fatalf("%d deliveries: %v", len(ds), err)
	}
	return ds[0]
}

func TestWebhookDeliveryLease(t *testing.T) {
	ctx := context.Background()
	twoTestStores(t, func(t *testing.T, a, b *Store) {
		queuedDelivery(t, a)
		lease := time.Minute
		first, err := a.ClaimWebhookDelivery(ctx, eventsNow, lease)
		if err != nil || first == nil || first.Attempts != 1 || !strings.HasPrefix(first.Endpoint.Secret, WebhookSecretPrefix) {
			t.Fatalf("first claim: %+v, %v", first, err)
		}
		if again, err := b.ClaimWebhookDelivery(ctx, eventsNow.Add(lease/2), lease); err != nil || again != nil {
			t.Fatalf("claimed under a live lease: %+v, %v", again, err)
		}
		// The first worker died: its lease runs out and the other replica takes the delivery.
		second, err := b.ClaimWebhookDelivery(ctx, eventsNow.Add(lease), lease)
		if err != nil || second == nil || second.Attempts != 2 || *second.ClaimID == *first.ClaimID {
			t.Fatalf("claim after the lease: %+v, %v", second, err)
		}
		// The first worker comes back with a failure: recorded as an attempt, but the delivery
		// is the second worker's now.
		later := eventsNow.Add(time.Hour)
		if err := a.FinishWebhookAttempt(ctx, first, WebhookAttemptResult{StartedAt: eventsNow, Duration: time.Second, StatusCode: 500, NextAttemptAt: &later}); err != nil {
			t.Fatal(err)
		}
		if d := delivery(t, a); d.ClaimID == nil || *d.ClaimID != *second.ClaimID || d.Status != DeliveryPending {
			t.Fatalf("a taken-over claim changed the delivery: %+v", d)
		}
		if err := b.FinishWebhookAttempt(ctx, second, WebhookAttemptResult{StartedAt: eventsNow.Add(lease), Duration: 20 * time.Millisecond, StatusCode: 204, Succeeded: true}); err != nil {
			t.Fatal(err)
		}
		d := delivery(t, a)
		if d.Status != DeliveryDelivered || d.ClaimID != nil || d.LastStatusCode == nil || *d.LastStatusCode != 204 {
			t.Fatalf("delivered: %+v", d)
		}
		var attempts []WebhookAttempt
		if err := a.db.Order("attempt").Find(&attempts).Error; err != nil || len(attempts) != 2 || attempts[0].Succeeded || !attempts[1].Succeeded {
			t.Fatalf("attempts: %+v, %v", attempts, err)
		}
		if next, err := a.ClaimWebhookDelivery(ctx, eventsNow.Add(2*time.Hour), lease); err != nil || next != nil {
			t.Fatalf("a delivered delivery was claimed: %+v, %v", next, err)
		}
	})
}

func TestWebhookEndpointDisabledAfterFailingLong(t *testing.T) {
	ctx := context.Background()
	eachTestStore(t, func(t *testing.T, s *Store) {
		c, ep := queuedDelivery(t, s)
		day := 24 * time.Hour
		at := eventsNow
		for i := 0; ; i++ {
			d, err := s.ClaimWebhookDelivery(ctx, at, time.Minute)
			if err != nil || d == nil {
				t.Fatalf("claim %d at %s: %+v, %v", i, at, d, err)
			}
			next := at.Add(5 * time.Hour)
			if err := s.FinishWebhookAttempt(ctx, d, WebhookAttemptResult{StartedAt: at, StatusCode: 503, Error: "unavailable", NextAttemptAt: &next, DisableAfter: day}); err != nil {
				t.Fatal(err)
			}
			got, err := s.WebhookEndpoint(ctx, c, ep.ID)
			if err != nil {
				t.Fatal(err)
			}
			if at.Sub(eventsNow) < day {
				if got.Status != WebhookEnabled || got.FailingSince == nil || !got.FailingSince.Equal(eventsNow) || got.LastFailure != "HTTP 503: unavailable" {
					t.Fatalf("after %s of failures: %+v", at.Sub(eventsNow), got)
				}
				at = next
				continue
			}
			if got.Status != WebhookDisabled || !strings.Contains(got.DisabledReason, "every delivery failed for 25h0m0s") || !strings.Contains(got.DisabledReason, "HTTP 503") {
				t.Fatalf("after a day of failures: %+v", got)
			}
			if d := delivery(t, s); d.Status != DeliveryFailed || !strings.HasPrefix(d.LastError, "endpoint disabled") {
				t.Fatalf("the pending delivery of a disabled endpoint: %+v", d)
			}
			break
		}
		// Enabling starts afresh; a disabled endpoint takes no replay.
		if _, err := s.SetWebhookEndpointEnabled(ctx, c, ep.ID, false, eventsNow); err != nil {
			t.Fatal(err)
		}
		evs := allEvents(t, s)
		if _, err := s.ReplayWebhookEvent(ctx, c, ep.ID, evs[0].ID, eventsNow); err == nil {
			t.Fatal("replayed to a disabled endpoint")
		}
		got, err := s.SetWebhookEndpointEnabled(ctx, c, ep.ID, true, eventsNow)
		if err != nil || got.Status != WebhookEnabled || got.FailingSince != nil || got.DisabledReason != "" {
			t.Fatalf("enabled: %+v, %v", got, err)
		}
	})
}

func TestWebhookEndpointInputs(t *testing.T) {
	ctx := context.Background()
	eachTestStore(t, func(t *testing.T, s *Store) {
		c := eventsReseller(t, s, "R")
		other := eventsReseller(t, s, "Other")
		for _, bad := range []WebhookEndpointDraft{
			{URL: "ftp://a.example/x", Topics: Topics},
			{URL: "https://user:pw@a.example/x", Topics: Topics},
			{URL: "/relative", Topics: Topics},
			{URL: "https://a.example/" + strings.Repeat("x", MaxWebhookURL), Topics: Topics},
			{URL: "https://a.example/x", Topics: nil},
			{URL: "https://a.example/x", Topics: []Topic{"order.exploded"}},
			{URL: "https://a.example/x", Topics: []Topic{TopicWebhookTest}},
			{URL: "https://a.example/x", Topics: Topics, Description: strings.Repeat("d", MaxWebhookDescription+1)},
		} {
			if _, err := s.CreateWebhookEndpoint(ctx, c, nil, bad, eventsNow); err == nil {
				t.Errorf("created %+v", bad.URL)
			} else if _, ok := err.(licensing.Problems); !ok {
				t.Errorf("%s: not a refusal: %v", bad.URL, err)
			}
		}
		ep, err := s.CreateWebhookEndpoint(ctx, c, nil, WebhookEndpointDraft{URL: " https://a.example/x ", Topics: []Topic{TopicOrderCreated, TopicLicensesAvailable, TopicOrderCreated}}, eventsNow)
		if err != nil || ep.URL != "https://a.example/x" || ep.Topics != "order.created,licenses.available" {
			t.Fatalf("created %+v: %v", ep, err)
		}
		// Another reseller's endpoint is missing for this one.
		if _, err := s.RotateWebhookSecret(ctx, other, ep.ID, time.Hour, eventsNow); err == nil {
			t.Fatal("another reseller rotated the secret")
		}
		for i := 1; i < MaxWebhookEndpoints; i++ {
			if _, err := s.CreateWebhookEndpoint(ctx, c, nil, WebhookEndpointDraft{URL: "https://a.example/x", Topics: Topics}, eventsNow); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreateWebhookEndpoint(ctx, c, nil, WebhookEndpointDraft{URL: "https://a.example/x", Topics: Topics}, eventsNow); err == nil {
			t.Fatalf("created endpoint %d", MaxWebhookEndpoints+1)
		}
	})
}

// A delivery given up after its retry period disables an endpoint that had no success since
// the delivery's first attempt, even when that period is shorter than DisableAfter.
func TestWebhookEndpointDisabledWhenADeliveryIsGivenUp(t *testing.T) {
	ctx := context.Background()
	eachTestStore(t, func(t *testing.T, s *Store) {
		c, ep := queuedDelivery(t, s)
		fail := func(at time.Time, next *time.Time) {
			d, err := s.ClaimWebhookDelivery(ctx, at, time.Minute)
			if err != nil || d == nil {
				t.Fatalf("claim at %s: %+v, %v", at, d, err)
			}
			if err := s.FinishWebhookAttempt(ctx, d, WebhookAttemptResult{StartedAt: at, Error: "connection refused", NextAttemptAt: next, DisableAfter: 24 * time.Hour}); err != nil {
				t.Fatal(err)
			}
		}
		next := eventsNow.Add(time.Hour)
		fail(eventsNow, &next)
		fail(next, nil) // given up after an hour
		got, err := s.WebhookEndpoint(ctx, c, ep.ID)
		if err != nil || got.Status != WebhookDisabled || !strings.Contains(got.DisabledReason, "connection refused") {
			t.Fatalf("endpoint: %+v, %v", got, err)
		}
	})
}
