package licensing

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Activation rules: R-ACT-1..13, R-ENR-1..5 and the renewal side of R-SUB-2..4.
//
// Facts here are plain values the models package loads; order and reservation timing
// (R-ORD-5, R-RES-4) arrives as instants (PendingUntil, ReservationOverdueAt) so this file
// does not depend on the ledger rules that compute them.

// Refusal codes of the activation mutations (public API: never rename).
const (
	CodeLinkExpired              Code = "LINK_EXPIRED"                 // R-ACT-8: link past six months, not re-enabled
	CodeAlreadyActivated         Code = "ALREADY_ACTIVATED"            // R-ENR-1: enrollment is on another account
	CodeEnrollmentSplit          Code = "SPLIT_ENROLLMENT"             // R-ENR-2: licenses would land on two accounts
	CodeMustUseAgreementAccount  Code = "MUST_USE_AGREEMENT_ACCOUNT"   // R-ENR-5: Dynamics goes to the agreement's account
	CodeRemapSplitsAgreement     Code = "REMAP_SPLITS_AGREEMENT"       // R-ENR-4: remap would split Dynamics from O365/M365/Intune
	CodeUnknownKey               Code = "UNKNOWN_KEY"                  // R-ACT-13: no such key (or another reseller's)
	CodeKeyAlreadyRedeemed       Code = "KEY_ALREADY_REDEEMED"         // R-ACT-13
	CodeNoSubscriptionContact    Code = "NO_SUBSCRIPTION_CONTACT"      // R-ACT-6: no OSM to email
	CodeConsumerEmail            Code = "CONSUMER_EMAIL"               // R-ACT-5: OSM is an outlook.com address
	CodeNoProcessedOrder         Code = "NO_PROCESSED_ORDER"           // R-ACT-1: nothing to activate yet
	CodeSKUNotAvailableInCountry Code = "SKU_NOT_AVAILABLE_IN_COUNTRY" // a SKU is not sold in the account's country
	CodeIncompatibleSKUs         Code = "INCOMPATIBLE_SKUS"            // the account holds a SKU that cannot coexist
)

// ActivationEmailSubject is the subject of every activation email (R-ACT-1).
const ActivationEmailSubject = "Sign in or sign up to start using your new subscription"

// ActivationEmailWindow is how long after the usage start the email may still come (R-ACT-4).
const ActivationEmailWindow = 48 * time.Hour

// ActivationLinkLifetimeMonths is how long an activation link lives after the original
// purchase date (R-ACT-8).
const ActivationLinkLifetimeMonths = 6

// DefaultGracePeriod is how long renewed subscriptions stay IN_GRACE (R-SUB-3).
const DefaultGracePeriod = 30 * 24 * time.Hour

// ActivationState is the one state activationStatus reports (R-ACT-12).
type ActivationState string

const (
	ActivationNoOrder            ActivationState = "NO_ORDER"             // nothing processed yet
	ActivationAwaitingUsageStart ActivationState = "AWAITING_USAGE_START" // R-ACT-4
	ActivationAwaitingEmail      ActivationState = "AWAITING_EMAIL"       // R-ACT-1/4: within or past the 48h window
	ActivationEmailSent          ActivationState = "EMAIL_SENT"           // R-ACT-1/7/9
	ActivationLinkExpired        ActivationState = "LINK_EXPIRED"         // R-ACT-8
	ActivationActivated          ActivationState = "ACTIVATED"            // on an account through the link (R-ACT-3)
	ActivationAutoProvisioned    ActivationState = "AUTO_PROVISIONED"     // R-ACT-2, R-ACT-10, R-ENR-5
	ActivationBlocked            ActivationState = "BLOCKED"              // cannot progress until someone fixes data
	// ActivationDue is an OPEN_VALUE enrollment whose yearly activation is due (R-ACT-11).
	// A state rather than a reason on ACTIVATED so a reseller listing states sees the work.
	ActivationDue ActivationState = "ACTIVATION_DUE"
)

// NextAction is what the reseller (or their customer) should do about a reason (R-ACT-12).
type NextAction string

const (
	ActionWait                      NextAction = "WAIT"
	ActionUpdateSubscriptionContact NextAction = "UPDATE_SUBSCRIPTION_CONTACT"
	ActionContactReseller           NextAction = "CONTACT_RESELLER"
	ActionContactSupport            NextAction = "CONTACT_SUPPORT"
	ActionAssignLicenses            NextAction = "ASSIGN_LICENSES"
	ActionActivate                  NextAction = "ACTIVATE"
)

// ReasonCode explains why an activation state holds (public API: never rename).
type ReasonCode string

const (
	ReasonNoOrderOrReservation      ReasonCode = "NO_ORDER_OR_RESERVATION"
	ReasonOrderNotProcessed         ReasonCode = "ORDER_NOT_PROCESSED"
	ReasonUsageStartInFuture        ReasonCode = "USAGE_START_IN_FUTURE" // R-ACT-4
	ReasonEmailPending              ReasonCode = "EMAIL_PENDING"         // R-ACT-1/4, within 48h
	ReasonEmailOverdue              ReasonCode = "EMAIL_OVERDUE"         // R-ACT-4, 48h passed
	ReasonEmailSent                 ReasonCode = "EMAIL_SENT"            // R-ACT-1/7/9
	ReasonEmailAlreadyPlanned       ReasonCode = "EMAIL_ALREADY_PLANNED" // R-ACT-1: not the first order
	ReasonAlreadyAssociated         ReasonCode = "ALREADY_ASSOCIATED"    // R-ACT-3 (email planning)
	ReasonNoSubscriptionContact     ReasonCode = "NO_SUBSCRIPTION_CONTACT"
	ReasonConsumerEmail             ReasonCode = "CONSUMER_EMAIL"
	ReasonLinkExpired               ReasonCode = "LINK_EXPIRED"
	ReasonActivated                 ReasonCode = "ACTIVATED" // R-ACT-3
	ReasonAutoVerifiedDomain        ReasonCode = "AUTO_PROVISIONED_VERIFIED_DOMAIN"
	ReasonAutoAdminEmail            ReasonCode = "AUTO_PROVISIONED_ADMIN_EMAIL"
	ReasonAutoRenewal               ReasonCode = "AUTO_ASSOCIATED_RENEWAL"         // R-ACT-10
	ReasonAutoAgreementAccount      ReasonCode = "AUTO_ATTACHED_AGREEMENT_ACCOUNT" // R-ENR-5
	ReasonRenewalNeedsActivation    ReasonCode = "RENEWAL_NEEDS_ACTIVATION"        // R-ACT-10
	ReasonOpenValueActivationDue    ReasonCode = "OPEN_VALUE_ACTIVATION_DUE"       // R-ACT-11
	ReasonLicensesPending           ReasonCode = "LICENSES_PENDING"                // R-ORD-5
	ReasonReservationPending        ReasonCode = "RESERVATION_PENDING"             // R-RES-4, not yet overdue
	ReasonReservationOverdue        ReasonCode = "RESERVATION_OVERDUE"             // R-RES-4
	ReasonAddOnWithoutBase          ReasonCode = "ADDON_WITHOUT_BASE"
	ReasonSKUNotAvailableInCountry  ReasonCode = "SKU_NOT_AVAILABLE_IN_COUNTRY"
	ReasonIncompatibleSKUsOnAccount ReasonCode = "INCOMPATIBLE_SKUS"
)

// ActivationReason is one reason in an activation status.
type ActivationReason struct {
	Code    ReasonCode
	Message string // plain English for a reseller
	Action  NextAction
	// ChangesAt is when this reason stops holding or changes; nil when only someone's
	// action (or an unknown future event) changes it.
	ChangesAt *time.Time
}

// ActivationStatus is the answer of activationStatus as of an instant (R-ACT-12).
type ActivationStatus struct {
	State   ActivationState
	Reasons []ActivationReason
}

// AssociationCause records how an enrollment came onto its account.
type AssociationCause string

const (
	AssociatedByLink             AssociationCause = "LINK"              // also the zero value ""
	AssociatedBySupportRemap     AssociationCause = "SUPPORT_REMAP"     // R-ENR-4
	AssociatedByProductKey       AssociationCause = "PRODUCT_KEY"       // R-ACT-13
	AssociatedByVerifiedDomain   AssociationCause = "VERIFIED_DOMAIN"   // R-ACT-2
	AssociatedByAdminEmail       AssociationCause = "ADMIN_EMAIL"       // R-ACT-2
	AssociatedByRenewal          AssociationCause = "RENEWAL"           // R-ACT-10
	AssociatedByAgreementAccount AssociationCause = "AGREEMENT_ACCOUNT" // R-ENR-5
)

// Automatic reports whether the association happened without anyone activating (no email).
func (c AssociationCause) Automatic() bool {
	switch c {
	case AssociatedByVerifiedDomain, AssociatedByAdminEmail, AssociatedByRenewal, AssociatedByAgreementAccount:
		return true
	}
	return false
}

// EmailTrigger is why an activation email was sent (recorded with every email, R-ACT-1).
type EmailTrigger string

const (
	EmailTriggerFirstOrder     EmailTrigger = "FIRST_ORDER"     // R-ACT-1
	EmailTriggerContactUpdated EmailTrigger = "CONTACT_UPDATED" // R-ACT-7
	EmailTriggerAdminResend    EmailTrigger = "ADMIN_RESEND"    // R-ACT-7
)

// AccountAdmin is an administrator of an online-services account.
type AccountAdmin struct {
	Email string
	Role  AdminRole
}

// ActivationAccount is what activation needs of an online-services account.
type ActivationAccount struct {
	ID              int64
	Name            string // for messages
	Country         string // ISO code
	VerifiedDomains []string
	Admins          []AccountAdmin
	SKUs            []string // SKU codes with licenses on the account
}

// ActivationLine is one SKU subscribed on the enrollment.
type ActivationLine struct {
	SKU              string
	Family           Family
	Kind             SKUKind
	BaseSKUs         []string // for an add-on: any one of these on the enrollment satisfies it
	Countries        []string // where the SKU is sold; empty means everywhere
	IncompatibleSKUs []string // SKUs that cannot be on the same account
	// PendingUntil is when the line's latest processed licenses become available
	// (processing + 12h, R-ORD-5); nil when nothing is pending.
	PendingUntil *time.Time
}

// ActivationEmail is one recorded activation email (R-ACT-1, R-ACT-7).
type ActivationEmail struct {
	Recipient   string
	Trigger     EmailTrigger
	ScheduledAt time.Time
	SentAt      *time.Time // nil while only scheduled
}

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
			due = actPtr(OpenValueActivationDueAt(last))
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
				Message: fmt.Sprintf("Open Value online services must be activated again every year; the last activation was %s, so activation has been due since %s.", actInstant(last), actInstant(*due))}}, st.Reasons...)
		}
	case !processed:
		st.State = ActivationNoOrder
		if !f.HasOrderOrReservation {
			add(ReasonNoOrderOrReservation, ActionContactReseller, nil, "No order or reservation has been placed on this enrollment yet; activation starts when the first order is processed.")
		} else {
			var at *time.Time
			if f.FirstProcessedAt != nil { // asOf is before a known processing instant
				at = actPtr(*f.FirstProcessedAt)
			}
			add(ReasonOrderNotProcessed, ActionWait, at, "No order on this enrollment has been processed yet; the activation email follows the first processed order.")
		}
	default:
		expires := LinkExpiresAt(f.OriginalPurchase, f.LinkReenabledUntil)
		linkExpired := !f.OriginalPurchase.IsZero() && !asOf.Before(expires)
		sent := latestSentEmail(f.Emails, asOf)
		if linkExpired {
			st.State = ActivationLinkExpired
			add(ReasonLinkExpired, ActionContactSupport, nil, "The activation link expired on %s, six months after the original purchase date %s; only support can re-enable it.", actInstant(expires), f.OriginalPurchase)
		}
		if sent != nil {
			if !linkExpired {
				st.State = ActivationEmailSent
				var at *time.Time
				if !f.OriginalPurchase.IsZero() {
					at = actPtr(expires)
				}
				// R-ACT-9: the link is not tied to the recipient; R-ACT-7: resend or change contact.
				add(ReasonEmailSent, ActionActivate, at, "The activation email was sent to %s on %s. Anyone holding its link can complete activation, so it may be forwarded; update the subscription contact to send it to someone else, or resend it.", sent.Recipient, actInstant(*sent.SentAt))
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
			add(ReasonUsageStartInFuture, ActionWait, actPtr(sched), "The usage start date %s is in the future; the activation email is sent from then, at the latest by %s.", f.UsageStart, actInstant(due))
		case asOf.Before(due):
			st.State = ActivationAwaitingEmail
			at := due
			if s := nextScheduledEmail(f.Emails, asOf); s != nil && s.Before(at) {
				at = *s
			}
			add(ReasonEmailPending, ActionWait, actPtr(at), "The activation email to %s can take up to 48 hours after the usage start date; expect it by %s.", f.OSMEmail, actInstant(due))
		default:
			st.State = ActivationAwaitingEmail
			add(ReasonEmailOverdue, ActionContactSupport, nil, "The activation email to %s should have arrived by %s and none was sent; contact support (or resend it).", f.OSMEmail, actInstant(due))
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
		if l.Kind == KindAddOn && !slices.ContainsFunc(l.BaseSKUs, func(b string) bool { return onEnrollment[b] }) {
			add(ReasonAddOnWithoutBase, ActionContactReseller, nil, "The add-on %s needs one of %s on this enrollment, and none is there; order a base SKU.", l.SKU, strings.Join(l.BaseSKUs, ", "))
		}
		if l.PendingUntil != nil && asOf.Before(*l.PendingUntil) {
			add(ReasonLicensesPending, ActionWait, actPtr(*l.PendingUntil), "Licenses of %s were processed recently and show as pending until %s.", l.SKU, actInstant(*l.PendingUntil))
		}
	}
	if r := f.ReservationOverdueAt; r != nil {
		if asOf.Before(*r) {
			add(ReasonReservationPending, ActionWait, actPtr(*r), "A reservation is waiting to be processed; if it is still pending at %s it is overdue.", actInstant(*r))
		} else {
			add(ReasonReservationOverdue, ActionContactSupport, nil, "A reservation has been pending for more than 25 hours (since %s it is overdue); contact support.", actInstant(*r))
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
		if !actSKUSoldIn(l, a.Country) {
			add(ReasonSKUNotAvailableInCountry, ActionContactReseller, nil, "%s is not available in %s, the country of account %s.", l.SKU, a.Country, a.label())
		}
		if bad := actIncompatible(l, a.SKUs); len(bad) > 0 {
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
			next = actPtr(at)
		}
	}
	return next
}

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
		reason(ReasonAlreadyAssociated, ActionAssignLicenses, nil, "The enrollment is already on account %s; the order lands there and no activation email is sent.", actAccount(f.AccountNames, *f.AssociatedAccountID))
		return plan
	}
	if !f.FirstOnlineServiceOrder {
		reason(ReasonEmailAlreadyPlanned, ActionWait, nil, "An earlier order already started activation of this enrollment; no second activation email is sent.")
		return plan
	}
	if f.Program == ProgramEnterprise && f.HasDynamics && f.AgreementAccountID != nil {
		plan.AssociateWith, plan.Cause = actPtr(*f.AgreementAccountID), AssociatedByAgreementAccount
		reason(ReasonAutoAgreementAccount, ActionAssignLicenses, nil, "Dynamics 365 licenses attach to account %s, where the agreement's Office 365, Microsoft 365 or Intune licenses are; no activation email is sent.", actAccount(f.AccountNames, *f.AgreementAccountID))
		return plan
	}
	if a, cause := matchAccountForOSM(f.OSMEmail, f.Accounts); a != nil {
		plan.AssociateWith, plan.Cause = actPtr(a.ID), cause
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
	reason(ReasonEmailPending, ActionWait, actPtr(sched), "The activation email to %s is sent at %s, by %s at the latest.", plan.Recipient, actInstant(sched), actInstant(due))
	return plan
}

// matchAccountForOSM finds the account R-ACT-2 provisions onto. An admin-email match wins
// over a domain match (it names the exact person); among equals the lowest account id wins,
// so the choice does not depend on load order.
func matchAccountForOSM(email string, accounts []ActivationAccount) (*ActivationAccount, AssociationCause) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, ""
	}
	domain := actEmailDomain(email)
	var byAdmin, byDomain *ActivationAccount
	for i := range accounts {
		a := &accounts[i]
		if slices.ContainsFunc(a.Admins, func(ad AccountAdmin) bool {
			return (ad.Role == AdminGlobal || ad.Role == AdminBilling) && strings.EqualFold(strings.TrimSpace(ad.Email), email)
		}) && (byAdmin == nil || a.ID < byAdmin.ID) {
			byAdmin = a
		}
		if domain != "" && slices.ContainsFunc(a.VerifiedDomains, func(d string) bool { return actNormDomain(d) == domain }) &&
			(byDomain == nil || a.ID < byDomain.ID) {
			byDomain = a
		}
	}
	if byAdmin != nil {
		return byAdmin, AssociatedByAdminEmail
	}
	if byDomain != nil {
		return byDomain, AssociatedByVerifiedDomain
	}
	return nil, ""
}

// isConsumerOutlookAddress: R-ACT-5 names outlook.com only, so hotmail.com and live.com
// are not treated as consumer addresses here.
func isConsumerOutlookAddress(email string) bool { return actEmailDomain(email) == "outlook.com" }

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

// LinkExpiresAt is when the activation link stops working: the start of the day six
// months after the original purchase date (R-ACT-8). A month-end purchase expires on the
// last day of the target month (31 Aug -> 28/29 Feb) rather than rolling into March.
// A support re-enable extends the link to reenabledUntil when that is later.
func LinkExpiresAt(originalPurchase Date, reenabledUntil *time.Time) time.Time {
	exp := actAddMonthsClamped(originalPurchase, ActivationLinkLifetimeMonths).Start()
	if reenabledUntil != nil && reenabledUntil.After(exp) {
		return *reenabledUntil
	}
	return exp
}

// CheckActivationLink refuses an expired link (R-ACT-8). It takes no caller identity:
// whoever holds the link may activate (R-ACT-9). A zero purchase date never expires.
func CheckActivationLink(originalPurchase Date, reenabledUntil *time.Time, asOf time.Time) *Problem {
	if originalPurchase.IsZero() {
		return nil
	}
	exp := LinkExpiresAt(originalPurchase, reenabledUntil)
	if asOf.Before(exp) {
		return nil
	}
	return &Problem{Field: []string{"token"}, Code: CodeLinkExpired,
		Message: fmt.Sprintf("The activation link expired on %s; only support can re-enable it.", actInstant(exp))}
}

// ActivationRequestFacts are the facts of an activation through the link.
type ActivationRequestFacts struct {
	Program            Program
	AsOf               time.Time
	OriginalPurchase   Date
	LinkReenabledUntil *time.Time
	// AssociatedAccountID is the enrollment's current account (R-ENR-1).
	AssociatedAccountID *int64
	// LicenseAccountIDs are the accounts where licenses of the enrollment already sit (R-ENR-2).
	LicenseAccountIDs []int64
	// Target is the existing account to activate onto; nil creates a new account (R-ENR-3)
	// in NewAccountCountry.
	Target            *ActivationAccount
	NewAccountCountry string
	Lines             []ActivationLine
	// AgreementAccountID: the account holding the ENTERPRISE agreement's
	// OFFICE_365/MICROSOFT_365/INTUNE licenses, if any (R-ENR-5).
	AgreementAccountID *int64
	// AccountNames names the accounts the messages mention; an unnamed one reads "#<id>".
	AccountNames map[int64]string
}

// ActivationDecision is what an accepted activation does (R-ENR-3).
type ActivationDecision struct {
	CreateAccount bool  // a new, separately administered account
	AccountID     int64 // the existing account (settings and data kept); 0 with CreateAccount
	// AlreadyOnAccount: the enrollment is already on this account; nothing moves. This is the
	// yearly OPEN_VALUE re-activation (R-ACT-11) or a retried request.
	AlreadyOnAccount bool
	Message          string
}

// DecideActivation accepts or refuses activating the whole enrollment onto f.Target (or a
// new account). Every problem is reported, not only the first.
func DecideActivation(f ActivationRequestFacts) (ActivationDecision, Problems) {
	var ps Problems
	field := []string{"accountId"}
	same := f.AssociatedAccountID != nil && f.Target != nil && *f.AssociatedAccountID == f.Target.ID
	if f.AssociatedAccountID != nil && !same {
		ps.Add(CodeAlreadyActivated, fmt.Sprintf("The enrollment is already activated on account %s; an enrollment is on one account only (support can remap it).", actAccount(f.AccountNames, *f.AssociatedAccountID)), field...)
	}
	// The link governs the first activation only: a yearly OPEN_VALUE re-activation
	// (R-ACT-11) would otherwise always be refused, the link living six months.
	if !same {
		if p := CheckActivationLink(f.OriginalPurchase, f.LinkReenabledUntil, f.AsOf); p != nil {
			ps = append(ps, *p)
		}
	}
	// R-ENR-2: activation takes the whole enrollment, so any license already elsewhere
	// would split it. Skipped when R-ENR-1 already refused (same cause, one message).
	if f.AssociatedAccountID == nil {
		for _, id := range f.LicenseAccountIDs {
			if f.Target == nil || id != f.Target.ID {
				ps.Add(CodeEnrollmentSplit, fmt.Sprintf("Licenses of this enrollment are already on account %s; all licenses of an enrollment land on one account.", actAccount(f.AccountNames, id)), field...)
				break
			}
		}
	}
	// R-ENR-5
	if f.Program == ProgramEnterprise && f.AgreementAccountID != nil && actHasFamily(f.Lines, FamilyDynamics365) &&
		(f.Target == nil || f.Target.ID != *f.AgreementAccountID) {
		ps.Add(CodeMustUseAgreementAccount, fmt.Sprintf("The agreement's Office 365, Microsoft 365 or Intune licenses are on account %s; its Dynamics 365 licenses must be activated there.", actAccount(f.AccountNames, *f.AgreementAccountID)), field...)
	}
	country := f.NewAccountCountry
	if f.Target != nil {
		country = f.Target.Country
	}
	for _, l := range f.Lines {
		if !actSKUSoldIn(l, country) {
			ps.Add(CodeSKUNotAvailableInCountry, fmt.Sprintf("%s is not available in %s.", l.SKU, country), field...)
		}
		if f.Target != nil {
			if bad := actIncompatible(l, f.Target.SKUs); len(bad) > 0 {
				ps.Add(CodeIncompatibleSKUs, fmt.Sprintf("%s cannot be on account %s together with %s.", l.SKU, f.Target.label(), strings.Join(bad, ", ")), field...)
			}
		}
	}
	if len(ps) > 0 {
		return ActivationDecision{}, ps
	}
	switch {
	case f.Target == nil:
		return ActivationDecision{CreateAccount: true, Message: "A new account is created and every service of the enrollment is provisioned there; it is administered separately from any other account."}, nil
	case same:
		return ActivationDecision{AccountID: f.Target.ID, AlreadyOnAccount: true, Message: fmt.Sprintf("The enrollment is already on account %s; its activation is renewed.", f.Target.label())}, nil
	}
	return ActivationDecision{AccountID: f.Target.ID, Message: fmt.Sprintf("Every service of the enrollment is provisioned on account %s, which keeps its settings and data.", f.Target.label())}, nil
}

// RemapFacts are the facts of a support remap (R-ENR-4).
type RemapFacts struct {
	CurrentAccountID   int64
	TargetAccountID    int64
	EnrollmentFamilies []Family // families of this enrollment's licenses
	// AgreementFamiliesOnCurrentAccount: families that OTHER enrollments of the same
	// agreement hold on the current account (this enrollment's own licenses move with it).
	AgreementFamiliesOnCurrentAccount []Family
	// AccountNames names the accounts the messages mention; an unnamed one reads "#<id>".
	AccountNames map[int64]string
}

// DecideRemap refuses a remap that would separate Dynamics 365 from the agreement's
// Office 365 / Microsoft 365 / Intune licenses (R-ENR-4); otherwise all licenses move.
func DecideRemap(f RemapFacts) *Problem {
	field := []string{"accountId"}
	if f.TargetAccountID == f.CurrentAccountID {
		return &Problem{Field: field, Code: CodeInvalid, Message: fmt.Sprintf("The enrollment is already on account %s.", actAccount(f.AccountNames, f.CurrentAccountID))}
	}
	if slices.Contains(f.EnrollmentFamilies, FamilyDynamics365) && slices.ContainsFunc(f.AgreementFamiliesOnCurrentAccount, func(x Family) bool {
		return x == FamilyOffice365 || x == FamilyMicrosoft365 || x == FamilyIntune
	}) {
		return &Problem{Field: field, Code: CodeRemapSplitsAgreement, Message: fmt.Sprintf("This Dynamics 365 enrollment cannot leave account %s: the same agreement has Office 365, Microsoft 365 or Intune licenses there, and they stay on one account.", actAccount(f.AccountNames, f.CurrentAccountID))}
	}
	return nil
}

// RenewalAssociationFacts are the facts when an enrollment is renewed into a new one (R-ACT-10).
type RenewalAssociationFacts struct {
	OldOrganizationName string
	NewOrganizationName string
	// EnrollmentsWithOrganizationName counts the agreement's enrollments with that name,
	// including the renewed (old) one and excluding the new one.
	EnrollmentsWithOrganizationName int
	OldAccountID                    *int64 // nil: the old enrollment was never activated
	// AccountNames names the accounts the messages mention; an unnamed one reads "#<id>".
	AccountNames map[int64]string
}

// RenewalAssociationPlan says whether the new enrollment joins the old account without email.
type RenewalAssociationPlan struct {
	AssociateWith *int64
	// SendEmail: the new enrollment goes through the ordinary activation email (R-ACT-1).
	SendEmail bool
	// SeveralSameName: it was not associated because the agreement has several enrollments
	// with its organization name; activationStatus says so (RENEWAL_NEEDS_ACTIVATION).
	SeveralSameName bool
	Reason          ActivationReason
}

// RenewalAssociation applies R-ACT-10. Organization names compare case-insensitively with
// surrounding and repeated spaces ignored.
func RenewalAssociation(f RenewalAssociationFacts) RenewalAssociationPlan {
	sameName := actNormName(f.OldOrganizationName) != "" && actNormName(f.OldOrganizationName) == actNormName(f.NewOrganizationName)
	switch {
	case !sameName:
		return RenewalAssociationPlan{SendEmail: true, Reason: ActivationReason{Code: ReasonRenewalNeedsActivation, Action: ActionActivate,
			Message: "The renewal has a different organization name, so it is activated from its own activation email."}}
	case f.OldAccountID == nil:
		return RenewalAssociationPlan{SendEmail: true, Reason: ActivationReason{Code: ReasonRenewalNeedsActivation, Action: ActionActivate,
			Message: "The renewed enrollment was never activated, so the renewal is activated from its own activation email."}}
	case f.EnrollmentsWithOrganizationName > 1:
		return RenewalAssociationPlan{SendEmail: true, SeveralSameName: true, Reason: ActivationReason{Code: ReasonRenewalNeedsActivation, Action: ActionActivate,
			Message: fmt.Sprintf("The agreement has %d enrollments named %q, so each renewal gets its own activation email and must be activated.", f.EnrollmentsWithOrganizationName, strings.TrimSpace(f.NewOrganizationName))}}
	}
	return RenewalAssociationPlan{AssociateWith: actPtr(*f.OldAccountID), Reason: ActivationReason{Code: ReasonAutoRenewal, Action: ActionAssignLicenses,
		Message: fmt.Sprintf("The renewal keeps the organization name, so it joins account %s without an activation email.", actAccount(f.AccountNames, *f.OldAccountID))}}
}

// OpenValueActivationDueAt is when an OPEN_VALUE enrollment must be activated again: a
// year after the last activation (R-ACT-11). A 29 February activation falls due on 1 March.
func OpenValueActivationDueAt(lastActivatedAt time.Time) time.Time {
	return lastActivatedAt.AddDate(1, 0, 0)
}

// KeyFacts are the facts of a product-key redemption (R-ACT-13).
type KeyFacts struct {
	Found            bool  // a key with this value exists
	KeyResellerID    int64 // reseller of the order that yielded it
	CallerResellerID int64
	RedeemedAt       *time.Time
}

// DecideProductKeyRedemption checks a key at once (R-ACT-13). Another reseller's key
// gets exactly the unknown-key answer, so a caller cannot probe for keys it does not own.
func DecideProductKeyRedemption(f KeyFacts) *Problem {
	field := []string{"productKey"}
	if !f.Found || f.KeyResellerID != f.CallerResellerID {
		return &Problem{Field: field, Code: CodeUnknownKey, Message: "No product key matches this value."}
	}
	if f.RedeemedAt != nil {
		return &Problem{Field: field, Code: CodeKeyAlreadyRedeemed, Message: fmt.Sprintf("This product key was already redeemed on %s.", actInstant(*f.RedeemedAt))}
	}
	return nil
}

// RenewalSubscription is one subscription of an enrollment being renewed.
type RenewalSubscription struct {
	ID  int64
	SKU string
}

// RenewalFacts are the subscriptions of the old and new enrollment (R-SUB-2).
type RenewalFacts struct {
	Old []RenewalSubscription
	New []RenewalSubscription
}

// RenewalSubscriptionChange is the new status of one subscription; GraceFrom and GraceUntil
// go straight into SubscriptionTerm.
type RenewalSubscriptionChange struct {
	SubscriptionID int64
	SKU            string
	Status         SubscriptionStatus
	GraceFrom      *time.Time
	GraceUntil     *time.Time
}

// RenewalPlan is the outcome of renewing an enrollment (R-SUB-2..4).
type RenewalPlan struct {
	Old        []RenewalSubscriptionChange
	New        []RenewalSubscriptionChange
	GraceUntil time.Time
	// CarriedSKUs: assignments carry over automatically (same SKU old and new, R-SUB-4).
	CarriedSKUs []string
	// ReassignSKUs: old SKUs absent from the renewal; their users lose access at GraceUntil
	// unless the administrator assigns them one of NewOnlySKUs.
	ReassignSKUs []string
	NewOnlySKUs  []string
}

// PlanRenewal puts the old subscriptions IN_GRACE from renewedAt until renewedAt+grace
// (R-SUB-2, R-SUB-3; grace <= 0 means DefaultGracePeriod) and the new ones ACTIVE; IN_GRACE
// does not count (R-SUB-1), so the pair is no double count. SKU lists are sorted, unique.
func PlanRenewal(f RenewalFacts, renewedAt time.Time, grace time.Duration) RenewalPlan {
	if grace <= 0 {
		grace = DefaultGracePeriod
	}
	until := renewedAt.Add(grace)
	p := RenewalPlan{GraceUntil: until}
	oldSKUs, newSKUs := map[string]bool{}, map[string]bool{}
	for _, s := range f.Old {
		p.Old = append(p.Old, RenewalSubscriptionChange{SubscriptionID: s.ID, SKU: s.SKU, Status: SubscriptionInGrace, GraceFrom: actPtr(renewedAt), GraceUntil: actPtr(until)})
		oldSKUs[s.SKU] = true
	}
	for _, s := range f.New {
		p.New = append(p.New, RenewalSubscriptionChange{SubscriptionID: s.ID, SKU: s.SKU, Status: SubscriptionActive})
		newSKUs[s.SKU] = true
	}
	for sku := range oldSKUs {
		if newSKUs[sku] {
			p.CarriedSKUs = append(p.CarriedSKUs, sku)
		} else {
			p.ReassignSKUs = append(p.ReassignSKUs, sku)
		}
	}
	for sku := range newSKUs {
		if !oldSKUs[sku] {
			p.NewOnlySKUs = append(p.NewOnlySKUs, sku)
		}
	}
	slices.Sort(p.CarriedSKUs)
	slices.Sort(p.ReassignSKUs)
	slices.Sort(p.NewOnlySKUs)
	return p
}

// --- helpers (act prefix: the package is shared) ---

func actPtr[T any](v T) *T { return &v }

func actInstant(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func actNormDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

func actEmailDomain(email string) string {
	i := strings.LastIndex(email, "@")
	if i < 0 {
		return ""
	}
	return actNormDomain(email[i+1:])
}

func actNormName(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// actAddMonthsClamped adds n months, clamping to the last day of the target month.
func actAddMonthsClamped(d Date, n int) Date {
	if d.IsZero() {
		return d
	}
	t := d.Start()
	first := time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return NewDate(first.Year(), first.Month(), min(t.Day(), last))
}

func actSKUSoldIn(l ActivationLine, country string) bool {
	if len(l.Countries) == 0 || strings.TrimSpace(country) == "" {
		return true
	}
	return slices.ContainsFunc(l.Countries, func(c string) bool { return strings.EqualFold(strings.TrimSpace(c), strings.TrimSpace(country)) })
}

func actIncompatible(l ActivationLine, onAccount []string) []string {
	var bad []string
	for _, s := range l.IncompatibleSKUs {
		if slices.Contains(onAccount, s) && !slices.Contains(bad, s) {
			bad = append(bad, s)
		}
	}
	return bad
}

func actHasFamily(lines []ActivationLine, fam Family) bool {
	return slices.ContainsFunc(lines, func(l ActivationLine) bool { return l.Family == fam })
}

// actAccount names an account in a message: its display name, or its number when unknown.
func actAccount(names map[int64]string, id int64) string {
	if n := names[id]; n != "" {
		return fmt.Sprintf("%q", n)
	}
	return fmt.Sprintf("#%d", id)
}

func (a ActivationAccount) label() string { return actAccount(map[int64]string{a.ID: a.Name}, a.ID) }
