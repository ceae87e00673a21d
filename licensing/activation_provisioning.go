package licensing

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Provisioning onto an account without the link: automatically (R-ACT-2, R-ACT-10), by support
// (R-ENR-4) or by product key (R-ACT-13), and what an account can take.

// matchAccountForOSM finds the account R-ACT-2 provisions onto. An admin-email match wins
// over a domain match (it names the exact person); among equals the lowest account id wins,
// so the choice does not depend on load order.
func matchAccountForOSM(email string, accounts []ActivationAccount) (*ActivationAccount, AssociationCause) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, ""
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
	if byAdmin != nil {
		return byAdmin, AssociatedByAdminEmail
	}
	if byDomain != nil {
		return byDomain, AssociatedByVerifiedDomain
	}
	return nil, ""
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
		return &Problem{Field: field, Code: CodeInvalid, Message: fmt.Sprintf("The enrollment is already on account %s.", accountName(f.AccountNames, f.CurrentAccountID))}
	}
	if slices.Contains(f.EnrollmentFamilies, FamilyDynamics365) && slices.ContainsFunc(f.AgreementFamiliesOnCurrentAccount, func(x Family) bool {
		return x == FamilyOffice365 || x == FamilyMicrosoft365 || x == FamilyIntune
	}) {
		return &Problem{Field: field, Code: CodeRemapSplitsAgreement, Message: fmt.Sprintf("This Dynamics 365 enrollment cannot leave account %s: the same agreement has Office 365, Microsoft 365 or Intune licenses there, and they stay on one account.", accountName(f.AccountNames, f.CurrentAccountID))}
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
	return RenewalAssociationPlan{AssociateWith: ptr(*f.OldAccountID), Reason: ActivationReason{Code: ReasonAutoRenewal, Action: ActionAssignLicenses,
		Message: fmt.Sprintf("The renewal keeps the organization name, so it joins account %s without an activation email.", accountName(f.AccountNames, *f.OldAccountID))}}
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
		return &Problem{Field: field, Code: CodeKeyAlreadyRedeemed, Message: fmt.Sprintf("This product key was already redeemed on %s.", formatInstant(*f.RedeemedAt))}
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

func hasFamily(lines []ActivationLine, fam Family) bool {
	return slices.ContainsFunc(lines, func(l ActivationLine) bool { return l.Family == fam })
}
