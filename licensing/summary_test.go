package licensing

import (
	"reflect"
	"testing"
	"time"
)

func TestSummary(t *testing.T) {
	cases := []struct {
		name                                  string
		row                                   SummaryRow
		licensed, inGrace, reserved, assigned int
		available                             int
	}{
		{"R-BI-1_cell_available", NewSummaryCell(100, 0, 20, 10, 90), 100, 20, 10, 90, 10},
		{"R-BI-1_cell_over_assigned_available_zero", NewSummaryCell(10, 0, 0, 0, 12), 10, 0, 0, 12, 0},
		// A spare E5 license cannot cover an E3 user: 5 available, not 20-17=3.
		{"R-BI-1_sum_of_pools_available_per_pool", NewSummaryCell(10, 0, 0, 0, 12).Add(NewSummaryCell(10, 0, 0, 4, 5)), 20, 0, 4, 17, 5},
		{"R-BI-1_reserved_capped_by_licensed", NewSummaryCell(3, 0, 0, 5, 0), 3, 0, 3, 0, 3},
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
		asOf := day(2024, 7, 1)
		from := day(2024, 6, 1)
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

	t.Run("R-ORD-5_pending_is_reported_apart_from_licensed", func(t *testing.T) {
		asOf := day(2024, 7, 1)
		h := SKUHoldings{SKU: "E3", Subscriptions: []HeldSubscription{
			// 40 licenses, 30 of them from an order processed two hours ago; 20 reserved.
			{ID: 1, Quantity: 40, ReservedNotBilled: 20, Changes: []QuantityChange{{Delta: 30, EffectiveAt: asOf.Add(-2 * time.Hour), FromOrder: true}}},
		}, AssignedUsers: []string{"a", "b"}}
		want := SummaryRow{Licensed: 10, Pending: 30, ReservedNotBilled: 10, Assigned: 2}
		if got := SummaryCellAt(h, asOf); got != want || got.Available() != 8 {
			t.Fatalf("got %+v (available %d), want %+v (available 8)", got, got.Available(), want)
		}
		want = SummaryRow{Licensed: 40, ReservedNotBilled: 20, Assigned: 2}
		if got := SummaryCellAt(h, asOf.Add(10*time.Hour)); got != want {
			t.Fatalf("12 hours after processing: got %+v, want %+v", got, want)
		}
	})

	t.Run("R-BI-1_group_and_filter", func(t *testing.T) {
		cell := func(customer, family, sku string, r SummaryRow) SummaryCell {
			return SummaryCell{Keys: map[SummaryDimension]string{SummaryByCustomer: customer, SummaryByFamily: family, SummaryBySKU: sku}, Row: r}
		}
		cells := []SummaryCell{
			cell("c2", "OFFICE_365", "E3", NewSummaryCell(10, 0, 0, 0, 12)),
			cell("c1", "OFFICE_365", "E3", NewSummaryCell(5, 0, 5, 1, 5)),
			cell("c2", "OFFICE_365", "E1", NewSummaryCell(10, 0, 0, 2, 5)),
			cell("c1", "INTUNE", "INTUNE", NewSummaryCell(7, 0, 0, 0, 0)),
		}
		got := Summarize(cells, []SummaryDimension{SummaryByCustomer}, map[SummaryDimension]string{SummaryByFamily: "OFFICE_365"})
		want := []SummaryGroup{
			{Keys: map[SummaryDimension]string{SummaryByCustomer: "c1"}, Row: NewSummaryCell(5, 0, 5, 1, 5)},
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
