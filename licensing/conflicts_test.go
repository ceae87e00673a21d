package licensing

import (
	"reflect"
	"testing"
	"time"
)

// shapeOf drops messages so the tables compare numbers, users and kinds.
func shapeOf(cs []Conflict) []Conflict {
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
	july1 := day(2024, 7, 1)
	ten := userNames(10)

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
			asOf: day(2026, 1, 1),
			want: []Conflict{},
		},
		{
			name: "R-LIC-2_cancelled_lapses_not_offered_for_renewal",
			skus: []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{
				{ID: 1, Quantity: 6},
				{ID: 2, Quantity: 4, Term: SubscriptionTerm{CancelledAt: ptr(day(2024, 5, 1))}},
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
				}, AssignedUsers: userNames(12)},
			},
			asOf: july1,
			want: []Conflict{
				{SKU: "E3", Licensed: 5, Assigned: 12, Deficit: 7, AffectedUsers: userNames(12),
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
			if g := shapeOf(got); !reflect.DeepEqual(g, c.want) {
				t.Fatalf("got  %+v\nwant %+v", g, c.want)
			}
		})
	}

	t.Run("R-LIC-4_messages", func(t *testing.T) {
		skus := []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{
			{ID: 9, Quantity: 3, Term: SubscriptionTerm{EndDate: endJune}},
			{ID: 5, Quantity: 5},
			{ID: 4, Quantity: 2, Term: SubscriptionTerm{EndDate: NewDate(2024, 3, 31)}},
		}, AssignedUsers: userNames(12)}}
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
	renewedOn := day(2024, 1, 1)
	graceEnds := day(2024, 1, 31)
	today := day(2024, 1, 15)
	grace := SubscriptionTerm{GraceFrom: &renewedOn, GraceUntil: &graceEnds}
	fifty := userNames(50)

	// R-SUB-4: renewed from E3 onto E5; the users still hold E3, covered only by grace, and the
	// administrator has given E5 to the first 20 of them.
	differentSKU := []SKUHoldings{
		{SKU: "E3", Subscriptions: []HeldSubscription{{ID: 1, Quantity: 50, Term: grace}}, AssignedUsers: fifty, Replacements: []string{"E5"}},
		{SKU: "E5", Subscriptions: []HeldSubscription{{ID: 2, Quantity: 50}}, AssignedUsers: fifty[:20]},
	}
	t.Run("R-LIC-7_grace_end_projects_conflict_absent_today", func(t *testing.T) {
		if got := ConflictsAt(differentSKU, today); len(got) != 0 {
			t.Fatalf("today: %+v, want none while in grace", got)
		}
		// Without a replacement the old SKU's users are all listed and buying more is a way out.
		noRenewal := []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{{ID: 1, Quantity: 50, Term: grace}}, AssignedUsers: fifty}}
		got := shapeOf(ConflictsAt(noRenewal, graceEnds))
		want := []Conflict{{SKU: "E3", Licensed: 0, Assigned: 50, Deficit: 50, AffectedUsers: fifty,
			Resolutions: []Resolution{{Kind: ResolutionBuyMore, NewTotal: 50}, {Kind: ResolutionRemoveLicenses, UserCount: 50}}}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("at grace end got %+v\nwant %+v", got, want)
		}
	})
	t.Run("R-SUB-4_R-LIC-7_switched_sku_lists_users_without_the_new_sku_and_assigns_it", func(t *testing.T) {
		got := ConflictsAt(differentSKU, graceEnds)
		want := []Conflict{{SKU: "E3", Licensed: 0, Assigned: 50, Deficit: 50, AffectedUsers: fifty[20:],
			Resolutions: []Resolution{{Kind: ResolutionRemoveLicenses, UserCount: 50}, {Kind: ResolutionAssignNewSKU, UserCount: 30, SKUs: []string{"E5"}}}}}
		if g := shapeOf(got); !reflect.DeepEqual(g, want) {
			t.Fatalf("at grace end got %+v\nwant %+v", g, want)
		}
		if m := got[0].Resolutions[1].Message; m != "The renewal replaced E3 with E5: assign E5 to the 30 users listed, or they lose access." {
			t.Fatalf("message %q", m)
		}
		// Everyone moved: still a conflict on the pool (its assignments go at the sweep), nobody listed, nothing to assign.
		allMoved := []SKUHoldings{differentSKU[0], {SKU: "E5", Subscriptions: differentSKU[1].Subscriptions, AssignedUsers: fifty}}
		got = shapeOf(ConflictsAt(allMoved, graceEnds))
		if len(got) != 1 || len(got[0].AffectedUsers) != 0 || len(got[0].Resolutions) != 1 || got[0].Resolutions[0].Kind != ResolutionRemoveLicenses {
			t.Fatalf("all users on E5: %+v", got)
		}
		// A SKU still sold in the pool (a direct purchase) can still be bought more of.
		stillSold := []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{{ID: 1, Quantity: 50, Term: grace}, {ID: 3, Quantity: 5}},
			AssignedUsers: fifty, Replacements: []string{"E5"}}, differentSKU[1]}
		got = shapeOf(ConflictsAt(stillSold, graceEnds))
		if len(got) != 1 || got[0].Resolutions[0].Kind != ResolutionBuyMore || got[0].Resolutions[0].NewTotal != 50 ||
			!reflect.DeepEqual(got[0].AffectedUsers, fifty[20:]) {
			t.Fatalf("E3 still sold: %+v", got)
		}
	})
	t.Run("R-LIC-7_in_grace_not_licensed_R-SUB-1", func(t *testing.T) {
		if n := LicensedQuantityAt(differentSKU[0].Subscriptions, today); n != 0 {
			t.Fatalf("licensed = %d, want 0", n)
		}
		if p := DecideAssignment("E3", LicensedQuantityAt(differentSKU[0].Subscriptions, today), 0, 50, 1); p == nil {
			t.Fatal("an in-grace license allowed a new assignment")
		}
	})

	// R-SUB-2: same SKU renewed at a lower quantity: in grace 100, new 80, 100 users.
	lowered := []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{
		{ID: 1, Quantity: 100, Term: grace},
		{ID: 2, Quantity: 80},
	}, AssignedUsers: userNames(100)}}
	t.Run("R-LIC-7_same_sku_renewed_lower_conflict_at_grace_end", func(t *testing.T) {
		if got := ConflictsAt(lowered, today); len(got) != 0 {
			t.Fatalf("today: %+v, want none", got)
		}
		got := ConflictsAt(lowered, graceEnds)
		if len(got) != 1 || got[0].Licensed != 80 || got[0].InGrace != 0 || got[0].Deficit != 20 ||
			!reflect.DeepEqual(got[0].AffectedUsers, userNames(100)[80:]) || got[0].Resolutions[0].NewTotal != 100 {
			t.Fatalf("at grace end got %+v", got)
		}
	})
	t.Run("R-LIC-7_in_grace_still_short_shows_in_grace_quantity", func(t *testing.T) {
		short := []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{
			{ID: 1, Quantity: 10, Term: grace},
			{ID: 2, Quantity: 80},
		}, AssignedUsers: userNames(100)}}
		got := ConflictsAt(short, today)
		if len(got) != 1 || got[0].Licensed != 80 || got[0].InGrace != 10 || got[0].Deficit != 10 || got[0].Resolutions[0].NewTotal != 90 {
			t.Fatalf("got %+v", got)
		}
	})

	t.Run("R-ORD-5_pending_licenses_cover_nobody_until_available", func(t *testing.T) {
		processed := today.Add(-2 * time.Hour)
		skus := []SKUHoldings{{SKU: "E3", Subscriptions: []HeldSubscription{{ID: 1, Quantity: 15,
			Changes: []QuantityChange{{Delta: 10, EffectiveAt: processed, FromOrder: true}}}}, AssignedUsers: userNames(8)}}
		got := ConflictsAt(skus, today)
		available := processed.Add(12 * time.Hour)
		want := []Conflict{{SKU: "E3", Licensed: 5, Pending: 10, Assigned: 8, Deficit: 3, AffectedUsers: userNames(8)[5:],
			Resolutions: []Resolution{{Kind: ResolutionRemoveLicenses, UserCount: 3}, {Kind: ResolutionAwaitPending, NewTotal: 15, AvailableAt: &available}}}}
		if g := shapeOf(got); !reflect.DeepEqual(g, want) {
			t.Fatalf("got %+v\nwant %+v", g, want)
		}
		if c := ConflictChangesAfter(skus, today); !reflect.DeepEqual(c, []time.Time{available}) {
			t.Fatalf("changes after: %v, want the instant the pending licenses arrive", c)
		}
		if got := ConflictsAt(skus, available); len(got) != 0 {
			t.Fatalf("once available: %+v", got)
		}
		// More users than the pending licenses cover: buy what is still missing, as a total.
		skus[0].AssignedUsers = userNames(17)
		got = ConflictsAt(skus, today)
		if len(got) != 1 || got[0].Resolutions[0].Kind != ResolutionBuyMore || got[0].Resolutions[0].NewTotal != 17 ||
			got[0].Resolutions[0].Message != "Buy 2 more licenses of E3: set the total to 17." {
			t.Fatalf("short beyond pending: %+v", got)
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
		want := []time.Time{graceEnds, day(2025, 1, 1)}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		if got := ConflictChangesAfter(skus, day(2025, 1, 1)); len(got) != 0 {
			t.Fatalf("after the last change: %v", got)
		}
		if c := ConflictsAt(skus, day(2025, 1, 1)); len(c) != 2 || c[0].SKU != "E3" || c[1].SKU != "VISIO" || c[1].Deficit != 1 {
			t.Fatalf("projected %+v", c)
		}
	})
}
