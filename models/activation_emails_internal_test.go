package models

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

// emailCase runs fn as the subtest name on every store, each with one activation email due
// (emailLeaseSeed).
func emailCase(t *testing.T, name string, fn func(t *testing.T, s *Store, m ActivationEmail)) {
	t.Run(name, func(t *testing.T) {
		eachTestStore(t, func(t *testing.T, s *Store) { fn(t, s, emailLeaseSeed(t, s)) })
	})
}

// emailLeaseSeed processes a first order on ledgerSeed's enrollment at ledgerNow: one
// activation email due at once (R-ACT-1).
func emailLeaseSeed(t *testing.T, s *Store) ActivationEmail {
	t.Helper()
	ctx := context.Background()
	c, _ := seedOrders(t, s)
	o, err := s.CreateOrder(ctx, c, orderDraft("k1", fourLines[1]), ordersNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ProcessOrder(ctx, Caller{Role: RoleOperator}, o.ID, ordersNow); err != nil {
		t.Fatal(err)
	}
	var m []ActivationEmail
	if err := s.db.Find(&m).Error; err != nil || len(m) != 1 {
		t.Fatalf("want one activation email, got %d (%v)", len(m), err)
	}
	return m[0]
}

func emailRow(t *testing.T, s *Store, id int64) ActivationEmail {
	t.Helper()
	var m ActivationEmail
	if err := s.db.Where("id = ?", id).Take(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

func claimOne(t *testing.T, s *Store, at time.Time) *DueEmail {
	t.Helper()
	due, err := s.ClaimDueEmails(context.Background(), at, 10*time.Minute, 10)
	if err != nil || len(due) > 1 {
		t.Fatalf("claim at %s: %v, %d claimed", at, err, len(due))
	}
	if len(due) == 0 {
		return nil
	}
	return &due[0]
}

func TestActivationEmailClaimIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	emailCase(t, "R-ACT-1_a_claim_that_fails_half_way_leaves_the_email_unclaimed_and_unsent", func(t *testing.T, s *Store, m ActivationEmail) {
		// The database fails after the lease is written, when the link is stored.
		remove := failOn(t, s, "create", "gorm:create", func(db *gorm.DB) bool { return db.Statement.Table == "activation_links" })
		due, err := s.ClaimDueEmails(ctx, ordersNow, 10*time.Minute, 10)
		if !errors.Is(err, errInjected) || len(due) != 0 {
			t.Fatalf("claim with a failing link insert: %d claimed, err %v; want the injected error", len(due), err)
		}
		if r := emailRow(t, s, m.ID); r.SentAt != nil || r.ClaimID != nil || r.ClaimedUntil != nil || r.Attempts != 0 {
			t.Fatalf("a failed claim left %+v", r)
		}
		remove()
		d := claimOne(t, s, ordersNow)
		if d == nil || d.Token == "" || d.Attempts != 1 || d.ClaimID == nil {
			t.Fatalf("claim after the failure: %+v", d)
		}
		if r := emailRow(t, s, m.ID); r.SentAt != nil || !r.ClaimedUntil.Equal(ordersNow.Add(10*time.Minute)) {
			t.Fatalf("claimed row %+v: unsent, leased for 10 minutes", r)
		}
	})
}

func TestActivationEmailLeaseTakeover(t *testing.T) {
	ctx := context.Background()
	emailCase(t, "R-ACT-1_a_claimer_whose_lease_was_taken_over_cannot_release_it", func(t *testing.T, s *Store, m ActivationEmail) {
		a := claimOne(t, s, ordersNow)
		if claimOne(t, s, ordersNow.Add(10*time.Minute-time.Second)) != nil {
			t.Fatal("claimed twice while the first lease lives")
		}
		b := claimOne(t, s, ordersNow.Add(10*time.Minute))
		if a == nil || b == nil || *a.ClaimID == *b.ClaimID || b.Attempts != 2 {
			t.Fatalf("claims %+v then %+v", a, b)
		}
		// A, back from the dead, reports a failure: B's lease stands.
		if err := s.ReleaseEmail(ctx, m.ID, *a.ClaimID, ordersNow.Add(11*time.Minute), "late"); err != nil {
			t.Fatal(err)
		}
		if r := emailRow(t, s, m.ID); r.ClaimID == nil || *r.ClaimID != *b.ClaimID || r.LastError != "" {
			t.Fatalf("a stale release changed the row: %+v", r)
		}
		if claimOne(t, s, ordersNow.Add(12*time.Minute)) != nil {
			t.Fatal("claimed while B's lease lives")
		}
		sentAt := ordersNow.Add(13 * time.Minute)
		if err := s.MarkEmailSent(ctx, m.ID, sentAt); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkEmailSent(ctx, m.ID, sentAt.Add(time.Minute)); err != nil { // a second acceptance
			t.Fatal(err)
		}
		if r := emailRow(t, s, m.ID); r.SentAt == nil || !r.SentAt.Equal(sentAt) || r.ClaimID != nil || r.ClaimedUntil != nil {
			t.Fatalf("after sending: %+v", r)
		}
		if claimOne(t, s, ordersNow.Add(time.Hour)) != nil {
			t.Fatal("a sent email was claimed again")
		}
	})
}

func TestActivationEmailRelease(t *testing.T) {
	ctx := context.Background()
	emailCase(t, "R-ACT-1_a_release_sets_the_next_attempt_and_a_bounded_reason", func(t *testing.T, s *Store, m ActivationEmail) {
		d := claimOne(t, s, ordersNow)
		next := ordersNow.Add(time.Minute)
		if err := s.ReleaseEmail(ctx, m.ID, *d.ClaimID, next, strings.Repeat("é", MaxEmailError+100)); err != nil {
			t.Fatal(err)
		}
		r := emailRow(t, s, m.ID)
		if r.ClaimID != nil || r.ClaimedUntil != nil || !r.NextAttemptAt.Equal(next) || len([]rune(r.LastError)) != MaxEmailError {
			t.Fatalf("released row %+v (reason of %d characters)", r, len([]rune(r.LastError)))
		}
		if claimOne(t, s, next.Add(-time.Second)) != nil {
			t.Fatal("claimed before the back-off ended")
		}
		if d := claimOne(t, s, next); d == nil || d.Attempts != 2 {
			t.Fatalf("claim after the back-off: %+v", d)
		}
	})
}
