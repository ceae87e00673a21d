package models

import (
	"context"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// Renewing an enrollment into a new one (R-SUB-2, R-SUB-3, R-SUB-4, R-ACT-10).

// RenewalRequest is a renewEnrollment call: the new enrollment's number and term, and its
// lines (default: the old subscriptions' SKUs and quantities).
type RenewalRequest struct {
	EnrollmentNumber string
	NewNumber        string
	StartDate        licensing.Date
	EndDate          licensing.Date
	Lines            []licensing.OrderLineDraft
}

// Renewal is what renewEnrollment did.
type Renewal struct {
	Old, New *Enrollment
	Plan     licensing.RenewalPlan
}

// RenewEnrollment renews an enrollment into a new one with its lines: old subscriptions go
// IN_GRACE until the grace period ends, new ones are ACTIVE (R-SUB-2, R-SUB-3); the new
// enrollment joins the old account per R-ACT-10. Assignments are per account and SKU, so
// those of SKUs renewed carry over by themselves (R-SUB-4).
func (s *Store) RenewEnrollment(ctx context.Context, c Caller, r RenewalRequest, grace time.Duration, now time.Time) (*Renewal, error) {
	out := &Renewal{}
	err := s.InTx(ctx, func(tx *Store) error {
		old, err := tx.lockEnrollment(ctx, c, r.EnrollmentNumber)
		if err != nil {
			return err
		}
		if old.Status != licensing.EnrollmentActive {
			return refuse(licensing.CodeEnrollmentNotActive, "only an ACTIVE enrollment can be renewed; this one is "+string(old.Status), "enrollmentNumber")
		}
		a, err := byID[Agreement](ctx, tx, c, old.AgreementID)
		if err != nil {
			return err
		}
		var oldSubs []Subscription
		if err := tx.ctx(ctx).Clauses(lockForUpdate).Where("reseller_id = ? AND enrollment_id = ?", old.ResellerID, old.ID).Order("sku").Find(&oldSubs).Error; err != nil {
			return err
		}
		lines := r.Lines
		if len(lines) == 0 {
			for _, sub := range oldSubs {
				if sub.Term().StatusAt(now).Counts() && sub.Quantity > 0 {
					lines = append(lines, licensing.OrderLineDraft{SKU: sub.SKU, Quantity: sub.Quantity})
				}
			}
		}
		draft := licensing.OrderDraft{EnrollmentNumber: r.NewNumber, Lines: lines, PurchaseDate: r.StartDate, UsageStartDate: r.StartDate, IdempotencyKey: "renewal"}
		codes := make([]string, len(lines))
		for i, l := range lines {
			codes[i] = l.SKU
		}
		catalog, err := tx.catalogFacts(ctx, codes)
		if err != nil {
			return err
		}
		if err := licensing.ValidateOrder(draft, licensing.OrderFacts{EnrollmentStatus: licensing.EnrollmentActive, Catalog: catalog}).Err(); err != nil {
			return err
		}
		out.New, err = tx.CreateEnrollment(ctx, c, old.AgreementID, licensing.EnrollmentDraft{Number: r.NewNumber, OrganizationName: old.OrganizationName,
			OSMName: old.OSMName, OSMEmail: old.OSMEmail, StartDate: r.StartDate, EndDate: r.EndDate})
		if err != nil {
			return err
		}
		newEnr := out.New
		// Its creation stands for its first processing (see ActivationFacts): the request's
		// instant, not the wall clock's.
		newEnr.RenewedFromID, newEnr.OriginalPurchaseDate, newEnr.CreatedAt = &old.ID, r.StartDate, now
		if err := tx.ctx(ctx).Model(newEnr).Updates(map[string]any{"renewed_from_id": old.ID, "original_purchase_date": r.StartDate, "created_at": now}).Error; err != nil {
			return err
		}
		var facts licensing.RenewalFacts
		for _, sub := range oldSubs {
			facts.Old = append(facts.Old, licensing.RenewalSubscription{ID: sub.ID, SKU: sub.SKU})
		}
		for _, l := range lines {
			sub, err := tx.lockEnrollmentSubscription(ctx, newEnr, a.Program, l.SKU, now)
			if err != nil {
				return err
			}
			if err := tx.changeQuantity(ctx, sub, l.Quantity, CauseRenewal, nil, nil, now); err != nil {
				return err
			}
			facts.New = append(facts.New, licensing.RenewalSubscription{ID: sub.ID, SKU: sub.SKU})
		}
		out.Plan = licensing.PlanRenewal(facts, now, grace)
		for _, ch := range out.Plan.Old {
			if err := tx.ctx(ctx).Model(&Subscription{}).Where("reseller_id = ? AND id = ?", old.ResellerID, ch.SubscriptionID).
				Updates(map[string]any{"grace_from": ch.GraceFrom, "grace_until": ch.GraceUntil, "updated_at": now}).Error; err != nil {
				return err
			}
		}
		old.Status = licensing.EnrollmentRenewed
		if err := tx.ctx(ctx).Model(old).Update("status", old.Status).Error; err != nil {
			return err
		}
		out.Old = old
		// R-ACT-10: the same organization name joins the old account, unless several
		// enrollments of the agreement share that name.
		var sameName int64
		// Live enrollments only: the renewed predecessors of a chain are not "several enrollments".
		if err := tx.ctx(ctx).Model(&Enrollment{}).Where("reseller_id = ? AND agreement_id = ? AND id <> ? AND LOWER(organization_name) = ? AND (status <> ? OR id = ?)",
			old.ResellerID, old.AgreementID, newEnr.ID, strings.ToLower(old.OrganizationName), licensing.EnrollmentRenewed, old.ID).Count(&sameName).Error; err != nil {
			return err
		}
		names, err := tx.accountNames(ctx, old.ResellerID, old.AccountID)
		if err != nil {
			return err
		}
		assoc := licensing.RenewalAssociation(licensing.RenewalAssociationFacts{OldOrganizationName: old.OrganizationName, NewOrganizationName: newEnr.OrganizationName,
			EnrollmentsWithOrganizationName: int(sameName), OldAccountID: old.AccountID, AccountNames: names})
		if assoc.AssociateWith != nil {
			return tx.associate(ctx, newEnr, *assoc.AssociateWith, licensing.AssociatedByRenewal, now)
		}
		newEnr.RenewalNeedsActivation = assoc.SeveralSameName
		if err := tx.ctx(ctx).Model(newEnr).Update("renewal_needs_activation", newEnr.RenewalNeedsActivation).Error; err != nil {
			return err
		}
		// Each such renewal gets its own activation email (R-ACT-10 via R-ACT-1).
		plan := licensing.PlanActivationEmail(licensing.EmailFacts{Program: a.Program, ProcessedAt: now, UsageStart: r.StartDate,
			FirstOnlineServiceOrder: true, OSMEmail: newEnr.OSMEmail})
		if plan.Send {
			return tx.recordEmail(ctx, newEnr, plan.Recipient, plan.Subject, plan.Trigger, plan.ScheduledAt, plan.DueBy, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
