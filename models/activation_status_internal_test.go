package models

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// activationStatus reads an enrollment's subscriptions and the latest processing of each SKU in
// the statement that reads its orders, reservations and emails (statusFacts). Its lines must be
// those the rules give for the stored subscriptions (R-ACT-12): an ACTIVE or IN_GRACE
// subscription is a line, a cancelled or expired one is not (R-SUB-1, R-SUB-5, R-SUB-6), and a
// line is pending until PendingUntil of its SKU's latest processed order (R-ORD-5; placed and
// cancelled orders do not count). Checked on random subscriptions and orders at the instants
// where a status changes, on every store.
func TestStatusFactsLinesFollowTheRules(t *testing.T) {
	forRandomSeeds(t, "status_lines", 11, func(t *testing.T, s *Store, rnd *mrand.Rand) {
		w := newRandomWorld(t, s, rnd)
		statuses := []licensing.OrderStatus{licensing.OrderProcessed, licensing.OrderProcessed, licensing.OrderPlaced, licensing.OrderCancelled}
		skus := []string{"O365-E3", "O365-E5", "M365-E3", "INTUNE", "D365-SALES-PRO"}
		latest := map[int64]map[string]time.Time{} // by enrollment, the SKUs' latest processing
		for _, e := range w.enrollments {
			latest[e.ID] = map[string]time.Time{}
			for n := rnd.IntN(4); n > 0; n-- {
				at := testNow.Add(time.Duration(rnd.IntN(96*3600)-48*3600) * time.Second)
				o := Order{ID: newID(), ResellerID: e.ResellerID, EnrollmentID: e.ID, Number: fmt.Sprint("O", newID()), Status: statuses[rnd.IntN(len(statuses))],
					PurchaseDate: licensing.DateOf(at), UsageStartDate: licensing.DateOf(at), IdempotencyKey: fmt.Sprint(newID()), Fingerprint: "f", CreatedAt: at}
				if o.Status == licensing.OrderProcessed {
					o.ProcessedAt = &at
					w.instants = append(w.instants, licensing.PendingUntil(at), licensing.PendingUntil(at).Add(-time.Microsecond))
				}
				create(t, s, &o)
				for i, k := range rnd.Perm(len(skus))[:rnd.IntN(2)+1] {
					create(t, s, &OrderLine{ID: newID(), ResellerID: e.ResellerID, OrderID: o.ID, LineNo: i + 1, SKU: skus[k], Quantity: 1})
					if o.Status == licensing.OrderProcessed && at.After(latest[e.ID][skus[k]]) {
						latest[e.ID][skus[k]] = at
					}
				}
			}
		}
		instants := append([]time.Time{testNow}, w.instants...)
		rnd.Shuffle(len(instants), func(i, j int) { instants[i], instants[j] = instants[j], instants[i] })
		instants = instants[:min(len(instants), 12)]
		for _, e := range w.enrollments {
			for _, asOf := range instants {
				var want []string
				for _, sub := range w.subs {
					if sub.EnrollmentID != nil && *sub.EnrollmentID == e.ID && sub.Term().StatusAt(asOf).Counts() && !slices.Contains(want, sub.SKU) {
						want = append(want, sub.SKU)
					}
				}
				slices.Sort(want)
				var got []string
				for _, line := range statusFactsOf(t, s, e, asOf).Lines {
					got = append(got, line.SKU)
					at, processed := latest[e.ID][line.SKU]
					switch {
					case !processed && line.PendingUntil != nil:
						t.Errorf("enrollment %d, %s as of %s: pending until %s, but no processed order bought it", e.ID, line.SKU, asOf, line.PendingUntil)
					case processed && (line.PendingUntil == nil || !line.PendingUntil.Equal(licensing.PendingUntil(at))):
						t.Errorf("enrollment %d, %s as of %s: pending until %v, want %s (latest processing %s)", e.ID, line.SKU, asOf, line.PendingUntil, licensing.PendingUntil(at), at)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("enrollment %d as of %s: lines %v, want %v", e.ID, asOf, got, want)
				}
			}
		}
	})
}

// The status reads an enrollment's emails in the order they were recorded (by id), whatever
// order the database returns them in: the latest one decides whether a bounce stands (a resend
// after a bounce is a new email, R-ACT-7, R-ACT-12).
func TestStatusFactsEmailsInRecordedOrder(t *testing.T) {
	eachTestStore(t, func(t *testing.T, s *Store) {
		w := newRandomWorld(t, s, mrand.New(mrand.NewPCG(1, 12)))
		var e Enrollment
		for _, e = range w.enrollments {
			break
		}
		base := newID()
		for i, offset := range []int64{30, 10, 20} { // recorded out of id order
			at := testNow.Add(time.Duration(i) * time.Hour)
			m := ActivationEmail{ID: base + offset, ResellerID: e.ResellerID, EnrollmentID: e.ID, Recipient: fmt.Sprintf("r%d@contoso.com", offset),
				Subject: "s", EmailTrigger: licensing.EmailTriggerFirstOrder, ScheduledAt: at, DueBy: at, CreatedAt: at}
			create(t, s, &m)
		}
		var got []string
		for _, m := range statusFactsOf(t, s, e, testNow).Emails {
			got = append(got, m.Recipient)
		}
		if want := []string{"r10@contoso.com", "r20@contoso.com", "r30@contoso.com"}; !slices.Equal(got, want) {
			t.Fatalf("emails %v, want %v (id order)", got, want)
		}
	})
}

// The status of an enrollment on an account reads the account's facts in its one statement
// (statusFacts, accountFactsSQL): its country, verified domains and administrators in the order
// recorded, and the SKUs already on it that the compatibility check compares with the
// enrollment's lines (R-ACT-2 / R-ACT-12): its other enrollments' subscriptions and its direct
// purchases, whatever their status, but not the enrollment's own. Checked against the stored
// rows of random worlds (accounts in several countries, with domains and administrators), on
// every store.
func TestStatusFactsReadTheAccount(t *testing.T) {
	forRandomSeeds(t, "status_account", 13, func(t *testing.T, s *Store, rnd *mrand.Rand) {
		w := newRandomWorld(t, s, rnd)
		want := map[int64]*licensing.ActivationAccount{}
		for _, a := range w.accounts {
			country := []string{"US", "DE", "BR"}[rnd.IntN(3)]
			if err := s.db.Model(&Account{}).Where("id = ?", a.ID).Update("country", country).Error; err != nil {
				t.Fatal(err)
			}
			facts := &licensing.ActivationAccount{ID: a.ID, Name: a.Name, Country: country}
			base := newID()
			for i, offset := range rnd.Perm(4)[:rnd.IntN(4)] { // recorded out of id order
				d := AccountDomain{ID: base + int64(offset), ResellerID: a.ResellerID, AccountID: a.ID, Domain: fmt.Sprintf("d%d-%d.example", i, a.ID)}
				create(t, s, &d)
				m := AccountAdmin{ID: base + 10 + int64(offset), ResellerID: a.ResellerID, AccountID: a.ID, Name: "N", Email: fmt.Sprintf("a%d@%d.example", i, a.ID),
					Role: []licensing.AdminRole{licensing.AdminGlobal, licensing.AdminBilling}[rnd.IntN(2)]}
				create(t, s, &m)
			}
			var domains []AccountDomain
			var admins []AccountAdmin
			if err := s.db.Where("account_id = ?", a.ID).Order("id").Find(&domains).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.db.Where("account_id = ?", a.ID).Order("id").Find(&admins).Error; err != nil {
				t.Fatal(err)
			}
			for _, d := range domains {
				facts.VerifiedDomains = append(facts.VerifiedDomains, d.Domain)
			}
			for _, m := range admins {
				facts.Admins = append(facts.Admins, licensing.AccountAdmin{Email: m.Email, Role: m.Role})
			}
			want[a.ID] = facts
		}
		checked := 0
		for _, e := range w.enrollments {
			if e.AccountID == nil {
				continue
			}
			exp := *want[*e.AccountID]
			for _, sub := range w.subs {
				own := sub.EnrollmentID != nil && *sub.EnrollmentID == e.ID
				if w.accountOf(sub) == *e.AccountID && !own && !slices.Contains(exp.SKUs, sub.SKU) {
					exp.SKUs = append(exp.SKUs, sub.SKU)
				}
			}
			slices.Sort(exp.SKUs)
			got := statusFactsOf(t, s, e, testNow).Account
			if got == nil {
				t.Fatalf("enrollment %d on account %d: no account facts", e.ID, *e.AccountID)
			}
			slices.Sort(got.SKUs)
			if !reflect.DeepEqual(*got, exp) {
				t.Errorf("enrollment %d: account facts\n%+v, want\n%+v", e.ID, *got, exp)
			}
			checked++
		}
		if checked == 0 {
			t.Fatal("no enrollment on an account: the world checks nothing")
		}
	})
}

// statusFactsOf is what statusFacts reads of e as of asOf.
func statusFactsOf(t *testing.T, s *Store, e Enrollment, asOf time.Time) licensing.ActivationFacts {
	t.Helper()
	var f licensing.ActivationFacts
	if err := s.statusFacts(context.Background(), &f, &e, asOf); err != nil {
		t.Fatal(err)
	}
	return f
}
