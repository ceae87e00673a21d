package licensing

import (
	"strings"
	"testing"
	"time"
)

// testCatalog: a base Dynamics SKU, two add-ons and an Office base.
var testCatalog = map[string]SKUFacts{
	"DYN365-SALES":        {Code: "DYN365-SALES", Family: FamilyDynamics365, Kind: KindBase, Unit: UnitSeat},
	"DYN365-ADD-INSTANCE": {Code: "DYN365-ADD-INSTANCE", Family: FamilyDynamics365, Kind: KindAddOn, BaseSKUs: []string{"DYN365-SALES", "DYN365-SERVICE"}, Unit: UnitInstance},
	"DYN365-ADD-STORAGE":  {Code: "DYN365-ADD-STORAGE", Family: FamilyDynamics365, Kind: KindAddOn, BaseSKUs: []string{"DYN365-SALES"}, Unit: UnitGB},
	"O365-E3":             {Code: "O365-E3", Family: FamilyOffice365, Kind: KindBase, Unit: UnitSeat},
}

func newOrderDraft(lines ...OrderLineDraft) OrderDraft {
	return OrderDraft{
		EnrollmentNumber: "E-1001",
		Lines:            lines,
		PurchaseDate:     NewDate(2025, 3, 1),
		UsageStartDate:   NewDate(2025, 3, 1),
		IdempotencyKey:   "key-1",
	}
}

func newOrderFacts() OrderFacts {
	return OrderFacts{EnrollmentStatus: EnrollmentActive, EnrollmentEndDate: NewDate(2027, 2, 28), Catalog: testCatalog}
}

func line(sku string, q int) OrderLineDraft { return OrderLineDraft{SKU: sku, Quantity: q} }

func TestOrders(t *testing.T) {
	cases := []struct {
		name  string
		draft func(*OrderDraft)
		facts func(*OrderFacts)
		want  []Problem
	}{
		{name: "R-ORD-1_valid_order", draft: func(d *OrderDraft) { d.Lines = []OrderLineDraft{line("O365-E3", 10)} }},
		{name: "R-ORD-1_enrollment_not_active", draft: func(d *OrderDraft) { d.Lines = []OrderLineDraft{line("O365-E3", 10)} },
			facts: func(f *OrderFacts) { f.EnrollmentStatus = EnrollmentExpired },
			want:  []Problem{prob(CodeEnrollmentNotActive, "enrollment")}},
		{name: "R-ORD-1_purchase_after_enrollment_end", draft: func(d *OrderDraft) {
			d.Lines = []OrderLineDraft{line("O365-E3", 10)}
			d.PurchaseDate, d.UsageStartDate = NewDate(2027, 3, 1), NewDate(2027, 3, 1)
		}, want: []Problem{prob(CodeEnrollmentNotActive, "purchaseDate")}},
		{name: "R-ORD-1_usage_start_after_enrollment_end", draft: func(d *OrderDraft) {
			d.Lines = []OrderLineDraft{line("O365-E3", 10)}
			d.UsageStartDate = NewDate(2027, 3, 1)
		}, want: []Problem{prob(CodeInvalid, "usageStartDate")}},
		{name: "R-ORD-1_missing_fields_and_zero_lines", draft: func(d *OrderDraft) { *d = OrderDraft{} },
			want: []Problem{prob(CodeRequired, "enrollment"), prob(CodeRequired, "idempotencyKey"), prob(CodeRequired, "purchaseDate"), prob(CodeRequired, "usageStartDate"), prob(CodeRequired, "lines")}},
		{name: "R-ORD-1_usage_start_before_purchase", draft: func(d *OrderDraft) {
			d.Lines = []OrderLineDraft{line("O365-E3", 10)}
			d.UsageStartDate = NewDate(2025, 2, 28)
		}, want: []Problem{prob(CodeInvalid, "usageStartDate")}},
		{name: "R-ORD-1_quantity_bounds", draft: func(d *OrderDraft) {
			d.Lines = []OrderLineDraft{line("O365-E3", 0), line("DYN365-SALES", -1), line("DYN365-ADD-STORAGE", MaxOrderQuantity+1), line("DYN365-ADD-INSTANCE", MaxOrderQuantity)}
		}, want: []Problem{prob(CodeInvalidQuantity, "lines", "0", "quantity"), prob(CodeInvalidQuantity, "lines", "1", "quantity"), prob(CodeInvalidQuantity, "lines", "2", "quantity")}},
		{name: "R-ORD-1_unknown_and_missing_sku", draft: func(d *OrderDraft) { d.Lines = []OrderLineDraft{line("NOPE", 1), line("", 1)} },
			want: []Problem{prob(CodeUnknownSKU, "lines", "0", "sku"), prob(CodeRequired, "lines", "1", "sku")}},
		{name: "R-ORD-1_duplicate_line_names_the_second", draft: func(d *OrderDraft) {
			d.Lines = []OrderLineDraft{line("O365-E3", 1), line("DYN365-SALES", 1), line("O365-E3", 2)}
		}, want: []Problem{prob(CodeDuplicateLine, "lines", "2", "sku")}},
		{name: "R-ORD-3_addon_needs_base", draft: func(d *OrderDraft) { d.Lines = []OrderLineDraft{line("O365-E3", 5), line("DYN365-ADD-STORAGE", 5)} },
			want: []Problem{prob(CodeAddonRequiresBase, "lines", "1", "sku")}},
		{name: "R-ORD-3_addon_base_subscribed", draft: func(d *OrderDraft) { d.Lines = []OrderLineDraft{line("DYN365-ADD-STORAGE", 5)} },
			facts: func(f *OrderFacts) { f.SubscribedSKUs = map[string]bool{"DYN365-SALES": true} }},
		{name: "R-ORD-3_addon_any_base_subscribed", draft: func(d *OrderDraft) { d.Lines = []OrderLineDraft{line("DYN365-ADD-INSTANCE", 1)} },
			facts: func(f *OrderFacts) { f.SubscribedSKUs = map[string]bool{"DYN365-SERVICE": true} }},
		{name: "R-ORD-3_addon_base_in_same_order_after_it", draft: func(d *OrderDraft) {
			d.Lines = []OrderLineDraft{line("DYN365-ADD-STORAGE", 5), line("DYN365-SALES", 10)}
		}},
		{name: "R-ORD-4_move_covers_direct_holdings", draft: func(d *OrderDraft) {
			d.MovesFromDirect = true
			d.Lines = []OrderLineDraft{line("DYN365-SALES", 50), line("DYN365-ADD-INSTANCE", 4), line("DYN365-ADD-STORAGE", 5)}
		}, facts: func(f *OrderFacts) {
			f.DirectHoldings = map[string]int{"DYN365-SALES": 50, "DYN365-ADD-INSTANCE": 3, "DYN365-ADD-STORAGE": 5}
		}},
		{name: "R-ORD-4_holdings_ignored_when_not_moving", draft: func(d *OrderDraft) { d.Lines = []OrderLineDraft{line("DYN365-SALES", 1)} },
			facts: func(f *OrderFacts) { f.DirectHoldings = map[string]int{"DYN365-SALES": 50} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, f := newOrderDraft(), newOrderFacts()
			if c.draft != nil {
				c.draft(&d)
			}
			if c.facts != nil {
				c.facts(&f)
			}
			wantProblems(t, ValidateOrder(d, f), c.want...)
		})
	}

	t.Run("R-ORD-4_shortfall_names_each_short_sku", func(t *testing.T) {
		d := newOrderDraft(line("DYN365-SALES", 50), line("DYN365-ADD-INSTANCE", 1))
		d.MovesFromDirect = true
		f := newOrderFacts()
		f.DirectHoldings = map[string]int{"DYN365-SALES": 50, "DYN365-ADD-INSTANCE": 3, "DYN365-ADD-STORAGE": 5}
		ps := ValidateOrder(d, f)
		wantProblems(t, ps, prob(CodeMigrationQuantityTooLow, "lines"))
		msg := ps[0].Message
		for _, s := range []string{
			"DYN365-ADD-INSTANCE: 2 short (ordered 1, direct subscription holds 3)",
			"DYN365-ADD-STORAGE: 5 short (ordered 0, direct subscription holds 5)",
		} {
			if !strings.Contains(msg, s) {
				t.Errorf("message %q lacks %q", msg, s)
			}
		}
		if strings.Contains(msg, "DYN365-SALES") {
			t.Errorf("message %q names a SKU that is not short", msg)
		}
	})

	t.Run("R-ORD-1_only_processed_adds_quantity", func(t *testing.T) {
		if !OrderProcessed.AddsQuantity() || OrderPlaced.AddsQuantity() || OrderCancelled.AddsQuantity() {
			t.Fatal("only PROCESSED adds quantities")
		}
	})
	t.Run("R-ORD-1_process_and_cancel_only_placed", func(t *testing.T) {
		for _, c := range []struct {
			s    OrderStatus
			want Code
		}{{OrderPlaced, ""}, {OrderProcessed, CodeOrderNotPlaced}, {OrderCancelled, CodeOrderNotPlaced}} {
			wantOne(t, CanProcessOrder(c.s), c.want, "order")
			wantOne(t, CanCancelOrder(c.s), c.want, "order")
		}
	})
}

func TestOrderIdempotency(t *testing.T) {
	base := newOrderDraft(line("O365-E3", 10), line("DYN365-SALES", 5))
	fp := OrderFingerprint(base)

	t.Run("R-ORD-2_fingerprint_ignores_key_and_line_order", func(t *testing.T) {
		d := newOrderDraft(line("DYN365-SALES", 5), line("O365-E3", 10))
		d.IdempotencyKey = "another-key"
		if got := OrderFingerprint(d); got != fp {
			t.Fatalf("same content, different fingerprint: %s vs %s", got, fp)
		}
	})
	t.Run("R-ORD-2_fingerprint_sees_content", func(t *testing.T) {
		changes := map[string]func(*OrderDraft){
			"quantity":   func(d *OrderDraft) { d.Lines[0].Quantity = 11 },
			"sku":        func(d *OrderDraft) { d.Lines[0].SKU = "O365-E5" },
			"enrollment": func(d *OrderDraft) { d.EnrollmentNumber = "E-1002" },
			"purchase":   func(d *OrderDraft) { d.PurchaseDate = NewDate(2025, 3, 2) },
			"usage":      func(d *OrderDraft) { d.UsageStartDate = NewDate(2025, 3, 2) },
			"move":       func(d *OrderDraft) { d.MovesFromDirect = true },
			"extra line": func(d *OrderDraft) { d.Lines = append(d.Lines, line("DYN365-ADD-STORAGE", 1)) },
		}
		for name, change := range changes {
			d := newOrderDraft(line("O365-E3", 10), line("DYN365-SALES", 5))
			change(&d)
			if OrderFingerprint(d) == fp {
				t.Errorf("changing %s kept the fingerprint", name)
			}
		}
	})
	t.Run("R-ORD-2_decide", func(t *testing.T) {
		reuse, p := DecideIdempotency("", fp)
		if reuse || p != nil {
			t.Fatalf("no earlier order: got reuse=%v %v", reuse, p)
		}
		reuse, p = DecideIdempotency(fp, fp)
		if !reuse || p != nil {
			t.Fatalf("same content: got reuse=%v %v", reuse, p)
		}
		reuse, p = DecideIdempotency(fp, OrderFingerprint(newOrderDraft(line("O365-E3", 11))))
		if reuse {
			t.Fatal("different content must not reuse")
		}
		wantOne(t, p, CodeIdempotencyKeyReused, "idempotencyKey")
	})
}

func TestOrderPending(t *testing.T) {
	processed := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	t.Run("R-ORD-5_pending_until_12h", func(t *testing.T) {
		if got, want := PendingUntil(processed), processed.Add(12*time.Hour); !got.Equal(want) {
			t.Fatalf("PendingUntil = %v, want %v", got, want)
		}
		for _, c := range []struct {
			after time.Duration
			want  bool
		}{{0, true}, {12*time.Hour - time.Nanosecond, true}, {12 * time.Hour, false}, {13 * time.Hour, false}} {
			if got := LinePending(processed, processed.Add(c.after)); got != c.want {
				t.Errorf("after %v: pending=%v, want %v", c.after, got, c.want)
			}
		}
	})
	t.Run("R-ORD-5_pending_added", func(t *testing.T) {
		start := processed.Add(30 * time.Hour)
		changes := []QuantityChange{{10, processed, true}, {5, processed.Add(2 * time.Hour), true}, {3, processed.Add(12 * time.Hour), true},
			{-4, processed.Add(13 * time.Hour), false}, {7, start, false}} // a lowering, and a renewal's lines from its start
		if got := PendingAdded(changes, processed.Add(12*time.Hour)); got != 5+3+7 {
			t.Fatalf("pending at 12h = %d, want 15 (the 10 are available, a lowering adds nothing pending)", got)
		}
		if got := PendingAdded(changes, start.Add(-time.Second)); got != 7 {
			t.Fatalf("pending just before the renewal's start = %d, want its 7 (the orders are available)", got)
		}
		if got := PendingAdded(changes, start); got != 0 {
			t.Fatalf("pending from the renewal's start: %d, want 0", got)
		}
	})
}

func TestOrderWithinEnrollmentTerm(t *testing.T) {
	t.Run("R-ORD-1_order_within_the_enrollment_term", func(t *testing.T) {
		f := OrderFacts{EnrollmentStatus: EnrollmentActive, EnrollmentStartDate: NewDate(2026, 1, 1), EnrollmentEndDate: NewDate(2028, 12, 31),
			Catalog: map[string]SKUFacts{"E3": {Code: "E3", Kind: KindBase}}, Today: NewDate(2026, 11, 23)}
		d := OrderDraft{EnrollmentNumber: "E", IdempotencyKey: "k", Lines: []OrderLineDraft{{SKU: "E3", Quantity: 1}},
			PurchaseDate: NewDate(2025, 6, 1), UsageStartDate: NewDate(2026, 6, 1)}
		wantProblems(t, ValidateOrder(d, f), Problem{Code: CodeEnrollmentNotActive, Input: []string{"purchaseDate"}})
		d.PurchaseDate = NewDate(2026, 6, 1)
		wantProblems(t, ValidateOrder(d, f))
		f.Today = NewDate(2029, 1, 1) // ended: a backdated purchase date does not reopen it
		wantProblems(t, ValidateOrder(d, f), Problem{Code: CodeEnrollmentNotActive, Input: []string{"enrollment"}})
	})
}
