// Package mail sends activation emails (R-ACT-1): a Dispatcher claims due emails from the
// store with a lease, renders them in the customer's language and hands them to a Sender
// (SMTP, .eml files for development, or a log line). Nothing here logs a token, a link or a
// full recipient address: log lines name the enrollment, the recipient's domain and the trigger.
package mail

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/periodic"
)

// Message is one activation email as it leaves the system.
type Message struct {
	ID               int64 // the activation email's id: one Message-ID for every attempt
	To               string
	Subject          string
	EnrollmentNumber string
	Trigger          licensing.EmailTrigger
	Language         licensing.Language
	Link             string // carries the activation token (R-ACT-9): never logged
	Text             string // the plain-text part
	HTML             string // the HTML part
	Date             time.Time
}

// Sender delivers a message. A nil error means the mail server accepted it; a
// *PermanentError that it refused the message for good, so that it is not retried.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// PermanentError is a refusal that another attempt cannot change: the recipient's server
// answered that the mailbox does not exist or takes no mail (an SMTP 5xx to RCPT TO).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent tells whether err, or an error it wraps, is a PermanentError.
func Permanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Defaults of a Dispatcher's zero fields.
const (
	DefaultLease       = 10 * time.Minute
	DefaultBatch       = 100
	DefaultBackoffBase = 30 * time.Second
	DefaultBackoffMax  = time.Hour
)

// Dispatcher sends activation emails when they fall due (R-ACT-4: never before the usage
// start). Each email is claimed with a lease, sent, then marked sent; a failed send is
// released for a retry after a back-off; a claim abandoned by a crash is taken again once its
// lease runs out. Delivery is at least once: a crash after the server accepted a message but
// before it was marked sent sends it again (with the same Message-ID, so clients can tell).
type Dispatcher struct {
	Store   *models.Store
	Sender  Sender
	BaseURL string // the activation page, for example https://portal.example.com/activate
	Now     func() time.Time
	Log     *slog.Logger
	// Lease is how long a claim keeps other dispatchers off an email. It must be longer than
	// the slowest send (an SMTP sender takes at most about twice its timeout). Default 10m.
	Lease time.Duration
	// Batch is the most emails one RunOnce sends. Default 100.
	Batch int
	// BackoffBase and BackoffMax shape the retry delay: base*2^(attempt-1), at most max, of
	// which a random half is taken off (jitter), so failed emails do not retry in step.
	BackoffBase, BackoffMax time.Duration
	// Jitter returns a number in [0, 1); nil means math/rand/v2.
	Jitter func() float64
	// Counted, when set, hears each email claimed ("due") and its outcome ("sent", accepted by
	// the mail server, "failed", released for a retry, or "bounced", refused for good and
	// parked): the metrics.
	Counted func(event string)
}

func (d *Dispatcher) count(event string) {
	if d.Counted != nil {
		d.Counted(event)
	}
}

// RunOnce sends every email due now, up to Batch; it returns how many the server accepted.
// Emails are claimed one at a time, so a lease covers one send, not a whole batch.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	batch := d.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	sent := 0
	for range batch {
		due, err := d.Store.ClaimDueEmails(ctx, d.Now().UTC(), d.lease(), 1)
		if err != nil || len(due) == 0 {
			return sent, err
		}
		d.count("due")
		outcome, err := d.deliver(ctx, due[0])
		if outcome == "sent" {
			sent++
		}
		d.count(outcome)
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// deliver sends one claimed email and records the outcome: "sent" (the server accepted it),
// "bounced" (refused for good: parked, never retried) or "failed" (released for a retry).
func (d *Dispatcher) deliver(ctx context.Context, m models.DueEmail) (outcome string, err error) {
	link := d.BaseURL + "?token=" + url.QueryEscape(m.Token)
	attrs := []any{"enrollment", m.EnrollmentNumber, "recipient_domain", recipientDomain(m.Recipient), "trigger", string(m.EmailTrigger), "attempt", m.Attempts}
	msg, err := Compose(m, link, d.Now().UTC())
	if err == nil {
		err = d.Sender.Send(ctx, msg)
	}
	// The outcome is recorded even when ctx ended (shutdown): a lost release only delays the
	// retry until the lease runs out, but there is no reason to wait for that.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err != nil {
		why := Redact(err.Error(), msg)
		if Permanent(err) && m.ClaimID != nil {
			d.Log.WarnContext(ctx, "activation email refused for good; parked until the subscription contact is fixed", append(attrs, "err", why)...)
			return "bounced", d.Store.MarkEmailBounced(rec, m.ID, *m.ClaimID, d.Now().UTC(), why)
		}
		next := d.Now().UTC().Add(d.backoff(m.Attempts))
		d.Log.WarnContext(ctx, "activation email not delivered; will retry", append(attrs, "next_attempt", next, "err", why)...)
		if m.ClaimID == nil {
			return "failed", nil
		}
		return "failed", d.Store.ReleaseEmail(rec, m.ID, *m.ClaimID, next, why)
	}
	if err := d.Store.MarkEmailSent(rec, m.ID, d.Now().UTC()); err != nil {
		// Accepted but not recorded: the lease runs out and the email goes again.
		d.Log.ErrorContext(ctx, "activation email accepted but not marked sent; it will be sent again", append(attrs, "err", Redact(err.Error(), msg))...)
		return "sent", err
	}
	d.Log.InfoContext(ctx, "activation email sent", attrs...)
	return "sent", nil
}

func (d *Dispatcher) lease() time.Duration {
	if d.Lease > 0 {
		return d.Lease
	}
	return DefaultLease
}

// backoff is the delay before the next attempt after the attempt-th failed one.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	base, limit := d.BackoffBase, d.BackoffMax
	if base <= 0 {
		base = DefaultBackoffBase
	}
	if limit <= 0 {
		limit = DefaultBackoffMax
	}
	return periodic.Backoff(attempt, base, limit, d.Jitter)
}

// Run calls RunOnce every interval until ctx ends.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) {
	periodic.Every(ctx, interval, func(ctx context.Context) {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.Log.ErrorContext(ctx, "dispatching activation emails", "err", Redact(err.Error(), Message{}))
		}
	})
}
