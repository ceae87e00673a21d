package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// Subscriptions (R-SUB): quantities and their change log, views as of an instant, new totals,
// auto-renewal, renewing, cancelling and direct (MOSP) purchases.

// Subscription is the licensed quantity of one SKU on an enrollment, or a direct (MOSP)
// purchase on an account.
type Subscription struct {
	ID              int64
	ResellerID      int64
	EnrollmentID    *int64
	DirectAccountID *int64
	Program         licensing.Program
	SKU             string `gorm:"column:sku"`
	Quantity        int
	EndDate         licensing.Date
	AutoRenew       bool
	CancelledAt     *time.Time
	GraceFrom       *time.Time
	GraceUntil      *time.Time
	DeprovisionedAt *time.Time // when the sweep made R-SUB-3 so
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Term returns the facts that decide the subscription's status.
func (s Subscription) Term() licensing.SubscriptionTerm {
	return licensing.SubscriptionTerm{EndDate: s.EndDate, AutoRenew: s.AutoRenew, CancelledAt: s.CancelledAt, GraceFrom: s.GraceFrom, GraceUntil: s.GraceUntil}
}

// Held is the subscription as the rules on quantities read it.
func (s Subscription) Held() licensing.HeldSubscription {
	return licensing.HeldSubscription{ID: s.ID, Quantity: s.Quantity, Term: s.Term()}
}

// Causes of a quantity change.
const (
	CauseOrder       = "ORDER"
	CauseReservation = "RESERVATION"
	CauseSetQuantity = "SET_QUANTITY"
	CauseDirect      = "DIRECT"
	CauseRenewal     = "RENEWAL"
)

// SubscriptionChange is one change of a subscription's quantity.
type SubscriptionChange struct {
	ID             int64
	ResellerID     int64
	SubscriptionID int64
	Delta          int
	Cause          string
	OrderID        *int64
	ReservationID  *int64
	EffectiveAt    time.Time
}

// quantityChanges loads the changes that added licenses to the subscriptions ids (of the
// resellers) effective after since (zero: all), by subscription, oldest first: the facts of
// licensing.PendingAdded, which needs at least those after 12 hours before the instant asked
// about. lock reads them with FOR UPDATE inside a transaction, like the quantities they qualify.
func (s *Store) quantityChanges(ctx context.Context, resellerIDs, ids []int64, since time.Time, lock bool) (map[int64][]licensing.QuantityChange, error) {
	out := map[int64][]licensing.QuantityChange{}
	if len(ids) == 0 {
		return out, nil
	}
	q := s.ctx(ctx)
	if lock && s.inTx {
		q = q.Clauses(lockForUpdate)
	}
	q = q.Where("reseller_id IN ? AND subscription_id IN ? AND delta > 0", resellerIDs, ids)
	if !since.IsZero() { // zero: all of them
		q = q.Where("effective_at > ?", since.UTC())
	}
	var rows []SubscriptionChange
	if err := q.Order("effective_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, ch := range rows {
		out[ch.SubscriptionID] = append(out[ch.SubscriptionID], licensing.QuantityChange{Delta: ch.Delta, EffectiveAt: ch.EffectiveAt, FromOrder: ch.Cause == CauseOrder})
	}
	return out, nil
}

// activeSKUs returns the SKUs with an ACTIVE subscription on the enrollment as of asOf.
func (s *Store) activeSKUs(ctx context.Context, enrollmentID, resellerID int64, asOf time.Time) (map[string]bool, error) {
	var subs []Subscription
	if err := s.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ?", resellerID, enrollmentID).Find(&subs).Error; err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, sub := range subs {
		if sub.Term().StatusAt(asOf).Counts() {
			out[sub.SKU] = true
		}
	}
	return out, nil
}

// activeSKUsOnAccount returns the SKUs with an ACTIVE subscription on the account as of asOf:
// its enrollments' and its direct purchases.
func (s *Store) activeSKUsOnAccount(ctx context.Context, a *Account, asOf time.Time) (map[string]bool, error) {
	subs, err := s.accountSubscriptions(ctx, a.ResellerID, a.ID, nil)
	out := map[string]bool{}
	for _, sub := range subs {
		if sub.Term().StatusAt(asOf).Counts() {
			out[sub.SKU] = true
		}
	}
	return out, err
}

// lockEnrollmentSubscription returns the enrollment's subscription of a SKU, locked, creating
// it (quantity 0, ending with the enrollment) when there is none yet.
func (s *Store) lockEnrollmentSubscription(ctx context.Context, e *Enrollment, program licensing.Program, sku string, now time.Time) (*Subscription, error) {
	var sub Subscription
	err := s.ctx(ctx).Clauses(lockForUpdate).Where("reseller_id = ? AND enrollment_id = ? AND sku = ?", e.ResellerID, e.ID, sku).Take(&sub).Error
	if err == nil {
		return &sub, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	sub = Subscription{ID: newID(), ResellerID: e.ResellerID, EnrollmentID: &e.ID, Program: program, SKU: sku, EndDate: e.EndDate, CreatedAt: now, UpdatedAt: now}
	if err := s.touchSubscriptions(ctx, now, sub.ResellerID, sub.ID); err != nil {
		return nil, err
	}
	if err := s.ctx(ctx).Create(&sub).Error; err != nil {
		if isDuplicate(err) {
			return nil, fmt.Errorf("%w: subscription created concurrently", errRetry)
		}
		return nil, err // a deadlock between two creators is retried by InTx too
	}
	return &sub, nil
}

// changeQuantity adds delta to a locked subscription and records the change.
func (s *Store) changeQuantity(ctx context.Context, sub *Subscription, delta int, cause string, orderID, reservationID *int64, now time.Time) error {
	if delta == 0 {
		return nil
	}
	ch := SubscriptionChange{ID: newID(), ResellerID: sub.ResellerID, SubscriptionID: sub.ID, Delta: delta, Cause: cause, OrderID: orderID, ReservationID: reservationID, EffectiveAt: now}
	if err := s.touchSubscriptions(ctx, now, sub.ResellerID, sub.ID); err != nil {
		return err
	}
	if err := s.ctx(ctx).Create(&ch).Error; err != nil {
		return err
	}
	sub.Quantity += delta
	sub.UpdatedAt = now
	return s.ctx(ctx).Model(sub).Updates(map[string]any{"quantity": gorm.Expr("quantity + ?", delta), "updated_at": now}).Error
}

// ActiveSeats counts the seats of an agreement's subscriptions that are ACTIVE as of asOf
// (R-AGR-4: SEAT-unit SKUs only; instances and gigabytes are no seats).
func (s *Store) ActiveSeats(ctx context.Context, c Caller, agreementID int64, asOf time.Time) (int, error) {
	var subs []Subscription
	err := c.scope(s.ctx(ctx)).Where("enrollment_id IN (?) AND sku IN (?)",
		c.scope(s.ctx(ctx).Model(&Enrollment{})).Select("id").Where("agreement_id = ?", agreementID),
		s.ctx(ctx).Model(&SKU{}).Select("code").Where("unit = ?", licensing.UnitSeat)).Find(&subs).Error
	if err != nil {
		return 0, err
	}
	held := make([]licensing.HeldSubscription, len(subs))
	for i, sub := range subs {
		held[i] = sub.Held()
	}
	return licensing.LicensedQuantityAt(held, asOf), nil
}

// VolumeDiscountEligible tells whether an agreement of program is eligible for the volume
// discount as of asOf (licensing.VolumeDiscountEligible, R-AGR-4).
func (s *Store) VolumeDiscountEligible(ctx context.Context, c Caller, agreementID int64, program licensing.Program, asOf time.Time) (bool, error) {
	seats, err := s.ActiveSeats(ctx, c, agreementID, asOf)
	return licensing.VolumeDiscountEligible(program, seats), err
}

// updateSubscription runs change on a locked subscription in one transaction (updateLocked),
// and records the conflicts the change opens or resolves on its account as of now (R-LIC-2).
func (s *Store) updateSubscription(ctx context.Context, operation string, c Caller, id int64, now time.Time, change func(tx *Store, sub *Subscription) error) (*Subscription, error) {
	return updateLocked(ctx, s, operation, c, id, "subscription", "subscription", func(tx *Store, sub *Subscription) error {
		account, err := tx.AccountOfSubscription(ctx, sub)
		if err != nil {
			return err
		}
		conflicts, err := tx.watchConflicts(ctx, sub.ResellerID, now, account)
		if err != nil {
			return err
		}
		if err := change(tx, sub); err != nil {
			return err
		}
		if err := tx.touchSubscriptions(ctx, now, sub.ResellerID, sub.ID); err != nil {
			return err
		}
		return conflicts.record(ctx, tx)
	})
}

// SetSubscriptionQuantity sets a new total (R-SUB-7: buying 5 more than 100 sends 105).
// Lowering it below what is assigned on its account needs acceptConflict (R-LIC-6).
func (s *Store) SetSubscriptionQuantity(ctx context.Context, c Caller, id int64, total int, acceptConflict bool, now time.Time) (*Subscription, error) {
	return s.updateSubscription(ctx, "set subscription quantity", c, id, now, func(tx *Store, sub *Subscription) error {
		if err := problem(licensing.CanChangeQuantity(sub.Term().StatusAt(now), sub.CancelledAt != nil)); err != nil {
			return err
		}
		if err := problem(licensing.ValidateNewTotal(sub.Quantity, total)); err != nil {
			return err
		}
		if err := tx.CheckQuantityLowering(ctx, sub, total, acceptConflict, now); err != nil {
			return err
		}
		return tx.changeQuantity(ctx, sub, total-sub.Quantity, CauseSetQuantity, nil, nil, now)
	})
}

// SetAutoRenew switches auto-renewal (R-SUB-5).
func (s *Store) SetAutoRenew(ctx context.Context, c Caller, id int64, on bool, now time.Time) (*Subscription, error) {
	return s.updateSubscription(ctx, "set auto-renew", c, id, now, func(tx *Store, sub *Subscription) error {
		was := sub.Term().StatusAt(now)
		sub.AutoRenew, sub.UpdatedAt = on, now
		if err := tx.ctx(ctx).Model(sub).Updates(map[string]any{"auto_renew": on, "updated_at": now}).Error; err != nil {
			return err
		}
		return tx.recordTermChange(ctx, sub, was, now)
	})
}

// RenewSubscription starts a new one-year term; an EXPIRED subscription is ACTIVE again (R-SUB-5).
func (s *Store) RenewSubscription(ctx context.Context, c Caller, id int64, now time.Time) (*Subscription, error) {
	return s.updateSubscription(ctx, "renew subscription", c, id, now, func(tx *Store, sub *Subscription) error {
		if err := problem(licensing.CanRenewSubscription(sub.Term().StatusAt(now), sub.CancelledAt != nil)); err != nil {
			return err
		}
		sub.EndDate, sub.UpdatedAt = licensing.RenewedEndDate(sub.EndDate, now), now
		if err := tx.ctx(ctx).Model(sub).Updates(map[string]any{"end_date": sub.EndDate, "updated_at": now}).Error; err != nil {
			return err
		}
		return tx.recordSubscription(ctx, TopicSubscriptionRenewed, sub, sub.Term().StatusAt(now), "", now)
	})
}

// CancelSubscription cancels at once where the program allows it (R-SUB-6); operators act as
// support, which cancels MOSP subscriptions.
func (s *Store) CancelSubscription(ctx context.Context, c Caller, id int64, now time.Time) (*Subscription, error) {
	return s.updateSubscription(ctx, "cancel subscription", c, id, now, func(tx *Store, sub *Subscription) error {
		if sub.CancelledAt != nil {
			return nil // cancelling twice keeps the first cancellation
		}
		if err := problem(licensing.MayCancelSubscription(sub.Program, c.Role == RoleOperator)); err != nil {
			return err
		}
		sub.CancelledAt, sub.UpdatedAt = &now, now
		if err := tx.ctx(ctx).Model(sub).Updates(map[string]any{"cancelled_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		return tx.recordSubscription(ctx, TopicSubscriptionExpired, sub, sub.Term().StatusAt(now), ExpiredCancelled, now)
	})
}

// DirectSubscriptionRequest is a createDirectSubscription call (a MOSP purchase on an account).
type DirectSubscriptionRequest struct {
	AccountID int64
	SKU       string
	Quantity  int
	EndDate   licensing.Date
	AutoRenew bool
}

// CreateDirectSubscription records a direct (MOSP) purchase on an account.
func (s *Store) CreateDirectSubscription(ctx context.Context, c Caller, r DirectSubscriptionRequest, now time.Time) (*Subscription, error) {
	var sub *Subscription
	err := s.InTx(ctx, func(tx *Store) error {
		skus, err := tx.SKUsByCode(ctx, []string{r.SKU})
		if err != nil {
			return err
		}
		ps := licensing.ValidateDirectSubscription(r.SKU, len(skus) > 0, r.Quantity, r.EndDate, licensing.DateOf(now))
		// A plain read: a purchase needs the account to exist, and accounts are never deleted.
		a, err := tx.Account(ctx, c, r.AccountID)
		if errors.Is(err, ErrNotFound) {
			ps.Add(licensing.CodeNotFound, "no such account", "account")
		} else if err != nil {
			return err
		}
		if err := ps.Err(); err != nil {
			return err
		}
		// An add-on needs its base on the account (R-ORD-3: every way a SKU is bought).
		onAccount, err := tx.activeSKUsOnAccount(ctx, a, now)
		if err != nil {
			return err
		}
		k := skus[0]
		sku := licensing.SKUFacts{Code: k.Code, Family: k.Family, Kind: k.Kind, BaseSKUs: k.BaseList(), Unit: k.Unit}
		if err := problem(licensing.AddOnMissingBase(sku, onAccount, "the account")); err != nil {
			return err
		}
		conflicts, err := tx.watchConflicts(ctx, a.ResellerID, now, &a.ID) // new licenses may resolve a conflict
		if err != nil {
			return err
		}
		sub = &Subscription{ID: newID(), ResellerID: a.ResellerID, DirectAccountID: &a.ID, Program: licensing.ProgramMOSP, SKU: r.SKU,
			EndDate: r.EndDate, AutoRenew: r.AutoRenew, CreatedAt: now, UpdatedAt: now}
		if err := tx.touchSubscriptions(ctx, now, sub.ResellerID, sub.ID); err != nil {
			return err
		}
		if err := tx.ctx(ctx).Create(sub).Error; err != nil {
			return err
		}
		if err := tx.changeQuantity(ctx, sub, r.Quantity, CauseDirect, nil, nil, now); err != nil {
			return err
		}
		return conflicts.record(ctx, tx)
	})
	return orNil(sub, wrap("create direct subscription", err))
}

// SubscriptionView is a subscription as of an instant: its status and quantities then.
type SubscriptionView struct {
	Subscription
	// Catalog is the subscription's SKU in the catalog (shared: read only), nil for a code the
	// catalog does not know.
	Catalog         *SKU
	AsOf            time.Time
	Status          licensing.SubscriptionStatus
	QuantityAsOf    int // the total as of AsOf
	PendingQuantity int // licenses of processed orders not yet available, of an ACTIVE subscription (R-ORD-5)
	// LicensedQuantity is what can be used as of AsOf (licensing.LicensedPart): nothing unless
	// ACTIVE (R-SUB-1), and not the pending licenses (R-ORD-5).
	LicensedQuantity int
}

// SubscriptionFilter selects subscriptions: an enrollment's, or those on an account (its
// enrollments' and its direct purchases).
type SubscriptionFilter struct {
	EnrollmentID *int64
	AccountID    *int64
}

// Subscriptions lists subscriptions as of asOf, with their quantities then, in two queries.
func (s *Store) Subscriptions(ctx context.Context, c Caller, f SubscriptionFilter, asOf time.Time, p Page) (*List[SubscriptionView], error) {
	q := c.scope(s.ctx(ctx).Model(&Subscription{}))
	q = where(q, "enrollment_id = ?", f.EnrollmentID)
	if f.AccountID != nil {
		q = q.Where("direct_account_id = ? OR enrollment_id IN (?)", *f.AccountID,
			c.scope(s.ctx(ctx).Model(&Enrollment{})).Select("id").Where("account_id = ?", *f.AccountID))
	}
	l, err := list[Subscription](s, q, p)
	if err != nil {
		return nil, err
	}
	views, err := s.viewsAsOf(ctx, l.Items, asOf)
	if err != nil {
		return nil, err
	}
	return &List[SubscriptionView]{Items: views, HasNext: l.HasNext, Total: l.Total}, nil
}

// SubscriptionAsOf returns one subscription as of asOf.
func (s *Store) SubscriptionAsOf(ctx context.Context, c Caller, id int64, asOf time.Time) (*SubscriptionView, error) {
	sub, err := byID[Subscription](ctx, s, c, id)
	if err != nil {
		return nil, err
	}
	views, err := s.viewsAsOf(ctx, []Subscription{*sub}, asOf)
	if err != nil {
		return nil, err
	}
	return &views[0], nil
}

// viewsAsOf are the views of subs as of asOf, their changes read in one statement.
func (s *Store) viewsAsOf(ctx context.Context, subs []Subscription, asOf time.Time) ([]SubscriptionView, error) {
	if len(subs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(subs))
	resellers := map[int64]bool{}
	var resellerIDs []int64
	for i, sub := range subs {
		ids[i] = sub.ID
		if !resellers[sub.ResellerID] {
			resellers[sub.ResellerID] = true
			resellerIDs = append(resellerIDs, sub.ResellerID)
		}
	}
	// One read of the change log: what is effective by asOf (the total, and the additions that can
	// still be pending: licensing.PendingAdded looks at those of the pending period), and a
	// renewal's lines, which take effect with the new term but are recorded with the renewal,
	// which creates the subscription: from then on they show, pending until the term starts.
	changes, err := scanAll[SubscriptionChange](s.ctx(ctx).Model(new(SubscriptionChange)).
		Select("subscription_id, delta, cause, effective_at"). // what viewsOf reads
		Where("reseller_id IN ? AND subscription_id IN ? AND "+changesAsOf(""), resellerIDs, ids, asOf, CauseRenewal).
		Order("effective_at, id"))
	if err != nil {
		return nil, err
	}
	return s.viewsOf(ctx, subs, changes, asOf)
}

// changesAsOf keeps the changes (of alias, "" for none) a view as of an instant reads
// (viewsAsOf); its arguments are the instant and CauseRenewal.
func changesAsOf(alias string) string {
	if alias != "" {
		alias += "."
	}
	return "(" + alias + "effective_at <= ? OR " + alias + "cause = ?)"
}

// viewsOf are the views as of asOf of subs, from the changes viewsAsOf reads of them, each
// subscription's in (effective_at, id) order.
func (s *Store) viewsOf(ctx context.Context, subs []Subscription, changes []SubscriptionChange, asOf time.Time) ([]SubscriptionView, error) {
	if len(subs) == 0 {
		return nil, nil
	}
	catalog, err := s.catalogSKUs(ctx)
	if err != nil {
		return nil, err
	}
	total := map[int64]int{}
	recent := map[int64][]licensing.QuantityChange{}
	var ahead []SubscriptionChange
	since := asOf.Add(-licensing.OrderPendingPeriod)
	for _, ch := range changes {
		switch {
		case ch.EffectiveAt.After(asOf): // a renewal's line, ahead of its term
			ahead = append(ahead, ch)
		default:
			total[ch.SubscriptionID] += ch.Delta
			if ch.Delta > 0 && ch.EffectiveAt.After(since) {
				recent[ch.SubscriptionID] = append(recent[ch.SubscriptionID], licensing.QuantityChange{Delta: ch.Delta, EffectiveAt: ch.EffectiveAt, FromOrder: ch.Cause == CauseOrder})
			}
		}
	}
	out := make([]SubscriptionView, len(subs))
	for i, sub := range subs {
		var effective []licensing.QuantityChange // the total as of asOf holds these only
		for _, ch := range recent[sub.ID] {
			if !ch.EffectiveAt.After(asOf) {
				effective = append(effective, ch)
			}
		}
		for _, ch := range ahead {
			if ch.SubscriptionID == sub.ID && !asOf.Before(sub.CreatedAt) {
				total[sub.ID] += ch.Delta
				effective = append(effective, licensing.QuantityChange{Delta: ch.Delta, EffectiveAt: ch.EffectiveAt})
			}
		}
		held := licensing.HeldSubscription{ID: sub.ID, Quantity: total[sub.ID], Term: sub.Term(), Changes: effective}
		v := SubscriptionView{Subscription: sub, Catalog: catalog[sub.SKU], AsOf: asOf, Status: sub.Term().StatusAt(asOf), QuantityAsOf: total[sub.ID], PendingQuantity: held.PendingAt(asOf)}
		v.LicensedQuantity = licensing.LicensedPart(v.Status, v.QuantityAsOf, v.PendingQuantity)
		out[i] = v
	}
	return out, nil
}
