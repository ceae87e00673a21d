package licensing

import (
	"fmt"
	"strings"
	"time"
)

// activationStatus (R-ACT-12): one state and every reason that applies, as of an instant.

// ActivationFacts are the stored facts activationStatus explains.
type ActivationFacts struct {
	Program          Program
	OrganizationName string
	OSMEmail         string // empty: no OSM (R-ACT-6)
	// HasOrderOrReservation: any order (placed or processed) or reservation exists.
	HasOrderOrReservation bool
	// FirstProcessedAt is when the first order for an online service was processed (R-ACT-1).
	FirstProcessedAt *time.Time
	UsageStart       Date // earliest usage start date of the processed orders
	OriginalPurchase Date // zero: unknown, the link never expires
	// Account is the associated account from AssociatedAt on. Nil: none.
	Account          *ActivationAccount
	AssociatedAt     *time.Time
	AssociationCause AssociationCause
	// For an enrollment on no account, the accounts it could land on without anyone choosing
	// (landing): BoundAccount, its agreement's account (R-ENR-5, BoundAccount); RenewedFrom, the
	// enrollment it renews (R-ACT-10); CustomerAccounts, those the OSM may identify (R-ACT-2,
	// ProvisioningAccount). Each account's SKUs are others' than this enrollment's.
	BoundAccount     *ActivationAccount
	RenewedFrom      *RenewedEnrollment
	CustomerAccounts []ActivationAccount
	// LastActivatedAt is the last (yearly) OPEN_VALUE activation; nil means AssociatedAt.
	LastActivatedAt    *time.Time
	LinkReenabledUntil *time.Time // support override (R-ACT-8)
	Emails             []ActivationEmail
	Lines              []ActivationLine
	// ReservationOverdueAt is when the oldest still-PENDING reservation is or becomes
	// overdue (reserved + 25h, R-RES-4); nil when no reservation is pending.
	ReservationOverdueAt *time.Time
	// RenewalNeedsOwnActivation: a renewal not associated automatically because the
	// agreement has several enrollments with its organization name (R-ACT-10).
	RenewalNeedsOwnActivation bool
	// AccountNames names the accounts the messages mention; an unnamed one reads "#<id>".
	AccountNames map[int64]string
}

// RenewedEnrollment is the enrollment a renewal renews, as activationStatus needs it.
type RenewedEnrollment struct {
	OrganizationName string
	Account          *ActivationAccount // its account, SKUs other than its own; nil: none
}

// R-ACT-12: ActivationStatusAt explains the enrollment's activation as of asOf: one state and
// every reason that applies, each with a code, a plain message and the next action, in a fixed
// order: the activation-path reasons (association, link, email) first, then the renewal,
// account, line and reservation reasons. BLOCKED means the email cannot go (no OSM,
// outlook.com) or the account the enrollment is to land on cannot take its SKUs
// (AccountMismatches: automatic provisioning did not happen, PROVISIONING_BLOCKED says what
// then); LINK_EXPIRED wins over BLOCKED because only support can move it on. While the
// enrollment must be activated onto its agreement's account (R-ENR-5), the status names it
// (RequiredAccountID, MUST_USE_AGREEMENT_ACCOUNT). An email held because its link expired
// (R-ACT-8) is said to go once support re-enables the link.
func ActivationStatusAt(f ActivationFacts, asOf time.Time) ActivationStatus {
	b := &statusBuilder{f: f, asOf: asOf}
	associated := f.Account != nil && f.AssociatedAt != nil && !asOf.Before(*f.AssociatedAt)
	processed := f.FirstProcessedAt != nil && !asOf.Before(*f.FirstProcessedAt)
	// Lines come from processed orders: before the first processing (a projection into the
	// past) they do not exist yet.
	lines := f.Lines
	if !processed && !associated {
		lines = nil
	}
	if !associated {
		b.landing(lines)
	}
	switch {
	case associated:
		b.associated()
	case !processed:
		b.notProcessed()
	default:
		b.activationPath()
	}
	if f.RenewalNeedsOwnActivation && !associated {
		b.add(ReasonRenewalNeedsActivation, ActionActivate, nil, "This renewal was not linked to the previous account automatically because the agreement has several enrollments named %q; it must be activated from its own activation email.", f.OrganizationName)
	}
	b.landingReasons(lines)
	b.lineReasons(lines, associated)
	return b.st
}

// statusBuilder collects the state and reasons of ActivationStatusAt.
type statusBuilder struct {
	f    ActivationFacts
	asOf time.Time
	st   ActivationStatus
	// For an enrollment on no account: where it is to land without anyone choosing, why, and
	// what that account cannot take (landing).
	target   *ActivationAccount
	cause    AssociationCause
	mismatch []AccountMismatch
}

func (b *statusBuilder) add(code ReasonCode, action NextAction, changesAt *time.Time, format string, args ...any) {
	b.st.Reasons = append(b.st.Reasons, ActivationReason{Code: code, Message: fmt.Sprintf(format, args...), Action: action, ChangesAt: changesAt})
}

// about sets the account the last reason added concerns.
func (b *statusBuilder) about(accountID int64) {
	b.st.Reasons[len(b.st.Reasons)-1].AccountID = ptr(accountID)
}

// landing finds the account an enrollment on none is to land on without anyone choosing:
// its agreement's (R-ENR-5), the renewed enrollment's (R-ACT-10, same organization name and
// not one of several), or the one the OSM identifies (R-ACT-2); and what it cannot take.
func (b *statusBuilder) landing(lines []ActivationLine) {
	f := b.f
	switch r := f.RenewedFrom; {
	case f.BoundAccount != nil:
		b.target, b.cause = f.BoundAccount, AssociatedByAgreementAccount
		b.st.RequiredAccountID = ptr(f.BoundAccount.ID)
	case r != nil && r.Account != nil && !f.RenewalNeedsOwnActivation && normalizeName(r.OrganizationName) != "" &&
		normalizeName(r.OrganizationName) == normalizeName(f.OrganizationName):
		b.target, b.cause = r.Account, AssociatedByRenewal
	default:
		p := ProvisioningAccount(f.OSMEmail, f.CustomerAccounts, lines)
		b.target, b.cause = p.Account, p.Cause
	}
	if b.target != nil {
		b.mismatch = AccountMismatches(lines, *b.target)
	}
}

// blockedBound: the enrollment must land on its agreement's account, which cannot take it, and
// no email was ever planned (PlanActivationEmail sends none then).
func (b *statusBuilder) blockedBound() bool {
	return b.cause == AssociatedByAgreementAccount && len(b.mismatch) > 0 && len(b.f.Emails) == 0
}

// landingReasons explains the account an enrollment on none is to land on (landing): the
// agreement's account it must be activated onto (R-ENR-5), or why automatic provisioning did
// not put it on an account that cannot take it.
func (b *statusBuilder) landingReasons(lines []ActivationLine) {
	a := b.target
	if a == nil || len(lines) == 0 {
		return
	}
	if len(b.mismatch) == 0 {
		if b.cause == AssociatedByAgreementAccount {
			b.add(ReasonMustUseAgreementAccount, ActionActivate, nil, "The agreement's Office 365, Microsoft 365 or Intune licenses are on account %s, so this enrollment's Dynamics 365 licenses must be activated onto that account; activating onto another account is refused.", a.label())
			b.about(a.ID)
		}
		return // the account can take it: it was matched after processing, nothing blocks
	}
	why := describeMismatches(b.mismatch, *a)
	switch b.cause {
	case AssociatedByAgreementAccount:
		b.add(ReasonProvisioningBlocked, ActionContactReseller, nil, "This enrollment's Dynamics 365 licenses must be on account %s, where the agreement's Office 365, Microsoft 365 or Intune licenses are, and cannot be activated anywhere else, but that account cannot take them (%s); contact your reseller, then resend the activation email.", a.label(), why)
	case AssociatedByRenewal:
		b.add(ReasonProvisioningBlocked, ActionActivate, nil, "The renewal would join account %s like the enrollment it renews, but that account cannot take it (%s), so it was not associated automatically; activate it from its activation email onto another account or a new one.", a.label(), why)
	default:
		_, how := associationReason(b.cause)
		b.add(ReasonProvisioningBlocked, ActionActivate, nil, "The enrollment would be %s onto account %s, but that account cannot take it (%s), so it was not provisioned; the activation email goes to the Online Services Manager instead, to activate it onto another account or a new one.", how, a.label(), why)
	}
	b.about(a.ID)
}

// associated explains an enrollment on its account: how it came there, and for OPEN_VALUE when
// its yearly activation falls due (R-ACT-11).
func (b *statusBuilder) associated() {
	f := b.f
	b.st.State = ActivationActivated
	if f.AssociationCause.Automatic() {
		b.st.State = ActivationAutoProvisioned
	}
	due, isDue := OpenValueActivationDue(f.Program, f.AssociatedAt, f.LastActivatedAt, b.asOf)
	changes := due
	if isDue {
		changes = nil
	}
	code, how := associationReason(f.AssociationCause)
	// Later orders land here with no further email (EmailObsolete).
	b.add(code, ActionAssignLicenses, changes, "The enrollment is on account %s (%s). Later orders land there automatically and no further activation email is sent; assign the licenses to users.", f.Account.label(), how)
	b.about(f.Account.ID)
	if isDue {
		last := *f.AssociatedAt
		if f.LastActivatedAt != nil {
			last = *f.LastActivatedAt
		}
		b.st.State = ActivationDue
		// Put the due reason first: it is the state's reason.
		b.st.Reasons = append([]ActivationReason{{Code: ReasonOpenValueActivationDue, Action: ActionActivate,
			Message: fmt.Sprintf("Open Value online services must be activated again every year; the last activation was %s, so activation has been due since %s.", formatInstant(last), formatInstant(*due))}}, b.st.Reasons...)
	}
}

// notProcessed explains an enrollment with no processed order yet.
func (b *statusBuilder) notProcessed() {
	b.st.State = ActivationNoOrder
	if !b.f.HasOrderOrReservation {
		b.add(ReasonNoOrderOrReservation, ActionContactReseller, nil, "No order or reservation has been placed on this enrollment yet; activation starts when the first order is processed.")
		return
	}
	var at *time.Time
	if b.f.FirstProcessedAt != nil { // asOf is before a known processing instant
		at = ptr(*b.f.FirstProcessedAt)
	}
	b.add(ReasonOrderNotProcessed, ActionWait, at, "No order on this enrollment has been processed yet; the activation email follows the first processed order.")
}

// activationPath explains a processed enrollment not on an account yet: its link, its email and
// what keeps the email from going.
func (b *statusBuilder) activationPath() {
	f, asOf := b.f, b.asOf
	expires := LinkExpiresAt(f.OriginalPurchase, f.LinkReenabledUntil)
	linkExpired := !f.OriginalPurchase.IsZero() && !asOf.Before(expires)
	if linkExpired {
		b.st.State = ActivationLinkExpired
		if held := unsentEmail(f.Emails, asOf); held != nil {
			// DispatchFor holds it: no email goes out with an expired link.
			b.add(ReasonLinkExpired, ActionContactSupport, nil, "The activation link expired on %s, six months after the original purchase date %s, so the activation email to %s was not sent; only support can re-enable the link, and the email goes out then.", formatInstant(expires), f.OriginalPurchase, held.Recipient)
		} else {
			b.add(ReasonLinkExpired, ActionContactSupport, nil, "The activation link expired on %s, six months after the original purchase date %s; only support can re-enable it.", formatInstant(expires), f.OriginalPurchase)
		}
	}
	if sent := latestSentEmail(f.Emails, asOf); sent != nil {
		if !linkExpired {
			b.st.State = ActivationEmailSent
			var at *time.Time
			if !f.OriginalPurchase.IsZero() {
				at = ptr(expires)
			}
			// The link is not tied to the recipient (CheckActivationLink); resend or change contact (PlanResend).
			b.add(ReasonEmailSent, ActionActivate, at, "The activation email was sent to %s on %s. Anyone holding its link can complete activation, so it may be forwarded; update the subscription contact to send it to someone else, or resend it.", sent.Recipient, formatInstant(*sent.SentAt))
		}
		return
	}
	blocked := true
	bounced := latestEmailBounced(f.Emails, asOf)
	switch {
	case NoSubscriptionContact(f.OSMEmail):
		b.add(ReasonNoSubscriptionContact, ActionUpdateSubscriptionContact, nil, "The enrollment has no Online Services Manager, so no activation email can be sent; update the subscription contact.")
	case ConsumerEmail(f.OSMEmail):
		b.add(ReasonConsumerEmail, ActionUpdateSubscriptionContact, nil, "Activation emails are not sent to consumer outlook.com addresses such as %s; update the subscription contact to a work address.", f.OSMEmail)
	case bounced != nil:
		b.add(ReasonEmailBounced, ActionUpdateSubscriptionContact, nil, "The activation email to %s was refused for good by the recipient's mail server on %s (%s); update the subscription contact to an address that receives mail, or resend the email once the mailbox works.",
			bounced.Recipient, formatInstant(*bounced.BouncedAt), bounced.BounceReason)
	default:
		blocked = false
	}
	if blocked && !linkExpired {
		b.st.State = ActivationBlocked
	}
	if !blocked && !linkExpired && !b.blockedBound() { // else timing reasons would promise an email that cannot usefully come
		b.emailTiming()
	}
}

// unsentEmail is an email scheduled by asOf and not sent by then; nil when there is none.
func unsentEmail(es []ActivationEmail, asOf time.Time) *ActivationEmail {
	for i := range es {
		// A bounced email is not waiting for the link: its recipient refused it for good.
		bounced := es[i].BouncedAt != nil && !asOf.Before(*es[i].BouncedAt)
		if e := &es[i]; !bounced && !asOf.Before(e.ScheduledAt) && (e.SentAt == nil || asOf.Before(*e.SentAt)) {
			return e
		}
	}
	return nil
}

// emailTiming explains when the activation email comes (EmailScheduledAt, EmailDueBy).
func (b *statusBuilder) emailTiming() {
	f, asOf := b.f, b.asOf
	sched := EmailScheduledAt(*f.FirstProcessedAt, f.UsageStart)
	due := EmailDueBy(*f.FirstProcessedAt, f.UsageStart)
	// A later email (a contact update or a resend, PlanResend) has its own 48-hour window.
	for _, m := range f.Emails {
		if m.SentAt == nil && m.ScheduledAt.After(sched) && !asOf.Before(m.ScheduledAt) {
			sched, due = m.ScheduledAt, m.ScheduledAt.Add(ActivationEmailWindow)
		}
	}
	switch {
	case asOf.Before(sched): // only when the usage start is after processing
		b.st.State = ActivationAwaitingUsageStart
		b.add(ReasonUsageStartInFuture, ActionWait, ptr(sched), "The usage start date %s is in the future; the activation email is sent from then, at the latest by %s.", f.UsageStart, formatInstant(due))
	case asOf.Before(due):
		b.st.State = ActivationAwaitingEmail
		at := due
		if s := nextScheduledEmail(f.Emails, asOf); s != nil && s.Before(at) {
			at = *s
		}
		b.add(ReasonEmailPending, ActionWait, ptr(at), "The activation email to %s can take up to 48 hours after the usage start date; expect it by %s.", f.OSMEmail, formatInstant(due))
	default:
		b.st.State = ActivationAwaitingEmail
		b.add(ReasonEmailOverdue, ActionContactSupport, nil, "The activation email to %s should have arrived by %s and none was sent; contact support (or resend it).", f.OSMEmail, formatInstant(due))
	}
}

// lineReasons explains what stands in the way of the enrollment's lines: an account that cannot
// take them (blocking only before association; afterwards they explain which licenses cannot
// be used there), an add-on without its base, licenses still pending, and reservations.
func (b *statusBuilder) lineReasons(lines []ActivationLine, associated bool) {
	a, mismatches := b.target, b.mismatch
	if associated {
		a = b.f.Account
		mismatches = AccountMismatches(lines, *a)
	}
	for _, m := range mismatches {
		if m.Country != "" {
			b.add(ReasonSKUNotAvailableInCountry, ActionContactReseller, nil, "%s is not available in %s, the country of account %s.", m.SKU, m.Country, a.label())
		} else {
			b.add(ReasonIncompatibleSKUsOnAccount, ActionContactReseller, nil, "%s cannot be on account %s together with %s, which the account already holds.", m.SKU, a.label(), strings.Join(m.Incompatible, ", "))
		}
		b.about(a.ID)
	}
	if len(mismatches) > 0 && !associated && b.st.State != ActivationLinkExpired && b.st.State != ActivationNoOrder {
		b.st.State = ActivationBlocked
	}
	onEnrollment := map[string]bool{}
	for _, l := range lines {
		onEnrollment[l.SKU] = true
	}
	for _, l := range lines {
		if AddOnWithoutBase(l.Kind, l.BaseSKUs, onEnrollment) {
			b.add(ReasonAddOnWithoutBase, ActionContactReseller, nil, "The add-on %s needs one of %s on this enrollment, and none is there; order a base SKU.", l.SKU, strings.Join(l.BaseSKUs, ", "))
		}
		if l.PendingUntil != nil && b.asOf.Before(*l.PendingUntil) {
			b.add(ReasonLicensesPending, ActionWait, ptr(*l.PendingUntil), "Licenses of %s were processed recently and show as pending until %s.", l.SKU, formatInstant(*l.PendingUntil))
		}
	}
	if r := b.f.ReservationOverdueAt; r != nil {
		if b.asOf.Before(*r) {
			b.add(ReasonReservationPending, ActionWait, ptr(*r), "A reservation is waiting to be processed; if it is still pending at %s it is overdue.", formatInstant(*r))
		} else {
			b.add(ReasonReservationOverdue, ActionContactSupport, nil, "A reservation has been pending for more than 25 hours (since %s it is overdue); contact support.", formatInstant(*r))
		}
	}
}

func associationReason(c AssociationCause) (ReasonCode, string) {
	switch c {
	case AssociatedByVerifiedDomain:
		return ReasonAutoVerifiedDomain, "provisioned automatically: the contact's email domain is verified on it"
	case AssociatedByAdminEmail:
		return ReasonAutoAdminEmail, "provisioned automatically: the contact is a global or billing administrator of it"
	case AssociatedByRenewal:
		return ReasonAutoRenewal, "associated automatically as the renewal of an enrollment with the same organization name"
	case AssociatedByAgreementAccount:
		return ReasonAutoAgreementAccount, "attached automatically: the agreement's Office 365, Microsoft 365 or Intune licenses are there"
	case AssociatedBySupportRemap:
		return ReasonActivated, "moved there by support"
	case AssociatedByProductKey:
		return ReasonActivated, "booked by product key"
	}
	return ReasonActivated, "activated"
}

func latestSentEmail(es []ActivationEmail, asOf time.Time) *ActivationEmail {
	var best *ActivationEmail
	for i := range es {
		e := &es[i]
		if e.SentAt != nil && !asOf.Before(*e.SentAt) && (best == nil || e.SentAt.After(*best.SentAt)) {
			best = e
		}
	}
	return best
}

// latestEmailBounced is the latest email due by asOf (the last recorded: a contact update or a
// resend makes a new one) when its recipient's server had refused it for good by then.
func latestEmailBounced(es []ActivationEmail, asOf time.Time) *ActivationEmail {
	var last *ActivationEmail
	for i := range es {
		if !asOf.Before(es[i].ScheduledAt) {
			last = &es[i]
		}
	}
	if last == nil || last.BouncedAt == nil || asOf.Before(*last.BouncedAt) {
		return nil
	}
	return last
}

// nextScheduledEmail is the next instant after asOf an email is (or was) due to go out:
// its send time when known, else its scheduled time.
func nextScheduledEmail(es []ActivationEmail, asOf time.Time) *time.Time {
	var next *time.Time
	for _, e := range es {
		at := e.ScheduledAt
		if e.SentAt != nil {
			at = *e.SentAt
		}
		if at.After(asOf) && (next == nil || at.Before(*next)) {
			next = ptr(at)
		}
	}
	return next
}
