package models

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// Tests of license assignments (R-LIC-1, R-LIC-5, R-LIC-6). Stores are opened directly (testenv
// imports this package): SQLite always, MariaDB/MySQL too when TEST_MYSQL_DSN is set.

var testNow = time.Date(2026, 9, 14, 10, 30, 0, 0, time.UTC)

type fixture struct {
	t        *testing.T
	s        *Store
	reseller int64
	c        Caller
}

func newFixture(t *testing.T, s *Store) *fixture {
	r := Reseller{ID: newID(), Name: "R", CreatedAt: testNow}
	create(t, s, &r)
	return &fixture{t: t, s: s, reseller: r.ID, c: Caller{Role: RoleReseller, ResellerID: r.ID}}
}

func create(t testing.TB, s *Store, v any) {
	t.Helper()
	if err := s.ctx(context.Background()).Create(v).Error; err != nil {
		t.Fatalf("create %T: %v", v, err)
	}
}

// account makes an account with n users u0..u{n-1}@x.example and an enrollment on it.
func (f *fixture) account(n int) (Account, Enrollment) {
	cu := Customer{ID: newID(), ResellerID: f.reseller, OrganizationName: "C", Country: "US", CreatedAt: testNow}
	create(f.t, f.s, &cu)
	ag := Agreement{ID: newID(), ResellerID: f.reseller, CustomerID: cu.ID, Program: licensing.ProgramEnterprise, Number: fmt.Sprint("EA", newID()),
		StartDate: licensing.NewDate(2026, 1, 1), AnniversaryDate: licensing.NewDate(2027, 1, 1), CreatedAt: testNow}
	create(f.t, f.s, &ag)
	a := Account{ID: newID(), ResellerID: f.reseller, CustomerID: cu.ID, Name: "A", Country: "US", CreatedAt: testNow}
	create(f.t, f.s, &a)
	e := Enrollment{ID: newID(), ResellerID: f.reseller, AgreementID: ag.ID, Number: fmt.Sprint("E", newID()), OrganizationName: "C",
		StartDate: licensing.NewDate(2026, 1, 1), EndDate: licensing.NewDate(2028, 12, 31), Status: licensing.EnrollmentActive, AccountID: &a.ID, CreatedAt: testNow}
	create(f.t, f.s, &e)
	var users []AccountUser
	for i := 0; i < n; i++ {
		users = append(users, AccountUser{ID: newID(), ResellerID: f.reseller, AccountID: a.ID, UserName: fmt.Sprintf("u%d@x.example", i), DisplayName: "U", CreatedAt: testNow})
	}
	if n > 0 {
		if err := f.s.ctx(context.Background()).CreateInBatches(users, 200).Error; err != nil {
			f.t.Fatal(err)
		}
	}
	return a, e
}

// sub adds a subscription of sku on the enrollment; edit tweaks its term before it is stored.
func (f *fixture) sub(e Enrollment, sku string, qty int, edit func(*Subscription)) Subscription {
	s := Subscription{ID: newID(), ResellerID: f.reseller, EnrollmentID: &e.ID, Program: licensing.ProgramEnterprise, SKU: sku, Quantity: qty,
		EndDate: licensing.NewDate(2027, 12, 31), CreatedAt: testNow, UpdatedAt: testNow}
	if edit != nil {
		edit(&s)
	}
	create(f.t, f.s, &s)
	return s
}

func userNames(idx ...int) []string {
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = fmt.Sprintf("u%d@x.example", n)
	}
	return out
}

// wantProblem checks err is a licensing.Problems holding code on field.
func wantProblem(t *testing.T, err error, code licensing.Code, field ...string) licensing.Problem {
	t.Helper()
	var ps licensing.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want %s on %v, got %v", code, field, err)
	}
	for _, p := range ps {
		if p.Code == code && slices.Equal(p.Input, field) {
			return p
		}
	}
	t.Fatalf("want %s on %v, got %v", code, field, ps)
	return licensing.Problem{}
}

func timePtr(t time.Time) *time.Time { return &t }

// checkPools checks the counters in license_pools against the assignments they count.
func checkPools(t testing.TB, s *Store) {
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

func TestAssignments(t *testing.T) {
	ctx := context.Background()
	eachTestStore(t, func(t *testing.T, s *Store) {
		t.Run("R-LIC-1_never_past_the_active_quantity", func(t *testing.T) {
			f := newFixture(t, s)
			a, e := f.account(6)
			f.sub(e, "O365-E3", 3, nil)
			// IN_GRACE and EXPIRED quantities never count as licensed (R-SUB-1).
			f.sub(e, "INTUNE", 5, func(s *Subscription) {
				s.GraceFrom, s.GraceUntil = timePtr(testNow.Add(-time.Hour)), timePtr(testNow.Add(time.Hour))
			})
			r, err := s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", userNames(0, 1), testNow)
			if err != nil || r.Assigned != 2 || r.Licensed != 3 || !slices.Equal(r.Changed, userNames(0, 1)) || r.Available() != 1 {
				t.Fatalf("assign: %+v %v", r, err)
			}
			_, err = s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", userNames(1, 2, 3), testNow)
			p := wantProblem(t, err, licensing.CodeNotEnoughLicenses, "users")
			if !strings.Contains(p.Message, "1 more license") {
				t.Fatalf("message should name the one license missing: %q", p.Message)
			}
			// Already-assigned users are not counted twice; repeating a call changes nothing.
			r, err = s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", userNames(1, 2, 2), testNow)
			if err != nil || r.Assigned != 3 || !slices.Equal(r.Changed, userNames(2)) || !slices.Equal(r.Unchanged, userNames(1)) {
				t.Fatalf("idempotent assign: %+v %v", r, err)
			}
			if r, err = s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", userNames(0, 1, 2), testNow); err != nil || len(r.Changed) != 0 || r.Assigned != 3 {
				t.Fatalf("repeat: %+v %v", r, err)
			}
			_, err = s.AssignLicenses(ctx, f.c, a.ID, "INTUNE", userNames(0), testNow)
			wantProblem(t, err, licensing.CodeNotEnoughLicenses, "users")
			if r, err := s.RemoveLicenses(ctx, f.c, a.ID, "INTUNE", userNames(0), true, testNow); err != nil || r.InGrace != 5 || r.Row().Available() != 0 {
				t.Fatalf("in grace shows, assigns nothing: %+v %v", r, err)
			}
			if n, _ := s.AssignedCount(ctx, f.reseller, a.ID, "INTUNE"); n != 0 {
				t.Fatalf("refused call wrote %d rows", n)
			}
		})
		t.Run("R-LIC-1_refusals_name_their_field", func(t *testing.T) {
			f := newFixture(t, s)
			a, e := f.account(2)
			f.sub(e, "O365-E3", 10, nil)
			_, err := s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", []string{"u0@x.example", "nobody@x.example"}, testNow)
			wantProblem(t, err, licensing.CodeNotFound, "users", "1")
			_, err = s.AssignLicenses(ctx, f.c, a.ID, "NOPE", userNames(0), testNow)
			wantProblem(t, err, licensing.CodeUnknownSKU, "sku")
			other := newFixture(t, s)
			_, err = s.AssignLicenses(ctx, other.c, a.ID, "O365-E3", userNames(0), testNow)
			wantProblem(t, err, licensing.CodeNotFound, "account")
			_, err = s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", nil, testNow)
			wantProblem(t, err, licensing.CodeRequired, "users")
			// User names match case-insensitively, as they are stored (insertUsers).
			if r, err := s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", []string{" U1@X.example"}, testNow); err != nil || r.Assigned != 1 {
				t.Fatalf("case-insensitive user: %+v %v", r, err)
			}
			if n, _ := s.AssignedCount(ctx, f.reseller, a.ID, "O365-E3"); n != 1 {
				t.Fatalf("refused calls wrote rows: %d", n)
			}
		})
		t.Run("R-LIC-5_removal_needs_confirmation_and_deleting_a_user_frees_licenses", func(t *testing.T) {
			f := newFixture(t, s)
			a, e := f.account(3)
			f.sub(e, "O365-E3", 2, nil)
			f.sub(e, "INTUNE", 2, nil)
			for _, sku := range []string{"O365-E3", "INTUNE"} {
				if _, err := s.AssignLicenses(ctx, f.c, a.ID, sku, userNames(0, 1), testNow); err != nil {
					t.Fatal(err)
				}
			}
			_, err := s.RemoveLicenses(ctx, f.c, a.ID, "O365-E3", userNames(0), false, testNow)
			wantProblem(t, err, licensing.CodeDataLossNotConfirmed, "dataLossConfirmed")
			r, err := s.RemoveLicenses(ctx, f.c, a.ID, "O365-E3", userNames(0, 2), true, testNow)
			if err != nil || r.Assigned != 1 || !slices.Equal(r.Changed, userNames(0)) || !slices.Equal(r.Unchanged, userNames(2)) {
				t.Fatalf("remove: %+v %v", r, err)
			}
			d, err := s.DeleteAccountUser(ctx, f.c, a.ID, "U1@x.example", testNow)
			if err != nil || !slices.Equal(d.FreedSKUs, []string{"INTUNE", "O365-E3"}) {
				t.Fatalf("delete user: %+v %v", d, err)
			}
			for _, sku := range []string{"O365-E3", "INTUNE"} {
				if _, err := s.AssignLicenses(ctx, f.c, a.ID, sku, userNames(2), testNow); err != nil {
					t.Fatalf("a freed license is assignable again: %v", err)
				}
			}
			_, err = s.DeleteAccountUser(ctx, f.c, a.ID, "u1@x.example", testNow)
			wantProblem(t, err, licensing.CodeNotFound, "user")
			other := newFixture(t, s)
			_, err = s.DeleteAccountUser(ctx, other.c, a.ID, "u0@x.example", testNow)
			wantProblem(t, err, licensing.CodeNotFound, "account")
		})
		t.Run("R-LIC-6_lowering_below_assigned_needs_acceptance", func(t *testing.T) {
			f := newFixture(t, s)
			a, e := f.account(5)
			sub := f.sub(e, "O365-E3", 3, nil)
			direct := Subscription{ID: newID(), ResellerID: f.reseller, DirectAccountID: &a.ID, Program: licensing.ProgramMOSP, SKU: "O365-E3", Quantity: 2,
				EndDate: licensing.NewDate(2027, 1, 1), CreatedAt: testNow, UpdatedAt: testNow}
			create(t, s, &direct)
			if _, err := s.AssignLicenses(ctx, f.c, a.ID, "O365-E3", userNames(0, 1, 2, 3), testNow); err != nil {
				t.Fatal(err)
			}
			check := func(q int, accept bool) error {
				return s.InTx(ctx, func(tx *Store) error { return tx.CheckQuantityLowering(ctx, &sub, q, accept, testNow) })
			}
			if err := check(2, false); err != nil { // 2 + 2 direct covers 4 (the whole pool counts)
				t.Fatalf("lowering to 2: %v", err)
			}
			p := wantProblem(t, check(1, false), licensing.CodeBelowAssigned, "total")
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
			f := newFixture(t, s)
			a, e := f.account(4)
			sub := f.sub(e, "O365-E3", 4, func(s *Subscription) { s.EndDate = licensing.DateOf(testNow).AddDays(10) })
			grace := f.sub(e, "INTUNE", 3, nil)
			for i, u := range userNames(0, 1, 2) {
				for _, sku := range []string{"O365-E3", "INTUNE"} {
					if _, err := s.AssignLicenses(ctx, f.c, a.ID, sku, []string{u}, testNow.Add(time.Duration(i)*time.Minute)); err != nil {
						t.Fatal(err)
					}
				}
			}
			// The enrollment is renewed onto other SKUs: INTUNE is covered by grace only.
			gf, gu := testNow.Add(time.Hour), testNow.Add(30*24*time.Hour)
			if err := s.ctx(ctx).Model(&grace).Updates(map[string]any{"grace_from": gf, "grace_until": gu}).Error; err != nil {
				t.Fatal(err)
			}
			cs, err := s.AccountConflicts(ctx, f.c, a.ID, testNow.Add(2*time.Hour))
			if err != nil || len(cs) != 0 {
				t.Fatalf("in grace is no conflict yet: %+v %v", cs, err)
			}
			// R-LIC-7: at the end of the grace period every INTUNE user is in conflict; the
			// O365-E3 subscription has ended (auto-renew off) by then too (R-LIC-3).
			cs, err = s.AccountConflicts(ctx, f.c, a.ID, gu)
			if err != nil || len(cs) != 2 || cs[0].SKU != "INTUNE" || cs[0].Deficit != 3 || cs[1].SKU != "O365-E3" ||
				!slices.Equal(cs[1].AffectedUsers, userNames(0, 1, 2)) || cs[1].Resolutions[2].SubscriptionIDs[0] != sub.ID {
				t.Fatalf("projected conflicts: %+v %v", cs, err)
			}
			l, err := s.AccountsWithConflicts(ctx, f.c, gu, Page{First: 10})
			if err != nil || len(l.Items) != 1 || l.Items[0] != (AccountConflictSummary{AccountID: a.ID, ResellerID: f.reseller, SKUsInConflict: 2, Deficit: 6}) || l.Total != 1 {
				t.Fatalf("accounts with conflicts: %+v %v", l, err)
			}
			if _, err := s.AccountHoldings(ctx, newFixture(t, s).c, a.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("another reseller's account: %v", err)
			}
		})
		// Every assign, remove and user deletion above kept the pool counters exact.
		checkPools(t, s)
	})
}

// R-LIC-1 under concurrency: 200 users race for 100 licenses; the account lock lets exactly
// 100 through.
func TestAssignmentsConcurrent(t *testing.T) {
	t.Run("R-LIC-1_concurrent_assignments_never_pass_the_licensed_quantity", func(t *testing.T) {
		s := concurrentStore(t) // CI runs this on MariaDB
		ctx := context.Background()
		f := newFixture(t, s)
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
				_, err := s.AssignLicenses(ctx, f.c, a.ID, "M365-E5", userNames(i), testNow)
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
		checkPools(t, s)
	})
}
