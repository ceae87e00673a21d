package mail

import (
	"context"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
)

var (
	// An address as mail servers quote it in errors ("<olivia@fabrikam.com>: mailbox full").
	addressPattern = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)`)
	// Long hex runs: activation tokens are 64 hex digits.
	hexRunPattern = regexp.MustCompile(`[0-9a-fA-F]{32,}`)
)

// Redact removes from s (an error text, typically a mail server's answer) what logs and
// stored errors must not carry: the message's link and token, and every email address,
// of which only the domain is kept.
func Redact(s string, m Message) string {
	if m.Link != "" {
		s = strings.ReplaceAll(s, m.Link, "[link]")
		if u, err := url.Parse(m.Link); err == nil {
			if tok := u.Query().Get("token"); tok != "" {
				s = strings.ReplaceAll(s, tok, "[token]")
			}
		}
	}
	s = addressPattern.ReplaceAllString(s, "***@$1")
	return hexRunPattern.ReplaceAllString(s, "[hex]")
}

// LogSender does not deliver: it logs that an email would go, naming the enrollment, the
// recipient's domain and the trigger only. For development without a mail server; use the
// file mode to get the messages themselves.
type LogSender struct{ Log *slog.Logger }

func (l LogSender) Send(ctx context.Context, m Message) error {
	l.Log.InfoContext(ctx, "activation email not delivered (log mail mode)", "enrollment", m.EnrollmentNumber,
		"recipient_domain", recipientDomain(m.To), "trigger", string(m.Trigger), "language", string(m.Language))
	return nil
}
