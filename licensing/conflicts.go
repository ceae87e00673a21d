package licensing

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// License conflicts (R-LIC-2, R-LIC-3, R-LIC-4, R-LIC-7): who is not covered, and the ways out.

// ResolutionKind is one way out of a conflict (ConflictsAt).
type ResolutionKind string

const (
	ResolutionBuyMore           ResolutionKind = "BUY_MORE"
	ResolutionRemoveLicenses    ResolutionKind = "REMOVE_LICENSES"
	ResolutionRenewSubscription ResolutionKind = "RENEW_SUBSCRIPTION"
)

// Resolution is one way out of a conflict (ConflictsAt).
type Resolution struct {
	Kind ResolutionKind
	// NewTotal: BUY_MORE, the SKU's licensed total to buy up to: Licensed + Deficit, a total,
	// not a delta (R-SUB-7). RENEW_SUBSCRIPTION: the licensed total once the listed
	// subscriptions are renewed. 0 for REMOVE_LICENSES.
	NewTotal int
	// UserCount: REMOVE_LICENSES, how many users must lose the license (the deficit).
	UserCount int
	// SubscriptionIDs: RENEW_SUBSCRIPTION, the expired subscriptions to renew, ascending.
	SubscriptionIDs []int64
	Message         string
}

// Conflict is a SKU on an account whose assigned users are not all covered (R-LIC-2).
type Conflict struct {
	SKU      string
	Licensed int // ACTIVE quantity (R-SUB-1)
	// InGrace is IN_GRACE quantity: it is not licensed, but covers assigned users until the
	// grace period ends (R-SUB-3, R-SUB-4).
	InGrace  int
	Assigned int
	Deficit  int // Assigned - Licensed - InGrace, > 0
	// AffectedUsers, in assignment order: every assigned user when a subscription of the
	// SKU expired with auto-renew off (R-LIC-3); otherwise the Deficit most recently
	// assigned users (the assignments past the limit, last in first out).
	AffectedUsers []string
	Resolutions   []Resolution // BUY_MORE, REMOVE_LICENSES, then RENEW_SUBSCRIPTION if any
}

// R-LIC-4, R-LIC-7: ConflictsAt lists the license conflicts as of asOf, one per SKU pool with a
// Deficit, sorted by SKU; an empty, non-nil slice when there is none. Each names licensed, in
// grace, assigned, the deficit, the users affected and the resolutions: buy more (the new total),
// remove licenses from that many users, or renew the lapsed subscriptions (Lapsed). A future
// asOf projects the conflicts that expiries and grace-period ends will cause, so that users who
// are about to lose access are listed before they do.
func ConflictsAt(skus []SKUHoldings, asOf time.Time) []Conflict {
	out := []Conflict{}
	for _, h := range skus {
		if c, ok := conflictFor(h, asOf); ok {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b Conflict) int { return strings.Compare(a.SKU, b.SKU) })
	return out
}

// R-LIC-2: Deficit is how many assigned users of a SKU pool are not covered as of asOf: those
// beyond the ACTIVE plus IN_GRACE quantity. A pool with a deficit is in conflict; it arises when
// licenses expire or lapse while assigned, or when the quantity is lowered below what is
// assigned. The rulebook says users of an IN_GRACE subscription lose access only when the grace
// period ends, so they are not in conflict before; IN_GRACE still never counts as licensed, so
// it allows no new assignment (DecideAssignment) and is not part of the BUY_MORE total.
func Deficit(h SKUHoldings, asOf time.Time) int {
	return len(distinct(h.AssignedUsers)) - LicensedQuantityAt(h.Subscriptions, asOf) - inGraceQuantityAt(h.Subscriptions, asOf)
}

// R-LIC-3: Lapsed lists, ascending, the subscriptions of a pool that are EXPIRED as of asOf
// because they passed their end date with auto-renew off, as opposed to cancelled (those are
// not offered for renewal), and the quantity they held. While there is one, every assigned user
// of every service it covers is in conflict, and renewing it is a way out.
func Lapsed(subs []HeldSubscription, asOf time.Time) (ids []int64, quantity int) {
	for _, s := range subs {
		if s.Quantity <= 0 || s.Term.AutoRenew || s.Term.StatusAt(asOf) != SubscriptionExpired {
			continue
		}
		if s.Term.CancelledAt == nil || asOf.Before(*s.Term.CancelledAt) {
			ids = append(ids, s.ID)
			quantity += s.Quantity
		}
	}
	slices.Sort(ids)
	return ids, quantity
}

func conflictFor(h SKUHoldings, asOf time.Time) (Conflict, bool) {
	deficit := Deficit(h, asOf)
	if deficit <= 0 {
		return Conflict{}, false
	}
	users := distinct(h.AssignedUsers)
	licensed := LicensedQuantityAt(h.Subscriptions, asOf)
	inGrace := inGraceQuantityAt(h.Subscriptions, asOf)
	renew, restored := Lapsed(h.Subscriptions, asOf)

	affected := users[len(users)-deficit:] // last in, first out
	if len(renew) > 0 {
		affected = users // every assigned user of the lapsed service
	}

	n := func(k int) string { return plural(k, "license", "licenses") }
	res := []Resolution{ // R-LIC-4
		{Kind: ResolutionBuyMore, NewTotal: licensed + deficit, Message: fmt.Sprintf(
			"Buy %d more %s of %s: set the total to %d.", deficit, n(deficit), h.SKU, licensed+deficit)},
		{Kind: ResolutionRemoveLicenses, UserCount: deficit, Message: fmt.Sprintf(
			"Remove the %s license from %d %s; this deletes their data for it.", h.SKU, deficit, plural(deficit, "user", "users"))},
	}
	if len(renew) > 0 {
		msg := fmt.Sprintf("Renew %s %s to restore %d %s of %s.",
			plural(len(renew), "subscription", "subscriptions"), joinIDs(renew), restored, n(restored), h.SKU)
		if short := deficit - restored; short > 0 {
			msg += fmt.Sprintf(" %d more will still be needed.", short)
		}
		res = append(res, Resolution{Kind: ResolutionRenewSubscription, NewTotal: licensed + restored, SubscriptionIDs: renew, Message: msg})
	}

	return Conflict{
		SKU: h.SKU, Licensed: licensed, InGrace: inGrace, Assigned: len(users), Deficit: deficit,
		AffectedUsers: slices.Clone(affected), Resolutions: res,
	}, true
}

// ConflictChangesAfter lists, ascending, the instants after asOf at which ConflictsAt's
// answer changes because a subscription enters grace, is deprovisioned, expires or is
// cancelled, so a caller can project each without guessing dates. It assumes
// the assignments stay as they are.
func ConflictChangesAfter(skus []SKUHoldings, asOf time.Time) []time.Time {
	var candidates []time.Time
	for _, h := range skus {
		for _, s := range h.Subscriptions {
			t := s.Term
			for _, p := range []*time.Time{t.GraceFrom, t.GraceUntil, t.CancelledAt} {
				if p != nil {
					candidates = append(candidates, *p)
				}
			}
			if !t.EndDate.IsZero() && !t.AutoRenew {
				candidates = append(candidates, t.EndDate.AddDays(1).Start())
			}
		}
	}
	slices.SortFunc(candidates, func(a, b time.Time) int { return a.Compare(b) })
	out := []time.Time{}
	for i, c := range candidates {
		if !c.After(asOf) || (i > 0 && c.Equal(candidates[i-1])) {
			continue
		}
		// Every status boundary is "from this instant on", so one nanosecond earlier is before it.
		if !reflect.DeepEqual(ConflictsAt(skus, c), ConflictsAt(skus, c.Add(-time.Nanosecond))) {
			out = append(out, c)
		}
	}
	return out
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}
