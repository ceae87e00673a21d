package models

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// The reservation list filters in SQL (notBilledSQL, overdueSQL); the rules are
// licensing.NotYetBilled and licensing.ReservationOverdue. On random reservations, at instants
// around their boundaries, each filter lists exactly those its rule names.
func TestReservationFiltersFollowTheRules(t *testing.T) {
	ctx := context.Background()
	forRandomSeeds(t, "R-RES-1_R-RES-4_random_data", 11, func(t *testing.T, s *Store, rnd *mrand.Rand) {
		resellerID, enrollmentID := newID(), newID()
		var all []Reservation
		var instants []time.Time
		for i := 0; i < 40; i++ {
			reserved := testNow.Add(time.Duration(rnd.IntN(10*24*3600)-5*24*3600) * time.Second).Add(time.Duration(rnd.IntN(1e6)) * time.Microsecond)
			r := Reservation{ID: newID(), ResellerID: resellerID, EnrollmentID: enrollmentID, SubscriptionID: newID(), SKU: "O365-E3", Quantity: 1,
				Status: licensing.ReservationPending, ContactEmail: "x@y.example", ReservedAt: reserved,
				BillingDate: licensing.DateOf(testNow).AddDays(rnd.IntN(11) - 5), IdempotencyKey: fmt.Sprint(newID()), Fingerprint: "f"}
			if rnd.IntN(3) == 0 {
				r.Status, r.ProcessedAt = licensing.ReservationEffective, &reserved
			}
			create(t, s, &r)
			all = append(all, r)
			instants = append(instants, r.OverdueAt(), r.OverdueAt().Add(-time.Microsecond), r.BillingDate.Start(), r.BillingDate.Start().Add(-time.Microsecond))
		}
		list := func(f ReservationFilter) []int64 {
			f.EnrollmentID = &enrollmentID
			l, err := s.Reservations(ctx, Caller{Role: RoleOperator}, f, Page{First: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range l.Items {
				ids = append(ids, r.ID)
			}
			return ids
		}
		for _, asOf := range instants {
			var notBilled, overdue []int64
			for _, r := range all {
				if licensing.NotYetBilled(r.BillingDate, asOf) {
					notBilled = append(notBilled, r.ID)
				}
				if licensing.ReservationOverdue(r.Status, r.ReservedAt, asOf) {
					overdue = append(overdue, r.ID)
				}
			}
			slices.Sort(notBilled)
			slices.Sort(overdue)
			if got := list(ReservationFilter{NotBilledAsOf: &asOf}); !slices.Equal(got, notBilled) {
				t.Fatalf("not billed as of %s: the list has %v, the rule says %v", asOf, got, notBilled)
			}
			if got := list(ReservationFilter{OverdueAsOf: &asOf}); !slices.Equal(got, overdue) {
				t.Fatalf("overdue as of %s: the list has %v, the rule says %v", asOf, got, overdue)
			}
		}
	})
}
