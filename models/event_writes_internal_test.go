package models

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// topicsRecorded lists the topics of a reseller's events, in the order they were written.
func topicsRecorded(t *testing.T, s *Store, resellerID int64) []Topic {
	t.Helper()
	var out []Topic
	if err := s.db.Model(&Event{}).Where("reseller_id = ?", resellerID).Order("id").Pluck("topic", &out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// An event exists if and only if its change does: a processing that fails after it recorded
// order.processed (at the activation email, written last) leaves neither.
func TestWriteEventsRollBackWithTheirChange(t *testing.T) {
	ordersCase(t, "R-ORD-1_a_processing_that_fails_after_its_event_leaves_no_event", func(t *testing.T, s *Store, c Caller, _ *Enrollment) {
		ctx := context.Background()
		o, err := s.CreateOrder(ctx, c, orderDraft("k1", fourLines[1]), ordersNow)
		if err != nil {
			t.Fatal(err)
		}
		remove := failOn(t, s, "create", "gorm:create", func(db *gorm.DB) bool { return db.Statement.Table == "activation_emails" })
		if _, err := s.ProcessOrder(ctx, Caller{Role: RoleOperator}, o.ID, ordersNow); !errors.Is(err, errInjected) {
			t.Fatalf("ProcessOrder with a failing email insert: %v", err)
		}
		if got := topicsRecorded(t, s, c.ResellerID); !slices.Equal(got, []Topic{TopicOrderCreated}) {
			t.Fatalf("events after the failed processing: %v", got)
		}
		remove()
		if _, err := s.ProcessOrder(ctx, Caller{Role: RoleOperator}, o.ID, ordersNow); err != nil {
			t.Fatal(err)
		}
		if got := topicsRecorded(t, s, c.ResellerID); !slices.Equal(got, []Topic{TopicOrderCreated, TopicOrderProcessed}) {
			t.Fatalf("events after processing: %v", got)
		}
	})
}

func TestActivationEmailOutcomesAreEvents(t *testing.T) {
	ctx := context.Background()
	emailCase(t, "R-ACT-1_accepted_twice_is_one_activation_email.sent", func(t *testing.T, s *Store, m ActivationEmail) {
		claimOne(t, s, ordersNow)
		for i := range 2 {
			if err := s.MarkEmailSent(ctx, m.ID, ordersNow.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		got := topicsRecorded(t, s, m.ResellerID)
		if n := len(slices.DeleteFunc(got, func(tp Topic) bool { return tp != TopicActivationEmailSent })); n != 1 {
			t.Fatalf("%d activation_email.sent events for one email", n)
		}
	})

	emailCase(t, "a_bounced_email_is_parked_for_good_with_one_event", func(t *testing.T, s *Store, m ActivationEmail) {
		d := claimOne(t, s, ordersNow)
		if err := s.MarkEmailBounced(ctx, m.ID, *d.ClaimID+1, ordersNow, "550 no such user"); err != nil { // not this claim's lease
			t.Fatal(err)
		}
		if r := emailRow(t, s, m.ID); r.BouncedAt != nil {
			t.Fatalf("another claim's bounce parked the email: %+v", r)
		}
		if err := s.MarkEmailBounced(ctx, m.ID, *d.ClaimID, ordersNow.Add(time.Minute), strings.Repeat("x", MaxEmailError+10)); err != nil {
			t.Fatal(err)
		}
		r := emailRow(t, s, m.ID)
		if r.BouncedAt == nil || !r.BouncedAt.Equal(ordersNow.Add(time.Minute)) || r.NextAttemptAt != nil || r.ClaimID != nil || len(r.LastError) != MaxEmailError {
			t.Fatalf("bounced row %+v", r)
		}
		// Support re-enabling the link releases held emails, not bounced ones.
		if _, err := s.ReenableActivationLink(ctx, Caller{Role: RoleOperator}, "ENR-1", ordersNow.Add(48*time.Hour), ordersNow.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if claimOne(t, s, ordersNow.Add(time.Hour)) != nil {
			t.Fatal("a bounced email was claimed again")
		}
		if got := topicsRecorded(t, s, m.ResellerID); got[len(got)-1] != TopicActivationEmailBounced || slices.Contains(got, TopicActivationEmailSent) {
			t.Fatalf("events %v", got)
		}
	})

	// The dispatcher claims one email at a time: an email dropped at its claim (its enrollment
	// was provisioned meanwhile) must not hide the next one until the next run.
	t.Run("R-ACT-2_an_email_dropped_at_its_claim_does_not_hide_the_next", func(t *testing.T) {
		eachTestStore(t, func(t *testing.T, s *Store) {
			first := emailLeaseSeed(t, s)
			var e Enrollment
			if err := s.db.Where("id = ?", first.EnrollmentID).Take(&e).Error; err != nil {
				t.Fatal(err)
			}
			c := Caller{Role: RoleReseller, ResellerID: e.ResellerID}
			d, _ := licensing.ParseDate("2028-12-31")
			if _, err := s.CreateEnrollment(ctx, c, e.AgreementID, licensing.EnrollmentDraft{Number: "ENR-2", OrganizationName: "Fabrikam",
				OSMName: "Oscar", OSMEmail: "oscar@fabrikam.com", StartDate: e.StartDate, EndDate: d}, ordersNow); err != nil {
				t.Fatal(err)
			}
			draft := orderDraft("k2", fourLines[1])
			draft.EnrollmentNumber = "ENR-2"
			o, err := s.CreateOrder(ctx, c, draft, ordersNow)
			if err == nil {
				_, err = s.ProcessOrder(ctx, Caller{Role: RoleOperator}, o.ID, ordersNow)
			}
			if err != nil {
				t.Fatal(err)
			}
			// ENR-1 lands on an account before its email goes: that email is dropped.
			if err := s.db.Model(&Enrollment{}).Where("id = ?", e.ID).Updates(map[string]any{"account_id": 1, "associated_at": ordersNow}).Error; err != nil {
				t.Fatal(err)
			}
			due, err := s.ClaimDueEmails(ctx, ordersNow, 10*time.Minute, 1)
			if err != nil || len(due) != 1 || due[0].EnrollmentNumber != "ENR-2" {
				t.Fatalf("claimed %+v (%v), want ENR-2's email", due, err)
			}
		})
	})
}
