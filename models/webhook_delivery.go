package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ClaimedDelivery is a delivery claimed for one attempt, with its event and endpoint (whose
// secrets sign it).
type ClaimedDelivery struct {
	WebhookDelivery
	Event    Event
	Endpoint WebhookEndpoint
}

// deliveryDue is the condition of a delivery a worker may claim at an instant: pending, its
// back-off over, and no live lease on it.
const deliveryDue = "status = ? AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)"

// ClaimWebhookDelivery claims one delivery due at now (across resellers) with a lease until
// now+lease, or returns nil when none is due. The claim is one guarded UPDATE: a delivery that
// another worker holds under a live lease does not match, on any replica or cluster node, so
// one attempt is never sent twice while its lease lives; a lease that ran out (its worker died
// between claiming and sending) is claimed again. A delivery whose endpoint was disabled or
// deleted meanwhile is failed here, not sent. After the attempt, call FinishWebhookAttempt.
func (s *Store) ClaimWebhookDelivery(ctx context.Context, now time.Time, lease time.Duration) (*ClaimedDelivery, error) {
	if lease <= 0 {
		return nil, errors.New("claim webhook delivery: the lease must be positive")
	}
	now = now.UTC() // SQLite compares instants as text: one zone for all
	var ids []int64
	if err := s.ctx(ctx).Model(&WebhookDelivery{}).Where(deliveryDue, DeliveryPending, now, now).Order("next_attempt_at, id").Limit(20).Pluck("id", &ids).Error; err != nil {
		return nil, err
	}
	for _, id := range ids {
		claimID := newID()
		var won bool
		// In InTx so that a Galera certification conflict with another node's claim is run
		// again, and then finds the row taken.
		err := s.InTx(ctx, func(tx *Store) error {
			res := tx.ctx(ctx).Model(&WebhookDelivery{}).Where("id = ?", id).Where(deliveryDue, DeliveryPending, now, now).
				Updates(map[string]any{"claimed_until": now.Add(lease), "claim_id": claimID, "attempts": gorm.Expr("attempts + 1")})
			won = res.RowsAffected == 1
			return res.Error
		})
		if err != nil {
			return nil, err
		}
		if !won {
			continue
		}
		d, err := s.loadClaim(ctx, id)
		if err != nil || d != nil {
			return d, err
		}
	}
	return nil, nil
}

// loadClaim loads a claimed delivery's event and endpoint; nil when the endpoint cannot take it
// any more (the delivery is failed).
func (s *Store) loadClaim(ctx context.Context, id int64) (*ClaimedDelivery, error) {
	var d ClaimedDelivery
	if err := s.ctx(ctx).Where("id = ?", id).Take(&d.WebhookDelivery).Error; err != nil {
		return nil, err
	}
	e, err := s.eventOf(ctx, d.EventID)
	if errors.Is(err, ErrNotFound) {
		// A replay queued as its event was pruned (PruneEvents keeps those with pending deliveries).
		return nil, s.unsendable(ctx, &d, "the event is past its retention")
	} else if err != nil {
		return nil, fmt.Errorf("webhook delivery %d: event %d: %w", d.ID, d.EventID, err)
	}
	d.Event = *e
	err = s.ctx(ctx).Where("reseller_id = ? AND id = ?", d.ResellerID, d.EndpointID).Take(&d.Endpoint).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	if err == nil && d.Endpoint.Status == WebhookEnabled {
		return &d, nil
	}
	// Deleted or disabled between queueing and claiming: nothing is sent.
	return nil, s.unsendable(ctx, &d, "endpoint disabled or deleted")
}

// unsendable fails a claimed delivery that cannot be sent, without counting an attempt.
func (s *Store) unsendable(ctx context.Context, d *ClaimedDelivery, why string) error {
	return s.ctx(ctx).Model(&WebhookDelivery{}).Where("id = ? AND claim_id = ?", d.ID, *d.ClaimID).
		Updates(map[string]any{"status": DeliveryFailed, "next_attempt_at": nil, "claimed_until": nil, "claim_id": nil,
			"attempts": gorm.Expr("attempts - 1"), "last_error": why}).Error
}

// WebhookAttemptResult is what one attempt of a claimed delivery came to.
type WebhookAttemptResult struct {
	StartedAt  time.Time
	Duration   time.Duration
	StatusCode int    // 0 when no response came
	Error      string // why it failed; no URL, secret or signature
	Succeeded  bool   // a 2xx answer
	// NextAttemptAt is when a failed delivery is tried again; nil gives it up (FAILED).
	NextAttemptAt *time.Time
	// DisableAfter: an endpoint whose attempts have all failed for this long is disabled, with
	// the reason kept for the reseller to see; so is one with no success since the first attempt
	// of a delivery given up. Zero never disables.
	DisableAfter time.Duration
}

// FinishWebhookAttempt records an attempt of a claimed delivery and its outcome, in one
// transaction: the attempt row, the delivery (DELIVERED, or back to PENDING at NextAttemptAt,
// or FAILED) and the endpoint's health. A success is a fact whoever holds the lease now, so it
// is recorded unless the delivery is already DELIVERED; a failure changes the delivery only
// under the claim's own lease (a worker whose lease ran out and was taken over changes nothing
// but the attempt's record).
func (s *Store) FinishWebhookAttempt(ctx context.Context, d *ClaimedDelivery, r WebhookAttemptResult) error {
	if d.ClaimID == nil {
		return errors.New("finish webhook attempt: the delivery is not claimed")
	}
	started := r.StartedAt.UTC().Truncate(time.Microsecond)
	end := started.Add(r.Duration)
	a := WebhookAttempt{ID: newID(), ResellerID: d.ResellerID, DeliveryID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID, Attempt: d.Attempts,
		StartedAt: started, DurationMS: int(r.Duration.Milliseconds()), Error: cut(r.Error, MaxWebhookError), Succeeded: r.Succeeded}
	if r.StatusCode != 0 {
		a.StatusCode = &r.StatusCode
	}
	if !r.Succeeded && r.NextAttemptAt != nil {
		next := r.NextAttemptAt.UTC().Truncate(time.Microsecond)
		a.NextAttemptAt = &next
	}
	return s.InTx(ctx, func(tx *Store) error {
		if err := tx.ctx(ctx).Create(&a).Error; err != nil {
			return err
		}
		if r.Succeeded {
			err := tx.ctx(ctx).Model(&WebhookDelivery{}).Where("id = ? AND status <> ?", d.ID, DeliveryDelivered).Updates(map[string]any{
				"status": DeliveryDelivered, "delivered_at": end, "next_attempt_at": nil, "claimed_until": nil, "claim_id": nil,
				"last_status_code": a.StatusCode, "last_error": ""}).Error
			if err != nil {
				return err
			}
			return tx.ctx(ctx).Model(&WebhookEndpoint{}).Where("id = ?", d.EndpointID).
				Updates(map[string]any{"failing_since": nil, "last_success_at": end}).Error
		}
		status := DeliveryPending
		if a.NextAttemptAt == nil {
			status = DeliveryFailed
		}
		err := tx.ctx(ctx).Model(&WebhookDelivery{}).Where("id = ? AND claim_id = ? AND status = ?", d.ID, *d.ClaimID, DeliveryPending).Updates(map[string]any{
			"status": status, "next_attempt_at": a.NextAttemptAt, "claimed_until": nil, "claim_id": nil,
			"last_status_code": a.StatusCode, "last_error": a.Error}).Error
		if err != nil {
			return err
		}
		return tx.endpointFailed(ctx, d, a, end, r.DisableAfter)
	})
}

// endpointFailed records a failed attempt on its endpoint. It disables an endpoint that has
// failed for disableAfter with no success, or that had no success since the first attempt of a
// delivery now given up (a whole retry period; a test delivery's single attempt does not count).
func (s *Store) endpointFailed(ctx context.Context, d *ClaimedDelivery, a WebhookAttempt, at time.Time, disableAfter time.Duration) error {
	var ep WebhookEndpoint
	err := s.ctx(ctx).Clauses(lockForUpdate).Where("id = ?", d.EndpointID).Take(&ep).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil // deleted meanwhile
	} else if err != nil {
		return err
	}
	if ep.FailingSince == nil {
		ep.FailingSince = &a.StartedAt
	}
	why := attemptFailure(a)
	if err := s.ctx(ctx).Model(&ep).Updates(map[string]any{"failing_since": ep.FailingSince, "last_failure_at": at, "last_failure": why}).Error; err != nil {
		return err
	}
	if disableAfter <= 0 || ep.Status != WebhookEnabled {
		return nil
	}
	disable := at.Sub(*ep.FailingSince) >= disableAfter
	if !disable && a.NextAttemptAt == nil && d.Kind != DeliveryTest {
		var first WebhookAttempt
		if err := s.ctx(ctx).Where("reseller_id = ? AND delivery_id = ?", d.ResellerID, d.ID).Order("attempt, id").Take(&first).Error; err != nil {
			return err
		}
		disable = !ep.FailingSince.After(first.StartedAt)
	}
	if !disable {
		return nil
	}
	reason := fmt.Sprintf("every delivery failed for %s, since %s; the last: %s", at.Sub(*ep.FailingSince).Round(time.Minute),
		ep.FailingSince.UTC().Format(time.RFC3339), why)
	return s.disableEndpoint(ctx, &ep, reason, at)
}

func attemptFailure(a WebhookAttempt) string {
	switch {
	case a.StatusCode != nil && a.Error != "":
		return fmt.Sprintf("HTTP %d: %s", *a.StatusCode, a.Error)
	case a.StatusCode != nil:
		return fmt.Sprintf("HTTP %d", *a.StatusCode)
	}
	return a.Error
}
