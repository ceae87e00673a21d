package licensing

import "time"

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
