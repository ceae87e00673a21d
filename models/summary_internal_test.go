package models

import (
	"cmp"
	"context"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// The SQL of LicenseSummary and AccountsWithConflicts is cross-checked against the pure rules
// (licensing.SummaryCellAt, Summarize, ConflictsAt) on randomized data sets (R-BI-1, R-LIC-2).

func summaryAll(t *testing.T, s *Store, c Caller, groupBy []licensing.SummaryDimension, f SummaryFilter, asOf time.Time) []licensing.SummaryGroup {
	return summaryGroups(t, s, c, groupBy, f, asOf, false)
}

// summaryGroups is the whole summary; cells forces the per-subscription SQL.
func summaryGroups(t *testing.T, s *Store, c Caller, groupBy []licensing.SummaryDimension, f SummaryFilter, asOf time.Time, cells bool) []licensing.SummaryGroup {
	t.Helper()
	r, err := s.licenseSummary(context.Background(), c, groupBy, f, asOf, SummaryPage{First: 100000}, cells)
	if err != nil {
		t.Fatalf("summary %v: %v", groupBy, err)
	}
	if r.TotalGroups != len(r.Groups) || r.HasNext {
		t.Fatalf("summary %v: total %d, %d groups, hasNext %v", groupBy, r.TotalGroups, len(r.Groups), r.HasNext)
	}
	out := make([]licensing.SummaryGroup, len(r.Groups))
	for i, g := range r.Groups {
		out[i] = licensing.SummaryGroup{Keys: g.Keys(groupBy), Row: g.SummaryRow}
		if g.Available() < 0 {
			t.Fatalf("negative available: %+v", g)
		}
	}
	return out
}

// sameGroups compares as sets (Summarize sorts ids as text, the database as numbers).
func sameGroups(t *testing.T, what string, got, want []licensing.SummaryGroup) {
	t.Helper()
	key := func(g licensing.SummaryGroup) string { return fmt.Sprint(g.Keys) }
	sortG := func(gs []licensing.SummaryGroup) []licensing.SummaryGroup {
		gs = slices.Clone(gs)
		slices.SortFunc(gs, func(a, b licensing.SummaryGroup) int { return strings.Compare(key(a), key(b)) })
		return gs
	}
	g, wn := sortG(got), sortG(want)
	if !reflect.DeepEqual(g, wn) {
		for i := 0; i < max(len(g), len(wn)); i++ {
			var a, b any = "-", "-"
			if i < len(g) {
				a = g[i]
			}
			if i < len(wn) {
				b = wn[i]
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: %d groups, want %d; first difference:\n got  %+v\n want %+v", what, len(g), len(wn), a, b)
			}
		}
	}
}

func TestLicenseSummaryMatchesTheRules(t *testing.T) {
	ctx := context.Background()
	eachTestStore(t, func(t *testing.T, s *Store) {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("R-BI-1_R-LIC-2_random_data_%d", seed), func(t *testing.T) {
				rnd := mrand.New(mrand.NewPCG(seed, 42))
				w := newRandomWorld(t, s, rnd)
				op := Caller{Role: RoleOperator}
				// Only this run's resellers: the store is shared by the seeds.
				only := SummaryFilter{ResellerIDs: w.resellers}
				asOfs := []time.Time{testNow, testNow.Add(-20 * 24 * time.Hour), testNow.Add(25 * 24 * time.Hour)}
				for i := 0; i < 4; i++ {
					asOfs = append(asOfs, w.instants[rnd.IntN(len(w.instants))])
				}
				dims := licensing.SummaryDimensions
				for _, asOf := range asOfs {
					pool := w.poolCells(asOf)
					cells := w.subscriptionCells(t, asOf)
					all := func(groupBy ...licensing.SummaryDimension) []licensing.SummaryGroup {
						return summaryAll(t, s, op, groupBy, only, asOf)
					}
					// Pool dimensions: straight from SummaryCellAt, no allocation involved.
					for _, g := range [][]licensing.SummaryDimension{nil, {licensing.SummaryByReseller}, {licensing.SummaryBySKU},
						{licensing.SummaryByFamily}, {licensing.SummaryByAccount, licensing.SummaryBySKU}, {licensing.SummaryByAccount}} {
						want := licensing.Summarize(pool, g, nil)
						sameGroups(t, fmt.Sprintf("pool cells by %v as of %s", g, asOf), all(g...), want)
						// The per-subscription SQL agrees on pool dimensions too.
						sameGroups(t, fmt.Sprintf("subscription cells by %v as of %s", g, asOf), summaryGroups(t, s, op, g, only, asOf, true), want)
					}
					// Every dimension alone, a few pairs and all of them: the allocated cells.
					groupings := [][]licensing.SummaryDimension{dims, {licensing.SummaryByCustomer, licensing.SummaryBySKU},
						{licensing.SummaryByProgram, licensing.SummaryByFamily}, {licensing.SummaryByEnrollment, licensing.SummaryByAccount}}
					for _, d := range dims {
						groupings = append(groupings, []licensing.SummaryDimension{d})
					}
					for _, g := range groupings {
						sameGroups(t, fmt.Sprintf("by %v as of %s", g, asOf), all(g...), licensing.Summarize(cells, g, nil))
					}
					// Filters: one value of each dimension, grouped by SKU.
					for _, d := range dims {
						c := cells[rnd.IntN(len(cells))]
						v := c.Keys[d]
						if v == "" {
							continue
						}
						f := only
						setFilter(&f, d, v)
						g := []licensing.SummaryDimension{licensing.SummaryBySKU, licensing.SummaryByEnrollment}
						sameGroups(t, fmt.Sprintf("filter %s=%s as of %s", d, v, asOf), summaryAll(t, s, op, g, f, asOf),
							licensing.Summarize(cells, g, map[licensing.SummaryDimension]string{d: v}))
						if poolDimension(d) { // and the per-pool SQL
							g := []licensing.SummaryDimension{licensing.SummaryByAccount, licensing.SummaryBySKU}
							sameGroups(t, fmt.Sprintf("pool filter %s=%s as of %s", d, v, asOf), summaryAll(t, s, op, g, f, asOf),
								licensing.Summarize(pool, g, map[licensing.SummaryDimension]string{d: v}))
						}
					}
					// A reseller sees its own cells only, without naming itself.
					mine := Caller{Role: RoleReader, ResellerID: w.resellers[1]}
					sameGroups(t, "reseller scope", summaryAll(t, s, mine, []licensing.SummaryDimension{licensing.SummaryByAccount}, SummaryFilter{}, asOf),
						licensing.Summarize(cells, []licensing.SummaryDimension{licensing.SummaryByAccount},
							map[licensing.SummaryDimension]string{licensing.SummaryByReseller: idKey(w.resellers[1])}))

					// Conflicts: AccountHoldings are the facts; AccountsWithConflicts agrees
					// with ConflictsAt on them, page by page.
					want := map[int64]AccountConflictSummary{}
					hs := w.holdings(asOf)
					for id, a := range w.accounts {
						got, err := s.AccountHoldings(ctx, op, id)
						if err != nil {
							t.Fatal(err)
						}
						var ref []licensing.SKUHoldings
						for k, h := range hs {
							if k.account == id {
								hh := *h
								for i := range hh.Subscriptions {
									hh.Subscriptions[i].ReservedNotBilled = 0
								}
								ref = append(ref, hh)
							}
						}
						slices.SortFunc(ref, func(a, b licensing.SKUHoldings) int { return strings.Compare(a.SKU, b.SKU) })
						if ref == nil {
							ref = []licensing.SKUHoldings{}
						}
						if !reflect.DeepEqual(normTerms(got), normTerms(ref)) {
							t.Fatalf("holdings of account %d:\n got  %+v\n want %+v", id, got, ref)
						}
						cs := licensing.ConflictsAt(got, asOf)
						if len(cs) > 0 {
							sum := AccountConflictSummary{AccountID: id, ResellerID: a.ResellerID, SKUsInConflict: len(cs)}
							for _, c := range cs {
								sum.Deficit += c.Deficit
							}
							want[id] = sum
						}
					}
					got := map[int64]AccountConflictSummary{}
					var last int64
					for page := 0; ; page++ {
						l, err := s.AccountsWithConflicts(ctx, op, asOf, Page{First: 2, After: last})
						if err != nil {
							t.Fatal(err)
						}
						for _, it := range l.Items {
							if it.AccountID <= last {
								t.Fatalf("conflict list out of order")
							}
							last = it.AccountID
							if slices.Contains(w.resellers, it.ResellerID) {
								got[it.AccountID] = it
							}
						}
						if !l.HasNext {
							break
						}
					}
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("accounts with conflicts as of %s:\n got  %+v\n want %+v", asOf, got, want)
					}
				}
			})
		}
		t.Run("R-BI-1_pages_and_order", func(t *testing.T) {
			rnd := mrand.New(mrand.NewPCG(9, 9))
			w := newRandomWorld(t, s, rnd)
			op := Caller{Role: RoleOperator}
			g := []licensing.SummaryDimension{licensing.SummaryByAccount, licensing.SummaryBySKU}
			f := SummaryFilter{ResellerIDs: w.resellers}
			full, err := s.LicenseSummary(ctx, op, g, f, testNow, SummaryPage{First: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(full.Groups); i++ {
				a, b := full.Groups[i-1], full.Groups[i]
				ak, bk := int64(0), int64(0)
				if a.AccountID != nil {
					ak = *a.AccountID
				}
				if b.AccountID != nil {
					bk = *b.AccountID
				}
				if c := cmp.Or(cmp.Compare(ak, bk), strings.Compare(*a.SKU, *b.SKU)); c >= 0 {
					t.Fatalf("groups out of order at %d: %v/%s then %v/%s", i, ak, *a.SKU, bk, *b.SKU)
				}
			}
			var paged []SummaryGroupRow
			for off := 0; ; off += 4 {
				p, err := s.LicenseSummary(ctx, op, g, f, testNow, SummaryPage{First: 4, Offset: off})
				if err != nil {
					t.Fatal(err)
				}
				if p.TotalGroups != full.TotalGroups {
					t.Fatalf("total %d on page at %d, want %d", p.TotalGroups, off, full.TotalGroups)
				}
				paged = append(paged, p.Groups...)
				if !p.HasNext {
					break
				}
			}
			if !reflect.DeepEqual(paged, full.Groups) {
				t.Fatalf("pages differ from the whole")
			}
			past, err := s.LicenseSummary(ctx, op, g, f, testNow, SummaryPage{First: 4, Offset: 100000})
			if err != nil || len(past.Groups) != 0 || past.TotalGroups != full.TotalGroups {
				t.Fatalf("past the end: %+v %v", past, err)
			}
			empty, err := s.LicenseSummary(ctx, op, nil, SummaryFilter{SKUs: []string{"NOPE"}}, testNow, SummaryPage{First: 10})
			if err != nil || len(empty.Groups) != 0 {
				t.Fatalf("no matching cell is no group: %+v %v", empty, err)
			}
			_, err = s.LicenseSummary(ctx, op, []licensing.SummaryDimension{"SKU", "SKU"}, SummaryFilter{Programs: []licensing.Program{"X"}}, testNow, SummaryPage{First: 1})
			wantProblem(t, err, licensing.CodeInvalid, "groupBy", "1")
			wantProblem(t, err, licensing.CodeUnknownValue, "filter", "programs", "0")
		})
	})
}

// R-BI-1: a summary's groups come in the order of their keys, and its pages in turn, whatever
// order the groups' aggregates would put them in. On MariaDB the stored cells' grouping read the
// groups in the primary key's order and then sorted them by their number of cells for the
// window function of the total, unless the order is taken outside the grouping (groupsInOrder).
func TestSummaryGroupsComeInKeyOrder(t *testing.T) {
	eachTestStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// Resellers 100, 200 and 300 with 3, 1 and 2 cells: by cells 200, 300, 100.
		cells := map[int64]int{100: 3, 200: 1, 300: 2}
		for r, n := range cells {
			for i := 0; i < n; i++ {
				err := s.db.Exec(`INSERT INTO license_cells (reseller_id, account_key, sku, cell_no, licensed, pending, in_grace,
					reserved_not_billed, assigned, unassignable) VALUES (?, ?, 'INTUNE', 1, ?, 0, 0, 0, 0, 0)`, r, i+1, r/100).Error
				must(t, err)
			}
		}
		cat, err := s.summaryCatalog(ctx)
		must(t, err)
		op := Caller{Role: RoleOperator}
		byReseller := []licensing.SummaryDimension{licensing.SummaryByReseller}
		read := func(p SummaryPage) []int64 {
			sqlText, args := cellsSummarySQL(op, cat, byReseller, SummaryFilter{}, p, false)
			res, err := s.summaryPage(ctx, cat, sqlText, args, byReseller, time.Now(), p, nil)
			must(t, err)
			if res.TotalGroups != 3 {
				t.Fatalf("page %+v: %d groups in all, want 3", p, res.TotalGroups)
			}
			var ids []int64
			for _, g := range res.Groups {
				ids = append(ids, *g.ResellerID)
				if want := int(*g.ResellerID/100) * cells[*g.ResellerID]; g.Licensed != want {
					t.Fatalf("reseller %d: licensed %d, want %d", *g.ResellerID, g.Licensed, want)
				}
			}
			return ids
		}
		if got := read(SummaryPage{First: 10}); !slices.Equal(got, []int64{100, 200, 300}) {
			t.Fatalf("groups by reseller in the order %v, want 100, 200, 300", got)
		}
		var paged []int64
		for off := 0; off < 3; off++ {
			paged = append(paged, read(SummaryPage{First: 1, Offset: off})...)
		}
		if !slices.Equal(paged, []int64{100, 200, 300}) {
			t.Fatalf("pages of one group by reseller: %v, want 100, 200, 300", paged)
		}
	})
}
