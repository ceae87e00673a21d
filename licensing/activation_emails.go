package licensing

import (
	"fmt"
	"strings"
	"time"
)

// Activation emails (R-ACT-1, R-ACT-4 to R-ACT-7, R-ACT-11): whether, to whom and when.

// ActivationEmailSubject is the subject of every activation email (R-ACT-1).
const ActivationEmailSubject = "Sign in or sign up to start using your new subscription"

// ActivationEmailWindow is how long after the usage start the email may still come (R-ACT-4).
const ActivationEmailWindow = 48 * time.Hour

// EmailScheduledAt is when the activation email for an order processed at processedAt
// goes out: not before the start of the usage start day (R-ACT-4).
func EmailScheduledAt(processedAt time.Time, usageStart Date) time.Time {
	if !usageStart.IsZero() && usageStart.Start().After(processedAt) {
		return usageStart.Start()
	}
	return processedAt
}

// EmailDueBy is the latest the activation email should arrive: 48 hours after the usage
// start day begins (R-ACT-4). When the order is processed after the usage start (a
// back-dated start), the 48 hours run from processing: no email exists before (R-ACT-1).
func EmailDueBy(processedAt time.Time, usageStart Date) time.Time {
	return EmailScheduledAt(processedAt, usageStart).Add(ActivationEmailWindow)
}

// EmailFacts are the facts of an enrollment when one of its orders is processed.
type EmailFacts struct {
	Program     Program
	ProcessedAt time.Time
	UsageStart  Date
	// FirstOnlineServiceOrder: no earlier order for an online service was processed (R-ACT-1).
	FirstOnlineServiceOrder bool
	AssociatedAccountID     *int64 // R-ACT-3
	OSMEmail                string
	// Accounts are the accounts R-ACT-2 may match: those of the same reseller.
	Accounts []ActivationAccount
	// HasDynamics: the enrollment holds DYNAMICS_365 licenses; AgreementAccountID is the
	// account holding the agreement's OFFICE_365/MICROSOFT_365/INTUNE licenses (R-ENR-5).
	HasDynamics        bool
	AgreementAccountID *int64
	// AccountNames names the accounts the messages mention; an unnamed one reads "#<id>".
	AccountNames map[int64]string
}

// EmailPlan is what happens when an order is processed: an email, an automatic
// association, or neither, with the reason.
type EmailPlan struct {
	Send        bool
	Recipient   string
	Subject     string
	Trigger     EmailTrigger
	ScheduledAt time.Time // R-ACT-4
	DueBy       time.Time // R-ACT-4
	// AssociateWith is set when the enrollment is provisioned onto an account without email.
	AssociateWith *int64
	Cause         AssociationCause
	Reason        ActivationReason
}

// PlanActivationEmail decides the activation email for a processed order. Checks run in
// this order: R-ACT-3 associated, R-ACT-1 not the first order, R-ENR-5 agreement account,
// R-ACT-2 admin email then verified domain, R-ACT-6 no OSM, R-ACT-5 outlook.com.
// R-ACT-2 comes before R-ACT-5: an outlook.com address that administers an account still
// identifies that account.
func PlanActivationEmail(f EmailFacts) EmailPlan {
	sched := EmailScheduledAt(f.ProcessedAt, f.UsageStart)
	due := EmailDueBy(f.ProcessedAt, f.UsageStart)
	plan := EmailPlan{ScheduledAt: sched, DueBy: due}
	reason := func(code ReasonCode, action NextAction, at *time.Time, format string, args ...any) {
		plan.Reason = ActivationReason{Code: code, Action: action, ChangesAt: at, Message: fmt.Sprintf(format, args...)}
	}
	if f.AssociatedAccountID != nil {
		reason(ReasonAlreadyAssociated, ActionAssignLicenses, nil, "The enrollment is already on account %s; the order lands there and no activation email is sent.", accountName(f.AccountNames, *f.AssociatedAccountID))
		return plan
	}
	if !f.FirstOnlineServiceOrder {
		reason(ReasonEmailAlreadyPlanned, ActionWait, nil, "An earlier order already started activation of this enrollment; no second activation email is sent.")
		return plan
	}
	if f.Program == ProgramEnterprise && f.HasDynamics && f.AgreementAccountID != nil {
		plan.AssociateWith, plan.Cause = ptr(*f.AgreementAccountID), AssociatedByAgreementAccount
		reason(ReasonAutoAgreementAccount, ActionAssignLicenses, nil, "Dynamics 365 licenses attach to account %s, where the agreement's Office 365, Microsoft 365 or Intune licenses are; no activation email is sent.", accountName(f.AccountNames, *f.AgreementAccountID))
		return plan
	}
	if a, cause := matchAccountForOSM(f.OSMEmail, f.Accounts); a != nil {
		plan.AssociateWith, plan.Cause = ptr(a.ID), cause
		code, how := associationReason(cause)
		reason(code, ActionAssignLicenses, nil, "The enrollment is provisioned onto account %s (%s); no activation email is sent.", a.label(), how)
		return plan
	}
	if strings.TrimSpace(f.OSMEmail) == "" {
		reason(ReasonNoSubscriptionContact, ActionUpdateSubscriptionContact, nil, "The enrollment has no Online Services Manager, so no activation email can be sent; update the subscription contact.")
		return plan
	}
	if isConsumerOutlookAddress(f.OSMEmail) {
		reason(ReasonConsumerEmail, ActionUpdateSubscriptionContact, nil, "Activation emails are not sent to consumer outlook.com addresses such as %s; update the subscription contact to a work address.", f.OSMEmail)
		return plan
	}
	plan.Send, plan.Recipient, plan.Subject, plan.Trigger = true, strings.TrimSpace(f.OSMEmail), ActivationEmailSubject, EmailTriggerFirstOrder
	reason(ReasonEmailPending, ActionWait, ptr(sched), "The activation email to %s is sent at %s, by %s at the latest.", plan.Recipient, formatInstant(sched), formatInstant(due))
	return plan
}

// isConsumerOutlookAddress: R-ACT-5 names outlook.com only, so hotmail.com and live.com
// are not treated as consumer addresses here.
func isConsumerOutlookAddress(email string) bool { return emailDomain(email) == "outlook.com" }

// ResendFacts are the facts of an enrollment when its contact is updated or an
// administrator asks for a resend (R-ACT-7).
type ResendFacts struct {
	Trigger            EmailTrigger
	OSMEmail           string // the current (possibly just updated) OSM
	Associated         bool
	FirstProcessedAt   *time.Time
	UsageStart         Date
	OriginalPurchase   Date
	LinkReenabledUntil *time.Time
	// ActivationDue: an OPEN_VALUE enrollment whose yearly activation is due (R-ACT-11) gets
	// its email again although it is associated.
	ActivationDue bool
}

// ResendPlan is the email to send.
type ResendPlan struct {
	Recipient string
	Subject   string
	Trigger   EmailTrigger
	SendAt    time.Time // not before the usage start (R-ACT-4)
}

// PlanResend decides a resend to the current OSM (R-ACT-7), or why none is sent.
// For a contact update the problem is not a refusal of the update, only why no email went.
func PlanResend(f ResendFacts, asOf time.Time) (ResendPlan, *Problem) {
	field := []string{"enrollmentId"}
	switch {
	case f.Associated && !f.ActivationDue:
		return ResendPlan{}, &Problem{Field: field, Code: CodeAlreadyActivated, Message: "The enrollment is already activated; there is no activation email to send."}
	case f.FirstProcessedAt == nil || asOf.Before(*f.FirstProcessedAt):
		return ResendPlan{}, &Problem{Field: field, Code: CodeNoProcessedOrder, Message: "No order on this enrollment has been processed yet, so there is nothing to activate."}
	case strings.TrimSpace(f.OSMEmail) == "":
		return ResendPlan{}, &Problem{Field: field, Code: CodeNoSubscriptionContact, Message: "The enrollment has no Online Services Manager; update the subscription contact."}
	case isConsumerOutlookAddress(f.OSMEmail):
		return ResendPlan{}, &Problem{Field: field, Code: CodeConsumerEmail, Message: "Activation emails are not sent to consumer outlook.com addresses; update the subscription contact to a work address."}
	}
	// The yearly Open Value re-activation (R-ACT-11) is not bound to the first link's six months.
	if p := CheckActivationLink(f.OriginalPurchase, f.LinkReenabledUntil, asOf); p != nil && !f.ActivationDue {
		p.Field = field
		return ResendPlan{}, p
	}
	at := asOf
	if !f.UsageStart.IsZero() && f.UsageStart.Start().After(at) {
		at = f.UsageStart.Start()
	}
	return ResendPlan{Recipient: strings.TrimSpace(f.OSMEmail), Subject: ActivationEmailSubject, Trigger: f.Trigger, SendAt: at}, nil
}

// OpenValueActivationDueAt is when an OPEN_VALUE enrollment must be activated again: a
// year after the last activation (R-ACT-11). A 29 February activation falls due on 1 March.
func OpenValueActivationDueAt(lastActivatedAt time.Time) time.Time {
	return lastActivatedAt.AddDate(1, 0, 0)
}
