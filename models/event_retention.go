package models

import (
	"context"
	"fmt"
	"time"
)

// DefaultEventRetention is how long events, their webhook deliveries and attempts are kept
// (EVENT_RETENTION): Stripe keeps events for 30 days too, long enough for a partner's
// integration to catch up after an outage of any length it will really have.
const DefaultEventRetention = 30 * 24 * time.Hour

// MinEventRetention keeps pruning far from the scheduler's look-back and from the retries of a
// delivery (which disable a failing endpoint after days, not weeks).
const MinEventRetention = 7 * 24 * time.Hour

// firstIDAt is the lowest id newID gives at t: ids begin with their milliseconds, so "created
// before t" is "id below firstIDAt(t)", read on the primary key.
func firstIDAt(t time.Time) int64 { return (t.UnixMilli() - idBase) << 22 }

// PruneEvents deletes up to limit events recorded before before, with their webhook deliveries
// and attempts, oldest first, in one transaction, and returns how many events it deleted. It
// runs across resellers, as the platform. An event still waiting to be sequenced, or with a
// delivery still PENDING, is kept: it goes once its deliveries are done.
func (s *Store) PruneEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int
	err := s.InTx(ctx, func(tx *Store) error {
		var events []Event
		err := tx.ctx(ctx).Select("id", "reseller_id").
			Where("id < ? AND seq IS NOT NULL", firstIDAt(before)).
			Where("NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.reseller_id = events.reseller_id AND d.event_id = events.id AND d.status = ?)", DeliveryPending).
			Order("id").Limit(limit).Clauses(lockForUpdate).Find(&events).Error
		if err != nil || len(events) == 0 {
			return err
		}
		byReseller := map[int64][]int64{}
		for _, e := range events {
			byReseller[e.ResellerID] = append(byReseller[e.ResellerID], e.ID)
		}
		for reseller, ids := range byReseller {
			// The deliveries' and attempts' indexes begin with reseller_id.
			for _, m := range []any{&WebhookAttempt{}, &WebhookDelivery{}, &Event{}} {
				col := "event_id"
				if _, isEvent := m.(*Event); isEvent {
					col = "id"
				}
				if err := tx.ctx(ctx).Where("reseller_id = ? AND "+col+" IN ?", reseller, ids).Delete(m).Error; err != nil {
					return err
				}
			}
		}
		n = len(events)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	return n, nil
}
