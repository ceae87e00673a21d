package licensing

import (
	"fmt"
	"slices"
	"time"
)

// Subscriptions (R-SUB): status as of an instant, licensed quantity, renewal plan and grace,
// deprovisioning, renewing, cancelling and new totals.

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

// StatusAt is the subscription's status as of asOf.
//   - R-SUB-6: a cancelled subscription is EXPIRED from the cancellation on.
//   - R-SUB-2: from the renewal of its enrollment it is IN_GRACE,
//   - R-SUB-3: and DEPROVISIONED once the grace period has ended.
//   - R-SUB-5: past its end date with auto-renew off it is EXPIRED (auto-renew keeps it ACTIVE).
//   - otherwise ACTIVE, the only status whose quantity counts (R-SUB-1).
func (s SubscriptionTerm) StatusAt(asOf time.Time) SubscriptionStatus {
	// A cancellation stands even if the enrollment is renewed later.
	if s.CancelledAt != nil && !asOf.Before(*s.CancelledAt) {
		return SubscriptionExpired
	}
	if s.GraceFrom != nil && !asOf.Before(*s.GraceFrom) {
		// GraceUntil is always set with GraceFrom (PlanRenewal fills the default, R-SUB-3).
		if s.GraceUntil != nil && !asOf.Before(*s.GraceUntil) {
			return SubscriptionDeprovisioned
		}
		return SubscriptionInGrace
	}
	if !s.EndDate.IsZero() && !s.AutoRenew && !asOf.Before(s.EndDate.AddDays(1).Start()) {
		return SubscriptionExpired
	}
	return SubscriptionActive
}

// Counts reports whether a subscription in this status adds to the licensed quantity (R-SUB-1).
func (st SubscriptionStatus) Counts() bool { return st == SubscriptionActive }

// HeldSubscription is one subscription of a SKU on an account.
type HeldSubscription struct {
	ID       int64
	Quantity int
	// ReservedNotBilled is the part of Quantity added by reservations not yet billed
	// (R-RES-1); only the license summary (R-BI-1) reads it.
	ReservedNotBilled int
	Term              SubscriptionTerm
}

// LicensedQuantityAt is the ACTIVE quantity as of asOf (R-SUB-1): IN_GRACE, EXPIRED and
// DEPROVISIONED subscriptions add nothing, so an enrollment and its renewal are not a
// double count (R-SUB-2).
func LicensedQuantityAt(subs []HeldSubscription, asOf time.Time) int {
	n := 0
	for _, s := range subs {
		if s.Quantity > 0 && s.Term.StatusAt(asOf).Counts() {
			n += s.Quantity
		}
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

// CanRenewSubscription (R-SUB-5): renewing makes an EXPIRED subscription ACTIVE again.
// Renewing an ACTIVE one (auto-renewing or not) is accepted and leaves it ACTIVE, so a
// retried renew is not an error. IN_GRACE belongs to a renewed enrollment (its successor
// carries on, R-SUB-2) and DEPROVISIONED has lost its data (R-SUB-3): neither renews.
// Field {"subscriptionId"}.
func CanRenewSubscription(status SubscriptionStatus, cancelled bool) *Problem {
	if cancelled {
		return refusal(CodeSubscriptionNotRenewable, "this subscription was cancelled; order a new one", "subscriptionId")
	}
	switch status {
	case SubscriptionActive, SubscriptionExpired:
		return nil
	case SubscriptionInGrace:
		return refusal(CodeSubscriptionNotRenewable, "this subscription is IN_GRACE because its enrollment was renewed; use the new enrollment's subscription", "subscriptionId")
	case SubscriptionDeprovisioned:
		return refusal(CodeSubscriptionNotRenewable, "this subscription is DEPROVISIONED and its data deleted; order a new one", "subscriptionId")
	}
	return refusal(CodeSubscriptionNotRenewable, fmt.Sprintf("a subscription in status %s cannot be renewed", orDash(string(status))), "subscriptionId")
}

// RenewedEndDate is the end of a renewed subscription's new one-year term (R-SUB-5): a year
// after its old end date, or after asOf's day when it lapsed earlier than that.
func RenewedEndDate(end Date, asOf time.Time) Date {
	from := end
	if today := DateOf(asOf); end.IsZero() || end.Before(today) {
		from = today
	}
	return from.AddYears(1)
}

// MayCancelSubscription (R-SUB-6): the reseller cancels OPEN_VALUE and MPSA subscriptions;
// MOSP ones are cancelled through support (bySupport: a platform operator acting as support);
// the others are refused with the reason. Field {"subscriptionId"}.
func MayCancelSubscription(p Program, bySupport bool) *Problem {
	switch p {
	case ProgramOpenValue, ProgramMPSA:
		return nil
	case ProgramMOSP:
		if bySupport {
			return nil
		}
		return refusal(CodeCancelThroughSupport, "a MOSP (direct) subscription is cancelled through support, not by the reseller", "subscriptionId")
	case ProgramEnterprise, ProgramEnterpriseSubscription, ProgramCampusAndSchool:
		return refusal(CodeCancelNotAllowed, fmt.Sprintf("%s subscriptions are committed for the enrollment's term and cannot be cancelled; lower them at renewal", p), "subscriptionId")
	}
	return refusal(CodeCancelNotAllowed, fmt.Sprintf("subscriptions of program %s cannot be cancelled", orDash(string(p))), "subscriptionId")
}

// ValidateNewTotal (R-SUB-7): buying more sends the new total, not a delta (100 plus 5
// more is 105). The total must be 1..MaxOrderQuantity; the same total is a no-op. Lowering
// below what is assigned is R-LIC-6, decided elsewhere. Field {"newTotal"}.
func ValidateNewTotal(current, newTotal int) *Problem {
	if newTotal >= 1 && newTotal <= MaxOrderQuantity {
		return nil
	}
	return refusal(CodeInvalidQuantity, fmt.Sprintf("the new total %d must be between 1 and %d; it is the total after buying, not the number to add (to add 5 to %d, send %d)", newTotal, MaxOrderQuantity, current, current+5), "newTotal")
}

// CanChangeQuantity: only a subscription that counts (ACTIVE, R-SUB-1) and is not cancelled
// takes a new total (R-SUB-7). Field {"subscriptionId"}.
func CanChangeQuantity(status SubscriptionStatus, cancelled bool) *Problem {
	if cancelled || status != SubscriptionActive {
		return refusal(CodeSubscriptionNotActive, fmt.Sprintf("only an ACTIVE subscription takes a new quantity; this one is %s (renew it first, or order a new one)", map[bool]string{true: "cancelled", false: string(status)}[cancelled]), "subscriptionId")
	}
	return nil
}

// PendingPart is how much of a subscription's total is still pending (R-ORD-5): what orders
// added within the last 12 hours, but never more than the total, since a later lowering of the
// quantity (R-SUB-7) takes from those licenses first.
func PendingPart(total, addedRecently int) int {
	return max(0, min(addedRecently, total))
}

// LicensedPart is how much of a subscription's quantity is usable as of an instant: nothing
// unless it is ACTIVE (R-SUB-1), and not the licenses still pending (R-ORD-5).
func LicensedPart(status SubscriptionStatus, total, pending int) int {
	if !status.Counts() {
		return 0
	}
	return max(0, total-pending)
}

// DefaultGracePeriod is how long renewed subscriptions stay IN_GRACE (R-SUB-3).
const DefaultGracePeriod = 30 * 24 * time.Hour

// RenewalSubscription is one subscription of an enrollment being renewed.
type RenewalSubscription struct {
	ID  int64
	SKU string
}

// RenewalFacts are the subscriptions of the old and new enrollment (R-SUB-2).
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

// RenewalPlan is the outcome of renewing an enrollment (R-SUB-2..4).
type RenewalPlan struct {
	Old        []RenewalSubscriptionChange
	New        []RenewalSubscriptionChange
	GraceUntil time.Time
	// CarriedSKUs: assignments carry over automatically (same SKU old and new, R-SUB-4).
	CarriedSKUs []string
	// ReassignSKUs: old SKUs absent from the renewal; their users lose access at GraceUntil
	// unless the administrator assigns them one of NewOnlySKUs.
	ReassignSKUs []string
	NewOnlySKUs  []string
}

// PlanRenewal puts the old subscriptions IN_GRACE from renewedAt until renewedAt+grace
// (R-SUB-2, R-SUB-3; grace <= 0 means DefaultGracePeriod) and the new ones ACTIVE; IN_GRACE
// does not count (R-SUB-1), so the pair is no double count. SKU lists are sorted, unique.
func PlanRenewal(f RenewalFacts, renewedAt time.Time, grace time.Duration) RenewalPlan {
	if grace <= 0 {
		grace = DefaultGracePeriod
	}
	until := renewedAt.Add(grace)
	p := RenewalPlan{GraceUntil: until}
	oldSKUs, newSKUs := map[string]bool{}, map[string]bool{}
	for _, s := range f.Old {
		p.Old = append(p.Old, RenewalSubscriptionChange{SubscriptionID: s.ID, SKU: s.SKU, Status: SubscriptionInGrace, GraceFrom: ptr(renewedAt), GraceUntil: ptr(until)})
		oldSKUs[s.SKU] = true
	}
	for _, s := range f.New {
		p.New = append(p.New, RenewalSubscriptionChange{SubscriptionID: s.ID, SKU: s.SKU, Status: SubscriptionActive})
		newSKUs[s.SKU] = true
	}
	for sku := range oldSKUs {
		if newSKUs[sku] {
			p.CarriedSKUs = append(p.CarriedSKUs, sku)
		} else {
			p.ReassignSKUs = append(p.ReassignSKUs, sku)
		}
	}
	for sku := range newSKUs {
		if !oldSKUs[sku] {
			p.NewOnlySKUs = append(p.NewOnlySKUs, sku)
		}
	}
	slices.Sort(p.CarriedSKUs)
	slices.Sort(p.ReassignSKUs)
	slices.Sort(p.NewOnlySKUs)
	return p
}

// DeprovisionedUsers is R-SUB-3 at the end of a grace period: the ended subscriptions' data is
// deleted, so the users beyond what the SKU's ACTIVE and still in-grace quantity covers lose
// their license, the most recently assigned first (AssignedUsers is oldest first). They are the
// users licenseConflicts listed for that instant beforehand (R-LIC-7).
func DeprovisionedUsers(h SKUHoldings, asOf time.Time) []string {
	covered := LicensedQuantityAt(h.Subscriptions, asOf) + inGraceQuantityAt(h.Subscriptions, asOf)
	users := distinct(h.AssignedUsers)
	if len(users) <= covered {
		return nil
	}
	return users[covered:]
}
