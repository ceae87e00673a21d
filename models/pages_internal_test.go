package models

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// The pages of many parents read in one statement are, parent for parent, the pages that the
// one-parent lists read: same rows, order, counts and next-page flags, for every page size and
// cursor, on random data; and so is each parent's page read alone (a single object's nested
// connection, which has a statement of its own).
func TestListsByParentAreTheOneParentLists(t *testing.T) {
	forRandomSeeds(t, "pages", 11, func(t *testing.T, s *Store, rnd *mrand.Rand) {
		ctx := context.Background()
		w := newRandomWorld(t, s, rnd)
		for _, reseller := range w.resellers {
			c := Caller{Role: RoleReseller, ResellerID: reseller}
			var agreements, accounts, customers, enrollments []int64
			for id, a := range w.agreements {
				if a.ResellerID == reseller {
					agreements, customers = append(agreements, id), append(customers, a.CustomerID)
				}
			}
			for id, a := range w.accounts {
				if a.ResellerID == reseller {
					accounts = append(accounts, id)
				}
			}
			for id, e := range w.enrollments {
				if e.ResellerID == reseller {
					enrollments = append(enrollments, id)
				}
			}
			enrollments = append(enrollments, 0) // a parent with no rows
			for _, p := range []Page{{First: 1}, {First: 2}, {First: 100}, {First: 1, After: enrollments[0]}} {
				compareLists(t, fmt.Sprint("enrollments by agreement ", p), agreements, p,
					func(ids []int64) (map[int64]*List[Enrollment], error) {
						return s.EnrollmentsByAgreements(ctx, c, ids, p)
					},
					func(id int64) (*List[Enrollment], error) {
						return s.Enrollments(ctx, c, EnrollmentFilter{AgreementID: &id}, p)
					})
				compareLists(t, fmt.Sprint("enrollments by account ", p), accounts, p,
					func(ids []int64) (map[int64]*List[Enrollment], error) { return s.EnrollmentsByAccounts(ctx, c, ids, p) },
					func(id int64) (*List[Enrollment], error) {
						return s.Enrollments(ctx, c, EnrollmentFilter{AccountID: &id}, p)
					})
				compareLists(t, fmt.Sprint("accounts by customer ", p), customers, p,
					func(ids []int64) (map[int64]*List[Account], error) { return s.AccountsByCustomers(ctx, c, ids, p) },
					func(id int64) (*List[Account], error) { return s.Accounts(ctx, c, AccountFilter{CustomerID: &id}, p) })
				compareLists(t, fmt.Sprint("users by account ", p), accounts, p,
					func(ids []int64) (map[int64]*List[AccountUser], error) {
						return s.AccountUsersByAccounts(ctx, c, ids, p)
					},
					func(id int64) (*List[AccountUser], error) {
						return s.AccountUsers(ctx, c, AccountUserFilter{AccountID: id}, p)
					})
				// and an hour after the subscriptions were created, when a renewal's lines
				// recorded ahead of their term show (viewsAsOf)
				for _, at := range append(w.instants[:min(3, len(w.instants)):min(3, len(w.instants))], testNow.Add(time.Hour)) {
					compareLists(t, fmt.Sprint("subscriptions by enrollment ", p, at), enrollments, p,
						func(ids []int64) (map[int64]*List[SubscriptionView], error) {
							return s.SubscriptionsByEnrollments(ctx, c, ids, at, p)
						},
						func(id int64) (*List[SubscriptionView], error) {
							return s.Subscriptions(ctx, c, SubscriptionFilter{EnrollmentID: &id}, at, p)
						})
				}
			}
		}
	})
}

func compareLists[T any](t *testing.T, what string, parents []int64, p Page, many func([]int64) (map[int64]*List[T], error), one func(int64) (*List[T], error)) {
	t.Helper()
	got, err := many(parents)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for _, id := range parents {
		want, err := one(id)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		alone, err := many([]int64{id}) // one parent's page has a statement of its own
		if err != nil {
			t.Fatalf("%s, parent %d alone: %v", what, id, err)
		}
		for how, g := range map[string]*List[T]{"among all": got[id], "alone": alone[id]} {
			if g == nil || g.Total != want.Total || g.HasNext != want.HasNext || len(g.Items) != len(want.Items) ||
				(len(g.Items) > 0 && !reflect.DeepEqual(g.Items, want.Items)) {
				t.Fatalf("%s, parent %d %s: got %+v, want %+v", what, id, how, g, want)
			}
		}
	}
}
