package licensing

import (
	"strings"
	"testing"
	"time"
)

func TestActivationStatusTimeline(t *testing.T) {
	notSent := baseFacts(t)
	sent := baseFacts(t)
	sent.Emails = []ActivationEmail{{Recipient: "alice@contoso.com", Trigger: EmailTriggerFirstOrder,
		ScheduledAt: instant(t, "2025-02-01T00:00:00Z"), SentAt: instantPtr(t, "2025-02-01T06:00:00Z")}}
	reenabled := sent
	reenabled.LinkReenabledUntil = instantPtr(t, "2025-08-01T00:00:00Z")
	activated := sent
	activated.Account = &ActivationAccount{ID: 7, Country: "US"}
	activated.AssociatedAt = instantPtr(t, "2025-02-05T10:00:00Z")

	cases := []statusCase{
		{"R-ACT-1_before_first_order_processed", notSent, "2025-01-09T00:00:00Z", ActivationNoOrder,
			[]wantReason{{ReasonOrderNotProcessed, ActionWait, "2025-01-10T09:00:00Z"}}},
		{"R-ACT-4_no_email_before_usage_start_and_R-ORD-5_pending", notSent, "2025-01-10T10:00:00Z", ActivationAwaitingUsageStart,
			[]wantReason{{ReasonUsageStartInFuture, ActionWait, "2025-02-01T00:00:00Z"}, {ReasonLicensesPending, ActionWait, "2025-01-10T21:00:00Z"}}},
		{"R-ORD-5_pending_ends_after_12h", notSent, "2025-01-10T21:00:00Z", ActivationAwaitingUsageStart,
			[]wantReason{{ReasonUsageStartInFuture, ActionWait, "2025-02-01T00:00:00Z"}}},
		{"R-ACT-4_email_may_come_within_48h", notSent, "2025-02-02T12:00:00Z", ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}}},
		{"R-ACT-4_email_overdue_after_48h", notSent, "2025-02-03T00:00:00Z", ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailOverdue, ActionContactSupport, ""}}},
		{"R-ACT-8_link_alive_until_six_months", notSent, "2025-07-09T23:59:59Z", ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailOverdue, ActionContactSupport, ""}}},
		{"R-ACT-8_link_expired_without_email", notSent, "2025-07-10T00:00:00Z", ActivationLinkExpired,
			[]wantReason{{ReasonLinkExpired, ActionContactSupport, ""}}},
		{"R-ACT-4_known_send_time_is_next_change", sent, "2025-02-01T05:00:00Z", ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-02-01T06:00:00Z"}}},
		{"R-ACT-1_email_sent_link_valid", sent, "2025-02-02T00:00:00Z", ActivationEmailSent,
			[]wantReason{{ReasonEmailSent, ActionActivate, "2025-07-10T00:00:00Z"}}},
		{"R-ACT-8_link_expired_after_email", sent, "2025-07-10T00:00:00Z", ActivationLinkExpired,
			[]wantReason{{ReasonLinkExpired, ActionContactSupport, ""}}},
		{"R-ACT-8_support_reenabled_link", reenabled, "2025-07-15T00:00:00Z", ActivationEmailSent,
			[]wantReason{{ReasonEmailSent, ActionActivate, "2025-08-01T00:00:00Z"}}},
		{"R-ACT-8_reenabled_link_expires_again", reenabled, "2025-08-01T00:00:00Z", ActivationLinkExpired,
			[]wantReason{{ReasonLinkExpired, ActionContactSupport, ""}}},
		{"R-ACT-3_before_activation_still_email_sent", activated, "2025-02-05T09:59:59Z", ActivationEmailSent,
			[]wantReason{{ReasonEmailSent, ActionActivate, "2025-07-10T00:00:00Z"}}},
		{"R-ACT-3_activated", activated, "2025-02-05T10:00:00Z", ActivationActivated,
			[]wantReason{{ReasonActivated, ActionAssignLicenses, ""}}},
		{"R-ACT-3_activated_ignores_link_expiry", activated, "2025-09-01T00:00:00Z", ActivationActivated,
			[]wantReason{{ReasonActivated, ActionAssignLicenses, ""}}},
	}
	runStatusCases(t, cases)
}

func TestActivationStatusReasons(t *testing.T) {
	within := "2025-02-02T00:00:00Z" // inside the 48h window of actBaseFacts
	mod := func(change func(*ActivationFacts)) ActivationFacts {
		f := baseFacts(t)
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
	cases := []statusCase{
		{"R-ACT-12_no_order_or_reservation", mod(func(f *ActivationFacts) {
			f.HasOrderOrReservation, f.FirstProcessedAt, f.Lines = false, nil, nil
		}), within, ActivationNoOrder, []wantReason{{ReasonNoOrderOrReservation, ActionContactReseller, ""}}},
		{"R-ACT-6_no_OSM_blocks", mod(func(f *ActivationFacts) { f.OSMEmail = "  " }), within, ActivationBlocked,
			[]wantReason{{ReasonNoSubscriptionContact, ActionUpdateSubscriptionContact, ""}}},
		{"R-ACT-6_no_OSM_and_R-ACT-8_expired_link", mod(func(f *ActivationFacts) { f.OSMEmail = "" }), "2025-08-01T00:00:00Z", ActivationLinkExpired,
			[]wantReason{{ReasonLinkExpired, ActionContactSupport, ""}, {ReasonNoSubscriptionContact, ActionUpdateSubscriptionContact, ""}}},
		{"R-ACT-5_outlook_com_blocks", mod(func(f *ActivationFacts) { f.OSMEmail = "Bob@Outlook.COM" }), within, ActivationBlocked,
			[]wantReason{{ReasonConsumerEmail, ActionUpdateSubscriptionContact, ""}}},
		{"R-ACT-5_hotmail_is_not_outlook_com", mod(func(f *ActivationFacts) { f.OSMEmail = "bob@hotmail.com" }), within, ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}}},
		{"R-ACT-2_auto_provisioned_verified_domain", mod(assoc(AssociatedByVerifiedDomain)), within, ActivationAutoProvisioned,
			[]wantReason{{ReasonAutoVerifiedDomain, ActionAssignLicenses, ""}}},
		{"R-ACT-2_auto_provisioned_admin_email", mod(assoc(AssociatedByAdminEmail)), within, ActivationAutoProvisioned,
			[]wantReason{{ReasonAutoAdminEmail, ActionAssignLicenses, ""}}},
		{"R-ACT-10_renewal_associated_without_email", mod(assoc(AssociatedByRenewal)), within, ActivationAutoProvisioned,
			[]wantReason{{ReasonAutoRenewal, ActionAssignLicenses, ""}}},
		{"R-ENR-5_attached_to_agreement_account", mod(assoc(AssociatedByAgreementAccount)), within, ActivationAutoProvisioned,
			[]wantReason{{ReasonAutoAgreementAccount, ActionAssignLicenses, ""}}},
		{"R-ACT-3_link_activation_is_activated", mod(assoc("")), within, ActivationActivated,
			[]wantReason{{ReasonActivated, ActionAssignLicenses, ""}}},
		{"R-ACT-10_several_enrollments_same_name_need_own_activation", mod(func(f *ActivationFacts) { f.RenewalNeedsOwnActivation = true }), within, ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}, {ReasonRenewalNeedsActivation, ActionActivate, ""}}},
		{"R-RES-4_reservation_pending_not_yet_overdue", mod(func(f *ActivationFacts) {
			f.FirstProcessedAt, f.Lines = nil, nil
			f.ReservationOverdueAt = instantPtr(t, "2025-01-11T10:00:00Z")
		}), "2025-01-11T09:59:59Z", ActivationNoOrder,
			[]wantReason{{ReasonOrderNotProcessed, ActionWait, ""}, {ReasonReservationPending, ActionWait, "2025-01-11T10:00:00Z"}}},
		{"R-RES-4_reservation_overdue", mod(func(f *ActivationFacts) {
			f.FirstProcessedAt, f.Lines = nil, nil
			f.ReservationOverdueAt = instantPtr(t, "2025-01-11T10:00:00Z")
		}), "2025-01-11T10:00:00Z", ActivationNoOrder,
			[]wantReason{{ReasonOrderNotProcessed, ActionWait, ""}, {ReasonReservationOverdue, ActionContactSupport, ""}}},
		{"R-ACT-12_addon_without_base", mod(func(f *ActivationFacts) {
			f.Lines = []ActivationLine{{SKU: "EXTRA_STORAGE", Family: FamilyOffice365, Kind: KindAddOn, BaseSKUs: []string{"O365_E3", "O365_E5"}}}
		}), within, ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}, {ReasonAddOnWithoutBase, ActionContactReseller, ""}}},
		{"R-ACT-12_addon_with_base_is_fine", mod(func(f *ActivationFacts) {
			f.Lines = append(f.Lines, ActivationLine{SKU: "EXTRA_STORAGE", Kind: KindAddOn, BaseSKUs: []string{"O365_E5", "O365_E3"}})
		}), within, ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}}},
		{"R-ACT-12_sku_not_in_account_country", mod(func(f *ActivationFacts) {
			assoc("")(f)
			f.Account.Country = "FR"
			f.Lines[0].Countries = []string{"US", "CA"}
		}), within, ActivationActivated,
			[]wantReason{{ReasonActivated, ActionAssignLicenses, ""}, {ReasonSKUNotAvailableInCountry, ActionContactReseller, ""}}},
		{"R-ACT-12_a_bounced_email_blocks_until_the_contact_is_fixed", mod(func(f *ActivationFacts) {
			f.Emails = []ActivationEmail{{Recipient: "alice@contoso.com", Trigger: EmailTriggerFirstOrder, ScheduledAt: instant(t, "2025-02-01T00:00:00Z"),
				BouncedAt: instantPtr(t, "2025-02-01T06:00:00Z"), BounceReason: "550 5.1.1 User unknown"}}
		}), within, ActivationBlocked,
			[]wantReason{{ReasonEmailBounced, ActionUpdateSubscriptionContact, ""}}},
		{"R-ACT-12_before_the_bounce_the_email_is_pending", mod(func(f *ActivationFacts) {
			f.Emails = []ActivationEmail{{Recipient: "alice@contoso.com", Trigger: EmailTriggerFirstOrder, ScheduledAt: instant(t, "2025-02-01T00:00:00Z"),
				BouncedAt: instantPtr(t, "2025-02-02T06:00:00Z")}}
		}), within, ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}}},
		{"R-ACT-7_a_new_contact's_email_after_a_bounce_is_pending_again", mod(func(f *ActivationFacts) {
			f.Emails = []ActivationEmail{
				{Recipient: "alice@contoso.com", Trigger: EmailTriggerFirstOrder, ScheduledAt: instant(t, "2025-02-01T00:00:00Z"), BouncedAt: instantPtr(t, "2025-02-01T06:00:00Z")},
				{Recipient: "bob@contoso.com", Trigger: EmailTriggerContactUpdated, ScheduledAt: instant(t, "2025-02-01T12:00:00Z")}}
		}), within, ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-02-03T12:00:00Z"}}},
		// The agreement's account cannot take the Dynamics licenses: not provisioned, no email
		// (it can be activated nowhere else).
		{"R-ACT-12_incompatible_skus_block_bound_account", mod(func(f *ActivationFacts) {
			f.BoundAccount = &ActivationAccount{ID: 12, Country: "US", SKUs: []string{"BUSINESS_PREMIUM"}}
			f.Lines[0].IncompatibleSKUs = []string{"BUSINESS_PREMIUM"}
		}), within, ActivationBlocked,
			[]wantReason{{ReasonProvisioningBlocked, ActionContactReseller, ""}, {ReasonIncompatibleSKUsOnAccount, ActionContactReseller, ""}}},
		{"R-ENR-5_names_the_account_it_must_be_activated_onto", mod(func(f *ActivationFacts) {
			f.BoundAccount = &ActivationAccount{ID: 12, Country: "US"}
		}), within, ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}, {ReasonMustUseAgreementAccount, ActionActivate, ""}}},
		// The OSM's domain is verified on an account in a country where the SKU is not sold: not
		// provisioned; the email goes to activate it elsewhere.
		{"R-ACT-2_R-ACT-12_provisioning_blocked_by_country", mod(func(f *ActivationFacts) {
			f.CustomerAccounts = []ActivationAccount{{ID: 4, Country: "BR", VerifiedDomains: []string{"contoso.com"}}}
			f.Lines[0].Countries = []string{"US"}
		}), within, ActivationBlocked,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}, {ReasonProvisioningBlocked, ActionActivate, ""}, {ReasonSKUNotAvailableInCountry, ActionContactReseller, ""}}},
		{"R-ACT-2_an_account_that_can_take_it_blocks_nothing", mod(func(f *ActivationFacts) {
			f.CustomerAccounts = []ActivationAccount{{ID: 4, Country: "US", VerifiedDomains: []string{"contoso.com"}}}
			f.Lines[0].Countries = []string{"US"}
		}), within, ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}}},
		{"R-ACT-10_R-ACT-12_renewal_blocked_by_incompatible_skus", mod(func(f *ActivationFacts) {
			f.RenewedFrom = &RenewedEnrollment{OrganizationName: " contoso", Account: &ActivationAccount{ID: 5, Country: "US", SKUs: []string{"M365_E3"}}}
			f.Lines[0].IncompatibleSKUs = []string{"M365_E3"}
		}), within, ActivationBlocked,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-02-03T00:00:00Z"}, {ReasonProvisioningBlocked, ActionActivate, ""}, {ReasonIncompatibleSKUsOnAccount, ActionContactReseller, ""}}},
	}
	runStatusCases(t, cases)

	t.Run("R-ENR-5_R-ACT-12_status_names_the_accounts", func(t *testing.T) {
		f := mod(func(f *ActivationFacts) {
			f.BoundAccount = &ActivationAccount{ID: 12, Name: "Fabrikam tenant", Country: "US"}
		})
		st := ActivationStatusAt(f, instant(t, within))
		if st.RequiredAccountID == nil || *st.RequiredAccountID != 12 {
			t.Fatalf("RequiredAccountID %v, want 12", st.RequiredAccountID)
		}
		r := st.Reasons[1]
		if r.AccountID == nil || *r.AccountID != 12 || !strings.Contains(r.Message, `"Fabrikam tenant"`) {
			t.Fatalf("MUST_USE_AGREEMENT_ACCOUNT reason %+v: want account 12 named", r)
		}
		if st := ActivationStatusAt(baseFacts(t), instant(t, within)); st.RequiredAccountID != nil {
			t.Fatalf("an enrollment free to choose has a required account: %v", *st.RequiredAccountID)
		}
	})
	t.Run("R-ACT-8_status_says_the_email_waits_for_a_reenabled_link", func(t *testing.T) {
		f := baseFacts(t)
		f.Emails = []ActivationEmail{{Recipient: "alice@contoso.com", Trigger: EmailTriggerFirstOrder, ScheduledAt: instant(t, "2025-02-01T00:00:00Z")}}
		st := ActivationStatusAt(f, instant(t, "2025-07-10T00:00:00Z"))
		checkStatus(t, st, ActivationLinkExpired, []wantReason{{ReasonLinkExpired, ActionContactSupport, ""}})
		if m := st.Reasons[0].Message; !strings.Contains(m, "was not sent") || !strings.Contains(m, "re-enable") {
			t.Fatalf("message %q: want it to say the email was not sent and goes once support re-enables the link", m)
		}
		// Re-enabled: the email is rescheduled from then, with its own 48 hours.
		f.LinkReenabledUntil = instantPtr(t, "2025-09-01T00:00:00Z")
		f.Emails[0].ScheduledAt = instant(t, "2025-07-15T00:00:00Z")
		checkStatus(t, ActivationStatusAt(f, instant(t, "2025-07-15T01:00:00Z")), ActivationAwaitingEmail,
			[]wantReason{{ReasonEmailPending, ActionWait, "2025-07-17T00:00:00Z"}})
	})

	t.Run("R-ACT-7_status_names_latest_recipient", func(t *testing.T) {
		f := baseFacts(t)
		f.Emails = []ActivationEmail{
			{Recipient: "new@contoso.com", Trigger: EmailTriggerContactUpdated, SentAt: instantPtr(t, "2025-02-03T00:00:00Z")},
			{Recipient: "old@contoso.com", Trigger: EmailTriggerFirstOrder, SentAt: instantPtr(t, "2025-02-01T00:00:00Z")},
		}
		for asOf, who := range map[string]string{"2025-02-02T00:00:00Z": "old@contoso.com", "2025-02-04T00:00:00Z": "new@contoso.com"} {
			st := ActivationStatusAt(f, instant(t, asOf))
			if st.State != ActivationEmailSent || !strings.Contains(st.Reasons[0].Message, who) {
				t.Errorf("as of %s: %+v, want EMAIL_SENT naming %s", asOf, st, who)
			}
		}
	})
	t.Run("R-ACT-9_email_sent_says_link_may_be_forwarded", func(t *testing.T) {
		f := baseFacts(t)
		f.Emails = []ActivationEmail{{Recipient: "alice@contoso.com", SentAt: instantPtr(t, "2025-02-01T00:00:00Z")}}
		st := ActivationStatusAt(f, instant(t, within))
		if !strings.Contains(st.Reasons[0].Message, "Anyone holding its link") {
			t.Errorf("message %q does not say the link may be forwarded", st.Reasons[0].Message)
		}
	})
}

func TestOpenValueActivation(t *testing.T) {
	f := baseFacts(t)
	f.Program = ProgramOpenValue
	f.Lines = nil
	f.Account = &ActivationAccount{ID: 5, Country: "US"}
	f.AssociatedAt = instantPtr(t, "2024-03-01T10:00:00Z")
	renewed := f
	renewed.LastActivatedAt = instantPtr(t, "2025-02-20T08:00:00Z")
	cases := []statusCase{
		{"R-ACT-11_activated_until_a_year_later", f, "2025-02-01T00:00:00Z", ActivationActivated,
			[]wantReason{{ReasonActivated, ActionAssignLicenses, "2025-03-01T10:00:00Z"}}},
		{"R-ACT-11_due_a_year_after_activation", f, "2025-03-01T10:00:00Z", ActivationDue,
			[]wantReason{{ReasonOpenValueActivationDue, ActionActivate, ""}, {ReasonActivated, ActionAssignLicenses, ""}}},
		{"R-ACT-11_last_activation_counts", renewed, "2025-03-01T10:00:00Z", ActivationActivated,
			[]wantReason{{ReasonActivated, ActionAssignLicenses, "2026-02-20T08:00:00Z"}}},
	}
	runStatusCases(t, cases)
	t.Run("R-ACT-11_due_at", func(t *testing.T) {
		for from, want := range map[string]string{
			"2024-03-01T10:00:00Z": "2025-03-01T10:00:00Z",
			"2024-02-29T00:00:00Z": "2025-03-01T00:00:00Z", // documented: no 29 Feb next year
		} {
			if got := OpenValueActivationDueAt(instant(t, from)); !got.Equal(instant(t, want)) {
				t.Errorf("OpenValueActivationDueAt(%s) = %s, want %s", from, got, want)
			}
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
		_, ps := DecideActivation(ActivationRequestFacts{Program: ProgramEnterprise, AsOf: at, AssociatedAccountID: ptr(int64(7)),
			Target: &ActivationAccount{ID: 8, Name: "Other"}, AccountNames: map[int64]string{7: "Fabrikam tenant"}})
		if len(ps) == 0 || !strings.Contains(ps[0].Message, `"Fabrikam tenant"`) {
			t.Fatalf("problems %+v: want the current account's name", ps)
		}
	})
}
