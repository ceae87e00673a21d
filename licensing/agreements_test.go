package licensing

import "testing"

func TestAgreements(t *testing.T) {
	t.Run("R-AGR-4_volume_discount_from_250_enterprise_seats", func(t *testing.T) {
		for _, c := range []struct {
			p     Program
			seats int
			want  bool
		}{
			{ProgramEnterprise, 249, false},
			{ProgramEnterprise, 250, true},
			{ProgramEnterprise, 1000, true},
			{ProgramOpenValue, 1000, false},
			{ProgramEnterpriseSubscription, 250, false},
		} {
			if got := VolumeDiscountEligible(c.p, c.seats); got != c.want {
				t.Errorf("%s with %d seats: eligible=%v, want %v", c.p, c.seats, got, c.want)
			}
		}
	})
}

func TestCustomerLanguage(t *testing.T) {
	if d := (CustomerDraft{OrganizationName: "Fabrikam", Country: "SE"}); len(d.Validate()) != 0 || d.CustomerLanguage() != LanguageEnglish {
		t.Errorf("no language: problems %v, language %q; want none and en", d.Validate(), d.CustomerLanguage())
	}
	for _, c := range []struct {
		lang string
		want Language
		ok   bool
	}{
		{"", "", false},
		{"en", LanguageEnglish, true},
		{"sv", LanguageSwedish, true},
		{"de", LanguageGerman, true},
		{"da", LanguageDanish, true},
		{"SV", "", false},
		{"fr", "", false},
		{"english", "", false},
	} {
		d := CustomerDraft{OrganizationName: "Fabrikam", Country: "SE", Language: &c.lang}
		ps := d.Validate()
		if c.ok {
			if len(ps) != 0 || d.CustomerLanguage() != c.want {
				t.Errorf("language %q: problems %v, language %q; want none and %q", c.lang, ps, d.CustomerLanguage(), c.want)
			}
			continue
		}
		if len(ps) != 1 || ps[0].Code != CodeUnknownValue || len(ps[0].Input) != 1 || ps[0].Input[0] != "language" {
			t.Errorf("language %q: want one UNKNOWN_VALUE on language, got %+v", c.lang, ps)
		}
	}
}

func TestAgreementDrafts(t *testing.T) {
	valid := AgreementDraft{Program: string(ProgramOpenValue), Number: "V1000", StartDate: NewDate(2026, 1, 1), AnniversaryDate: NewDate(2027, 1, 1),
		Contacts: []ContactDraft{{Name: "Ana", Email: "ana@fabrikam.com", Roles: []ContactRole{RoleAgreementAdministrator}}}}
	t.Run("R-AGR-1_open_value_number_starts_with_V", func(t *testing.T) {
		for _, c := range []struct {
			p      Program
			number string
			fits   bool
		}{{ProgramOpenValue, "V1000", true}, {ProgramOpenValue, " v1000", true}, {ProgramOpenValue, "1000V", false}, {ProgramEnterprise, "1000", true}} {
			if got := AgreementNumberFits(c.p, c.number); got != c.fits {
				t.Errorf("%s %q fits: %v, want %v", c.p, c.number, got, c.fits)
			}
		}
		d := valid
		d.Number = "1000"
		wantProblems(t, d.Validate(), prob(CodeNumberFormat, "number"))
		wantProblems(t, valid.Validate())
	})
	t.Run("R-AGR-2_a_number_taken_is_refused_on_number", func(t *testing.T) {
		p := NumberTaken("agreement", "EA-1")
		wantOne(t, &p, CodeTaken, "number")
		if p.Message != `agreement number "EA-1" is already used` {
			t.Errorf("message %q", p.Message)
		}
		if NormalizeNumber(" ea-1 ") != "EA-1" {
			t.Errorf("numbers are compared trimmed and upper case")
		}
	})
	t.Run("R-AGR-3_contacts_hold_known_roles", func(t *testing.T) {
		ana := ContactDraft{Name: "Ana", Email: "ana@fabrikam.com", Roles: []ContactRole{RoleAgreementAdministrator, RoleVLSCAdministrator}}
		wantProblems(t, ValidateContacts([]ContactDraft{ana}))
		wantProblems(t, ValidateContacts([]ContactDraft{ana, {Name: "Ana", Email: "ANA@fabrikam.com", Roles: nil}, {Name: "Oz", Email: "oz@fabrikam.com", Roles: []ContactRole{"OSM"}}}),
			prob(CodeInvalid, "contacts", "1", "email"), prob(CodeRequired, "contacts", "1", "roles"), prob(CodeUnknownValue, "contacts", "2", "roles", "0"))
	})
}
