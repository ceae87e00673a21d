package licensing

// License assignments and conflicts (R-LIC) and the arithmetic of the license summary (R-BI-1).

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	CodeNotEnoughLicenses    Code = "NOT_ENOUGH_LICENSES"     // an assignment past the licensed quantity (R-LIC-1)
	CodeDataLossNotConfirmed Code = "DATA_LOSS_NOT_CONFIRMED" // removing a license without confirming data loss (R-LIC-5)
	CodeBelowAssigned        Code = "BELOW_ASSIGNED"          // lowering a quantity below what is assigned (R-LIC-6)
)

// ---- Facts ----

// HeldSubscription is one subscription of a SKU on an account.
type HeldSubscription struct {
	ID       int64
	Quantity int
	// ReservedNotBilled is the part of Quantity added by reservations not yet billed
	// (R-RES-1); only the license summary (R-BI-1) reads it.
	ReservedNotBilled int
	Term              SubscriptionTerm
}

// SKUHoldings is one licence pool: a SKU on one account, where users are assigned (R-ENR-2).
type SKUHoldings struct {
	SKU           string
	Subscriptions []HeldSubscription
	// AssignedUsers holds each user once, ordered by assignment time ascending (ties by
	// user id), so that "the most recently assigned" is well defined and output is stable.
	AssignedUsers []string
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

// conflictExpiredByTerm reports a subscription that is EXPIRED as of asOf because it passed
// its end date with auto-renew off (R-SUB-5, R-LIC-3), as opposed to cancelled (R-SUB-6):
// only the former is offered for renewal and puts every assigned user in conflict.
func conflictExpiredByTerm(s HeldSubscription, asOf time.Time) bool {
	if s.Quantity <= 0 || s.Term.AutoRenew || s.Term.StatusAt(asOf) != SubscriptionExpired {
		return false
	}
	return s.Term.CancelledAt == nil || asOf.Before(*s.Term.CancelledAt)
}

// ---- Assignment (R-LIC-1) ----

// NewAssignees returns the requested users who do not hold the SKU yet, each once, in
// request order: re-assigning a user who already holds it uses no further license (R-LIC-1).
func NewAssignees(requested []string, alreadyAssigned map[string]bool) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, u := range requested {
		if alreadyAssigned[u] || seen[u] {
			continue
		}
		seen[u] = true
		out = append(out, u)
	}
	return out
}

// DecideAssignment (R-LIC-1) refuses assigning requestedNew more licenses of sku when that
// would pass licensed, the ACTIVE quantity (LicensedQuantityAt), naming how many are
// missing. Count requestedNew with NewAssignees. Under concurrent assignment the model
// layer must take the count and insert in one serialized step (lock the pool or insert
// conditionally) so two requests cannot both pass this check. Field {"userNames"} (the input list of users).
func DecideAssignment(sku string, licensed, alreadyAssigned, requestedNew int) *Problem {
	if requestedNew <= 0 {
		return nil
	}
	missing := alreadyAssigned + requestedNew - licensed
	if missing <= 0 {
		return nil
	}
	verb := "are"
	if missing == 1 {
		verb = "is"
	}
	return &Problem{Field: []string{"userNames"}, Code: CodeNotEnoughLicenses, Message: fmt.Sprintf(
		"%d more %s of %s %s needed: %d licensed, %d assigned, %d requested",
		missing, conflictPlural(missing, "license", "licenses"), sku, verb, licensed, alreadyAssigned, requestedNew)}
}

// ---- Removal (R-LIC-5) ----

// DecideRemoval (R-LIC-5): removing a license deletes the user's data for it, so it needs
// confirmDataLoss. Deleting a user is not refused here: the model layer deletes the user's
// assignments with the user, which frees their licenses. Field {"confirmDataLoss"}.
func DecideRemoval(confirmDataLoss bool) *Problem {
	if confirmDataLoss {
		return nil
	}
	return &Problem{Field: []string{"confirmDataLoss"}, Code: CodeDataLossNotConfirmed, Message: "removing a license deletes the user's data for that license; set confirmDataLoss to true to proceed"}
}

// ---- Lowering a quantity (R-LIC-6) ----

// DecideQuantityLowering (R-LIC-6) refuses a change that leaves newLicensed, the SKU's
// ACTIVE quantity on the account after the change (all its subscriptions, not only the one
// lowered), below assigned, unless acceptConflict. The message names the deficit.
// Field {"quantity"}.
func DecideQuantityLowering(sku string, newLicensed, assigned int, acceptConflict bool) *Problem {
	deficit := assigned - newLicensed
	if deficit <= 0 || acceptConflict {
		return nil
	}
	return &Problem{Field: []string{"quantity"}, Code: CodeBelowAssigned, Message: fmt.Sprintf(
		"%s would have %d %s for %d assigned users, a deficit of %d: %d %s would be in conflict; remove licenses first or set acceptConflict to true",
		sku, newLicensed, conflictPlural(newLicensed, "license", "licenses"), assigned, deficit,
		deficit, conflictPlural(deficit, "user", "users"))}
}

// ---- Conflicts (R-LIC-2, R-LIC-3, R-LIC-4, R-LIC-7) ----

// ResolutionKind is one way out of a conflict (R-LIC-4).
type ResolutionKind string

const (
	ResolutionBuyMore           ResolutionKind = "BUY_MORE"
	ResolutionRemoveLicenses    ResolutionKind = "REMOVE_LICENSES"
	ResolutionRenewSubscription ResolutionKind = "RENEW_SUBSCRIPTION"
)

// Resolution is one way out of a conflict (R-LIC-4).
type Resolution struct {
	Kind ResolutionKind
	// NewTotal: BUY_MORE, the SKU's licensed total to buy up to (a total, not a delta,
	// R-SUB-7): Licensed + Deficit. RENEW_SUBSCRIPTION: the licensed total once the listed
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

// ConflictsAt lists the license conflicts as of asOf, one per SKU pool with more assigned
// users than licenses covering them, sorted by SKU; an empty, non-nil slice when there is
// none (R-LIC-4). A future asOf projects conflicts that expiries and grace-period ends will
// cause (R-LIC-7).
//
// R-LIC-2: covered means ACTIVE plus IN_GRACE quantity. The rulebook says users of an
// IN_GRACE subscription lose access only when the grace period ends (R-SUB-4, R-LIC-7), so
// they are not in conflict before; IN_GRACE still never counts as licensed (R-SUB-1), so it
// allows no new assignment (R-LIC-1) and is not part of the BUY_MORE total.
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

func conflictFor(h SKUHoldings, asOf time.Time) (Conflict, bool) {
	users := conflictDistinct(h.AssignedUsers)
	licensed := LicensedQuantityAt(h.Subscriptions, asOf)
	inGrace := inGraceQuantityAt(h.Subscriptions, asOf)
	deficit := len(users) - licensed - inGrace // R-LIC-2
	if deficit <= 0 {
		return Conflict{}, false
	}

	var renew []int64
	restored, expired := 0, false
	for _, s := range h.Subscriptions {
		if conflictExpiredByTerm(s, asOf) {
			expired = true
			renew = append(renew, s.ID)
			restored += s.Quantity
		}
	}
	slices.Sort(renew)

	affected := users[len(users)-deficit:] // last in, first out
	if expired {
		affected = users // R-LIC-3: every assigned user of the expired service
	}

	n := func(k int) string { return conflictPlural(k, "license", "licenses") }
	res := []Resolution{ // R-LIC-4
		{Kind: ResolutionBuyMore, NewTotal: licensed + deficit, Message: fmt.Sprintf(
			"Buy %d more %s of %s: set the total to %d.", deficit, n(deficit), h.SKU, licensed+deficit)},
		{Kind: ResolutionRemoveLicenses, UserCount: deficit, Message: fmt.Sprintf(
			"Remove the %s license from %d %s; this deletes their data for it.", h.SKU, deficit, conflictPlural(deficit, "user", "users"))},
	}
	if len(renew) > 0 {
		msg := fmt.Sprintf("Renew %s %s to restore %d %s of %s.",
			conflictPlural(len(renew), "subscription", "subscriptions"), conflictJoinIDs(renew), restored, n(restored), h.SKU)
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
// cancelled, so a caller can project each (R-LIC-7) without guessing dates. It assumes
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

// ---- License summary (R-BI-1) ----

// SummaryDimension is what the license summary can be grouped and filtered by (R-BI-1).
type SummaryDimension string

const (
	SummaryByReseller   SummaryDimension = "RESELLER"
	SummaryByCustomer   SummaryDimension = "CUSTOMER"
	SummaryByAgreement  SummaryDimension = "AGREEMENT"
	SummaryByProgram    SummaryDimension = "PROGRAM"
	SummaryByEnrollment SummaryDimension = "ENROLLMENT"
	SummaryByAccount    SummaryDimension = "ACCOUNT"
	SummaryBySKU        SummaryDimension = "SKU"
	SummaryByFamily     SummaryDimension = "FAMILY"
)

var SummaryDimensions = []SummaryDimension{SummaryByReseller, SummaryByCustomer, SummaryByAgreement, SummaryByProgram, SummaryByEnrollment, SummaryByAccount, SummaryBySKU, SummaryByFamily}

func (d SummaryDimension) Valid() bool { return oneOf(d, SummaryDimensions) }

// SummaryRow is the license summary of one group (R-BI-1). Rows add up with Add; build the
// smallest ones, one per SKU pool on an account, with NewSummaryCell or SummaryCellAt.
type SummaryRow struct {
	Licensed int // ACTIVE quantity (R-SUB-1), including reserved-not-billed licenses
	InGrace  int // IN_GRACE quantity: shown, never licensed (R-SUB-1, R-SUB-2)
	// ReservedNotBilled is the part of Licensed that reservations added and that is billed
	// at the next anniversary (R-RES-1): it counts at once, so it is shown, not added again.
	ReservedNotBilled int
	Assigned          int
	// Unassignable is the sum, over SKU pools, of assignments beyond the pool's licensed
	// quantity. It keeps Available right after adding pools: a spare license of one SKU or
	// account cannot cover a user of another.
	Unassignable int
}

// NewSummaryCell is the row of one SKU pool on one account.
func NewSummaryCell(licensed, inGrace, reservedNotBilled, assigned int) SummaryRow {
	return SummaryRow{Licensed: licensed, InGrace: inGrace, ReservedNotBilled: min(reservedNotBilled, licensed),
		Assigned: assigned, Unassignable: max(assigned-licensed, 0)}
}

// SummaryCellAt is NewSummaryCell from the facts of one SKU pool as of asOf; reservations
// show only on ACTIVE subscriptions, the ones whose quantity counts.
func SummaryCellAt(h SKUHoldings, asOf time.Time) SummaryRow {
	reserved := 0
	for _, s := range h.Subscriptions {
		if s.Quantity > 0 && s.Term.StatusAt(asOf).Counts() {
			reserved += min(max(s.ReservedNotBilled, 0), s.Quantity)
		}
	}
	return NewSummaryCell(LicensedQuantityAt(h.Subscriptions, asOf), inGraceQuantityAt(h.Subscriptions, asOf),
		reserved, len(conflictDistinct(h.AssignedUsers)))
}

// Add sums two rows.
func (r SummaryRow) Add(o SummaryRow) SummaryRow {
	return SummaryRow{Licensed: r.Licensed + o.Licensed, InGrace: r.InGrace + o.InGrace,
		ReservedNotBilled: r.ReservedNotBilled + o.ReservedNotBilled, Assigned: r.Assigned + o.Assigned,
		Unassignable: r.Unassignable + o.Unassignable}
}

// Available is how many licenses can still be assigned (R-LIC-1): the sum over pools of
// licensed minus assigned, never below zero per pool; a shortfall is a conflict (R-LIC-2).
func (r SummaryRow) Available() int { return max(r.Licensed-r.Assigned+r.Unassignable, 0) }

// SummaryCell is one pool's row with its value for every dimension.
type SummaryCell struct {
	Keys map[SummaryDimension]string
	Row  SummaryRow
}

// SummaryGroup is one row of the summary: the values of the grouped dimensions and the sum.
type SummaryGroup struct {
	Keys map[SummaryDimension]string
	Row  SummaryRow
}

// Summarize is the reference for the database aggregation (R-BI-1, R-BI-2): the cells whose
// keys equal every filter value, summed per distinct value of groupBy, sorted by those
// values in groupBy order. No groupBy gives one total row; no matching cell, an empty list.
func Summarize(cells []SummaryCell, groupBy []SummaryDimension, filter map[SummaryDimension]string) []SummaryGroup {
	index := map[string]int{}
	out := []SummaryGroup{}
	var sortKeys [][]string
next:
	for _, c := range cells {
		for d, v := range filter {
			if c.Keys[d] != v {
				continue next
			}
		}
		vals := make([]string, len(groupBy))
		for i, d := range groupBy {
			vals[i] = c.Keys[d]
		}
		k := strings.Join(vals, "\x00")
		i, ok := index[k]
		if !ok {
			keys := map[SummaryDimension]string{}
			for j, d := range groupBy {
				keys[d] = vals[j]
			}
			i = len(out)
			index[k] = i
			out = append(out, SummaryGroup{Keys: keys})
			sortKeys = append(sortKeys, vals)
		}
		out[i].Row = out[i].Row.Add(c.Row)
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return slices.Compare(sortKeys[a], sortKeys[b]) })
	sorted := make([]SummaryGroup, len(out))
	for i, j := range order {
		sorted[i] = out[j]
	}
	return sorted
}

// ---- helpers ----

func conflictPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func conflictDistinct(users []string) []string {
	out := make([]string, 0, len(users))
	seen := make(map[string]bool, len(users))
	for _, u := range users {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

func conflictJoinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}

// DeprovisionedUsers is R-SUB-3 at the end of a grace period: the ended subscriptions' data is
// deleted, so the users beyond what the SKU's ACTIVE and still in-grace quantity covers lose
// their license, the most recently assigned first (AssignedUsers is oldest first). They are the
// users licenseConflicts listed for that instant beforehand (R-LIC-7).
func DeprovisionedUsers(h SKUHoldings, asOf time.Time) []string {
	covered := LicensedQuantityAt(h.Subscriptions, asOf) + inGraceQuantityAt(h.Subscriptions, asOf)
	users := conflictDistinct(h.AssignedUsers)
	if len(users) <= covered {
		return nil
	}
	return users[covered:]
}
