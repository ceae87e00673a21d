package licensing

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// userNames returns u01..uN, in assignment order.
func userNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("u%02d", i+1)
	}
	return out
}

func TestAssignment(t *testing.T) {
	cases := []struct {
		name                          string
		licensed, assigned, requested int
		wantMsg                       string // "" means allowed
	}{
		{"R-LIC-1_exactly_at_limit_allowed", 100, 95, 5, ""},
		{"R-LIC-1_one_over_refused_missing_1", 100, 95, 6, "1 more license of E3 is needed: 100 licensed, 95 assigned, 6 requested"},
		{"R-LIC-1_three_missing", 100, 98, 5, "3 more licenses of E3 are needed: 100 licensed, 98 assigned, 5 requested"},
		{"R-LIC-1_nothing_new_requested", 10, 12, 0, ""},
		{"R-LIC-1_existing_conflict_counts_whole_gap", 10, 12, 1, "3 more licenses of E3 are needed: 10 licensed, 12 assigned, 1 requested"},
		{"R-LIC-1_no_licenses_at_all", 0, 0, 1, "1 more license of E3 is needed: 0 licensed, 0 assigned, 1 requested"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantMessage(t, DecideAssignment("E3", c.licensed, 0, c.assigned, c.requested), CodeNotEnoughLicenses, "users", c.wantMsg)
		})
	}

	t.Run("R-ORD-5_R-LIC-1_pending_licenses_are_not_assignable", func(t *testing.T) {
		// 10 bought, all still pending: nothing to assign yet, and the refusal says why.
		wantMessage(t, DecideAssignment("E3", 0, 10, 0, 2), CodeNotEnoughLicenses, "users",
			"2 more licenses of E3 are needed: 0 licensed, 0 assigned, 2 requested; 10 more are still pending and cannot be assigned until available")
		wantMessage(t, DecideAssignment("E3", 5, 1, 4, 1), CodeNotEnoughLicenses, "users", "")
	})
	t.Run("R-LIC-1_reassigning_already_assigned_user_not_counted", func(t *testing.T) {
		held := map[string]bool{"ann": true, "bob": true}
		got := NewAssignees([]string{"ann", "bob", "cid", "cid"}, held)
		if !reflect.DeepEqual(got, []string{"cid"}) {
			t.Fatalf("NewAssignees = %v, want [cid]", got)
		}
		// 3 licensed, 2 held: the request of 4 names adds only one user and fits.
		if p := DecideAssignment("E3", 3, 0, len(held), len(got)); p != nil {
			t.Fatalf("refused: %+v", *p)
		}
		if p := DecideAssignment("E3", 2, 0, len(held), len(got)); p == nil || p.Message != "1 more license of E3 is needed: 2 licensed, 2 assigned, 1 requested" {
			t.Fatalf("got %+v, want missing 1", p)
		}
		if got := NewAssignees(nil, held); got == nil || len(got) != 0 {
			t.Fatalf("NewAssignees(nil) = %#v, want empty", got)
		}
	})

	asOf := day(2024, 7, 1)
	subs := []HeldSubscription{
		{ID: 1, Quantity: 10, Term: SubscriptionTerm{EndDate: NewDate(2025, 6, 30)}},                                                       // ACTIVE
		{ID: 2, Quantity: 50, Term: SubscriptionTerm{GraceFrom: ptr(day(2024, 6, 1)), GraceUntil: ptr(day(2024, 7, 1).AddDate(0, 0, 30))}}, // IN_GRACE
		{ID: 3, Quantity: 7, Term: SubscriptionTerm{EndDate: NewDate(2024, 6, 30)}},                                                        // EXPIRED
		{ID: 4, Quantity: 5, Term: SubscriptionTerm{EndDate: NewDate(2024, 1, 31), AutoRenew: true}},                                       // past end, auto-renews: ACTIVE
		{ID: 5, Quantity: 3, Term: SubscriptionTerm{CancelledAt: ptr(day(2024, 5, 1))}},                                                    // cancelled
	}
	t.Run("R-LIC-1_in_grace_not_licensed_auto_renew_counts", func(t *testing.T) {
		licensed := LicensedQuantityAt(subs, asOf)
		if licensed != 15 {
			t.Fatalf("licensed = %d, want 15 (10 active + 5 auto-renewed; not 50 in grace, 7 expired, 3 cancelled)", licensed)
		}
		if p := DecideAssignment("E3", licensed, 0, 15, 1); p == nil || p.Message != "1 more license of E3 is needed: 15 licensed, 15 assigned, 1 requested" {
			t.Fatalf("got %+v, want refusal", p)
		}
	})
}

func TestRemoval(t *testing.T) {
	t.Run("R-LIC-5_refused_without_confirmation", func(t *testing.T) {
		p := DecideRemoval(false)
		if p == nil || p.Code != CodeDataLossNotConfirmed || !reflect.DeepEqual(p.Input, []string{"dataLossConfirmed"}) {
			t.Fatalf("got %+v", p)
		}
	})
	t.Run("R-LIC-5_allowed_with_confirmation", func(t *testing.T) {
		if p := DecideRemoval(true); p != nil {
			t.Fatalf("got %+v", *p)
		}
	})
}

func TestQuantityLowering(t *testing.T) {
	cases := []struct {
		name                  string
		newLicensed, assigned int
		accept                bool
		wantMsg               string
	}{
		{"R-LIC-6_to_exactly_assigned_allowed", 98, 98, false, ""},
		{"R-LIC-6_raise_allowed", 120, 98, false, ""},
		{"R-LIC-6_below_assigned_refused_with_deficit", 95, 98, false, "E3 would have 95 licenses for 98 assigned users, a deficit of 3: 3 users would be in conflict; remove licenses first or set acceptConflict to true"},
		{"R-LIC-6_one_below_refused", 97, 98, false, "E3 would have 97 licenses for 98 assigned users, a deficit of 1: 1 user would be in conflict; remove licenses first or set acceptConflict to true"},
		{"R-LIC-6_below_assigned_accepted", 95, 98, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantMessage(t, DecideQuantityLowering("E3", c.newLicensed, c.assigned, c.accept), CodeBelowAssigned, "total", c.wantMsg)
		})
	}
}

func TestQuantityLoweringIsALowering(t *testing.T) {
	t.Run("R-LIC-6_a_raise_is_no_lowering", func(t *testing.T) {
		if Lowers(100, 100) || Lowers(100, 120) || !Lowers(100, 99) {
			t.Errorf("Lowers")
		}
	})
}
