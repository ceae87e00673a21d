package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP settings bounds.
const (
	DefaultSMTPTimeout = 30 * time.Second
	MaxSMTPTimeout     = 2 * time.Minute
	maxSMTPURL         = 2048
)

// SMTPConfig is a parsed SMTP_URL.
type SMTPConfig struct {
	Host        string
	Port        int
	ImplicitTLS bool             // smtps://: TLS from the first byte
	StartTLS    gomail.TLSPolicy // smtp://: mandatory, opportunistic or none
	Username    string
	Password    string
	Auth        gomail.SMTPAuthType // with a user: AUTODISCOVER unless auth= names one
	From        string
	Timeout     time.Duration // per connection; a send takes at most about twice this
	// TLSConfig overrides the TLS settings (tests trust their own CA); nil: the system's roots.
	TLSConfig *tls.Config
}

var startTLSPolicies = map[string]gomail.TLSPolicy{"mandatory": gomail.TLSMandatory, "opportunistic": gomail.TLSOpportunistic, "none": gomail.NoTLS}

var authTypes = map[string]gomail.SMTPAuthType{"auto": gomail.SMTPAuthAutoDiscover, "plain": gomail.SMTPAuthPlain, "login": gomail.SMTPAuthLogin,
	"cram-md5": gomail.SMTPAuthCramMD5, "scram-sha-1": gomail.SMTPAuthSCRAMSHA1, "scram-sha-256": gomail.SMTPAuthSCRAMSHA256}

// ParseSMTPURL reads SMTP_URL (at most 2048 characters):
//
//	smtp://user:pass@host:587?from=...   STARTTLS (port 587 by default)
//	smtps://user:pass@host:465?from=...  implicit TLS (port 465 by default)
//
// Query options: from (the From address, "Name <addr>" allowed), starttls
// (mandatory|opportunistic|none, smtp:// only; default mandatory; none is for a plain local
// test server), timeout (a Go duration, 1s to 2m; default 30s) and auth
// (auto|plain|login|cram-md5|scram-sha-1|scram-sha-256; default auto when a user is given).
// User and password are URL-encoded. Over an unencrypted connection (starttls=none) auto picks
// only challenge-response mechanisms (SCRAM, CRAM-MD5), never PLAIN or LOGIN. Errors never show
// the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	var c SMTPConfig
	if len(raw) > maxSMTPURL {
		return c, fmt.Errorf("SMTP_URL: longer than %d characters", maxSMTPURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return c, errors.New("SMTP_URL: not a URL; use smtp://user:pass@host:587?from=... or smtps://user:pass@host:465?from=...")
	}
	switch u.Scheme {
	case "smtp":
		c.Port, c.StartTLS = gomail.DefaultPortTLS, gomail.TLSMandatory
	case "smtps":
		c.Port, c.ImplicitTLS, c.StartTLS = gomail.DefaultPortSSL, true, gomail.NoTLS
	default:
		return c, fmt.Errorf("SMTP_URL %s: the scheme must be smtp (STARTTLS) or smtps (implicit TLS)", u.Redacted())
	}
	if c.Host = u.Hostname(); c.Host == "" {
		return c, fmt.Errorf("SMTP_URL %s: no host", u.Redacted())
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port < 1 || c.Port > 65535 {
			return c, fmt.Errorf("SMTP_URL %s: port %q is not 1 to 65535", u.Redacted(), p)
		}
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		c.Auth = gomail.SMTPAuthAutoDiscover
	}
	c.Timeout = DefaultSMTPTimeout
	if err := c.applyQuery(u); err != nil {
		return c, fmt.Errorf("SMTP_URL %s: %w", u.Redacted(), err)
	}
	return c, nil
}

func (c *SMTPConfig) applyQuery(u *url.URL) error {
	for k, vs := range u.Query() {
		v := vs[0]
		switch k {
		case "from":
			if _, err := mail.ParseAddress(v); err != nil {
				return fmt.Errorf("from %q is not an email address", v)
			}
			c.From = v
		case "starttls":
			p, ok := startTLSPolicies[strings.ToLower(v)]
			if !ok {
				return fmt.Errorf("starttls %q: use mandatory, opportunistic or none", v)
			}
			if c.ImplicitTLS && p != gomail.NoTLS {
				return errors.New("starttls applies to smtp:// only; smtps:// is TLS from the start")
			}
			c.StartTLS = p
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > MaxSMTPTimeout {
				return fmt.Errorf("timeout %q: use a duration from 1s to %s", v, MaxSMTPTimeout)
			}
			c.Timeout = d
		case "auth":
			a, ok := authTypes[strings.ToLower(v)]
			if !ok {
				return fmt.Errorf("auth %q: use auto, plain, login, cram-md5, scram-sha-1 or scram-sha-256", v)
			}
			if c.Username == "" {
				return errors.New("auth needs a user: smtp://user:pass@host")
			}
			c.Auth = a
		default:
			return fmt.Errorf("unknown option %q (from, starttls, timeout, auth)", k)
		}
	}
	return nil
}

// SMTPSender delivers through one SMTP server, one connection per message.
type SMTPSender struct{ cfg SMTPConfig }

// NewSMTPSender checks the configuration; it does not connect.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, errors.New("SMTP: no From address; set from= in SMTP_URL or MAIL_FROM")
	}
	s := &SMTPSender{cfg: cfg}
	if _, err := s.client(); err != nil {
		return nil, err
	}
	return s, nil
}

// Addr is the server's host:port, for a start-up log line (no credentials).
func (s *SMTPSender) Addr() string { return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)) }

func (s *SMTPSender) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.cfg.Timeout)}
	if s.cfg.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(s.cfg.StartTLS))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(s.cfg.Auth), gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	if s.cfg.TLSConfig != nil {
		tc := s.cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = s.cfg.Host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("SMTP client: %w", err)
	}
	return c, nil
}

// Send delivers m; nil means the server accepted it (250 after DATA). A permanent refusal of
// the recipient (a 5xx answer to RCPT TO: no such mailbox, a domain that takes no mail) is a
// *PermanentError; everything else (4xx, a refusal of the message itself, a broken connection,
// our own sender or login refused) is worth a retry.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg, err := m.mime(s.cfg.From)
	if err != nil {
		return err
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	err = c.DialAndSendWithContext(ctx, msg)
	var se *gomail.SendError
	if errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && !se.IsTemp() && se.ErrorCode() >= 500 {
		return &PermanentError{Err: err}
	}
	return err
}

// mime builds the multipart/alternative message: text, then HTML.
func (m Message) mime(from string) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, errors.New("the recipient is not a valid email address")
	}
	msg.Subject(m.Subject)
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date)
	// One Message-ID per activation email, whatever the attempt: a duplicate from an
	// at-least-once retry is recognisable as the same message.
	idDomain := "localhost"
	if a, err := mail.ParseAddress(from); err == nil {
		idDomain = recipientDomain(a.Address)
	}
	msg.SetMessageIDWithValue(fmt.Sprintf("activation-%d@%s", m.ID, idDomain))
	msg.SetGenHeader(gomail.HeaderContentLang, string(m.Language))
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}
