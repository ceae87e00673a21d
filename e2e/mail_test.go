package e2e

// Activation email through a real SMTP server (issue 13, R-ACT-1, R-ACT-4, R-ACT-7, R-ACT-8,
// R-ACT-9): the message arrives in the customer's language with a link that activates the
// enrollment through the API; refusals and dropped connections are retried until exactly one
// message is accepted; a dispatcher that dies between claiming and sending loses nothing;
// several dispatchers on one database send each email once; logs carry no token, link or
// address.

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/mail"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/testdb"
)

const mailBaseURL = "https://portal.example.com/activate"

// mailWorld is a reseller whose customer "Fabrikam AB" writes in lang ("" leaves the language
// out), with agreement A-1, enrollment E-1 (OSM olivia@fabrikam.com) and an account whose
// domain is not the OSM's (so the first order sends an email, R-ACT-2 does not apply).
func (e *env) mailWorld(lang string) world {
	e.t.Helper()
	w := world{}
	w.Key, w.ResellerID = e.newReseller("Nordic reseller")
	in := map[string]any{"organizationName": "Fabrikam AB", "country": "SE"}
	if lang != "" {
		in["language"] = lang
	}
	c := e.mutate(w.Key, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id language } `+ueSel+` } }`, vars(in))
	want := lang
	if want == "" {
		want = "en"
	}
	if got := str(c, "customer", "language"); got != want {
		e.t.Fatalf("customer language %q, want %q", got, want)
	}
	w.CustomerID = str(c, "customer", "id")
	w.AgreementID = e.createAgreement(w.Key, w.CustomerID, "ENTERPRISE", "A-1")
	w.EnrollmentID = e.enroll(w.Key, w.AgreementID, "E-1", "Fabrikam AB", "olivia@fabrikam.com")
	w.AccountID = e.createAccount(w.Key, w.CustomerID, "Fabrikam tenant", "US", []string{"fabrikam-tenant.com"})
	return w
}

// mailDispatcher dispatches with the server clock, a 10-minute lease and a back-off of
// 1m*2^(n-1) (at most 10m) with no jitter: the first retry comes 30s after the failure, then
// 60s, 120s...
func (e *env) mailDispatcher(s *models.Store, sender mail.Sender, logs *logCapture) *mail.Dispatcher {
	if logs == nil {
		logs = &logCapture{}
	}
	return &mail.Dispatcher{Store: s, Sender: sender, BaseURL: mailBaseURL, Now: func() time.Time { return *e.clock.Load() },
		Log: logs.Logger(), Lease: 10 * time.Minute, BackoffBase: time.Minute, BackoffMax: 10 * time.Minute, Jitter: func() float64 { return 0 }}
}

// smtpSender is the sender SMTP_URL describes for srv.
func smtpSender(t testing.TB, srv *smtpServer) mail.Sender {
	t.Helper()
	s, mode, err := mail.NewSender(mail.Config{SMTPURL: srv.smtpURL(), Production: true})
	if err != nil || mode != mail.ModeSMTP {
		t.Fatalf("smtp sender: %v (mode %q)", err, mode)
	}
	return s
}

// dispatchAt runs the dispatcher once at an instant and returns how many the server accepted.
func (e *env) dispatchAt(t testing.TB, d *mail.Dispatcher, at time.Time) int {
	t.Helper()
	e.SetNow(at)
	n, err := d.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("dispatch at %s: %v", at, err)
	}
	return n
}

// wantSentAt asserts E-1's one activation email and when it was recorded sent ("" for not).
func (e *env) wantSentAt(t testing.TB, key, sentAt string) {
	t.Helper()
	ems := e.wantEmailCount(t, key, "E-1", 1)
	if got, _ := ems[0]["sentAt"].(string); got != sentAt {
		t.Fatalf("sentAt %q, want %q", got, sentAt)
	}
}

func TestActivationEmailSMTP(t *testing.T) {
	for _, c := range []struct {
		name, lang, want string
		phrase           string // the call to action, in the customer's language
		expiry           string // the link expiry sentence (R-ACT-8)
	}{
		{"swedish", "sv", "sv", "Logga in eller registrera dig för att börja använda ditt nya abonnemang:", "Länken gäller till 2027-05-23 00:00 UTC."},
		{"german", "de", "de", "Melden Sie sich an oder registrieren Sie sich, um Ihr neues Abonnement zu nutzen:", "Der Link ist gültig bis 2027-05-23 00:00 UTC."},
		{"danish", "da", "da", "Log på eller tilmeld dig for at begynde at bruge dit nye abonnement:", "Linket er gyldigt indtil 2027-05-23 00:00 UTC."},
		{"english", "en", "en", "Sign in or sign up to start using your new subscription:", "The link expires at 2027-05-23 00:00 UTC."},
		{"no_language_is_english", "", "en", "Sign in or sign up to start using your new subscription:", "The link expires at 2027-05-23 00:00 UTC."},
	} {
		ruleCase(t, "R-ACT-1_"+c.name+"_customer_gets_its_language_and_the_link_activates", func(t *testing.T, e *env) {
			srv := startSMTP(t, &smtpServer{}, nil, false)
			w := e.mailWorld(c.lang)
			e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
			d := e.mailDispatcher(e.Store, smtpSender(t, srv), nil)
			if n := e.dispatchAt(t, d, t0.Add(time.Hour)); n != 1 {
				t.Fatalf("dispatched %d, want 1", n)
			}
			got := srv.Accepted()
			if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "olivia@fabrikam.com" || got[0].From != "licensing@reseller.example" {
				t.Fatalf("accepted %+v", got)
			}
			m := parseMail(t, got[0].Data)
			if s := m.Header.Get("Subject"); s != activationSubject {
				t.Errorf("Subject %q, want %q", s, activationSubject)
			}
			if l := m.Header.Get("Content-Language"); l != c.want {
				t.Errorf("Content-Language %q, want %q", l, c.want)
			}
			if !strings.Contains(m.HTML, `<html lang="`+c.want+`">`) {
				t.Errorf("HTML part not in %s: %q", c.want, m.HTML)
			}
			for _, want := range []string{c.phrase, c.expiry, "OSM of E-1", "Fabrikam AB", "E-1"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text part lacks %q: %q", want, m.Text)
				}
			}
			for _, other := range []string{"Sign in or sign up", "Logga in", "Melden Sie sich", "Log på"} {
				if !strings.Contains(c.phrase, other) && strings.Contains(m.Text, other) {
					t.Errorf("a %s text part contains %q: %q", c.want, other, m.Text)
				}
			}
			e.wantSentAt(t, w.Key, "2026-11-23T10:00:00Z")
			_, token := mailLink(t, m)
			e.SetNow(t0.Add(2 * time.Hour))
			wantAssociation(t, e.activate(w.Key, token, w.AccountID), w.AccountID, "LINK", "2026-11-23T11:00:00Z")
		})
	}

	ruleCase(t, "R-ACT-1_unknown_language_is_refused_with_a_code", func(t *testing.T, e *env) {
		key, _ := e.newReseller("Nordic reseller")
		doc := `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } ` + ueSel + ` } }`
		for _, lang := range []string{"fr", "SV", "", "english"} {
			ue := e.refused(key, doc, vars(map[string]any{"organizationName": "Fabrikam AB", "country": "SE", "language": lang}))
			onlyUserError(t, ue, "UNKNOWN_VALUE", "language")
		}
	})
}

func TestActivationEmailRetries(t *testing.T) {
	ruleCase(t, "R-ACT-1_refused_and_dropped_sends_are_retried_with_backoff_until_one_is_accepted", func(t *testing.T, e *env) {
		srv := startSMTP(t, &smtpServer{faults: []smtpFault{faultRcpt4xx, faultData5xx, faultDrop}}, nil, false)
		w := e.mailWorld("sv")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		d := e.mailDispatcher(e.Store, smtpSender(t, srv), nil)
		// Attempt n fails at t; the next is due 30s*2^(n-1) later, not a second before.
		steps := []struct {
			at       time.Duration // after t0
			sessions int           // the server's connections so far
			accepted int
		}{
			{0, 1, 0},                // 451 at RCPT TO
			{29 * time.Second, 1, 0}, // back-off: not yet
			{30 * time.Second, 2, 0}, // 554 after DATA
			{89 * time.Second, 2, 0},
			{90 * time.Second, 3, 0}, // connection cut during DATA
			{209 * time.Second, 3, 0},
			{210 * time.Second, 4, 1}, // accepted
			{time.Hour, 4, 1},         // and never again
		}
		for _, s := range steps {
			n := e.dispatchAt(t, d, t0.Add(s.at))
			if srv.Sessions() != s.sessions || len(srv.Accepted()) != s.accepted || (n == 1) != (s.at == 210*time.Second) {
				t.Fatalf("at +%s: %d sessions, %d accepted, dispatcher says %d; want %d sessions, %d accepted",
					s.at, srv.Sessions(), len(srv.Accepted()), n, s.sessions, s.accepted)
			}
			if s.accepted == 0 {
				e.wantSentAt(t, w.Key, "") // R-ACT-1: not sent until the server accepted it
			}
		}
		e.wantSentAt(t, w.Key, "2026-11-23T09:03:30Z")
		m := parseMail(t, srv.Accepted()[0].Data)
		if !strings.Contains(m.Text, "Logga in eller registrera dig") {
			t.Errorf("retried message lost its language: %q", m.Text)
		}
		e.activateByMail(t, w, m, "2026-11-23T10:00:00Z")
	})
}

// claimedEmail is a world whose customer writes in lang, with one activation email due at t0
// and claimed there for lease by a dispatcher that does no more, and an SMTP server to send to.
func (e *env) claimedEmail(t *testing.T, lang string, lease time.Duration) (*smtpServer, world, []models.DueEmail) {
	t.Helper()
	srv := startSMTP(t, &smtpServer{}, nil, false)
	w := e.mailWorld(lang)
	e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
	claimed, err := e.Store.ClaimDueEmails(context.Background(), t0, lease, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %d claimed", err, len(claimed))
	}
	return srv, w, claimed
}

func TestActivationEmailCrash(t *testing.T) {
	const lease = 10 * time.Minute
	ruleCase(t, "R-ACT-1_a_claim_abandoned_before_sending_is_sent_once_after_its_lease", func(t *testing.T, e *env) {
		// A dispatcher claims the email and dies before sending: nothing sent, nothing released.
		srv, w, _ := e.claimedEmail(t, "de", lease)
		d := e.mailDispatcher(e.Store, smtpSender(t, srv), nil)
		if n := e.dispatchAt(t, d, t0.Add(lease-time.Second)); n != 0 || srv.Sessions() != 0 {
			t.Fatalf("sent while the dead dispatcher's lease lives: %d sent, %d sessions", n, srv.Sessions())
		}
		e.wantSentAt(t, w.Key, "")
		if n := e.dispatchAt(t, d, t0.Add(lease)); n != 1 {
			t.Fatalf("after the lease: %d sent, want 1", n)
		}
		if n := e.dispatchAt(t, d, t0.Add(time.Hour)); n != 0 || len(srv.Accepted()) != 1 {
			t.Fatalf("sent again: %d, %d accepted", n, len(srv.Accepted()))
		}
		e.wantSentAt(t, w.Key, "2026-11-23T09:10:00Z")
		m := parseMail(t, srv.Accepted()[0].Data)
		if m.Header.Get("Content-Language") != "de" {
			t.Errorf("Content-Language %q", m.Header.Get("Content-Language"))
		}
		e.activateByMail(t, w, m, "2026-11-23T10:00:00Z")
	})

	ruleCase(t, "R-ACT-1_a_crash_after_the_server_accepted_sends_again_at_least_once", func(t *testing.T, e *env) {
		srv, w, claimed := e.claimedEmail(t, "da", lease)
		// The server accepts, then the dispatcher dies before marking the email sent.
		msg, err := mail.Compose(claimed[0], mailBaseURL+"?token="+claimed[0].Token, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := smtpSender(t, srv).Send(context.Background(), msg); err != nil {
			t.Fatalf("send: %v", err)
		}
		d := e.mailDispatcher(e.Store, smtpSender(t, srv), nil)
		if n := e.dispatchAt(t, d, t0.Add(lease)); n != 1 {
			t.Fatalf("after the lease: %d sent, want 1", n)
		}
		got := srv.Accepted()
		if len(got) != 2 {
			t.Fatalf("accepted %d, want 2 (at least once)", len(got))
		}
		first, second := parseMail(t, got[0].Data), parseMail(t, got[1].Data)
		if id := first.Header.Get("Message-Id"); id == "" || id != second.Header.Get("Message-Id") {
			t.Errorf("a resend has its own Message-ID: %q vs %q", id, second.Header.Get("Message-Id"))
		}
		e.wantSentAt(t, w.Key, "2026-11-23T09:10:00Z")
		// Both links work: whichever the customer follows activates (R-ACT-9).
		_, token := mailLink(t, first)
		wantAssociation(t, e.activate(w.Key, token, w.AccountID), w.AccountID, "LINK", "2026-11-23T09:10:00Z")
	})
}

func TestActivationEmailExpiredLinkWaitsForSupport(t *testing.T) {
	ruleCase(t, "R-ACT-8_no_email_with_an_expired_link_until_support_reenables_it", func(t *testing.T, e *env) {
		srv := startSMTP(t, &smtpServer{}, nil, false)
		w := e.mailWorld("sv")
		// Purchased 2026-05-01, processed 2026-11-23: the link expired on 2026-11-01.
		e.buy(w.Key, "E-1", "o1", "2026-05-01", "2026-05-01", "O365-E3", 10)
		d := e.mailDispatcher(e.Store, smtpSender(t, srv), nil)
		for _, at := range []time.Duration{0, time.Hour, 3 * 24 * time.Hour} {
			if n := e.dispatchAt(t, d, t0.Add(at)); n != 0 || srv.Sessions() != 0 {
				t.Fatalf("an email with an expired link went out at +%s", at)
			}
		}
		e.wantSentAt(t, w.Key, "")
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(3*24*time.Hour), "LINK_EXPIRED", reason{"LINK_EXPIRED", "CONTACT_SUPPORT", ""})
		reenabled := t0.Add(4 * 24 * time.Hour)
		e.SetNow(reenabled)
		e.mutate(e.Operator, reenableDoc, map[string]any{"n": "E-1", "u": "2027-01-31T00:00:00Z"})
		if n := e.dispatchAt(t, d, reenabled); n != 1 {
			t.Fatalf("after the re-enable: %d sent, want 1", n)
		}
		m := parseMail(t, srv.Accepted()[0].Data)
		if !strings.Contains(m.Text, "Länken gäller till 2027-01-31 00:00 UTC.") {
			t.Errorf("the email does not give the re-enabled expiry: %q", m.Text)
		}
		e.activateByMail(t, w, m, "2026-11-27T09:00:00Z")
	})
}

// TestActivationEmailDispatchersShareOneDatabase: dispatchers with stores of their own (as
// on separate nodes) on one database, sending concurrently: every email is accepted once.
func TestActivationEmailDispatchersShareOneDatabase(t *testing.T) {
	url := testdb.SQLite(t)
	if dsn := testdb.MySQLDSN(); dsn != "" {
		url = testdb.MySQL(t, dsn)
	} else {
		t.Log("TEST_MYSQL_DSN not set: running on SQLite; CI runs this on MariaDB")
	}
	e := newEnv(t, testenv.Open(t, url))
	srv := startSMTP(t, &smtpServer{delay: 20 * time.Millisecond}, nil, false)
	w := e.mailWorld("en")
	const emails = 12
	for i := range emails {
		n := fmt.Sprintf("E-%d", i+1)
		if i > 0 {
			e.enroll(w.Key, w.AgreementID, n, "Fabrikam AB", fmt.Sprintf("osm%d@fabrikam.com", i+1))
		}
		e.buyToday(w.Key, n, "o"+n, "O365-E3", 1)
	}
	const nodes = 4
	var wg sync.WaitGroup
	errs := make(chan error, nodes)
	for range nodes {
		d := e.mailDispatcher(testenv.Open(t, url), smtpSender(t, srv), nil)
		d.Batch = 2 // several rounds each, interleaved with the other nodes
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range emails {
				if _, err := d.RunOnce(context.Background()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("dispatcher: %v", err)
	}
	seen := map[string]int{}
	for _, r := range srv.Accepted() {
		seen[r.To[0]]++
	}
	if len(seen) != emails {
		t.Errorf("%d recipients got mail, want %d: %v", len(seen), emails, seen)
	}
	for to, n := range seen {
		if n != 1 {
			t.Errorf("%s got %d messages, want 1", to, n)
		}
	}
}

// TestActivationEmailLogsNoSecrets: every log line of the dispatcher and of the senders (SMTP
// refusing with the address in its answer, SMTP accepting, .eml files, the log mode) names the
// enrollment and the recipient's domain, and never a token, a link or the full address.
func TestActivationEmailLogsNoSecrets(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		logs := &logCapture{}
		srv := startSMTP(t, &smtpServer{faults: []smtpFault{faultRcptEchoes, faultData5xx}}, nil, false)
		w := e.mailWorld("sv")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.enroll(w.Key, w.AgreementID, "E-2", "Fabrikam AB", "oscar@fabrikam.com")
		e.buyToday(w.Key, "E-2", "o2", "O365-E3", 10)

		smtpD := e.mailDispatcher(e.Store, smtpSender(t, srv), logs)
		smtpD.Batch = 1
		e.dispatchAt(t, smtpD, t0)                  // E-1: 452 quoting the address
		e.dispatchAt(t, smtpD, t0.Add(time.Second)) // E-2: 554
		e.dispatchAt(t, smtpD, t0.Add(time.Hour))   // E-1 accepted
		e.dispatchAt(t, smtpD, t0.Add(time.Hour))   // E-2 accepted

		// Two more emails: E-3's first, and E-1's to its new contact (R-ACT-7).
		e.enroll(w.Key, w.AgreementID, "E-3", "Fabrikam AB", "otto@fabrikam.com")
		e.buyToday(w.Key, "E-3", "o3", "O365-E3", 10)
		e.updateContact(w.Key, "E-1", "Olivia", "olivia.new@fabrikam.com")
		dir := t.TempDir()
		fileSender, _, err := mail.NewSender(mail.Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		fileD := e.mailDispatcher(e.Store, fileSender, logs)
		fileD.Batch = 1
		e.dispatchAt(t, fileD, t0.Add(2*time.Hour))
		logSender, _, err := mail.NewSender(mail.Config{Log: logs.Logger()})
		if err != nil {
			t.Fatal(err)
		}
		e.dispatchAt(t, e.mailDispatcher(e.Store, logSender, logs), t0.Add(2*time.Hour))
		for _, n := range []string{"E-2", "E-3"} {
			if ems := e.wantEmailCount(t, w.Key, n, 1); ems[0]["sentAt"] == nil {
				t.Errorf("%s: email not sent", n)
			}
		}

		// The messages themselves carry the links; the logs must not.
		var tokens []string
		for _, r := range srv.Accepted() {
			_, tok := mailLink(t, parseMail(t, r.Data))
			tokens = append(tokens, tok)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, f := range files {
			data, _ := os.ReadFile(f)
			_, tok := mailLink(t, parseMail(t, data))
			tokens = append(tokens, tok)
		}
		if len(tokens) != 3 {
			t.Fatalf("want 3 delivered messages (2 SMTP, 1 file), got %d", len(tokens))
		}
		lines := logs.Lines()
		hexRun := regexp.MustCompile(`[0-9a-f]{32,}`)
		for _, l := range lines {
			for _, secret := range append(tokens, "olivia@", "oscar@", "otto@", "olivia.new@", "token=", mailBaseURL) {
				if strings.Contains(l, secret) {
					t.Errorf("log line shows %q: %s", secret, l)
				}
			}
			if hexRun.MatchString(l) {
				t.Errorf("log line shows a long hex run: %s", l)
			}
		}
		// And the lines are there, saying what happened.
		for _, want := range []string{"enrollment=E-1", "enrollment=E-2", "enrollment=E-3", "recipient_domain=fabrikam.com", "trigger=FIRST_ORDER",
			"trigger=CONTACT_UPDATED", "Recipient address rejected", "not delivered (log mail mode)"} {
			if !strings.Contains(strings.Join(lines, "\n"), want) {
				t.Errorf("no log line says %q:\n%s", want, strings.Join(lines, "\n"))
			}
		}
	})
}

// TestSMTPSenderTLS: STARTTLS (mandatory) and implicit TLS (smtps) with AUTH PLAIN, a wrong
// password refused, and a server without STARTTLS refused when STARTTLS is mandatory.
func TestSMTPSenderTLS(t *testing.T) {
	serverTLS, roots := testCA(t)
	msg := mail.Message{ID: 1, To: "olivia@fabrikam.com", Subject: activationSubject, EnrollmentNumber: "E-1", Language: "en",
		Link: mailBaseURL + "?token=abc", Text: "text " + mailBaseURL + "?token=abc", HTML: `<a href="` + mailBaseURL + `?token=abc">x</a>`, Date: t0}
	send := func(t *testing.T, rawURL string) error {
		cfg, err := mail.ParseSMTPURL(rawURL)
		if err != nil {
			t.Fatalf("parse %s: %v", rawURL, err)
		}
		cfg.TLSConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		s, err := mail.NewSMTPSender(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s.Send(context.Background(), msg)
	}
	t.Run("starttls_with_auth", func(t *testing.T) {
		srv := startSMTP(t, &smtpServer{user: "mailer", pass: "p@ss:word"}, serverTLS, false)
		if err := send(t, "smtp://mailer:p%40ss%3Aword@"+srv.Addr+"?from=licensing@reseller.example"); err != nil || len(srv.Accepted()) != 1 {
			t.Fatalf("send: %v, %d accepted", err, len(srv.Accepted()))
		}
		if err := send(t, "smtp://mailer:wrong@"+srv.Addr+"?from=licensing@reseller.example"); err == nil || len(srv.Accepted()) != 1 {
			t.Fatalf("a wrong password was accepted: %v", err)
		} else if strings.Contains(err.Error(), "wrong") {
			t.Errorf("the error shows the password: %v", err)
		}
	})
	t.Run("implicit_tls_with_auth", func(t *testing.T) {
		srv := startSMTP(t, &smtpServer{user: "mailer", pass: "secret"}, serverTLS, true)
		if err := send(t, "smtps://mailer:secret@"+srv.Addr+"?from=licensing@reseller.example"); err != nil || len(srv.Accepted()) != 1 {
			t.Fatalf("send: %v, %d accepted", err, len(srv.Accepted()))
		}
	})
	t.Run("mandatory_starttls_refuses_a_plain_server", func(t *testing.T) {
		srv := startSMTP(t, &smtpServer{}, nil, false)
		if err := send(t, "smtp://"+srv.Addr+"?from=licensing@reseller.example"); err == nil || !strings.Contains(err.Error(), "STARTTLS") || len(srv.Accepted()) != 0 {
			t.Fatalf("sent without TLS: %v, %d accepted", err, len(srv.Accepted()))
		}
	})
}
