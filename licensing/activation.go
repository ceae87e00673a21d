package licensing

import (
	"fmt"
	"strings"
	"time"
)

// Activation (R-ACT, R-ENR): the words of activation shared by its files: refusal codes,
// states, reasons, actions, how an enrollment came onto its account, and the facts of
// accounts, lines and emails. activation_emails.go plans the emails, activation_links.go
// decides the link, activation_provisioning.go puts enrollments onto accounts and
// activation_status.go explains it all as of an instant.

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
	ReasonEmailBounced              ReasonCode = "EMAIL_BOUNCED"         // refused for good by the recipient's server
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
	// ReasonMustUseAgreementAccount: R-ENR-5, the account the enrollment must be activated onto.
	ReasonMustUseAgreementAccount ReasonCode = "MUST_USE_AGREEMENT_ACCOUNT"
	// ReasonProvisioningBlocked: automatic provisioning (R-ACT-2, R-ACT-10, R-ENR-5) would put
	// the enrollment on an account that cannot take its SKUs (AccountMismatches), so it did not.
	ReasonProvisioningBlocked ReasonCode = "PROVISIONING_BLOCKED"
)

// ActivationReason is one reason in an activation status.
type ActivationReason struct {
	Code    ReasonCode
	Message string // plain English for a reseller
	Action  NextAction
	// ChangesAt is when this reason stops holding or changes; nil when only someone's
	// action (or an unknown future event) changes it.
	ChangesAt *time.Time
	// AccountID is the account the reason concerns (the one the enrollment is on, must land on,
	// or cannot land on); nil when none.
	AccountID *int64
}

// ActivationStatus is the answer of activationStatus as of an instant (R-ACT-12).
type ActivationStatus struct {
	State   ActivationState
	Reasons []ActivationReason
	// RequiredAccountID is the account the enrollment must be activated onto while it is on
	// none: its agreement's account (R-ENR-5, BoundAccount); nil when it is free to choose.
	RequiredAccountID *int64
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
	// BouncedAt: the recipient's mail server refused it for good (never retried); BounceReason
	// is its answer, addresses and links removed.
	BouncedAt    *time.Time
	BounceReason string
}

// AccountMismatch is one reason an account cannot take a line of an enrollment
// (AccountMismatches): the SKU is not sold in the account's country, or it cannot coexist
// with SKUs the account already holds.
type AccountMismatch struct {
	SKU          string
	Country      string   // set when the SKU is not sold there
	Incompatible []string // the account's SKUs it cannot coexist with
}

// AccountMismatches lists why account a cannot take the lines, in line order: each SKU not sold
// in its country, and each that cannot coexist with a SKU already on it. Every way onto an
// account makes these checks (clarification of R-ACT-2 and R-ACT-12): the activation link
// (DecideActivation), automatic provisioning (PlanActivationEmail with ProvisioningAccount and
// BoundAccount, RenewalAssociation) and a product key (DecideProductKeyRedemption); an
// enrollment that would land on an account that cannot take it stays where it is, and
// activationStatus says BLOCKED with these reasons. a.SKUs must not hold the enrollment's own.
func AccountMismatches(lines []ActivationLine, a ActivationAccount) []AccountMismatch {
	var out []AccountMismatch
	for _, l := range lines {
		if !soldIn(l, a.Country) {
			out = append(out, AccountMismatch{SKU: l.SKU, Country: a.Country})
		}
		if bad := incompatibleOn(l, a.SKUs); len(bad) > 0 {
			out = append(out, AccountMismatch{SKU: l.SKU, Incompatible: bad})
		}
	}
	return out
}

// problem is the refusal of a mismatch on the input "account" (DecideActivation, DecideProductKeyRedemption).
func (m AccountMismatch) problem(a ActivationAccount) Problem {
	if m.Country != "" {
		return Problem{Input: []string{"account"}, Code: CodeSKUNotAvailableInCountry, Message: fmt.Sprintf("%s is not available in %s.", m.SKU, m.Country)}
	}
	return Problem{Input: []string{"account"}, Code: CodeIncompatibleSKUs, Message: fmt.Sprintf("%s cannot be on account %s together with %s.", m.SKU, a.label(), strings.Join(m.Incompatible, ", "))}
}

// describe says what a list of mismatches with account a amounts to, in one sentence's words.
func describeMismatches(ms []AccountMismatch, a ActivationAccount) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		if m.Country != "" {
			parts[i] = fmt.Sprintf("%s is not available in %s", m.SKU, m.Country)
		} else {
			parts[i] = fmt.Sprintf("%s cannot be there together with %s", m.SKU, strings.Join(m.Incompatible, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

func ptr[T any](v T) *T { return &v }

func formatInstant(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// accountName names an account in a message: its display name, or its number when unknown.
func accountName(names map[int64]string, id int64) string {
	if n := names[id]; n != "" {
		return fmt.Sprintf("%q", n)
	}
	return fmt.Sprintf("#%d", id)
}

func (a ActivationAccount) label() string { return accountName(map[int64]string{a.ID: a.Name}, a.ID) }

func normalizeName(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
