package models

// Tests of license assignments, conflicts and the license summary (R-LIC, R-BI). The SQL of
// LicenseSummary and AccountsWithConflicts is cross-checked against the pure rules
// (licensing.SummaryCellAt, Summarize, ConflictsAt) on randomized data sets. Stores are
// opened directly (testenv imports this package): SQLite always, MariaDB/MySQL too when
// TEST_MYSQL_DSN is set.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

var asgNow = time.Date(2026, 9, 14, 10, 30, 0, 0, time.UTC)

// ---- stores ----

// ---- fixtures ----

type asgFixture struct {
	t        *testing.T
	s        *Store
	reseller int64
	c        Caller
}

func newAsgFixture(t *testing.T, s *Store) *asgFixture {
	r := Reseller{ID: newID(), Name: "R", CreatedAt: asgNow}
	asgCreate(t, s, &r)
	return &asgFixture{t: t, s: s, reseller: r.ID, c: Caller{Role: RoleReseller, ResellerID: r.ID}}
}

func asgCreate(t testing.TB, s *Store, v any) {
	t.Helper()
	if err := s.ctx(context.Background()).Create(v).Error; err != nil {
		t.Fatalf("create %T: %v", v, err)
	}
}

// account makes an account with n users u0..u{n-1}@x.example and an enrollment on it.
func (f *asgFixture) account(n int) (Account, Enrollment) {
	cu := Customer{ID: newID(), ResellerID: f.reseller, OrganizationName: "C", Country: "US", CreatedAt: asgNow}
	asgCreate(f.t, f.s, &cu)
	ag := Agreement{ID: newID(), ResellerID: f.reseller, CustomerID: cu.ID, Program: licensing.ProgramEnterprise, Number: fmt.Sprint("EA", newID()),
		StartDate: licensing.NewDate(2026, 1, 1), AnniversaryDate: licensing.NewDate(2027, 1, 1), CreatedAt: asgNow}
	asgCreate(f.t, f.s, &ag)
	a := Account{ID: newID(), ResellerID: f.reseller, CustomerID: cu.ID, Name: "A", Country: "US", CreatedAt: asgNow}
	asgCreate(f.t, f.s, &a)
	e := Enrollment{ID: newID(), ResellerID: f.reseller, AgreementID: ag.ID, Number: fmt.Sprint("E", newID()), OrganizationName: "C",
		StartDate: licensing.NewDate(2026, 1, 1), EndDate: licensing.NewDate(2028, 12, 31), Status: licensing.EnrollmentActive, AccountID: &a.ID, CreatedAt: asgNow}
	asgCreate(f.t, f.s, &e)
	var users []AccountUser
	for i := 0; i < n; i++ {
		users = append(users, AccountUser{ID: newID(), ResellerID: f.reseller, AccountID: a.ID, UserName: fmt.Sprintf("u%d@x.example", i), DisplayName: "U", CreatedAt: asgNow})
	}
	if n > 0 {
		if err := f.s.ctx(context.Background()).CreateInBatches(users, 200).Error; err != nil {
			f.t.Fatal(err)
		}
	}
	return a, e
}

// sub adds a subscription of sku on the enrollment; edit tweaks its term before it is stored.
func (f *asgFixture) sub(e Enrollment, sku string, qty int, edit func(*Subscription)) Subscription {
	s := Subscription{ID: newID(), ResellerID: f.reseller, EnrollmentID: &e.ID, Program: licensing.ProgramEnterprise, SKU: sku, Quantity: qty,
		EndDate: licensing.NewDate(2027, 12, 31), CreatedAt: asgNow, UpdatedAt: asgNow}
	if edit != nil {
		edit(&s)
	}
	asgCreate(f.t, f.s, &s)
	return s
}

func asgUsers(idx ...int) []string {
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = fmt.Sprintf("u%d@x.example", n)
	}
	return out
}

// wantProblem checks err is a licensing.Problems holding code on field.
func asgWantProblem(t *testing.T, err error, code licensing.Code, field ...string) licensing.Problem {
	t.Helper()
	var ps licensing.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want %s on %v, got %v", code, field, err)
	}
	for _, p := range ps {
		if p.Code == code && slices.Equal(p.Field, field) {
			return p
		}
	}
	t.Fatalf("want %s on %v, got %v", code, field, ps)
	return licensing.Problem{}
}

func asgPtrTime(t time.Time) *time.Time { return &t }

// asgCheckPools checks the counters in license_pools against the assignments they count.
func asgCheckPools(t testing.TB, s *Store) {
	t.Helper()
	type pool struct {
		ResellerID, AccountID int64
		SKU                   string `gorm:"column:sku"`
		Assigned              int
	}
	var counted, kept []pool
	db := s.ctx(context.Background())
	if err := db.Raw(`SELECT reseller_id, account_id, sku, COUNT(*) AS assigned FROM license_assignments GROUP BY reseller_id, account_id, sku ORDER BY reseller_id, account_id, sku`).Scan(&counted).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Raw(`SELECT reseller_id, account_id, sku, assigned FROM license_pools ORDER BY reseller_id, account_id, sku`).Scan(&kept).Error; err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(counted, kept) {
		t.Fatalf("license_pools drifted from license_assignments:\n counted %+v\n kept    %+v", counted, kept)
	}
}

// ---- assignment rules ----

func TestAssignments(t *testing.T) {
	ctx := context.Background()
	eachTestStore(t, func(t *testing.T, s *Store) {
		t.Run("R-LIC-1_never_past_the_active_quantity", func(t *testing.T) {
			f := newAsgFixture(t, s)
			a, e := f.account(6)
			f.sub(e, "O365-E3", 3, nil)
			// IN_GRACE and EXPIRED quantities never count as licensed (R-SUB-1).
			f.sub(e, "INTUNE", 5, func(s *Subscription) {
				s.GraceFrom, s.GraceUntil = asgPtrTime(asgNow.Add(-time.Hour)), asgPtrTime(asgNow.Add(time.Hour))
			})
			r, err := s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", asgUsers(0, 1), asgNow)
			if err != nil || r.Assigned != 2 || r.Licensed != 3 || !slices.Equal(r.Changed, asgUsers(0, 1)) || r.Available() != 1 {
				t.Fatalf("assign: %+v %v", r, err)
			}
			_, err = s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", asgUsers(1, 2, 3), asgNow)
			p := asgWantProblem(t, err, licensing.CodeNotEnoughLicenses, "userNames")
			if !strings.Contains(p.Message, "1 more license") {
				t.Fatalf("message should name the one license missing: %q", p.Message)
			}
			// Already-assigned users are not counted twice; repeating a call changes nothing.
			r, err = s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", asgUsers(1, 2, 2), asgNow)
			if err != nil || r.Assigned != 3 || !slices.Equal(r.Changed, asgUsers(2)) || !slices.Equal(r.Unchanged, asgUsers(1)) {
				t.Fatalf("idempotent assign: %+v %v", r, err)
			}
			if r, err = s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", asgUsers(0, 1, 2), asgNow); err != nil || len(r.Changed) != 0 || r.Assigned != 3 {
				t.Fatalf("repeat: %+v %v", r, err)
			}
			_, err = s.AssignLicenses(ctx, f.c, a.ID, "INTUNE", asgUsers(0), asgNow)
			asgWantProblem(t, err, licensing.CodeNotEnoughLicenses, "userNames")
			if r, err := s.RemoveLicenses(ctx, f.c, a.ID, "INTUNE", asgUsers(0), true, asgNow); err != nil || r.InGrace != 5 || r.Row().Available() != 0 {
				t.Fatalf("in grace shows, assigns nothing: %+v %v", r, err)
			}
			if n, _ := s.AssignedCount(ctx, f.reseller, a.ID, "INTUNE"); n != 0 {
				t.Fatalf("refused call wrote %d rows", n)
			}
		})
		t.Run("R-LIC-1_refusals_name_their_field", func(t *testing.T) {
			f := newAsgFixture(t, s)
			a, e := f.account(2)
			f.sub(e, "O365-E3", 10, nil)
			_, err := s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", []string{"u0@x.example", "nobody@x.example"}, asgNow)
			asgWantProblem(t, err, licensing.CodeNotFound, "userNames", "1")
			_, err = s.AssignLicenses(ctx, f.c, a.ID, "NOPE", asgUsers(0), asgNow)
			asgWantProblem(t, err, licensing.CodeUnknownSKU, "sku")
			other := newAsgFixture(t, s)
			_, err = s.AssignLicenses(ctx, other.c, a.ID, "O365-E3", asgUsers(0), asgNow)
			asgWantProblem(t, err, licensing.CodeNotFound, "accountId")
			_, err = s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", nil, asgNow)
			asgWantProblem(t, err, licensing.CodeRequired, "userNames")
			// User names match case-insensitively, as they are stored (insertUsers).
			if r, err := s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", []string{" U1@X.example"}, asgNow); err != nil || r.Assigned != 1 {
				t.Fatalf("case-insensitive user: %+v %v", r, err)
			}
			if n, _ := s.AssignedCount(ctx, f.reseller, a.ID, "O365-E3"); n != 1 {
				t.Fatalf("refused calls wrote rows: %d", n)
			}
		})
		t.Run("R-LIC-5_removal_needs_confirmation_and_deleting_a_user_frees_licenses", func(t *testing.T) {
			f := newAsgFixture(t, s)
			a, e := f.account(3)
			f.sub(e, "O365-E3", 2, nil)
			f.sub(e, "INTUNE", 2, nil)
			for _, sku := range []string{"O365-E3", "INTUNE"} {
				if _, err := s.AssignLicenses(ctx, f.c, a.ID, sku, asgUsers(0, 1), asgNow); err != nil {
					t.Fatal(err)
				}
			}
			_, err := s.RemoveLicenses(ctx, f.c, a.ID, "O365-E3", asgUsers(0), false, asgNow)
			asgWantProblem(t, err, licensing.CodeDataLossNotConfirmed, "confirmDataLoss")
			r, err := s.RemoveLicenses(ctx, f.c, a.ID, "O365-E3", asgUsers(0, 2), true, asgNow)
			if err != nil || r.Assigned != 1 || !slices.Equal(r.Changed, asgUsers(0)) || !slices.Equal(r.Unchanged, asgUsers(2)) {
				t.Fatalf("remove: %+v %v", r, err)
			}
			d, err := s.DeleteAccountUser(ctx, f.c, a.ID, "U1@x.example")
			if err != nil || !slices.Equal(d.FreedSKUs, []string{"INTUNE", "O365-E3"}) {
				t.Fatalf("delete user: %+v %v", d, err)
			}
			for _, sku := range []string{"O365-E3", "INTUNE"} {
				if _, err := s.AssignLicenses(ctx, f.c, a.ID, sku, asgUsers(2), asgNow); err != nil {
					t.Fatalf("a freed license is assignable again: %v", err)
				}
			}
			_, err = s.DeleteAccountUser(ctx, f.c, a.ID, "u1@x.example")
			asgWantProblem(t, err, licensing.CodeNotFound, "userName")
			other := newAsgFixture(t, s)
			_, err = s.DeleteAccountUser(ctx, other.c, a.ID, "u0@x.example")
			asgWantProblem(t, err, licensing.CodeNotFound, "accountId")
		})
		t.Run("R-LIC-6_lowering_below_assigned_needs_acceptance", func(t *testing.T) {
			f := newAsgFixture(t, s)
			a, e := f.account(5)
			sub := f.sub(e, "O365-E3", 3, nil)
			direct := Subscription{ID: newID(), ResellerID: f.reseller, DirectAccountID: &a.ID, Program: licensing.ProgramMOSP, SKU: "O365-E3", Quantity: 2,
				EndDate: licensing.NewDate(2027, 1, 1), CreatedAt: asgNow, UpdatedAt: asgNow}
			asgCreate(t, s, &direct)
			if _, err := s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", asgUsers(0, 1, 2, 3), asgNow); err != nil {
				t.Fatal(err)
			}
			check := func(q int, accept bool) error {
				return s.InTx(ctx, func(tx *Store) error { return tx.CheckQuantityLowering(ctx, &sub, q, accept, asgNow) })
			}
			if err := check(2, false); err != nil { // 2 + 2 direct covers 4 (the whole pool counts)
				t.Fatalf("lowering to 2: %v", err)
			}
			p := asgWantProblem(t, check(1, false), licensing.CodeBelowAssigned, "quantity")
			if !strings.Contains(p.Message, "deficit of 1") {
				t.Fatalf("message: %q", p.Message)
			}
			if err := check(0, true); err != nil {
				t.Fatalf("accepted conflict: %v", err)
			}
			if acc, err := s.AccountOfSubscription(ctx, &direct); err != nil || *acc != a.ID {
				t.Fatalf("account of a direct purchase: %v %v", acc, err)
			}
		})
		t.Run("R-LIC-2_R-LIC-3_R-LIC-7_conflicts_of_an_account", func(t *testing.T) {
			f := newAsgFixture(t, s)
			a, e := f.account(4)
			sub := f.sub(e, "O365-E3", 4, func(s *Subscription) { s.EndDate = licensing.DateOf(asgNow).AddDays(10) })
			grace := f.sub(e, "INTUNE", 3, nil)
			for i, u := range asgUsers(0, 1, 2) {
				for _, sku := range []string{"O365-E3", "INTUNE"} {
					if _, err := s.AssignLicenses(ctx, f.c, a.ID, sku, []string{u}, asgNow.Add(time.Duration(i)*time.Minute)); err != nil {
						t.Fatal(err)
					}
				}
			}
			// The enrollment is renewed onto other SKUs: INTUNE is covered by grace only.
			gf, gu := asgNow.Add(time.Hour), asgNow.Add(30*24*time.Hour)
			if err := s.ctx(ctx).Model(&grace).Updates(map[string]any{"grace_from": gf, "grace_until": gu}).Error; err != nil {
				t.Fatal(err)
			}
			cs, err := s.AccountConflicts(ctx, f.c, a.ID, asgNow.Add(2*time.Hour))
			if err != nil || len(cs) != 0 {
				t.Fatalf("in grace is no conflict yet: %+v %v", cs, err)
			}
			// R-LIC-7: at the end of the grace period every INTUNE user is in conflict; the
			// O365-E3 subscription has ended (auto-renew off) by then too (R-LIC-3).
			cs, err = s.AccountConflicts(ctx, f.c, a.ID, gu)
			if err != nil || len(cs) != 2 || cs[0].SKU != "INTUNE" || cs[0].Deficit != 3 || cs[1].SKU != "O365-E3" ||
				!slices.Equal(cs[1].AffectedUsers, asgUsers(0, 1, 2)) || cs[1].Resolutions[2].SubscriptionIDs[0] != sub.ID {
				t.Fatalf("projected conflicts: %+v %v", cs, err)
			}
			l, err := s.AccountsWithConflicts(ctx, f.c, gu, Page{First: 10})
			if err != nil || len(l.Items) != 1 || l.Items[0] != (AccountConflictSummary{AccountID: a.ID, ResellerID: f.reseller, SKUsInConflict: 2, Deficit: 6}) || l.Total != 1 {
				t.Fatalf("accounts with conflicts: %+v %v", l, err)
			}
			if _, err := s.AccountHoldings(ctx, newAsgFixture(t, s).c, a.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("another reseller's account: %v", err)
			}
		})
		// Every assign, remove and user deletion above kept the pool counters exact.
		asgCheckPools(t, s)
	})
}

// R-LIC-1 under concurrency: 200 users race for 100 licenses; the account lock lets exactly
// 100 through.
func TestAssignmentsConcurrent(t *testing.T) {
	t.Run("R-LIC-1_concurrent_assignments_never_pass_the_licensed_quantity", func(t *testing.T) {
		var s *Store
		if dsn := os.Getenv("TEST_MYSQL_DSN"); dsn != "" {
			s = mysqlTestStore(t, dsn)
		} else {
			t.Log("TEST_MYSQL_DSN not set: running on SQLite, where writers are serialized; CI runs this on MariaDB")
			s = sqliteTestStore(t)
		}
		ctx := context.Background()
		f := newAsgFixture(t, s)
		a, e := f.account(200)
		f.sub(e, "M365-E5", 100, nil)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, 0
		var other []error
		start := make(chan struct{})
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				_, err := s.AssignLicenses(ctx, f.c, a.ID, "M365-E5", asgUsers(i), asgNow)
				mu.Lock()
				defer mu.Unlock()
				var ps licensing.Problems
				switch {
				case err == nil:
					ok++
				case errors.As(err, &ps) && len(ps) == 1 && ps[0].Code == licensing.CodeNotEnoughLicenses:
					refused++
				default:
					other = append(other, err)
				}
			}(i)
		}
		close(start)
		wg.Wait()
		n, err := s.AssignedCount(ctx, f.reseller, a.ID, "M365-E5")
		if ok != 100 || refused != 100 || len(other) > 0 || n != 100 || err != nil {
			t.Fatalf("ok %d, refused %d, stored %d (%v), other errors %v", ok, refused, n, err, other)
		}
		asgCheckPools(t, s)
	})
}

// ---- randomized cross-check of the SQL against the pure rules ----

// asgWorld is a random data set and the facts to compute the reference from.
type asgWorld struct {
	resellers   []int64
	agreements  map[int64]Agreement
	enrollments map[int64]Enrollment
	accounts    map[int64]Account
	users       map[int64]AccountUser
	subs        []Subscription
	reserved    map[int64][]Reservation // by subscription
	assignments []LicenseAssignment
	instants    []time.Time // boundaries worth evaluating at
}

func asgRandomWorld(t *testing.T, s *Store, rnd *mrand.Rand) *asgWorld {
	w := &asgWorld{agreements: map[int64]Agreement{}, enrollments: map[int64]Enrollment{}, accounts: map[int64]Account{},
		users: map[int64]AccountUser{}, reserved: map[int64][]Reservation{}}
	skus := []string{"O365-E3", "O365-E5", "M365-E3", "INTUNE", "D365-SALES-PRO"}
	at := func(maxDays int) time.Time { // an instant around asgNow, microsecond precision (DATETIME(6))
		return asgNow.Add(time.Duration(rnd.IntN(2*maxDays*24*3600)-maxDays*24*3600) * time.Second).Add(time.Duration(rnd.IntN(1e6)) * time.Microsecond)
	}
	for r := 0; r < 2; r++ {
		res := Reseller{ID: newID(), Name: "R", CreatedAt: asgNow}
		asgCreate(t, s, &res)
		w.resellers = append(w.resellers, res.ID)
		var accts []Account
		var custs []Customer
		for c := 0; c < 3; c++ {
			cu := Customer{ID: newID(), ResellerID: res.ID, OrganizationName: "C", Country: "US", CreatedAt: asgNow}
			asgCreate(t, s, &cu)
			custs = append(custs, cu)
			for n := rnd.IntN(2) + 1; n > 0; n-- {
				a := Account{ID: newID(), ResellerID: res.ID, CustomerID: cu.ID, Name: "A", Country: "US", CreatedAt: asgNow}
				asgCreate(t, s, &a)
				accts = append(accts, a)
				w.accounts[a.ID] = a
				for u := rnd.IntN(7); u > 0; u-- {
					au := AccountUser{ID: newID(), ResellerID: res.ID, AccountID: a.ID, UserName: fmt.Sprintf("u%d@%d.example", u, a.ID), DisplayName: "U", CreatedAt: asgNow}
					asgCreate(t, s, &au)
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
				sub.CancelledAt = asgPtrTime(at(40))
			}
			if rnd.IntN(3) == 0 {
				sub.GraceFrom = asgPtrTime(at(40))
				if rnd.IntN(8) != 0 {
					sub.GraceUntil = asgPtrTime(sub.GraceFrom.Add(time.Duration(rnd.IntN(40*24)) * time.Hour))
				}
			}
			w.subs = append(w.subs, *sub)
			for _, p := range []*time.Time{sub.CancelledAt, sub.GraceFrom, sub.GraceUntil} {
				if p != nil {
					w.instants = append(w.instants, *p)
				}
			}
			w.instants = append(w.instants, sub.EndDate.AddDays(1).Start(), sub.EndDate.AddDays(1).Start().Add(-time.Microsecond))
			for n := rnd.IntN(3); n > 0 && sub.EnrollmentID != nil; n-- {
				rv := Reservation{ID: newID(), ResellerID: sub.ResellerID, EnrollmentID: *sub.EnrollmentID, SubscriptionID: sub.ID, SKU: sub.SKU,
					Quantity: rnd.IntN(4) + 1, Status: licensing.ReservationPending, ContactEmail: "x@y.example", ReservedAt: asgNow,
					BillingDate: licensing.DateOf(at(40)), IdempotencyKey: fmt.Sprint(newID()), Fingerprint: "f"}
				asgCreate(t, s, &rv)
				w.reserved[sub.ID] = append(w.reserved[sub.ID], rv)
			}
		}
		programs := []licensing.Program{licensing.ProgramEnterprise, licensing.ProgramOpenValue, licensing.ProgramMPSA}
		for _, cu := range custs {
			for g := rnd.IntN(2) + 1; g > 0; g-- {
				ag := Agreement{ID: newID(), ResellerID: res.ID, CustomerID: cu.ID, Program: programs[rnd.IntN(len(programs))], Number: fmt.Sprint("A", newID()),
					StartDate: licensing.NewDate(2026, 1, 1), AnniversaryDate: licensing.NewDate(2027, 1, 1), CreatedAt: asgNow}
				asgCreate(t, s, &ag)
				w.agreements[ag.ID] = ag
				for n := rnd.IntN(3) + 1; n > 0; n-- {
					e := Enrollment{ID: newID(), ResellerID: res.ID, AgreementID: ag.ID, Number: fmt.Sprint("E", newID()), OrganizationName: "C",
						StartDate: licensing.NewDate(2026, 1, 1), EndDate: licensing.NewDate(2028, 1, 1), Status: licensing.EnrollmentActive, CreatedAt: asgNow}
					if rnd.IntN(5) != 0 { // activated, sometimes on another customer's account
						id := accts[rnd.IntN(len(accts))].ID
						e.AccountID = &id
					}
					asgCreate(t, s, &e)
					w.enrollments[e.ID] = e
					for _, i := range rnd.Perm(len(skus))[:rnd.IntN(3)+1] {
						sub := Subscription{ID: newID(), ResellerID: res.ID, EnrollmentID: &e.ID, Program: ag.Program, SKU: skus[i], CreatedAt: asgNow, UpdatedAt: asgNow}
						term(&sub)
						asgCreate(t, s, &sub)
					}
				}
			}
		}
		for _, a := range accts {
			for n := rnd.IntN(3); n > 0; n-- {
				sub := Subscription{ID: newID(), ResellerID: res.ID, DirectAccountID: &a.ID, Program: licensing.ProgramMOSP, SKU: skus[rnd.IntN(len(skus))], CreatedAt: asgNow, UpdatedAt: asgNow}
				term(&sub)
				asgCreate(t, s, &sub)
			}
		}
	}
	// Assignments straight into the table: the data set is any state the rules can reach
	// (quantities lowered, subscriptions expired), not only what AssignLicenses allows.
	for _, u := range w.users {
		for _, sku := range skus {
			if rnd.IntN(2) == 0 {
				la := LicenseAssignment{ID: newID(), ResellerID: u.ResellerID, AccountID: u.AccountID, UserID: u.ID, SKU: sku,
					AssignedAt: asgNow.Add(-time.Duration(rnd.IntN(3)) * time.Hour)} // ties: ordered by user id
				asgCreate(t, s, &la)
				w.assignments = append(w.assignments, la)
			}
		}
	}
	if err := s.RebuildLicensePools(context.Background()); err != nil {
		t.Fatal(err)
	}
	asgCheckPools(t, s)
	return w
}

type asgPoolKey struct {
	reseller, account int64 // account 0: an enrollment not activated
	sku               string
}

func (w *asgWorld) accountOf(sub Subscription) int64 {
	if sub.EnrollmentID != nil {
		if a := w.enrollments[*sub.EnrollmentID].AccountID; a != nil {
			return *a
		}
		return 0
	}
	return *sub.DirectAccountID
}

// holdings are the facts per pool, as AccountHoldings should load them.
func (w *asgWorld) holdings(asOf time.Time) map[asgPoolKey]*licensing.SKUHoldings {
	out := map[asgPoolKey]*licensing.SKUHoldings{}
	get := func(k asgPoolKey) *licensing.SKUHoldings {
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
			if rv.BillingDate.After(licensing.DateOf(asOf)) {
				rnb += rv.Quantity
			}
		}
		h := get(asgPoolKey{sub.ResellerID, w.accountOf(sub), sub.SKU})
		h.Subscriptions = append(h.Subscriptions, licensing.HeldSubscription{ID: sub.ID, Quantity: sub.Quantity, ReservedNotBilled: rnb, Term: sub.Term()})
	}
	as := slices.Clone(w.assignments)
	slices.SortFunc(as, func(a, b LicenseAssignment) int {
		return cmp.Or(a.AssignedAt.Compare(b.AssignedAt), cmp.Compare(a.UserID, b.UserID))
	})
	for _, la := range as {
		h := get(asgPoolKey{la.ResellerID, la.AccountID, la.SKU})
		h.AssignedUsers = append(h.AssignedUsers, w.users[la.UserID].UserName)
	}
	return out
}

var asgFamilies = map[string]string{"O365-E3": "OFFICE_365", "O365-E5": "OFFICE_365", "M365-E3": "MICROSOFT_365", "INTUNE": "INTUNE", "D365-SALES-PRO": "DYNAMICS_365"}

func asgIDKey(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// poolCells are the reference cells of pool dimensions only, straight from SummaryCellAt.
func (w *asgWorld) poolCells(asOf time.Time) []licensing.SummaryCell {
	var out []licensing.SummaryCell
	for k, h := range w.holdings(asOf) {
		out = append(out, licensing.SummaryCell{Row: licensing.SummaryCellAt(*h, asOf), Keys: map[licensing.SummaryDimension]string{
			licensing.SummaryByReseller: asgIDKey(k.reseller), licensing.SummaryByAccount: asgIDKey(k.account),
			licensing.SummaryBySKU: k.sku, licensing.SummaryByFamily: asgFamilies[k.sku]}})
	}
	return out
}

// subscriptionCells are the reference cells of every dimension: a pool's users allocated to
// its subscriptions, ACTIVE then IN_GRACE, each by id, up to their quantity, the rest to a
// cell with no subscription (summary.go). Written apart from the SQL, from StatusAt.
func (w *asgWorld) subscriptionCells(t *testing.T, asOf time.Time) []licensing.SummaryCell {
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
			row = licensing.NewSummaryCell(row.Licensed, row.InGrace, row.ReservedNotBilled, take)
			sum = sum.Add(row)
			keys := map[licensing.SummaryDimension]string{licensing.SummaryByReseller: asgIDKey(k.reseller), licensing.SummaryByAccount: asgIDKey(k.account),
				licensing.SummaryBySKU: k.sku, licensing.SummaryByFamily: asgFamilies[k.sku], licensing.SummaryByProgram: string(sub.Program)}
			if sub.EnrollmentID != nil {
				e := w.enrollments[*sub.EnrollmentID]
				keys[licensing.SummaryByEnrollment] = asgIDKey(e.ID)
				keys[licensing.SummaryByAgreement] = asgIDKey(e.AgreementID)
				keys[licensing.SummaryByCustomer] = asgIDKey(w.agreements[e.AgreementID].CustomerID)
			} else {
				keys[licensing.SummaryByEnrollment], keys[licensing.SummaryByAgreement] = "", ""
				keys[licensing.SummaryByCustomer] = asgIDKey(w.accounts[*sub.DirectAccountID].CustomerID)
			}
			out = append(out, licensing.SummaryCell{Keys: keys, Row: row})
		}
		if left > 0 {
			row := licensing.NewSummaryCell(0, 0, 0, left)
			sum = sum.Add(row)
			out = append(out, licensing.SummaryCell{Row: row, Keys: map[licensing.SummaryDimension]string{
				licensing.SummaryByReseller: asgIDKey(k.reseller), licensing.SummaryByAccount: asgIDKey(k.account), licensing.SummaryBySKU: k.sku,
				licensing.SummaryByFamily: asgFamilies[k.sku], licensing.SummaryByCustomer: asgIDKey(w.accounts[k.account].CustomerID),
				licensing.SummaryByEnrollment: "", licensing.SummaryByAgreement: "", licensing.SummaryByProgram: ""}})
		}
		// The allocation keeps the pool's arithmetic: its cells add up to the pool's row.
		if want := licensing.SummaryCellAt(*h, asOf); sum != want {
			t.Fatalf("cells of pool %+v add up to %+v, want %+v", k, sum, want)
		}
	}
	return out
}

func asgSummaryAll(t *testing.T, s *Store, c Caller, groupBy []licensing.SummaryDimension, f SummaryFilter, asOf time.Time) []licensing.SummaryGroup {
	return asgSummary(t, s, c, groupBy, f, asOf, false)
}

// asgSummary is the whole summary; cells forces the per-subscription SQL.
func asgSummary(t *testing.T, s *Store, c Caller, groupBy []licensing.SummaryDimension, f SummaryFilter, asOf time.Time, cells bool) []licensing.SummaryGroup {
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
func asgSameGroups(t *testing.T, what string, got, want []licensing.SummaryGroup) {
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
				w := asgRandomWorld(t, s, rnd)
				op := Caller{Role: RoleOperator}
				// Only this run's resellers: the store is shared by the seeds.
				only := SummaryFilter{ResellerIDs: w.resellers}
				asOfs := []time.Time{asgNow, asgNow.Add(-20 * 24 * time.Hour), asgNow.Add(25 * 24 * time.Hour)}
				for i := 0; i < 4; i++ {
					asOfs = append(asOfs, w.instants[rnd.IntN(len(w.instants))])
				}
				dims := licensing.SummaryDimensions
				for _, asOf := range asOfs {
					pool := w.poolCells(asOf)
					cells := w.subscriptionCells(t, asOf)
					all := func(groupBy ...licensing.SummaryDimension) []licensing.SummaryGroup {
						return asgSummaryAll(t, s, op, groupBy, only, asOf)
					}
					// Pool dimensions: straight from SummaryCellAt, no allocation involved.
					for _, g := range [][]licensing.SummaryDimension{nil, {licensing.SummaryByReseller}, {licensing.SummaryBySKU},
						{licensing.SummaryByFamily}, {licensing.SummaryByAccount, licensing.SummaryBySKU}, {licensing.SummaryByAccount}} {
						want := licensing.Summarize(pool, g, nil)
						asgSameGroups(t, fmt.Sprintf("pool cells by %v as of %s", g, asOf), all(g...), want)
						// The per-subscription SQL agrees on pool dimensions too.
						asgSameGroups(t, fmt.Sprintf("subscription cells by %v as of %s", g, asOf), asgSummary(t, s, op, g, only, asOf, true), want)
					}
					// Every dimension alone, a few pairs and all of them: the allocated cells.
					groupings := [][]licensing.SummaryDimension{dims, {licensing.SummaryByCustomer, licensing.SummaryBySKU},
						{licensing.SummaryByProgram, licensing.SummaryByFamily}, {licensing.SummaryByEnrollment, licensing.SummaryByAccount}}
					for _, d := range dims {
						groupings = append(groupings, []licensing.SummaryDimension{d})
					}
					for _, g := range groupings {
						asgSameGroups(t, fmt.Sprintf("by %v as of %s", g, asOf), all(g...), licensing.Summarize(cells, g, nil))
					}
					// Filters: one value of each dimension, grouped by SKU.
					for _, d := range dims {
						c := cells[rnd.IntN(len(cells))]
						v := c.Keys[d]
						if v == "" {
							continue
						}
						f := only
						switch d {
						case licensing.SummaryByReseller:
							f.ResellerIDs = []int64{asgParse(v)}
						case licensing.SummaryByCustomer:
							f.CustomerIDs = []int64{asgParse(v)}
						case licensing.SummaryByAgreement:
							f.AgreementIDs = []int64{asgParse(v)}
						case licensing.SummaryByProgram:
							f.Programs = []licensing.Program{licensing.Program(v)}
						case licensing.SummaryByEnrollment:
							f.EnrollmentIDs = []int64{asgParse(v)}
						case licensing.SummaryByAccount:
							f.AccountIDs = []int64{asgParse(v)}
						case licensing.SummaryBySKU:
							f.SKUs = []string{v}
						case licensing.SummaryByFamily:
							f.Families = []licensing.Family{licensing.Family(v)}
						}
						g := []licensing.SummaryDimension{licensing.SummaryBySKU, licensing.SummaryByEnrollment}
						asgSameGroups(t, fmt.Sprintf("filter %s=%s as of %s", d, v, asOf), asgSummaryAll(t, s, op, g, f, asOf),
							licensing.Summarize(cells, g, map[licensing.SummaryDimension]string{d: v}))
						if poolDimension(d) { // and the per-pool SQL
							g := []licensing.SummaryDimension{licensing.SummaryByAccount, licensing.SummaryBySKU}
							asgSameGroups(t, fmt.Sprintf("pool filter %s=%s as of %s", d, v, asOf), asgSummaryAll(t, s, op, g, f, asOf),
								licensing.Summarize(pool, g, map[licensing.SummaryDimension]string{d: v}))
						}
					}
					// A reseller sees its own cells only, without naming itself.
					mine := Caller{Role: RoleReader, ResellerID: w.resellers[1]}
					asgSameGroups(t, "reseller scope", asgSummaryAll(t, s, mine, []licensing.SummaryDimension{licensing.SummaryByAccount}, SummaryFilter{}, asOf),
						licensing.Summarize(cells, []licensing.SummaryDimension{licensing.SummaryByAccount},
							map[licensing.SummaryDimension]string{licensing.SummaryByReseller: asgIDKey(w.resellers[1])}))

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
						if !reflect.DeepEqual(asgNormTerms(got), asgNormTerms(ref)) {
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
			w := asgRandomWorld(t, s, rnd)
			op := Caller{Role: RoleOperator}
			g := []licensing.SummaryDimension{licensing.SummaryByAccount, licensing.SummaryBySKU}
			f := SummaryFilter{ResellerIDs: w.resellers}
			full, err := s.LicenseSummary(ctx, op, g, f, asgNow, SummaryPage{First: 1000})
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
				p, err := s.LicenseSummary(ctx, op, g, f, asgNow, SummaryPage{First: 4, Offset: off})
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
			past, err := s.LicenseSummary(ctx, op, g, f, asgNow, SummaryPage{First: 4, Offset: 100000})
			if err != nil || len(past.Groups) != 0 || past.TotalGroups != full.TotalGroups {
				t.Fatalf("past the end: %+v %v", past, err)
			}
			empty, err := s.LicenseSummary(ctx, op, nil, SummaryFilter{SKUs: []string{"NOPE"}}, asgNow, SummaryPage{First: 10})
			if err != nil || len(empty.Groups) != 0 {
				t.Fatalf("no matching cell is no group: %+v %v", empty, err)
			}
			_, err = s.LicenseSummary(ctx, op, []licensing.SummaryDimension{"SKU", "SKU"}, SummaryFilter{Programs: []licensing.Program{"X"}}, asgNow, SummaryPage{First: 1})
			asgWantProblem(t, err, licensing.CodeInvalid, "groupBy", "1")
			asgWantProblem(t, err, licensing.CodeUnknownValue, "filter", "programs", "0")
		})
	})
}

func asgParse(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }

// asgNormTerms makes stored and generated terms comparable (time zones, monotonic clock).
func asgNormTerms(hs []licensing.SKUHoldings) []licensing.SKUHoldings {
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
		}
		out[i].Subscriptions = subs
	}
	return out
}

// R-BI-2: the seed makes what it says, and the summary of a seeded store agrees with the
// conflict list and the seed's own plan.
func TestSeedSmall(t *testing.T) {
	t.Run("R-BI-2_seed_and_summary_agree", func(t *testing.T) {
		var s *Store
		if dsn := os.Getenv("TEST_MYSQL_DSN"); dsn != "" {
			s = mysqlTestStore(t, dsn)
		} else {
			s = sqliteTestStore(t)
		}
		ctx := context.Background()
		var lines []string
		rep, err := Seed(ctx, s, SeedOptions{Resellers: 2, Subscriptions: 400, Assignments: 5000, BatchSize: 300, Now: asgNow, RandSeed: 7,
			Progress: func(m string) { lines = append(lines, m) }})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows["license_assignments"] != 5000 || rep.Rows["subscriptions"] < 400 || len(rep.Phases) != 3 || len(lines) < 3 {
			t.Fatalf("seed report: %+v %v", rep, lines)
		}
		asgCheckPools(t, s)
		op := Caller{Role: RoleOperator}
		r, err := s.LicenseSummary(ctx, op, nil, SummaryFilter{}, asgNow, SummaryPage{First: 1})
		if err != nil || len(r.Groups) != 1 {
			t.Fatalf("summary: %+v %v", r, err)
		}
		tot := r.Groups[0]
		if tot.Assigned != 5000 || tot.InGrace == 0 || tot.ReservedNotBilled == 0 || tot.Unassignable == 0 || tot.Available() == 0 {
			t.Fatalf("seeded totals lack variety: %+v", tot.SummaryRow)
		}
		l, err := s.AccountsWithConflicts(ctx, op, asgNow, Page{First: 1})
		if err != nil || l.Total != int64(rep.ConflictAccounts) || l.Total == 0 {
			t.Fatalf("conflict accounts: %d (%v), seed planned %d", l.Total, err, rep.ConflictAccounts)
		}
		h, err := s.AccountHoldings(ctx, op, rep.LargestAccountID)
		if err != nil || len(h) == 0 {
			t.Fatalf("largest account: %v %v", h, err)
		}
	})
}
