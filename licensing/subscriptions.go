package licensing

import (
	"fmt"
	"slices"
	"time"
)

// Subscriptions (R-SUB): status as of an instant, licensed quantity, renewal plan and grace,
// deprovisioning, renewing, cancelling and new totals.

const (
	CodeCancelThroughSupport     Code = "CANCEL_THROUGH_SUPPORT"     // MOSP is cancelled by support (R-SUB-6)
	CodeCancelNotAllowed         Code = "CANCEL_NOT_ALLOWED"         // the program does not allow cancelling (R-SUB-6)
	CodeSubscriptionNotRenewable Code = "SUBSCRIPTION_NOT_RENEWABLE" // IN_GRACE, DEPROVISIONED or cancelled (R-SUB-5)
	CodeSubscriptionNotActive    Code = "SUBSCRIPTION_NOT_ACTIVE"    // a quantity change on an expired, in-grace or cancelled subscription
)

// SubscriptionStatus is the state of a subscription as of an instant.
type SubscriptionStatus string

const (
	SubscriptionActive        SubscriptionStatus = "ACTIVE"
	SubscriptionInGrace       SubscriptionStatus = "IN_GRACE"
	SubscriptionExpired       SubscriptionStatus = "EXPIRED"
	SubscriptionDeprovisioned SubscriptionStatus = "DEPROVISIONED"
)

// SubscriptionTerm holds the facts that decide a subscription's status at an instant.
type SubscriptionTerm struct {
	// EndDate is the last day the subscription covers; zero means no fixed end.
	EndDate   Date
	AutoRenew bool
	// CancelledAt is when the subscription was cancelled (R-SUB-6); it stops counting then.
	CancelledAt *time.Time
	// GraceFrom is when the enrollment was renewed into a new one (R-SUB-2);
	// GraceUntil is when the grace period ends and the subscription is deprovisioned (R-SUB-3).
	GraceFrom  *time.Time
	GraceUntil *time.Time
}

// StatusAt is the subscription's status as of asOf:
//   - a cancelled subscription is EXPIRED from the cancellation on (MayCancelSubscription);
//   - from the renewal of its enrollment it is IN_GRACE (PlanRenewal),
//   - and DEPROVISIONED once the grace period has ended (GraceEndedBy);
//   - past its end date with auto-renew off it is EXPIRED (auto-renew keeps it ACTIVE; a renewal
//     makes it ACTIVE again, CanRenewSubscription);
//   - otherwise ACTIVE, the only status whose quantity counts (LicensedQuantityAt).
func (s SubscriptionTerm) StatusAt(asOf time.Time) SubscriptionStatus {
	// A cancellation stands even if the enrollment is renewed later.
	if s.CancelledAt != nil && !asOf.Before(*s.CancelledAt) {
		return SubscriptionExpired
	}
	if s.GraceFrom != nil && !asOf.Before(*s.GraceFrom) {
		// GraceUntil is always set with GraceFrom (PlanRenewal fills the default).
		if s.GraceEndedBy(asOf) {
			return SubscriptionDeprovisioned
		}
		return SubscriptionInGrace
	}
	if !s.EndDate.IsZero() && !s.AutoRenew && !asOf.Before(s.EndDate.AddDays(1).Start()) {
		return SubscriptionExpired
	}
	return SubscriptionActive
}

// GraceEndedBy tells whether the grace period of a renewed subscription has ended by asOf: from
// then on it is deprovisioned and its data deleted (DeprovisionedUsers).
func (s SubscriptionTerm) GraceEndedBy(asOf time.Time) bool {
	return s.GraceUntil != nil && !asOf.Before(*s.GraceUntil)
}

// Counts reports whether a subscription in this status adds to the licensed quantity
// (LicensedQuantityAt).
func (st SubscriptionStatus) Counts() bool { return st == SubscriptionActive }

// HeldSubscription is one subscription of a SKU on an account.
type HeldSubscription struct {
	ID       int64
	Quantity int
	// ReservedNotBilled is the part of Quantity added by reservations not yet billed
	// (R-RES-1); only the license summary (R-BI-1) reads it.
	ReservedNotBilled int
	Term              SubscriptionTerm
	// Changes are the changes of Quantity whose licenses may still be pending (PendingAdded):
	// at least those that took effect after 12 hours before any instant asked about.
	Changes []QuantityChange
}

// PendingAt is how much of the subscription's quantity is not yet on the account as of asOf
// (R-ORD-5): the pending part (PendingPart) of an ACTIVE subscription; no other status has
// licenses to come.
func (s HeldSubscription) PendingAt(asOf time.Time) int {
	if s.Quantity <= 0 || !s.Term.StatusAt(asOf).Counts() {
		return 0
	}
	return PendingPart(s.Quantity, PendingAdded(s.Changes, asOf))
}

// R-SUB-1: LicensedQuantityAt is the licensed quantity as of asOf: that of ACTIVE subscriptions
// only, less their licenses still pending (PendingAt: not yet on the account, R-ORD-5).
// IN_GRACE, EXPIRED and DEPROVISIONED subscriptions add nothing, so an enrollment and its
// renewal are not a double count.
func LicensedQuantityAt(subs []HeldSubscription, asOf time.Time) int {
	n := 0
	for _, s := range subs {
		if s.Quantity > 0 {
			n += LicensedPart(s.Term.StatusAt(asOf), s.Quantity, s.PendingAt(asOf))
		}
	}
	return n
}

// pendingQuantityAt is the quantity of ACTIVE subscriptions still pending as of asOf
// (PendingAt): reported apart from the licensed quantity.
func pendingQuantityAt(subs []HeldSubscription, asOf time.Time) int {
	n := 0
	for _, s := range subs {
		n += s.PendingAt(asOf)
	}
	return n
}

// inGraceQuantityAt is the quantity of IN_GRACE subscriptions: not licensed (R-SUB-1), but
// its users keep access until the grace period ends (R-SUB-3, R-SUB-4).
func inGraceQuantityAt(subs []HeldSubscription, asOf time.Time) int {
	n := 0
	for _, s := range subs {
		if s.Quantity > 0 && s.Term.StatusAt(asOf) == SubscriptionInGrace {
			n += s.Quantity
		}
	}
	return n
}

// R-SUB-5: CanRenewSubscription lets a subscription past its end date with auto-renew off
// (EXPIRED) be renewed, which makes it ACTIVE again (RenewedEndDate).
// Renewing an ACTIVE one (auto-renewing or not) is accepted and leaves it ACTIVE, so a
// retried renew is not an error. IN_GRACE belongs to a renewed enrollment (its successor
// carries on, R-SUB-2) and DEPROVISIONED has lost its data (R-SUB-3): neither renews.
// Input {"subscription"}.
func CanRenewSubscription(status SubscriptionStatus, cancelled bool) *Problem {
	if cancelled {
		return refusal(CodeSubscriptionNotRenewable, "this subscription was cancelled; order a new one", "subscription")
	}
	switch status {
	case SubscriptionActive, SubscriptionExpired:
		return nil
	case SubscriptionInGrace:
		return refusal(CodeSubscriptionNotRenewable, "this subscription is IN_GRACE because its enrollment was renewed; use the new enrollment's subscription", "subscription")
	case SubscriptionDeprovisioned:
		return refusal(CodeSubscriptionNotRenewable, "this subscription is DEPROVISIONED and its data deleted; order a new one", "subscription")
	}
	return refusal(CodeSubscriptionNotRenewable, fmt.Sprintf("a subscription in status %s cannot be renewed", orDash(string(status))), "subscription")
}

// RenewedEndDate is the end of a renewed subscription's new one-year term (CanRenewSubscription): a year
// after its old end date, or after asOf's day when it lapsed earlier than that.
func RenewedEndDate(end Date, asOf time.Time) Date {
	from := end
	if today := DateOf(asOf); end.IsZero() || end.Before(today) {
		from = today
	}
	return from.AddYears(1)
}

// R-SUB-6: MayCancelSubscription lets the reseller cancel OPEN_VALUE and MPSA subscriptions;
// MOSP ones are cancelled through support (bySupport: a platform operator acting as support);
// the others are refused with the reason. Input {"subscription"}.
func MayCancelSubscription(p Program, bySupport bool) *Problem {
	switch p {
	case ProgramOpenValue, ProgramMPSA:
		return nil
	case ProgramMOSP:
		if bySupport {
			return nil
		}
		return refusal(CodeCancelThroughSupport, "a MOSP (direct) subscription is cancelled through support, not by the reseller", "subscription")
	case ProgramEnterprise, ProgramEnterpriseSubscription, ProgramCampusAndSchool:
		return refusal(CodeCancelNotAllowed, fmt.Sprintf("%s subscriptions are committed for the enrollment's term and cannot be cancelled; lower them at renewal", p), "subscription")
	}
	return refusal(CodeCancelNotAllowed, fmt.Sprintf("subscriptions of program %s cannot be cancelled", orDash(string(p))), "subscription")
}

// R-SUB-7: ValidateNewTotal: buying more sends the new total, not a delta (100 plus 5 more is
// 105). The total must be 1..MaxOrderQuantity; the same total is a no-op. Lowering below what
// is assigned is DecideQuantityLowering's. Input {"total"}.
func ValidateNewTotal(current, newTotal int) *Problem {
	if newTotal >= 1 && newTotal <= MaxOrderQuantity {
		return nil
	}
	return refusal(CodeInvalidQuantity, fmt.Sprintf("the new total %d must be between 1 and %d; it is the total after buying, not the number to add (to add 5 to %d, send %d)", newTotal, MaxOrderQuantity, current, current+5), "total")
}

// CanChangeQuantity: only a subscription that counts (ACTIVE) and is not cancelled takes a new
// total (ValidateNewTotal). Input {"subscription"}.
func CanChangeQuantity(status SubscriptionStatus, cancelled bool) *Problem {
	if cancelled || status != SubscriptionActive {
		return refusal(CodeSubscriptionNotActive, fmt.Sprintf("only an ACTIVE subscription takes a new quantity; this one is %s (renew it first, or order a new one)", map[bool]string{true: "cancelled", false: string(status)}[cancelled]), "subscription")
	}
	return nil
}

// PendingPart is how much of a subscription's total is still pending (PendingUntil): what orders
// added within the last 12 hours, but never more than the total, since a later lowering of the
// quantity takes from those licenses first.
func PendingPart(total, addedRecently int) int {
	return max(0, min(addedRecently, total))
}

// LicensedPart is how much of a subscription's quantity is usable as of an instant: nothing
// unless it counts (ACTIVE), and not the licenses still pending (PendingUntil).
func LicensedPart(status SubscriptionStatus, total, pending int) int {
	if !status.Counts() {
		return 0
	}
	return max(0, total-pending)
}

// DefaultGracePeriod is how long renewed subscriptions stay IN_GRACE (PlanRenewal).
const DefaultGracePeriod = 30 * 24 * time.Hour

// RenewalSubscription is one subscription of an enrollment being renewed; Quantity and Term
// are read for the old enrollment's only (RenewalLines).
type RenewalSubscription struct {
	ID       int64
	SKU      string
	Quantity int
	Term     SubscriptionTerm
}

// CheckRenewalTerm checks the new enrollment's term of a renewal (PlanRenewal): it starts no
// earlier than the renewed enrollment started (oldStart) and ends after it starts. It may
// start before the old one ends: the old subscriptions are in grace from the new start. Inputs
// {"startDate"}, {"endDate"}.
func CheckRenewalTerm(oldStart, start, end Date) Problems {
	var ps Problems
	if !start.IsZero() && !oldStart.IsZero() && start.Before(oldStart) {
		ps.Add(CodeInvalid, fmt.Sprintf("the renewal starts on %s, before the renewed enrollment started (%s)", start, oldStart), "startDate")
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		ps.Add(CodeInvalid, fmt.Sprintf("the renewal ends on %s, before it starts (%s)", end, start), "endDate")
	}
	return ps
}

// CanRenewEnrollment: only an ACTIVE enrollment is renewed into a new one (PlanRenewal); a
// renewed, expired or inactive one is not. Input {"enrollment"}.
func CanRenewEnrollment(s EnrollmentStatus) *Problem {
	if s == EnrollmentActive {
		return nil
	}
	return refusal(CodeEnrollmentNotActive, "only an ACTIVE enrollment can be renewed; this one is "+string(s), "enrollment")
}

// RenewalLines are the lines of a renewal: those requested, or by default one for each
// subscription of the old enrollment ACTIVE as of asOf, with its quantity (so the renewal
// carries the same SKUs over, SplitRenewedSKUs).
func RenewalLines(requested []OrderLineDraft, old []RenewalSubscription, asOf time.Time) []OrderLineDraft {
	if len(requested) > 0 {
		return requested
	}
	var lines []OrderLineDraft
	for _, s := range old {
		if s.Term.StatusAt(asOf).Counts() && s.Quantity > 0 {
			lines = append(lines, OrderLineDraft{SKU: s.SKU, Quantity: s.Quantity})
		}
	}
	return lines
}

// RenewalFacts are the subscriptions of the old and new enrollment (PlanRenewal).
type RenewalFacts struct {
	Old []RenewalSubscription
	New []RenewalSubscription
}

// RenewalSubscriptionChange is the new status of one subscription; GraceFrom and GraceUntil
// go straight into SubscriptionTerm.
type RenewalSubscriptionChange struct {
	SubscriptionID int64
	SKU            string
	Status         SubscriptionStatus
	GraceFrom      *time.Time
	GraceUntil     *time.Time
}

// RenewalPlan is the outcome of renewing an enrollment (PlanRenewal).
type RenewalPlan struct {
	Old []RenewalSubscriptionChange
	New []RenewalSubscriptionChange
	// GraceFrom is when the old subscriptions go IN_GRACE and the new ones' licenses are on the
	// account: the start of the new enrollment's first day.
	GraceFrom  time.Time
	GraceUntil time.Time
	// CarriedSKUs: assignments carry over automatically (same SKU old and new, SplitRenewedSKUs).
	CarriedSKUs []string
	// ReassignSKUs: old SKUs absent from the renewal; their users lose access at GraceUntil
	// unless the administrator assigns them one of NewOnlySKUs.
	ReassignSKUs []string
	NewOnlySKUs  []string
}

// R-SUB-2: PlanRenewal renews an enrollment into a new one starting on newStart
// (CanRenewEnrollment, CheckRenewalTerm, RenewalLines): the old subscriptions go IN_GRACE from
// the new enrollment's start date, not from the moment the renewal is recorded (clarification of
// R-SUB-3), until grace later (grace <= 0 means DefaultGracePeriod; then they are
// deprovisioned, GraceEndedBy); both instants come from a business date and carry whole
// seconds. The new ones are ACTIVE, their licenses on the account from that same start (a
// renewal recorded ahead is pending until then, QuantityChange.AvailableAt); IN_GRACE does not
// count (LicensedQuantityAt), so the pair is no double count. The SKU lists come from
// SplitRenewedSKUs.
func PlanRenewal(f RenewalFacts, newStart Date, grace time.Duration) RenewalPlan {
	if grace <= 0 {
		grace = DefaultGracePeriod
	}
	renewedAt := newStart.Start()
	until := renewedAt.Add(grace).Truncate(time.Second)
	p := RenewalPlan{GraceFrom: renewedAt, GraceUntil: until}
	var oldSKUs, newSKUs []string
	for _, s := range f.Old {
		p.Old = append(p.Old, RenewalSubscriptionChange{SubscriptionID: s.ID, SKU: s.SKU, Status: SubscriptionInGrace, GraceFrom: ptr(renewedAt), GraceUntil: ptr(until)})
		oldSKUs = append(oldSKUs, s.SKU)
	}
	for _, s := range f.New {
		p.New = append(p.New, RenewalSubscriptionChange{SubscriptionID: s.ID, SKU: s.SKU, Status: SubscriptionActive})
		newSKUs = append(newSKUs, s.SKU)
	}
	p.CarriedSKUs, p.ReassignSKUs, p.NewOnlySKUs = SplitRenewedSKUs(oldSKUs, newSKUs)
	return p
}

// R-SUB-4: SplitRenewedSKUs sorts the SKUs of a renewal: carried are on both the old and the new
// enrollment, and their users' assignments carry over by themselves; reassign are the old
// SKUs the renewal drops (for example E3 renewed as E5), whose users lose access when the grace
// period ends unless the administrator assigns them one of newOnly. Each list is sorted, unique.
func SplitRenewedSKUs(old, renewed []string) (carried, reassign, newOnly []string) {
	for _, sku := range uniqueSorted(old) {
		if slices.Contains(renewed, sku) {
			carried = append(carried, sku)
		} else {
			reassign = append(reassign, sku)
		}
	}
	for _, sku := range uniqueSorted(renewed) {
		if !slices.Contains(old, sku) {
			newOnly = append(newOnly, sku)
		}
	}
	return carried, reassign, newOnly
}

func uniqueSorted(xs []string) []string { return slices.Compact(slices.Sorted(slices.Values(xs))) }

// R-SUB-3: DeprovisionedUsers: when the grace period ends (GraceEndedBy) the ended subscriptions'
// data is deleted, so the users beyond what the SKU's ACTIVE and still in-grace quantity covers
// lose their license, the most recently assigned first (AssignedUsers is oldest first). They
// are the users ConflictsAt listed for that instant beforehand (R-LIC-7), but that licenses
// already bought and still pending (R-ORD-5) keep as many of them: those cover nobody yet, yet a
// deletion of data is not undone when they arrive; their users stay in conflict until then.
func DeprovisionedUsers(h SKUHoldings, asOf time.Time) []string {
	deficit := Deficit(h, asOf) - pendingQuantityAt(h.Subscriptions, asOf)
	if deficit <= 0 {
		return nil
	}
	users := distinct(h.AssignedUsers)
	return users[len(users)-deficit:]
}

// ValidateDirectSubscription returns every reason to refuse a direct (MOSP) purchase on an
// account before the account is looked up: a catalog SKU (skuKnown), a quantity in
// 1..MaxOrderQuantity and an end date that is today or later.
func ValidateDirectSubscription(sku string, skuKnown bool, quantity int, endDate, today Date) Problems {
	var ps Problems
	if !skuKnown {
		ps.Add(CodeUnknownSKU, fmt.Sprintf("SKU %q is not in the catalog", sku), "sku")
	}
	checkQuantity(&ps, quantity, "quantity")
	if endDate.IsZero() || endDate.Before(today) {
		ps.Add(CodeInvalid, "endDate must be today or later", "endDate")
	}
	return ps
}
