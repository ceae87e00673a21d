package models

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// The facts activationStatus explains (R-ACT-12).

// enrollmentLines returns the SKUs subscribed on an enrollment and ACTIVE as of asOf (a
// cancelled or expired subscription is no line: R-SUB-1), with catalog facts and when their
// latest processed licenses stop being pending (R-ORD-5).
func (s *Store) enrollmentLines(ctx context.Context, e *Enrollment, asOf time.Time) ([]licensing.ActivationLine, error) {
	var subs []Subscription
	if err := s.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ?", e.ResellerID, e.ID).Order("sku").Find(&subs).Error; err != nil {
		return nil, err
	}
	var codes []string
	for _, sub := range subs {
		if sub.Term().StatusAt(asOf).Counts() {
			codes = append(codes, sub.SKU)
		}
	}
	catalog, err := s.SKUsByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	type processedLine struct {
		SKU         string
		ProcessedAt time.Time
	}
	var processed []processedLine
	// Plain columns, not MAX(): SQLite returns an aggregate of a time column as text.
	err = s.ctx(ctx).Raw(`SELECT l.sku AS sku, o.processed_at AS processed_at FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE o.reseller_id = ? AND l.reseller_id = ? AND o.enrollment_id = ? AND o.status = ?`,
		e.ResellerID, e.ResellerID, e.ID, licensing.OrderProcessed).Scan(&processed).Error
	if err != nil {
		return nil, err
	}
	latest := map[string]time.Time{}
	for _, p := range processed {
		if p.ProcessedAt.After(latest[p.SKU]) {
			latest[p.SKU] = p.ProcessedAt
		}
	}
	var out []licensing.ActivationLine
	for _, k := range catalog {
		line := licensing.ActivationLine{SKU: k.Code, Family: k.Family, Kind: k.Kind, BaseSKUs: k.BaseList(), Countries: k.CountryList(), IncompatibleSKUs: k.IncompatibleList()}
		if at, ok := latest[k.Code]; ok {
			until := licensing.PendingUntil(at)
			line.PendingUntil = &until
		}
		out = append(out, line)
	}
	slices.SortFunc(out, func(a, b licensing.ActivationLine) int { return strings.Compare(a.SKU, b.SKU) })
	return out, nil
}

// ActivationStatus explains an enrollment's activation as of asOf from everything stored about
// it (licensing.ActivationStatusAt, R-ACT-12).
func (s *Store) ActivationStatus(ctx context.Context, c Caller, e *Enrollment, asOf time.Time) (licensing.ActivationStatus, error) {
	var f licensing.ActivationFacts
	err := s.aggregate(ctx, func() (err error) {
		f, err = s.activationFacts(ctx, c, e, asOf)
		return err
	})
	if err != nil {
		return licensing.ActivationStatus{}, err
	}
	return licensing.ActivationStatusAt(f, asOf), nil
}

func (s *Store) activationFacts(ctx context.Context, c Caller, e *Enrollment, asOf time.Time) (licensing.ActivationFacts, error) {
	f := licensing.ActivationFacts{OrganizationName: e.OrganizationName, OSMEmail: e.OSMEmail, OriginalPurchase: e.OriginalPurchaseDate,
		AssociatedAt: e.AssociatedAt, AssociationCause: e.AssociationCause, LastActivatedAt: e.LastActivatedAt,
		LinkReenabledUntil: e.LinkReenabledUntil, RenewalNeedsOwnActivation: e.RenewalNeedsActivation}
	a, err := byID[Agreement](ctx, s, c, e.AgreementID)
	if err != nil {
		return f, err
	}
	f.Program = a.Program
	var orders []Order
	if err := s.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ? AND status <> ?", e.ResellerID, e.ID, licensing.OrderCancelled).Order("id").Find(&orders).Error; err != nil {
		return f, err
	}
	var reservations []Reservation
	if err := s.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ?", e.ResellerID, e.ID).Order("reserved_at").Find(&reservations).Error; err != nil {
		return f, err
	}
	f.HasOrderOrReservation = len(orders) > 0 || len(reservations) > 0
	for _, o := range orders {
		if o.Status != licensing.OrderProcessed {
			continue
		}
		if f.FirstProcessedAt == nil || o.ProcessedAt.Before(*f.FirstProcessedAt) {
			f.FirstProcessedAt = o.ProcessedAt
		}
		if f.UsageStart.IsZero() || o.UsageStartDate.Before(f.UsageStart) {
			f.UsageStart = o.UsageStartDate
		}
	}
	if f.FirstProcessedAt == nil && e.RenewedFromID != nil {
		// A renewal is created with its lines already licensed: its creation is its first
		// processing, and its term starts the usage (R-SUB-2, R-ACT-10).
		f.HasOrderOrReservation, f.FirstProcessedAt, f.UsageStart = true, &e.CreatedAt, e.StartDate
	}
	for _, r := range reservations {
		if r.Status == licensing.ReservationPending {
			at := licensing.OverdueAt(r.ReservedAt)
			f.ReservationOverdueAt = &at
			break
		}
	}
	var emails []ActivationEmail
	if err := s.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ?", e.ResellerID, e.ID).Order("id").Find(&emails).Error; err != nil {
		return f, err
	}
	for _, m := range emails {
		f.Emails = append(f.Emails, licensing.ActivationEmail{Recipient: m.Recipient, Trigger: m.EmailTrigger, ScheduledAt: m.ScheduledAt, SentAt: m.SentAt,
			BouncedAt: m.BouncedAt, BounceReason: m.LastError})
	}
	if f.Lines, err = s.enrollmentLines(ctx, e, asOf); err != nil {
		return f, err
	}
	if e.AccountID != nil { // the SKUs "on the account" for compatibility are the others', not its own
		f.Account, err = s.oneAccountFacts(ctx, e.ResellerID, e.AccountID, e.ID)
		return f, err
	}
	return f, s.landingFacts(ctx, &f, a, e)
}

// landingFacts loads, for an enrollment on no account, the accounts it could land on without
// anyone choosing (licensing.ActivationFacts): its agreement's (R-ENR-5), the renewed
// enrollment's (R-ACT-10) and the customer's accounts its OSM may identify (R-ACT-2).
func (s *Store) landingFacts(ctx context.Context, f *licensing.ActivationFacts, a *Agreement, e *Enrollment) error {
	agreementAccount, err := s.agreementAccount(ctx, e)
	if err != nil {
		return err
	}
	bound := licensing.BoundAccount(a.Program, licensing.HasFamily(f.Lines, licensing.FamilyDynamics365), agreementAccount)
	if f.BoundAccount, err = s.oneAccountFacts(ctx, e.ResellerID, bound, e.ID); err != nil {
		return err
	}
	if e.RenewedFromID != nil {
		var old Enrollment
		if err := s.ctx(ctx).Where("reseller_id = ? AND id = ?", e.ResellerID, *e.RenewedFromID).Take(&old).Error; err != nil {
			return err
		}
		f.RenewedFrom = &licensing.RenewedEnrollment{OrganizationName: old.OrganizationName}
		if f.RenewedFrom.Account, err = s.oneAccountFacts(ctx, e.ResellerID, old.AccountID, old.ID, e.ID); err != nil {
			return err
		}
	}
	f.CustomerAccounts, err = s.accountFacts(ctx, e.ResellerID, func(q *gorm.DB) *gorm.DB { return q.Where("customer_id = ?", a.CustomerID) }, e.ID)
	return err
}
