package models

import (
	"context"
	"errors"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// Deprovisioning (R-SUB-3): when a grace period ends, the subscription's data is deleted.

// graceEndedSQL selects the subscriptions whose grace period has ended by an instant and that are
// not deprovisioned yet. It mirrors licensing.SubscriptionTerm.GraceEndedBy (grace_until at or
// before the instant), so the sweep finds them with an index instead of reading every
// subscription; TestSweepFindsWhatTheRuleSays compares the two on random data.
const graceEndedSQL = "grace_until <= ? AND deprovisioned_at IS NULL"

// SweepDeprovisioned makes R-SUB-3 so for up to limit subscriptions whose grace period ended
// by now: each is marked deprovisioned, and the licenses of the users its account no longer
// covers are removed, deleting their data for it (licensing.DeprovisionedUsers). Statuses need
// no sweep (they are computed as of any instant); this is the data deletion. It runs across
// resellers, as the platform, one transaction per subscription. It returns how many
// subscriptions it deprovisioned.
func (s *Store) SweepDeprovisioned(ctx context.Context, now time.Time, limit int) (int, error) {
	var due []Subscription
	if err := s.ctx(ctx).Where(graceEndedSQL, now).Order("grace_until").Limit(limit).Find(&due).Error; err != nil {
		return 0, wrap("sweep deprovisioned", err)
	}
	swept := 0
	for i := range due {
		var done bool
		err := s.InTx(ctx, func(tx *Store) (err error) {
			done, err = tx.deprovision(ctx, &due[i], now)
			return err
		})
		if err != nil {
			return swept, wrap("sweep deprovisioned", err)
		}
		if done {
			swept++
		}
	}
	return swept, nil
}

// deprovision deprovisions one subscription in its own transaction; false when another sweeper
// got it first. Every read that the deletion depends on comes after the locks, as a locking read
// or, once they are held, in a snapshot taken after them (MySQL and MariaDB take it at the first
// plain read): the enrollment's account (a remap may have moved it), then the account, which
// serializes every assignment change there, then the subscription itself.
func (s *Store) deprovision(ctx context.Context, due *Subscription, now time.Time) (bool, error) {
	accountID, err := s.accountOfSubscription(ctx, due, true)
	if err != nil {
		return false, err
	}
	if accountID != nil {
		if err := s.LockLicensePool(ctx, due.ResellerID, *accountID); err != nil {
			return false, err
		}
	}
	// Removing the users no longer covered resolves the conflicts the grace period's end opened.
	conflicts, err := s.watchConflicts(ctx, due.ResellerID, now, accountID)
	if err != nil {
		return false, err
	}
	var sub Subscription
	err = s.ctx(ctx).Clauses(lockForUpdate).Where("reseller_id = ? AND id = ? AND deprovisioned_at IS NULL", due.ResellerID, due.ID).Take(&sub).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil // another sweeper got it
	} else if err != nil {
		return false, err
	}
	if err := s.ctx(ctx).Model(&sub).Update("deprovisioned_at", now).Error; err != nil {
		return false, err
	}
	if accountID == nil {
		return true, nil // never activated: no users hold its licenses
	}
	if err := s.removeDeprovisionedUsers(ctx, &sub, *accountID, now); err != nil {
		return false, err
	}
	return true, conflicts.record(ctx, s)
}

// removeDeprovisionedUsers deletes the assignments of sub's SKU that its account no longer covers
// (licensing.DeprovisionedUsers), under the account's lock.
func (s *Store) removeDeprovisionedUsers(ctx context.Context, sub *Subscription, accountID int64, now time.Time) error {
	holdings, err := s.AccountHoldings(ctx, Caller{Role: RoleOperator}, accountID)
	if err != nil {
		return err
	}
	for _, h := range holdings {
		if h.SKU != sub.SKU {
			continue
		}
		gone := licensing.DeprovisionedUsers(h, now)
		if len(gone) == 0 {
			return nil
		}
		var userIDs []int64
		if err := s.ctx(ctx).Model(&AccountUser{}).Where("reseller_id = ? AND account_id = ? AND user_name IN ?", sub.ResellerID, accountID, gone).
			Pluck("id", &userIDs).Error; err != nil {
			return err
		}
		if err := s.ctx(ctx).Where("reseller_id = ? AND account_id = ? AND sku = ? AND user_id IN ?", sub.ResellerID, accountID, sub.SKU, userIDs).
			Delete(&LicenseAssignment{}).Error; err != nil {
			return err
		}
		return s.adjustPool(ctx, sub.ResellerID, accountID, sub.SKU, -len(userIDs), now)
	}
	return nil
}
