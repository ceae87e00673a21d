package licensing

import (
	"fmt"
	"time"
)

// Activation links (R-ACT-8, R-ACT-9) and activating through one (R-ENR-3, with R-ENR-1, R-ENR-2
// and R-ENR-5).

// ActivationLinkLifetimeMonths is how long an activation link lives after the original
// purchase date (LinkExpiresAt).
const ActivationLinkLifetimeMonths = 6

// R-ACT-8: LinkExpiresAt is when the activation link stops working: the start of the day six
// months after the original purchase date; only support can re-enable it. A month-end purchase expires on the
// last day of the target month (31 Aug -> 28/29 Feb) rather than rolling into March.
// A support re-enable extends the link to reenabledUntil when that is later.
func LinkExpiresAt(originalPurchase Date, reenabledUntil *time.Time) time.Time {
	exp := addMonthsClamped(originalPurchase, ActivationLinkLifetimeMonths).Start()
	if reenabledUntil != nil && reenabledUntil.After(exp) {
		return *reenabledUntil
	}
	return exp
}

// CheckLinkReenable checks support's re-enable of an expired link (LinkExpiresAt): the link must
// work again until an instant after asOf.
func CheckLinkReenable(until, asOf time.Time) *Problem {
	if until.After(asOf) {
		return nil
	}
	return refusal(CodeInvalid, "validUntil must be in the future", "linkValidUntil")
}

// R-ACT-9: CheckActivationLink is the only check of who activates through a link: it takes no
// caller identity, so anyone holding the link can complete activation (the email may be
// forwarded); it refuses an expired link (LinkExpiresAt). A zero purchase date never expires.
func CheckActivationLink(originalPurchase Date, reenabledUntil *time.Time, asOf time.Time) *Problem {
	if originalPurchase.IsZero() {
		return nil
	}
	exp := LinkExpiresAt(originalPurchase, reenabledUntil)
	if asOf.Before(exp) {
		return nil
	}
	return &Problem{Input: []string{"token"}, Code: CodeLinkExpired,
		Message: fmt.Sprintf("The activation link expired on %s; only support can re-enable it.", formatInstant(exp))}
}

// ValidateActivationTarget checks where an activation through the link goes (DecideActivation):
// either an existing account (existing) or a new one, whose draft must be valid (its problems
// under "newAccount").
func ValidateActivationTarget(existing bool, newAccount *AccountDraft) Problems {
	if existing == (newAccount != nil) {
		return Problems{{Input: []string{"account"}, Code: CodeRequired, Message: "give either accountId (an existing account) or newAccount"}}
	}
	if newAccount == nil {
		return nil
	}
	ps := newAccount.Validate()
	for i := range ps {
		ps[i].Input = append([]string{"newAccount"}, ps[i].Input...)
	}
	return ps
}

// ActivationRequestFacts are the facts of an activation through the link.
type ActivationRequestFacts struct {
	Program            Program
	AsOf               time.Time
	OriginalPurchase   Date
	LinkReenabledUntil *time.Time
	// AssociatedAccountID is the enrollment's current account (OnAnotherAccount).
	AssociatedAccountID *int64
	// LicenseAccountIDs are the accounts where licenses of the enrollment already sit
	// (LicensesElsewhere).
	LicenseAccountIDs []int64
	// Target is the existing account to activate onto; nil creates a new account in
	// NewAccountCountry.
	Target            *ActivationAccount
	NewAccountCountry string
	Lines             []ActivationLine
	// AgreementAccountID: the account holding the agreement's OFFICE_365/MICROSOFT_365/INTUNE
	// licenses, if any (BoundAccount).
	AgreementAccountID *int64
	// AccountNames names the accounts the messages mention; an unnamed one reads "#<id>".
	AccountNames map[int64]string
}

// ActivationDecision is what an accepted activation does (DecideActivation).
type ActivationDecision struct {
	CreateAccount bool  // a new, separately administered account
	AccountID     int64 // the existing account (settings and data kept); 0 with CreateAccount
	// AlreadyOnAccount: the enrollment is already on this account; nothing moves. This is the
	// yearly OPEN_VALUE re-activation (OpenValueActivationDue) or a retried request.
	AlreadyOnAccount bool
	Message          string
}

// R-ENR-3: DecideActivation accepts or refuses activating the whole enrollment through its link
// onto f.Target, an existing account, which keeps its settings and data and gets every service
// of the enrollment, or onto a new, separately administered account (Target nil). It applies
// OnAnotherAccount, CheckActivationLink, LicensesElsewhere and BoundAccount, and the account's
// country and SKUs must take every line (AccountMismatches). Every problem is reported, not
// only the first.
func DecideActivation(f ActivationRequestFacts) (ActivationDecision, Problems) {
	var ps Problems
	field := []string{"account"}
	var target *int64
	if f.Target != nil {
		target = &f.Target.ID
	}
	same := f.AssociatedAccountID != nil && !OnAnotherAccount(f.AssociatedAccountID, target)
	if OnAnotherAccount(f.AssociatedAccountID, target) {
		ps.Add(CodeAlreadyActivated, fmt.Sprintf("The enrollment is already activated on account %s; an enrollment is on one account only (support can remap it).", accountName(f.AccountNames, *f.AssociatedAccountID)), field...)
	}
	// The link governs the first activation only: a yearly OPEN_VALUE re-activation
	// would otherwise always be refused, the link living six months.
	if !same {
		if p := CheckActivationLink(f.OriginalPurchase, f.LinkReenabledUntil, f.AsOf); p != nil {
			ps = append(ps, *p)
		}
	}
	// Activation takes the whole enrollment, so any license already elsewhere would split it.
	// Skipped when it is on another account already (same cause, one message).
	if f.AssociatedAccountID == nil {
		if id, split := LicensesElsewhere(f.LicenseAccountIDs, target); split {
			ps.Add(CodeEnrollmentSplit, fmt.Sprintf("Licenses of this enrollment are already on account %s; all licenses of an enrollment land on one account.", accountName(f.AccountNames, id)), field...)
		}
	}
	if bound := BoundAccount(f.Program, HasFamily(f.Lines, FamilyDynamics365), f.AgreementAccountID); bound != nil && (target == nil || *target != *bound) {
		ps.Add(CodeMustUseAgreementAccount, fmt.Sprintf("The agreement's Office 365, Microsoft 365 or Intune licenses are on account %s; its Dynamics 365 licenses must be activated there.", accountName(f.AccountNames, *bound)), field...)
	}
	onto := ActivationAccount{Country: f.NewAccountCountry} // a new account holds nothing yet
	if f.Target != nil {
		onto = *f.Target
	}
	for _, m := range AccountMismatches(f.Lines, onto) {
		ps = append(ps, m.problem(onto))
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

// addMonthsClamped adds n months, clamping to the last day of the target month.
func addMonthsClamped(d Date, n int) Date {
	if d.IsZero() {
		return d
	}
	t := d.Start()
	first := time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return NewDate(first.Year(), first.Month(), min(t.Day(), last))
}
