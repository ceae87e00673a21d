package models

import (
	"context"
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

// RenewEnrollment renews an enrollment into a new one with its lines, in one transaction that
// locks the old enrollment and its subscriptions: old subscriptions go IN_GRACE until the grace
// period ends, new ones are ACTIVE (licensing.PlanRenewal); the new enrollment joins the old
// account or gets its own activation email (licensing.RenewalAssociation). Assignments are per
// account and SKU, so those of SKUs renewed carry over by themselves (R-SUB-4).
func (s *Store) RenewEnrollment(ctx context.Context, c Caller, r RenewalRequest, grace time.Duration, now time.Time) (*Renewal, error) {
	out := &Renewal{}
	err := s.InTx(ctx, func(tx *Store) error {
		old, err := tx.lockEnrollment(ctx, c, r.EnrollmentNumber)
		if err != nil {
			return err
		}
		if err := problem(licensing.CanRenewEnrollment(old.Status)); err != nil {
			return err
		}
		if err := licensing.CheckRenewalTerm(old.StartDate, r.StartDate, r.EndDate).Err(); err != nil {
			return err
		}
		a, err := byID[Agreement](ctx, tx, c, old.AgreementID)
		if err != nil {
			return err
		}
		var oldSubs []Subscription
		if err := tx.ctx(ctx).Clauses(lockForUpdate).Where("reseller_id = ? AND enrollment_id = ?", old.ResellerID, old.ID).Order("sku").Find(&oldSubs).Error; err != nil {
			return err
		}
		facts := licensing.RenewalFacts{}
		for _, sub := range oldSubs {
			facts.Old = append(facts.Old, licensing.RenewalSubscription{ID: sub.ID, SKU: sub.SKU, Quantity: sub.Quantity, Term: sub.Term()})
		}
		lines := licensing.RenewalLines(r.Lines, facts.Old, now)
		if err := tx.checkRenewalLines(ctx, r, lines); err != nil {
			return err
		}
		conflicts, err := tx.watchConflicts(ctx, old.ResellerID, now, old.AccountID)
		if err != nil {
			return err
		}
		if out.New, err = tx.createRenewal(ctx, c, old, r, now); err != nil {
			return err
		}
		if out.Plan, err = tx.renewSubscriptions(ctx, a.Program, out.New, facts, lines, r.StartDate, grace, now); err != nil {
			return err
		}
		old.Status = licensing.EnrollmentRenewed
		if err := tx.ctx(ctx).Model(old).Update("status", old.Status).Error; err != nil {
			return err
		}
		if err := tx.recordInGrace(ctx, oldSubs, out.Plan, now); err != nil {
			return err
		}
		// Recorded before associateRenewal: an association there records its own.
		if err := conflicts.record(ctx, tx); err != nil {
			return err
		}
		out.Old = old
		return tx.associateRenewal(ctx, a, old, out.New, now)
	})
	if err != nil {
		return nil, wrap("renew enrollment", err)
	}
	return out, nil
}

// checkRenewalLines applies the order rules to a renewal's lines (licensing.ValidateOrder): the
// renewal has no idempotency key or day of its own to check.
func (s *Store) checkRenewalLines(ctx context.Context, r RenewalRequest, lines []licensing.OrderLineDraft) error {
	codes := make([]string, len(lines))
	for i, l := range lines {
		codes[i] = l.SKU
	}
	catalog, err := s.catalogFacts(ctx, codes)
	if err != nil {
		return err
	}
	draft := licensing.OrderDraft{EnrollmentNumber: r.NewNumber, Lines: lines, PurchaseDate: r.StartDate, UsageStartDate: r.StartDate, IdempotencyKey: "renewal"}
	return licensing.ValidateOrder(draft, licensing.OrderFacts{EnrollmentStatus: licensing.EnrollmentActive, Catalog: catalog}).Err()
}

// createRenewal creates the new enrollment of a renewal. Its creation stands for its first
// processing (see activationFacts): its instant is the request's, not the wall clock's.
func (s *Store) createRenewal(ctx context.Context, c Caller, old *Enrollment, r RenewalRequest, now time.Time) (*Enrollment, error) {
	e, err := s.CreateEnrollment(ctx, c, old.AgreementID, licensing.EnrollmentDraft{Number: r.NewNumber, OrganizationName: old.OrganizationName,
		OSMName: old.OSMName, OSMEmail: old.OSMEmail, StartDate: r.StartDate, EndDate: r.EndDate}, now)
	if err != nil {
		return nil, err
	}
	e.RenewedFromID, e.OriginalPurchaseDate = &old.ID, r.StartDate
	return e, s.ctx(ctx).Model(e).Updates(map[string]any{"renewed_from_id": old.ID, "original_purchase_date": r.StartDate}).Error
}

// renewSubscriptions creates the new enrollment's subscriptions with the renewal's lines and puts
// the old ones in grace (licensing.PlanRenewal), both from the new term's start.
func (s *Store) renewSubscriptions(ctx context.Context, program licensing.Program, e *Enrollment, facts licensing.RenewalFacts, lines []licensing.OrderLineDraft,
	start licensing.Date, grace time.Duration, now time.Time) (licensing.RenewalPlan, error) {
	var subs []*Subscription
	for _, l := range lines {
		sub, err := s.lockEnrollmentSubscription(ctx, e, program, l.SKU, now)
		if err != nil {
			return licensing.RenewalPlan{}, err
		}
		subs = append(subs, sub)
		facts.New = append(facts.New, licensing.RenewalSubscription{ID: sub.ID, SKU: sub.SKU})
	}
	plan := licensing.PlanRenewal(facts, start, grace)
	for i, l := range lines {
		// The new lines' licenses take effect with the new term (pending before it, R-ORD-5).
		if err := s.changeQuantity(ctx, subs[i], l.Quantity, CauseRenewal, nil, nil, now); err != nil {
			return licensing.RenewalPlan{}, err
		}
		if err := s.ctx(ctx).Model(&SubscriptionChange{}).Where("reseller_id = ? AND subscription_id = ? AND cause = ?", e.ResellerID, subs[i].ID, CauseRenewal).
			Update("effective_at", plan.GraceFrom).Error; err != nil {
			return licensing.RenewalPlan{}, err
		}
	}
	for _, ch := range plan.Old {
		if err := s.touchSubscriptions(ctx, now, e.ResellerID, ch.SubscriptionID); err != nil {
			return licensing.RenewalPlan{}, err
		}
		if err := s.ctx(ctx).Model(&Subscription{}).Where("reseller_id = ? AND id = ?", e.ResellerID, ch.SubscriptionID).
			Updates(map[string]any{"grace_from": ch.GraceFrom, "grace_until": ch.GraceUntil, "updated_at": now}).Error; err != nil {
			return licensing.RenewalPlan{}, err
		}
	}
	return plan, nil
}

// associateRenewal puts the renewal on the old enrollment's account, or plans its own activation
// email (licensing.RenewalAssociation, R-ACT-10).
func (s *Store) associateRenewal(ctx context.Context, a *Agreement, old, renewal *Enrollment, now time.Time) error {
	var others []licensing.NamedEnrollment
	if err := s.ctx(ctx).Model(&Enrollment{}).Select("id", "organization_name", "status").
		Where("reseller_id = ? AND agreement_id = ? AND id <> ?", old.ResellerID, old.AgreementID, renewal.ID).Scan(&others).Error; err != nil {
		return err
	}
	names, err := s.accountNames(ctx, old.ResellerID, old.AccountID)
	if err != nil {
		return err
	}
	f := licensing.RenewalAssociationFacts{OldOrganizationName: old.OrganizationName, NewOrganizationName: renewal.OrganizationName,
		EnrollmentsWithOrganizationName: licensing.SameNameEnrollments(old.OrganizationName, old.ID, others), OldAccountID: old.AccountID, AccountNames: names}
	// The old account must take the renewal's lines; the old enrollment's SKUs leave with its grace.
	if f.OldAccount, err = s.oneAccountFacts(ctx, old.ResellerID, old.AccountID, old.ID); err != nil {
		return err
	}
	if f.Lines, err = s.enrollmentLines(ctx, renewal, now); err != nil {
		return err
	}
	assoc := licensing.RenewalAssociation(f)
	if assoc.AssociateWith != nil {
		return s.associate(ctx, renewal, *assoc.AssociateWith, licensing.AssociatedByRenewal, now)
	}
	renewal.RenewalNeedsActivation = assoc.SeveralSameName
	if err := s.ctx(ctx).Model(renewal).Update("renewal_needs_activation", renewal.RenewalNeedsActivation).Error; err != nil {
		return err
	}
	// Each such renewal gets its own activation email.
	plan := licensing.PlanActivationEmail(licensing.EmailFacts{Program: a.Program, ProcessedAt: now, UsageStart: renewal.StartDate,
		FirstOnlineServiceOrder: true, OSMEmail: renewal.OSMEmail})
	if plan.Send {
		return s.recordEmail(ctx, renewal, plan.Recipient, plan.Subject, plan.Trigger, plan.ScheduledAt, plan.DueBy, now)
	}
	return nil
}
