package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// Activation emails (R-ACT-1, R-ACT-4 to R-ACT-7): recorded, resent on a contact update or on
// request, and claimed by the dispatcher with a lease.

// ActivationEmail is a recorded activation email (R-ACT-1, R-ACT-7).
type ActivationEmail struct {
	ID           int64
	ResellerID   int64
	EnrollmentID int64
	Recipient    string
	Subject      string
	EmailTrigger licensing.EmailTrigger
	ScheduledAt  time.Time
	DueBy        time.Time
	SentAt       *time.Time
	CreatedAt    time.Time
	// The sending lease (see ClaimDueEmails).
	ClaimedUntil  *time.Time
	ClaimID       *int64
	Attempts      int
	NextAttemptAt *time.Time // nil: waits for support to re-enable an expired link (R-ACT-8), or bounced
	LastError     string
	// BouncedAt: the mail server refused it for good (MarkEmailBounced); it is never retried.
	BouncedAt *time.Time
}

func (s *Store) recordEmail(ctx context.Context, e *Enrollment, to, subject string, trigger licensing.EmailTrigger, at, dueBy, now time.Time) error {
	m := ActivationEmail{ID: newID(), ResellerID: e.ResellerID, EnrollmentID: e.ID, Recipient: to, Subject: subject, EmailTrigger: trigger,
		ScheduledAt: at, DueBy: dueBy, CreatedAt: now, NextAttemptAt: &at}
	return s.ctx(ctx).Create(&m).Error
}

// ActivationEmails lists an enrollment's activation emails, oldest first (R-ACT-1, R-ACT-7).
func (s *Store) ActivationEmails(ctx context.Context, c Caller, enrollmentID int64, p Page) (*List[ActivationEmail], error) {
	return list[ActivationEmail](s, c.scope(s.ctx(ctx).Model(&ActivationEmail{})).Where("enrollment_id = ?", enrollmentID), p)
}

// resendFacts are the facts of a resend for an enrollment.
func (s *Store) resendFacts(ctx context.Context, e *Enrollment, trigger licensing.EmailTrigger, now time.Time) (licensing.ResendFacts, error) {
	f := licensing.ResendFacts{Trigger: trigger, OSMEmail: e.OSMEmail, Associated: e.AccountID != nil, OriginalPurchase: e.OriginalPurchaseDate, LinkReenabledUntil: e.LinkReenabledUntil}
	var first []Order
	err := s.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ? AND status = ?", e.ResellerID, e.ID, licensing.OrderProcessed).Order("processed_at").Limit(1).Find(&first).Error
	if len(first) == 1 {
		f.FirstProcessedAt, f.UsageStart = first[0].ProcessedAt, first[0].UsageStartDate
	} else if e.RenewedFromID != nil {
		f.FirstProcessedAt, f.UsageStart = &e.CreatedAt, e.StartDate // see ActivationFacts
	}
	if a, aerr := byID[Agreement](ctx, s, Caller{Role: RoleOperator}, e.AgreementID); aerr == nil && e.AccountID != nil {
		_, f.ActivationDue = licensing.OpenValueActivationDue(a.Program, e.AssociatedAt, e.LastActivatedAt, now)
	}
	return f, err
}

// ContactUpdate is the outcome of updateSubscriptionContact: the email sent to the new OSM,
// or why none was (the update itself stands either way).
type ContactUpdate struct {
	Enrollment  *Enrollment
	Email       *ActivationEmail
	NotSentWhy  string
	NotSentCode licensing.Code
}

// UpdateSubscriptionContact sets the enrollment's OSM and sends the activation email to the
// new contact (R-ACT-6, R-ACT-7).
func (s *Store) UpdateSubscriptionContact(ctx context.Context, c Caller, number, name, email string, now time.Time) (*ContactUpdate, error) {
	if err := licensing.ValidateSubscriptionContact(name, email).Err(); err != nil {
		return nil, wrap("update subscription contact", err)
	}
	out := &ContactUpdate{}
	err := s.InTx(ctx, func(tx *Store) error {
		e, err := tx.lockEnrollment(ctx, c, number)
		if err != nil {
			return err
		}
		e.OSMName, e.OSMEmail = strings.TrimSpace(name), strings.TrimSpace(email)
		if err := tx.ctx(ctx).Model(e).Updates(map[string]any{"osm_name": e.OSMName, "osm_email": e.OSMEmail}).Error; err != nil {
			return err
		}
		out.Enrollment = e
		f, err := tx.resendFacts(ctx, e, licensing.EmailTriggerContactUpdated, now)
		if err != nil {
			return err
		}
		plan, p := licensing.PlanResend(f, now)
		if p != nil {
			out.NotSentWhy, out.NotSentCode = p.Message, p.Code
			return nil
		}
		out.Email, err = tx.sendEmail(ctx, e, plan, now)
		return err
	})
	if err != nil {
		return nil, wrap("update subscription contact", err)
	}
	return out, nil
}

func (s *Store) sendEmail(ctx context.Context, e *Enrollment, plan licensing.ResendPlan, now time.Time) (*ActivationEmail, error) {
	m := ActivationEmail{ID: newID(), ResellerID: e.ResellerID, EnrollmentID: e.ID, Recipient: plan.Recipient, Subject: plan.Subject,
		EmailTrigger: plan.Trigger, ScheduledAt: plan.SendAt, DueBy: plan.SendAt.Add(licensing.ActivationEmailWindow), CreatedAt: now,
		NextAttemptAt: &plan.SendAt}
	return &m, s.ctx(ctx).Create(&m).Error
}

// ResendActivationEmail sends the activation email again to the current OSM (R-ACT-7).
func (s *Store) ResendActivationEmail(ctx context.Context, c Caller, number string, now time.Time) (*ActivationEmail, error) {
	var m *ActivationEmail
	err := s.InTx(ctx, func(tx *Store) error {
		e, err := tx.lockEnrollment(ctx, c, number)
		if err != nil {
			return err
		}
		f, err := tx.resendFacts(ctx, e, licensing.EmailTriggerAdminResend, now)
		if err != nil {
			return err
		}
		plan, p := licensing.PlanResend(f, now)
		if p != nil {
			return problem(p)
		}
		m, err = tx.sendEmail(ctx, e, plan, now)
		return err
	})
	return orNil(m, wrap("resend activation email", err))
}

// DueEmail is an activation email claimed for sending, with a fresh token for its link and
// what its text needs.
type DueEmail struct {
	ActivationEmail
	EnrollmentNumber string
	OrganizationName string
	RecipientName    string // the OSM's name when the email goes to the current OSM
	Language         licensing.Language
	LinkExpiresAt    *time.Time // nil: the link does not expire (no purchase date yet)
	Token            string
}

// emailDue is the condition of an email a dispatcher may claim at an instant: unsent, due
// (R-ACT-4), its back-off over, not parked, and no live lease on it.
const emailDue = "sent_at IS NULL AND scheduled_at <= ? AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)"

// MaxEmailError bounds the reason of a failed attempt kept with an email, in characters.
const MaxEmailError = 500

// ClaimDueEmails claims up to limit emails due at now (across resellers), each with a lease
// until now+lease, and mints each a link token. Each claim is one transaction whose guarded
// UPDATE is the claim itself: a row another dispatcher holds under a live lease does not
// match, on any node of a cluster, so one attempt is never sent twice while its lease lives.
// A claim whose lease ran out (its dispatcher died before sending) is claimed again. After
// sending, the dispatcher calls MarkEmailSent, or ReleaseEmail when the send failed.
func (s *Store) ClaimDueEmails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]DueEmail, error) {
	if lease <= 0 || limit <= 0 {
		return nil, errors.New("claim activation emails: lease and limit must be positive")
	}
	now = now.UTC() // SQLite compares instants as text: one zone for all
	var out []DueEmail
	tried := map[int64]bool{}
	// A candidate that yields no claim (dropped, held, or taken by another dispatcher) no longer
	// matches emailDue, so the next look finds the emails after it; tried ends the loop should
	// one still match.
	for len(out) < limit {
		var ids []int64
		if err := s.ctx(ctx).Model(&ActivationEmail{}).Where(emailDue, now, now, now).Order("next_attempt_at, id").Limit(limit-len(out)).Pluck("id", &ids).Error; err != nil {
			return out, wrap("claim due emails", err)
		}
		fresh := 0
		for _, id := range ids {
			if tried[id] {
				continue
			}
			tried[id], fresh = true, fresh+1
			var d *DueEmail
			err := s.InTx(ctx, func(tx *Store) error {
				var err error
				d, err = tx.claimEmail(ctx, id, now, lease)
				return err
			})
			if err != nil {
				return out, err
			}
			if d != nil {
				out = append(out, *d)
			}
		}
		if fresh == 0 {
			break
		}
	}
	return out, nil
}

// claimEmail claims one email in tx; nil when another dispatcher has it or none is to be sent.
func (s *Store) claimEmail(ctx context.Context, id int64, now time.Time, lease time.Duration) (*DueEmail, error) {
	claimID := newID()
	res := s.ctx(ctx).Model(&ActivationEmail{}).Where("id = ?", id).Where(emailDue, now, now, now).
		Updates(map[string]any{"claimed_until": now.Add(lease), "claim_id": claimID, "attempts": gorm.Expr("attempts + 1")})
	if res.Error != nil || res.RowsAffected != 1 {
		return nil, res.Error
	}
	var m ActivationEmail
	if err := s.ctx(ctx).Where("id = ?", id).Take(&m).Error; err != nil {
		return nil, err
	}
	var e Enrollment
	if err := s.ctx(ctx).Where("reseller_id = ? AND id = ?", m.ResellerID, m.EnrollmentID).Take(&e).Error; err != nil {
		return nil, err
	}
	switch licensing.DispatchFor(m.EmailTrigger, e.AccountID != nil, e.OriginalPurchaseDate, e.LinkReenabledUntil, now) {
	case licensing.DispatchDrop: // provisioned meanwhile (a product key, a remap): never sent
		return nil, s.ctx(ctx).Delete(&ActivationEmail{}, m.ID).Error
	case licensing.DispatchHold:
		// It waits, unsent, for support to re-enable the link (ReenableActivationLink); this
		// claim was no attempt.
		return nil, s.ctx(ctx).Model(&ActivationEmail{}).Where("id = ? AND claim_id = ?", id, claimID).Updates(map[string]any{
			"claimed_until": nil, "claim_id": nil, "next_attempt_at": nil, "attempts": gorm.Expr("attempts - 1"),
			"last_error": "the activation link has expired; support can re-enable it"}).Error
	}
	d := DueEmail{ActivationEmail: m, EnrollmentNumber: e.Number, OrganizationName: e.OrganizationName, Language: licensing.LanguageEnglish}
	if strings.EqualFold(strings.TrimSpace(e.OSMEmail), m.Recipient) {
		d.RecipientName = e.OSMName
	}
	if !e.OriginalPurchaseDate.IsZero() {
		exp := licensing.LinkExpiresAt(e.OriginalPurchaseDate, e.LinkReenabledUntil)
		d.LinkExpiresAt = &exp
	}
	var langs []string
	if err := s.ctx(ctx).Raw(`SELECT c.language FROM agreements a JOIN customers c ON c.id = a.customer_id WHERE a.reseller_id = ? AND a.id = ?`,
		e.ResellerID, e.AgreementID).Scan(&langs).Error; err != nil {
		return nil, err
	}
	if len(langs) == 1 && licensing.Language(langs[0]).Valid() {
		d.Language = licensing.Language(langs[0])
	}
	// Every token minted stays valid (R-ACT-9): a send that failed after the server took the
	// data may still have delivered it. Unused tokens are random and only their hash is kept.
	var b [32]byte
	_, _ = rand.Read(b[:])
	d.Token = hex.EncodeToString(b[:])
	link := ActivationLink{ID: newID(), ResellerID: m.ResellerID, EnrollmentID: m.EnrollmentID, TokenHash: hashToken(d.Token), CreatedAt: now}
	if err := s.ctx(ctx).Create(&link).Error; err != nil {
		return nil, err
	}
	return &d, nil
}

// MarkEmailSent records that the mail server accepted a claimed email at now (R-ACT-1) and
// ends the lease, with activation_email.sent in the same transaction. A server's acceptance
// is a fact whoever holds the lease now, so the write is guarded only by the email still being
// unsent; a second acceptance changes nothing and records no event.
func (s *Store) MarkEmailSent(ctx context.Context, id int64, now time.Time) error {
	now = now.UTC()
	return wrap("mark activation email sent", s.InTx(ctx, func(tx *Store) error {
		res := tx.ctx(ctx).Model(&ActivationEmail{}).Where("id = ? AND sent_at IS NULL", id).
			Updates(map[string]any{"sent_at": now, "claimed_until": nil, "claim_id": nil, "last_error": ""})
		if res.Error != nil || res.RowsAffected != 1 {
			return res.Error
		}
		return tx.recordEmailEvent(ctx, TopicActivationEmailSent, id, "", now)
	}))
}

// MarkEmailBounced parks a claimed email the mail server refused for good (a permanent 5xx
// answer to its recipient): it is never claimed again (no next attempt, bouncedAt now, why
// kept as ReleaseEmail keeps it), activationStatus says the contact must be fixed, and
// activation_email.bounced is recorded, all in one transaction. A new contact
// (UpdateSubscriptionContact) or a resend makes a new email. Only the claim's own lease is
// parked, as in ReleaseEmail.
func (s *Store) MarkEmailBounced(ctx context.Context, id, claimID int64, now time.Time, why string) error {
	now = now.UTC()
	if r := []rune(why); len(r) > MaxEmailError {
		why = string(r[:MaxEmailError])
	}
	return wrap("mark activation email bounced", s.InTx(ctx, func(tx *Store) error {
		res := tx.ctx(ctx).Model(&ActivationEmail{}).Where("id = ? AND claim_id = ? AND sent_at IS NULL", id, claimID).
			Updates(map[string]any{"claimed_until": nil, "claim_id": nil, "next_attempt_at": nil, "bounced_at": now, "last_error": why})
		if res.Error != nil || res.RowsAffected != 1 {
			return res.Error
		}
		return tx.recordEmailEvent(ctx, TopicActivationEmailBounced, id, why, now)
	}))
}

// recordEmailEvent records activation_email.sent or .bounced for an email as now stored.
func (s *Store) recordEmailEvent(ctx context.Context, topic Topic, id int64, reason string, at time.Time) error {
	var m ActivationEmail
	if err := s.ctx(ctx).Where("id = ?", id).Take(&m).Error; err != nil {
		return err
	}
	number, err := s.enrollmentNumber(ctx, m.ResellerID, m.EnrollmentID)
	if err != nil {
		return err
	}
	return s.RecordEvent(ctx, Event{ResellerID: m.ResellerID, Topic: topic, OccurredAt: at, Data: NewActivationEmailData(&m, number, reason)})
}

// ReleaseEmail ends the lease of a claim whose send failed: the email is claimed again from
// nextAttempt (the dispatcher's back-off). Only the claim's own lease is released: a
// dispatcher whose lease ran out and was taken over changes nothing. why is kept, cut to
// MaxEmailError characters; it must carry no address, token or link (see mail.Redact).
func (s *Store) ReleaseEmail(ctx context.Context, id, claimID int64, nextAttempt time.Time, why string) error {
	nextAttempt = nextAttempt.UTC()
	if r := []rune(why); len(r) > MaxEmailError {
		why = string(r[:MaxEmailError])
	}
	return wrap("release activation email", s.ctx(ctx).Model(&ActivationEmail{}).Where("id = ? AND claim_id = ? AND sent_at IS NULL", id, claimID).
		Updates(map[string]any{"claimed_until": nil, "claim_id": nil, "next_attempt_at": nextAttempt, "last_error": why}).Error)
}
