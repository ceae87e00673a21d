package licensing

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestActivationLink(t *testing.T) {
	cases := []struct {
		name      string
		purchase  Date
		reenabled string
		want      string
	}{
		{"R-ACT-8_six_months_after_purchase", NewDate(2025, time.January, 10), "", "2025-07-10T00:00:00Z"},
		{"R-ACT-8_month_end_clamps", NewDate(2024, time.August, 31), "", "2025-02-28T00:00:00Z"},
		{"R-ACT-8_month_end_leap_year", NewDate(2023, time.August, 31), "", "2024-02-29T00:00:00Z"},
		{"R-ACT-8_support_reenable_extends", NewDate(2025, time.January, 10), "2025-09-01T12:00:00Z", "2025-09-01T12:00:00Z"},
		{"R-ACT-8_earlier_reenable_does_not_shorten", NewDate(2025, time.January, 10), "2025-03-01T00:00:00Z", "2025-07-10T00:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var re *time.Time
			if c.reenabled != "" {
				re = instantPtr(t, c.reenabled)
			}
			exp := LinkExpiresAt(c.purchase, re)
			if !exp.Equal(instant(t, c.want)) {
				t.Fatalf("expires %s, want %s", exp, c.want)
			}
			if p := CheckActivationLink(c.purchase, re, exp.Add(-time.Second)); p != nil {
				t.Errorf("refused a second before expiry: %+v", p)
			}
			if p := CheckActivationLink(c.purchase, re, exp); p == nil || p.Code != CodeLinkExpired {
				t.Errorf("at expiry got %+v, want LINK_EXPIRED", p)
			}
		})
	}
}

func TestDecideActivation(t *testing.T) {
	asOf := instant(t, "2025-03-01T00:00:00Z")
	e3 := ActivationLine{SKU: "O365_E3", Family: FamilyOffice365, Kind: KindBase, Countries: []string{"US", "CA"}, IncompatibleSKUs: []string{"BUSINESS_PREMIUM"}}
	d365 := ActivationLine{SKU: "D365_SALES", Family: FamilyDynamics365, Kind: KindBase}
	acct := func(id int64) *ActivationAccount { return &ActivationAccount{ID: id, Country: "US"} }
	base := func(change func(*ActivationRequestFacts)) ActivationRequestFacts {
		f := ActivationRequestFacts{Program: ProgramEnterprise, AsOf: asOf, OriginalPurchase: NewDate(2025, time.January, 10),
			Target: acct(5), Lines: []ActivationLine{e3}}
		if change != nil {
			change(&f)
		}
		return f
	}
	cases := []struct {
		name  string
		f     ActivationRequestFacts
		want  ActivationDecision // Message ignored
		codes []Code
	}{
		{"R-ENR-3_existing_account_keeps_settings", base(nil), ActivationDecision{AccountID: 5}, nil},
		{"R-ENR-3_new_account_created", base(func(f *ActivationRequestFacts) { f.Target, f.NewAccountCountry = nil, "CA" }), ActivationDecision{CreateAccount: true}, nil},
		{"R-ACT-9_anyone_with_valid_link_activates", base(func(f *ActivationRequestFacts) { f.AsOf = instant(t, "2025-07-09T23:59:59Z") }), ActivationDecision{AccountID: 5}, nil},
		{"R-ENR-1_already_on_another_account", base(func(f *ActivationRequestFacts) {
			f.AssociatedAccountID, f.LicenseAccountIDs = ptr(int64(9)), []int64{9}
		}), ActivationDecision{}, []Code{CodeAlreadyActivated}},
		{"R-ENR-1_new_account_when_already_associated", base(func(f *ActivationRequestFacts) {
			f.AssociatedAccountID, f.Target = ptr(int64(9)), nil
		}), ActivationDecision{}, []Code{CodeAlreadyActivated}},
		{"R-ACT-11_open_value_yearly_reactivation_despite_old_link", base(func(f *ActivationRequestFacts) {
			f.Program, f.AssociatedAccountID, f.AsOf = ProgramOpenValue, ptr(int64(5)), instant(t, "2026-03-01T00:00:00Z")
		}), ActivationDecision{AccountID: 5, AlreadyOnAccount: true}, nil},
		{"R-ENR-2_licenses_already_on_other_account", base(func(f *ActivationRequestFacts) { f.LicenseAccountIDs = []int64{5, 9} }),
			ActivationDecision{}, []Code{CodeEnrollmentSplit}},
		{"R-ENR-2_licenses_on_target_are_fine", base(func(f *ActivationRequestFacts) { f.LicenseAccountIDs = []int64{5} }),
			ActivationDecision{AccountID: 5}, nil},
		{"R-ENR-5_dynamics_must_use_agreement_account", base(func(f *ActivationRequestFacts) {
			f.Lines, f.AgreementAccountID = []ActivationLine{d365}, ptr(int64(12))
		}), ActivationDecision{}, []Code{CodeMustUseAgreementAccount}},
		{"R-ENR-5_new_account_refused_too", base(func(f *ActivationRequestFacts) {
			f.Lines, f.AgreementAccountID, f.Target = []ActivationLine{d365}, ptr(int64(12)), nil
		}), ActivationDecision{}, []Code{CodeMustUseAgreementAccount}},
		{"R-ENR-5_agreement_account_accepted", base(func(f *ActivationRequestFacts) {
			f.Lines, f.AgreementAccountID, f.Target = []ActivationLine{d365}, ptr(int64(12)), acct(12)
		}), ActivationDecision{AccountID: 12}, nil},
		{"R-ENR-5_not_for_mpsa", base(func(f *ActivationRequestFacts) {
			f.Program, f.Lines, f.AgreementAccountID = ProgramMPSA, []ActivationLine{d365}, ptr(int64(12))
		}), ActivationDecision{AccountID: 5}, nil},
		{"R-ACT-8_expired_link_refused", base(func(f *ActivationRequestFacts) { f.AsOf = instant(t, "2025-07-10T00:00:00Z") }),
			ActivationDecision{}, []Code{CodeLinkExpired}},
		{"R-ACT-12_sku_not_sold_in_new_account_country", base(func(f *ActivationRequestFacts) { f.Target, f.NewAccountCountry = nil, "FR" }),
			ActivationDecision{}, []Code{CodeSKUNotAvailableInCountry}},
		{"R-ACT-12_incompatible_sku_on_target_and_every_problem_reported", base(func(f *ActivationRequestFacts) {
			f.Target.SKUs = []string{"BUSINESS_PREMIUM"}
			f.AsOf = instant(t, "2025-08-01T00:00:00Z")
		}), ActivationDecision{}, []Code{CodeLinkExpired, CodeIncompatibleSKUs}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, ps := DecideActivation(c.f)
			var codes []Code
			for _, p := range ps {
				codes = append(codes, p.Code)
			}
			if !reflect.DeepEqual(codes, c.codes) {
				t.Fatalf("codes %v (%v), want %v", codes, ps, c.codes)
			}
			if len(ps) == 0 && d.Message == "" {
				t.Error("accepted decision has no message")
			}
			d.Message = ""
			if d != c.want {
				t.Errorf("decision %+v, want %+v", d, c.want)
			}
		})
	}
	t.Run("R-ENR-5_refusal_names_agreement_account", func(t *testing.T) {
		_, ps := DecideActivation(base(func(f *ActivationRequestFacts) {
			f.Lines, f.AgreementAccountID = []ActivationLine{e3, d365}, ptr(int64(4242))
		}))
		if len(ps) != 1 || !strings.Contains(ps[0].Message, "4242") || !reflect.DeepEqual(ps[0].Input, []string{"account"}) {
			t.Errorf("problems %+v, want one naming account 4242 on accountId", ps)
		}
	})
}
