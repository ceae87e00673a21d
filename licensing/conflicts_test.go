package licensing

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func conflictTestAt(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func conflictTestPtr(t time.Time) *time.Time { return &t }

// conflictTestUsers returns u01..uN, in assignment order.
func conflictTestUsers(n int) []string {
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
			p := DecideAssignment("E3", c.licensed, c.assigned, c.requested)
			if c.wantMsg == "" {
				if p != nil {
					t.Fatalf("refused: %+v", *p)
				}
				return
			}
			if p == nil {
				t.Fatal("allowed, want refused")
			}
			if p.Code != CodeNotEnoughLicenses || !reflect.DeepEqual(p.Field, []string{"userNames"}) || p.Message != c.wantMsg {
				t.Fatalf("got %+v, want %s on users: %q", *p, CodeNotEnoughLicenses, c.wantMsg)
			}
		})
	}

	t.Run("R-LIC-1_reassigning_already_assigned_user_not_counted", func(t *testing.T) {
		held := map[string]bool{"ann": true, "bob": true}
		got := NewAssignees([]string{"ann", "bob", "cid", "cid"}, held)
		if !reflect.DeepEqual(got, []string{"cid"}) {
			t.Fatalf("NewAssignees = %v, want [cid]", got)
		}
		// 3 licensed, 2 held: the request of 4 names adds only one user and fits.
		if p := DecideAssignment("E3", 3, len(held), len(got)); p != nil {
			t.Fatalf("refused: %+v", *p)
		}
		if p := DecideAssignment("E3", 2, len(held), len(got)); p == nil || p.Message != "1 more license of E3 is needed: 2 licensed, 2 assigned, 1 requested" {
			t.Fatalf("got %+v, want missing 1", p)
		}
		if got := NewAssignees(nil, held); got == nil || len(got) != 0 {
			t.Fatalf("NewAssignees(nil) = %#v, want empty", got)
		}
	})

	asOf := conflictTestAt(2024, 7, 1)
	subs := []HeldSubscription{
		{ID: 1, Quantity: 10, Term: SubscriptionTerm{EndDate: NewDate(2025, 6, 30)}},                                                                                                     // ACTIVE
		{ID: 2, Quantity: 50, Term: SubscriptionTerm{GraceFrom: conflictTestPtr(conflictTestAt(2024, 6, 1)), GraceUntil: conflictTestPtr(conflictTestAt(2024, 7, 1).AddDate(0, 0, 30))}}, // IN_GRACE
		{ID: 3, Quantity: 7, Term: SubscriptionTerm{EndDate: NewDate(2024, 6, 30)}},                                                                                                      // EXPIRED
		{ID: 4, Quantity: 5, Term: SubscriptionTerm{EndDate: NewDate(2024, 1, 31), AutoRenew: true}},                                                                                     // past end, auto-renews: ACTIVE
		{ID: 5, Quantity: 3, Term: SubscriptionTerm{CancelledAt: conflictTestPtr(conflictTestAt(2024, 5, 1))}},                                                                           // cancelled
	}
	t.Run("R-LIC-1_in_grace_not_licensed_auto_renew_counts", func(t *testing.T) {
		licensed := LicensedQuantityAt(subs, asOf)
		if licensed != 15 {
			t.Fatalf("licensed = %d, want 15 (10 active + 5 auto-renewed; not 50 in grace, 7 expired, 3 cancelled)", licensed)
		}
		if p := DecideAssignment("E3", licensed, 15, 1); p == nil || p.Message != "1 more license of E3 is needed: 15 licensed, 15 assigned, 1 requested" {
			t.Fatalf("got %+v, want refusal", p)
		}
	})
}

func TestRemoval(t *testing.T) {
	t.Run("R-LIC-5_refused_without_confirmation", func(t *testing.T) {
		p := DecideRemoval(false)
		if p == nil || p.Code != CodeDataLossNotConfirmed || !reflect.DeepEqual(p.Field, []string{"confirmDataLoss"}) {
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
			p := DecideQuantityLowering("E3", c.newLicensed, c.assigned, c.accept)
			if c.wantMsg == "" {
				if p != nil {
					t.Fatalf("refused: %+v", *p)
				}
				return
			}
			if p == nil || p.Code != CodeBelowAssigned || !reflect.DeepEqual(p.Field, []string{"quantity"}) || p.Message != c.wantMsg {
				t.Fatalf("got %+v, want %q", p, c.wantMsg)
			}
		})
	}
}

// conflictTestShape drops messages so the tables compare numbers, users and kinds.
func conflictTestShape(cs []Conflict) []Conflict {
	out := []Conflict{}
	for _, c := range cs {
		c.Resolutions = append([]Resolution(nil), c.Resolutions...)
		for i := range c.Resolutions {
			c.Resolutions[i].Message = ""
		}
		out = append(out, c)
	}
	return out
}

func TestConflicts(t *testing.T) {
	endJune := NewDate(2024, 6, 30)
	lastMinuteOfJune := time.Date(2024, 6, 30, 23, 59, 59, 0, time.UTC)
	july1 := conflictTestAt(2024, 7, 1)
	ten := conflictTestUsers(10)

	buy := func(total int) Resolution { return Resolution{Kind: ResolutionBuyMore, NewTotal: total} }
	remove := func(n int) Resolution { return Resolution{Kind: ResolutionRemoveLicenses, UserCount: n} }
	renew := func(total int, ids ...int64) Resolution {
		return Resolution{Kind: ResolutionRenewSubscription, NewTotal: total, SubscriptionIDs: ids}
	}

	cases := []struct {
		name string
		skus []SKUHoldings
		asOf time.Time
		want []Conflict
	}{
		{
			name: "R-LIC-4_no_conflict_empty_list",
			skus: []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{{ID: 1, Quantity: 10}}, AssignedUsers: ten}},
			asOf: july1,
			want: []Conflict{},
		},
		{
			name: "R-LIC-2_quantity_lowered_below_assigned_last_assigned_affected",
			skus: []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{{ID: 1, Quantity: 7}}, AssignedUsers: ten}},
			asOf: july1,
			want: []Conflict{{SKU: "E3", Licensed: 7, Assigned: 10, Deficit: 3,
				AffectedUsers: []string{"u08", "u09", "u10"}, Resolutions: []Resolution{buy(10), remove(3)}}},
		},
		{
			name: "R-LIC-3_before_end_date_no_conflict",
			skus: []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{{ID: 7, Quantity: 10, Term: SubscriptionTerm{EndDate: endJune}}}, AssignedUsers: ten}},
			asOf: lastMinuteOfJune,
			want: []Conflict{},
		},
		{
			name: "R-LIC-3_expired_auto_renew_off_puts_every_user_in_conflict",
			skus: []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{{ID: 7, Quantity: 10, Term: SubscriptionTerm{EndDate: endJune}}}, AssignedUsers: ten}},
			asOf: july1,
			want: []Conflict{{SKU: "E3", Licensed: 0, Assigned: 10, Deficit: 10,
				AffectedUsers: ten, Resolutions: []Resolution{buy(10), remove(10), renew(10, 7)}}},
		},
		{
			name: "R-LIC-3_partial_expiry_still_every_user_affected",
			skus: []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{
				{ID: 1, Quantity: 8, Term: SubscriptionTerm{EndDate: NewDate(2025, 6, 30)}},
				{ID: 2, Quantity: 2, Term: SubscriptionTerm{EndDate: endJune}},
			}, AssignedUsers: ten}},
			asOf: july1,
			want: []Conflict{{SKU: "E3", Licensed: 8, Assigned: 10, Deficit: 2,
				AffectedUsers: ten, Resolutions: []Resolution{buy(10), remove(2), renew(10, 2)}}},
		},
		{
			name: "R-LIC-2_auto_renew_past_end_date_still_counts",
			skus: []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{{ID: 7, Quantity: 10, Term: SubscriptionTerm{EndDate: endJune, AutoRenew: true}}}, AssignedUsers: ten}},
			asOf: conflictTestAt(2026, 1, 1),
			want: []Conflict{},
		},
		{
			name: "R-LIC-2_cancelled_lapses_not_offered_for_renewal",
			skus: []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{
				{ID: 1, Quantity: 6},
				{ID: 2, Quantity: 4, Term: SubscriptionTerm{CancelledAt: conflictTestPtr(conflictTestAt(2024, 5, 1))}},
			}, AssignedUsers: ten}},
			asOf: july1,
			want: []Conflict{{SKU: "E3", Licensed: 6, Assigned: 10, Deficit: 4,
				AffectedUsers: []string{"u07", "u08", "u09", "u10"}, Resolutions: []Resolution{buy(10), remove(4)}}},
		},
		{
			name: "R-LIC-4_resolutions_buy_remove_renew_sorted_by_sku",
			skus: []SKUHoldings{
				{SKU: "VISIO", Subscriptions: []HeldSubscription{{ID: 20, Quantity: 1}}, AssignedUsers: []string{"u01", "u02"}},
				{SKU: "E5", Subscriptions: []HeldSubscription{{ID: 30, Quantity: 2}}, AssignedUsers: []string{"u01"}},
				{SKU: "E3", Subscriptions: []HeldSubscription{
					{ID: 9, Quantity: 3, Term: SubscriptionTerm{EndDate: endJune}},
					{ID: 5, Quantity: 5},
					{ID: 4, Quantity: 2, Term: SubscriptionTerm{EndDate: NewDate(2024, 3, 31)}},
				}, AssignedUsers: conflictTestUsers(12)},
			},
			asOf: july1,
			want: []Conflict{
				{SKU: "E3", Licensed: 5, Assigned: 12, Deficit: 7, AffectedUsers: conflictTestUsers(12),
					Resolutions: []Resolution{buy(12), remove(7), renew(10, 4, 9)}},
				{SKU: "VISIO", Licensed: 1, Assigned: 2, Deficit: 1, AffectedUsers: []string{"u02"},
					Resolutions: []Resolution{buy(2), remove(1)}},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ConflictsAt(c.skus, c.asOf)
			if got == nil {
				t.Fatal("ConflictsAt returned nil, want a list")
			}
			if g := conflictTestShape(got); !reflect.DeepEqual(g, c.want) {
				t.Fatalf("got  %+v\nwant %+v", g, c.want)
			}
		})
	}

	t.Run("R-LIC-4_messages", func(t *testing.T) {
		skus := []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{
			{ID: 9, Quantity: 3, Term: SubscriptionTerm{EndDate: endJune}},
			{ID: 5, Quantity: 5},
			{ID: 4, Quantity: 2, Term: SubscriptionTerm{EndDate: NewDate(2024, 3, 31)}},
		}, AssignedUsers: conflictTestUsers(12)}}
		got := ConflictsAt(skus, july1)
		var msgs []string
		for _, r := range got[0].Resolutions {
			msgs = append(msgs, r.Message)
		}
		want := []string{
			"Buy 7 more licenses of E3: set the total to 12.",
			"Remove the E3 license from 7 users; this deletes their data for it.",
			"Renew subscriptions 4, 9 to restore 5 licenses of E3. 2 more will still be needed.",
		}
		if !reflect.DeepEqual(msgs, want) {
			t.Fatalf("got %q\nwant %q", msgs, want)
		}
	})
}

func TestConflictProjection(t *testing.T) {
	renewedOn := conflictTestAt(2024, 1, 1)
	graceEnds := conflictTestAt(2024, 1, 31)
	today := conflictTestAt(2024, 1, 15)
	grace := SubscriptionTerm{GraceFrom: &renewedOn, GraceUntil: &graceEnds}
	fifty := conflictTestUsers(50)

	// R-SUB-4: renewed from E3 onto E5; the users still hold E3, covered only by grace.
	differentSKU := []SKUHoldings{
		{SKU: "E3", Subscriptions: []HeldSubscription{{ID: 1, Quantity: 50, Term: grace}}, AssignedUsers: fifty},
		{SKU: "E5", Subscriptions: []HeldSubscription{{ID: 2, Quantity: 50}}},
	}
	t.Run("R-LIC-7_grace_end_projects_conflict_absent_today", func(t *testing.T) {
		if got := ConflictsAt(differentSKU, today); len(got) != 0 {
			t.Fatalf("today: %+v, want none while in grace", got)
		}
		got := conflictTestShape(ConflictsAt(differentSKU, graceEnds))
		want := []Conflict{{SKU: "E3", Licensed: 0, Assigned: 50, Deficit: 50, AffectedUsers: fifty,
			Resolutions: []Resolution{{Kind: ResolutionBuyMore, NewTotal: 50}, {Kind: ResolutionRemoveLicenses, UserCount: 50}}}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("at grace end got %+v\nwant %+v", got, want)
		}
	})
	t.Run("R-LIC-7_in_grace_not_licensed_R-SUB-1", func(t *testing.T) {
		if n := LicensedQuantityAt(differentSKU[0].Subscriptions, today); n != 0 {
			t.Fatalf("licensed = %d, want 0", n)
		}
		if p := DecideAssignment("E3", LicensedQuantityAt(differentSKU[0].Subscriptions, today), 50, 1); p == nil {
			t.Fatal("an in-grace license allowed a new assignment")
		}
	})

	// R-SUB-2: same SKU renewed at a lower quantity: in grace 100, new 80, 100 users.
	lowered := []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{
		{ID: 1, Quantity: 100, Term: grace},
		{ID: 2, Quantity: 80},
	}, AssignedUsers: conflictTestUsers(100)}}
	t.Run("R-LIC-7_same_sku_renewed_lower_conflict_at_grace_end", func(t *testing.T) {
		if got := ConflictsAt(lowered, today); len(got) != 0 {
			t.Fatalf("today: %+v, want none", got)
		}
		got := ConflictsAt(lowered, graceEnds)
		if len(got) != 1 || got[0].Licensed != 80 || got[0].InGrace != 0 || got[0].Deficit != 20 ||
			!reflect.DeepEqual(got[0].AffectedUsers, conflictTestUsers(100)[80:]) || got[0].Resolutions[0].NewTotal != 100 {
			t.Fatalf("at grace end got %+v", got)
		}
	})
	t.Run("R-LIC-7_in_grace_still_short_shows_in_grace_quantity", func(t *testing.T) {
		short := []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{
			{ID: 1, Quantity: 10, Term: grace},
			{ID: 2, Quantity: 80},
		}, AssignedUsers: conflictTestUsers(100)}}
		got := ConflictsAt(short, today)
		if len(got) != 1 || got[0].Licensed != 80 || got[0].InGrace != 10 || got[0].Deficit != 10 || got[0].Resolutions[0].NewTotal != 90 {
			t.Fatalf("got %+v", got)
		}
	})

	t.Run("R-LIC-7_change_instants_grace_end_and_expiry", func(t *testing.T) {
		skus := append([]SKUHoldings{
			{SKU: "VISIO", Subscriptions: []HeldSubscription{{ID: 3, Quantity: 2, Term: SubscriptionTerm{EndDate: NewDate(2024, 12, 31)}}}, AssignedUsers: []string{"u01"}},
			// Auto-renewing and unassigned: their dates change nothing.
			{SKU: "PROJECT", Subscriptions: []HeldSubscription{{ID: 4, Quantity: 2, Term: SubscriptionTerm{EndDate: NewDate(2024, 3, 31), AutoRenew: true}}}, AssignedUsers: []string{"u01"}},
			{SKU: "INTUNE", Subscriptions: []HeldSubscription{{ID: 5, Quantity: 2, Term: SubscriptionTerm{EndDate: NewDate(2024, 5, 31)}}}},
		}, differentSKU...)
		got := ConflictChangesAfter(skus, today)
		want := []time.Time{graceEnds, conflictTestAt(2025, 1, 1)}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		if got := ConflictChangesAfter(skus, conflictTestAt(2025, 1, 1)); len(got) != 0 {
			t.Fatalf("after the last change: %v", got)
		}
		if c := ConflictsAt(skus, conflictTestAt(2025, 1, 1)); len(c) != 2 || c[0].SKU != "E3" || c[1].SKU != "VISIO" || c[1].Deficit != 1 {
			t.Fatalf("projected %+v", c)
		}
	})
}

func TestSummary(t *testing.T) {
	cases := []struct {
		name                                  string
		row                                   SummaryRow
		licensed, inGrace, reserved, assigned int
		available                             int
	}{
		{"R-BI-1_cell_available", NewSummaryCell(100, 20, 10, 90), 100, 20, 10, 90, 10},
		{"R-BI-1_cell_over_assigned_available_zero", NewSummaryCell(10, 0, 0, 12), 10, 0, 0, 12, 0},
		// A spare E5 license cannot cover an E3 user: 5 available, not 20-17=3.
		{"R-BI-1_sum_of_pools_available_per_pool", NewSummaryCell(10, 0, 0, 12).Add(NewSummaryCell(10, 0, 4, 5)), 20, 0, 4, 17, 5},
		{"R-BI-1_reserved_capped_by_licensed", NewSummaryCell(3, 0, 5, 0), 3, 0, 3, 0, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.row
			if r.Licensed != c.licensed || r.InGrace != c.inGrace || r.ReservedNotBilled != c.reserved || r.Assigned != c.assigned || r.Available() != c.available {
				t.Fatalf("got %+v available %d", r, r.Available())
			}
		})
	}

	t.Run("R-BI-1_cell_from_facts", func(t *testing.T) {
		asOf := conflictTestAt(2024, 7, 1)
		from := conflictTestAt(2024, 6, 1)
		h := SKUHoldings{SKU: "E3", Subscriptions: []HeldSubscription{
			{ID: 1, Quantity: 100, ReservedNotBilled: 10},
			{ID: 2, Quantity: 50, ReservedNotBilled: 5, Term: SubscriptionTerm{GraceFrom: &from}},
			{ID: 3, Quantity: 20, ReservedNotBilled: 20, Term: SubscriptionTerm{EndDate: NewDate(2024, 6, 30)}},
		}, AssignedUsers: []string{"a", "b", "c", "a"}}
		want := SummaryRow{Licensed: 100, InGrace: 50, ReservedNotBilled: 10, Assigned: 3}
		if got := SummaryCellAt(h, asOf); got != want || got.Available() != 97 {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	})

	t.Run("R-BI-1_group_and_filter", func(t *testing.T) {
		cell := func(customer, family, sku string, r SummaryRow) SummaryCell {
			return SummaryCell{Keys: map[SummaryDimension]string{SummaryByCustomer: customer, SummaryByFamily: family, SummaryBySKU: sku}, Row: r}
		}
		cells := []SummaryCell{
			cell("c2", "OFFICE_365", "E3", NewSummaryCell(10, 0, 0, 12)),
			cell("c1", "OFFICE_365", "E3", NewSummaryCell(5, 5, 1, 5)),
			cell("c2", "OFFICE_365", "E1", NewSummaryCell(10, 0, 2, 5)),
			cell("c1", "INTUNE", "INTUNE", NewSummaryCell(7, 0, 0, 0)),
		}
		got := Summarize(cells, []SummaryDimension{SummaryByCustomer}, map[SummaryDimension]string{SummaryByFamily: "OFFICE_365"})
		want := []SummaryGroup{
			{Keys: map[SummaryDimension]string{SummaryByCustomer: "c1"}, Row: NewSummaryCell(5, 5, 1, 5)},
			{Keys: map[SummaryDimension]string{SummaryByCustomer: "c2"}, Row: SummaryRow{Licensed: 20, ReservedNotBilled: 2, Assigned: 17, Unassignable: 2}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
		if got[1].Row.Available() != 5 {
			t.Fatalf("c2 available = %d, want 5", got[1].Row.Available())
		}
		total := Summarize(cells, nil, nil)
		if len(total) != 1 || total[0].Row.Licensed != 32 || total[0].Row.InGrace != 5 || total[0].Row.Assigned != 22 || total[0].Row.Available() != 12 {
			t.Fatalf("total %+v", total)
		}
		if none := Summarize(cells, []SummaryDimension{SummaryBySKU}, map[SummaryDimension]string{SummaryByCustomer: "c9"}); none == nil || len(none) != 0 {
			t.Fatalf("no match: %#v", none)
		}
	})

	t.Run("R-BI-1_dimensions_valid", func(t *testing.T) {
		for _, d := range []string{"RESELLER", "CUSTOMER", "AGREEMENT", "PROGRAM", "ENROLLMENT", "ACCOUNT", "SKU", "FAMILY"} {
			if !SummaryDimension(d).Valid() {
				t.Errorf("%s not valid", d)
			}
		}
		if SummaryDimension("USER").Valid() || SummaryDimension("").Valid() {
			t.Error("unknown dimension valid")
		}
	})
}

func TestDeprovisionedUsers(t *testing.T) {
	t.Run("R-SUB-3_grace_end_removes_the_users_beyond_the_remaining_licenses", func(t *testing.T) {
		renewed := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		end := renewed.Add(DefaultGracePeriod)
		h := SKUHoldings{SKU: "E3", AssignedUsers: []string{"a", "b", "c"}, Subscriptions: []HeldSubscription{
			{ID: 1, Quantity: 3, Term: SubscriptionTerm{GraceFrom: &renewed, GraceUntil: &end}}, // renewed onto another SKU
			{ID: 2, Quantity: 1, Term: SubscriptionTerm{}},                                      // one E3 still ACTIVE
		}}
		if got := DeprovisionedUsers(h, end.Add(-time.Second)); got != nil {
			t.Fatalf("in grace: %v lose their license, want none", got)
		}
		if got := DeprovisionedUsers(h, end); !reflect.DeepEqual(got, []string{"b", "c"}) {
			t.Fatalf("at grace end: %v, want the two most recently assigned [b c]", got)
		}
	})
}
