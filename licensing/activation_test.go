package licensing

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// actAt parses an RFC 3339 instant; tests use UTC literals only.
func actAt(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func actAtP(t *testing.T, s string) *time.Time { v := actAt(t, s); return &v }

// actWant is the comparable part of a reason: code, action and ChangesAt ("" for nil).
type actWant struct {
	Code      ReasonCode
	Action    NextAction
	ChangesAt string
}

func actCheckStatus(t *testing.T, got ActivationStatus, state ActivationState, want []actWant) {
	t.Helper()
	var have []actWant
	for _, r := range got.Reasons {
		c := ""
		if r.ChangesAt != nil {
			c = r.ChangesAt.UTC().Format(time.RFC3339)
		}
		have = append(have, actWant{r.Code, r.Action, c})
		if strings.TrimSpace(r.Message) == "" {
			t.Errorf("reason %s has no message", r.Code)
		}
	}
	if got.State != state || !reflect.DeepEqual(have, want) {
		t.Errorf("state %s reasons %+v\nwant state %s reasons %+v", got.State, have, state, want)
	}
}

// actBaseFacts: an ENTERPRISE enrollment whose first order is processed on 10 January
// 2025 09:00 for a usage start of 1 February, no email sent yet.
func actBaseFacts(t *testing.T) ActivationFacts {
	return ActivationFacts{
		Program:               ProgramEnterprise,
		OrganizationName:      "Contoso",
		OSMEmail:              "alice@contoso.com",
		HasOrderOrReservation: true,
		FirstProcessedAt:      actAtP(t, "2025-01-10T09:00:00Z"),
		UsageStart:            NewDate(2025, time.February, 1),
		OriginalPurchase:      NewDate(2025, time.January, 10),
		Lines: []ActivationLine{{SKU: "O365_E3", Family: FamilyOffice365, Kind: KindBase,
			PendingUntil: actAtP(t, "2025-01-10T21:00:00Z")}},
	}
}

func TestActivationStatusTimeline(t *testing.T) {
	notSent := actBaseFacts(t)
	sent := actBaseFacts(t)
	sent.Emails = []ActivationEmail{{Recipient: "alice@contoso.com", Trigger: EmailTriggerFirstOrder,
		ScheduledAt: actAt(t, "2025-02-01T00:00:00Z"), SentAt: actAtP(t, "2025-02-01T06:00:00Z")}}
	reenabled := sent
	reenabled.LinkReenabledUntil = actAtP(t, "2025-08-01T00:00:00Z")
	activated := sent
	activated.Account = &ActivationAccount{ID: 7, Country: "US"}
	activated.AssociatedAt = actAtP(t, "2025-02-05T10:00:00Z")

	cases := []struct {
		name  string
		f     ActivationFacts
		asOf  string
		state ActivationState
		want  []actWant
	}{
		{"R-ACT-1_before_first_order_processed", notSent, "2025-01-09T00:00:00Z", ActivationNoOrder,
			[]actWant{{ReasonOrderNotProcessed, ActionWait, "2025-01-10T09:00:00Z"}}},
		{"R-ACT-4_no_email_before_usage_start_and_R-ORD-5_pending", notSent, "2025-01-10T10:00:00Z", ActivationAwaitingUsageStart,
			[]actWant{{ReasonUsageStartInFuture, ActionWait, "2025-02-01T00:00:00Z"}, {ReasonLicensesPending, ActionWait, "2025-01-10T21:00:00Z"}}},
		{"R-ORD-5_pending_ends_after_12h", notSent, "2025-01-10T21:00:00Z", ActivationAwaitingUsageStart,
			[]actWant{{ReasonUsageStartInFuture, ActionWait, "2025-02-01T00:00:00Z"}}},
		{"R-ACT-4_email_may_come_within_48h", notSent, "2025-02-02T12:00:00Z", ActivationAwaitingEmail,
			[]actWant{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}}},
		{"R-ACT-4_email_overdue_after_48h", notSent, "2025-02-03T00:00:00Z", ActivationAwaitingEmail,
			[]actWant{{ReasonEmailOverdue, ActionContactSupport, ""}}},
		{"R-ACT-8_link_alive_until_six_months", notSent, "2025-07-09T23:59:59Z", ActivationAwaitingEmail,
			[]actWant{{ReasonEmailOverdue, ActionContactSupport, ""}}},
		{"R-ACT-8_link_expired_without_email", notSent, "2025-07-10T00:00:00Z", ActivationLinkExpired,
			[]actWant{{ReasonLinkExpired, ActionContactSupport, ""}}},
		{"R-ACT-4_known_send_time_is_next_change", sent, "2025-02-01T05:00:00Z", ActivationAwaitingEmail,
			[]actWant{{ReasonEmailPending, ActionWait, "2025-02-01T06:00:00Z"}}},
		{"R-ACT-1_email_sent_link_valid", sent, "2025-02-02T00:00:00Z", ActivationEmailSent,
			[]actWant{{ReasonEmailSent, ActionActivate, "2025-07-10T00:00:00Z"}}},
		{"R-ACT-8_link_expired_after_email", sent, "2025-07-10T00:00:00Z", ActivationLinkExpired,
			[]actWant{{ReasonLinkExpired, ActionContactSupport, ""}}},
		{"R-ACT-8_support_reenabled_link", reenabled, "2025-07-15T00:00:00Z", ActivationEmailSent,
			[]actWant{{ReasonEmailSent, ActionActivate, "2025-08-01T00:00:00Z"}}},
		{"R-ACT-8_reenabled_link_expires_again", reenabled, "2025-08-01T00:00:00Z", ActivationLinkExpired,
			[]actWant{{ReasonLinkExpired, ActionContactSupport, ""}}},
		{"R-ACT-3_before_activation_still_email_sent", activated, "2025-02-05T09:59:59Z", ActivationEmailSent,
			[]actWant{{ReasonEmailSent, ActionActivate, "2025-07-10T00:00:00Z"}}},
		{"R-ACT-3_activated", activated, "2025-02-05T10:00:00Z", ActivationActivated,
			[]actWant{{ReasonActivated, ActionAssignLicenses, ""}}},
		{"R-ACT-3_activated_ignores_link_expiry", activated, "2025-09-01T00:00:00Z", ActivationActivated,
			[]actWant{{ReasonActivated, ActionAssignLicenses, ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			actCheckStatus(t, ActivationStatusAt(c.f, actAt(t, c.asOf)), c.state, c.want)
		})
	}
}

func TestActivationStatusReasons(t *testing.T) {
	within := "2025-02-02T00:00:00Z" // inside the 48h window of actBaseFacts
	mod := func(change func(*ActivationFacts)) ActivationFacts {
		f := actBaseFacts(t)
		f.Lines[0].PendingUntil = nil
		change(&f)
		return f
	}
	assoc := func(cause AssociationCause) func(*ActivationFacts) {
		return func(f *ActivationFacts) {
			f.Account = &ActivationAccount{ID: 3, Country: "US"}
			f.AssociatedAt = f.FirstProcessedAt
			f.AssociationCause = cause
		}
	}
	cases := []struct {
		name  string
		f     ActivationFacts
		asOf  string
		state ActivationState
		want  []actWant
	}{
		{"R-ACT-12_no_order_or_reservation", mod(func(f *ActivationFacts) {
			f.HasOrderOrReservation, f.FirstProcessedAt, f.Lines = false, nil, nil
		}), within, ActivationNoOrder, []actWant{{ReasonNoOrderOrReservation, ActionContactReseller, ""}}},
		{"R-ACT-6_no_OSM_blocks", mod(func(f *ActivationFacts) { f.OSMEmail = "  " }), within, ActivationBlocked,
			[]actWant{{ReasonNoSubscriptionContact, ActionUpdateSubscriptionContact, ""}}},
		{"R-ACT-6_no_OSM_and_R-ACT-8_expired_link", mod(func(f *ActivationFacts) { f.OSMEmail = "" }), "2025-08-01T00:00:00Z", ActivationLinkExpired,
			[]actWant{{ReasonLinkExpired, ActionContactSupport, ""}, {ReasonNoSubscriptionContact, ActionUpdateSubscriptionContact, ""}}},
		{"R-ACT-5_outlook_com_blocks", mod(func(f *ActivationFacts) { f.OSMEmail = "Bob@Outlook.COM" }), within, ActivationBlocked,
			[]actWant{{ReasonConsumerEmail, ActionUpdateSubscriptionContact, ""}}},
		{"R-ACT-5_hotmail_is_not_outlook_com", mod(func(f *ActivationFacts) { f.OSMEmail = "bob@hotmail.com" }), within, ActivationAwaitingEmail,
			[]actWant{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}}},
		{"R-ACT-2_auto_provisioned_verified_domain", mod(assoc(AssociatedByVerifiedDomain)), within, ActivationAutoProvisioned,
			[]actWant{{ReasonAutoVerifiedDomain, ActionAssignLicenses, ""}}},
		{"R-ACT-2_auto_provisioned_admin_email", mod(assoc(AssociatedByAdminEmail)), within, ActivationAutoProvisioned,
			[]actWant{{ReasonAutoAdminEmail, ActionAssignLicenses, ""}}},
		{"R-ACT-10_renewal_associated_without_email", mod(assoc(AssociatedByRenewal)), within, ActivationAutoProvisioned,
			[]actWant{{ReasonAutoRenewal, ActionAssignLicenses, ""}}},
		{"R-ENR-5_attached_to_agreement_account", mod(assoc(AssociatedByAgreementAccount)), within, ActivationAutoProvisioned,
			[]actWant{{ReasonAutoAgreementAccount, ActionAssignLicenses, ""}}},
		{"R-ACT-3_link_activation_is_activated", mod(assoc("")), within, ActivationActivated,
			[]actWant{{ReasonActivated, ActionAssignLicenses, ""}}},
		{"R-ACT-10_several_enrollments_same_name_need_own_activation", mod(func(f *ActivationFacts) { f.RenewalNeedsOwnActivation = true }), within, ActivationAwaitingEmail,
			[]actWant{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}, {ReasonRenewalNeedsActivation, ActionActivate, ""}}},
		{"R-RES-4_reservation_pending_not_yet_overdue", mod(func(f *ActivationFacts) {
			f.FirstProcessedAt, f.Lines = nil, nil
			f.ReservationOverdueAt = actAtP(t, "2025-01-11T10:00:00Z")
		}), "2025-01-11T09:59:59Z", ActivationNoOrder,
			[]actWant{{ReasonOrderNotProcessed, ActionWait, ""}, {ReasonReservationPending, ActionWait, "2025-01-11T10:00:00Z"}}},
		{"R-RES-4_reservation_overdue", mod(func(f *ActivationFacts) {
			f.FirstProcessedAt, f.Lines = nil, nil
			f.ReservationOverdueAt = actAtP(t, "2025-01-11T10:00:00Z")
		}), "2025-01-11T10:00:00Z", ActivationNoOrder,
			[]actWant{{ReasonOrderNotProcessed, ActionWait, ""}, {ReasonReservationOverdue, ActionContactSupport, ""}}},
		{"R-ACT-12_addon_without_base", mod(func(f *ActivationFacts) {
			f.Lines = []ActivationLine{{SKU: "EXTRA_STORAGE", Family: FamilyOffice365, Kind: KindAddOn, BaseSKUs: []string{"O365_E3", "O365_E5"}}}
		}), within, ActivationAwaitingEmail,
			[]actWant{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}, {ReasonAddOnWithoutBase, ActionContactReseller, ""}}},
		{"R-ACT-12_addon_with_base_is_fine", mod(func(f *ActivationFacts) {
			f.Lines = append(f.Lines, ActivationLine{SKU: "EXTRA_STORAGE", Kind: KindAddOn, BaseSKUs: []string{"O365_E5", "O365_E3"}})
		}), within, ActivationAwaitingEmail,
			[]actWant{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}}},
		{"R-ACT-12_sku_not_in_account_country", mod(func(f *ActivationFacts) {
			assoc("")(f)
			f.Account.Country = "FR"
			f.Lines[0].Countries = []string{"US", "CA"}
		}), within, ActivationActivated,
			[]actWant{{ReasonActivated, ActionAssignLicenses, ""}, {ReasonSKUNotAvailableInCountry, ActionContactReseller, ""}}},
		{"R-ACT-12_incompatible_skus_block_bound_account", mod(func(f *ActivationFacts) {
			f.Account = &ActivationAccount{ID: 12, Country: "US", SKUs: []string{"BUSINESS_PREMIUM"}}
			f.Lines[0].IncompatibleSKUs = []string{"BUSINESS_PREMIUM"}
		}), within, ActivationBlocked,
			[]actWant{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}, {ReasonIncompatibleSKUsOnAccount, ActionContactReseller, ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			actCheckStatus(t, ActivationStatusAt(c.f, actAt(t, c.asOf)), c.state, c.want)
		})
	}

	t.Run("R-ACT-7_status_names_latest_recipient", func(t *testing.T) {
		f := actBaseFacts(t)
		f.Emails = []ActivationEmail{
			{Recipient: "new@contoso.com", Trigger: EmailTriggerContactUpdated, SentAt: actAtP(t, "2025-02-03T00:00:00Z")},
			{Recipient: "old@contoso.com", Trigger: EmailTriggerFirstOrder, SentAt: actAtP(t, "2025-02-01T00:00:00Z")},
		}
		for asOf, who := range map[string]string{"2025-02-02T00:00:00Z": "old@contoso.com", "2025-02-04T00:00:00Z": "new@contoso.com"} {
			st := ActivationStatusAt(f, actAt(t, asOf))
			if st.State != ActivationEmailSent || !strings.Contains(st.Reasons[0].Message, who) {
				t.Errorf("as of %s: %+v, want EMAIL_SENT naming %s", asOf, st, who)
			}
		}
	})
	t.Run("R-ACT-9_email_sent_says_link_may_be_forwarded", func(t *testing.T) {
		f := actBaseFacts(t)
		f.Emails = []ActivationEmail{{Recipient: "alice@contoso.com", SentAt: actAtP(t, "2025-02-01T00:00:00Z")}}
		st := ActivationStatusAt(f, actAt(t, within))
		if !strings.Contains(st.Reasons[0].Message, "Anyone holding its link") {
			t.Errorf("message %q does not say the link may be forwarded", st.Reasons[0].Message)
		}
	})
}

func TestOpenValueActivation(t *testing.T) {
	f := actBaseFacts(t)
	f.Program = ProgramOpenValue
	f.Lines = nil
	f.Account = &ActivationAccount{ID: 5, Country: "US"}
	f.AssociatedAt = actAtP(t, "2024-03-01T10:00:00Z")
	renewed := f
	renewed.LastActivatedAt = actAtP(t, "2025-02-20T08:00:00Z")
	cases := []struct {
		name  string
		f     ActivationFacts
		asOf  string
		state ActivationState
		want  []actWant
	}{
		{"R-ACT-11_activated_until_a_year_later", f, "2025-02-01T00:00:00Z", ActivationActivated,
			[]actWant{{ReasonActivated, ActionAssignLicenses, "2025-03-01T10:00:00Z"}}},
		{"R-ACT-11_due_a_year_after_activation", f, "2025-03-01T10:00:00Z", ActivationDue,
			[]actWant{{ReasonOpenValueActivationDue, ActionActivate, ""}, {ReasonActivated, ActionAssignLicenses, ""}}},
		{"R-ACT-11_last_activation_counts", renewed, "2025-03-01T10:00:00Z", ActivationActivated,
			[]actWant{{ReasonActivated, ActionAssignLicenses, "2026-02-20T08:00:00Z"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			actCheckStatus(t, ActivationStatusAt(c.f, actAt(t, c.asOf)), c.state, c.want)
		})
	}
	t.Run("R-ACT-11_due_at", func(t *testing.T) {
		for from, want := range map[string]string{
			"2024-03-01T10:00:00Z": "2025-03-01T10:00:00Z",
			"2024-02-29T00:00:00Z": "2025-03-01T00:00:00Z", // documented: no 29 Feb next year
		} {
			if got := OpenValueActivationDueAt(actAt(t, from)); !got.Equal(actAt(t, want)) {
				t.Errorf("OpenValueActivationDueAt(%s) = %s, want %s", from, got, want)
			}
		}
	})
}

func TestPlanActivationEmail(t *testing.T) {
	processed := actAt(t, "2025-01-10T09:00:00Z")
	base := func(change func(*EmailFacts)) EmailFacts {
		f := EmailFacts{Program: ProgramEnterprise, ProcessedAt: processed, UsageStart: NewDate(2025, time.January, 1),
			FirstOnlineServiceOrder: true, OSMEmail: "alice@contoso.com",
			Accounts: []ActivationAccount{{ID: 20, VerifiedDomains: []string{"fabrikam.com"}}}}
		if change != nil {
			change(&f)
		}
		return f
	}
	type want struct {
		Send          bool
		Recipient     string
		Subject       string
		Trigger       EmailTrigger
		ScheduledAt   string
		DueBy         string
		AssociateWith int64
		Cause         AssociationCause
		Code          ReasonCode
		Action        NextAction
	}
	noEmail := func(code ReasonCode, action NextAction, assoc int64, cause AssociationCause) want {
		return want{ScheduledAt: "2025-01-10T09:00:00Z", DueBy: "2025-01-12T09:00:00Z", AssociateWith: assoc, Cause: cause, Code: code, Action: action}
	}
	sendAt := func(sched, due string) want {
		return want{Send: true, Recipient: "alice@contoso.com", Subject: "Sign in or sign up to start using your new subscription",
			Trigger: EmailTriggerFirstOrder, ScheduledAt: sched, DueBy: due, Code: ReasonEmailPending, Action: ActionWait}
	}
	cases := []struct {
		name string
		f    EmailFacts
		want want
	}{
		{"R-ACT-1_first_order_emails_osm", base(nil), sendAt("2025-01-10T09:00:00Z", "2025-01-12T09:00:00Z")},
		{"R-ACT-1_later_order_no_second_email", base(func(f *EmailFacts) { f.FirstOnlineServiceOrder = false }),
			noEmail(ReasonEmailAlreadyPlanned, ActionWait, 0, "")},
		{"R-ACT-4_scheduled_at_future_usage_start", base(func(f *EmailFacts) { f.UsageStart = NewDate(2025, time.February, 1) }),
			sendAt("2025-02-01T00:00:00Z", "2025-02-03T00:00:00Z")},
		{"R-ACT-3_associated_enrollment_no_email", base(func(f *EmailFacts) { f.AssociatedAccountID = actPtr(int64(7)) }),
			noEmail(ReasonAlreadyAssociated, ActionAssignLicenses, 0, "")},
		{"R-ACT-2_verified_domain_lowest_id_wins", base(func(f *EmailFacts) {
			f.Accounts = append(f.Accounts, ActivationAccount{ID: 9, VerifiedDomains: []string{"Contoso.com"}}, ActivationAccount{ID: 4, VerifiedDomains: []string{"contoso.com."}})
		}), noEmail(ReasonAutoVerifiedDomain, ActionAssignLicenses, 4, AssociatedByVerifiedDomain)},
		{"R-ACT-2_admin_email_wins_over_domain", base(func(f *EmailFacts) {
			f.Accounts = append(f.Accounts, ActivationAccount{ID: 3, VerifiedDomains: []string{"contoso.com"}},
				ActivationAccount{ID: 8, Admins: []AccountAdmin{{Email: "ALICE@contoso.com", Role: AdminBilling}}})
		}), noEmail(ReasonAutoAdminEmail, ActionAssignLicenses, 8, AssociatedByAdminEmail)},
		{"R-ACT-2_other_admin_role_does_not_match", base(func(f *EmailFacts) {
			f.Accounts = append(f.Accounts, ActivationAccount{ID: 8, Admins: []AccountAdmin{{Email: "alice@contoso.com", Role: "USER_ADMIN"}}})
		}), sendAt("2025-01-10T09:00:00Z", "2025-01-12T09:00:00Z")},
		{"R-ACT-2_outlook_global_admin_still_auto_provisions", base(func(f *EmailFacts) {
			f.OSMEmail = "bob@outlook.com"
			f.Accounts = append(f.Accounts, ActivationAccount{ID: 8, Admins: []AccountAdmin{{Email: "bob@outlook.com", Role: AdminGlobal}}})
		}), noEmail(ReasonAutoAdminEmail, ActionAssignLicenses, 8, AssociatedByAdminEmail)},
		{"R-ACT-5_no_email_to_outlook_com", base(func(f *EmailFacts) { f.OSMEmail = "bob@OUTLOOK.com" }),
			noEmail(ReasonConsumerEmail, ActionUpdateSubscriptionContact, 0, "")},
		{"R-ACT-6_no_osm_no_email", base(func(f *EmailFacts) { f.OSMEmail = "" }),
			noEmail(ReasonNoSubscriptionContact, ActionUpdateSubscriptionContact, 0, "")},
		{"R-ENR-5_dynamics_attaches_to_agreement_account", base(func(f *EmailFacts) {
			f.HasDynamics, f.AgreementAccountID = true, actPtr(int64(12))
		}), noEmail(ReasonAutoAgreementAccount, ActionAssignLicenses, 12, AssociatedByAgreementAccount)},
		{"R-ENR-5_only_for_enterprise", base(func(f *EmailFacts) {
			f.Program, f.HasDynamics, f.AgreementAccountID = ProgramMPSA, true, actPtr(int64(12))
		}), sendAt("2025-01-10T09:00:00Z", "2025-01-12T09:00:00Z")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := PlanActivationEmail(c.f)
			got := want{Send: p.Send, Recipient: p.Recipient, Subject: p.Subject, Trigger: p.Trigger,
				ScheduledAt: p.ScheduledAt.UTC().Format(time.RFC3339), DueBy: p.DueBy.UTC().Format(time.RFC3339),
				Cause: p.Cause, Code: p.Reason.Code, Action: p.Reason.Action}
			if p.AssociateWith != nil {
				got.AssociateWith = *p.AssociateWith
			}
			if got != c.want || p.Reason.Message == "" {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestEmailDueBy(t *testing.T) {
	cases := []struct {
		name, processed string
		usage           Date
		sched, due      string
	}{
		{"R-ACT-4_due_48h_after_usage_start", "2025-01-10T09:00:00Z", NewDate(2025, time.February, 1), "2025-02-01T00:00:00Z", "2025-02-03T00:00:00Z"},
		{"R-ACT-4_backdated_usage_start_runs_from_processing", "2025-01-10T09:00:00Z", NewDate(2025, time.January, 1), "2025-01-10T09:00:00Z", "2025-01-12T09:00:00Z"},
		{"R-ACT-4_usage_start_same_day_as_processing", "2025-01-10T09:00:00Z", NewDate(2025, time.January, 10), "2025-01-10T09:00:00Z", "2025-01-12T09:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := actAt(t, c.processed)
			if got := EmailScheduledAt(p, c.usage); !got.Equal(actAt(t, c.sched)) {
				t.Errorf("scheduled %s, want %s", got, c.sched)
			}
			if got := EmailDueBy(p, c.usage); !got.Equal(actAt(t, c.due)) {
				t.Errorf("due %s, want %s", got, c.due)
			}
		})
	}
}

func TestPlanResend(t *testing.T) {
	base := ResendFacts{Trigger: EmailTriggerAdminResend, OSMEmail: " carol@contoso.com ", FirstProcessedAt: actAtP(t, "2025-01-10T09:00:00Z"),
		UsageStart: NewDate(2025, time.February, 1), OriginalPurchase: NewDate(2025, time.January, 10)}
	with := func(change func(*ResendFacts)) ResendFacts { f := base; change(&f); return f }
	cases := []struct {
		name     string
		f        ResendFacts
		asOf     string
		code     Code // "" = sent
		recip    string
		sendAt   string
		trigger  EmailTrigger
		resendTo string
	}{
		{name: "R-ACT-7_admin_resend_to_current_contact", f: base, asOf: "2025-02-10T00:00:00Z", recip: "carol@contoso.com", sendAt: "2025-02-10T00:00:00Z", trigger: EmailTriggerAdminResend},
		{name: "R-ACT-7_contact_update_before_usage_start_waits", f: with(func(f *ResendFacts) { f.Trigger = EmailTriggerContactUpdated }), asOf: "2025-01-20T00:00:00Z",
			recip: "carol@contoso.com", sendAt: "2025-02-01T00:00:00Z", trigger: EmailTriggerContactUpdated},
		{name: "R-ACT-7_R-ACT-6_no_contact", f: with(func(f *ResendFacts) { f.OSMEmail = "" }), asOf: "2025-02-10T00:00:00Z", code: CodeNoSubscriptionContact},
		{name: "R-ACT-7_R-ACT-5_outlook_com", f: with(func(f *ResendFacts) { f.OSMEmail = "carol@outlook.com" }), asOf: "2025-02-10T00:00:00Z", code: CodeConsumerEmail},
		{name: "R-ACT-7_R-ACT-8_expired_link", f: base, asOf: "2025-07-10T00:00:00Z", code: CodeLinkExpired},
		{name: "R-ACT-7_R-ACT-3_already_activated", f: with(func(f *ResendFacts) { f.Associated = true }), asOf: "2025-02-10T00:00:00Z", code: CodeAlreadyActivated},
		{name: "R-ACT-7_R-ACT-1_nothing_processed", f: with(func(f *ResendFacts) { f.FirstProcessedAt = nil }), asOf: "2025-02-10T00:00:00Z", code: CodeNoProcessedOrder},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, p := PlanResend(c.f, actAt(t, c.asOf))
			if c.code != "" {
				if p == nil || p.Code != c.code || !reflect.DeepEqual(p.Field, []string{"enrollmentId"}) {
					t.Fatalf("problem %+v, want %s on enrollmentId", p, c.code)
				}
				return
			}
			if p != nil {
				t.Fatalf("unexpected problem %+v", p)
			}
			want := ResendPlan{Recipient: c.recip, Subject: ActivationEmailSubject, Trigger: c.trigger, SendAt: actAt(t, c.sendAt)}
			if plan != want {
				t.Errorf("plan %+v, want %+v", plan, want)
			}
		})
	}
}

func TestActivationLink(t *testing.T) {
	cases := []struct {
		name      string
		purchase  Date
		reenabled string
		want      string
	}{
		{"R-ACT-8_six_months_after_purchase", NewDate(2025, time.January, 10), "", "2025-07-10T00:00:00Z"},
		{"R-ACT-8_month_end_clamps", NewDate(2024, time.August, 31), "", "2025-02-28T00:00:00Z"},
		{"R-ACT-8_month_end_leap_year", NewDate(2023, time.August, 31), "", "2024-02-29T00:00:00Z"},
		{"R-ACT-8_support_reenable_extends", NewDate(2025, time.January, 10), "2025-09-01T12:00:00Z", "2025-09-01T12:00:00Z"},
		{"R-ACT-8_earlier_reenable_does_not_shorten", NewDate(2025, time.January, 10), "2025-03-01T00:00:00Z", "2025-07-10T00:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var re *time.Time
			if c.reenabled != "" {
				re = actAtP(t, c.reenabled)
			}
			exp := LinkExpiresAt(c.purchase, re)
			if !exp.Equal(actAt(t, c.want)) {
				t.Fatalf("expires %s, want %s", exp, c.want)
			}
			if p := CheckActivationLink(c.purchase, re, exp.Add(-time.Second)); p != nil {
				t.Errorf("refused a second before expiry: %+v", p)
			}
			if p := CheckActivationLink(c.purchase, re, exp); p == nil || p.Code != CodeLinkExpired {
				t.Errorf("at expiry got %+v, want LINK_EXPIRED", p)
			}
		})
	}
}

func TestDecideActivation(t *testing.T) {
	asOf := actAt(t, "2025-03-01T00:00:00Z")
	e3 := ActivationLine{SKU: "O365_E3", Family: FamilyOffice365, Kind: KindBase, Countries: []string{"US", "CA"}, IncompatibleSKUs: []string{"BUSINESS_PREMIUM"}}
	d365 := ActivationLine{SKU: "D365_SALES", Family: FamilyDynamics365, Kind: KindBase}
	acct := func(id int64) *ActivationAccount { return &ActivationAccount{ID: id, Country: "US"} }
	base := func(change func(*ActivationRequestFacts)) ActivationRequestFacts {
		f := ActivationRequestFacts{Program: ProgramEnterprise, AsOf: asOf, OriginalPurchase: NewDate(2025, time.January, 10),
			Target: acct(5), Lines: []ActivationLine{e3}}
		if change != nil {
			change(&f)
		}
		return f
	}
	cases := []struct {
		name  string
		f     ActivationRequestFacts
		want  ActivationDecision // Message ignored
		codes []Code
	}{
		{"R-ENR-3_existing_account_keeps_settings", base(nil), ActivationDecision{AccountID: 5}, nil},
		{"R-ENR-3_new_account_created", base(func(f *ActivationRequestFacts) { f.Target, f.NewAccountCountry = nil, "CA" }), ActivationDecision{CreateAccount: true}, nil},
		{"R-ACT-9_anyone_with_valid_link_activates", base(func(f *ActivationRequestFacts) { f.AsOf = actAt(t, "2025-07-09T23:59:59Z") }), ActivationDecision{AccountID: 5}, nil},
		{"R-ENR-1_already_on_another_account", base(func(f *ActivationRequestFacts) {
			f.AssociatedAccountID, f.LicenseAccountIDs = actPtr(int64(9)), []int64{9}
		}), ActivationDecision{}, []Code{CodeAlreadyActivated}},
		{"R-ENR-1_new_account_when_already_associated", base(func(f *ActivationRequestFacts) {
			f.AssociatedAccountID, f.Target = actPtr(int64(9)), nil
		}), ActivationDecision{}, []Code{CodeAlreadyActivated}},
		{"R-ACT-11_open_value_yearly_reactivation_despite_old_link", base(func(f *ActivationRequestFacts) {
			f.Program, f.AssociatedAccountID, f.AsOf = ProgramOpenValue, actPtr(int64(5)), actAt(t, "2026-03-01T00:00:00Z")
		}), ActivationDecision{AccountID: 5, AlreadyOnAccount: true}, nil},
		{"R-ENR-2_licenses_already_on_other_account", base(func(f *ActivationRequestFacts) { f.LicenseAccountIDs = []int64{5, 9} }),
			ActivationDecision{}, []Code{CodeEnrollmentSplit}},
		{"R-ENR-2_licenses_on_target_are_fine", base(func(f *ActivationRequestFacts) { f.LicenseAccountIDs = []int64{5} }),
			ActivationDecision{AccountID: 5}, nil},
		{"R-ENR-5_dynamics_must_use_agreement_account", base(func(f *ActivationRequestFacts) {
			f.Lines, f.AgreementAccountID = []ActivationLine{d365}, actPtr(int64(12))
		}), ActivationDecision{}, []Code{CodeMustUseAgreementAccount}},
		{"R-ENR-5_new_account_refused_too", base(func(f *ActivationRequestFacts) {
			f.Lines, f.AgreementAccountID, f.Target = []ActivationLine{d365}, actPtr(int64(12)), nil
		}), ActivationDecision{}, []Code{CodeMustUseAgreementAccount}},
		{"R-ENR-5_agreement_account_accepted", base(func(f *ActivationRequestFacts) {
			f.Lines, f.AgreementAccountID, f.Target = []ActivationLine{d365}, actPtr(int64(12)), acct(12)
		}), ActivationDecision{AccountID: 12}, nil},
		{"R-ENR-5_not_for_mpsa", base(func(f *ActivationRequestFacts) {
			f.Program, f.Lines, f.AgreementAccountID = ProgramMPSA, []ActivationLine{d365}, actPtr(int64(12))
		}), ActivationDecision{AccountID: 5}, nil},
		{"R-ACT-8_expired_link_refused", base(func(f *ActivationRequestFacts) { f.AsOf = actAt(t, "2025-07-10T00:00:00Z") }),
			ActivationDecision{}, []Code{CodeLinkExpired}},
		{"R-ACT-12_sku_not_sold_in_new_account_country", base(func(f *ActivationRequestFacts) { f.Target, f.NewAccountCountry = nil, "FR" }),
			ActivationDecision{}, []Code{CodeSKUNotAvailableInCountry}},
		{"R-ACT-12_incompatible_sku_on_target_and_every_problem_reported", base(func(f *ActivationRequestFacts) {
			f.Target.SKUs = []string{"BUSINESS_PREMIUM"}
			f.AsOf = actAt(t, "2025-08-01T00:00:00Z")
		}), ActivationDecision{}, []Code{CodeLinkExpired, CodeIncompatibleSKUs}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, ps := DecideActivation(c.f)
			var codes []Code
			for _, p := range ps {
				codes = append(codes, p.Code)
			}
			if !reflect.DeepEqual(codes, c.codes) {
				t.Fatalf("codes %v (%v), want %v", codes, ps, c.codes)
			}
			if len(ps) == 0 && d.Message == "" {
				t.Error("accepted decision has no message")
			}
			d.Message = ""
			if d != c.want {
				t.Errorf("decision %+v, want %+v", d, c.want)
			}
		})
	}
	t.Run("R-ENR-5_refusal_names_agreement_account", func(t *testing.T) {
		_, ps := DecideActivation(base(func(f *ActivationRequestFacts) {
			f.Lines, f.AgreementAccountID = []ActivationLine{e3, d365}, actPtr(int64(4242))
		}))
		if len(ps) != 1 || !strings.Contains(ps[0].Message, "4242") || !reflect.DeepEqual(ps[0].Field, []string{"accountId"}) {
			t.Errorf("problems %+v, want one naming account 4242 on accountId", ps)
		}
	})
}

func TestDecideRemap(t *testing.T) {
	cases := []struct {
		name string
		f    RemapFacts
		code Code // "" = allowed
	}{
		{"R-ENR-4_dynamics_with_o365_on_account_refused", RemapFacts{CurrentAccountID: 1, TargetAccountID: 2,
			EnrollmentFamilies: []Family{FamilyDynamics365}, AgreementFamiliesOnCurrentAccount: []Family{FamilyOffice365}}, CodeRemapSplitsAgreement},
		{"R-ENR-4_dynamics_with_intune_on_account_refused", RemapFacts{CurrentAccountID: 1, TargetAccountID: 2,
			EnrollmentFamilies: []Family{FamilyDynamics365}, AgreementFamiliesOnCurrentAccount: []Family{FamilyIntune}}, CodeRemapSplitsAgreement},
		{"R-ENR-4_dynamics_alone_moves", RemapFacts{CurrentAccountID: 1, TargetAccountID: 2,
			EnrollmentFamilies: []Family{FamilyDynamics365}, AgreementFamiliesOnCurrentAccount: []Family{FamilyDynamics365}}, ""},
		{"R-ENR-4_office_enrollment_moves", RemapFacts{CurrentAccountID: 1, TargetAccountID: 2,
			EnrollmentFamilies: []Family{FamilyOffice365}, AgreementFamiliesOnCurrentAccount: []Family{FamilyMicrosoft365}}, ""},
		{"R-ENR-4_same_account_is_invalid", RemapFacts{CurrentAccountID: 1, TargetAccountID: 1}, CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := DecideRemap(c.f)
			switch {
			case c.code == "" && p != nil:
				t.Errorf("refused: %+v", p)
			case c.code != "" && (p == nil || p.Code != c.code):
				t.Errorf("got %+v, want %s", p, c.code)
			}
		})
	}
}

func TestRenewalAssociation(t *testing.T) {
	old := actPtr(int64(31))
	cases := []struct {
		name   string
		f      RenewalAssociationFacts
		assoc  int64
		email  bool
		reason ReasonCode
	}{
		{"R-ACT-10_same_name_single_enrollment_joins_old_account", RenewalAssociationFacts{OldOrganizationName: "Contoso  Ltd", NewOrganizationName: " contoso ltd", EnrollmentsWithOrganizationName: 1, OldAccountID: old}, 31, false, ReasonAutoRenewal},
		{"R-ACT-10_several_enrollments_same_name_each_emailed", RenewalAssociationFacts{OldOrganizationName: "Contoso", NewOrganizationName: "Contoso", EnrollmentsWithOrganizationName: 2, OldAccountID: old}, 0, true, ReasonRenewalNeedsActivation},
		{"R-ACT-10_different_name_emailed", RenewalAssociationFacts{OldOrganizationName: "Contoso", NewOrganizationName: "Contoso Europe", EnrollmentsWithOrganizationName: 1, OldAccountID: old}, 0, true, ReasonRenewalNeedsActivation},
		{"R-ACT-10_old_never_activated_emailed", RenewalAssociationFacts{OldOrganizationName: "Contoso", NewOrganizationName: "Contoso", EnrollmentsWithOrganizationName: 1, OldAccountID: nil}, 0, true, ReasonRenewalNeedsActivation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := RenewalAssociation(c.f)
			var got int64
			if p.AssociateWith != nil {
				got = *p.AssociateWith
			}
			if got != c.assoc || p.SendEmail != c.email || p.Reason.Code != c.reason || p.Reason.Message == "" {
				t.Errorf("got %+v (account %d), want account %d email %v %s", p, got, c.assoc, c.email, c.reason)
			}
			// Only the several-enrollments case is the one activationStatus explains as such.
			if several := c.f.EnrollmentsWithOrganizationName > 1 && c.f.OldAccountID != nil && c.f.OldOrganizationName == c.f.NewOrganizationName; p.SeveralSameName != several {
				t.Errorf("SeveralSameName = %v, want %v", p.SeveralSameName, several)
			}
		})
	}
}

func TestProductKeyRedemption(t *testing.T) {
	redeemed := actAtP(t, "2025-01-05T00:00:00Z")
	unknown := DecideProductKeyRedemption(KeyFacts{Found: false, CallerResellerID: 1})
	cases := []struct {
		name string
		f    KeyFacts
		code Code
	}{
		{"R-ACT-13_unknown_key", KeyFacts{Found: false, CallerResellerID: 1}, CodeUnknownKey},
		{"R-ACT-13_already_redeemed", KeyFacts{Found: true, KeyResellerID: 1, CallerResellerID: 1, RedeemedAt: redeemed}, CodeKeyAlreadyRedeemed},
		{"R-ACT-13_other_resellers_key_is_unknown", KeyFacts{Found: true, KeyResellerID: 2, CallerResellerID: 1}, CodeUnknownKey},
		{"R-ACT-13_other_resellers_redeemed_key_is_unknown", KeyFacts{Found: true, KeyResellerID: 2, CallerResellerID: 1, RedeemedAt: redeemed}, CodeUnknownKey},
		{"R-ACT-13_own_fresh_key_redeems", KeyFacts{Found: true, KeyResellerID: 1, CallerResellerID: 1}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := DecideProductKeyRedemption(c.f)
			if c.code == "" {
				if p != nil {
					t.Errorf("refused: %+v", p)
				}
				return
			}
			if p == nil || p.Code != c.code {
				t.Fatalf("got %+v, want %s", p, c.code)
			}
			// Never reveal another reseller's key: the answer is identical to an unknown one.
			if c.code == CodeUnknownKey && !reflect.DeepEqual(p, unknown) {
				t.Errorf("got %+v, differs from unknown-key answer %+v", p, unknown)
			}
		})
	}
}

func TestPlanRenewal(t *testing.T) {
	renewedAt := actAt(t, "2025-06-01T00:00:00Z")
	f := RenewalFacts{
		Old: []RenewalSubscription{{1, "O365_E3"}, {2, "EXCHANGE_P1"}, {3, "EXTRA_STORAGE"}},
		New: []RenewalSubscription{{11, "O365_E5"}, {12, "EXCHANGE_P1"}, {13, "EXTRA_STORAGE"}},
	}
	t.Run("R-SUB-2_old_in_grace_new_active_no_double_count", func(t *testing.T) {
		p := PlanRenewal(f, renewedAt, 0)
		if len(p.Old) != 3 || len(p.New) != 3 {
			t.Fatalf("plan %+v", p)
		}
		for _, o := range p.Old {
			term := SubscriptionTerm{GraceFrom: o.GraceFrom, GraceUntil: o.GraceUntil}
			if o.Status != SubscriptionInGrace || term.StatusAt(renewedAt) != SubscriptionInGrace || term.StatusAt(renewedAt).Counts() {
				t.Errorf("old %+v is %s at renewal", o, term.StatusAt(renewedAt))
			}
			if term.StatusAt(renewedAt.Add(-time.Second)) != SubscriptionActive {
				t.Errorf("old %+v not ACTIVE before renewal", o)
			}
		}
		for _, n := range p.New {
			if n.Status != SubscriptionActive || n.GraceFrom != nil || n.GraceUntil != nil {
				t.Errorf("new %+v", n)
			}
		}
	})
	t.Run("R-SUB-3_default_grace_30_days_then_deprovisioned", func(t *testing.T) {
		p := PlanRenewal(f, renewedAt, 0)
		want := actAt(t, "2025-07-01T00:00:00Z")
		if !p.GraceUntil.Equal(want) || !p.Old[0].GraceUntil.Equal(want) {
			t.Fatalf("grace until %s, want %s", p.GraceUntil, want)
		}
		term := SubscriptionTerm{GraceFrom: p.Old[0].GraceFrom, GraceUntil: p.Old[0].GraceUntil}
		if got := term.StatusAt(want.Add(-time.Nanosecond)); got != SubscriptionInGrace {
			t.Errorf("just before the end: %s", got)
		}
		if got := term.StatusAt(want); got != SubscriptionDeprovisioned {
			t.Errorf("at the end: %s", got)
		}
	})
	t.Run("R-SUB-3_configured_grace", func(t *testing.T) {
		p := PlanRenewal(f, renewedAt, 10*24*time.Hour)
		if want := actAt(t, "2025-06-11T00:00:00Z"); !p.GraceUntil.Equal(want) {
			t.Errorf("grace until %s, want %s", p.GraceUntil, want)
		}
	})
	t.Run("R-SUB-4_same_skus_carry_over_e3_to_e5_reassigned", func(t *testing.T) {
		p := PlanRenewal(f, renewedAt, 0)
		if !reflect.DeepEqual(p.CarriedSKUs, []string{"EXCHANGE_P1", "EXTRA_STORAGE"}) ||
			!reflect.DeepEqual(p.ReassignSKUs, []string{"O365_E3"}) || !reflect.DeepEqual(p.NewOnlySKUs, []string{"O365_E5"}) {
			t.Errorf("carried %v reassign %v new %v", p.CarriedSKUs, p.ReassignSKUs, p.NewOnlySKUs)
		}
	})
	t.Run("R-SUB-4_identical_renewal_carries_everything", func(t *testing.T) {
		p := PlanRenewal(RenewalFacts{Old: f.Old, New: []RenewalSubscription{{21, "EXTRA_STORAGE"}, {22, "O365_E3"}, {23, "EXCHANGE_P1"}}}, renewedAt, 0)
		if !reflect.DeepEqual(p.CarriedSKUs, []string{"EXCHANGE_P1", "EXTRA_STORAGE", "O365_E3"}) || p.ReassignSKUs != nil || p.NewOnlySKUs != nil {
			t.Errorf("carried %v reassign %v new %v", p.CarriedSKUs, p.ReassignSKUs, p.NewOnlySKUs)
		}
	})
}

// Messages name accounts by their display name; a client cannot use an internal number.
func TestActivationMessagesNameAccounts(t *testing.T) {
	t.Run("R-ACT-12_messages_name_the_account", func(t *testing.T) {
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		f := ActivationFacts{Program: ProgramEnterprise, OSMEmail: "o@fabrikam.com", HasOrderOrReservation: true, FirstProcessedAt: &at,
			Account: &ActivationAccount{ID: 4242, Name: "Fabrikam tenant", Country: "US"}, AssociatedAt: &at, AssociationCause: AssociatedByLink}
		st := ActivationStatusAt(f, at.Add(time.Hour))
		if len(st.Reasons) == 0 || !strings.Contains(st.Reasons[0].Message, `"Fabrikam tenant"`) || strings.Contains(st.Reasons[0].Message, "4242") {
			t.Fatalf("reasons %+v: want the account's name, not its number", st.Reasons)
		}
		_, ps := DecideActivation(ActivationRequestFacts{Program: ProgramEnterprise, AsOf: at, AssociatedAccountID: actPtr(int64(7)),
			Target: &ActivationAccount{ID: 8, Name: "Other"}, AccountNames: map[int64]string{7: "Fabrikam tenant"}})
		if len(ps) == 0 || !strings.Contains(ps[0].Message, `"Fabrikam tenant"`) {
			t.Fatalf("problems %+v: want the current account's name", ps)
		}
	})
}
