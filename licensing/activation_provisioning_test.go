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
		{"R-ACT-10_R-ACT-12_old_account_that_cannot_take_the_renewal_emailed", RenewalAssociationFacts{OldOrganizationName: "Contoso", NewOrganizationName: "Contoso",
			EnrollmentsWithOrganizationName: 1, OldAccountID: old, OldAccount: &ActivationAccount{ID: 31, Country: "US", SKUs: []string{"M365-E3"}},
			Lines: []ActivationLine{{SKU: "O365-E3", IncompatibleSKUs: []string{"M365-E3"}}}}, 0, true, ReasonProvisioningBlocked},
		{"R-ACT-10_old_account_that_takes_the_renewal_joins", RenewalAssociationFacts{OldOrganizationName: "Contoso", NewOrganizationName: "Contoso",
			EnrollmentsWithOrganizationName: 1, OldAccountID: old, OldAccount: &ActivationAccount{ID: 31, Country: "US"},
			Lines: []ActivationLine{{SKU: "O365-E3", IncompatibleSKUs: []string{"M365-E3"}}}}, 31, false, ReasonAutoRenewal},
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

func TestProvisioningDecisions(t *testing.T) {
	t.Run("R-ENR-5_the_agreement_account_binds_enterprise_dynamics", func(t *testing.T) {
		holdings := []AgreementHolding{{EnrollmentID: 9, AccountID: 90, Family: FamilyOffice365}, {EnrollmentID: 4, AccountID: 40, Family: FamilyDynamics365},
			{EnrollmentID: 5, AccountID: 50, Family: FamilyIntune}}
		acc := AgreementAccount(holdings)
		if acc == nil || *acc != 50 {
			t.Fatalf("agreement account %v, want 50 (the first enrollment with O365, M365 or Intune)", acc)
		}
		if AgreementAccount(holdings[1:2]) != nil {
			t.Errorf("Dynamics alone binds nothing")
		}
		if b := BoundAccount(ProgramEnterprise, true, acc); b == nil || *b != 50 {
			t.Errorf("bound %v", b)
		}
		if BoundAccount(ProgramEnterprise, false, acc) != nil || BoundAccount(ProgramMPSA, true, acc) != nil || BoundAccount(ProgramEnterprise, true, nil) != nil {
			t.Errorf("only ENTERPRISE Dynamics is bound")
		}
	})
	t.Run("R-ENR-1_R-ENR-2_one_account_per_enrollment", func(t *testing.T) {
		five, nine := ptr(int64(5)), ptr(int64(9))
		if OnAnotherAccount(nil, five) || OnAnotherAccount(five, five) || !OnAnotherAccount(five, nine) || !OnAnotherAccount(five, nil) {
			t.Errorf("OnAnotherAccount")
		}
		if id, split := LicensesElsewhere([]int64{5, 9}, five); !split || id != 9 {
			t.Errorf("LicensesElsewhere: %d %v", id, split)
		}
		if _, split := LicensesElsewhere([]int64{5}, five); split {
			t.Errorf("licenses on the target do not split it")
		}
	})
	t.Run("R-ENR-4_an_enrollment_on_no_account_is_activated_not_remapped", func(t *testing.T) {
		wantOne(t, DecideRemap(RemapFacts{NotOnAccount: true}), CodeInvalid, "enrollment")
	})
	t.Run("R-ACT-13_the_target_account_and_the_enrollment_split", func(t *testing.T) {
		key := KeyFacts{Found: true, KeyResellerID: 1, CallerResellerID: 1, TargetAccountID: 7}
		wantOne(t, DecideProductKeyRedemption(key), "")
		missing := key
		missing.AccountMissing = true
		wantOne(t, DecideProductKeyRedemption(missing), CodeNotFound, "account")
		elsewhere := key
		elsewhere.EnrollmentAccountID = ptr(int64(8))
		wantOne(t, DecideProductKeyRedemption(elsewhere), CodeEnrollmentSplit, "account")
		elsewhere.EnrollmentAccountID = ptr(int64(7))
		wantOne(t, DecideProductKeyRedemption(elsewhere), "")
	})
	t.Run("R-ACT-13_R-ACT-12_the_target_account_must_take_the_enrollment", func(t *testing.T) {
		key := KeyFacts{Found: true, KeyResellerID: 1, CallerResellerID: 1, TargetAccountID: 7,
			Lines: []ActivationLine{{SKU: "D365", Countries: []string{"US"}}, {SKU: "O365-E3", IncompatibleSKUs: []string{"M365-E3"}}}}
		key.Target = &ActivationAccount{ID: 7, Country: "BR"}
		wantOne(t, DecideProductKeyRedemption(key), CodeSKUNotAvailableInCountry, "account")
		key.Target = &ActivationAccount{ID: 7, Country: "US", SKUs: []string{"M365-E3"}}
		wantOne(t, DecideProductKeyRedemption(key), CodeIncompatibleSKUs, "account")
		key.Target = &ActivationAccount{ID: 7, Country: "US"}
		wantOne(t, DecideProductKeyRedemption(key), "")
	})
	t.Run("R-ACT-13_program", func(t *testing.T) {
		if !YieldsProductKeys(ProgramOpenValue) || YieldsProductKeys(ProgramEnterprise) {
			t.Errorf("only OPEN_VALUE orders yield keys")
		}
	})
}
