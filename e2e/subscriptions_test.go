package e2e

// Subscriptions end to end (R-SUB): licensed quantities, renewing, cancelling and new totals,
// renewing enrollments with their grace period, and the sweep that deprovisions when it ends.

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Subscriptions (R-SUB-1, R-SUB-5 to R-SUB-7).
func TestSubscriptions(t *testing.T) {
	ruleCase(t, "R-SUB-1_licensed_counts_active_only", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		e.buy(w.Key, "ENR-1", "o1", t0Day, t0Day, "O365-E3", 40, "INTUNE", 10)
		subs, _ := e.subsBySKU(w.Key, "ENR-1", t0.Add(13*time.Hour))
		e.mutate(w.Key, setAutoRenewDoc, map[string]any{"id": str(subs["O365-E3"], "id"), "on": false})
		on := e.mutate(w.Key, setAutoRenewDoc, map[string]any{"id": str(subs["INTUNE"], "id"), "on": true})
		if get(on, "subscription", "autoRenew") != true {
			t.Fatalf("setAutoRenew true: %v", on)
		}
		lastDay := time.Date(2028, 12, 31, 23, 59, 59, 0, time.UTC)
		subs, _ = e.subsBySKU(w.Key, "ENR-1", lastDay)
		wantSub(t, subs["O365-E3"], "ACTIVE", 40, 0, 40)
		wantSub(t, subs["INTUNE"], "ACTIVE", 10, 0, 10)
		subs, _ = e.subsBySKU(w.Key, "ENR-1", lastDay.Add(time.Second))
		wantSub(t, subs["O365-E3"], "EXPIRED", 40, 0, 0) // auto-renew off: lapsed
		wantSub(t, subs["INTUNE"], "ACTIVE", 10, 0, 10)  // auto-renew on: carries on

		// Direct purchases on an account, through Account.subscriptions(asOf:).
		e.direct(w.Key, w.AccountID, "O365-E5", 7, "2027-06-30", false)
		e.direct(w.Key, w.AccountID, "M365-E3", 4, "2027-06-30", true)
		acc, _ := e.accountSubsBySKU(w.Key, w.AccountID, time.Date(2027, 6, 30, 12, 0, 0, 0, time.UTC))
		wantSub(t, acc["O365-E5"], "ACTIVE", 7, 0, 7)
		acc, _ = e.accountSubsBySKU(w.Key, w.AccountID, time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC))
		wantSub(t, acc["O365-E5"], "EXPIRED", 7, 0, 0)
		wantSub(t, acc["M365-E3"], "ACTIVE", 4, 0, 4)
	})
	ruleCase(t, "R-SUB-5_expired_then_renewed", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "OPEN_VALUE", "V1000001", "OV-ENR-1")
		e.buy(w.Key, "OV-ENR-1", "o1", t0Day, t0Day, "O365-E3", 20, "INTUNE", 5)
		subs, _ := e.subsBySKU(w.Key, "OV-ENR-1", t0.Add(13*time.Hour))
		e3, intune := str(subs["O365-E3"], "id"), str(subs["INTUNE"], "id")
		if str(subs["O365-E3"], "endDate") != "2028-12-31" {
			t.Fatalf("an enrollment's subscription ends with it: %v", subs["O365-E3"])
		}
		e.mutate(w.Key, setAutoRenewDoc, map[string]any{"id": e3, "on": false})

		later := time.Date(2029, 1, 10, 9, 0, 0, 0, time.UTC)
		e.SetNow(later)
		subs, _ = e.subsBySKU(w.Key, "OV-ENR-1", time.Time{})
		wantSub(t, subs["O365-E3"], "EXPIRED", 20, 0, 0)
		rn := e.mutate(w.Key, renewSubscriptionDoc, map[string]any{"id": e3})
		s := rn["subscription"].(map[string]any)
		wantSub(t, s, "ACTIVE", 20, 0, 20)
		if str(s, "endDate") != "2030-01-10" { // a year from the renewal day: it had lapsed
			t.Fatalf("renewed endDate %s, want 2030-01-10", str(s, "endDate"))
		}
		subs, _ = e.subsBySKU(w.Key, "OV-ENR-1", time.Time{})
		wantSub(t, subs["O365-E3"], "ACTIVE", 20, 0, 20)
		subs, _ = e.subsBySKU(w.Key, "OV-ENR-1", time.Date(2030, 1, 11, 0, 0, 0, 0, time.UTC))
		wantSub(t, subs["O365-E3"], "EXPIRED", 20, 0, 0) // auto-renew is still off

		// A cancelled subscription is not renewable, and stays EXPIRED.
		e.mutate(w.Key, cancelSubscriptionDoc, map[string]any{"id": intune})
		onlyUserError(t, e.refusedPayload(t, w.Key, renewSubscriptionDoc, map[string]any{"id": intune}, "subscription"), "SUBSCRIPTION_NOT_RENEWABLE", "subscriptionId")
		subs, _ = e.subsBySKU(w.Key, "OV-ENR-1", time.Time{})
		wantSub(t, subs["INTUNE"], "EXPIRED", 5, 0, 0)
	})
	ruleCase(t, "R-SUB-5_renewing_before_the_end_adds_a_year_to_it", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "OPEN_VALUE", "V1000001", "OV-ENR-1")
		e.buy(w.Key, "OV-ENR-1", "o1", t0Day, t0Day, "O365-E3", 20)
		subs, _ := e.subsBySKU(w.Key, "OV-ENR-1", time.Time{})
		rn := e.mutate(w.Key, renewSubscriptionDoc, map[string]any{"id": str(subs["O365-E3"], "id")})
		if str(rn, "subscription", "endDate") != "2029-12-31" || str(rn, "subscription", "status") != "ACTIVE" {
			t.Fatalf("renewing an ACTIVE subscription ending 2028-12-31: %v", rn["subscription"])
		}
	})
	ruleCase(t, "R-SUB-6_cancel_by_program", func(t *testing.T, e *env) {
		cancelled := func(t *testing.T, key, enrollment, subID string, at time.Time) {
			t.Helper()
			subs, _ := e.subsBySKU(key, enrollment, at.Add(time.Hour))
			sub := subs["O365-E3"]
			wantSub(t, sub, "EXPIRED", 10, 0, 0)
			if !parseDateTime(t, sub["cancelledAt"]).Equal(at) {
				t.Fatalf("cancelledAt %v, want %s", sub["cancelledAt"], at)
			}
			subs, _ = e.subsBySKU(key, enrollment, at.Add(-time.Second))
			wantSub(t, subs["O365-E3"], "ACTIVE", 10, 0, 10) // EXPIRED from the cancellation on
		}
		buy := func(key, enrollment string) string {
			e.SetNow(t0)
			e.buy(key, enrollment, "o-"+enrollment, t0Day, t0Day, "O365-E3", 10)
			subs, _ := e.subsBySKU(key, enrollment, t0.Add(13*time.Hour))
			e.SetNow(t0.Add(13 * time.Hour))
			return str(subs["O365-E3"], "id")
		}
		at := t0.Add(13 * time.Hour)
		for _, p := range []struct{ program, agreement, enrollment string }{{"OPEN_VALUE", "V2000001", "OV-1"}, {"MPSA", "MPSA-1", "MP-1"}} {
			w := e.newWorld("R-"+p.program, p.program, p.agreement, p.enrollment)
			id := buy(w.Key, p.enrollment)
			c := e.mutate(w.Key, cancelSubscriptionDoc, map[string]any{"id": id})
			if str(c, "subscription", "status") != "EXPIRED" || str(c, "subscription", "program") != p.program {
				t.Fatalf("%s cancel payload: %v", p.program, c)
			}
			cancelled(t, w.Key, p.enrollment, id, at)
		}
		for _, p := range []struct{ program, agreement, enrollment string }{
			{"ENTERPRISE", "EA-9", "EA-ENR-9"}, {"ENTERPRISE_SUBSCRIPTION", "ES-9", "ES-ENR-9"}, {"CAMPUS_AND_SCHOOL", "CS-9", "CS-ENR-9"}} {
			w := e.newWorld("R-"+p.program, p.program, p.agreement, p.enrollment)
			id := buy(w.Key, p.enrollment)
			for _, key := range []string{w.Key, e.Operator} { // refused with the reason, whoever asks
				ue := e.refusedPayload(t, key, cancelSubscriptionDoc, map[string]any{"id": id}, "subscription")
				onlyUserError(t, ue, "CANCEL_NOT_ALLOWED", "subscriptionId")
				if !strings.Contains(ue[0].Message, p.program) {
					t.Fatalf("%s: the reason should name the program: %q", p.program, ue[0].Message)
				}
			}
			subs, _ := e.subsBySKU(w.Key, p.enrollment, at.Add(time.Hour))
			wantSub(t, subs["O365-E3"], "ACTIVE", 10, 0, 10)
			if subs["O365-E3"]["cancelledAt"] != nil {
				t.Fatalf("%s: refused cancel set cancelledAt", p.program)
			}
		}

		// MOSP: through support (an operator key), not by the reseller.
		w := e.newWorld("R-MOSP", "ENTERPRISE", "EA-M", "ENR-M")
		e.SetNow(t0)
		d := e.direct(w.Key, w.AccountID, "O365-E3", 10, "2027-11-22", true)
		onlyUserError(t, e.refusedPayload(t, w.Key, cancelSubscriptionDoc, map[string]any{"id": str(d, "id")}, "subscription"), "CANCEL_THROUGH_SUPPORT", "subscriptionId")
		acc, _ := e.accountSubsBySKU(w.Key, w.AccountID, t0.Add(time.Hour))
		wantSub(t, acc["O365-E3"], "ACTIVE", 10, 0, 10)
		e.SetNow(at)
		c := e.mutate(e.Operator, cancelSubscriptionDoc, map[string]any{"id": str(d, "id")})
		if str(c, "subscription", "status") != "EXPIRED" || !parseDateTime(t, get(c, "subscription", "cancelledAt")).Equal(at) {
			t.Fatalf("MOSP cancel by support: %v", c)
		}
		acc, _ = e.accountSubsBySKU(w.Key, w.AccountID, at.Add(time.Hour))
		wantSub(t, acc["O365-E3"], "EXPIRED", 10, 0, 0)
	})
	ruleCase(t, "R-SUB-7_quantity_is_the_new_total", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		e.buy(w.Key, "ENR-1", "o1", t0Day, t0Day, "O365-E3", 100)
		e.SetNow(t0.Add(13 * time.Hour))
		subs, _ := e.subsBySKU(w.Key, "ENR-1", time.Time{})
		id := str(subs["O365-E3"], "id")
		wantSub(t, subs["O365-E3"], "ACTIVE", 100, 0, 100)

		p := e.mutate(w.Key, setQuantityDoc, map[string]any{"id": id, "q": 105})
		wantSub(t, p["subscription"].(map[string]any), "ACTIVE", 105, 0, 105)
		subs, _ = e.subsBySKU(w.Key, "ENR-1", t0.AddDate(0, 0, 2))
		wantSub(t, subs["O365-E3"], "ACTIVE", 105, 0, 105)
		// The same total again is no change; a lower total lowers it.
		p = e.mutate(w.Key, setQuantityDoc, map[string]any{"id": id, "q": 105})
		wantSub(t, p["subscription"].(map[string]any), "ACTIVE", 105, 0, 105)
		p = e.mutate(w.Key, setQuantityDoc, map[string]any{"id": id, "q": 103})
		wantSub(t, p["subscription"].(map[string]any), "ACTIVE", 103, 0, 103)

		for _, q := range []int{0, -5, 1_000_001} {
			onlyUserError(t, e.refusedPayload(t, w.Key, setQuantityDoc, map[string]any{"id": id, "q": q}, "subscription"), "INVALID_QUANTITY", "quantity")
		}
		subs, _ = e.subsBySKU(w.Key, "ENR-1", t0.AddDate(0, 0, 2))
		wantSub(t, subs["O365-E3"], "ACTIVE", 103, 0, 103)
	})
}

// Renewing an enrollment (R-SUB-2 to R-SUB-4): old subscriptions in grace, then deprovisioned; SKUs carried over.
func TestRenewal(t *testing.T) {
	ruleCase(t, "R-SUB-2_renewal_old_in_grace_new_active_no_double_count", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		t1 := t0.Add(2 * day)
		e.SetNow(t1)
		p := e.renew(w.Key, "E-1", "E-2", "2026-11-25", "2029-11-24", nil)
		// The grace period runs from the new enrollment's start date (clarification R-SUB-3).
		if str(p, "oldEnrollment", "status") != "RENEWED" || str(p, "newEnrollment", "status") != "ACTIVE" || p["graceUntil"] != "2026-12-25T00:00:00Z" {
			t.Errorf("renewal payload: old %v new %v graceUntil %v", get(p, "oldEnrollment", "status"), get(p, "newEnrollment", "status"), p["graceUntil"])
		}
		if got := e.readEnrollment(w.Key, "E-1")["status"]; got != "RENEWED" {
			t.Errorf("old enrollment status %v", got)
		}
		wantSubs(t, "old enrollment", e.enrollmentSubs(w.Key, "E-1", t1),
			subRow{Enrollment: "E-1", SKU: "O365-E3", Status: "IN_GRACE", Quantity: 10, Licensed: 0, GraceUntil: "2026-12-25T00:00:00Z"})
		wantSubs(t, "new enrollment", e.enrollmentSubs(w.Key, "E-2", t1),
			subRow{Enrollment: "E-2", SKU: "O365-E3", Status: "ACTIVE", Quantity: 10, Licensed: 10})
		acc := e.accountSubs(w.Key, w.AccountID, t1)
		wantSubs(t, "account", acc,
			subRow{Enrollment: "E-1", SKU: "O365-E3", Status: "IN_GRACE", Quantity: 10, Licensed: 0, GraceUntil: "2026-12-25T00:00:00Z"},
			subRow{Enrollment: "E-2", SKU: "O365-E3", Status: "ACTIVE", Quantity: 10, Licensed: 10})
		if n := licensedTotal(acc); n != 10 {
			t.Errorf("account licensed total %d, want 10 (no double count)", n)
		}
		if n := num(e.ok(w.Key, activeSeatsDoc, map[string]any{"n": "A-1", "at": dateTime(t1)}), "agreement", "activeSeats"); n != 10 {
			t.Errorf("agreement active seats %d, want 10", n)
		}
		// Before the new term started the old one was ACTIVE alone.
		start := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
		wantSubs(t, "old enrollment before the new term", e.enrollmentSubs(w.Key, "E-1", start.Add(-time.Second)),
			subRow{Enrollment: "E-1", SKU: "O365-E3", Status: "ACTIVE", Quantity: 10, Licensed: 10, GraceUntil: "2026-12-25T00:00:00Z"})
		// The renewed enrollment takes no more orders nor a second renewal.
		ue := e.refusedPayload(t, w.Key, createOrderDoc, vars(map[string]any{"enrollmentNumber": "E-1", "lines": orderLines("O365-E3", 1),
			"purchaseDate": "2026-11-25", "usageStartDate": "2026-11-25", "idempotencyKey": "late"}), "order")
		hasUserError(t, ue, "ENROLLMENT_NOT_ACTIVE", "enrollmentNumber")
		onlyUserError(t, e.refusedPayload(t, w.Key, renewEnrollmentDoc, vars(map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-3",
			"startDate": "2026-11-25", "endDate": "2029-11-24"}), "newEnrollment"), "ENROLLMENT_NOT_ACTIVE", "enrollmentNumber")
	})
	// Clarification R-SUB-3: the grace period runs from the new enrollment's start date, not from
	// the moment the renewal was recorded; instants from business dates carry whole seconds; a
	// renewal starting before the old enrollment started, or ending before it starts, is refused.
	ruleCase(t, "R-SUB-3_grace_runs_from_the_new_start_date_and_the_term_is_checked", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1") // E-1 runs 2026-01-01..2028-12-31
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		recorded := t0.Add(2*day + 123456789*time.Nanosecond) // a wall clock with a fraction of a second
		e.SetNow(recorded)
		in := map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-2", "startDate": "2025-12-31", "endDate": "2029-11-26"}
		onlyUserError(t, e.refusedPayload(t, w.Key, renewEnrollmentDoc, vars(in), "newEnrollment"), "INVALID", "startDate")
		in["startDate"], in["endDate"] = "2026-11-27", "2026-11-26"
		onlyUserError(t, e.refusedPayload(t, w.Key, renewEnrollmentDoc, vars(in), "newEnrollment"), "INVALID", "endDate")
		if got := e.readEnrollment(w.Key, "E-1")["status"]; got != "ACTIVE" {
			t.Fatalf("a refused renewal changed the old enrollment: %v", got)
		}

		// Recorded two days ahead of its start, overlapping the old term: accepted.
		p := e.renew(w.Key, "E-1", "E-2", "2026-11-27", "2029-11-26", nil)
		if p["graceUntil"] != "2026-12-27T00:00:00Z" {
			t.Fatalf("graceUntil %v, want 30 days from the new start 2026-11-27, in whole seconds", p["graceUntil"])
		}
		start := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
		// Until the new term starts the old licenses are the ones in use; the new ones are pending.
		wantSubs(t, "account before the new term", e.accountSubs(w.Key, w.AccountID, recorded),
			subRow{Enrollment: "E-1", SKU: "O365-E3", Status: "ACTIVE", Quantity: 10, Licensed: 10, GraceUntil: "2026-12-27T00:00:00Z"},
			subRow{Enrollment: "E-2", SKU: "O365-E3", Status: "ACTIVE", Quantity: 10, Pending: 10})
		wantLicense(t, e.licenses(w.Key, w.AccountID, recorded), "O365-E3", licenseRow{Licensed: 10, Pending: 10, Available: 10})
		wantLicense(t, e.licenses(w.Key, w.AccountID, start.Add(-time.Second)), "O365-E3", licenseRow{Licensed: 10, Pending: 10, Available: 10})
		// From the start: the old in grace, the new licensed; never both counted.
		wantSubs(t, "account from the new term", e.accountSubs(w.Key, w.AccountID, start),
			subRow{Enrollment: "E-1", SKU: "O365-E3", Status: "IN_GRACE", Quantity: 10, GraceUntil: "2026-12-27T00:00:00Z"},
			subRow{Enrollment: "E-2", SKU: "O365-E3", Status: "ACTIVE", Quantity: 10, Licensed: 10})
		wantLicense(t, e.licenses(w.Key, w.AccountID, start), "O365-E3", licenseRow{Licensed: 10, InGrace: 10, Available: 10})
		wantSubs(t, "old at the grace end", e.enrollmentSubs(w.Key, "E-1", start.Add(30*day)),
			subRow{Enrollment: "E-1", SKU: "O365-E3", Status: "DEPROVISIONED", Quantity: 10, GraceUntil: "2026-12-27T00:00:00Z"})
	})
	ruleCase(t, "R-SUB-3_in_grace_deprovisioned_when_grace_ends", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10, "INTUNE", 4)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		t1 := t0.Add(2 * day)
		e.SetNow(t1)
		p := e.renew(w.Key, "E-1", "E-2", "2026-11-25", "2029-11-24", nil)
		grace := "2026-12-25T00:00:00Z" // 30 days from the new term's start (clarification R-SUB-3)
		if p["graceUntil"] != grace {
			t.Errorf("graceUntil %v", p["graceUntil"])
		}
		end := time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC)
		wantSubs(t, "old, last second of grace", e.enrollmentSubs(w.Key, "E-1", end.Add(-time.Second)),
			subRow{Enrollment: "E-1", SKU: "INTUNE", Status: "IN_GRACE", Quantity: 4, GraceUntil: grace},
			subRow{Enrollment: "E-1", SKU: "O365-E3", Status: "IN_GRACE", Quantity: 10, GraceUntil: grace})
		for _, at := range []time.Time{end, end.Add(60 * day)} {
			wantSubs(t, "old, grace over", e.enrollmentSubs(w.Key, "E-1", at),
				subRow{Enrollment: "E-1", SKU: "INTUNE", Status: "DEPROVISIONED", Quantity: 4, GraceUntil: grace},
				subRow{Enrollment: "E-1", SKU: "O365-E3", Status: "DEPROVISIONED", Quantity: 10, GraceUntil: grace})
			wantSubs(t, "new, grace over", e.enrollmentSubs(w.Key, "E-2", at),
				subRow{Enrollment: "E-2", SKU: "INTUNE", Status: "ACTIVE", Quantity: 4, Licensed: 4},
				subRow{Enrollment: "E-2", SKU: "O365-E3", Status: "ACTIVE", Quantity: 10, Licensed: 10})
		}
		if n := licensedTotal(e.accountSubs(w.Key, w.AccountID, end)); n != 14 {
			t.Errorf("account licensed after grace %d, want 14", n)
		}
	})
	ruleCase(t, "R-SUB-4_same_skus_carried_other_skus_to_reassign", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10, "INTUNE", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		e.SetNow(t0.Add(day))
		p := e.renew(w.Key, "E-1", "E-2", "2026-11-24", "2029-11-23", nil)
		if !reflect.DeepEqual(p["carriedSkus"], []any{"INTUNE", "O365-E3"}) || !reflect.DeepEqual(p["reassignSkus"], []any{}) {
			t.Errorf("same SKUs: carried %v reassign %v", p["carriedSkus"], p["reassignSkus"])
		}
		// E3 to E5: O365-E3 users must be assigned the new SKU; INTUNE carries over.
		e.SetNow(t0.Add(2 * day))
		p = e.renew(w.Key, "E-2", "E-3", "2026-11-25", "2029-11-24", orderLines("O365-E5", 10, "INTUNE", 10))
		if !reflect.DeepEqual(p["carriedSkus"], []any{"INTUNE"}) || !reflect.DeepEqual(p["reassignSkus"], []any{"O365-E3"}) {
			t.Errorf("E3 to E5: carried %v reassign %v", p["carriedSkus"], p["reassignSkus"])
		}
		wantSubs(t, "E-3", e.enrollmentSubs(w.Key, "E-3", t0.Add(2*day)),
			subRow{Enrollment: "E-3", SKU: "INTUNE", Status: "ACTIVE", Quantity: 10, Licensed: 10},
			subRow{Enrollment: "E-3", SKU: "O365-E5", Status: "ACTIVE", Quantity: 10, Licensed: 10})
	})
}

// R-SUB-3: the sweep deprovisions subscriptions whose grace period ended and deletes the
// licenses their users no longer have; before the end it changes nothing.
func TestDeprovisioningSweep(t *testing.T) {
	// Licenses bought before the grace end but still pending there (R-ORD-5) keep their users'
	// data: the sweep deletes only what they do not cover.
	ruleCase(t, "R-SUB-3_R-ORD-5_sweep_keeps_the_users_of_licenses_still_pending", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com")
		e.buyOnto(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 3)
		e.assign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com")
		p := e.renew(w.Key, "E-1", "E-1R", "2026-11-23", "2029-11-22", orderLines("O365-E5", 3))
		graceEnd := parseDateTime(t, p["graceUntil"])
		e.SetNow(graceEnd.Add(-2 * hour))
		e.buyToday(w.Key, "E-1R", "o2", "O365-E3", 1) // pending until 10 hours after the grace end
		if _, err := e.Store.SweepDeprovisioned(context.Background(), graceEnd, 100); err != nil {
			t.Fatal(err)
		}
		wantLicense(t, e.licenses(w.Key, w.AccountID, graceEnd), "O365-E3", licenseRow{Pending: 1, Assigned: 1})
		oneConflict(t, e.conflicts(w.Key, w.AccountID, graceEnd), "O365-E3", 0, 0, 1, 1, []string{"alice@fabrikam.com"})
		if cs := e.conflicts(w.Key, w.AccountID, graceEnd.Add(10*hour)); len(cs) != 0 {
			t.Fatalf("once the license is available: %+v", cs)
		}
	})
	ruleCase(t, "R-SUB-3_sweep_deletes_licenses_at_grace_end", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com")
		e.buyOnto(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 4, "INTUNE", 2)
		e.assign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com")
		e.assign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com")
		// Renewed onto E5 for Office, Intune renewed as it was.
		p := e.mutate(w.Key, renewEnrollmentDoc, map[string]any{"in": map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-1R",
			"startDate": "2026-11-23", "endDate": "2029-11-22", "lines": []any{
				map[string]any{"sku": "O365-E5", "quantity": 4}, map[string]any{"sku": "INTUNE", "quantity": 2}}}})
		graceEnd, err := time.Parse(time.RFC3339Nano, str(p, "graceUntil"))
		if err != nil {
			t.Fatalf("graceUntil: %v", err)
		}
		ctx := context.Background()
		if n, err := e.Store.SweepDeprovisioned(ctx, graceEnd.Add(-time.Second), 100); err != nil || n != 0 {
			t.Fatalf("before the grace end the sweep deprovisioned %d (%v), want 0", n, err)
		}
		wantLicense(t, e.licenses(w.Key, w.AccountID, graceEnd), "O365-E3", licenseRow{Assigned: 3})
		if n, err := e.Store.SweepDeprovisioned(ctx, graceEnd, 100); err != nil || n != 2 {
			t.Fatalf("at the grace end the sweep deprovisioned %d (%v), want the 2 old subscriptions", n, err)
		}
		lic := e.licenses(w.Key, w.AccountID, graceEnd)
		// E3 users lost their licenses (the data is deleted); Intune carried over and stays.
		wantLicense(t, lic, "O365-E3", licenseRow{Assigned: 0})
		wantLicense(t, lic, "INTUNE", licenseRow{Licensed: 2, Assigned: 1, Available: 1})
		if cs := e.conflicts(w.Key, w.AccountID, graceEnd); len(cs) != 0 {
			t.Fatalf("after deprovisioning no conflict remains: %+v", cs)
		}
		// A second sweep finds nothing left to do.
		if n, err := e.Store.SweepDeprovisioned(ctx, graceEnd.Add(time.Hour), 100); err != nil || n != 0 {
			t.Fatalf("second sweep deprovisioned %d (%v), want 0", n, err)
		}
	})
}
