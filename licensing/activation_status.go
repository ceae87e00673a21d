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
	// Account is the associated account from AssociatedAt on; with AssociatedAt nil (or
	// later than asOf) it is the account the enrollment is bound to land on (R-ENR-5),
	// used only for the country and compatibility reasons. Nil: none known.
	Account          *ActivationAccount
	AssociatedAt     *time.Time
	AssociationCause AssociationCause
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

// ActivationStatusAt explains the enrollment's activation as of asOf (R-ACT-12): one state
// and every reason that applies, in a fixed order: the activation-path reasons (association,
// link, email) first, then R-ACT-10, account, line and reservation reasons.
// BLOCKED means the email cannot go (no OSM, outlook.com) or the account the enrollment is
// bound to cannot take its SKUs; LINK_EXPIRED wins over BLOCKED because only support can
// move it on.
func ActivationStatusAt(f ActivationFacts, asOf time.Time) ActivationStatus {
	var st ActivationStatus
	add := func(code ReasonCode, action NextAction, changesAt *time.Time, format string, args ...any) {
		st.Reasons = append(st.Reasons, ActivationReason{Code: code, Message: fmt.Sprintf(format, args...), Action: action, ChangesAt: changesAt})
	}
	associated := f.Account != nil && f.AssociatedAt != nil && !asOf.Before(*f.AssociatedAt)
	processed := f.FirstProcessedAt != nil && !asOf.Before(*f.FirstProcessedAt)

	switch {
	case associated:
		st.State = ActivationActivated
		if f.AssociationCause.Automatic() {
			st.State = ActivationAutoProvisioned
		}
		// R-ACT-11: an OPEN_VALUE activation lasts a year; the associated reason changes then.
		var due *time.Time
		last := *f.AssociatedAt
		if f.LastActivatedAt != nil {
			last = *f.LastActivatedAt
		}
		if f.Program == ProgramOpenValue {
			due = ptr(OpenValueActivationDueAt(last))
		}
		code, how := associationReason(f.AssociationCause)
		changes := due
		if due != nil && !asOf.Before(*due) {
			changes = nil
		}
		// R-ACT-3: later orders land here with no further email.
		add(code, ActionAssignLicenses, changes, "The enrollment is on account %s (%s). Later orders land there automatically and no further activation email is sent; assign the licenses to users.", f.Account.label(), how)
		if due != nil && !asOf.Before(*due) {
			st.State = ActivationDue
			// Put the due reason first: it is the state's reason.
			st.Reasons = append([]ActivationReason{{Code: ReasonOpenValueActivationDue, Action: ActionActivate,
				Message: fmt.Sprintf("Open Value online services must be activated again every year; the last activation was %s, so activation has been due since %s.", formatInstant(last), formatInstant(*due))}}, st.Reasons...)
		}
	case !processed:
		st.State = ActivationNoOrder
		if !f.HasOrderOrReservation {
			add(ReasonNoOrderOrReservation, ActionContactReseller, nil, "No order or reservation has been placed on this enrollment yet; activation starts when the first order is processed.")
		} else {
			var at *time.Time
			if f.FirstProcessedAt != nil { // asOf is before a known processing instant
				at = ptr(*f.FirstProcessedAt)
			}
			add(ReasonOrderNotProcessed, ActionWait, at, "No order on this enrollment has been processed yet; the activation email follows the first processed order.")
		}
	default:
		expires := LinkExpiresAt(f.OriginalPurchase, f.LinkReenabledUntil)
		linkExpired := !f.OriginalPurchase.IsZero() && !asOf.Before(expires)
		sent := latestSentEmail(f.Emails, asOf)
		if linkExpired {
			st.State = ActivationLinkExpired
			add(ReasonLinkExpired, ActionContactSupport, nil, "The activation link expired on %s, six months after the original purchase date %s; only support can re-enable it.", formatInstant(expires), f.OriginalPurchase)
		}
		if sent != nil {
			if !linkExpired {
				st.State = ActivationEmailSent
				var at *time.Time
				if !f.OriginalPurchase.IsZero() {
					at = ptr(expires)
				}
				// R-ACT-9: the link is not tied to the recipient; R-ACT-7: resend or change contact.
				add(ReasonEmailSent, ActionActivate, at, "The activation email was sent to %s on %s. Anyone holding its link can complete activation, so it may be forwarded; update the subscription contact to send it to someone else, or resend it.", sent.Recipient, formatInstant(*sent.SentAt))
			}
			break
		}
		blocked := false
		switch {
		case strings.TrimSpace(f.OSMEmail) == "":
			blocked = true
			add(ReasonNoSubscriptionContact, ActionUpdateSubscriptionContact, nil, "The enrollment has no Online Services Manager, so no activation email can be sent; update the subscription contact.")
		case isConsumerOutlookAddress(f.OSMEmail):
			blocked = true
			add(ReasonConsumerEmail, ActionUpdateSubscriptionContact, nil, "Activation emails are not sent to consumer outlook.com addresses such as %s; update the subscription contact to a work address.", f.OSMEmail)
		}
		if blocked && !linkExpired {
			st.State = ActivationBlocked
		}
		if blocked || linkExpired {
			break // timing reasons would promise an email that cannot usefully come
		}
		sched := EmailScheduledAt(*f.FirstProcessedAt, f.UsageStart)
		due := EmailDueBy(*f.FirstProcessedAt, f.UsageStart)
		// A later email (a contact update or a resend, R-ACT-7) has its own 48-hour window.
		for _, m := range f.Emails {
			if m.SentAt == nil && m.ScheduledAt.After(sched) && !asOf.Before(m.ScheduledAt) {
				sched, due = m.ScheduledAt, m.ScheduledAt.Add(ActivationEmailWindow)
			}
		}
		switch {
		case asOf.Before(sched): // only when the usage start is after processing
			st.State = ActivationAwaitingUsageStart
			add(ReasonUsageStartInFuture, ActionWait, ptr(sched), "The usage start date %s is in the future; the activation email is sent from then, at the latest by %s.", f.UsageStart, formatInstant(due))
		case asOf.Before(due):
			st.State = ActivationAwaitingEmail
			at := due
			if s := nextScheduledEmail(f.Emails, asOf); s != nil && s.Before(at) {
				at = *s
			}
			add(ReasonEmailPending, ActionWait, ptr(at), "The activation email to %s can take up to 48 hours after the usage start date; expect it by %s.", f.OSMEmail, formatInstant(due))
		default:
			st.State = ActivationAwaitingEmail
			add(ReasonEmailOverdue, ActionContactSupport, nil, "The activation email to %s should have arrived by %s and none was sent; contact support (or resend it).", f.OSMEmail, formatInstant(due))
		}
	}

	if f.RenewalNeedsOwnActivation && !associated {
		add(ReasonRenewalNeedsActivation, ActionActivate, nil, "This renewal was not linked to the previous account automatically because the agreement has several enrollments named %q; it must be activated from its own activation email.", f.OrganizationName)
	}
	// Lines come from processed orders: before the first processing (a projection into the
	// past) they do not exist yet.
	lines := f.Lines
	if !processed && !associated {
		lines = nil
	}
	// Account-bound reasons: they block only before association; afterwards they explain
	// which licenses cannot be used on the account.
	if f.Account != nil {
		n := len(st.Reasons)
		accountReasons(f.Account, lines, add)
		if len(st.Reasons) > n && !associated && st.State != ActivationLinkExpired && st.State != ActivationNoOrder {
			st.State = ActivationBlocked
		}
	}
	onEnrollment := map[string]bool{}
	for _, l := range lines {
		onEnrollment[l.SKU] = true
	}
	for _, l := range lines {
		if AddOnWithoutBase(l.Kind, l.BaseSKUs, onEnrollment) {
			add(ReasonAddOnWithoutBase, ActionContactReseller, nil, "The add-on %s needs one of %s on this enrollment, and none is there; order a base SKU.", l.SKU, strings.Join(l.BaseSKUs, ", "))
		}
		if l.PendingUntil != nil && asOf.Before(*l.PendingUntil) {
			add(ReasonLicensesPending, ActionWait, ptr(*l.PendingUntil), "Licenses of %s were processed recently and show as pending until %s.", l.SKU, formatInstant(*l.PendingUntil))
		}
	}
	if r := f.ReservationOverdueAt; r != nil {
		if asOf.Before(*r) {
			add(ReasonReservationPending, ActionWait, ptr(*r), "A reservation is waiting to be processed; if it is still pending at %s it is overdue.", formatInstant(*r))
		} else {
			add(ReasonReservationOverdue, ActionContactSupport, nil, "A reservation has been pending for more than 25 hours (since %s it is overdue); contact support.", formatInstant(*r))
		}
	}
	return st
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

// accountReasons adds the reasons why lines cannot be provisioned on the account.
func accountReasons(a *ActivationAccount, lines []ActivationLine, add func(ReasonCode, NextAction, *time.Time, string, ...any)) {
	for _, l := range lines {
		if !soldIn(l, a.Country) {
			add(ReasonSKUNotAvailableInCountry, ActionContactReseller, nil, "%s is not available in %s, the country of account %s.", l.SKU, a.Country, a.label())
		}
		if bad := incompatibleOn(l, a.SKUs); len(bad) > 0 {
			add(ReasonIncompatibleSKUsOnAccount, ActionContactReseller, nil, "%s cannot be on account %s together with %s, which the account already holds.", l.SKU, a.label(), strings.Join(bad, ", "))
		}
	}
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
