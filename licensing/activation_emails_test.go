package licensing

import (
	"reflect"
	"testing"
	"time"
)

func TestPlanActivationEmail(t *testing.T) {
	processed := instant(t, "2025-01-10T09:00:00Z")
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
		{"R-ACT-3_associated_enrollment_no_email", base(func(f *EmailFacts) { f.AssociatedAccountID = ptr(int64(7)) }),
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
			f.HasDynamics, f.AgreementAccountID = true, ptr(int64(12))
		}), noEmail(ReasonAutoAgreementAccount, ActionAssignLicenses, 12, AssociatedByAgreementAccount)},
		// Clarification R-ACT-2 / R-ACT-12: an account that cannot take the enrollment gets no
		// automatic provisioning. Matched by the OSM: the email goes, to activate elsewhere.
		{"R-ACT-2_R-ACT-12_matched_account_that_cannot_take_it_is_not_provisioned", base(func(f *EmailFacts) {
			f.Accounts = append(f.Accounts, ActivationAccount{ID: 4, Country: "BR", VerifiedDomains: []string{"contoso.com"}})
			f.Lines = []ActivationLine{{SKU: "D365", Family: FamilyDynamics365, Countries: []string{"US"}}}
		}), want{Send: true, Recipient: "alice@contoso.com", Subject: "Sign in or sign up to start using your new subscription", Trigger: EmailTriggerFirstOrder,
			ScheduledAt: "2025-01-10T09:00:00Z", DueBy: "2025-01-12T09:00:00Z", Code: ReasonProvisioningBlocked, Action: ActionActivate}},
		{"R-ACT-2_R-ACT-12_incompatible_sku_on_the_matched_account", base(func(f *EmailFacts) {
			f.Accounts = append(f.Accounts, ActivationAccount{ID: 4, Country: "US", VerifiedDomains: []string{"contoso.com"}, SKUs: []string{"M365-E3"}})
			f.Lines = []ActivationLine{{SKU: "O365-E3", Family: FamilyOffice365, IncompatibleSKUs: []string{"M365-E3"}}}
		}), want{Send: true, Recipient: "alice@contoso.com", Subject: "Sign in or sign up to start using your new subscription", Trigger: EmailTriggerFirstOrder,
			ScheduledAt: "2025-01-10T09:00:00Z", DueBy: "2025-01-12T09:00:00Z", Code: ReasonProvisioningBlocked, Action: ActionActivate}},
		// The agreement's account: activation elsewhere is refused (R-ENR-5), so no email either.
		{"R-ENR-5_R-ACT-12_agreement_account_that_cannot_take_it_no_email", base(func(f *EmailFacts) {
			f.HasDynamics, f.AgreementAccountID = true, ptr(int64(12))
			f.AgreementAccount = &ActivationAccount{ID: 12, Country: "BR"}
			f.Lines = []ActivationLine{{SKU: "D365", Family: FamilyDynamics365, Countries: []string{"US"}}}
		}), noEmail(ReasonProvisioningBlocked, ActionContactReseller, 0, "")},
		{"R-ENR-5_only_for_enterprise", base(func(f *EmailFacts) {
			f.Program, f.HasDynamics, f.AgreementAccountID = ProgramMPSA, true, ptr(int64(12))
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
			p := instant(t, c.processed)
			if got := EmailScheduledAt(p, c.usage); !got.Equal(instant(t, c.sched)) {
				t.Errorf("scheduled %s, want %s", got, c.sched)
			}
			if got := EmailDueBy(p, c.usage); !got.Equal(instant(t, c.due)) {
				t.Errorf("due %s, want %s", got, c.due)
			}
		})
	}
}

func TestPlanResend(t *testing.T) {
	base := ResendFacts{Trigger: EmailTriggerAdminResend, OSMEmail: " carol@contoso.com ", FirstProcessedAt: instantPtr(t, "2025-01-10T09:00:00Z"),
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
			plan, p := PlanResend(c.f, instant(t, c.asOf))
			if c.code != "" {
				if p == nil || p.Code != c.code || !reflect.DeepEqual(p.Input, []string{"enrollment"}) {
					t.Fatalf("problem %+v, want %s on enrollmentId", p, c.code)
				}
				return
			}
			if p != nil {
				t.Fatalf("unexpected problem %+v", p)
			}
			want := ResendPlan{Recipient: c.recip, Subject: ActivationEmailSubject, Trigger: c.trigger, SendAt: instant(t, c.sendAt)}
			if plan != want {
				t.Errorf("plan %+v, want %+v", plan, want)
			}
		})
	}
}

func TestEmailDispatch(t *testing.T) {
	asOf := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	fresh, old := NewDate(2026, 5, 1), NewDate(2025, 1, 1)
	t.Run("R-ACT-3_an_email_for_the_first_order_is_dropped_once_on_an_account", func(t *testing.T) {
		if got := DispatchFor(EmailTriggerFirstOrder, true, fresh, nil, asOf); got != DispatchDrop {
			t.Errorf("first order, associated: %v", got)
		}
		if got := DispatchFor(EmailTriggerContactUpdated, true, old, nil, asOf); got != DispatchSend {
			t.Errorf("contact update, associated: %v", got)
		}
	})
	t.Run("R-ACT-8_no_email_goes_out_with_an_expired_link", func(t *testing.T) {
		if got := DispatchFor(EmailTriggerFirstOrder, false, old, nil, asOf); got != DispatchHold {
			t.Errorf("expired: %v", got)
		}
		if got := DispatchFor(EmailTriggerFirstOrder, false, old, ptr(asOf.Add(time.Hour)), asOf); got != DispatchSend {
			t.Errorf("re-enabled: %v", got)
		}
		if got := DispatchFor(EmailTriggerAdminResend, false, fresh, nil, asOf); got != DispatchSend {
			t.Errorf("fresh link: %v", got)
		}
	})
	t.Run("R-ACT-11_open_value_activation_falls_due_a_year_on", func(t *testing.T) {
		at := asOf.AddDate(-1, 0, 0)
		due, isDue := OpenValueActivationDue(ProgramOpenValue, &at, nil, asOf)
		if due == nil || !due.Equal(asOf) || !isDue {
			t.Errorf("due %v %v", due, isDue)
		}
		later := at.Add(time.Hour)
		if _, isDue := OpenValueActivationDue(ProgramOpenValue, &at, &later, asOf); isDue {
			t.Errorf("a later activation moves the due date")
		}
		if due, _ := OpenValueActivationDue(ProgramEnterprise, &at, nil, asOf); due != nil {
			t.Errorf("not OPEN_VALUE")
		}
		if due, _ := OpenValueActivationDue(ProgramOpenValue, nil, nil, asOf); due != nil {
			t.Errorf("never activated")
		}
	})
}
