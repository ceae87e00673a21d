package models

import (
	"context"
	"testing"
	"time"
)

// Events go after their retention with their deliveries and attempts, across resellers; an
// event whose delivery is still pending, or which is not yet sequenced, stays until it is done.
func TestPruneEventsKeepsWhatIsStillOwed(t *testing.T) {
	ctx := context.Background()
	eachTestStore(t, func(t *testing.T, s *Store) {
		c := eventsReseller(t, s, "R")
		other := eventsReseller(t, s, "Other")
		if _, err := s.CreateWebhookEndpoint(ctx, c, nil, WebhookEndpointDraft{URL: "https://a.example/hook", Topics: []Topic{TopicOrderCreated}}, eventsNow); err != nil {
			t.Fatal(err)
		}
		record := func(c Caller, topic Topic) {
			t.Helper()
			if err := s.RecordEvent(ctx, Event{ResellerID: c.ResellerID, Topic: topic}); err != nil {
				t.Fatal(err)
			}
		}
		record(c, TopicOrderCreated)     // delivered: goes
		record(c, TopicOrderCreated)     // its delivery still pending: stays
		record(c, TopicOrderProcessed)   // no endpoint wants it: goes
		record(other, TopicOrderCreated) // another reseller's: goes
		if n, err := s.SequenceEvents(ctx, eventsNow, 10); err != nil || n != 4 {
			t.Fatalf("sequenced %d: %v", n, err)
		}
		record(c, TopicOrderCancelled) // not sequenced (below): stays
		old := allEvents(t, s)
		claimed, err := s.ClaimWebhookDelivery(ctx, eventsNow, time.Minute)
		if err != nil || claimed == nil || claimed.EventID != old[0].ID {
			t.Fatalf("claim: %+v, %v", claimed, err)
		}
		if err := s.FinishWebhookAttempt(ctx, claimed, WebhookAttemptResult{StartedAt: eventsNow, Duration: time.Millisecond, StatusCode: 204, Succeeded: true}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // ids carry their millisecond
		cutoff := time.Now()
		time.Sleep(5 * time.Millisecond)
		record(c, TopicOrderCreated) // recorded after the cutoff: stays
		if n, err := s.SequenceEvents(ctx, eventsNow, 10); err != nil || n != 2 {
			t.Fatalf("sequenced %d: %v", n, err)
		}
		// As if the sequencer had not reached the cancelled order's event yet.
		if err := s.db.Model(&Event{}).Where("id = ?", old[4].ID).Update("seq", nil).Error; err != nil {
			t.Fatal(err)
		}

		if n, err := s.PruneEvents(ctx, cutoff, 2); err != nil || n != 2 {
			t.Fatalf("pruned %d (limit 2): %v", n, err)
		}
		if n, err := s.PruneEvents(ctx, cutoff, 100); err != nil || n != 1 {
			t.Fatalf("pruned %d: %v", n, err)
		}
		left := allEvents(t, s)
		if len(left) != 3 || left[0].ID != old[1].ID || left[1].ID != old[4].ID || left[2].Topic != TopicOrderCreated {
			t.Fatalf("left: %+v", left)
		}
		var attempts, deliveries int64
		s.db.Model(&WebhookAttempt{}).Count(&attempts)
		s.db.Model(&WebhookDelivery{}).Where("event_id = ?", old[0].ID).Count(&deliveries)
		if attempts != 0 || deliveries != 0 {
			t.Fatalf("the pruned event left %d deliveries and %d attempts", deliveries, attempts)
		}

		// Its delivery given up, the pending event goes too.
		if err := s.db.Model(&WebhookDelivery{}).Where("event_id = ?", old[1].ID).Update("status", DeliveryFailed).Error; err != nil {
			t.Fatal(err)
		}
		if n, err := s.PruneEvents(ctx, cutoff, 100); err != nil || n != 1 {
			t.Fatalf("pruned %d after the delivery failed: %v", n, err)
		}
	})
}

// A replay queued while its event was pruned is failed, not retried for ever.
func TestDeliveryOfAPrunedEventFails(t *testing.T) {
	ctx := context.Background()
	eachTestStore(t, func(t *testing.T, s *Store) {
		queuedDelivery(t, s)
		d := delivery(t, s)
		if err := s.db.Where("id = ?", d.EventID).Delete(&Event{}).Error; err != nil {
			t.Fatal(err)
		}
		if claimed, err := s.ClaimWebhookDelivery(ctx, eventsNow, time.Minute); err != nil || claimed != nil {
			t.Fatalf("claimed a delivery of a pruned event: %+v, %v", claimed, err)
		}
		if d := delivery(t, s); d.Status != DeliveryFailed || d.LastError != "the event is past its retention" || d.Attempts != 0 {
			t.Fatalf("delivery: %+v", d)
		}
	})
}
