package licensing

import (
	"fmt"
	"strings"
	"time"
)

// Activation emails (R-ACT-1, R-ACT-4 to R-ACT-7, R-ACT-11): whether, to whom and when.

// ActivationEmailSubject is the subject of every activation email (PlanActivationEmail).
const ActivationEmailSubject = "Sign in or sign up to start using your new subscription"

// ActivationEmailWindow is how long after the usage start the email may still come
// (EmailScheduledAt).
const ActivationEmailWindow = 48 * time.Hour

// R-ACT-4: EmailScheduledAt is when the activation email for an order processed at processedAt
// goes out: not while the usage start date is in the future, so not before the start of that
// day. It may then take up to 48 hours (EmailDueBy); before then the status says so.
func EmailScheduledAt(processedAt time.Time, usageStart Date) time.Time {
	if !usageStart.IsZero() && usageStart.Start().After(processedAt) {
		return usageStart.Start()
	}
	return processedAt
}

// EmailDueBy is the latest the activation email should arrive: 48 hours after the usage
// start day begins (EmailScheduledAt). When the order is processed after the usage start (a
// back-dated start), the 48 hours run from processing: no email exists before.
func EmailDueBy(processedAt time.Time, usageStart Date) time.Time {
	return EmailScheduledAt(processedAt, usageStart).Add(ActivationEmailWindow)
}

// EmailFacts are the facts of an enrollment when one of its orders is processed.
type EmailFacts struct {
	Program     Program
	ProcessedAt time.Time
	UsageStart  Date
	// FirstOnlineServiceOrder: no earlier order for an online service was processed.
	FirstOnlineServiceOrder bool
	AssociatedAccountID     *int64 // EmailObsolete
	OSMEmail                string
	// Accounts are the accounts ProvisioningAccount may match: those of the same customer.
	Accounts []ActivationAccount
	// HasDynamics: the enrollment holds DYNAMICS_365 licenses; AgreementAccountID is the
	// account holding the agreement's OFFICE_365/MICROSOFT_365/INTUNE licenses (BoundAccount),
	// AgreementAccount its facts (nil: not checked).
	HasDynamics        bool
	AgreementAccountID *int64
	AgreementAccount   *ActivationAccount
	// Lines are the enrollment's: an account it is provisioned onto must take them
	// (AccountMismatches).
	Lines []ActivationLine
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
	ScheduledAt time.Time // EmailScheduledAt
	DueBy       time.Time // EmailDueBy
	// AssociateWith is set when the enrollment is provisioned onto an account without email.
	AssociateWith *int64
	Cause         AssociationCause
	Reason        ActivationReason
}

// R-ACT-1: PlanActivationEmail decides the activation email for a processed order: when the first
// order for an online service is processed on an enrollment, an email with the subject
// ActivationEmailSubject goes to the OSM, and every email sent is recorded (recipient, time,
// trigger). Checks run in this order: on an account already (EmailObsolete), not the first
// order, bound to the agreement's account (BoundAccount), the OSM identifies an account
// (ProvisioningAccount: admin email, then verified domain), no OSM (NoSubscriptionContact), a
// consumer address (ConsumerEmail). ProvisioningAccount comes before ConsumerEmail: an
// outlook.com address that administers an account still identifies that account. An account
// that cannot take the enrollment's lines (AccountMismatches) gets no automatic provisioning:
// the agreement's account then leaves the enrollment unprovisioned and unmailed, since it can
// be activated nowhere else (R-ENR-5); an account matched by the OSM lets the email go instead,
// so the OSM can activate it onto another account or a new one.
func PlanActivationEmail(f EmailFacts) EmailPlan {
	sched := EmailScheduledAt(f.ProcessedAt, f.UsageStart)
	due := EmailDueBy(f.ProcessedAt, f.UsageStart)
	plan := EmailPlan{ScheduledAt: sched, DueBy: due}
	reason := func(code ReasonCode, action NextAction, at *time.Time, format string, args ...any) {
		plan.Reason = ActivationReason{Code: code, Action: action, ChangesAt: at, Message: fmt.Sprintf(format, args...)}
	}
	if EmailObsolete(EmailTriggerFirstOrder, f.AssociatedAccountID != nil) {
		reason(ReasonAlreadyAssociated, ActionAssignLicenses, nil, "The enrollment is already on account %s; the order lands there and no activation email is sent.", accountName(f.AccountNames, *f.AssociatedAccountID))
		return plan
	}
	if !f.FirstOnlineServiceOrder {
		reason(ReasonEmailAlreadyPlanned, ActionWait, nil, "An earlier order already started activation of this enrollment; no second activation email is sent.")
		return plan
	}
	if bound := BoundAccount(f.Program, f.HasDynamics, f.AgreementAccountID); bound != nil {
		if f.AgreementAccount != nil {
			if ms := AccountMismatches(f.Lines, *f.AgreementAccount); len(ms) > 0 {
				reason(ReasonProvisioningBlocked, ActionContactReseller, nil, "Dynamics 365 licenses must go to account %s, where the agreement's Office 365, Microsoft 365 or Intune licenses are, but it cannot take them (%s); the enrollment is not provisioned and no activation email is sent.",
					accountName(f.AccountNames, *bound), describeMismatches(ms, *f.AgreementAccount))
				plan.Reason.AccountID = bound
				return plan
			}
		}
		plan.AssociateWith, plan.Cause = bound, AssociatedByAgreementAccount
		reason(ReasonAutoAgreementAccount, ActionAssignLicenses, nil, "Dynamics 365 licenses attach to account %s, where the agreement's Office 365, Microsoft 365 or Intune licenses are; no activation email is sent.", accountName(f.AccountNames, *bound))
		return plan
	}
	prov := ProvisioningAccount(f.OSMEmail, f.Accounts, f.Lines)
	if prov.Provisions() {
		plan.AssociateWith, plan.Cause = ptr(prov.Account.ID), prov.Cause
		code, how := associationReason(prov.Cause)
		reason(code, ActionAssignLicenses, nil, "The enrollment is provisioned onto account %s (%s); no activation email is sent.", prov.Account.label(), how)
		return plan
	}
	if NoSubscriptionContact(f.OSMEmail) {
		reason(ReasonNoSubscriptionContact, ActionUpdateSubscriptionContact, nil, "The enrollment has no Online Services Manager, so no activation email can be sent; update the subscription contact.")
		return plan
	}
	if ConsumerEmail(f.OSMEmail) {
		reason(ReasonConsumerEmail, ActionUpdateSubscriptionContact, nil, "Activation emails are not sent to consumer outlook.com addresses such as %s; update the subscription contact to a work address.", f.OSMEmail)
		return plan
	}
	plan.Send, plan.Recipient, plan.Subject, plan.Trigger = true, strings.TrimSpace(f.OSMEmail), ActivationEmailSubject, EmailTriggerFirstOrder
	if prov.Account != nil { // matched, but that account cannot take the enrollment
		reason(ReasonProvisioningBlocked, ActionActivate, nil, "Account %s cannot take the enrollment (%s), so it is not provisioned there; the activation email to %s is sent at %s, to activate it onto another account or a new one.",
			prov.Account.label(), describeMismatches(prov.Blocked, *prov.Account), plan.Recipient, formatInstant(sched))
		plan.Reason.AccountID = ptr(prov.Account.ID)
		return plan
	}
	reason(ReasonEmailPending, ActionWait, ptr(sched), "The activation email to %s is sent at %s, by %s at the latest.", plan.Recipient, formatInstant(sched), formatInstant(due))
	return plan
}

// R-ACT-3: EmailObsolete tells an activation email that is no longer needed: once an enrollment
// is on an account (associated), later orders land there automatically and send no further
// activation email, so one planned for the first order that has not gone yet is dropped (a
// product key or a remap put the enrollment there meanwhile). Emails for a contact update or a
// resend stand: they were asked for.
func EmailObsolete(trigger EmailTrigger, associated bool) bool {
	return associated && trigger == EmailTriggerFirstOrder
}

// R-ACT-5: ConsumerEmail tells a consumer outlook.com address, to which no activation email is
// sent. The rule names outlook.com only, so hotmail.com and live.com are not treated as
// consumer addresses here.
func ConsumerEmail(email string) bool { return emailDomain(email) == "outlook.com" }

// R-ACT-6: NoSubscriptionContact tells an enrollment with no OSM (osmEmail empty): no email can
// be sent; the fix is to update the subscription contact (PlanResend).
func NoSubscriptionContact(osmEmail string) bool { return strings.TrimSpace(osmEmail) == "" }

// EmailDispatch is what the dispatcher does with a due activation email (DispatchFor).
type EmailDispatch int

const (
	DispatchSend EmailDispatch = iota
	DispatchDrop               // no longer needed (EmailObsolete): deleted, never sent
	DispatchHold               // the link has expired: kept unsent until support re-enables it
)

// DispatchFor decides a due activation email as of asOf: dropped when it became obsolete
// (EmailObsolete); held back, unsent, while the link of an enrollment on no account has expired
// (LinkExpiresAt: no email goes out with an expired link, and a re-enable by support sends it);
// sent otherwise.
func DispatchFor(trigger EmailTrigger, associated bool, originalPurchase Date, linkReenabledUntil *time.Time, asOf time.Time) EmailDispatch {
	switch {
	case EmailObsolete(trigger, associated):
		return DispatchDrop
	case !associated && CheckActivationLink(originalPurchase, linkReenabledUntil, asOf) != nil:
		return DispatchHold
	}
	return DispatchSend
}

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
	// ActivationDue: an OPEN_VALUE enrollment whose yearly activation is due
	// (OpenValueActivationDue) gets its email again although it is associated.
	ActivationDue bool
}

// ResendPlan is the email to send.
type ResendPlan struct {
	Recipient string
	Subject   string
	Trigger   EmailTrigger
	SendAt    time.Time // not before the usage start (EmailScheduledAt)
}

// R-ACT-7: PlanResend decides the activation email sent again to the current OSM, after the
// subscription contact was updated (to the new contact) or because an administrator asked, or
// why none is sent. For a contact update the problem is not a refusal of the update, only why
// no email went.
func PlanResend(f ResendFacts, asOf time.Time) (ResendPlan, *Problem) {
	field := []string{"enrollment"}
	switch {
	case f.Associated && !f.ActivationDue:
		return ResendPlan{}, &Problem{Input: field, Code: CodeAlreadyActivated, Message: "The enrollment is already activated; there is no activation email to send."}
	case f.FirstProcessedAt == nil || asOf.Before(*f.FirstProcessedAt):
		return ResendPlan{}, &Problem{Input: field, Code: CodeNoProcessedOrder, Message: "No order on this enrollment has been processed yet, so there is nothing to activate."}
	case NoSubscriptionContact(f.OSMEmail):
		return ResendPlan{}, &Problem{Input: field, Code: CodeNoSubscriptionContact, Message: "The enrollment has no Online Services Manager; update the subscription contact."}
	case ConsumerEmail(f.OSMEmail):
		return ResendPlan{}, &Problem{Input: field, Code: CodeConsumerEmail, Message: "Activation emails are not sent to consumer outlook.com addresses; update the subscription contact to a work address."}
	}
	// The yearly Open Value re-activation is not bound to the first link's six months.
	if p := CheckActivationLink(f.OriginalPurchase, f.LinkReenabledUntil, asOf); p != nil && !f.ActivationDue {
		p.Input = field
		return ResendPlan{}, p
	}
	return ResendPlan{Recipient: strings.TrimSpace(f.OSMEmail), Subject: ActivationEmailSubject, Trigger: f.Trigger,
		SendAt: EmailScheduledAt(asOf, f.UsageStart)}, nil
}

// R-ACT-11: OpenValueActivationDue is when an OPEN_VALUE enrollment on an account must be
// activated online again, a year after its last activation (lastActivatedAt, else
// associatedAt: OpenValueActivationDueAt), and whether it is due as of asOf. Nil and false for
// another program or an enrollment never activated.
func OpenValueActivationDue(p Program, associatedAt, lastActivatedAt *time.Time, asOf time.Time) (*time.Time, bool) {
	last := lastActivatedAt
	if last == nil {
		last = associatedAt
	}
	if p != ProgramOpenValue || last == nil {
		return nil, false
	}
	due := OpenValueActivationDueAt(*last)
	return &due, !asOf.Before(due)
}

// OpenValueActivationDueAt is a year after lastActivatedAt (OpenValueActivationDue). A
// 29 February activation falls due on 1 March.
func OpenValueActivationDueAt(lastActivatedAt time.Time) time.Time {
	return lastActivatedAt.AddDate(1, 0, 0)
}
