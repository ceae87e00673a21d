package models

import (
	"context"
	"errors"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// SweepDeprovisioned makes R-SUB-3 so for up to limit subscriptions whose grace period ended
// by now: each is marked deprovisioned, and the licenses of the users its account no longer
// covers are removed, deleting their data for it (licensing.DeprovisionedUsers). Statuses need
// no sweep (they are computed as of any instant); this is the data deletion. It runs across
// resellers, as the platform. It returns how many subscriptions it deprovisioned.
func (s *Store) SweepDeprovisioned(ctx context.Context, now time.Time, limit int) (int, error) {
	var due []Subscription
	if err := s.ctx(ctx).Where("grace_until <= ? AND deprovisioned_at IS NULL", now).Order("grace_until").Limit(limit).Find(&due).Error; err != nil {
		return 0, err
	}
	swept := 0
	for i := range due {
		// The account is looked up before the transaction, so that its lock is the
		// transaction's first statement and every read after it sees the latest assignments.
		accountID, err := s.AccountOfSubscription(ctx, &due[i])
		if err != nil {
			return swept, err
		}
		err = s.InTx(ctx, func(tx *Store) error { return tx.deprovision(ctx, due[i].ID, due[i].ResellerID, accountID, now) })
		if err != nil {
			return swept, err
		}
		swept++
	}
	return swept, nil
}

func (s *Store) deprovision(ctx context.Context, subID, resellerID int64, accountID *int64, now time.Time) error {
	if accountID != nil {
		if err := s.LockLicensePool(ctx, resellerID, *accountID); err != nil {
			return err
		}
	}
	var sub Subscription
	err := s.ctx(ctx).Clauses(lockForUpdate).Where("reseller_id = ? AND id = ? AND deprovisioned_at IS NULL", resellerID, subID).Take(&sub).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil // another sweeper got it
	} else if err != nil {
		return err
	}
	if err := s.ctx(ctx).Model(&sub).Update("deprovisioned_at", now).Error; err != nil {
		return err
	}
	if accountID == nil {
		return nil // never activated: no users hold its licenses
	}
	holdings, err := s.AccountHoldings(ctx, Caller{Role: RoleOperator}, *accountID)
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
		if err := s.ctx(ctx).Model(&AccountUser{}).Where("reseller_id = ? AND account_id = ? AND user_name IN ?", resellerID, *accountID, gone).
			Pluck("id", &userIDs).Error; err != nil {
			return err
		}
		if err := s.ctx(ctx).Where("reseller_id = ? AND account_id = ? AND sku = ? AND user_id IN ?", resellerID, *accountID, sub.SKU, userIDs).
			Delete(&LicenseAssignment{}).Error; err != nil {
			return err
		}
		return s.adjustPool(ctx, resellerID, *accountID, sub.SKU, -len(userIDs))
	}
	return nil
}
