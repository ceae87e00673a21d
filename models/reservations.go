package models

import (
	"context"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// Reservations (R-RES): reserving, processing and the MANAGE_RESERVATIONS permission.

// Reservation adds licenses at once, billed at the next anniversary (R-RES-1).
type Reservation struct {
	ID             int64
	ResellerID     int64
	EnrollmentID   int64
	SubscriptionID int64
	SKU            string `gorm:"column:sku"`
	Quantity       int
	Status         licensing.ReservationStatus
	ContactEmail   string
	ReservedAt     time.Time
	ProcessedAt    *time.Time
	BillingDate    licensing.Date
	IdempotencyKey string
	Fingerprint    string
}

// OverdueAt is when the reservation is overdue if it is still pending then (R-RES-4).
func (r Reservation) OverdueAt() time.Time { return licensing.OverdueAt(r.ReservedAt) }

// Overdue tells whether the reservation is overdue as of asOf (licensing.ReservationOverdue, R-RES-4).
func (r Reservation) Overdue(asOf time.Time) bool {
	return licensing.ReservationOverdue(r.Status, r.ReservedAt, asOf)
}

// ReservationPermission is MANAGE_RESERVATIONS granted to an enrollment's OSM (R-RES-3).
type ReservationPermission struct {
	ID           int64
	ResellerID   int64
	EnrollmentID int64
	Email        string
	GrantedBy    string
	GrantedAt    time.Time
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
// the agreement's next anniversary (R-RES-1), if the acting contact may reserve (R-RES-2). One
// transaction reads the enrollment, the facts it is checked against and the key's earlier
// reservation: the idempotency key makes a retried call return the first reservation.
func (s *Store) CreateReservation(ctx context.Context, c Caller, d licensing.ReservationDraft, now time.Time) (*Reservation, error) {
	var res *Reservation
	err := s.InTx(ctx, func(tx *Store) error {
		// Read without a lock, like an order's: the reservation checks the enrollment as it is now.
		e, err := tx.enrollmentForWrite(ctx, c, d.EnrollmentNumber)
		if err != nil {
			return err
		}
		if err := tx.checkReservation(ctx, e, d, now); err != nil {
			return err
		}
		fingerprint := licensing.ReservationFingerprint(d.EnrollmentNumber, d.SKU, d.Quantity, d.ContactEmail)
		if res, err = earlierWithKey(ctx, tx, e.ResellerID, d.IdempotencyKey, fingerprint, func(r *Reservation) string { return r.Fingerprint }); res != nil || err != nil {
			return err
		}
		res, err = tx.reserve(ctx, c, e, d, fingerprint, now)
		return err
	})
	return orNil(res, wrap("create reservation", err))
}

// checkReservation loads the facts of licensing.ValidateReservation and applies it.
func (s *Store) checkReservation(ctx context.Context, e *Enrollment, d licensing.ReservationDraft, now time.Time) error {
	f := licensing.ReservationFacts{EnrollmentNumber: e.Number, EnrollmentStatus: e.Status, EnrollmentEndDate: e.EndDate, Today: licensing.DateOf(now)}
	catalog, err := s.catalogFacts(ctx, []string{d.SKU})
	if err != nil {
		return err
	}
	if k, ok := catalog[d.SKU]; ok {
		f.SKU = &k
		if f.SubscribedSKUs, err = s.activeSKUs(ctx, e.ID, e.ResellerID, now); err != nil {
			return err
		}
	}
	return licensing.ValidateReservation(d, f).Err()
}

// reserve records an accepted reservation in CreateReservation's transaction: who reserves is
// checked first (licensing.MayReserve), then the licenses are added to the enrollment's
// subscription, locked.
func (s *Store) reserve(ctx context.Context, c Caller, e *Enrollment, d licensing.ReservationDraft, fingerprint string, now time.Time) (*Reservation, error) {
	a, err := byID[Agreement](ctx, s, c, e.AgreementID)
	if err != nil {
		return nil, err
	}
	actor := licensing.ReservationActor{IsOSM: e.OSMEmail != "" && strings.EqualFold(e.OSMEmail, d.ContactEmail)}
	if actor.Roles, err = s.contactRoles(ctx, e.ResellerID, e.AgreementID, d.ContactEmail); err != nil {
		return nil, err
	}
	if actor.IsOSM {
		if actor.OSMCanManageReservations, err = s.holdsReservationPermission(ctx, e, d.ContactEmail); err != nil {
			return nil, err
		}
	}
	if err := problem(licensing.MayReserve(actor)); err != nil {
		return nil, err
	}
	conflicts, err := s.watchConflicts(ctx, e.ResellerID, now, e.AccountID) // licenses added at once may resolve one
	if err != nil {
		return nil, err
	}
	sub, err := s.lockEnrollmentSubscription(ctx, e, a.Program, d.SKU, now)
	if err != nil {
		return nil, err
	}
	res := Reservation{ID: newID(), ResellerID: e.ResellerID, EnrollmentID: e.ID, SubscriptionID: sub.ID, SKU: d.SKU, Quantity: d.Quantity,
		Status: licensing.ReservationPending, ContactEmail: d.ContactEmail, ReservedAt: now,
		BillingDate: licensing.ReservationBillingDate(a.AnniversaryDate, now), IdempotencyKey: d.IdempotencyKey, Fingerprint: fingerprint}
	if err := s.insertOnce(ctx, &res); err != nil {
		return nil, err
	}
	if err := s.changeQuantity(ctx, sub, d.Quantity, CauseReservation, nil, &res.ID, now); err != nil {
		return nil, err
	}
	return &res, conflicts.record(ctx, s)
}

// holdsReservationPermission tells whether email holds MANAGE_RESERVATIONS on the enrollment.
func (s *Store) holdsReservationPermission(ctx context.Context, e *Enrollment, email string) (bool, error) {
	var n int64
	err := s.ctx(ctx).Model(&ReservationPermission{}).Where("reseller_id = ? AND enrollment_id = ? AND email = ?", e.ResellerID, e.ID, strings.ToLower(email)).Count(&n).Error
	return n > 0, err
}

// ProcessReservation marks a PENDING reservation EFFECTIVE (R-RES-4), an operator action.
func (s *Store) ProcessReservation(ctx context.Context, c Caller, id int64, now time.Time) (*Reservation, error) {
	return updateLocked(ctx, s, "process reservation", c, id, "reservation", "reservation", func(tx *Store, res *Reservation) error {
		if err := problem(licensing.CanProcessReservation(res.Status)); err != nil {
			return err
		}
		res.Status, res.ProcessedAt = licensing.ReservationEffective, &now
		return tx.ctx(ctx).Model(res).Updates(map[string]any{"status": res.Status, "processed_at": now}).Error
	})
}

// SetReservationPermission grants (or revokes) MANAGE_RESERVATIONS on an enrollment to its
// OSM; the acting contact must be the AGREEMENT_ADMINISTRATOR (R-RES-3). The enrollment is
// locked, so its OSM cannot change (UpdateSubscriptionContact) before the grant is written.
func (s *Store) SetReservationPermission(ctx context.Context, c Caller, enrollmentNumber, actingEmail string, grant bool, now time.Time) (*Enrollment, error) {
	var e *Enrollment
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		if e, err = tx.lockEnrollment(ctx, c, enrollmentNumber); err != nil {
			return err
		}
		roles, err := tx.contactRoles(ctx, e.ResellerID, e.AgreementID, actingEmail)
		if err != nil {
			return err
		}
		if err := problem(licensing.MayManageReservationPermission(roles, e.OSMEmail)); err != nil {
			return err
		}
		osm := strings.ToLower(e.OSMEmail)
		q := tx.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ? AND email = ?", e.ResellerID, e.ID, osm)
		if !grant {
			return q.Delete(&ReservationPermission{}).Error
		}
		if held, err := tx.holdsReservationPermission(ctx, e, osm); err != nil || held {
			return err // granting twice keeps the first grant
		}
		// The unique key decides between concurrent grants (the enrollment lock holds on one
		// cluster node only): the loser runs again and finds the first grant.
		return tx.insertOnce(ctx, &ReservationPermission{ID: newID(), ResellerID: e.ResellerID, EnrollmentID: e.ID, Email: osm, GrantedBy: actingEmail, GrantedAt: now})
	})
	return orNil(e, wrap("set reservation permission", err))
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

// notBilledSQL mirrors licensing.NotYetBilled: billed on a day after the instant's day.
const notBilledSQL = "billing_date > ?"

// overdueSQL mirrors licensing.ReservationOverdue: still PENDING, reserved at or before the
// instant minus licensing.ReservationOverdueAfter (overdue from OverdueAt on).
const overdueSQL = "status = ? AND reserved_at <= ?"

// ReservationFilter narrows a reservation list.
type ReservationFilter struct {
	EnrollmentID  *int64
	Status        *licensing.ReservationStatus
	ReservedFrom  *time.Time
	ReservedTo    *time.Time
	NotBilledAsOf *time.Time // not yet billed then (licensing.NotYetBilled)
	OverdueAsOf   *time.Time // overdue then (licensing.ReservationOverdue)
}

func (s *Store) Reservations(ctx context.Context, c Caller, f ReservationFilter, p Page) (*List[Reservation], error) {
	// Two filters a page needs in SQL: notBilledSQL and overdueSQL mirror the rules, and
	// TestReservationFiltersFollowTheRules compares them on random data.
	rules := func(q *gorm.DB) *gorm.DB {
		if f.NotBilledAsOf != nil {
			q = q.Where(notBilledSQL, licensing.DateOf(*f.NotBilledAsOf))
		}
		if f.OverdueAsOf != nil {
			q = q.Where(overdueSQL, licensing.ReservationPending, f.OverdueAsOf.Add(-licensing.ReservationOverdueAfter))
		}
		return q
	}
	return filtered[Reservation](ctx, s, c, p, is("enrollment_id = ?", f.EnrollmentID), is("status = ?", f.Status),
		is("reserved_at >= ?", f.ReservedFrom), is("reserved_at <= ?", f.ReservedTo), rules)
}
