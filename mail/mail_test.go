package mail

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
	gomail "github.com/wneessen/go-mail"
)

func TestParseSMTPURL(t *testing.T) {
	good := []struct {
		url  string
		want SMTPConfig
	}{
		{"smtp://mailer:s3cret@mail.example.com?from=licensing@example.com",
			SMTPConfig{Host: "mail.example.com", Port: 587, StartTLS: gomail.TLSMandatory, Username: "mailer", Password: "s3cret", Auth: gomail.SMTPAuthAutoDiscover,
				From: "licensing@example.com", Timeout: DefaultSMTPTimeout}},
		{"smtps://mailer:p%40ss@mail.example.com?from=Licensing+%3Clicensing@example.com%3E&timeout=10s&auth=plain",
			SMTPConfig{Host: "mail.example.com", Port: 465, ImplicitTLS: true, StartTLS: gomail.NoTLS, Username: "mailer", Password: "p@ss", Auth: gomail.SMTPAuthPlain,
				From: "Licensing <licensing@example.com>", Timeout: 10 * time.Second}},
		{"smtp://127.0.0.1:2525?starttls=none", SMTPConfig{Host: "127.0.0.1", Port: 2525, StartTLS: gomail.NoTLS, Timeout: DefaultSMTPTimeout}},
		{"smtp://mail.example.com:25?starttls=opportunistic&timeout=2m", SMTPConfig{Host: "mail.example.com", Port: 25, StartTLS: gomail.TLSOpportunistic, Timeout: 2 * time.Minute}},
	}
	for _, c := range good {
		got, err := ParseSMTPURL(c.url)
		if err != nil || got != c.want {
			t.Errorf("%s:\n got %+v (%v)\nwant %+v", c.url, got, err, c.want)
		}
	}
	bad := []struct{ url, says string }{
		{"http://mailer:s3cret@mail.example.com", "scheme"},
		{"smtp://mailer:s3cret@:587", "no host"},
		{"smtp://mailer:s3cret@mail.example.com:0", "port"},
		{"smtp://mailer:s3cret@mail.example.com?starttls=maybe", "starttls"},
		{"smtps://mailer:s3cret@mail.example.com?starttls=mandatory", "smtp:// only"},
		{"smtp://mailer:s3cret@mail.example.com?timeout=0s", "timeout"},
		{"smtp://mailer:s3cret@mail.example.com?timeout=3m", "timeout"},
		{"smtp://mailer:s3cret@mail.example.com?from=nobody", "from"},
		{"smtp://mailer:s3cret@mail.example.com?auth=magic", "auth"},
		{"smtp://mail.example.com?auth=plain", "needs a user"},
		{"smtp://mailer:s3cret@mail.example.com?tls=on", "unknown option"},
		{"smtp://mailer:s3cret@mail.example.com?from=" + strings.Repeat("a", 2100), "longer than"},
	}
	for _, c := range bad {
		_, err := ParseSMTPURL(c.url)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%.80s: error %v, want one saying %q", c.url, err, c.says)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%.80s: the error shows the password: %v", c.url, err)
		}
	}
}

func TestNewSender(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	smtpURL := "smtp://mailer:s3cret@mail.example.com?from=licensing@example.com"
	good := []struct {
		cfg  Config
		mode Mode
	}{
		{Config{SMTPURL: smtpURL, Production: true}, ModeSMTP},
		{Config{SMTPURL: "smtp://mail.example.com", From: "licensing@example.com", Production: true}, ModeSMTP}, // MAIL_FROM
		{Config{Dir: t.TempDir()}, ModeFile},
		{Config{Log: logger}, ModeLog},
		{Config{Mode: ModeLog, SMTPURL: smtpURL, Log: logger}, ModeLog},
	}
	for _, c := range good {
		s, mode, err := NewSender(c.cfg)
		if err != nil || s == nil || mode != c.mode {
			t.Errorf("%+v: %v, mode %q; want mode %q", c.cfg, err, mode, c.mode)
		}
	}
	bad := []struct {
		cfg  Config
		says string
	}{
		{Config{Log: logger, Production: true}, "production needs a real mail server"},
		{Config{Dir: t.TempDir(), Production: true}, "production needs a real mail server"},
		{Config{Mode: ModeFile, SMTPURL: smtpURL, Dir: t.TempDir(), Production: true}, "production needs a real mail server"},
		{Config{SMTPURL: smtpURL, Dir: t.TempDir()}, "not both"},
		{Config{SMTPURL: "smtp://mailer:s3cret@mail.example.com"}, "no From address"},
		{Config{SMTPURL: smtpURL, From: "nobody"}, "MAIL_FROM"},
		{Config{Mode: ModeSMTP}, "needs SMTP_URL"},
		{Config{Mode: "pigeon", Log: logger}, "unknown mode"},
	}
	for _, c := range bad {
		_, _, err := NewSender(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%+v: error %v, want one saying %q", c.cfg, err, c.says)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func dueEmail(lang licensing.Language) models.DueEmail {
	exp := time.Date(2027, 5, 23, 0, 0, 0, 0, time.UTC)
	return models.DueEmail{ActivationEmail: models.ActivationEmail{ID: 42, Recipient: "olivia@fabrikam.com", Subject: licensing.ActivationEmailSubject,
		EmailTrigger: licensing.EmailTriggerFirstOrder}, EnrollmentNumber: "E-1", OrganizationName: "Fabrikam <AB> & Co", RecipientName: "Olivia",
		Language: lang, LinkExpiresAt: &exp, Token: "abc"}
}

func TestCompose(t *testing.T) {
	link := "https://portal.example.com/activate?token=" + strings.Repeat("ab", 32)
	calls := map[licensing.Language]string{
		licensing.LanguageEnglish: "Sign in or sign up to start using your new subscription:",
		licensing.LanguageSwedish: "Logga in eller registrera dig för att börja använda ditt nya abonnemang:",
		licensing.LanguageGerman:  "Melden Sie sich an oder registrieren Sie sich, um Ihr neues Abonnement zu nutzen:",
		licensing.LanguageDanish:  "Log på eller tilmeld dig for at begynde at bruge dit nye abonnement:",
		"fr":                      "Sign in or sign up to start using your new subscription:", // unknown: English
		"":                        "Sign in or sign up to start using your new subscription:",
	}
	for lang, call := range calls {
		m, err := Compose(dueEmail(lang), link, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("%q: %v", lang, err)
		}
		want := lang
		if !lang.Valid() {
			want = licensing.LanguageEnglish
		}
		if m.Language != want || m.Subject != licensing.ActivationEmailSubject || m.To != "olivia@fabrikam.com" || m.Link != link {
			t.Errorf("%q: message %+v", lang, m)
		}
		for _, s := range []string{call, link, "E-1", "Olivia", "Fabrikam <AB> & Co", "2027-05-23 00:00 UTC"} {
			if !strings.Contains(m.Text, s) {
				t.Errorf("%q: text lacks %q: %s", lang, s, m.Text)
			}
		}
		// The HTML escapes the customer's name and links the token.
		for _, s := range []string{`<html lang="` + string(want) + `">`, `href="` + link + `"`, "Fabrikam &lt;AB&gt; &amp; Co"} {
			if !strings.Contains(m.HTML, s) {
				t.Errorf("%q: HTML lacks %q: %s", lang, s, m.HTML)
			}
		}
	}
	// No name and a link that does not expire.
	d := dueEmail(licensing.LanguageSwedish)
	d.RecipientName, d.LinkExpiresAt = "", nil
	m, err := Compose(d, link, time.Now())
	if err != nil || !strings.HasPrefix(m.Text, "Hej,\n") || strings.Contains(m.Text, "Länken gäller") {
		t.Errorf("no name, no expiry: %v %q", err, m.Text)
	}
}

func TestBackoff(t *testing.T) {
	d := &Dispatcher{BackoffBase: time.Minute, BackoffMax: 10 * time.Minute}
	for _, c := range []struct {
		attempt int
		full    time.Duration // before jitter takes up to half off
	}{{1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute}, {4, 8 * time.Minute}, {5, 10 * time.Minute}, {40, 10 * time.Minute}} {
		for _, j := range []float64{0, 0.5, 0.999} {
			d.Jitter = func() float64 { return j }
			got := d.backoff(c.attempt)
			want := c.full/2 + time.Duration(j*float64(c.full/2))
			if got != want {
				t.Errorf("attempt %d, jitter %v: %s, want %s", c.attempt, j, got, want)
			}
		}
	}
	d.Jitter = nil // real randomness stays within [full/2, full)
	for range 100 {
		if got := d.backoff(3); got < 2*time.Minute || got >= 4*time.Minute {
			t.Fatalf("attempt 3: %s outside [2m, 4m)", got)
		}
	}
}

func TestRedact(t *testing.T) {
	tok := strings.Repeat("0f", 32)
	m := Message{To: "olivia@fabrikam.com", Link: "https://portal.example.com/activate?token=" + tok}
	in := "550 5.1.1 <olivia@fabrikam.com>: rejected, affected recipient(s): Olivia@Fabrikam.com, link " + m.Link + " token " + tok + " other " + strings.Repeat("a1", 20)
	got := Redact(in, m)
	for _, secret := range []string{"olivia@", "Olivia@", tok, m.Link, strings.Repeat("a1", 20)} {
		if strings.Contains(got, secret) {
			t.Errorf("redacted %q still shows %q", got, secret)
		}
	}
	if !strings.Contains(got, "***@fabrikam.com") || !strings.Contains(got, "550 5.1.1") {
		t.Errorf("redacted too much: %q", got)
	}
}

func TestFileSender(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	s, mode, err := NewSender(Config{Dir: dir})
	if err != nil || mode != ModeFile {
		t.Fatalf("file sender: %v %q", err, mode)
	}
	m, err := Compose(dueEmail(licensing.LanguageGerman), "https://portal.example.com/activate?token=abc", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 || !strings.HasSuffix(files[0].Name(), ".eml") || strings.Contains(files[0].Name(), "olivia") {
		t.Fatalf("files %v", files)
	}
	info, _ := files[0].Info()
	if info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v: the link is a secret, owner only", info.Mode().Perm())
	}
	data, _ := os.ReadFile(filepath.Join(dir, files[0].Name()))
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Subject") != licensing.ActivationEmailSubject || msg.Header.Get("To") != "<olivia@fabrikam.com>" ||
		msg.Header.Get("From") != "\"Licensing\" <no-reply@licensing.invalid>" || msg.Header.Get("Content-Language") != "de" ||
		msg.Header.Get("Message-Id") != "<activation-42@licensing.invalid>" {
		t.Errorf("headers %v", msg.Header)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		body, _ := io.ReadAll(p)
		if !strings.Contains(string(body), "Melden Sie sich an") {
			t.Errorf("%s part not German: %q", ct, body)
		}
		types = append(types, ct)
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Errorf("parts %v, want text/plain,text/html", types)
	}
}

func TestLogSenderLogsNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	m, _ := Compose(dueEmail(licensing.LanguageDanish), "https://portal.example.com/activate?token=abcdef", time.Now())
	if err := (LogSender{Log: slog.New(slog.NewJSONHandler(&buf, nil))}).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	for _, s := range []string{"olivia@", "abcdef", "portal.example.com"} {
		if strings.Contains(line, s) {
			t.Errorf("log line shows %q: %s", s, line)
		}
	}
	for _, s := range []string{`"enrollment":"E-1"`, `"recipient_domain":"fabrikam.com"`, `"trigger":"FIRST_ORDER"`} {
		if !strings.Contains(line, s) {
			t.Errorf("log line lacks %s: %s", s, line)
		}
	}
}
