package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// ReservationRequest is a createReservation call.
type ReservationRequest struct {
	EnrollmentNumber string
	SKU              string
	Quantity         int
	ContactEmail     string
	IdempotencyKey   string
}

// contactRoles returns the roles of the contact with this email on an agreement.
func (s *Store) contactRoles(ctx context.Context, resellerID, agreementID int64, email string) ([]licensing.ContactRole, error) {
	var cts []AgreementContact
	if err := s.ctx(ctx).Where("reseller_id = ? AND agreement_id = ?", resellerID, agreementID).Find(&cts).Error; err != nil {
		return nil, err
	}
	for _, ct := range cts {
		if strings.EqualFold(ct.Email, email) {
			return ct.RoleList(), nil
		}
	}
	return nil, nil
}

// CreateReservation reserves licenses on an enrollment: they are added at once and billed at
// the agreement's next anniversary (R-RES-1), if the acting contact may reserve (R-RES-2).
// The idempotency key makes a retried call return the first reservation.
func (s *Store) CreateReservation(ctx context.Context, c Caller, r ReservationRequest, now time.Time) (*Reservation, error) {
	var ps licensing.Problems
	if strings.TrimSpace(r.IdempotencyKey) == "" {
		ps.Add(licensing.CodeRequired, "an idempotency key is required so that a retry cannot reserve twice", "idempotencyKey")
	}
	if r.Quantity < 1 || r.Quantity > licensing.MaxOrderQuantity {
		ps.Add(licensing.CodeInvalidQuantity, fmt.Sprintf("quantity %d must be between 1 and %d", r.Quantity, licensing.MaxOrderQuantity), "quantity")
	}
	e, err := s.enrollmentForWrite(ctx, c, r.EnrollmentNumber, "enrollmentNumber")
	if err != nil {
		return nil, err
	}
	if p := licensing.CheckEnrollmentOpen(e.Status, e.EndDate, e.Number, licensing.DateOf(now)); p != nil {
		ps = append(ps, *p)
	}
	skus, err := s.SKUsByCode(ctx, []string{r.SKU})
	if err != nil {
		return nil, err
	}
	if len(skus) == 0 {
		ps.Add(licensing.CodeUnknownSKU, fmt.Sprintf("SKU %q is not in the catalog", r.SKU), "sku")
	} else {
		subscribed, err := s.activeSKUs(ctx, e.ID, e.ResellerID, now)
		if err != nil {
			return nil, err
		}
		k := skus[0]
		if p := licensing.AddOnMissingBase(licensing.SKUFacts{Code: k.Code, Kind: k.Kind, BaseSKUs: k.BaseList()}, subscribed); p != nil {
			ps = append(ps, *p)
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	fingerprint := licensing.ReservationFingerprint(r.EnrollmentNumber, r.SKU, r.Quantity, r.ContactEmail)
	return idempotent(ctx, s, e.ResellerID, r.IdempotencyKey, fingerprint, func(r *Reservation) string { return r.Fingerprint },
		func() (*Reservation, error) { return s.reserve(ctx, c, e, r, fingerprint, now) })
}

func (s *Store) reserve(ctx context.Context, c Caller, e *Enrollment, r ReservationRequest, fingerprint string, now time.Time) (*Reservation, error) {
	var res Reservation
	err := s.InTx(ctx, func(tx *Store) error {
		a, err := byID[Agreement](ctx, tx, c, e.AgreementID)
		if err != nil {
			return err
		}
		actor := licensing.ReservationActor{IsOSM: e.OSMEmail != "" && strings.EqualFold(e.OSMEmail, r.ContactEmail)}
		if actor.Roles, err = tx.contactRoles(ctx, e.ResellerID, e.AgreementID, r.ContactEmail); err != nil {
			return err
		}
		if actor.IsOSM {
			var n int64
			if err := tx.ctx(ctx).Model(&ReservationPermission{}).Where("reseller_id = ? AND enrollment_id = ? AND email = ?", e.ResellerID, e.ID, strings.ToLower(r.ContactEmail)).Count(&n).Error; err != nil {
				return err
			}
			actor.OSMCanManageReservations = n > 0
		}
		if err := problem(licensing.MayReserve(actor)); err != nil {
			return err
		}
		sub, err := tx.lockEnrollmentSubscription(ctx, e, a.Program, r.SKU, now)
		if err != nil {
			return err
		}
		res = Reservation{ID: newID(), ResellerID: e.ResellerID, EnrollmentID: e.ID, SubscriptionID: sub.ID, SKU: r.SKU, Quantity: r.Quantity,
			Status: licensing.ReservationPending, ContactEmail: r.ContactEmail, ReservedAt: now,
			BillingDate: licensing.ReservationBillingDate(a.AnniversaryDate, now), IdempotencyKey: r.IdempotencyKey, Fingerprint: fingerprint}
		if err := tx.ctx(ctx).Create(&res).Error; err != nil {
			return err
		}
		return tx.changeQuantity(ctx, sub, r.Quantity, CauseReservation, nil, &res.ID, now)
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// ProcessReservation marks a PENDING reservation EFFECTIVE (R-RES-4), an operator action.
func (s *Store) ProcessReservation(ctx context.Context, c Caller, id int64, now time.Time) (*Reservation, error) {
	var res Reservation
	err := s.InTx(ctx, func(tx *Store) error {
		if err := c.scope(tx.ctx(ctx)).Clauses(lockForUpdate).Where("id = ?", id).Take(&res).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return refuse(licensing.CodeNotFound, "no such reservation", "reservationId")
			}
			return err
		}
		if res.Status != licensing.ReservationPending {
			return refuse(licensing.CodeReservationNotPending, "this reservation is already "+string(res.Status), "reservationId")
		}
		res.Status, res.ProcessedAt = licensing.ReservationEffective, &now
		return tx.ctx(ctx).Model(&res).Updates(map[string]any{"status": res.Status, "processed_at": now}).Error
	})
	return orNil(&res, err)
}

// SetReservationPermission grants (or revokes) MANAGE_RESERVATIONS on an enrollment to its
// OSM; the acting contact must be the AGREEMENT_ADMINISTRATOR (R-RES-3).
func (s *Store) SetReservationPermission(ctx context.Context, c Caller, enrollmentNumber, actingEmail string, grant bool, now time.Time) (*Enrollment, error) {
	e, err := s.enrollmentForWrite(ctx, c, enrollmentNumber, "enrollmentNumber")
	if err != nil {
		return nil, err
	}
	err = s.InTx(ctx, func(tx *Store) error {
		roles, err := tx.contactRoles(ctx, e.ResellerID, e.AgreementID, actingEmail)
		if err != nil {
			return err
		}
		if p := licensing.MayManageReservationPermission(roles); p != nil {
			p.Field = []string{"actingContactEmail"}
			return problem(p)
		}
		if e.OSMEmail == "" {
			return refuse(licensing.CodeNoSubscriptionContact, "the enrollment has no OSM to grant the permission to; set its subscription contact first", "enrollmentNumber")
		}
		osm := strings.ToLower(e.OSMEmail)
		q := tx.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ? AND email = ?", e.ResellerID, e.ID, osm)
		if !grant {
			return q.Delete(&ReservationPermission{}).Error
		}
		var n int64
		if err := q.Model(&ReservationPermission{}).Count(&n).Error; err != nil || n > 0 {
			return err // granting twice keeps the first grant
		}
		return tx.ctx(ctx).Create(&ReservationPermission{ID: newID(), ResellerID: e.ResellerID, EnrollmentID: e.ID, Email: osm, GrantedBy: actingEmail, GrantedAt: now}).Error
	})
	return orNil(e, err)
}

// OSMCanReserve tells whether the enrollment's current OSM holds MANAGE_RESERVATIONS.
func (s *Store) OSMCanReserve(ctx context.Context, c Caller, e *Enrollment) (bool, error) {
	if e.OSMEmail == "" {
		return false, nil
	}
	var n int64
	err := c.scope(s.ctx(ctx).Model(&ReservationPermission{})).Where("enrollment_id = ? AND email = ?", e.ID, strings.ToLower(e.OSMEmail)).Count(&n).Error
	return n > 0, err
}

// ReservationFilter narrows a reservation list.
type ReservationFilter struct {
	EnrollmentID  *int64
	Status        *licensing.ReservationStatus
	ReservedFrom  *time.Time
	ReservedTo    *time.Time
	NotBilledAsOf *time.Time // billed on an anniversary after this instant's day (R-RES-1)
	OverdueAsOf   *time.Time // still pending 25 hours after they were made (R-RES-4)
}

func (s *Store) Reservations(ctx context.Context, c Caller, f ReservationFilter, p Page) (*List[Reservation], error) {
	q := c.scope(s.ctx(ctx).Model(&Reservation{}))
	if f.EnrollmentID != nil {
		q = q.Where("enrollment_id = ?", *f.EnrollmentID)
	}
	if f.Status != nil {
		q = q.Where("status = ?", *f.Status)
	}
	if f.ReservedFrom != nil {
		q = q.Where("reserved_at >= ?", *f.ReservedFrom)
	}
	if f.ReservedTo != nil {
		q = q.Where("reserved_at <= ?", *f.ReservedTo)
	}
	if f.NotBilledAsOf != nil {
		q = q.Where("billing_date > ?", licensing.DateOf(*f.NotBilledAsOf))
	}
	if f.OverdueAsOf != nil {
		// Overdue from OverdueAt(reservedAt) on: reserved at or before asOf minus the period.
		q = q.Where("status = ? AND reserved_at <= ?", licensing.ReservationPending, f.OverdueAsOf.Add(-licensing.ReservationOverdueAfter))
	}
	return list[Reservation](q, p)
}

// lockSubscription loads a subscription for a write in tx, scoped to the caller.
func (s *Store) lockSubscription(ctx context.Context, c Caller, id int64) (*Subscription, error) {
	var sub Subscription
	if err := c.scope(s.ctx(ctx)).Clauses(lockForUpdate).Where("id = ?", id).Take(&sub).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, refuse(licensing.CodeNotFound, "no such subscription", "subscriptionId")
		}
		return nil, err
	}
	return &sub, nil
}

// updateSubscription runs change on a locked subscription in one transaction.
func (s *Store) updateSubscription(ctx context.Context, c Caller, id int64, change func(tx *Store, sub *Subscription) error) (*Subscription, error) {
	var sub *Subscription
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		if sub, err = tx.lockSubscription(ctx, c, id); err != nil {
			return err
		}
		return change(tx, sub)
	})
	return orNil(sub, err)
}

// SetSubscriptionQuantity sets a new total (R-SUB-7: buying 5 more than 100 sends 105).
// Lowering it below what is assigned on its account needs acceptConflict (R-LIC-6).
func (s *Store) SetSubscriptionQuantity(ctx context.Context, c Caller, id int64, total int, acceptConflict bool, now time.Time) (*Subscription, error) {
	return s.updateSubscription(ctx, c, id, func(tx *Store, sub *Subscription) error {
		if err := problem(licensing.CanChangeQuantity(sub.Term().StatusAt(now), sub.CancelledAt != nil)); err != nil {
			return err
		}
		if p := licensing.ValidateNewTotal(sub.Quantity, total); p != nil {
			p.Field = []string{"quantity"}
			return problem(p)
		}
		if err := tx.CheckQuantityLowering(ctx, sub, total, acceptConflict, now); err != nil {
			return err
		}
		return tx.changeQuantity(ctx, sub, total-sub.Quantity, CauseSetQuantity, nil, nil, now)
	})
}

// SetAutoRenew switches auto-renewal (R-SUB-5).
func (s *Store) SetAutoRenew(ctx context.Context, c Caller, id int64, on bool, now time.Time) (*Subscription, error) {
	return s.updateSubscription(ctx, c, id, func(tx *Store, sub *Subscription) error {
		sub.AutoRenew, sub.UpdatedAt = on, now
		return tx.ctx(ctx).Model(sub).Updates(map[string]any{"auto_renew": on, "updated_at": now}).Error
	})
}

// RenewSubscription starts a new one-year term; an EXPIRED subscription is ACTIVE again (R-SUB-5).
func (s *Store) RenewSubscription(ctx context.Context, c Caller, id int64, now time.Time) (*Subscription, error) {
	return s.updateSubscription(ctx, c, id, func(tx *Store, sub *Subscription) error {
		if err := problem(licensing.CanRenewSubscription(sub.Term().StatusAt(now), sub.CancelledAt != nil)); err != nil {
			return err
		}
		sub.EndDate, sub.UpdatedAt = licensing.RenewedEndDate(sub.EndDate, now), now
		return tx.ctx(ctx).Model(sub).Updates(map[string]any{"end_date": sub.EndDate, "updated_at": now}).Error
	})
}

// CancelSubscription cancels at once where the program allows it (R-SUB-6); operators act as
// support, which cancels MOSP subscriptions.
func (s *Store) CancelSubscription(ctx context.Context, c Caller, id int64, now time.Time) (*Subscription, error) {
	return s.updateSubscription(ctx, c, id, func(tx *Store, sub *Subscription) error {
		if sub.CancelledAt != nil {
			return nil // cancelling twice keeps the first cancellation
		}
		if err := problem(licensing.MayCancelSubscription(sub.Program, c.Role == RoleOperator)); err != nil {
			return err
		}
		sub.CancelledAt, sub.UpdatedAt = &now, now
		return tx.ctx(ctx).Model(sub).Updates(map[string]any{"cancelled_at": now, "updated_at": now}).Error
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
	var ps licensing.Problems
	skus, err := s.SKUsByCode(ctx, []string{r.SKU})
	if err != nil {
		return nil, err
	}
	if len(skus) == 0 {
		ps.Add(licensing.CodeUnknownSKU, fmt.Sprintf("SKU %q is not in the catalog", r.SKU), "sku")
	}
	if r.Quantity < 1 || r.Quantity > licensing.MaxOrderQuantity {
		ps.Add(licensing.CodeInvalidQuantity, fmt.Sprintf("quantity %d must be between 1 and %d", r.Quantity, licensing.MaxOrderQuantity), "quantity")
	}
	if r.EndDate.IsZero() || r.EndDate.Before(licensing.DateOf(now)) {
		ps.Add(licensing.CodeInvalid, "endDate must be today or later", "endDate")
	}
	a, err := s.Account(ctx, c, r.AccountID)
	if errors.Is(err, ErrNotFound) {
		ps.Add(licensing.CodeNotFound, "no such account", "accountId")
	} else if err != nil {
		return nil, err
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	sub := Subscription{ID: newID(), ResellerID: a.ResellerID, DirectAccountID: &a.ID, Program: licensing.ProgramMOSP, SKU: r.SKU,
		EndDate: r.EndDate, AutoRenew: r.AutoRenew, CreatedAt: now, UpdatedAt: now}
	err = s.InTx(ctx, func(tx *Store) error {
		if err := tx.ctx(ctx).Create(&sub).Error; err != nil {
			return err
		}
		return tx.changeQuantity(ctx, &sub, r.Quantity, CauseDirect, nil, nil, now)
	})
	return orNil(&sub, err)
}

// SubscriptionView is a subscription as of an instant: its status and quantities then.
type SubscriptionView struct {
	Subscription
	AsOf            time.Time
	Status          licensing.SubscriptionStatus
	QuantityAsOf    int // the total as of AsOf
	PendingQuantity int // licenses of processed orders not yet available (R-ORD-5)
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
	if f.EnrollmentID != nil {
		q = q.Where("enrollment_id = ?", *f.EnrollmentID)
	}
	if f.AccountID != nil {
		q = q.Where("direct_account_id = ? OR enrollment_id IN (?)", *f.AccountID,
			c.scope(s.ctx(ctx).Model(&Enrollment{})).Select("id").Where("account_id = ?", *f.AccountID))
	}
	l, err := list[Subscription](q, p)
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
	type sums struct {
		SubscriptionID int64
		Total          int
		Pending        int
	}
	var rows []sums
	// Pending: order quantities processed within the pending period before asOf (R-ORD-5).
	pendingSince := asOf.Add(-licensing.OrderPendingPeriod)
	err := s.ctx(ctx).Model(&SubscriptionChange{}).
		Select("subscription_id, SUM(delta) AS total, SUM(CASE WHEN cause = ? AND effective_at > ? THEN delta ELSE 0 END) AS pending", CauseOrder, pendingSince).
		Where("reseller_id IN ? AND subscription_id IN ? AND effective_at <= ?", resellerIDs, ids, asOf).
		Group("subscription_id").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	byID := map[int64]sums{}
	for _, r := range rows {
		byID[r.SubscriptionID] = r
	}
	out := make([]SubscriptionView, len(subs))
	for i, sub := range subs {
		out[i] = SubscriptionView{Subscription: sub, AsOf: asOf, Status: sub.Term().StatusAt(asOf),
			QuantityAsOf: byID[sub.ID].Total, PendingQuantity: licensing.PendingPart(byID[sub.ID].Total, byID[sub.ID].Pending)}
	}
	return out, nil
}
