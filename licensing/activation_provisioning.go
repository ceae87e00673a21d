package licensing

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Provisioning onto an account without the link: automatically (R-ACT-2, R-ACT-10), by support
// (R-ENR-4) or by product key (R-ACT-13), and what an account can take.

// Provisioning is where R-ACT-2 puts an enrollment automatically (ProvisioningAccount).
type Provisioning struct {
	Account *ActivationAccount // nil: no account matches the OSM
	Cause   AssociationCause   // AssociatedByAdminEmail or AssociatedByVerifiedDomain
	// Blocked lists why Account cannot take the enrollment's lines (AccountMismatches): then
	// the enrollment is not provisioned, and the activation email goes to the OSM instead.
	Blocked []AccountMismatch
}

// Provisions tells whether the enrollment is provisioned onto Account.
func (p Provisioning) Provisions() bool { return p.Account != nil && len(p.Blocked) == 0 }

// R-ACT-2: ProvisioningAccount is the account an enrollment is provisioned onto automatically,
// with no activation email: one where the OSM's email domain is verified, or where the OSM is a
// global or billing administrator. An admin-email match wins over a domain match (it names the
// exact person); among equals the lowest account id wins, so the choice does not depend on load
// order. No account when none matches. The account must take the enrollment's lines, as for
// every way onto an account (AccountMismatches): when it cannot, the enrollment is not
// provisioned there (Blocked, and activationStatus says BLOCKED with the reasons) nor on another
// match, and the activation email goes to the OSM, who can activate it onto another account or a
// new one.
func ProvisioningAccount(email string, accounts []ActivationAccount, lines []ActivationLine) Provisioning {
	email = strings.TrimSpace(email)
	if email == "" {
		return Provisioning{}
	}
	domain := emailDomain(email)
	var byAdmin, byDomain *ActivationAccount
	for i := range accounts {
		a := &accounts[i]
		if slices.ContainsFunc(a.Admins, func(ad AccountAdmin) bool {
			return (ad.Role == AdminGlobal || ad.Role == AdminBilling) && strings.EqualFold(strings.TrimSpace(ad.Email), email)
		}) && (byAdmin == nil || a.ID < byAdmin.ID) {
			byAdmin = a
		}
		if domain != "" && slices.ContainsFunc(a.VerifiedDomains, func(d string) bool { return normalizeDomain(d) == domain }) &&
			(byDomain == nil || a.ID < byDomain.ID) {
			byDomain = a
		}
	}
	p := Provisioning{}
	switch {
	case byAdmin != nil:
		p.Account, p.Cause = byAdmin, AssociatedByAdminEmail
	case byDomain != nil:
		p.Account, p.Cause = byDomain, AssociatedByVerifiedDomain
	default:
		return p
	}
	p.Blocked = AccountMismatches(lines, *p.Account)
	return p
}

// R-ENR-1: OnAnotherAccount tells an enrollment already on an account (current) other than
// target (nil: a new account): an enrollment is on at most one account, while an account may
// hold many enrollments. Only support moves it (DecideRemap).
func OnAnotherAccount(current, target *int64) bool {
	return current != nil && (target == nil || *current != *target)
}

// R-ENR-2: LicensesElsewhere finds an account other than target (nil: a new account) where
// licenses of the enrollment already are (licenseAccounts): all licenses of an enrollment land on
// one account, so activating onto another would split them.
func LicensesElsewhere(licenseAccounts []int64, target *int64) (int64, bool) {
	for _, id := range licenseAccounts {
		if target == nil || id != *target {
			return id, true
		}
	}
	return 0, false
}

// R-ENR-5: BoundAccount is the account an enrollment's licenses must land on: for an ENTERPRISE
// enrollment with DYNAMICS_365 licenses (hasDynamics), the agreement's account, where another of
// its enrollments holds OFFICE_365, MICROSOFT_365 or INTUNE licenses (AgreementAccount). Nil when
// nothing binds it. They attach there automatically (PlanActivationEmail), activating them onto
// another account is refused (DecideActivation), and activationStatus names that account.
func BoundAccount(p Program, hasDynamics bool, agreementAccount *int64) *int64 {
	if p != ProgramEnterprise || !hasDynamics || agreementAccount == nil {
		return nil
	}
	return ptr(*agreementAccount)
}

// AgreementHolding is a family of licenses that an enrollment of an agreement holds on its account.
type AgreementHolding struct {
	EnrollmentID int64
	AccountID    int64
	Family       Family
}

// AgreementAccount is the account where an agreement's OFFICE_365, MICROSOFT_365 or INTUNE
// licenses are (BoundAccount), among holdings of its other enrollments: the first enrollment's
// (lowest id) when several hold some. Nil when none does.
func AgreementAccount(holdings []AgreementHolding) *int64 {
	var first *AgreementHolding
	for i, h := range holdings {
		if staysWithDynamics(h.Family) && (first == nil || h.EnrollmentID < first.EnrollmentID) {
			first = &holdings[i]
		}
	}
	if first == nil {
		return nil
	}
	return ptr(first.AccountID)
}

// staysWithDynamics: the families that BoundAccount and DecideRemap keep on one account with an
// agreement's Dynamics 365 licenses.
func staysWithDynamics(f Family) bool {
	return f == FamilyOffice365 || f == FamilyMicrosoft365 || f == FamilyIntune
}

// HasFamily tells whether any line is of the family.
func HasFamily(lines []ActivationLine, fam Family) bool {
	return slices.ContainsFunc(lines, func(l ActivationLine) bool { return l.Family == fam })
}

// RemapFacts are the facts of a support remap (DecideRemap).
type RemapFacts struct {
	// NotOnAccount: the enrollment is on no account yet; it is activated, not remapped.
	NotOnAccount       bool
	CurrentAccountID   int64
	TargetAccountID    int64
	EnrollmentFamilies []Family // families of this enrollment's licenses
	// AgreementFamiliesOnCurrentAccount: families that OTHER enrollments of the same
	// agreement hold on the current account (this enrollment's own licenses move with it).
	AgreementFamiliesOnCurrentAccount []Family
	// AccountNames names the accounts the messages mention; an unnamed one reads "#<id>".
	AccountNames map[int64]string
}

// R-ENR-4: DecideRemap decides a support remap of an enrollment to another account, which moves
// all its licenses: refused for a DYNAMICS_365 enrollment when other enrollments of the same
// agreement have OFFICE_365, MICROSOFT_365 or INTUNE licenses on its current account, since
// those all stay on one account.
func DecideRemap(f RemapFacts) *Problem {
	field := []string{"account"}
	if f.NotOnAccount {
		return &Problem{Input: []string{"enrollment"}, Code: CodeInvalid, Message: "the enrollment is not on an account yet; it is activated, not remapped"}
	}
	if f.TargetAccountID == f.CurrentAccountID {
		return &Problem{Input: field, Code: CodeInvalid, Message: fmt.Sprintf("The enrollment is already on account %s.", accountName(f.AccountNames, f.CurrentAccountID))}
	}
	if slices.Contains(f.EnrollmentFamilies, FamilyDynamics365) && slices.ContainsFunc(f.AgreementFamiliesOnCurrentAccount, staysWithDynamics) {
		return &Problem{Input: field, Code: CodeRemapSplitsAgreement, Message: fmt.Sprintf("This Dynamics 365 enrollment cannot leave account %s: the same agreement has Office 365, Microsoft 365 or Intune licenses there, and they stay on one account.", accountName(f.AccountNames, f.CurrentAccountID))}
	}
	return nil
}

// NamedEnrollment is an enrollment of an agreement and its organization name (SameNameEnrollments).
type NamedEnrollment struct {
	ID               int64
	OrganizationName string
	Status           EnrollmentStatus
}

// SameNameEnrollments counts the agreement's enrollments (agreement: all but the renewal being
// made) named like name, as RenewalAssociation compares names. The renewed enrollment
// (renewedID) counts; other RENEWED ones do not: the predecessors of a chain of renewals are not
// "several enrollments".
func SameNameEnrollments(name string, renewedID int64, agreement []NamedEnrollment) int {
	n := 0
	for _, e := range agreement {
		if normalizeName(e.OrganizationName) == normalizeName(name) && (e.Status != EnrollmentRenewed || e.ID == renewedID) {
			n++
		}
	}
	return n
}

// RenewalAssociationFacts are the facts when an enrollment is renewed into a new one
// (RenewalAssociation).
type RenewalAssociationFacts struct {
	OldOrganizationName string
	NewOrganizationName string
	// EnrollmentsWithOrganizationName counts the agreement's enrollments with that name,
	// including the renewed (old) one and excluding the new one (SameNameEnrollments).
	EnrollmentsWithOrganizationName int
	OldAccountID                    *int64 // nil: the old enrollment was never activated
	// OldAccount are the facts of that account, its SKUs other than the old enrollment's (which
	// leave with the grace period), and Lines the renewal's: the account must take them
	// (AccountMismatches). Nil: not checked.
	OldAccount *ActivationAccount
	Lines      []ActivationLine
	// AccountNames names the accounts the messages mention; an unnamed one reads "#<id>".
	AccountNames map[int64]string
}

// RenewalAssociationPlan says whether the new enrollment joins the old account without email.
type RenewalAssociationPlan struct {
	AssociateWith *int64
	// SendEmail: the new enrollment goes through the ordinary activation email (PlanActivationEmail).
	SendEmail bool
	// SeveralSameName: it was not associated because the agreement has several enrollments
	// with its organization name; activationStatus says so (RENEWAL_NEEDS_ACTIVATION).
	SeveralSameName bool
	// Blocked: it was not associated because the old account cannot take its lines.
	Blocked []AccountMismatch
	Reason  ActivationReason
}

// R-ACT-10: RenewalAssociation: renewing with the same organization name associates the new
// enrollment with the old one's account without an email, unless the agreement has several
// enrollments with that name (SameNameEnrollments): then each gets an email and must be
// activated. Organization names compare case-insensitively with surrounding and repeated spaces
// ignored. Like every way onto an account, the old account must take the renewal's lines
// (AccountMismatches); when it cannot, the renewal gets its own activation email instead.
func RenewalAssociation(f RenewalAssociationFacts) RenewalAssociationPlan {
	sameName := normalizeName(f.OldOrganizationName) != "" && normalizeName(f.OldOrganizationName) == normalizeName(f.NewOrganizationName)
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
	if f.OldAccount != nil {
		if ms := AccountMismatches(f.Lines, *f.OldAccount); len(ms) > 0 {
			return RenewalAssociationPlan{SendEmail: true, Blocked: ms, Reason: ActivationReason{Code: ReasonProvisioningBlocked, Action: ActionActivate,
				AccountID: ptr(f.OldAccount.ID), Message: fmt.Sprintf("The renewal would join account %s, but that account cannot take it (%s), so it is activated from its own activation email onto another account or a new one.",
					accountName(f.AccountNames, *f.OldAccountID), describeMismatches(ms, *f.OldAccount))}}
		}
	}
	return RenewalAssociationPlan{AssociateWith: ptr(*f.OldAccountID), Reason: ActivationReason{Code: ReasonAutoRenewal, Action: ActionAssignLicenses,
		AccountID: ptr(*f.OldAccountID), Message: fmt.Sprintf("The renewal keeps the organization name, so it joins account %s without an activation email.", accountName(f.AccountNames, *f.OldAccountID))}}
}

// YieldsProductKeys tells the programs whose processed order lines yield product keys for their
// licenses (DecideProductKeyRedemption): OPEN_VALUE.
func YieldsProductKeys(p Program) bool { return p == ProgramOpenValue }

// KeyFacts are the facts of a product-key redemption (DecideProductKeyRedemption).
type KeyFacts struct {
	Found            bool  // a key with this value exists
	KeyResellerID    int64 // reseller of the order that yielded it
	CallerResellerID int64
	RedeemedAt       *time.Time
	// AccountMissing: the target account is not one of the key's reseller.
	AccountMissing bool
	// EnrollmentAccountID is the account the key's enrollment is on (nil: none yet);
	// TargetAccountID the account to redeem onto.
	EnrollmentAccountID *int64
	TargetAccountID     int64
	// Target are the facts of that account and Lines the enrollment's: an enrollment landing
	// there must fit it (AccountMismatches). Nil Target: not checked yet.
	Target *ActivationAccount
	Lines  []ActivationLine
}

// R-ACT-13: DecideProductKeyRedemption checks a key at once: unknown, already redeemed, or
// belonging to another reseller's order is refused; so is a target account that would split
// the key's enrollment (LicensesElsewhere) or that cannot take the enrollment's lines, as for
// every way onto an account (AccountMismatches: SKU_NOT_AVAILABLE_IN_COUNTRY,
// INCOMPATIBLE_SKUS). Another reseller's key gets exactly the unknown-key answer, so a caller
// cannot probe for keys it does not own. An accepted key adds its licenses to the account: its
// enrollment lands there.
func DecideProductKeyRedemption(f KeyFacts) *Problem {
	field := []string{"productKey"}
	if !f.Found || f.KeyResellerID != f.CallerResellerID {
		return &Problem{Input: field, Code: CodeUnknownKey, Message: "No product key matches this value."}
	}
	if f.RedeemedAt != nil {
		return &Problem{Input: field, Code: CodeKeyAlreadyRedeemed, Message: fmt.Sprintf("This product key was already redeemed on %s.", formatInstant(*f.RedeemedAt))}
	}
	if f.AccountMissing {
		return &Problem{Input: []string{"account"}, Code: CodeNotFound, Message: "no such account"}
	}
	if f.EnrollmentAccountID != nil {
		if id, split := LicensesElsewhere([]int64{*f.EnrollmentAccountID}, &f.TargetAccountID); split {
			return &Problem{Input: []string{"account"}, Code: CodeEnrollmentSplit, Message: fmt.Sprintf("this key's enrollment is on account %d; all its licenses stay on one account", id)}
		}
		return nil // already there: the account took it
	}
	if f.Target != nil {
		if ms := AccountMismatches(f.Lines, *f.Target); len(ms) > 0 {
			p := ms[0].problem(*f.Target)
			return &p
		}
	}
	return nil
}

func soldIn(l ActivationLine, country string) bool {
	if len(l.Countries) == 0 || strings.TrimSpace(country) == "" {
		return true
	}
	return slices.ContainsFunc(l.Countries, func(c string) bool { return strings.EqualFold(strings.TrimSpace(c), strings.TrimSpace(country)) })
}

func incompatibleOn(l ActivationLine, onAccount []string) []string {
	var bad []string
	for _, s := range l.IncompatibleSKUs {
		if slices.Contains(onAccount, s) && !slices.Contains(bad, s) {
			bad = append(bad, s)
		}
	}
	return bad
}
