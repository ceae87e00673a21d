package licensing

import (
	"strings"
	"testing"
	"time"
)

// ledgerCatalog: a base Dynamics SKU, two add-ons and an Office base.
var ledgerCatalog = map[string]SKUFacts{
	"DYN365-SALES":        {Code: "DYN365-SALES", Family: FamilyDynamics365, Kind: KindBase, Unit: UnitSeat},
	"DYN365-ADD-INSTANCE": {Code: "DYN365-ADD-INSTANCE", Family: FamilyDynamics365, Kind: KindAddOn, BaseSKUs: []string{"DYN365-SALES", "DYN365-SERVICE"}, Unit: UnitInstance},
	"DYN365-ADD-STORAGE":  {Code: "DYN365-ADD-STORAGE", Family: FamilyDynamics365, Kind: KindAddOn, BaseSKUs: []string{"DYN365-SALES"}, Unit: UnitGB},
	"O365-E3":             {Code: "O365-E3", Family: FamilyOffice365, Kind: KindBase, Unit: UnitSeat},
}

func ledgerDraft(lines ...OrderLineDraft) OrderDraft {
	return OrderDraft{
		EnrollmentNumber: "E-1001",
		Lines:            lines,
		PurchaseDate:     NewDate(2025, 3, 1),
		UsageStartDate:   NewDate(2025, 3, 1),
		IdempotencyKey:   "key-1",
	}
}

func ledgerFacts() OrderFacts {
	return OrderFacts{EnrollmentStatus: EnrollmentActive, EnrollmentEndDate: NewDate(2027, 2, 28), Catalog: ledgerCatalog}
}

func line(sku string, q int) OrderLineDraft { return OrderLineDraft{SKU: sku, Quantity: q} }

// wantProblems compares codes and field paths exactly, in order.
func wantProblems(t *testing.T, got Problems, want ...Problem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i].Code != want[i].Code || strings.Join(got[i].Field, ".") != strings.Join(want[i].Field, ".") {
			t.Errorf("problem %d: got %s %v (%s), want %s %v", i, got[i].Code, got[i].Field, got[i].Message, want[i].Code, want[i].Field)
		}
	}
}

func wantOne(t *testing.T, got *Problem, code Code, field ...string) {
	t.Helper()
	if code == "" {
		if got != nil {
			t.Fatalf("want no problem, got %+v", *got)
		}
		return
	}
	if got == nil {
		t.Fatalf("want %s, got no problem", code)
	}
	if got.Code != code || strings.Join(got.Field, ".") != strings.Join(field, ".") {
		t.Fatalf("got %s %v (%s), want %s %v", got.Code, got.Field, got.Message, code, field)
	}
}

func prob(code Code, field ...string) Problem { return Problem{Code: code, Field: field} }

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
			want:  []Problem{prob(CodeEnrollmentNotActive, "enrollmentNumber")}},
		{name: "R-ORD-1_purchase_after_enrollment_end", draft: func(d *OrderDraft) {
			d.Lines = []OrderLineDraft{line("O365-E3", 10)}
			d.PurchaseDate, d.UsageStartDate = NewDate(2027, 3, 1), NewDate(2027, 3, 1)
		}, want: []Problem{prob(CodeEnrollmentNotActive, "purchaseDate")}},
		{name: "R-ORD-1_usage_start_after_enrollment_end", draft: func(d *OrderDraft) {
			d.Lines = []OrderLineDraft{line("O365-E3", 10)}
			d.UsageStartDate = NewDate(2027, 3, 1)
		}, want: []Problem{prob(CodeInvalid, "usageStartDate")}},
		{name: "R-ORD-1_missing_fields_and_zero_lines", draft: func(d *OrderDraft) { *d = OrderDraft{} },
			want: []Problem{prob(CodeRequired, "enrollmentNumber"), prob(CodeRequired, "idempotencyKey"), prob(CodeRequired, "purchaseDate"), prob(CodeRequired, "usageStartDate"), prob(CodeRequired, "lines")}},
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
			d, f := ledgerDraft(), ledgerFacts()
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
		d := ledgerDraft(line("DYN365-SALES", 50), line("DYN365-ADD-INSTANCE", 1))
		d.MovesFromDirect = true
		f := ledgerFacts()
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
			if c.want == "" {
				wantOne(t, CanProcessOrder(c.s), "")
				wantOne(t, CanCancelOrder(c.s), "")
			} else {
				wantOne(t, CanProcessOrder(c.s), c.want, "orderId")
				wantOne(t, CanCancelOrder(c.s), c.want, "orderId")
			}
		}
	})
}

func TestOrderIdempotency(t *testing.T) {
	base := ledgerDraft(line("O365-E3", 10), line("DYN365-SALES", 5))
	fp := OrderFingerprint(base)

	t.Run("R-ORD-2_fingerprint_ignores_key_and_line_order", func(t *testing.T) {
		d := ledgerDraft(line("DYN365-SALES", 5), line("O365-E3", 10))
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
			d := ledgerDraft(line("O365-E3", 10), line("DYN365-SALES", 5))
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
		reuse, p = DecideIdempotency(fp, OrderFingerprint(ledgerDraft(line("O365-E3", 11))))
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
			if got := LineAvailability(processed, processed.Add(c.after)); got != c.want {
				t.Errorf("after %v: pending=%v, want %v", c.after, got, c.want)
			}
		}
	})
	t.Run("R-ORD-5_split_pending", func(t *testing.T) {
		lines := []ProcessedLine{{10, processed}, {5, processed.Add(2 * time.Hour)}, {3, processed.Add(12 * time.Hour)}}
		avail, pend := SplitPending(lines, processed.Add(12*time.Hour))
		if avail != 10 || pend != 8 {
			t.Fatalf("available=%d pending=%d, want 10 and 8", avail, pend)
		}
	})
}

func TestReservations(t *testing.T) {
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	t.Run("R-RES-1_billing_date", func(t *testing.T) {
		for _, c := range []struct {
			name       string
			anniv      Date
			reservedAt time.Time
			want       Date
		}{
			{"later_this_year", NewDate(2020, 7, 1), at(2025, 3, 15, 9), NewDate(2025, 7, 1)},
			{"passed_this_year", NewDate(2020, 7, 1), at(2025, 8, 15, 9), NewDate(2026, 7, 1)},
			{"same_day_bills_next_year", NewDate(2020, 7, 1), at(2025, 7, 1, 23), NewDate(2026, 7, 1)},
			{"day_before", NewDate(2020, 7, 1), at(2025, 6, 30, 23), NewDate(2025, 7, 1)},
			{"feb29_in_common_year", NewDate(2024, 2, 29), at(2025, 1, 10, 0), NewDate(2025, 2, 28)},
			{"feb29_on_feb28_common_year", NewDate(2024, 2, 29), at(2027, 2, 28, 0), NewDate(2028, 2, 29)},
			{"feb29_in_leap_year", NewDate(2024, 2, 29), at(2027, 12, 1, 0), NewDate(2028, 2, 29)},
			{"feb29_century_not_leap", NewDate(2024, 2, 29), at(2099, 6, 1, 0), NewDate(2100, 2, 28)},
		} {
			if got := ReservationBillingDate(c.anniv, c.reservedAt); !got.Equal(c.want) {
				t.Errorf("%s: got %s, want %s", c.name, got, c.want)
			}
		}
		if got := ReservationBillingDate(Date{}, at(2025, 1, 1, 0)); !got.IsZero() {
			t.Errorf("zero anniversary: got %s", got)
		}
	})
	t.Run("R-RES-2_who_may_reserve", func(t *testing.T) {
		for _, c := range []struct {
			name string
			a    ReservationActor
			want Code
		}{
			{"vlsc_admin", ReservationActor{Roles: []ContactRole{RoleVLSCAdministrator}}, ""},
			{"online_admin", ReservationActor{Roles: []ContactRole{RoleOnlineAdministrator}}, ""},
			{"osm_with_permission", ReservationActor{IsOSM: true, OSMCanManageReservations: true}, ""},
			{"osm_without_permission", ReservationActor{IsOSM: true}, CodeNotPermitted},
			{"permission_without_being_osm", ReservationActor{OSMCanManageReservations: true}, CodeNotPermitted},
			{"agreement_admin_alone", ReservationActor{Roles: []ContactRole{RoleAgreementAdministrator}}, CodeNotPermitted},
			{"no_role", ReservationActor{}, CodeNotPermitted},
		} {
			t.Run(c.name, func(t *testing.T) {
				p := MayReserve(c.a)
				if c.want == "" {
					wantOne(t, p, "")
					return
				}
				wantOne(t, p, c.want, "contactEmail")
				if !strings.Contains(p.Message, "MANAGE_RESERVATIONS") {
					t.Errorf("message %q does not say which permission is needed", p.Message)
				}
			})
		}
	})
	t.Run("R-RES-3_only_agreement_admin_grants", func(t *testing.T) {
		wantOne(t, MayManageReservationPermission([]ContactRole{RoleOnlineAdministrator, RoleAgreementAdministrator}), "")
		wantOne(t, MayManageReservationPermission([]ContactRole{RoleVLSCAdministrator, RoleOnlineAdministrator}), CodeNotPermitted, "contactEmail")
		wantOne(t, MayManageReservationPermission(nil), CodeNotPermitted, "contactEmail")
	})
	t.Run("R-RES-4_overdue_at_25h", func(t *testing.T) {
		made := at(2025, 3, 1, 10)
		if got := OverdueAt(made); !got.Equal(at(2025, 3, 2, 11)) {
			t.Fatalf("OverdueAt = %v", got)
		}
		for _, c := range []struct {
			status ReservationStatus
			after  time.Duration
			want   bool
		}{
			{ReservationPending, 25*time.Hour - time.Nanosecond, false},
			{ReservationPending, 25 * time.Hour, true},
			{ReservationPending, 48 * time.Hour, true},
			{ReservationEffective, 48 * time.Hour, false},
		} {
			if got := ReservationOverdue(c.status, made, made.Add(c.after)); got != c.want {
				t.Errorf("%s after %v: overdue=%v, want %v", c.status, c.after, got, c.want)
			}
		}
	})
}

func TestSubscriptions(t *testing.T) {
	asOf := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	past := asOf.Add(-time.Hour)
	future := asOf.Add(time.Hour)
	t.Run("R-SUB-1_counts_active_only", func(t *testing.T) {
		subs := []SubscriptionQuantity{
			{100, SubscriptionTerm{EndDate: NewDate(2026, 1, 31)}},                 // active
			{7, SubscriptionTerm{EndDate: NewDate(2025, 5, 31), AutoRenew: true}},  // auto-renew keeps it active
			{20, SubscriptionTerm{EndDate: NewDate(2025, 5, 31)}},                  // expired yesterday
			{30, SubscriptionTerm{GraceFrom: &past}},                               // in grace (R-SUB-2)
			{40, SubscriptionTerm{GraceFrom: &past, GraceUntil: &past}},            // deprovisioned
			{50, SubscriptionTerm{CancelledAt: &past}},                             // cancelled
			{3, SubscriptionTerm{CancelledAt: &future, GraceFrom: &future}},        // both still ahead
			{1, SubscriptionTerm{EndDate: NewDate(2025, 6, 1), GraceUntil: &past}}, // ends today, still active
		}
		if got := LicensedQuantity(subs, asOf); got != 111 {
			t.Fatalf("LicensedQuantity = %d, want 111", got)
		}
		if got := LicensedQuantity(nil, asOf); got != 0 {
			t.Fatalf("no subscriptions: %d", got)
		}
	})
	t.Run("R-SUB-5_renew", func(t *testing.T) {
		for _, c := range []struct {
			s    SubscriptionStatus
			want Code
		}{
			{SubscriptionExpired, ""},
			{SubscriptionActive, ""},
			{SubscriptionInGrace, CodeSubscriptionNotRenewable},
			{SubscriptionDeprovisioned, CodeSubscriptionNotRenewable},
		} {
			if c.want == "" {
				wantOne(t, CanRenewSubscription(c.s, false), "")
			} else {
				wantOne(t, CanRenewSubscription(c.s, false), c.want, "subscriptionId")
			}
		}
		// A cancelled subscription looks EXPIRED but is not renewed: it was ended on purpose.
		wantOne(t, CanRenewSubscription(SubscriptionExpired, true), CodeSubscriptionNotRenewable, "subscriptionId")
		// The new term runs a year from the old end, or from today when it lapsed earlier.
		asOf := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		if got := RenewedEndDate(NewDate(2026, 12, 31), asOf); !got.Equal(NewDate(2027, 12, 31)) {
			t.Errorf("renew before end: %s", got)
		}
		if got := RenewedEndDate(NewDate(2026, 1, 31), asOf); !got.Equal(NewDate(2027, 11, 23)) {
			t.Errorf("renew after lapse: %s", got)
		}
	})
	t.Run("R-SUB-6_cancel_by_program", func(t *testing.T) {
		for _, c := range []struct {
			p    Program
			want Code
		}{
			{ProgramOpenValue, ""},
			{ProgramMPSA, ""},
			{ProgramMOSP, CodeCancelThroughSupport},
			{ProgramEnterprise, CodeCancelNotAllowed},
			{ProgramEnterpriseSubscription, CodeCancelNotAllowed},
			{ProgramCampusAndSchool, CodeCancelNotAllowed},
		} {
			p := MayCancelSubscription(c.p, false)
			if c.want == "" {
				wantOne(t, p, "")
				continue
			}
			wantOne(t, p, c.want, "subscriptionId")
			if c.want == CodeCancelNotAllowed && !strings.Contains(p.Message, string(c.p)) {
				t.Errorf("%s: message %q gives no reason naming the program", c.p, p.Message)
			}
		}
	})
	t.Run("R-SUB-6_support_cancels_MOSP", func(t *testing.T) {
		wantOne(t, MayCancelSubscription(ProgramMOSP, true), "")
		wantOne(t, MayCancelSubscription(ProgramEnterprise, true), CodeCancelNotAllowed, "subscriptionId")
	})
	t.Run("R-SUB-7_new_total", func(t *testing.T) {
		for _, c := range []struct {
			current, total int
			want           Code
		}{
			{100, 105, ""}, // 100 plus 5 more
			{100, 100, ""}, // same total: no-op
			{100, 1, ""},   // lowering is R-LIC-6's business
			{100, MaxOrderQuantity, ""},
			{100, 5, ""},
			{100, 0, CodeInvalidQuantity},
			{100, -5, CodeInvalidQuantity},
			{100, MaxOrderQuantity + 1, CodeInvalidQuantity},
		} {
			p := ValidateNewTotal(c.current, c.total)
			if c.want == "" {
				wantOne(t, p, "")
				continue
			}
			wantOne(t, p, c.want, "newTotal")
			if !strings.Contains(p.Message, "send 105") {
				t.Errorf("message %q does not show the total to send", p.Message)
			}
		}
	})
}

func TestEnrollmentOpen(t *testing.T) {
	t.Run("R-RES-1_reservations_need_an_open_enrollment", func(t *testing.T) {
		end := NewDate(2026, 12, 31)
		wantOne(t, CheckEnrollmentOpen(EnrollmentActive, end, "E1", NewDate(2026, 12, 31)), "")
		wantOne(t, CheckEnrollmentOpen(EnrollmentActive, end, "E1", NewDate(2027, 1, 1)), CodeEnrollmentNotActive, "enrollmentNumber")
		wantOne(t, CheckEnrollmentOpen(EnrollmentRenewed, end, "E1", NewDate(2026, 6, 1)), CodeEnrollmentNotActive, "enrollmentNumber")
	})
}

func TestLedgerEdges(t *testing.T) {
	t.Run("R-ORD-1_order_within_the_enrollment_term", func(t *testing.T) {
		f := OrderFacts{EnrollmentStatus: EnrollmentActive, EnrollmentStartDate: NewDate(2026, 1, 1), EnrollmentEndDate: NewDate(2028, 12, 31),
			Catalog: map[string]SKUFacts{"E3": {Code: "E3", Kind: KindBase}}, Today: NewDate(2026, 11, 23)}
		d := OrderDraft{EnrollmentNumber: "E", IdempotencyKey: "k", Lines: []OrderLineDraft{{SKU: "E3", Quantity: 1}},
			PurchaseDate: NewDate(2025, 6, 1), UsageStartDate: NewDate(2026, 6, 1)}
		wantProblems(t, ValidateOrder(d, f), Problem{Code: CodeEnrollmentNotActive, Field: []string{"purchaseDate"}})
		d.PurchaseDate = NewDate(2026, 6, 1)
		wantProblems(t, ValidateOrder(d, f))
		f.Today = NewDate(2029, 1, 1) // ended: a backdated purchase date does not reopen it
		wantProblems(t, ValidateOrder(d, f), Problem{Code: CodeEnrollmentNotActive, Field: []string{"enrollmentNumber"}})
	})
	t.Run("R-ORD-3_reserving_an_addon_needs_its_base", func(t *testing.T) {
		addOn := SKUFacts{Code: "ADD", Kind: KindAddOn, BaseSKUs: []string{"BASE"}}
		wantOne(t, AddOnMissingBase(addOn, map[string]bool{}), CodeAddonRequiresBase, "sku")
		wantOne(t, AddOnMissingBase(addOn, map[string]bool{"BASE": true}), "")
		wantOne(t, AddOnMissingBase(SKUFacts{Code: "BASE", Kind: KindBase}, nil), "")
	})
	t.Run("R-ORD-5_pending_never_exceeds_the_total", func(t *testing.T) {
		for _, c := range []struct{ total, added, want int }{{100, 100, 100}, {50, 100, 50}, {150, 100, 100}, {0, 10, 0}, {10, 0, 0}} {
			if got := PendingPart(c.total, c.added); got != c.want {
				t.Errorf("PendingPart(%d, %d) = %d, want %d", c.total, c.added, got, c.want)
			}
		}
	})
	t.Run("R-SUB-7_only_active_subscriptions_change_quantity", func(t *testing.T) {
		wantOne(t, CanChangeQuantity(SubscriptionActive, false), "")
		wantOne(t, CanChangeQuantity(SubscriptionActive, true), CodeSubscriptionNotActive, "subscriptionId")
		wantOne(t, CanChangeQuantity(SubscriptionExpired, false), CodeSubscriptionNotActive, "subscriptionId")
		wantOne(t, CanChangeQuantity(SubscriptionInGrace, false), CodeSubscriptionNotActive, "subscriptionId")
	})
}

func TestLicensedPart(t *testing.T) {
	t.Run("R-SUB-1_only_active_non_pending_licenses_are_usable", func(t *testing.T) {
		for _, c := range []struct {
			st                   SubscriptionStatus
			total, pending, want int
		}{{SubscriptionActive, 100, 30, 70}, {SubscriptionActive, 100, 0, 100}, {SubscriptionInGrace, 100, 0, 0}, {SubscriptionExpired, 50, 0, 0}} {
			if got := LicensedPart(c.st, c.total, c.pending); got != c.want {
				t.Errorf("LicensedPart(%s, %d, %d) = %d, want %d", c.st, c.total, c.pending, got, c.want)
			}
		}
	})
}
