package licensing

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSubscriptions(t *testing.T) {
	asOf := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	past := asOf.Add(-time.Hour)
	future := asOf.Add(time.Hour)
	t.Run("R-SUB-1_counts_active_only", func(t *testing.T) {
		subs := []HeldSubscription{
			{Quantity: 100, Term: SubscriptionTerm{EndDate: NewDate(2026, 1, 31)}},                 // active
			{Quantity: 7, Term: SubscriptionTerm{EndDate: NewDate(2025, 5, 31), AutoRenew: true}},  // auto-renew keeps it active
			{Quantity: 20, Term: SubscriptionTerm{EndDate: NewDate(2025, 5, 31)}},                  // expired yesterday
			{Quantity: 30, Term: SubscriptionTerm{GraceFrom: &past}},                               // in grace (R-SUB-2)
			{Quantity: 40, Term: SubscriptionTerm{GraceFrom: &past, GraceUntil: &past}},            // deprovisioned
			{Quantity: 50, Term: SubscriptionTerm{CancelledAt: &past}},                             // cancelled
			{Quantity: 3, Term: SubscriptionTerm{CancelledAt: &future, GraceFrom: &future}},        // both still ahead
			{Quantity: 1, Term: SubscriptionTerm{EndDate: NewDate(2025, 6, 1), GraceUntil: &past}}, // ends today, still active
		}
		if got := LicensedQuantityAt(subs, asOf); got != 111 {
			t.Fatalf("LicensedQuantityAt = %d, want 111", got)
		}
		if got := LicensedQuantityAt(nil, asOf); got != 0 {
			t.Fatalf("no subscriptions: %d", got)
		}
	})
	t.Run("R-SUB-5_renew", func(t *testing.T) {
		for s, want := range map[SubscriptionStatus]Code{
			SubscriptionExpired:       "",
			SubscriptionActive:        "",
			SubscriptionInGrace:       CodeSubscriptionNotRenewable,
			SubscriptionDeprovisioned: CodeSubscriptionNotRenewable,
		} {
			wantOne(t, CanRenewSubscription(s, false), want, "subscription")
		}
		// A cancelled subscription looks EXPIRED but is not renewed: it was ended on purpose.
		wantOne(t, CanRenewSubscription(SubscriptionExpired, true), CodeSubscriptionNotRenewable, "subscription")
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
			wantOne(t, p, c.want, "subscription")
			if c.want == CodeCancelNotAllowed && !strings.Contains(p.Message, string(c.p)) {
				t.Errorf("%s: message %q gives no reason naming the program", c.p, p.Message)
			}
		}
	})
	t.Run("R-SUB-6_support_cancels_MOSP", func(t *testing.T) {
		wantOne(t, MayCancelSubscription(ProgramMOSP, true), "")
		wantOne(t, MayCancelSubscription(ProgramEnterprise, true), CodeCancelNotAllowed, "subscription")
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
			wantOne(t, p, c.want, "total")
			if p != nil && !strings.Contains(p.Message, "send 105") {
				t.Errorf("message %q does not show the total to send", p.Message)
			}
		}
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

func TestPlanRenewal(t *testing.T) {
	start := NewDate(2025, 6, 1)
	renewedAt := instant(t, "2025-06-01T00:00:00Z")
	f := RenewalFacts{
		Old: []RenewalSubscription{{ID: 1, SKU: "O365_E3"}, {ID: 2, SKU: "EXCHANGE_P1"}, {ID: 3, SKU: "EXTRA_STORAGE"}},
		New: []RenewalSubscription{{ID: 11, SKU: "O365_E5"}, {ID: 12, SKU: "EXCHANGE_P1"}, {ID: 13, SKU: "EXTRA_STORAGE"}},
	}
	t.Run("R-SUB-2_old_in_grace_new_active_no_double_count", func(t *testing.T) {
		p := PlanRenewal(f, start, 0)
		if len(p.Old) != 3 || len(p.New) != 3 {
			t.Fatalf("plan %+v", p)
		}
		for _, o := range p.Old {
			term := SubscriptionTerm{GraceFrom: o.GraceFrom, GraceUntil: o.GraceUntil}
			if o.Status != SubscriptionInGrace || term.StatusAt(renewedAt) != SubscriptionInGrace || term.StatusAt(renewedAt).Counts() {
				t.Errorf("old %+v is %s at renewal", o, term.StatusAt(renewedAt))
			}
			if term.StatusAt(renewedAt.Add(-time.Second)) != SubscriptionActive {
				t.Errorf("old %+v not ACTIVE before renewal", o)
			}
		}
		for _, n := range p.New {
			if n.Status != SubscriptionActive || n.GraceFrom != nil || n.GraceUntil != nil {
				t.Errorf("new %+v", n)
			}
		}
	})
	t.Run("R-SUB-3_default_grace_30_days_then_deprovisioned", func(t *testing.T) {
		p := PlanRenewal(f, start, 0)
		want := instant(t, "2025-07-01T00:00:00Z")
		if !p.GraceUntil.Equal(want) || !p.Old[0].GraceUntil.Equal(want) {
			t.Fatalf("grace until %s, want %s", p.GraceUntil, want)
		}
		term := SubscriptionTerm{GraceFrom: p.Old[0].GraceFrom, GraceUntil: p.Old[0].GraceUntil}
		if got := term.StatusAt(want.Add(-time.Nanosecond)); got != SubscriptionInGrace {
			t.Errorf("just before the end: %s", got)
		}
		if got := term.StatusAt(want); got != SubscriptionDeprovisioned {
			t.Errorf("at the end: %s", got)
		}
	})
	t.Run("R-SUB-3_grace_runs_from_the_new_start_date_in_whole_seconds", func(t *testing.T) {
		p := PlanRenewal(f, NewDate(2025, 6, 3), 36*time.Hour+500*time.Millisecond)
		if want := instant(t, "2025-06-03T00:00:00Z"); !p.GraceFrom.Equal(want) || !p.Old[0].GraceFrom.Equal(want) {
			t.Errorf("grace from %s, want the start of the new term %s", p.GraceFrom, want)
		}
		if want := instant(t, "2025-06-04T12:00:00Z"); !p.GraceUntil.Equal(want) {
			t.Errorf("grace until %s, want %s (whole seconds)", p.GraceUntil, want)
		}
	})
	t.Run("R-SUB-3_renewal_term_starts_no_earlier_than_the_old_and_ends_after_it_starts", func(t *testing.T) {
		old := NewDate(2026, 1, 1)
		wantProblems(t, CheckRenewalTerm(old, NewDate(2026, 11, 23), NewDate(2029, 11, 22))) // overlapping the old term is fine
		wantProblems(t, CheckRenewalTerm(old, old, old))
		wantProblems(t, CheckRenewalTerm(old, NewDate(2025, 12, 31), NewDate(2029, 11, 22)), prob(CodeInvalid, "startDate"))
		wantProblems(t, CheckRenewalTerm(old, NewDate(2026, 11, 23), NewDate(2026, 11, 22)), prob(CodeInvalid, "endDate"))
	})
	t.Run("R-SUB-3_configured_grace", func(t *testing.T) {
		p := PlanRenewal(f, start, 10*24*time.Hour)
		if want := instant(t, "2025-06-11T00:00:00Z"); !p.GraceUntil.Equal(want) {
			t.Errorf("grace until %s, want %s", p.GraceUntil, want)
		}
	})
	t.Run("R-SUB-4_same_skus_carry_over_e3_to_e5_reassigned", func(t *testing.T) {
		p := PlanRenewal(f, start, 0)
		if !reflect.DeepEqual(p.CarriedSKUs, []string{"EXCHANGE_P1", "EXTRA_STORAGE"}) ||
			!reflect.DeepEqual(p.ReassignSKUs, []string{"O365_E3"}) || !reflect.DeepEqual(p.NewOnlySKUs, []string{"O365_E5"}) {
			t.Errorf("carried %v reassign %v new %v", p.CarriedSKUs, p.ReassignSKUs, p.NewOnlySKUs)
		}
	})
	t.Run("R-SUB-4_identical_renewal_carries_everything", func(t *testing.T) {
		p := PlanRenewal(RenewalFacts{Old: f.Old, New: []RenewalSubscription{{ID: 21, SKU: "EXTRA_STORAGE"}, {ID: 22, SKU: "O365_E3"}, {ID: 23, SKU: "EXCHANGE_P1"}}}, start, 0)
		if !reflect.DeepEqual(p.CarriedSKUs, []string{"EXCHANGE_P1", "EXTRA_STORAGE", "O365_E3"}) || p.ReassignSKUs != nil || p.NewOnlySKUs != nil {
			t.Errorf("carried %v reassign %v new %v", p.CarriedSKUs, p.ReassignSKUs, p.NewOnlySKUs)
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
	t.Run("R-SUB-3_R-ORD-5_licenses_bought_and_pending_keep_their_users", func(t *testing.T) {
		renewed := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		end := renewed.Add(DefaultGracePeriod)
		h := SKUHoldings{SKU: "E3", AssignedUsers: []string{"a", "b", "c"}, Subscriptions: []HeldSubscription{
			{ID: 1, Quantity: 3, Term: SubscriptionTerm{GraceFrom: &renewed, GraceUntil: &end}},
			// E3 2: one ACTIVE, one bought two hours before the grace end and still pending.
			{ID: 2, Quantity: 2, Changes: []QuantityChange{{Delta: 1, EffectiveAt: end.Add(-2 * time.Hour), FromOrder: true}}},
		}}
		if got := DeprovisionedUsers(h, end); !reflect.DeepEqual(got, []string{"c"}) {
			t.Fatalf("at grace end: %v, want only c (3 users on 1 licensed: b keeps the pending license's place)", got)
		}
	})
}

func TestSubscriptionQuantityChanges(t *testing.T) {
	t.Run("R-ORD-5_pending_never_exceeds_the_total", func(t *testing.T) {
		for _, c := range []struct{ total, added, want int }{{100, 100, 100}, {50, 100, 50}, {150, 100, 100}, {0, 10, 0}, {10, 0, 0}} {
			if got := PendingPart(c.total, c.added); got != c.want {
				t.Errorf("PendingPart(%d, %d) = %d, want %d", c.total, c.added, got, c.want)
			}
		}
	})
	t.Run("R-SUB-7_only_active_subscriptions_change_quantity", func(t *testing.T) {
		wantOne(t, CanChangeQuantity(SubscriptionActive, false), "")
		wantOne(t, CanChangeQuantity(SubscriptionActive, true), CodeSubscriptionNotActive, "subscription")
		wantOne(t, CanChangeQuantity(SubscriptionExpired, false), CodeSubscriptionNotActive, "subscription")
		wantOne(t, CanChangeQuantity(SubscriptionInGrace, false), CodeSubscriptionNotActive, "subscription")
	})
}

func TestDirectSubscriptionDraft(t *testing.T) {
	today := NewDate(2026, 6, 1)
	t.Run("direct_purchase_is_checked_at_once", func(t *testing.T) {
		wantProblems(t, ValidateDirectSubscription("M365-E3", true, 10, today, today))
		wantProblems(t, ValidateDirectSubscription("NOPE", false, MaxOrderQuantity+1, today.AddDays(-1), today),
			prob(CodeUnknownSKU, "sku"), prob(CodeInvalidQuantity, "quantity"), prob(CodeInvalid, "endDate"))
		wantProblems(t, ValidateDirectSubscription("M365-E3", true, 1, Date{}, today), prob(CodeInvalid, "endDate"))
	})
}

func TestRenewalDecisions(t *testing.T) {
	asOf := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	t.Run("R-SUB-2_only_an_active_enrollment_renews", func(t *testing.T) {
		wantOne(t, CanRenewEnrollment(EnrollmentActive), "")
		for _, s := range []EnrollmentStatus{EnrollmentRenewed, EnrollmentExpired, EnrollmentInactive} {
			wantOne(t, CanRenewEnrollment(s), CodeEnrollmentNotActive, "enrollment")
		}
	})
	t.Run("R-SUB-4_default_lines_carry_the_active_subscriptions_over", func(t *testing.T) {
		cancelled := asOf.Add(-time.Hour)
		old := []RenewalSubscription{{ID: 1, SKU: "E3", Quantity: 100}, {ID: 2, SKU: "X", Quantity: 0},
			{ID: 3, SKU: "C", Quantity: 5, Term: SubscriptionTerm{CancelledAt: &cancelled}}, {ID: 4, SKU: "P1", Quantity: 7}}
		if got := RenewalLines(nil, old, asOf); !reflect.DeepEqual(got, []OrderLineDraft{{SKU: "E3", Quantity: 100}, {SKU: "P1", Quantity: 7}}) {
			t.Errorf("default lines %v", got)
		}
		asked := []OrderLineDraft{{SKU: "E5", Quantity: 100}}
		if got := RenewalLines(asked, old, asOf); !reflect.DeepEqual(got, asked) {
			t.Errorf("requested lines %v", got)
		}
	})
	t.Run("R-ACT-10_same_name_counts_live_enrollments_and_the_renewed_one", func(t *testing.T) {
		agreement := []NamedEnrollment{{ID: 1, OrganizationName: "Contoso", Status: EnrollmentRenewed}, // the one being renewed
			{ID: 2, OrganizationName: " contoso ", Status: EnrollmentActive}, {ID: 3, OrganizationName: "CONTOSO", Status: EnrollmentRenewed},
			{ID: 4, OrganizationName: "Contoso Europe", Status: EnrollmentActive}}
		if n := SameNameEnrollments("Contoso", 1, agreement); n != 2 {
			t.Errorf("same name: %d, want 2 (the renewed one and enrollment 2)", n)
		}
		if n := SameNameEnrollments("Contoso", 1, agreement[:1]); n != 1 {
			t.Errorf("alone: %d, want 1", n)
		}
	})
}
