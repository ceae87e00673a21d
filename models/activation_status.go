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
	// One statement: the subscriptions, each with the processing instants of the enrollment's
	// processed orders that bought its SKU (one row per such line, none: NULL).
	var rows []struct {
		Subscription
		LineProcessedAt *time.Time
	}
	err := s.ctx(ctx).Raw(`SELECT su.*, p.processed_at AS line_processed_at FROM subscriptions su
		LEFT JOIN (SELECT l.sku AS sku, o.processed_at AS processed_at FROM order_lines l JOIN orders o ON o.id = l.order_id
			WHERE o.reseller_id = ? AND l.reseller_id = ? AND o.enrollment_id = ? AND o.status = ?) p ON p.sku = su.sku
		WHERE su.reseller_id = ? AND su.enrollment_id = ? ORDER BY su.sku`,
		e.ResellerID, e.ResellerID, e.ID, licensing.OrderProcessed, e.ResellerID, e.ID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	var codes []string
	latest := map[string]time.Time{}
	for _, r := range rows {
		if r.Term().StatusAt(asOf).Counts() && !slices.Contains(codes, r.SKU) {
			codes = append(codes, r.SKU)
		}
		if at := r.LineProcessedAt; at != nil && at.After(latest[r.SKU]) {
			latest[r.SKU] = *at
		}
	}
	catalog, err := s.SKUsByCode(ctx, codes)
	if err != nil {
		return nil, err
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
	var a *Agreement
	// Independent reads, each filling its own facts, at the same time: a status waits for one
	// round trip, not five.
	err := s.concurrently(
		func() (err error) { a, err = byID[Agreement](ctx, s, c, e.AgreementID); return err },
		func() error { return s.orderFacts(ctx, &f, e) },
		func() (err error) { f.Emails, err = s.emailFacts(ctx, e); return err },
		func() (err error) { f.Lines, err = s.enrollmentLines(ctx, e, asOf); return err },
		func() (err error) {
			// the SKUs "on the account" for compatibility are the others', not its own
			f.Account, err = s.oneAccountFacts(ctx, e.ResellerID, e.AccountID, e.ID)
			return err
		})
	if err != nil {
		return f, err
	}
	f.Program = a.Program
	if e.AccountID != nil {
		return f, nil
	}
	return f, s.landingFacts(ctx, &f, a, e)
}

// emailFacts is what activation needs of an enrollment's activation emails, in id order.
func (s *Store) emailFacts(ctx context.Context, e *Enrollment) ([]licensing.ActivationEmail, error) {
	var emails []ActivationEmail
	if err := s.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ?", e.ResellerID, e.ID).Order("id").Find(&emails).Error; err != nil {
		return nil, err
	}
	var out []licensing.ActivationEmail
	for _, m := range emails {
		out = append(out, licensing.ActivationEmail{Recipient: m.Recipient, Trigger: m.EmailTrigger, ScheduledAt: m.ScheduledAt, SentAt: m.SentAt,
			BouncedAt: m.BouncedAt, BounceReason: m.LastError})
	}
	return out, nil
}

// orderFacts loads what activation needs of an enrollment's orders and reservations, in one
// statement: whether it has any (a cancelled order is none), its first processing and usage
// start, when its oldest pending reservation is overdue (R-RES-4).
func (s *Store) orderFacts(ctx context.Context, f *licensing.ActivationFacts, e *Enrollment) error {
	var rows []struct {
		Kind       string
		Status     string
		At         *time.Time
		UsageStart licensing.Date
	}
	err := s.ctx(ctx).Raw(`SELECT 'O' AS kind, status, processed_at AS at, usage_start_date AS usage_start FROM orders
			WHERE reseller_id = ? AND enrollment_id = ? AND status <> ?
		UNION ALL SELECT 'R', status, reserved_at, NULL FROM reservations WHERE reseller_id = ? AND enrollment_id = ?`,
		e.ResellerID, e.ID, licensing.OrderCancelled, e.ResellerID, e.ID).Scan(&rows).Error
	if err != nil {
		return err
	}
	f.HasOrderOrReservation = len(rows) > 0
	var oldestPending *time.Time
	for _, r := range rows {
		switch {
		case r.Kind == "O" && r.Status == string(licensing.OrderProcessed) && r.At != nil:
			if f.FirstProcessedAt == nil || r.At.Before(*f.FirstProcessedAt) {
				f.FirstProcessedAt = r.At
			}
			if f.UsageStart.IsZero() || r.UsageStart.Before(f.UsageStart) {
				f.UsageStart = r.UsageStart
			}
		case r.Kind == "R" && r.Status == string(licensing.ReservationPending) && r.At != nil:
			if oldestPending == nil || r.At.Before(*oldestPending) {
				oldestPending = r.At
			}
		}
	}
	if oldestPending != nil {
		at := licensing.OverdueAt(*oldestPending)
		f.ReservationOverdueAt = &at
	}
	if f.FirstProcessedAt == nil && e.RenewedFromID != nil {
		// A renewal is created with its lines already licensed: its creation is its first
		// processing, and its term starts the usage (R-SUB-2, R-ACT-10).
		f.HasOrderOrReservation, f.FirstProcessedAt, f.UsageStart = true, &e.CreatedAt, e.StartDate
	}
	return nil
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
