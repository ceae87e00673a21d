// Package mail sends activation emails. Delivery to a real mail server is a later step; it
// only needs another Sender.
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/licensing-api/licensing-api/models"
)

// Message is one activation email as it leaves the system.
type Message struct {
	To               string
	Subject          string
	EnrollmentNumber string
	Link             string // carries the activation token (R-ACT-9)
	Body             string
}

// Sender delivers a message.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender "delivers" by logging, for development: the link is in the log line.
type LogSender struct{ Log *slog.Logger }

func (l LogSender) Send(ctx context.Context, m Message) error {
	l.Log.InfoContext(ctx, "activation email", "to", m.To, "subject", m.Subject, "enrollment", m.EnrollmentNumber, "link", m.Link)
	return nil
}

// Dispatcher sends activation emails when they fall due (R-ACT-4: never before the usage start).
type Dispatcher struct {
	Store   *models.Store
	Sender  Sender
	BaseURL string // the activation page, for example https://portal.example.com/activate
	Now     func() time.Time
	Log     *slog.Logger
}

// RunOnce sends every email due now; it returns how many went.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	due, err := d.Store.ClaimDueEmails(ctx, d.Now().UTC(), 100)
	sent := 0
	for _, m := range due {
		link := d.BaseURL + "?token=" + url.QueryEscape(m.Token)
		msg := Message{To: m.Recipient, Subject: m.Subject, EnrollmentNumber: m.EnrollmentNumber, Link: link,
			Body: fmt.Sprintf("Your new subscription on enrollment %s is ready.\nSign in or sign up to start using it: %s\n", m.EnrollmentNumber, link)}
		if serr := d.Sender.Send(ctx, msg); serr != nil {
			d.Log.WarnContext(ctx, "activation email not delivered; will retry", "enrollment", m.EnrollmentNumber, "err", serr)
			if rerr := d.Store.ReleaseEmail(ctx, m.ID); rerr != nil {
				return sent, rerr
			}
			continue
		}
		sent++
	}
	return sent, err
}

// Run calls RunOnce every interval until ctx ends.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.Log.ErrorContext(ctx, "dispatching activation emails", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
