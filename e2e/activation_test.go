package e2e

// Activation end to end (R-ACT-1..13, R-ENR-1..5): each rule is proved by a subtest named by
// its ID, built through the GraphQL API on every engine of the run, checking activationStatus
// (state, reasons, actions, instants) and the records (emails, association). Activation tokens
// come from a mail.Dispatcher run in the test with a capturing sender.

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Activation emails (R-ACT-1, R-ACT-4 to R-ACT-7): whether one goes, to whom, and when.
func TestActivationEmails(t *testing.T) {
	ruleCase(t, "R-ACT-1_first_processed_order_emails_the_OSM_once", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.wantEmailCount(t, w.Key, "E-1", 0)
		// A placed order sends nothing: only processing does.
		oid := str(e.place(w.Key, "E-1", "o1", "2026-11-23", "2026-11-23", "O365-E3", 10), "id")
		e.wantEmailCount(t, w.Key, "E-1", 0)
		e.process(oid)

		enr := e.readEnrollment(w.Key, "E-1")
		ems := emailsOf(enr)
		if len(ems) != 1 {
			t.Fatalf("want one activation email after the first processed order, got %v", ems)
		}
		wantEmail(t, ems[0], "olivia@fabrikam.com", "FIRST_ORDER", t0s, t0Plus48h, "")
		wantAssociation(t, enr, "", "", "")
		if enr["originalPurchaseDate"] != "2026-11-23" || enr["activationLinkExpiresAt"] != linkExpiryT0 {
			t.Errorf("originalPurchaseDate/activationLinkExpiresAt = %v / %v", enr["originalPurchaseDate"], enr["activationLinkExpiresAt"])
		}

		// A second processed order creates no email.
		e.SetNow(t0.Add(hour))
		e.buyToday(w.Key, "E-1", "o2", "INTUNE", 5)
		e.wantEmailCount(t, w.Key, "E-1", 1)
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(hour), "AWAITING_EMAIL",
			reason{"EMAIL_PENDING", "WAIT", t0Plus48h},
			reason{"LICENSES_PENDING", "WAIT", "2026-11-23T22:00:00Z"}, // INTUNE, processed at +1h
			reason{"LICENSES_PENDING", "WAIT", t0Pending})              // O365-E3

		// The dispatcher sends it once, with the exact subject, to the OSM, with a token link.
		msgs := e.dispatch(t, t0.Add(2*hour))
		if len(msgs) != 1 || msgs[0].To != "olivia@fabrikam.com" || msgs[0].EnrollmentNumber != "E-1" ||
			!strings.HasPrefix(msgs[0].Link, "http://x/activate?token=") {
			t.Fatalf("dispatched %+v", msgs)
		}
		tokenOf(t, msgs[0])
		if again := e.dispatch(t, t0.Add(3*hour)); len(again) != 0 {
			t.Errorf("a sent email went again: %+v", again)
		}
		ems = e.wantEmailCount(t, w.Key, "E-1", 1)
		wantEmail(t, ems[0], "olivia@fabrikam.com", "FIRST_ORDER", t0s, t0Plus48h, "2026-11-23T11:00:00Z")
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(2*hour), "EMAIL_SENT", reason{"EMAIL_SENT", "ACTIVATE", linkExpiryT0},
			reason{"LICENSES_PENDING", "WAIT", "2026-11-23T22:00:00Z"}, reason{"LICENSES_PENDING", "WAIT", t0Pending})
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(13*hour), "EMAIL_SENT", reason{"EMAIL_SENT", "ACTIVATE", linkExpiryT0})

		// A third order, after the email went, creates none either.
		e.SetNow(t0.Add(4 * hour))
		e.buyToday(w.Key, "E-1", "o3", "O365-E3", 2)
		e.wantEmailCount(t, w.Key, "E-1", 1)
	})
	ruleCase(t, "R-ACT-4_no_email_before_usage_start_then_within_48h", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buy(w.Key, "E-1", "o1", "2026-11-23", "2026-12-01", "O365-E3", 10)
		ems := e.wantEmailCount(t, w.Key, "E-1", 1)
		wantEmail(t, ems[0], "olivia@fabrikam.com", "FIRST_ORDER", "2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z", "")

		usage := reason{"USAGE_START_IN_FUTURE", "WAIT", "2026-12-01T00:00:00Z"}
		// The same enrollment at several instants, before the dispatcher ran.
		e.wantStatusAt(t, w.Key, "E-1", t0, "AWAITING_USAGE_START", usage, reason{"LICENSES_PENDING", "WAIT", t0Pending})
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC), "AWAITING_USAGE_START", usage)
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "AWAITING_EMAIL", reason{"EMAIL_PENDING", "WAIT", "2026-12-03T00:00:00Z"})
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), "AWAITING_EMAIL", reason{"EMAIL_PENDING", "WAIT", "2026-12-03T00:00:00Z"})
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), "AWAITING_EMAIL", reason{"EMAIL_OVERDUE", "CONTACT_SUPPORT", ""})

		// The dispatcher sends nothing before the usage start.
		e.wantNoEmails(t, time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC), "email sent before the usage start")
		e.SetNow(time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC))
		msgs := e.dispatch(t, time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC))
		if len(msgs) != 1 || msgs[0].To != "olivia@fabrikam.com" {
			t.Fatalf("dispatched %+v", msgs)
		}
		ems = e.wantEmailCount(t, w.Key, "E-1", 1)
		wantEmail(t, ems[0], "olivia@fabrikam.com", "FIRST_ORDER", "2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z", "2026-12-01T06:00:00Z")

		// After it went: the same instants again, plus after six months.
		sent := reason{"EMAIL_SENT", "ACTIVATE", linkExpiryT0}
		e.wantStatusAt(t, w.Key, "E-1", t0, "AWAITING_USAGE_START", usage, reason{"LICENSES_PENDING", "WAIT", t0Pending})
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), "AWAITING_EMAIL", reason{"EMAIL_PENDING", "WAIT", "2026-12-01T06:00:00Z"})
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC), "EMAIL_SENT", sent)
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), "EMAIL_SENT", sent)
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2027, 5, 22, 23, 59, 59, 0, time.UTC), "EMAIL_SENT", sent)
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2027, 5, 23, 0, 0, 0, 0, time.UTC), "LINK_EXPIRED", reason{"LINK_EXPIRED", "CONTACT_SUPPORT", ""})
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC), "LINK_EXPIRED", reason{"LINK_EXPIRED", "CONTACT_SUPPORT", ""})

		// Without asOf the status is evaluated at the server clock.
		e.SetNow(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
		st := statusFrom(t, e.ok(w.Key, statusNowDoc, map[string]any{"n": "E-1"}))
		if st.AsOf != "2026-12-02T00:00:00Z" {
			t.Errorf("default asOf = %q, want the server clock", st.AsOf)
		}
		wantStatus(t, st, "EMAIL_SENT", sent)
	})
	ruleCase(t, "R-ACT-4_contact_update_and_resend_wait_for_usage_start", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buy(w.Key, "E-1", "o1", "2026-11-23", "2026-12-01", "O365-E3", 10)
		e.SetNow(t0.Add(hour))
		p := e.updateContact(w.Key, "E-1", "Nina", "nina@fabrikam.com")
		wantEmail(t, p["email"].(map[string]any), "nina@fabrikam.com", "CONTACT_UPDATED", "2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z", "")
		e.SetNow(t0.Add(2 * hour))
		wantEmail(t, e.resend(w.Key, "E-1"), "nina@fabrikam.com", "ADMIN_RESEND", "2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z", "")
		e.wantNoEmails(t, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), "emails sent before the usage start")
		msgs := e.dispatch(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		if got := recipients(msgs); !reflect.DeepEqual(got, []string{"nina@fabrikam.com", "nina@fabrikam.com", "olivia@fabrikam.com"}) {
			t.Errorf("recipients %v", got)
		}
	})
	ruleCase(t, "R-ACT-5_no_email_to_consumer_outlook_com", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.enroll(w.Key, w.AgreementID, "E-2", "Fabrikam", "Olivia@Outlook.com")
		e.buyToday(w.Key, "E-2", "o1", "O365-E3", 10)
		e.wantEmailCount(t, w.Key, "E-2", 0)
		wantAssociation(t, e.readEnrollment(w.Key, "E-2"), "", "", "")
		consumer := reason{"CONSUMER_EMAIL", "UPDATE_SUBSCRIPTION_CONTACT", ""}
		e.wantStatusAt(t, w.Key, "E-2", t0.Add(13*hour), "BLOCKED", consumer)
		e.wantStatusAt(t, w.Key, "E-2", t0.Add(10*day), "BLOCKED", consumer)
		onlyUserError(t, e.refusedPayload(t, w.Key, resendDoc, map[string]any{"n": "E-2"}, "email"), "CONSUMER_EMAIL", "enrollmentNumber")
		e.wantNoEmails(t, t0.Add(3*day), "email sent")

		// Changing the contact to an outlook.com address sends nothing either; the update stands.
		e.buyToday(w.Key, "E-1", "o2", "O365-E3", 5)
		e.SetNow(t0.Add(hour))
		p := e.updateContact(w.Key, "E-1", "Olivia", "olivia.private@outlook.com")
		if p["email"] != nil || str(p, "emailNotSentReason") == "" || str(p, "enrollment", "osm", "email") != "olivia.private@outlook.com" {
			t.Errorf("contact update to outlook.com: %v", p)
		}
		if ems := e.wantEmailCount(t, w.Key, "E-1", 1); ems[0]["trigger"] != "FIRST_ORDER" {
			t.Errorf("emails %v", ems)
		}

		// Fixing E-2's contact to a work address sends the email.
		e.SetNow(t0.Add(2 * hour))
		p = e.updateContact(w.Key, "E-2", "Olivia", "olivia@fabrikam.com")
		wantEmail(t, p["email"].(map[string]any), "olivia@fabrikam.com", "CONTACT_UPDATED", "2026-11-23T11:00:00Z", "2026-11-25T11:00:00Z", "")
		if _, ok := p["emailNotSentReason"]; !ok || p["emailNotSentReason"] != nil {
			t.Errorf("emailNotSentReason = %v, want null", p["emailNotSentReason"])
		}
	})
	ruleCase(t, "R-ACT-6_no_OSM_means_update_subscription_contact", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.enroll(w.Key, w.AgreementID, "E-2", "Fabrikam", "")
		if enr := e.readEnrollment(w.Key, "E-2"); enr["osm"] != nil {
			t.Errorf("osm = %v, want null", enr["osm"])
		}
		e.buyToday(w.Key, "E-2", "o1", "O365-E3", 10)
		e.wantEmailCount(t, w.Key, "E-2", 0)
		noOSM := reason{"NO_SUBSCRIPTION_CONTACT", "UPDATE_SUBSCRIPTION_CONTACT", ""}
		e.wantStatusAt(t, w.Key, "E-2", t0, "BLOCKED", noOSM, reason{"LICENSES_PENDING", "WAIT", t0Pending})
		e.wantStatusAt(t, w.Key, "E-2", t0.Add(13*hour), "BLOCKED", noOSM)
		e.wantStatusAt(t, w.Key, "E-2", t0.Add(9*day), "BLOCKED", noOSM)
		onlyUserError(t, e.refusedPayload(t, w.Key, resendDoc, map[string]any{"n": "E-2"}, "email"), "NO_SUBSCRIPTION_CONTACT", "enrollmentNumber")

		// The fix, ten days later: the email goes to the new contact.
		fixed := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		e.SetNow(fixed)
		p := e.updateContact(w.Key, "E-2", "Nina", "nina@fabrikam.com")
		wantEmail(t, p["email"].(map[string]any), "nina@fabrikam.com", "CONTACT_UPDATED", "2026-12-03T09:00:00Z", "2026-12-05T09:00:00Z", "")
		if got := get(p, "enrollment", "osm"); !reflect.DeepEqual(got, map[string]any{"name": "Nina", "email": "nina@fabrikam.com"}) {
			t.Errorf("osm = %v", got)
		}
		// Right after the fix the email is pending within its own 48 hours, not overdue.
		e.wantStatusAt(t, w.Key, "E-2", fixed, "AWAITING_EMAIL", reason{"EMAIL_PENDING", "WAIT", "2026-12-05T09:00:00Z"})
		tok := e.sendToken(t, "E-2", fixed.Add(hour))
		if tok == "" {
			t.Fatal("no token")
		}
		e.wantStatusAt(t, w.Key, "E-2", fixed.Add(hour), "EMAIL_SENT", reason{"EMAIL_SENT", "ACTIVATE", linkExpiryT0})
	})
	ruleCase(t, "R-ACT-7_contact_update_and_admin_resend_with_recipients", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		// Before any processed order there is nothing to send.
		onlyUserError(t, e.refusedPayload(t, w.Key, resendDoc, map[string]any{"n": "E-1"}, "email"), "NO_PROCESSED_ORDER", "enrollmentNumber")
		p := e.updateContact(w.Key, "E-1", "Olivia", "olivia@fabrikam.com")
		if p["email"] != nil || str(p, "emailNotSentReason") == "" {
			t.Errorf("contact update before any order: %v", p)
		}

		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.SetNow(t0.Add(hour))
		p = e.updateContact(w.Key, "E-1", "Nina", "nina@fabrikam.com")
		wantEmail(t, p["email"].(map[string]any), "nina@fabrikam.com", "CONTACT_UPDATED", "2026-11-23T10:00:00Z", "2026-11-25T10:00:00Z", "")
		if p["emailNotSentReason"] != nil || str(p, "enrollment", "osm", "email") != "nina@fabrikam.com" {
			t.Errorf("contact update payload %v", p)
		}
		e.SetNow(t0.Add(2 * hour))
		wantEmail(t, e.resend(w.Key, "E-1"), "nina@fabrikam.com", "ADMIN_RESEND", "2026-11-23T11:00:00Z", "2026-11-25T11:00:00Z", "")

		ems := e.wantEmailCount(t, w.Key, "E-1", 3)
		wantEmail(t, ems[0], "olivia@fabrikam.com", "FIRST_ORDER", t0s, t0Plus48h, "")
		wantEmail(t, ems[1], "nina@fabrikam.com", "CONTACT_UPDATED", "2026-11-23T10:00:00Z", "2026-11-25T10:00:00Z", "")
		wantEmail(t, ems[2], "nina@fabrikam.com", "ADMIN_RESEND", "2026-11-23T11:00:00Z", "2026-11-25T11:00:00Z", "")

		msgs := e.dispatch(t, t0.Add(3*hour))
		if got := recipients(msgs); !reflect.DeepEqual(got, []string{"nina@fabrikam.com", "nina@fabrikam.com", "olivia@fabrikam.com"}) {
			t.Errorf("recipients %v", got)
		}
		tokens := map[string]bool{}
		for _, m := range msgs {
			tokens[tokenOf(t, m)] = true
		}
		if len(tokens) != 3 {
			t.Errorf("want 3 distinct tokens, got %d", len(tokens))
		}
		// Who received each email, and when.
		ems = e.wantEmailCount(t, w.Key, "E-1", 3)
		wantEmail(t, ems[0], "olivia@fabrikam.com", "FIRST_ORDER", t0s, t0Plus48h, "2026-11-23T12:00:00Z")
		wantEmail(t, ems[1], "nina@fabrikam.com", "CONTACT_UPDATED", "2026-11-23T10:00:00Z", "2026-11-25T10:00:00Z", "2026-11-23T12:00:00Z")
		wantEmail(t, ems[2], "nina@fabrikam.com", "ADMIN_RESEND", "2026-11-23T11:00:00Z", "2026-11-25T11:00:00Z", "2026-11-23T12:00:00Z")
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(3*hour), "EMAIL_SENT", reason{"EMAIL_SENT", "ACTIVATE", linkExpiryT0},
			reason{"LICENSES_PENDING", "WAIT", t0Pending})
	})
}

// The activation link (R-ACT-8, R-ACT-9): when it expires, who may use it.
func TestActivationLinks(t *testing.T) {
	ruleCase(t, "R-ACT-8_link_expires_six_months_after_purchase_support_reenables", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		// Purchased 2026-10-15, processed 2026-11-23: the link lives six months from the purchase.
		e.buy(w.Key, "E-1", "o1", "2026-10-15", "2026-10-15", "O365-E3", 10)
		enr := e.readEnrollment(w.Key, "E-1")
		if enr["originalPurchaseDate"] != "2026-10-15" || enr["activationLinkExpiresAt"] != "2027-04-15T00:00:00Z" {
			t.Errorf("originalPurchaseDate/activationLinkExpiresAt = %v / %v", enr["originalPurchaseDate"], enr["activationLinkExpiresAt"])
		}
		tok := e.sendToken(t, "E-1", t0)
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2027, 4, 14, 23, 59, 59, 0, time.UTC), "EMAIL_SENT", reason{"EMAIL_SENT", "ACTIVATE", "2027-04-15T00:00:00Z"})
		expired := reason{"LINK_EXPIRED", "CONTACT_SUPPORT", ""}
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2027, 4, 15, 0, 0, 0, 0, time.UTC), "LINK_EXPIRED", expired)

		e.SetNow(time.Date(2027, 4, 15, 0, 0, 0, 0, time.UTC))
		e.refuseActivation(t, w.Key, tok, w.AccountID, nil, "LINK_EXPIRED", "token")
		wantAssociation(t, e.readEnrollment(w.Key, "E-1"), "", "", "")
		onlyUserError(t, e.refusedPayload(t, w.Key, resendDoc, map[string]any{"n": "E-1"}, "email"), "LINK_EXPIRED", "enrollmentNumber")

		// Only support re-enables it.
		e.SetNow(time.Date(2027, 4, 20, 9, 0, 0, 0, time.UTC))
		r := e.do(w.Key, reenableDoc, map[string]any{"n": "E-1", "u": "2027-05-01T00:00:00Z"})
		if r.errCode() != "FORBIDDEN" {
			t.Errorf("reseller re-enable: want FORBIDDEN, got %s", r.Raw)
		}
		if got := e.readEnrollment(w.Key, "E-1")["activationLinkExpiresAt"]; got != "2027-04-15T00:00:00Z" {
			t.Errorf("a refused re-enable changed the expiry to %v", got)
		}
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2027, 4, 20, 9, 0, 0, 0, time.UTC), "LINK_EXPIRED", expired)
		onlyUserError(t, e.refusedPayload(t, e.Operator, reenableDoc, map[string]any{"n": "E-1", "u": "2027-04-01T00:00:00Z"}, "enrollment"), "INVALID", "validUntil")
		p := e.mutate(e.Operator, reenableDoc, map[string]any{"n": "E-1", "u": "2027-05-01T00:00:00Z"})
		if got := str(p, "enrollment", "activationLinkExpiresAt"); got != "2027-05-01T00:00:00Z" {
			t.Errorf("re-enabled expiry %q", got)
		}
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2027, 4, 20, 9, 0, 0, 0, time.UTC), "EMAIL_SENT", reason{"EMAIL_SENT", "ACTIVATE", "2027-05-01T00:00:00Z"})
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), "LINK_EXPIRED", expired)

		wantAssociation(t, e.activate(w.Key, tok, w.AccountID), w.AccountID, "LINK", "2027-04-20T09:00:00Z")
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2027, 4, 20, 9, 0, 0, 0, time.UTC), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", ""})
	})
	// Clarification R-ACT-8: no email goes out with an expired link; the status says so and that
	// support can re-enable it, and the re-enable sends the email.
	ruleCase(t, "R-ACT-8_no_email_with_an_expired_link_status_says_why_and_a_reenable_sends_it", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		// Purchased 2026-05-01, processed 2026-11-23: the link expired on 2026-11-01.
		e.buy(w.Key, "E-1", "o1", "2026-05-01", "2026-05-01", "O365-E3", 10)
		expired := reason{"LINK_EXPIRED", "CONTACT_SUPPORT", ""}
		for _, at := range []time.Time{t0.Add(13 * hour), t0.Add(day)} { // 12 hours on, the licenses are no longer pending
			e.wantNoEmails(t, at, "an email with an expired link went out")
			st := e.wantStatusAt(t, w.Key, "E-1", at, "LINK_EXPIRED", expired)
			if m := st.Reasons[0].Message; !strings.Contains(m, "was not sent") || !strings.Contains(m, "support can re-enable") {
				t.Errorf("LINK_EXPIRED message %q: want it to say the email was not sent and that support can re-enable the link", m)
			}
		}
		wantEmail(t, e.wantEmailCount(t, w.Key, "E-1", 1)[0], "olivia@fabrikam.com", "FIRST_ORDER", t0s, t0Plus48h, "")
		onlyUserError(t, e.refusedPayload(t, w.Key, resendDoc, map[string]any{"n": "E-1"}, "email"), "LINK_EXPIRED", "enrollmentNumber")

		reenabled := t0.Add(2 * day)
		e.SetNow(reenabled)
		e.mutate(e.Operator, reenableDoc, map[string]any{"n": "E-1", "u": "2027-01-31T00:00:00Z"})
		// On its way again, with 48 hours of its own.
		e.wantStatusAt(t, w.Key, "E-1", reenabled, "AWAITING_EMAIL", reason{"EMAIL_PENDING", "WAIT", dateTime(reenabled.Add(48 * hour))})
		msgs := e.dispatch(t, reenabled)
		wantEmail(t, e.wantEmailCount(t, w.Key, "E-1", 1)[0], "olivia@fabrikam.com", "FIRST_ORDER", dateTime(reenabled), dateTime(reenabled.Add(48*hour)), dateTime(reenabled))
		e.wantStatusAt(t, w.Key, "E-1", reenabled, "EMAIL_SENT", reason{"EMAIL_SENT", "ACTIVATE", "2027-01-31T00:00:00Z"})
		wantAssociation(t, e.activate(w.Key, tokenFor(t, msgs, "E-1"), w.AccountID), w.AccountID, "LINK", dateTime(reenabled))
	})
	ruleCase(t, "R-ACT-8_month_end_purchase_expires_on_last_day_of_month", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buy(w.Key, "E-1", "o1", "2026-08-31", "2026-08-31", "O365-E3", 10)
		if got := e.readEnrollment(w.Key, "E-1")["activationLinkExpiresAt"]; got != "2027-02-28T00:00:00Z" {
			t.Errorf("activationLinkExpiresAt = %v, want 2027-02-28T00:00:00Z", got)
		}
		// A later order with an earlier purchase date does not change the original purchase date.
		e.SetNow(t0.Add(hour))
		e.buy(w.Key, "E-1", "o2", "2026-03-01", "2026-03-01", "INTUNE", 1)
		if enr := e.readEnrollment(w.Key, "E-1"); enr["originalPurchaseDate"] != "2026-08-31" {
			t.Errorf("originalPurchaseDate = %v", enr["originalPurchaseDate"])
		}
	})
	ruleCase(t, "R-ACT-9_anyone_holding_the_link_activates", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		msgs := e.dispatch(t, t0)
		if len(msgs) != 1 || msgs[0].To != "olivia@fabrikam.com" {
			t.Fatalf("dispatched %+v", msgs)
		}
		tok := tokenOf(t, msgs[0])

		// Another reseller's key: the token reads as unknown, like a made-up one.
		o := e.newWorld("Other reseller", "ENTERPRISE", "A-1", "E-1")
		e.refuseActivation(t, o.Key, tok, o.AccountID, nil, "NOT_FOUND", "token")
		e.refuseActivation(t, w.Key, strings.Repeat("ab", 32), w.AccountID, nil, "NOT_FOUND", "token")
		wantAssociation(t, e.readEnrollment(w.Key, "E-1"), "", "", "")

		// Forwarded to a colleague, who activates onto a new account of their own.
		e.SetNow(t0.Add(hour))
		before := e.customerAccounts(w.Key, w.CustomerID)
		enr := e.activateNew(w.Key, tok, newAccountIn("Colleague tenant", "US", nil, admin("Carl", "carl@contoso-it.com", "GLOBAL_ADMIN")))
		if str(enr, "account", "name") != "Colleague tenant" || str(enr, "account", "id") == w.AccountID {
			t.Errorf("activated onto %v", enr["account"])
		}
		wantAssociation(t, enr, str(enr, "account", "id"), "LINK", "2026-11-23T10:00:00Z")
		if after := e.customerAccounts(w.Key, w.CustomerID); after != before+1 {
			t.Errorf("customer accounts %d -> %d", before, after)
		}
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(13*hour), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", ""})
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(30*time.Minute), "EMAIL_SENT", reason{"EMAIL_SENT", "ACTIVATE", linkExpiryT0},
			reason{"LICENSES_PENDING", "WAIT", t0Pending})
	})
}

// Provisioning without an email (R-ACT-2, R-ACT-3, R-ACT-10).
func TestAutomaticProvisioning(t *testing.T) {
	ruleCase(t, "R-ACT-2_verified_domain_auto_provisions_without_email", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		corp := e.createAccount(w.Key, w.CustomerID, "Fabrikam corp", "US", []string{"fabrikam.com"})
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)

		enr := e.readEnrollment(w.Key, "E-1")
		wantAssociation(t, enr, corp, "VERIFIED_DOMAIN", t0s)
		e.wantEmailCount(t, w.Key, "E-1", 0)
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(13*hour), "AUTO_PROVISIONED", reason{"AUTO_PROVISIONED_VERIFIED_DOMAIN", "ASSIGN_LICENSES", ""})
		e.wantNoEmails(t, t0.Add(3*day), "auto-provisioned enrollment got an email")
		wantSubs(t, "account", e.accountSubs(w.Key, corp, t0.Add(13*hour)),
			subRow{Enrollment: "E-1", SKU: "O365-E3", Status: "ACTIVE", Quantity: 10, Licensed: 10})
		wantSubs(t, "world account", e.accountSubs(w.Key, w.AccountID, t0.Add(13*hour)))
	})
	ruleCase(t, "R-ACT-2_admin_email_auto_provisions_without_email", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		// The OSM (olivia@fabrikam.com) is a global administrator; case does not matter.
		adm := e.createAccount(w.Key, w.CustomerID, "Olivia's tenant", "US", nil, admin("Olivia", "Olivia@Fabrikam.com", "GLOBAL_ADMIN"))
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		wantAssociation(t, e.readEnrollment(w.Key, "E-1"), adm, "ADMIN_EMAIL", t0s)
		e.wantEmailCount(t, w.Key, "E-1", 0)
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(13*hour), "AUTO_PROVISIONED", reason{"AUTO_PROVISIONED_ADMIN_EMAIL", "ASSIGN_LICENSES", ""})
		e.wantStatusAt(t, w.Key, "E-1", t0, "AUTO_PROVISIONED", reason{"AUTO_PROVISIONED_ADMIN_EMAIL", "ASSIGN_LICENSES", ""},
			reason{"LICENSES_PENDING", "WAIT", t0Pending})

		// A billing administrator counts too.
		e.enroll(w.Key, w.AgreementID, "E-2", "Fabrikam", "bill@fabrikam-billing.com")
		bill := e.createAccount(w.Key, w.CustomerID, "Billing tenant", "US", nil, admin("Bill", "bill@fabrikam-billing.com", "BILLING_ADMIN"))
		e.buyToday(w.Key, "E-2", "o2", "INTUNE", 3)
		wantAssociation(t, e.readEnrollment(w.Key, "E-2"), bill, "ADMIN_EMAIL", t0s)
		e.wantEmailCount(t, w.Key, "E-2", 0)
	})
	ruleCase(t, "R-ACT-2_admin_email_match_preferred_over_domain_match", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.createAccount(w.Key, w.CustomerID, "Fabrikam corp", "US", []string{"fabrikam.com"})
		adm := e.createAccount(w.Key, w.CustomerID, "Olivia's tenant", "US", nil, admin("Olivia", "olivia@fabrikam.com", "BILLING_ADMIN"))
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		wantAssociation(t, e.readEnrollment(w.Key, "E-1"), adm, "ADMIN_EMAIL", t0s)
		e.wantEmailCount(t, w.Key, "E-1", 0)
	})
	// Clarification R-ACT-2 / R-ACT-12: automatic provisioning makes the checks of the link; an
	// account that cannot take the enrollment does not get it, and the status says BLOCKED.
	// Decision: the activation email then goes to the OSM, to activate onto another or a new account.
	ruleCase(t, "R-ACT-2_R-ACT-12_not_provisioned_onto_an_account_where_a_sku_is_not_sold", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1") // OSM olivia@fabrikam.com
		br := e.createAccount(w.Key, w.CustomerID, "Fabrikam Brasil", "BR", []string{"fabrikam.com"})
		e.buyToday(w.Key, "E-1", "o1", "D365-SALES-PRO", 5, "O365-E3", 10)
		wantAssociation(t, e.readEnrollment(w.Key, "E-1"), "", "", "")
		if subs, n := e.accountSubsBySKU(w.Key, br, time.Time{}); n != 0 {
			t.Fatalf("the Brasil account got licenses: %v", subs)
		}
		wantEmail(t, e.wantEmailCount(t, w.Key, "E-1", 1)[0], "olivia@fabrikam.com", "FIRST_ORDER", t0s, t0Plus48h, "")
		blocked := []reason{{"PROVISIONING_BLOCKED", "ACTIVATE", ""}, {"SKU_NOT_AVAILABLE_IN_COUNTRY", "CONTACT_RESELLER", ""}}
		st := e.wantStatusAt(t, w.Key, "E-1", t0.Add(13*hour), "BLOCKED", append([]reason{{"EMAIL_PENDING", "WAIT", t0Plus48h}}, blocked...)...)
		if reasonAccount(t, st, "PROVISIONING_BLOCKED") != br || reasonAccount(t, st, "SKU_NOT_AVAILABLE_IN_COUNTRY") != br ||
			!strings.Contains(reasonOf(st, "PROVISIONING_BLOCKED").Message, "another account or a new one") {
			t.Errorf("reasons must name the Brasil account and say how to go on: %v", reasonMessages(st))
		}
		tok := e.sendToken(t, "E-1", t0.Add(13*hour))
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(14*hour), "BLOCKED", append([]reason{{"EMAIL_SENT", "ACTIVATE", linkExpiryT0}}, blocked...)...)
		e.refuseActivation(t, w.Key, tok, br, nil, "SKU_NOT_AVAILABLE_IN_COUNTRY", "accountId")
		e.SetNow(t0.Add(14 * hour))
		wantAssociation(t, e.activate(w.Key, tok, w.AccountID), w.AccountID, "LINK", "")
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(14*hour), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", ""})
	})
	ruleCase(t, "R-ACT-2_R-ACT-12_not_provisioned_onto_an_account_holding_an_incompatible_sku", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		corp := e.createAccount(w.Key, w.CustomerID, "Fabrikam corp", "US", []string{"fabrikam.com"})
		e.direct(w.Key, corp, "M365-E3", 5, "2027-11-30", true)
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10) // cannot coexist with M365-E3
		wantAssociation(t, e.readEnrollment(w.Key, "E-1"), "", "", "")
		if subs, _ := e.accountSubsBySKU(w.Key, corp, time.Time{}); subs["O365-E3"] != nil {
			t.Fatalf("O365-E3 landed beside M365-E3: %v", subs)
		}
		st := e.wantStatusAt(t, w.Key, "E-1", t0.Add(13*hour), "BLOCKED", reason{"EMAIL_PENDING", "WAIT", t0Plus48h},
			reason{"PROVISIONING_BLOCKED", "ACTIVATE", ""}, reason{"INCOMPATIBLE_SKUS", "CONTACT_RESELLER", ""})
		if reasonAccount(t, st, "INCOMPATIBLE_SKUS") != corp {
			t.Errorf("INCOMPATIBLE_SKUS names account %q, want %q", reasonAccount(t, st, "INCOMPATIBLE_SKUS"), corp)
		}
		tok := e.sendToken(t, "E-1", t0)
		e.refuseActivation(t, w.Key, tok, corp, nil, "INCOMPATIBLE_SKUS", "accountId")
		enr := e.activateNew(w.Key, tok, newAccountIn("Fabrikam Office", "US", nil))
		wantAssociation(t, enr, str(enr, "account", "id"), "LINK", "")
	})
	ruleCase(t, "R-ACT-10_R-ACT-12_renewal_not_joined_to_an_account_that_cannot_take_it", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		e.direct(w.Key, w.AccountID, "M365-E3", 5, "2027-11-30", true) // a purchase, not a provisioning: not checked
		t1 := t0.Add(2 * day)
		e.SetNow(t1)
		n := e.renew(w.Key, "E-1", "E-2", "2026-11-25", "2029-11-24", nil)["newEnrollment"].(map[string]any)
		wantAssociation(t, n, "", "", "")
		e.wantEmailCount(t, w.Key, "E-2", 1)
		st := e.wantStatusAt(t, w.Key, "E-2", t1, "BLOCKED", reason{"EMAIL_PENDING", "WAIT", "2026-11-27T09:00:00Z"},
			reason{"PROVISIONING_BLOCKED", "ACTIVATE", ""}, reason{"INCOMPATIBLE_SKUS", "CONTACT_RESELLER", ""})
		if reasonAccount(t, st, "PROVISIONING_BLOCKED") != w.AccountID {
			t.Errorf("reasons must name the old account: %v", reasonMessages(st))
		}
	})
	ruleCase(t, "R-ACT-10_renewal_onto_a_sku_incompatible_with_the_old_one_still_joins", func(t *testing.T, e *env) {
		// The renewed enrollment's own O365-E3 leaves with its grace period: M365-E3 may join.
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		e.SetNow(t0.Add(2 * day))
		n := e.renew(w.Key, "E-1", "E-2", "2026-11-25", "2029-11-24", orderLines("M365-E3", 10))["newEnrollment"].(map[string]any)
		wantAssociation(t, n, w.AccountID, "RENEWAL", "")
	})
	ruleCase(t, "R-ACT-3_after_activation_later_orders_land_there_without_email", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		tok := e.sendToken(t, "E-1", t0)
		e.SetNow(t0.Add(hour))
		wantAssociation(t, e.activate(w.Key, tok, w.AccountID), w.AccountID, "LINK", "2026-11-23T10:00:00Z")

		e.SetNow(t0.Add(2 * hour))
		e.buyToday(w.Key, "E-1", "o2", "INTUNE", 5)
		e.wantEmailCount(t, w.Key, "E-1", 1)
		e.wantNoEmails(t, t0.Add(3*hour), "an email went after activation")
		wantSubs(t, "account", e.accountSubs(w.Key, w.AccountID, t0.Add(day)),
			subRow{Enrollment: "E-1", SKU: "INTUNE", Status: "ACTIVE", Quantity: 5, Licensed: 5},
			subRow{Enrollment: "E-1", SKU: "O365-E3", Status: "ACTIVE", Quantity: 10, Licensed: 10})
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(day), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", ""})
		// Within 12 h of the later order its licenses are pending on the account.
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(3*hour), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", ""},
			reason{"LICENSES_PENDING", "WAIT", "2026-11-23T23:00:00Z"}, // INTUNE, processed at +2h
			reason{"LICENSES_PENDING", "WAIT", t0Pending})              // O365-E3, processed at t0

		// No activation email can be resent or triggered by a contact change any more.
		onlyUserError(t, e.refusedPayload(t, w.Key, resendDoc, map[string]any{"n": "E-1"}, "email"), "ALREADY_ACTIVATED", "enrollmentNumber")
		p := e.updateContact(w.Key, "E-1", "Nina", "nina@fabrikam.com")
		if p["email"] != nil || str(p, "emailNotSentReason") == "" || str(p, "enrollment", "osm", "email") != "nina@fabrikam.com" {
			t.Errorf("contact update after activation: %v", p)
		}
		e.wantEmailCount(t, w.Key, "E-1", 1)
	})
	ruleCase(t, "R-ACT-10_renewal_with_same_name_joins_old_account_without_email", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)

		t1 := t0.Add(2 * day)
		e.SetNow(t1)
		p := e.renew(w.Key, "E-1", "E-2", "2026-11-25", "2029-11-24", nil)
		n := p["newEnrollment"].(map[string]any)
		wantAssociation(t, n, w.AccountID, "RENEWAL", "2026-11-25T09:00:00Z")
		if len(emailsOf(n)) != 0 || str(n, "renewedFrom", "number") != "E-1" || str(n, "organizationName") != "Fabrikam" {
			t.Errorf("new enrollment %v", n)
		}
		e.wantEmailCount(t, w.Key, "E-2", 0)
		e.wantNoEmails(t, t1.Add(day), "renewal sent email")
		e.wantStatusAt(t, w.Key, "E-2", t1, "AUTO_PROVISIONED", reason{"AUTO_ASSOCIATED_RENEWAL", "ASSIGN_LICENSES", ""})
	})
	ruleCase(t, "R-ACT-10_several_enrollments_with_the_name_each_renewal_emails_and_activates", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.enroll(w.Key, w.AgreementID, "E-1B", "Fabrikam", "olivia@fabrikam.com")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.buyToday(w.Key, "E-1B", "o2", "INTUNE", 4)
		msgs := e.dispatch(t, t0)
		e.activate(w.Key, tokenFor(t, msgs, "E-1"), w.AccountID)
		e.activate(w.Key, tokenFor(t, msgs, "E-1B"), w.AccountID)

		t1 := t0.Add(2 * day)
		e.SetNow(t1)
		for _, r := range [][2]string{{"E-1", "E-2"}, {"E-1B", "E-2B"}} {
			p := e.renew(w.Key, r[0], r[1], "2026-11-25", "2029-11-24", nil)
			n := p["newEnrollment"].(map[string]any)
			wantAssociation(t, n, "", "", "")
			ems := emailsOf(n)
			if len(ems) != 1 {
				t.Fatalf("%s: want one activation email, got %v", r[1], ems)
			}
			wantEmail(t, ems[0], "olivia@fabrikam.com", "FIRST_ORDER", "2026-11-25T09:00:00Z", "2026-11-27T09:00:00Z", "")
		}
		// Before the email goes, each renewal says it must be activated.
		st := e.activationStatus(w.Key, "E-2", t1)
		if r := reasonOf(st, "RENEWAL_NEEDS_ACTIVATION"); r == nil || r.Action != "ACTIVATE" || r.ChangesAt != nil {
			t.Errorf("E-2 at renewal: want RENEWAL_NEEDS_ACTIVATION/ACTIVATE, got %s %v", st.State, reasonMessages(st))
		}
		msgs = e.dispatch(t, t1.Add(hour))
		if got := recipients(msgs); !reflect.DeepEqual(got, []string{"olivia@fabrikam.com", "olivia@fabrikam.com"}) {
			t.Fatalf("renewal emails to %v", got)
		}
		// Once sent, the renewal waits for someone to follow the link (the renewal has no order
		// of its own: its lines came with the renewal).
		e.wantStatusAt(t, w.Key, "E-2", t1.Add(hour), "EMAIL_SENT",
			reason{"EMAIL_SENT", "ACTIVATE", "2027-05-25T00:00:00Z"}, reason{"RENEWAL_NEEDS_ACTIVATION", "ACTIVATE", ""})

		e.SetNow(t1.Add(2 * hour))
		for _, n := range []string{"E-2", "E-2B"} {
			wantAssociation(t, e.activate(w.Key, tokenFor(t, msgs, n), w.AccountID), w.AccountID, "LINK", "2026-11-25T11:00:00Z")
			e.wantStatusAt(t, w.Key, n, t1.Add(2*hour), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", ""})
		}
	})
	ruleCase(t, "R-ACT-10_renewing_a_renewal_still_joins_without_email", func(t *testing.T, e *env) {
		// One live enrollment named Fabrikam, renewed twice: the renewed (RENEWED) predecessor
		// is not a second enrollment with that name.
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		e.SetNow(t0.Add(day))
		wantAssociation(t, e.renew(w.Key, "E-1", "E-2", "2026-11-24", "2029-11-23", nil)["newEnrollment"].(map[string]any), w.AccountID, "RENEWAL", "")
		e.SetNow(t0.Add(2 * day))
		n := e.renew(w.Key, "E-2", "E-3", "2026-11-25", "2029-11-24", nil)["newEnrollment"].(map[string]any)
		wantAssociation(t, n, w.AccountID, "RENEWAL", "2026-11-25T09:00:00Z")
		if ems := emailsOf(n); len(ems) != 0 {
			t.Errorf("second renewal got activation emails %v", ems)
		}
	})
}

// Open Value product keys (R-ACT-13).
func TestProductKeys(t *testing.T) {
	ruleCase(t, "R-ACT-13_open_value_product_keys", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("OPEN_VALUE", "V1000", "OV-1")
		o := e.buyToday(w.Key, "OV-1", "o1", "O365-E3", 10, "INTUNE", 5)
		keys, _ := o["productKeys"].([]any)
		if len(keys) != 2 {
			t.Fatalf("want one key per line, got %v", o["productKeys"])
		}
		format := regexp.MustCompile(`^[BCDFGHJKMPQRTVWXY2346789]{5}(-[BCDFGHJKMPQRTVWXY2346789]{5}){4}$`)
		for i, want := range [][2]any{{"O365-E3", 10}, {"INTUNE", 5}} {
			k := keys[i]
			if str(k, "sku", "code") != want[0] || num(k, "quantity") != want[1] || get(k, "redeemedAt") != nil || get(k, "redeemedAccount") != nil ||
				!format.MatchString(str(k, "key")) {
				t.Errorf("key %d = %v, want %v", i, k, want)
			}
		}
		k1, k2 := str(keys[0], "key"), str(keys[1], "key")
		if k1 == k2 {
			t.Fatal("keys are not distinct")
		}
		if got := get(e.ok(w.Key, orderDoc, map[string]any{"n": str(o, "number")}), "order", "productKeys"); !reflect.DeepEqual(got, o["productKeys"]) {
			t.Errorf("order(number).productKeys %v != %v", got, o["productKeys"])
		}
		// Non-Open-Value orders yield none.
		ea := e.createAgreement(w.Key, w.CustomerID, "ENTERPRISE", "A-9")
		e.enroll(w.Key, ea, "E-9", "Fabrikam", "olivia@fabrikam.com")
		if ks, _ := e.buyToday(w.Key, "E-9", "o9", "O365-E3", 1)["productKeys"].([]any); len(ks) != 0 {
			t.Errorf("ENTERPRISE order yielded keys %v", ks)
		}

		// Checked at once: unknown, and another reseller's key reads exactly like unknown.
		unknown := e.refusedPayload(t, w.Key, redeemDoc, map[string]any{"k": "BCDFG-HJKMP-QRTVW-XY234-6789B", "a": w.AccountID}, "productKey")
		onlyUserError(t, unknown, "UNKNOWN_KEY", "productKey")
		other := e.newWorld("Other reseller", "OPEN_VALUE", "V1000", "OV-1")
		foreign := e.refusedPayload(t, other.Key, redeemDoc, map[string]any{"k": k1, "a": other.AccountID}, "productKey")
		if !reflect.DeepEqual(foreign, unknown) {
			t.Errorf("another reseller's key: %+v, unknown key: %+v", foreign, unknown)
		}

		e.SetNow(t0.Add(hour))
		p := e.mutate(w.Key, redeemDoc, map[string]any{"k": k1, "a": w.AccountID})
		if str(p, "productKey", "key") != k1 || str(p, "productKey", "redeemedAt") != "2026-11-23T10:00:00Z" || str(p, "productKey", "redeemedAccount", "id") != w.AccountID {
			t.Errorf("redeemed %v", p)
		}
		wantAssociation(t, e.readEnrollment(w.Key, "OV-1"), w.AccountID, "PRODUCT_KEY", "2026-11-23T10:00:00Z")
		wantSubs(t, "account", e.accountSubs(w.Key, w.AccountID, t0.Add(13*hour)),
			subRow{Enrollment: "OV-1", SKU: "INTUNE", Status: "ACTIVE", Quantity: 5, Licensed: 5},
			subRow{Enrollment: "OV-1", SKU: "O365-E3", Status: "ACTIVE", Quantity: 10, Licensed: 10})
		// Booked by key counts as an (Open Value) activation: due a year later.
		e.wantStatusAt(t, w.Key, "OV-1", t0.Add(13*hour), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", "2027-11-23T10:00:00Z"})

		onlyUserError(t, e.refusedPayload(t, w.Key, redeemDoc, map[string]any{"k": k1, "a": w.AccountID}, "productKey"), "KEY_ALREADY_REDEEMED", "productKey")
		// Another reseller learns nothing from a redeemed key either.
		foreign = e.refusedPayload(t, other.Key, redeemDoc, map[string]any{"k": k1, "a": other.AccountID}, "productKey")
		if !reflect.DeepEqual(foreign, unknown) {
			t.Errorf("another reseller's redeemed key: %+v, unknown key: %+v", foreign, unknown)
		}
		// Keys are read case- and space-insensitively.
		e.mutate(w.Key, redeemDoc, map[string]any{"k": "  " + strings.ToLower(k2) + " ", "a": w.AccountID})
		ks, _ := get(e.ok(w.Key, orderDoc, map[string]any{"n": str(o, "number")}), "order", "productKeys").([]any)
		for _, k := range ks {
			if str(k, "redeemedAt") != "2026-11-23T10:00:00Z" || str(k, "redeemedAccount", "id") != w.AccountID {
				t.Errorf("key after redemption %v", k)
			}
		}
	})
}

// Clarification R-ACT-2 / R-ACT-12 for R-ACT-13: a product key books licenses onto an account only
// if that account can take the enrollment.
func TestProductKeysOntoAccounts(t *testing.T) {
	ruleCase(t, "R-ACT-13_R-ACT-12_a_key_is_not_redeemed_onto_an_account_that_cannot_take_it", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("OPEN_VALUE", "V1000", "OV-1")
		br := e.createAccount(w.Key, w.CustomerID, "Fabrikam Brasil", "BR", nil)
		corp := e.createAccount(w.Key, w.CustomerID, "Fabrikam corp", "US", nil)
		e.direct(w.Key, corp, "M365-E3", 5, "2027-11-30", true)
		keys, _ := e.buyToday(w.Key, "OV-1", "o1", "D365-SALES-PRO", 5, "O365-E3", 10)["productKeys"].([]any)
		k := str(keys[0], "key")
		onlyUserError(t, e.refusedPayload(t, w.Key, redeemDoc, map[string]any{"k": k, "a": br}, "productKey"), "SKU_NOT_AVAILABLE_IN_COUNTRY", "accountId")
		onlyUserError(t, e.refusedPayload(t, w.Key, redeemDoc, map[string]any{"k": k, "a": corp}, "productKey"), "INCOMPATIBLE_SKUS", "accountId")
		wantAssociation(t, e.readEnrollment(w.Key, "OV-1"), "", "", "")
		p := e.mutate(w.Key, redeemDoc, map[string]any{"k": k, "a": w.AccountID})
		if str(p, "productKey", "redeemedAccount", "id") != w.AccountID {
			t.Fatalf("redeemed %v", p)
		}
		wantAssociation(t, e.readEnrollment(w.Key, "OV-1"), w.AccountID, "PRODUCT_KEY", "")
	})
}

// Enrollments and accounts (R-ENR-1 to R-ENR-5): one account per enrollment, activating, remapping.
func TestEnrollmentsAndAccounts(t *testing.T) {
	ruleCase(t, "R-ENR-1_enrollment_on_one_account_only", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		y := e.createAccount(w.Key, w.CustomerID, "Fabrikam other", "US", nil)
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		tok := e.sendToken(t, "E-1", t0)
		e.SetNow(t0.Add(hour))
		wantAssociation(t, e.activate(w.Key, tok, w.AccountID), w.AccountID, "LINK", "2026-11-23T10:00:00Z")

		e.SetNow(t0.Add(2 * hour))
		before := e.customerAccounts(w.Key, w.CustomerID)
		e.refuseActivation(t, w.Key, tok, y, nil, "ALREADY_ACTIVATED", "accountId")
		e.refuseActivation(t, w.Key, tok, "", newAccountIn("Fabrikam third", "US", nil), "ALREADY_ACTIVATED", "accountId")
		if after := e.customerAccounts(w.Key, w.CustomerID); after != before {
			t.Errorf("a refused activation created an account: %d -> %d", before, after)
		}
		wantAssociation(t, e.readEnrollment(w.Key, "E-1"), w.AccountID, "LINK", "2026-11-23T10:00:00Z")
		if got := edgeValues(get(e.accountAt(w.Key, w.AccountID, t0), "enrollments"), "number"); !reflect.DeepEqual(got, []string{"E-1"}) {
			t.Errorf("account X enrollments %v", got)
		}
		if got := edgeValues(get(e.accountAt(w.Key, y, t0), "enrollments"), "number"); len(got) != 0 {
			t.Errorf("account Y enrollments %v", got)
		}
		// Activating again onto the same account is accepted and moves nothing.
		wantAssociation(t, e.activate(w.Key, tok, w.AccountID), w.AccountID, "LINK", "")
	})
	ruleCase(t, "R-ENR-2_licenses_of_an_enrollment_not_split", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("OPEN_VALUE", "V1000", "OV-1")
		y := e.createAccount(w.Key, w.CustomerID, "Fabrikam other", "US", nil)
		o := e.buyToday(w.Key, "OV-1", "o1", "O365-E3", 10, "INTUNE", 5)
		keys, _ := o["productKeys"].([]any)
		if len(keys) != 2 {
			t.Fatalf("keys %v", o["productKeys"])
		}
		k1, k2 := str(keys[0], "key"), str(keys[1], "key")
		e.mutate(w.Key, redeemDoc, map[string]any{"k": k1, "a": w.AccountID})
		onlyUserError(t, e.refusedPayload(t, w.Key, redeemDoc, map[string]any{"k": k2, "a": y}, "productKey"), "SPLIT_ENROLLMENT", "accountId")
		ks, _ := get(e.ok(w.Key, orderDoc, map[string]any{"n": str(o, "number")}), "order", "productKeys").([]any)
		if len(ks) != 2 || get(ks[1], "redeemedAt") != nil || get(ks[1], "redeemedAccount") != nil {
			t.Errorf("a refused redemption changed the key: %v", ks)
		}
		wantSubs(t, "account Y", e.accountSubs(w.Key, y, t0.Add(day)))
		// The first order's email, scheduled before the key booked the enrollment, is dropped
		// rather than sent: once on an account no activation email goes out (R-ACT-3).
		if sent := e.dispatch(t, t0.Add(hour)); len(sent) != 0 {
			t.Fatalf("dispatcher sent %d emails for an enrollment already on an account", len(sent))
		}
		if got := emailsOf(e.readEnrollment(w.Key, "OV-1")); len(got) != 0 {
			t.Errorf("dropped email still listed: %v", got)
		}
		// Onto the same account it is fine.
		e.mutate(w.Key, redeemDoc, map[string]any{"k": k2, "a": w.AccountID})
		wantAssociation(t, e.readEnrollment(w.Key, "OV-1"), w.AccountID, "PRODUCT_KEY", "")
	})
	ruleCase(t, "R-ENR-3_existing_account_keeps_its_data_new_account_is_separate", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.enroll(w.Key, w.AgreementID, "E-2", "Fabrikam Labs", "lars@fabrikam.com")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10, "INTUNE", 10)
		e.buyToday(w.Key, "E-2", "o2", "O365-E5", 3)
		msgs := e.dispatch(t, t0)
		before := e.accountAt(w.Key, w.AccountID, t0)

		e.SetNow(t0.Add(hour))
		e.activate(w.Key, tokenFor(t, msgs, "E-1"), w.AccountID)
		after := e.accountAt(w.Key, w.AccountID, t0.Add(13*hour))
		for _, f := range []string{"name", "country", "verifiedDomains", "administrators", "customer"} {
			if !reflect.DeepEqual(before[f], after[f]) {
				t.Errorf("existing account %s changed: %v -> %v", f, before[f], after[f])
			}
		}
		if got := edgeValues(get(after, "users"), "userName"); !reflect.DeepEqual(got, []string{"alice@fabrikam-tenant.com", "bob@fabrikam-tenant.com"}) {
			t.Errorf("users %v", got)
		}
		wantSubs(t, "existing account", subsOf(get(after, "subscriptions")),
			subRow{Enrollment: "E-1", SKU: "INTUNE", Status: "ACTIVE", Quantity: 10, Licensed: 10},
			subRow{Enrollment: "E-1", SKU: "O365-E3", Status: "ACTIVE", Quantity: 10, Licensed: 10})

		nb := e.customerAccounts(w.Key, w.CustomerID)
		enr := e.activateNew(w.Key, tokenFor(t, msgs, "E-2"), newAccountIn("Fabrikam Labs", "DE", []string{"labs.fabrikam.io"},
			admin("Lars", "lars@labs.fabrikam.io", "GLOBAL_ADMIN")))
		newID := str(enr, "account", "id")
		if newID == "" || newID == w.AccountID {
			t.Fatalf("activated onto %v", enr["account"])
		}
		wantAssociation(t, enr, newID, "LINK", "2026-11-23T10:00:00Z")
		if na := e.customerAccounts(w.Key, w.CustomerID); na != nb+1 {
			t.Errorf("customer accounts %d -> %d", nb, na)
		}
		acc := e.accountAt(w.Key, newID, t0.Add(13*hour))
		if acc["name"] != "Fabrikam Labs" || acc["country"] != "DE" || !reflect.DeepEqual(acc["verifiedDomains"], []any{"labs.fabrikam.io"}) ||
			!reflect.DeepEqual(acc["administrators"], []any{map[string]any{"name": "Lars", "email": "lars@labs.fabrikam.io", "role": "GLOBAL_ADMIN"}}) ||
			str(acc, "customer", "id") != w.CustomerID || num(acc, "users", "totalCount") != 0 {
			t.Errorf("new account %v", acc)
		}
		wantSubs(t, "new account", subsOf(get(acc, "subscriptions")),
			subRow{Enrollment: "E-2", SKU: "O365-E5", Status: "ACTIVE", Quantity: 3, Licensed: 3})
		// Separately administered: the existing account did not get E-2.
		if got := edgeValues(get(e.accountAt(w.Key, w.AccountID, t0), "enrollments"), "number"); !reflect.DeepEqual(got, []string{"E-1"}) {
			t.Errorf("existing account enrollments %v", got)
		}
		// Bad new-account details are refused field by field.
		e.enroll(w.Key, w.AgreementID, "E-3", "Fabrikam Ops", "ops@fabrikam.com")
		e.buyToday(w.Key, "E-3", "o4", "O365-E1", 2)
		ue := e.refusedPayload(t, w.Key, activateDoc, activateVars(e.sendToken(t, "E-3", t0.Add(2*hour)), "", newAccountIn("Ops", "ZZZ", nil)), "enrollment")
		hasUserError(t, ue, "INVALID", "newAccount.country")
	})
	ruleCase(t, "R-ENR-4_remap_is_support_only_and_keeps_dynamics_with_online_services", func(t *testing.T, e *env) {
		w := e.dynamicsWorld("ENTERPRISE", "A-1")
		y := e.createAccount(w.Key, w.CustomerID, "Fabrikam other", "US", nil)
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		e.buyToday(w.Key, "E-D", "o2", "D365-SALES-PRO", 5)
		wantAssociation(t, e.readEnrollment(w.Key, "E-D"), w.AccountID, "AGREEMENT_ACCOUNT", "")

		r := e.do(w.Key, remapDoc, map[string]any{"n": "E-D", "a": y})
		if r.errCode() != "FORBIDDEN" {
			t.Errorf("reseller remap: want FORBIDDEN, got %s", r.Raw)
		}
		onlyUserError(t, e.refusedPayload(t, e.Operator, remapDoc, map[string]any{"n": "E-D", "a": y}, "enrollment"), "REMAP_SPLITS_AGREEMENT", "accountId")
		wantAssociation(t, e.readEnrollment(w.Key, "E-D"), w.AccountID, "AGREEMENT_ACCOUNT", "")
		onlyUserError(t, e.refusedPayload(t, e.Operator, remapDoc, map[string]any{"n": "E-1", "a": w.AccountID}, "enrollment"), "INVALID", "accountId")

		// A Dynamics enrollment of an agreement without online services elsewhere moves, with
		// all its licenses.
		a2 := e.createAgreement(w.Key, w.CustomerID, "ENTERPRISE", "A-2")
		e.enroll(w.Key, a2, "E-X", "Fabrikam", "xavier@fabrikam.com")
		e.buyToday(w.Key, "E-X", "o3", "D365-SALES-PRO", 7, "D365-ADD-STORAGE", 20)
		e.SetNow(t0.Add(hour))
		e.activate(w.Key, e.sendToken(t, "E-X", t0.Add(hour)), w.AccountID)
		// Not yet activated: nothing to remap.
		e.enroll(w.Key, a2, "E-N", "Fabrikam", "nora@fabrikam.com")
		onlyUserError(t, e.refusedPayload(t, e.Operator, remapDoc, map[string]any{"n": "E-N", "a": y}, "enrollment"), "INVALID", "enrollmentNumber")

		e.SetNow(t0.Add(2 * hour))
		p := e.mutate(e.Operator, remapDoc, map[string]any{"n": "E-X", "a": y})
		wantAssociation(t, p["enrollment"].(map[string]any), y, "SUPPORT_REMAP", "2026-11-23T11:00:00Z")
		at := t0.Add(day)
		wantSubs(t, "account Y", e.accountSubs(w.Key, y, at),
			subRow{Enrollment: "E-X", SKU: "D365-ADD-STORAGE", Status: "ACTIVE", Quantity: 20, Licensed: 20},
			subRow{Enrollment: "E-X", SKU: "D365-SALES-PRO", Status: "ACTIVE", Quantity: 7, Licensed: 7})
		wantSubs(t, "account X", e.accountSubs(w.Key, w.AccountID, at),
			subRow{Enrollment: "E-1", SKU: "O365-E3", Status: "ACTIVE", Quantity: 10, Licensed: 10},
			subRow{Enrollment: "E-D", SKU: "D365-SALES-PRO", Status: "ACTIVE", Quantity: 5, Licensed: 5})
		e.wantStatusAt(t, w.Key, "E-X", at, "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", ""})
	})
	ruleCase(t, "R-ENR-5_dynamics_attaches_to_the_agreement_account", func(t *testing.T, e *env) {
		w := e.dynamicsWorld("ENTERPRISE", "A-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		e.SetNow(t0.Add(hour))
		e.buyToday(w.Key, "E-D", "o2", "D365-SALES-PRO", 5)
		wantAssociation(t, e.readEnrollment(w.Key, "E-D"), w.AccountID, "AGREEMENT_ACCOUNT", "2026-11-23T10:00:00Z")
		e.wantEmailCount(t, w.Key, "E-D", 0)
		e.wantStatusAt(t, w.Key, "E-D", t0.Add(13*hour), "AUTO_PROVISIONED", reason{"AUTO_ATTACHED_AGREEMENT_ACCOUNT", "ASSIGN_LICENSES", ""})
		e.wantNoEmails(t, t0.Add(day), "attached Dynamics enrollment got an email")
	})
	ruleCase(t, "R-ENR-5_dynamics_activation_elsewhere_refused", func(t *testing.T, e *env) {
		w := e.dynamicsWorld("ENTERPRISE", "A-1")
		y := e.createAccount(w.Key, w.CustomerID, "Fabrikam other", "US", nil)
		// Both processed before the agreement has an account: both get emails.
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.buyToday(w.Key, "E-D", "o2", "D365-SALES-PRO", 5)
		msgs := e.dispatch(t, t0)
		if got := recipients(msgs); !reflect.DeepEqual(got, []string{"dan@fabrikam.com", "olivia@fabrikam.com"}) {
			t.Fatalf("emails to %v", got)
		}
		e.SetNow(t0.Add(hour))
		e.activate(w.Key, tokenFor(t, msgs, "E-1"), w.AccountID)
		tok := tokenFor(t, msgs, "E-D")
		e.refuseActivation(t, w.Key, tok, y, nil, "MUST_USE_AGREEMENT_ACCOUNT", "accountId")
		e.refuseActivation(t, w.Key, tok, "", newAccountIn("Fabrikam Dynamics", "US", nil), "MUST_USE_AGREEMENT_ACCOUNT", "accountId")
		wantAssociation(t, e.readEnrollment(w.Key, "E-D"), "", "", "")
		wantAssociation(t, e.activate(w.Key, tok, w.AccountID), w.AccountID, "LINK", "2026-11-23T10:00:00Z")
	})
	// Clarification R-ENR-5: while an enrollment must be activated onto its agreement's account,
	// activationStatus names that account.
	ruleCase(t, "R-ENR-5_status_names_the_account_it_must_be_activated_onto", func(t *testing.T, e *env) {
		w := e.dynamicsWorld("ENTERPRISE", "A-1")
		// Both processed before the agreement has an account: both get emails.
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.buyToday(w.Key, "E-D", "o2", "D365-SALES-PRO", 5)
		msgs := e.dispatch(t, t0)
		sent := reason{"EMAIL_SENT", "ACTIVATE", linkExpiryT0}
		if st := e.wantStatusAt(t, w.Key, "E-D", t0.Add(13*hour), "EMAIL_SENT", sent); st.RequiredAccount != nil {
			t.Fatalf("no agreement account yet, but requiredAccount %v", st.RequiredAccount)
		}
		e.SetNow(t0.Add(hour))
		e.activate(w.Key, tokenFor(t, msgs, "E-1"), w.AccountID)
		st := e.wantStatusAt(t, w.Key, "E-D", t0.Add(13*hour), "EMAIL_SENT", sent, reason{"MUST_USE_AGREEMENT_ACCOUNT", "ACTIVATE", ""})
		if st.RequiredAccount == nil || st.RequiredAccount.ID != w.AccountID || reasonAccount(t, st, "MUST_USE_AGREEMENT_ACCOUNT") != w.AccountID ||
			!strings.Contains(reasonOf(st, "MUST_USE_AGREEMENT_ACCOUNT").Message, `"Fabrikam tenant"`) {
			t.Fatalf("requiredAccount %v, reasons %v: want the agreement's account %s named", st.RequiredAccount, reasonMessages(st), w.AccountID)
		}
		e.activate(w.Key, tokenFor(t, msgs, "E-D"), w.AccountID)
		if st := e.wantStatusAt(t, w.Key, "E-D", t0.Add(13*hour), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", ""}); st.RequiredAccount != nil {
			t.Fatalf("activated, but requiredAccount %v", st.RequiredAccount)
		}
	})
	ruleCase(t, "R-ENR-5_R-ACT-12_agreement_account_that_cannot_take_dynamics_blocks_without_email", func(t *testing.T, e *env) {
		w := e.dynamicsWorld("ENTERPRISE", "A-1")
		br := e.createAccount(w.Key, w.CustomerID, "Fabrikam Brasil", "BR", nil)
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), br) // Office 365 is sold in Brazil, Dynamics 365 is not
		e.SetNow(t0.Add(hour))
		e.buyToday(w.Key, "E-D", "o2", "D365-SALES-PRO", 5)
		wantAssociation(t, e.readEnrollment(w.Key, "E-D"), "", "", "")
		e.wantEmailCount(t, w.Key, "E-D", 0) // it can be activated nowhere else: no email
		st := e.wantStatusAt(t, w.Key, "E-D", t0.Add(13*hour), "BLOCKED", reason{"PROVISIONING_BLOCKED", "CONTACT_RESELLER", ""},
			reason{"SKU_NOT_AVAILABLE_IN_COUNTRY", "CONTACT_RESELLER", ""})
		if st.RequiredAccount == nil || st.RequiredAccount.ID != br || reasonAccount(t, st, "PROVISIONING_BLOCKED") != br {
			t.Fatalf("requiredAccount %v, reasons %v: want the Brasil account", st.RequiredAccount, reasonMessages(st))
		}
		e.wantNoEmails(t, t0.Add(day), "a blocked Dynamics enrollment got an email")
	})
	ruleCase(t, "R-ENR-5_only_enterprise_agreements_attach_dynamics", func(t *testing.T, e *env) {
		w := e.dynamicsWorld("MPSA", "M-1")
		y := e.createAccount(w.Key, w.CustomerID, "Fabrikam other", "US", nil)
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		e.SetNow(t0.Add(hour))
		e.buyToday(w.Key, "E-D", "o2", "D365-SALES-PRO", 5)
		wantAssociation(t, e.readEnrollment(w.Key, "E-D"), "", "", "")
		e.wantEmailCount(t, w.Key, "E-D", 1)
		wantAssociation(t, e.activate(w.Key, e.sendToken(t, "E-D", t0.Add(hour)), y), y, "LINK", "")
	})
}

// activationStatus (R-ACT-12) and the yearly Open Value activation it reports (R-ACT-11).
func TestActivationStatus(t *testing.T) {
	ruleCase(t, "R-ACT-11_open_value_activation_due_a_year_after", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("OPEN_VALUE", "V1000", "OV-1")
		e.buyToday(w.Key, "OV-1", "o1", "O365-E3", 10)
		tok := e.sendToken(t, "OV-1", t0)
		e.activate(w.Key, tok, w.AccountID)

		e.wantStatusAt(t, w.Key, "OV-1", t0.Add(13*hour), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", "2027-11-23T09:00:00Z"})
		e.wantStatusAt(t, w.Key, "OV-1", time.Date(2027, 11, 23, 8, 59, 59, 0, time.UTC), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", "2027-11-23T09:00:00Z"})
		due := []reason{{"OPEN_VALUE_ACTIVATION_DUE", "ACTIVATE", ""}, {"ACTIVATED", "ASSIGN_LICENSES", ""}}
		e.wantStatusAt(t, w.Key, "OV-1", time.Date(2027, 11, 23, 9, 0, 0, 0, time.UTC), "ACTIVATION_DUE", due...)
		e.wantStatusAt(t, w.Key, "OV-1", time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC), "ACTIVATION_DUE", due...)

		// Activating again (same link, same account) resets the year, although the link's six
		// months are long over.
		again := time.Date(2027, 12, 1, 10, 0, 0, 0, time.UTC)
		e.SetNow(again)
		wantAssociation(t, e.activate(w.Key, tok, w.AccountID), w.AccountID, "LINK", "")
		e.wantStatusAt(t, w.Key, "OV-1", again, "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", "2028-12-01T10:00:00Z"})
		e.wantStatusAt(t, w.Key, "OV-1", time.Date(2028, 12, 1, 10, 0, 0, 0, time.UTC), "ACTIVATION_DUE", due...)
	})
	ruleCase(t, "R-ACT-11_other_programs_are_never_due", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2027, 11, 23, 9, 0, 0, 0, time.UTC), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", ""})
		e.wantStatusAt(t, w.Key, "E-1", time.Date(2028, 11, 30, 0, 0, 0, 0, time.UTC), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", ""})
	})
	ruleCase(t, "R-ACT-12_no_order_then_order_not_processed", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.wantStatusAt(t, w.Key, "E-1", t0, "NO_ORDER", reason{"NO_ORDER_OR_RESERVATION", "CONTACT_RESELLER", ""})
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(400*day), "NO_ORDER", reason{"NO_ORDER_OR_RESERVATION", "CONTACT_RESELLER", ""})
		oid := str(e.place(w.Key, "E-1", "o1", "2026-11-23", "2026-11-23", "O365-E3", 10), "id")
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(hour), "NO_ORDER", reason{"ORDER_NOT_PROCESSED", "WAIT", ""})
		e.SetNow(t0.Add(2 * hour))
		e.process(oid)
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(2*hour), "AWAITING_EMAIL", reason{"EMAIL_PENDING", "WAIT", "2026-11-25T11:00:00Z"},
			reason{"LICENSES_PENDING", "WAIT", "2026-11-23T23:00:00Z"})
		if e.ok(w.Key, statusDoc, map[string]any{"n": "NOPE", "at": t0s})["activationStatus"] != nil {
			t.Error("activationStatus of an unknown enrollment must be null")
		}
		o := e.newWorld("Other reseller", "ENTERPRISE", "A-9", "E-9")
		if e.ok(o.Key, statusDoc, map[string]any{"n": "E-1", "at": t0s})["activationStatus"] != nil {
			t.Error("activationStatus of another reseller's enrollment must be null")
		}
	})
	ruleCase(t, "R-ACT-12_licenses_pending_until_processing_plus_12h", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		o := e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		if o["processedAt"] != t0s || o["availableAt"] != t0Pending {
			t.Errorf("processedAt/availableAt = %v / %v", o["processedAt"], o["availableAt"])
		}
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(12*hour-time.Second), "AWAITING_EMAIL", reason{"EMAIL_PENDING", "WAIT", t0Plus48h},
			reason{"LICENSES_PENDING", "WAIT", t0Pending})
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(12*hour), "AWAITING_EMAIL", reason{"EMAIL_PENDING", "WAIT", t0Plus48h})
	})
	ruleCase(t, "R-ACT-12_reservation_pending_then_overdue", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.sendToken(t, "E-1", t0)
		e.SetNow(t0.Add(hour))
		res := e.mutate(w.Key, createReservationDoc, vars(map[string]any{"enrollmentNumber": "E-1", "sku": "O365-E3", "quantity": 5,
			"contactEmail": "vic@fabrikam.com", "idempotencyKey": "r1"}))
		if str(res, "reservation", "overdueAt") != "2026-11-24T11:00:00Z" {
			t.Errorf("overdueAt %v", res)
		}
		sent := reason{"EMAIL_SENT", "ACTIVATE", linkExpiryT0}
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(24*hour), "EMAIL_SENT", sent, reason{"RESERVATION_PENDING", "WAIT", "2026-11-24T11:00:00Z"})
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(26*hour), "EMAIL_SENT", sent, reason{"RESERVATION_OVERDUE", "CONTACT_SUPPORT", ""})
		e.mutate(e.Operator, processReservationDoc, map[string]any{"id": str(res, "reservation", "id")})
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(26*hour), "EMAIL_SENT", sent)
	})
	ruleCase(t, "R-ACT-12_reservation_only_is_overdue_after_25h", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.mutate(w.Key, createReservationDoc, vars(map[string]any{"enrollmentNumber": "E-1", "sku": "O365-E3", "quantity": 5,
			"contactEmail": "vic@fabrikam.com", "idempotencyKey": "r1"}))
		st := e.activationStatus(w.Key, "E-1", t0.Add(25*hour))
		if st.State != "NO_ORDER" || reasonOf(st, "NO_ORDER_OR_RESERVATION") != nil {
			t.Errorf("state %s reasons %v", st.State, reasonMessages(st))
		}
		if r := reasonOf(st, "RESERVATION_OVERDUE"); r == nil || r.Action != "CONTACT_SUPPORT" || r.ChangesAt != nil {
			t.Errorf("want RESERVATION_OVERDUE/CONTACT_SUPPORT, got %v", reasonMessages(st))
		}
		st = e.activationStatus(w.Key, "E-1", t0.Add(hour))
		if r := reasonOf(st, "RESERVATION_PENDING"); r == nil || r.Action != "WAIT" || r.ChangesAt == nil || *r.ChangesAt != "2026-11-24T10:00:00Z" {
			t.Errorf("want RESERVATION_PENDING/WAIT until 2026-11-24T10:00:00Z, got %v", reasonMessages(st))
		}
	})
	ruleCase(t, "R-ACT-12_addon_alone_cannot_be_put_on_an_enrollment", func(t *testing.T, e *env) {
		// The API refuses every way to put an add-on alone on an enrollment (R-ORD-3), so
		// ADDON_WITHOUT_BASE cannot come from an order, a reservation or a renewal.
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		onlyUserError(t, e.refusedPayload(t, w.Key, createReservationDoc, vars(map[string]any{"enrollmentNumber": "E-1", "sku": "D365-ADD-STORAGE",
			"quantity": 5, "contactEmail": "vic@fabrikam.com", "idempotencyKey": "r1"}), "reservation"), "ADDON_REQUIRES_BASE", "sku")
		ue := e.refusedPayload(t, w.Key, createOrderDoc, vars(map[string]any{"enrollmentNumber": "E-1", "lines": orderLines("D365-ADD-STORAGE", 5),
			"purchaseDate": "2026-11-23", "usageStartDate": "2026-11-23", "idempotencyKey": "o1"}), "order")
		hasUserError(t, ue, "ADDON_REQUIRES_BASE", "lines.0.sku")
		e.buyToday(w.Key, "E-1", "o2", "D365-SALES-PRO", 5, "D365-ADD-STORAGE", 10)
		ue = e.refusedPayload(t, w.Key, renewEnrollmentDoc, vars(map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-2",
			"startDate": "2026-11-25", "endDate": "2029-11-24", "lines": orderLines("D365-ADD-STORAGE", 10)}), "newEnrollment")
		if len(ue) == 0 || ue[0].Code != "ADDON_REQUIRES_BASE" {
			t.Errorf("renewal onto an add-on alone: %+v", ue)
		}
		st := e.activationStatus(w.Key, "E-1", t0.Add(13*hour))
		if reasonOf(st, "ADDON_WITHOUT_BASE") != nil {
			t.Errorf("add-on with its base reported without: %v", reasonMessages(st))
		}
	})
	ruleCase(t, "R-ACT-12_addon_without_base_after_base_cancelled", func(t *testing.T, e *env) {
		// MPSA lets the reseller cancel (R-SUB-6): cancel the base, keep the add-on.
		w := e.fabrikamWorld("MPSA", "M-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "D365-SALES-PRO", 5, "D365-ADD-STORAGE", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		var baseID string
		edges, _ := get(e.ok(w.Key, enrollmentSubscriptionsDoc, map[string]any{"n": "E-1", "at": t0s}), "enrollment", "subscriptions", "edges").([]any)
		for _, ed := range edges {
			if str(ed, "node", "sku", "code") == "D365-SALES-PRO" {
				baseID = str(ed, "node", "id")
			}
		}
		e.SetNow(t0.Add(hour))
		e.mutate(w.Key, cancelSubscriptionDoc, map[string]any{"id": baseID})
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(30*time.Minute), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", ""},
			reason{"LICENSES_PENDING", "WAIT", t0Pending}, reason{"LICENSES_PENDING", "WAIT", t0Pending})
		e.wantStatusAt(t, w.Key, "E-1", t0.Add(13*hour), "ACTIVATED", reason{"ACTIVATED", "ASSIGN_LICENSES", ""},
			reason{"ADDON_WITHOUT_BASE", "CONTACT_RESELLER", ""})
	})
	ruleCase(t, "R-ACT-12_sku_not_available_in_account_country", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		br := e.createAccount(w.Key, w.CustomerID, "Fabrikam Brasil", "BR", nil)
		e.buyToday(w.Key, "E-1", "o1", "D365-SALES-PRO", 5, "O365-E3", 10)
		tok := e.sendToken(t, "E-1", t0)
		before := e.customerAccounts(w.Key, w.CustomerID)
		e.refuseActivation(t, w.Key, tok, br, nil, "SKU_NOT_AVAILABLE_IN_COUNTRY", "accountId")
		e.refuseActivation(t, w.Key, tok, "", newAccountIn("Fabrikam Brasil 2", "BR", nil), "SKU_NOT_AVAILABLE_IN_COUNTRY", "accountId")
		if after := e.customerAccounts(w.Key, w.CustomerID); after != before {
			t.Errorf("a refused activation created an account: %d -> %d", before, after)
		}
		wantAssociation(t, e.readEnrollment(w.Key, "E-1"), "", "", "")
		wantAssociation(t, e.activate(w.Key, tok, w.AccountID), w.AccountID, "LINK", "")
	})
	ruleCase(t, "R-ACT-12_incompatible_skus_on_account", func(t *testing.T, e *env) {
		// The world account already holds O365-E3 (a direct purchase); M365-E3 cannot join it.
		w, tok := e.incompatibleActivation(t, "O365-E3", "M365-E3")
		wantAssociation(t, e.readEnrollment(w.Key, "E-1"), "", "", "")
		enr := e.activateNew(w.Key, tok, newAccountIn("Fabrikam M365", "US", nil))
		wantAssociation(t, enr, str(enr, "account", "id"), "LINK", "")
	})
	ruleCase(t, "R-ACT-12_incompatible_skus_either_way_round", func(t *testing.T, e *env) {
		// The account holds M365-E3; the enrollment brings O365-E3. "Cannot coexist on one
		// account" is symmetric, although only M365-E3's catalog entry names the other.
		e.incompatibleActivation(t, "M365-E3", "O365-E3")
	})
}
