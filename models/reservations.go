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
