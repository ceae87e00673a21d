package licensing

import (
	"strings"
	"testing"
	"time"
)

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
				wantOne(t, p, c.want, "contact")
				if p != nil && !strings.Contains(p.Message, "MANAGE_RESERVATIONS") {
					t.Errorf("message %q does not say which permission is needed", p.Message)
				}
			})
		}
	})
	t.Run("R-RES-3_only_agreement_admin_grants", func(t *testing.T) {
		wantOne(t, MayManageReservationPermission([]ContactRole{RoleOnlineAdministrator, RoleAgreementAdministrator}, "osm@fabrikam.com"), "")
		wantOne(t, MayManageReservationPermission([]ContactRole{RoleVLSCAdministrator, RoleOnlineAdministrator}, "osm@fabrikam.com"), CodeNotPermitted, "actingContact")
		wantOne(t, MayManageReservationPermission(nil, "osm@fabrikam.com"), CodeNotPermitted, "actingContact")
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

func TestEnrollmentOpen(t *testing.T) {
	t.Run("R-RES-1_reservations_need_an_open_enrollment", func(t *testing.T) {
		end := NewDate(2026, 12, 31)
		wantOne(t, CheckEnrollmentOpen(EnrollmentActive, end, "E1", NewDate(2026, 12, 31)), "")
		wantOne(t, CheckEnrollmentOpen(EnrollmentActive, end, "E1", NewDate(2027, 1, 1)), CodeEnrollmentNotActive, "enrollment")
		wantOne(t, CheckEnrollmentOpen(EnrollmentRenewed, end, "E1", NewDate(2026, 6, 1)), CodeEnrollmentNotActive, "enrollment")
	})
}

func TestReservationAddOn(t *testing.T) {
	t.Run("R-ORD-3_reserving_an_addon_needs_its_base", func(t *testing.T) {
		addOn := SKUFacts{Code: "ADD", Kind: KindAddOn, BaseSKUs: []string{"BASE"}}
		wantOne(t, AddOnMissingBase(addOn, map[string]bool{}, "the enrollment"), CodeAddonRequiresBase, "sku")
		wantOne(t, AddOnMissingBase(addOn, map[string]bool{"BASE": true}, "the enrollment"), "")
		wantOne(t, AddOnMissingBase(SKUFacts{Code: "BASE", Kind: KindBase}, nil, "the enrollment"), "")
	})
}

func TestReservationDraft(t *testing.T) {
	base := SKUFacts{Code: "BASE", Kind: KindBase}
	addOn := SKUFacts{Code: "ADD", Kind: KindAddOn, BaseSKUs: []string{"BASE"}}
	open := ReservationFacts{EnrollmentNumber: "E1", EnrollmentStatus: EnrollmentActive, EnrollmentEndDate: NewDate(2026, 12, 31), Today: NewDate(2026, 6, 1), SKU: &base}
	d := ReservationDraft{EnrollmentNumber: "e1", SKU: "BASE", Quantity: 5, ContactEmail: "vic@fabrikam.com", IdempotencyKey: "k"}
	t.Run("R-RES-1_a_valid_reservation", func(t *testing.T) { wantProblems(t, ValidateReservation(d, open)) })
	t.Run("R-RES-1_every_problem_at_once", func(t *testing.T) {
		bad := d
		bad.IdempotencyKey, bad.Quantity, bad.SKU = " ", 0, "NOPE"
		closed := open
		closed.EnrollmentStatus, closed.SKU = EnrollmentRenewed, nil
		wantProblems(t, ValidateReservation(bad, closed), prob(CodeRequired, "idempotencyKey"), prob(CodeInvalidQuantity, "quantity"),
			prob(CodeEnrollmentNotActive, "enrollment"), prob(CodeUnknownSKU, "sku"))
	})
	t.Run("R-ORD-3_reserved_addon_needs_its_base_subscribed", func(t *testing.T) {
		f := open
		f.SKU = &addOn
		wantProblems(t, ValidateReservation(d, f), prob(CodeAddonRequiresBase, "sku"))
		f.SubscribedSKUs = map[string]bool{"BASE": true}
		wantProblems(t, ValidateReservation(d, f))
	})
	t.Run("R-RES-4_only_a_pending_reservation_is_processed", func(t *testing.T) {
		wantOne(t, CanProcessReservation(ReservationPending), "")
		wantOne(t, CanProcessReservation(ReservationEffective), CodeReservationNotPending, "reservation")
	})
	t.Run("R-RES-3_the_grant_needs_an_OSM", func(t *testing.T) {
		wantOne(t, MayManageReservationPermission([]ContactRole{RoleAgreementAdministrator}, ""), CodeNoSubscriptionContact, "enrollment")
		// Who acts is checked first.
		wantOne(t, MayManageReservationPermission(nil, ""), CodeNotPermitted, "actingContact")
	})
}
