package licensing

import (
	"reflect"
	"testing"
)

func TestDecideRemap(t *testing.T) {
	cases := []struct {
		name string
		f    RemapFacts
		code Code // "" = allowed
	}{
		{"R-ENR-4_dynamics_with_o365_on_account_refused", RemapFacts{CurrentAccountID: 1, TargetAccountID: 2,
			EnrollmentFamilies: []Family{FamilyDynamics365}, AgreementFamiliesOnCurrentAccount: []Family{FamilyOffice365}}, CodeRemapSplitsAgreement},
		{"R-ENR-4_dynamics_with_intune_on_account_refused", RemapFacts{CurrentAccountID: 1, TargetAccountID: 2,
			EnrollmentFamilies: []Family{FamilyDynamics365}, AgreementFamiliesOnCurrentAccount: []Family{FamilyIntune}}, CodeRemapSplitsAgreement},
		{"R-ENR-4_dynamics_alone_moves", RemapFacts{CurrentAccountID: 1, TargetAccountID: 2,
			EnrollmentFamilies: []Family{FamilyDynamics365}, AgreementFamiliesOnCurrentAccount: []Family{FamilyDynamics365}}, ""},
		{"R-ENR-4_office_enrollment_moves", RemapFacts{CurrentAccountID: 1, TargetAccountID: 2,
			EnrollmentFamilies: []Family{FamilyOffice365}, AgreementFamiliesOnCurrentAccount: []Family{FamilyMicrosoft365}}, ""},
		{"R-ENR-4_same_account_is_invalid", RemapFacts{CurrentAccountID: 1, TargetAccountID: 1}, CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := DecideRemap(c.f)
			switch {
			case c.code == "" && p != nil:
				t.Errorf("refused: %+v", p)
			case c.code != "" && (p == nil || p.Code != c.code):
				t.Errorf("got %+v, want %s", p, c.code)
			}
		})
	}
}

func TestRenewalAssociation(t *testing.T) {
	old := ptr(int64(31))
	cases := []struct {
		name   string
		f      RenewalAssociationFacts
		assoc  int64
		email  bool
		reason ReasonCode
	}{
		{"R-ACT-10_same_name_single_enrollment_joins_old_account", RenewalAssociationFacts{OldOrganizationName: "Contoso  Ltd", NewOrganizationName: " contoso ltd", EnrollmentsWithOrganizationName: 1, OldAccountID: old}, 31, false, ReasonAutoRenewal},
		{"R-ACT-10_several_enrollments_same_name_each_emailed", RenewalAssociationFacts{OldOrganizationName: "Contoso", NewOrganizationName: "Contoso", EnrollmentsWithOrganizationName: 2, OldAccountID: old}, 0, true, ReasonRenewalNeedsActivation},
		{"R-ACT-10_different_name_emailed", RenewalAssociationFacts{OldOrganizationName: "Contoso", NewOrganizationName: "Contoso Europe", EnrollmentsWithOrganizationName: 1, OldAccountID: old}, 0, true, ReasonRenewalNeedsActivation},
		{"R-ACT-10_old_never_activated_emailed", RenewalAssociationFacts{OldOrganizationName: "Contoso", NewOrganizationName: "Contoso", EnrollmentsWithOrganizationName: 1, OldAccountID: nil}, 0, true, ReasonRenewalNeedsActivation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := RenewalAssociation(c.f)
			var got int64
			if p.AssociateWith != nil {
				got = *p.AssociateWith
			}
			if got != c.assoc || p.SendEmail != c.email || p.Reason.Code != c.reason || p.Reason.Message == "" {
				t.Errorf("got %+v (account %d), want account %d email %v %s", p, got, c.assoc, c.email, c.reason)
			}
			// Only the several-enrollments case is the one activationStatus explains as such.
			if several := c.f.EnrollmentsWithOrganizationName > 1 && c.f.OldAccountID != nil && c.f.OldOrganizationName == c.f.NewOrganizationName; p.SeveralSameName != several {
				t.Errorf("SeveralSameName = %v, want %v", p.SeveralSameName, several)
			}
		})
	}
}

func TestProductKeyRedemption(t *testing.T) {
	redeemed := instantPtr(t, "2025-01-05T00:00:00Z")
	unknown := DecideProductKeyRedemption(KeyFacts{Found: false, CallerResellerID: 1})
	cases := []struct {
		name string
		f    KeyFacts
		code Code
	}{
		{"R-ACT-13_unknown_key", KeyFacts{Found: false, CallerResellerID: 1}, CodeUnknownKey},
		{"R-ACT-13_already_redeemed", KeyFacts{Found: true, KeyResellerID: 1, CallerResellerID: 1, RedeemedAt: redeemed}, CodeKeyAlreadyRedeemed},
		{"R-ACT-13_other_resellers_key_is_unknown", KeyFacts{Found: true, KeyResellerID: 2, CallerResellerID: 1}, CodeUnknownKey},
		{"R-ACT-13_other_resellers_redeemed_key_is_unknown", KeyFacts{Found: true, KeyResellerID: 2, CallerResellerID: 1, RedeemedAt: redeemed}, CodeUnknownKey},
		{"R-ACT-13_own_fresh_key_redeems", KeyFacts{Found: true, KeyResellerID: 1, CallerResellerID: 1}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := DecideProductKeyRedemption(c.f)
			if c.code == "" {
				if p != nil {
					t.Errorf("refused: %+v", p)
				}
				return
			}
			if p == nil || p.Code != c.code {
				t.Fatalf("got %+v, want %s", p, c.code)
			}
			// Never reveal another reseller's key: the answer is identical to an unknown one.
			if c.code == CodeUnknownKey && !reflect.DeepEqual(p, unknown) {
				t.Errorf("got %+v, differs from unknown-key answer %+v", p, unknown)
			}
		})
	}
}
