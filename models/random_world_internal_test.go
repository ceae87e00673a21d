package models

import (
	"cmp"
	"context"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// A random data set and the reference the pure rules compute from it, for the tests that
// cross-check a SQL decision against its licensing function (summary, conflicts).

// forRandomSeeds runs fn on every test store for three seeds of stream, each a subtest named
// name_seed.
func forRandomSeeds(t *testing.T, name string, stream uint64, fn func(t *testing.T, s *Store, rnd *mrand.Rand)) {
	eachTestStore(t, func(t *testing.T, s *Store) {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s_%d", name, seed), func(t *testing.T) { fn(t, s, mrand.New(mrand.NewPCG(seed, stream))) })
		}
	})
}

// randomWorld is a random data set and the facts to compute the reference from.
type randomWorld struct {
	resellers   []int64
	agreements  map[int64]Agreement
	enrollments map[int64]Enrollment
	accounts    map[int64]Account
	users       map[int64]AccountUser
	subs        []Subscription
	reserved    map[int64][]Reservation              // by subscription
	changes     map[int64][]licensing.QuantityChange // by subscription: some still pending (R-ORD-5)
	assignments []LicenseAssignment
	instants    []time.Time // boundaries worth evaluating at
}

func newRandomWorld(t *testing.T, s *Store, rnd *mrand.Rand) *randomWorld {
	w := &randomWorld{agreements: map[int64]Agreement{}, enrollments: map[int64]Enrollment{}, accounts: map[int64]Account{},
		users: map[int64]AccountUser{}, reserved: map[int64][]Reservation{}, changes: map[int64][]licensing.QuantityChange{}}
	skus := []string{"O365-E3", "O365-E5", "M365-E3", "INTUNE", "D365-SALES-PRO"}
	at := func(maxDays int) time.Time { // an instant around asgNow, microsecond precision (DATETIME(6))
		return testNow.Add(time.Duration(rnd.IntN(2*maxDays*24*3600)-maxDays*24*3600) * time.Second).Add(time.Duration(rnd.IntN(1e6)) * time.Microsecond)
	}
	for r := 0; r < 2; r++ {
		res := Reseller{ID: newID(), Name: "R", CreatedAt: testNow}
		create(t, s, &res)
		w.resellers = append(w.resellers, res.ID)
		var accts []Account
		var custs []Customer
		for c := 0; c < 3; c++ {
			cu := Customer{ID: newID(), ResellerID: res.ID, OrganizationName: "C", Country: "US", CreatedAt: testNow}
			create(t, s, &cu)
			custs = append(custs, cu)
			for n := rnd.IntN(2) + 1; n > 0; n-- {
				a := Account{ID: newID(), ResellerID: res.ID, CustomerID: cu.ID, Name: "A", Country: "US", CreatedAt: testNow}
				create(t, s, &a)
				accts = append(accts, a)
				w.accounts[a.ID] = a
				for u := rnd.IntN(7); u > 0; u-- {
					au := AccountUser{ID: newID(), ResellerID: res.ID, AccountID: a.ID, UserName: fmt.Sprintf("u%d@%d.example", u, a.ID), DisplayName: "U", CreatedAt: testNow}
					create(t, s, &au)
					w.users[au.ID] = au
				}
			}
		}
		term := func(sub *Subscription) {
			sub.Quantity = rnd.IntN(7)
			if rnd.IntN(8) == 0 {
				sub.Quantity = 0
			}
			sub.EndDate = licensing.DateOf(at(40))
			sub.AutoRenew = rnd.IntN(2) == 0
			if rnd.IntN(4) == 0 {
				sub.CancelledAt = timePtr(at(40))
			}
			if rnd.IntN(3) == 0 {
				sub.GraceFrom = timePtr(at(40))
				if rnd.IntN(8) != 0 {
					sub.GraceUntil = timePtr(sub.GraceFrom.Add(time.Duration(rnd.IntN(40*24)) * time.Hour))
				}
			}
			w.subs = append(w.subs, *sub)
			for _, p := range []*time.Time{sub.CancelledAt, sub.GraceFrom, sub.GraceUntil} {
				if p != nil {
					w.instants = append(w.instants, *p)
				}
			}
			w.instants = append(w.instants, sub.EndDate.AddDays(1).Start(), sub.EndDate.AddDays(1).Start().Add(-time.Microsecond))
			// Changes around now, some still pending: orders (12 hours), and others that take
			// effect later (a renewal's start) or lowered the quantity.
			causes := []string{CauseOrder, CauseOrder, CauseRenewal, CauseSetQuantity}
			for n := rnd.IntN(3); n > 0 && sub.Quantity > 0; n-- {
				ch := SubscriptionChange{ID: newID(), ResellerID: sub.ResellerID, SubscriptionID: sub.ID, Delta: rnd.IntN(sub.Quantity+2) + 1,
					Cause: causes[rnd.IntN(len(causes))], EffectiveAt: at(1)}
				if ch.Cause == CauseSetQuantity && rnd.IntN(2) == 0 {
					ch.Delta = -ch.Delta
				}
				create(t, s, &ch)
				qc := licensing.QuantityChange{Delta: ch.Delta, EffectiveAt: ch.EffectiveAt, FromOrder: ch.Cause == CauseOrder}
				if qc.Delta > 0 { // the facts are the changes that added licenses, oldest first
					i, _ := slices.BinarySearchFunc(w.changes[sub.ID], qc, func(a, b licensing.QuantityChange) int { return a.EffectiveAt.Compare(b.EffectiveAt) })
					w.changes[sub.ID] = slices.Insert(w.changes[sub.ID], i, qc)
				}
				w.instants = append(w.instants, qc.AvailableAt(), qc.AvailableAt().Add(-time.Microsecond))
			}
			for n := rnd.IntN(3); n > 0 && sub.EnrollmentID != nil; n-- {
				rv := Reservation{ID: newID(), ResellerID: sub.ResellerID, EnrollmentID: *sub.EnrollmentID, SubscriptionID: sub.ID, SKU: sub.SKU,
					Quantity: rnd.IntN(4) + 1, Status: licensing.ReservationPending, ContactEmail: "x@y.example", ReservedAt: testNow,
					BillingDate: licensing.DateOf(at(40)), IdempotencyKey: fmt.Sprint(newID()), Fingerprint: "f"}
				create(t, s, &rv)
				w.reserved[sub.ID] = append(w.reserved[sub.ID], rv)
			}
		}
		programs := []licensing.Program{licensing.ProgramEnterprise, licensing.ProgramOpenValue, licensing.ProgramMPSA}
		for _, cu := range custs {
			for g := rnd.IntN(2) + 1; g > 0; g-- {
				ag := Agreement{ID: newID(), ResellerID: res.ID, CustomerID: cu.ID, Program: programs[rnd.IntN(len(programs))], Number: fmt.Sprint("A", newID()),
					StartDate: licensing.NewDate(2026, 1, 1), AnniversaryDate: licensing.NewDate(2027, 1, 1), CreatedAt: testNow}
				create(t, s, &ag)
				w.agreements[ag.ID] = ag
				for n := rnd.IntN(3) + 1; n > 0; n-- {
					e := Enrollment{ID: newID(), ResellerID: res.ID, AgreementID: ag.ID, Number: fmt.Sprint("E", newID()), OrganizationName: "C",
						StartDate: licensing.NewDate(2026, 1, 1), EndDate: licensing.NewDate(2028, 1, 1), Status: licensing.EnrollmentActive, CreatedAt: testNow}
					if rnd.IntN(5) != 0 { // activated, sometimes on another customer's account
						id := accts[rnd.IntN(len(accts))].ID
						e.AccountID = &id
					}
					create(t, s, &e)
					w.enrollments[e.ID] = e
					for _, i := range rnd.Perm(len(skus))[:rnd.IntN(3)+1] {
						sub := Subscription{ID: newID(), ResellerID: res.ID, EnrollmentID: &e.ID, Program: ag.Program, SKU: skus[i], CreatedAt: testNow, UpdatedAt: testNow}
						term(&sub)
						create(t, s, &sub)
					}
				}
			}
		}
		for _, a := range accts {
			for n := rnd.IntN(3); n > 0; n-- {
				sub := Subscription{ID: newID(), ResellerID: res.ID, DirectAccountID: &a.ID, Program: licensing.ProgramMOSP, SKU: skus[rnd.IntN(len(skus))], CreatedAt: testNow, UpdatedAt: testNow}
				term(&sub)
				create(t, s, &sub)
			}
		}
	}
	// Assignments straight into the table: the data set is any state the rules can reach
	// (quantities lowered, subscriptions expired), not only what AssignLicenses allows.
	for _, u := range w.users {
		for _, sku := range skus {
			if rnd.IntN(2) == 0 {
				la := LicenseAssignment{ID: newID(), ResellerID: u.ResellerID, AccountID: u.AccountID, UserID: u.ID, SKU: sku,
					AssignedAt: testNow.Add(-time.Duration(rnd.IntN(3)) * time.Hour)} // ties: ordered by user id
				create(t, s, &la)
				w.assignments = append(w.assignments, la)
			}
		}
	}
	if err := s.RebuildLicensePools(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkPools(t, s)
	return w
}

type poolKey struct {
	reseller, account int64 // account 0: an enrollment not activated
	sku               string
}

func (w *randomWorld) accountOf(sub Subscription) int64 {
	if sub.EnrollmentID != nil {
		if a := w.enrollments[*sub.EnrollmentID].AccountID; a != nil {
			return *a
		}
		return 0
	}
	return *sub.DirectAccountID
}

// holdings are the facts per pool, as AccountHoldings should load them.
func (w *randomWorld) holdings(asOf time.Time) map[poolKey]*licensing.SKUHoldings {
	out := map[poolKey]*licensing.SKUHoldings{}
	get := func(k poolKey) *licensing.SKUHoldings {
		if out[k] == nil {
			out[k] = &licensing.SKUHoldings{SKU: k.sku, Subscriptions: []licensing.HeldSubscription{}, AssignedUsers: []string{}}
		}
		return out[k]
	}
	subs := slices.Clone(w.subs)
	slices.SortFunc(subs, func(a, b Subscription) int { return cmp.Compare(a.ID, b.ID) })
	for _, sub := range subs {
		rnb := 0
		for _, rv := range w.reserved[sub.ID] {
			if licensing.NotYetBilled(rv.BillingDate, asOf) {
				rnb += rv.Quantity
			}
		}
		h := get(poolKey{sub.ResellerID, w.accountOf(sub), sub.SKU})
		h.Subscriptions = append(h.Subscriptions, licensing.HeldSubscription{ID: sub.ID, Quantity: sub.Quantity, ReservedNotBilled: rnb, Term: sub.Term(),
			Changes: w.changes[sub.ID]})
	}
	as := slices.Clone(w.assignments)
	slices.SortFunc(as, func(a, b LicenseAssignment) int {
		return cmp.Or(a.AssignedAt.Compare(b.AssignedAt), cmp.Compare(a.UserID, b.UserID))
	})
	for _, la := range as {
		h := get(poolKey{la.ResellerID, la.AccountID, la.SKU})
		h.AssignedUsers = append(h.AssignedUsers, w.users[la.UserID].UserName)
	}
	return out
}

var families = map[string]string{"O365-E3": "OFFICE_365", "O365-E5": "OFFICE_365", "M365-E3": "MICROSOFT_365", "INTUNE": "INTUNE", "D365-SALES-PRO": "DYNAMICS_365"}

func idKey(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// poolCells are the reference cells of pool dimensions only, straight from SummaryCellAt.
func (w *randomWorld) poolCells(asOf time.Time) []licensing.SummaryCell {
	var out []licensing.SummaryCell
	for k, h := range w.holdings(asOf) {
		out = append(out, licensing.SummaryCell{Row: licensing.SummaryCellAt(*h, asOf), Keys: map[licensing.SummaryDimension]string{
			licensing.SummaryByReseller: idKey(k.reseller), licensing.SummaryByAccount: idKey(k.account),
			licensing.SummaryBySKU: k.sku, licensing.SummaryByFamily: families[k.sku]}})
	}
	return out
}

// subscriptionCells are the reference cells of every dimension: a pool's users allocated to
// its subscriptions, ACTIVE then IN_GRACE, each by id, up to their quantity, the rest to a
// cell with no subscription (summary.go). Written apart from the SQL, from StatusAt.
func (w *randomWorld) subscriptionCells(t *testing.T, asOf time.Time) []licensing.SummaryCell {
	byID := map[int64]Subscription{}
	for _, sub := range w.subs {
		byID[sub.ID] = sub
	}
	var out []licensing.SummaryCell
	for k, h := range w.holdings(asOf) {
		class := func(s licensing.HeldSubscription) int {
			switch s.Term.StatusAt(asOf) {
			case licensing.SubscriptionActive:
				return 0
			case licensing.SubscriptionInGrace:
				return 1
			}
			return 2
		}
		subs := slices.Clone(h.Subscriptions)
		slices.SortStableFunc(subs, func(a, b licensing.HeldSubscription) int {
			return cmp.Or(cmp.Compare(class(a), class(b)), cmp.Compare(a.ID, b.ID))
		})
		left := len(h.AssignedUsers)
		var sum licensing.SummaryRow
		for _, hs := range subs {
			sub := byID[hs.ID]
			one := licensing.SKUHoldings{SKU: h.SKU, Subscriptions: []licensing.HeldSubscription{hs}}
			row := licensing.SummaryCellAt(one, asOf)
			take := min(left, row.Licensed+row.InGrace)
			left -= take
			row = licensing.NewSummaryCell(row.Licensed, row.Pending, row.InGrace, row.ReservedNotBilled, take)
			sum = sum.Add(row)
			keys := map[licensing.SummaryDimension]string{licensing.SummaryByReseller: idKey(k.reseller), licensing.SummaryByAccount: idKey(k.account),
				licensing.SummaryBySKU: k.sku, licensing.SummaryByFamily: families[k.sku], licensing.SummaryByProgram: string(sub.Program)}
			if sub.EnrollmentID != nil {
				e := w.enrollments[*sub.EnrollmentID]
				keys[licensing.SummaryByEnrollment] = idKey(e.ID)
				keys[licensing.SummaryByAgreement] = idKey(e.AgreementID)
				keys[licensing.SummaryByCustomer] = idKey(w.agreements[e.AgreementID].CustomerID)
			} else {
				keys[licensing.SummaryByEnrollment], keys[licensing.SummaryByAgreement] = "", ""
				keys[licensing.SummaryByCustomer] = idKey(w.accounts[*sub.DirectAccountID].CustomerID)
			}
			out = append(out, licensing.SummaryCell{Keys: keys, Row: row})
		}
		if left > 0 {
			row := licensing.NewSummaryCell(0, 0, 0, 0, left)
			sum = sum.Add(row)
			out = append(out, licensing.SummaryCell{Row: row, Keys: map[licensing.SummaryDimension]string{
				licensing.SummaryByReseller: idKey(k.reseller), licensing.SummaryByAccount: idKey(k.account), licensing.SummaryBySKU: k.sku,
				licensing.SummaryByFamily: families[k.sku], licensing.SummaryByCustomer: idKey(w.accounts[k.account].CustomerID),
				licensing.SummaryByEnrollment: "", licensing.SummaryByAgreement: "", licensing.SummaryByProgram: ""}})
		}
		// The allocation keeps the pool's arithmetic: its cells add up to the pool's row.
		if want := licensing.SummaryCellAt(*h, asOf); sum != want {
			t.Fatalf("cells of pool %+v add up to %+v, want %+v", k, sum, want)
		}
	}
	return out
}

func parseID(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }

// normTerms makes stored and generated terms comparable (time zones, monotonic clock).
func normTerms(hs []licensing.SKUHoldings) []licensing.SKUHoldings {
	out := slices.Clone(hs)
	norm := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := p.UTC().Round(0)
		return &v
	}
	for i := range out {
		subs := slices.Clone(out[i].Subscriptions)
		for j := range subs {
			subs[j].Term.CancelledAt, subs[j].Term.GraceFrom, subs[j].Term.GraceUntil = norm(subs[j].Term.CancelledAt), norm(subs[j].Term.GraceFrom), norm(subs[j].Term.GraceUntil)
			changes := slices.Clone(subs[j].Changes)
			for k := range changes {
				changes[k].EffectiveAt = *norm(&changes[k].EffectiveAt)
			}
			subs[j].Changes = changes
		}
		out[i].Subscriptions = subs
	}
	return out
}
