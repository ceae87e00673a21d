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
	// ResolutionAssignNewSKU: after a renewal onto other SKUs (R-SUB-4), assign one of them to
	// the users listed.
	ResolutionAssignNewSKU ResolutionKind = "ASSIGN_NEW_SKU"
	// ResolutionAwaitPending: licenses already bought are pending (R-ORD-5) and cover users
	// once available.
	ResolutionAwaitPending ResolutionKind = "AWAIT_PENDING"
)

// Resolution is one way out of a conflict (ConflictsAt).
type Resolution struct {
	Kind ResolutionKind
	// NewTotal: BUY_MORE, the SKU's total to buy up to: Licensed + Pending plus what is still
	// missing, a total, not a delta (R-SUB-7). RENEW_SUBSCRIPTION: the licensed total once the
	// listed subscriptions are renewed. AWAIT_PENDING: the licensed total once the pending
	// licenses are available. 0 otherwise.
	NewTotal int
	// UserCount: REMOVE_LICENSES, how many users must lose the license (the deficit);
	// ASSIGN_NEW_SKU, how many users to assign a new SKU (those listed).
	UserCount int
	// SubscriptionIDs: RENEW_SUBSCRIPTION, the expired subscriptions to renew, ascending.
	SubscriptionIDs []int64
	// SKUs: ASSIGN_NEW_SKU, the SKUs the renewal brought instead (SKUHoldings.Replacements).
	SKUs []string
	// AvailableAt: AWAIT_PENDING, when the last pending licenses become available.
	AvailableAt *time.Time
	Message     string
}

// Conflict is a SKU on an account whose assigned users are not all covered (R-LIC-2).
type Conflict struct {
	SKU      string
	Licensed int // ACTIVE quantity on the account (R-SUB-1)
	// Pending is ACTIVE quantity not yet on the account (R-ORD-5): it covers no user until
	// it is available.
	Pending int
	// InGrace is IN_GRACE quantity: it is not licensed, but covers assigned users until the
	// grace period ends (R-SUB-3, R-SUB-4).
	InGrace  int
	Assigned int
	Deficit  int // Assigned - Licensed - InGrace, > 0
	// AffectedUsers, in assignment order, are the users about to lose access: every assigned
	// user when a subscription of the SKU expired with auto-renew off (R-LIC-3), otherwise the
	// Deficit most recently assigned users (the assignments past the limit, last in first out);
	// either way without those who hold a SKU that replaced this one at a renewal (R-SUB-4).
	AffectedUsers []string
	// Resolutions: BUY_MORE (unless the SKU was switched at a renewal), REMOVE_LICENSES,
	// AWAIT_PENDING, RENEW_SUBSCRIPTION, ASSIGN_NEW_SKU, each where it applies.
	Resolutions []Resolution
}

// R-LIC-4, R-LIC-7: ConflictsAt lists the license conflicts as of asOf, one per SKU pool with a
// Deficit, sorted by SKU; an empty, non-nil slice when there is none. Each names licensed,
// pending, in grace, assigned, the deficit, the users affected and the resolutions: buy more
// (the new total), remove licenses from that many users, wait for licenses still pending, renew
// the lapsed subscriptions (Lapsed), or, for a SKU a renewal switched to others (R-SUB-4),
// assign one of the new SKUs to the users listed rather than buy more of the old one. A
// future asOf projects the conflicts that expiries and grace-period ends will cause, so that
// users who are about to lose access are listed before they do; users who already hold a
// replacement SKU are not about to lose access and are not listed.
func ConflictsAt(skus []SKUHoldings, asOf time.Time) []Conflict {
	holders := map[string]map[string]bool{}
	for _, h := range skus {
		holders[h.SKU] = map[string]bool{}
		for _, u := range h.AssignedUsers {
			holders[h.SKU][u] = true
		}
	}
	out := []Conflict{}
	for _, h := range skus {
		if c, ok := conflictFor(h, holders, asOf); ok {
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
// Licenses still pending are not on the account yet (LicensedQuantityAt) and cover nobody.
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

// conflictFor is the conflict of one pool, if any; holders tells, per SKU of the account, who
// holds it (for the replacements of a switched SKU).
func conflictFor(h SKUHoldings, holders map[string]map[string]bool, asOf time.Time) (Conflict, bool) {
	deficit := Deficit(h, asOf)
	if deficit <= 0 {
		return Conflict{}, false
	}
	users := distinct(h.AssignedUsers)
	c := Conflict{SKU: h.SKU, Licensed: LicensedQuantityAt(h.Subscriptions, asOf), Pending: pendingQuantityAt(h.Subscriptions, asOf),
		InGrace: inGraceQuantityAt(h.Subscriptions, asOf), Assigned: len(users), Deficit: deficit}
	renew, restored := Lapsed(h.Subscriptions, asOf)
	affected := users[len(users)-deficit:] // last in, first out
	if len(renew) > 0 {
		affected = users // every assigned user of the lapsed service
	}
	c.AffectedUsers = slices.DeleteFunc(slices.Clone(affected), func(u string) bool {
		return slices.ContainsFunc(h.Replacements, func(sku string) bool { return holders[sku][u] })
	})
	c.Resolutions = resolutionsFor(h, c, renew, restored, asOf)
	return c, true
}

// resolutionsFor are the ways out of conflict c of pool h (R-LIC-4): renew are its lapsed
// subscriptions, holding restored licenses.
func resolutionsFor(h SKUHoldings, c Conflict, renew []int64, restored int, asOf time.Time) []Resolution {
	n := func(k int) string { return plural(k, "license", "licenses") }
	// A SKU a renewal replaced and that nothing in the pool still sells is bought no more.
	switched := len(h.Replacements) > 0 && !slices.ContainsFunc(h.Subscriptions, func(s HeldSubscription) bool { return s.Term.StatusAt(asOf).Counts() })
	var res []Resolution
	if short := c.Deficit - c.Pending; short > 0 && !switched {
		total := c.Licensed + c.Pending + short
		res = append(res, Resolution{Kind: ResolutionBuyMore, NewTotal: total, Message: fmt.Sprintf(
			"Buy %d more %s of %s: set the total to %d.", short, n(short), h.SKU, total)})
	}
	res = append(res, Resolution{Kind: ResolutionRemoveLicenses, UserCount: c.Deficit, Message: fmt.Sprintf(
		"Remove the %s license from %d %s; this deletes their data for it.", h.SKU, c.Deficit, plural(c.Deficit, "user", "users"))})
	if c.Pending > 0 {
		at := lastAvailable(h.Subscriptions, asOf)
		covered := min(c.Pending, c.Deficit)
		res = append(res, Resolution{Kind: ResolutionAwaitPending, NewTotal: c.Licensed + c.Pending, AvailableAt: at, Message: fmt.Sprintf(
			"%d %s of %s already bought %s pending until %s; they cover %d of these users then.", c.Pending, n(c.Pending), h.SKU,
			plural(c.Pending, "is", "are"), formatInstant(*at), covered)})
	}
	if len(renew) > 0 {
		msg := fmt.Sprintf("Renew %s %s to restore %d %s of %s.",
			plural(len(renew), "subscription", "subscriptions"), joinIDs(renew), restored, n(restored), h.SKU)
		if short := c.Deficit - restored; short > 0 {
			msg += fmt.Sprintf(" %d more will still be needed.", short)
		}
		res = append(res, Resolution{Kind: ResolutionRenewSubscription, NewTotal: c.Licensed + restored, SubscriptionIDs: renew, Message: msg})
	}
	if len(h.Replacements) > 0 && len(c.AffectedUsers) > 0 {
		k := len(c.AffectedUsers)
		res = append(res, Resolution{Kind: ResolutionAssignNewSKU, UserCount: k, SKUs: slices.Clone(h.Replacements), Message: fmt.Sprintf(
			"The renewal replaced %s with %s: assign %s to the %d %s listed, or they lose access.", h.SKU, strings.Join(h.Replacements, " or "),
			strings.Join(h.Replacements, " or "), k, plural(k, "user", "users"))})
	}
	return res
}

// lastAvailable is when the last licenses of subs still pending as of asOf become available
// (QuantityChange.AvailableAt); nil when none is pending.
func lastAvailable(subs []HeldSubscription, asOf time.Time) *time.Time {
	var last *time.Time
	for _, s := range subs {
		if s.PendingAt(asOf) == 0 {
			continue
		}
		for _, ch := range s.Changes {
			if at := ch.AvailableAt(); ch.Delta > 0 && asOf.Before(at) && (last == nil || at.After(*last)) {
				last = ptr(at)
			}
		}
	}
	return last
}

// ConflictChangesAfter lists, ascending, the instants after asOf at which ConflictsAt's
// answer changes because a subscription enters grace, is deprovisioned, expires or is
// cancelled, or pending licenses become available, so a caller can project each without guessing dates. It assumes
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
			for _, ch := range s.Changes { // pending licenses becoming available (R-ORD-5)
				candidates = append(candidates, ch.AvailableAt())
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
