package licensing

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The license summary for BI (R-BI-1): rows of one SKU pool that add up to any grouping.

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

// ValidateSummaryQuery refuses a summary grouped by a dimension unknown or named twice, or
// filtered by an unknown program or family.
func ValidateSummaryQuery(groupBy []SummaryDimension, programs []Program, families []Family) Problems {
	var ps Problems
	for i, d := range groupBy {
		if !d.Valid() || slices.Index(groupBy, d) < i {
			ps.Add(CodeInvalid, fmt.Sprintf("groupBy: %q is unknown or repeated", d), "groupBy", strconv.Itoa(i))
		}
	}
	for i, v := range programs {
		if !v.Valid() {
			ps.Add(CodeUnknownValue, fmt.Sprintf("unknown program %q", v), "filter", "programs", strconv.Itoa(i))
		}
	}
	for i, v := range families {
		if !v.Valid() {
			ps.Add(CodeUnknownValue, fmt.Sprintf("unknown family %q", v), "filter", "families", strconv.Itoa(i))
		}
	}
	return ps
}

// SummaryRow is the license summary of one group (R-BI-1). Rows add up with Add; build the
// smallest ones, one per SKU pool on an account, with NewSummaryCell or SummaryCellAt.
type SummaryRow struct {
	Licensed int // ACTIVE quantity on the account (R-SUB-1), including reserved-not-billed licenses
	// Pending is the ACTIVE quantity not yet on the account (R-ORD-5): neither licensed nor
	// assignable until it becomes available.
	Pending int
	InGrace int // IN_GRACE quantity: shown, never licensed (R-SUB-1, R-SUB-2)
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
func NewSummaryCell(licensed, pending, inGrace, reservedNotBilled, assigned int) SummaryRow {
	return SummaryRow{Licensed: licensed, Pending: pending, InGrace: inGrace, ReservedNotBilled: min(reservedNotBilled, licensed),
		Assigned: assigned, Unassignable: max(assigned-licensed, 0)}
}

// SummaryCellAt is NewSummaryCell from the facts of one SKU pool as of asOf; reservations
// show only on ACTIVE subscriptions, the ones whose quantity counts, and at most their
// licensed part (a lowered quantity keeps its pending licenses first, PendingPart).
func SummaryCellAt(h SKUHoldings, asOf time.Time) SummaryRow {
	reserved := 0
	for _, s := range h.Subscriptions {
		if s.Quantity > 0 && s.Term.StatusAt(asOf).Counts() {
			reserved += min(max(s.ReservedNotBilled, 0), s.Quantity-s.PendingAt(asOf))
		}
	}
	return NewSummaryCell(LicensedQuantityAt(h.Subscriptions, asOf), pendingQuantityAt(h.Subscriptions, asOf), inGraceQuantityAt(h.Subscriptions, asOf),
		reserved, len(distinct(h.AssignedUsers)))
}

// Add sums two rows.
func (r SummaryRow) Add(o SummaryRow) SummaryRow {
	return SummaryRow{Licensed: r.Licensed + o.Licensed, Pending: r.Pending + o.Pending, InGrace: r.InGrace + o.InGrace,
		ReservedNotBilled: r.ReservedNotBilled + o.ReservedNotBilled, Assigned: r.Assigned + o.Assigned,
		Unassignable: r.Unassignable + o.Unassignable}
}

// Available is how many licenses can still be assigned (DecideAssignment): the sum over pools
// of licensed minus assigned, never below zero per pool; a shortfall is a conflict (Deficit).
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

// R-BI-1: Summarize aggregates the license summary: licensed (active and on the account), pending
// (R-ORD-5), in-grace, reserved-not-yet-billed, assigned and available quantities (SummaryRow) of the cells whose
// keys equal every filter value, summed per distinct value of groupBy, sorted by those values in
// groupBy order. No groupBy gives one total row; no matching cell, an empty list. The store
// computes the same in the database (R-BI-2); this is the reference its tests compare with.
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
